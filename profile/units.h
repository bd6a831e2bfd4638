/* units.h - values with units, formatted as pprof formats them: bytes scale by
 * 1024 to kB/MB/GB..., nanoseconds to us/ms/s/hrs, anything else is a plain count.
 * Text is byte for byte what pprof prints (two decimals, ".00" dropped, "  100%"). */
#ifndef HW_UNITS_H
#define HW_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Scales value from unit `from` to unit `to`; to may be "minimum"/"auto" (pick the
 * largest unit keeping the value >= 1). Writes the unit's printable name (may be ""). */
double units_scale(int64_t value, const char *from, const char *to, const char **unit_out);

/* pprof's ScaledLabel: "%.2f" of the scaled value without ".00", then the unit; "0"
 * for zero. Writes into out (at least 48 bytes). */
void units_label(int64_t value, const char *from, const char *to, char *out, size_t n);

/* pprof's Percentage: "  100%" near 100, "%5.2f%%" from 1, "%5.2g%%" below. */
void units_percentage(int64_t value, int64_t total, char *out, size_t n);

#endif

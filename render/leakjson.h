/* leakjson.h - a leak report (profile/leaks.h) for machines and for people. The JSON
 * is one object: kind, unit, verdict, window, evidence, total (current value, trend,
 * points), floor_per_min, suspects (ranked: site, stack root first, current value and
 * objects, growth_per_min, share, first_seen_ms, trend, points) and memstats; times are
 * Unix milliseconds, rates per minute in the report's unit. The text form is what
 * `heapwatch leaks` prints: the verdict, the evidence, and a table of the suspects in
 * pprof's units. Names from the profile are made valid UTF-8 without control
 * characters in both. */
#ifndef HW_LEAKJSON_H
#define HW_LEAKJSON_H

#include "buf.h"
#include "hw_err.h"
#include "leaks.h"

/* Appends the report as JSON (one line per object member is not promised; it is
 * indented by two spaces) and a newline. */
enum hw_err leakjson_render(const struct leak_report *r, struct buf *out);

/* Appends the report as text: "verdict: leak (heap, 12 scrapes over 11 s)", the
 * evidence lines indented, and the suspects with their stacks. */
enum hw_err leakjson_text(const struct leak_report *r, struct buf *out);

#endif

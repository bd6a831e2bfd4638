/* palette.h - frame colours. A colour is a pure function of the frame's whole name
 * (a 64-bit FNV-1a hash, independent of byte order and of the machine), so the same
 * function has the same colour in every render and two graphs compare by eye. Diff
 * colours come from the change of a frame's inclusive value instead. */
#ifndef HW_PALETTE_H
#define HW_PALETTE_H

#include <stdint.h>

#include "hw_err.h"

enum palette {
    PALETTE_MEM, /* greens and blues: space and object counts */
    PALETTE_HOT, /* reds and yellows, as flamegraph.pl: cpu and time */
    PALETTE_PKG, /* one hue per Go package, lightness varying by function */
};

struct rgb {
    uint8_t r, g, b;
};

/* "mem", "hot" or "pkg"; HW_USAGE otherwise. */
enum hw_err palette_parse(const char *s, enum palette *out);
const char *palette_name(enum palette p);

/* The default for a sample type: mem for space/objects/bytes, hot for everything else. */
enum palette palette_default(const char *type, const char *unit);

/* The colour of the frame called name. */
struct rgb palette_color(enum palette p, const char *name);

/* The Go package of a frame name: "github.com/x/pkg" for "github.com/x/pkg.(*T).M",
 * "runtime" for "runtime.mallocgc"; the whole name when it has no dot. Sets *len. */
const char *palette_package(const char *name, size_t *len);

/* The colour of a diff frame whose inclusive value changed by delta, where maxabs is
 * the largest change of any frame: red grew, blue shrank, grey unchanged. The
 * intensity grows with the square root of |delta|/maxabs from a floor, so that small
 * changes still show, and stops short of saturation so that labels stay readable. */
struct rgb palette_diff(int64_t delta, int64_t maxabs);

/* The colour search matches are highlighted with. */
#define PALETTE_MATCH "#e600e6"

#endif

/* fold.h - samples to folded call paths: each sample's locations expand (inlined
 * frames included) into a root-to-leaf path of frame names at the chosen granularity;
 * equal paths add their values; paths whose value is zero are dropped. Frame names
 * are the ones pprof prints for the same granularity, and each distinct name is one
 * interned string, so equal frames compare equal by pointer. */
#ifndef HW_FOLD_H
#define HW_FOLD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hw_err.h"
#include "profile.h"

enum granularity {
    GRAN_FUNCTIONS, /* default */
    GRAN_FILEFUNCTIONS,
    GRAN_FILES,
    GRAN_LINES,
    GRAN_ADDRESSES,
};

struct fold_stack {
    const char **frames; /* root first */
    size_t nframes;
    int64_t value;
};

struct folded {
    struct fold_stack *stacks;
    size_t nstacks;
    int64_t total; /* the sum of every stack's value (may be negative with -base) */
    const char *type, *unit; /* the sample type that was folded */
};

/* Folds p's samples by value column col into a new struct folded in a. The result
 * lives until arena_free(a). HW_USAGE if col is out of range. */
enum hw_err fold_profile(struct arena *a, const struct profile *p, size_t col,
                         enum granularity g, struct folded **out, struct errbuf *eb);

/* Orders stacks by their frames, bytewise, root first (a prefix sorts first). */
void fold_sort(struct folded *f);

/* Appends "frame;frame;leaf VALUE\n" per stack. Semicolons and newlines inside frame
 * names are replaced so that every line parses back to the same stack. */
enum hw_err fold_write(const struct folded *f, struct buf *out);

/* The frame name pprof prints for line ln of location l at granularity g (for
 * GRAN_FUNCTIONS: the function name; unsymbolized: "[binary]" or "<unknown>"). The
 * string is built in a unless it can be shared with the profile. */
const char *fold_frame_name(struct arena *a, const struct location *l, const struct line *ln,
                            enum granularity g);

#endif

/* summary.h - what the daemon keeps of a scrape once it has been stored: totals per
 * sample type, the top functions, and for heap/allocs profiles the alloc delta since
 * the previous scrape of the same target. alloc_* values are cumulative since the
 * process started, so a delta is only taken when both scrapes come from the same
 * process; a restart (totals or a tracked stack going down, a different binary,
 * time going backwards) starts a new baseline instead of a negative delta. */
#ifndef HW_SUMMARY_H
#define HW_SUMMARY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "hw_err.h"
#include "profile.h"

#define SUMMARY_MAX_TYPES 4 /* = HIST_MAX_TOTALS */
#define SUMMARY_TOP 10
#define SUMMARY_SKETCH 16 /* stacks remembered to recognise a restarted process */

struct summary_fn {
    char *name;
    int64_t flat, cum;
};

struct summary_stack {
    uint64_t hash; /* of the stack's addresses and function names */
    int64_t objects, bytes; /* cumulative alloc values */
};

struct scrape_summary {
    size_t ntypes;
    char *types[SUMMARY_MAX_TYPES], *units[SUMMARY_MAX_TYPES];
    int64_t totals[SUMMARY_MAX_TYPES];
    size_t default_col; /* the column pprof shows by default */
    struct summary_fn top[SUMMARY_TOP]; /* by flat of default_col, largest first */
    size_t ntop;
    int64_t time_nanos;
    size_t nsamples;
    /* Restart detection and deltas (heap and allocs profiles only). */
    int alloc_objects_col, alloc_space_col; /* -1 when absent */
    uint64_t binary; /* hash of the main mapping's file and build id */
    struct summary_stack sketch[SUMMARY_SKETCH]; /* the largest stacks by alloc_space */
    size_t nsketch;
    bool has_delta; /* delta[] is valid */
    bool restart;   /* prev was from another process (or went backwards) */
    int64_t delta[2]; /* alloc_objects, alloc_space since prev */
};

/* Summarises p. With prev (the previous scrape's summary of the same target and
 * type, or NULL), also decides whether the process restarted and takes the alloc
 * delta. out is owned by the caller; release it with summary_free. */
enum hw_err summary_compute(const struct profile *p, const struct scrape_summary *prev,
                            struct scrape_summary *out, struct errbuf *eb);
/* Frees the strings of s and zeroes it. */
void summary_free(struct scrape_summary *s);
/* Moves src into dst (freeing what dst held); src is left empty. */
void summary_move(struct scrape_summary *dst, struct scrape_summary *src);
#endif

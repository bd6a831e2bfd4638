/* prepare.h - the one way a decoded profile becomes what a report is drawn from, for
 * the CLI and the web service alike: subtract the base (pprof's -base/-diff_base),
 * drop uninteresting frames, pick the sample column, take pprof's report total, then
 * apply the filters. Loading the bytes is the caller's business. */
#ifndef HW_PREPARE_H
#define HW_PREPARE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "filter.h"
#include "fold.h"
#include "hw_err.h"
#include "profile.h"

struct prepare_opts {
    const char *sample_index; /* NULL or "": pprof's default */
    bool diff_base;           /* the base is a -diff_base (percentages of the base) */
    struct filter_opts filters;
};

struct prepared {
    struct profile *p;       /* in the arena of the profile given */
    size_t col;              /* the sample column */
    int64_t total;           /* pprof's report total of col, taken before the filters */
    struct filter_report fr; /* what the filters matched, for pprof's warnings */
};

void prepare_opts_init(struct prepare_opts *o);

/* Prepares p (and base, which must live in p's arena when given, or be NULL) into out.
 * HW_USAGE for a bad sample_index or filter (eb names it), other codes for bad data. */
enum hw_err prepare_profile(struct profile *p, const struct profile *base,
                            const struct prepare_opts *o, struct prepared *out, struct errbuf *eb);
#endif

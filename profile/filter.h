/* filter.h - pprof's focus filters, shared by top, fold, flame and graph: -focus and
 * -ignore keep or drop whole samples by any frame's function name, file or binary;
 * -hide and -show drop or keep frames; -show_from cuts each stack above its highest
 * matching frame; -prune_from cuts below the first matching frame; -tagfocus and
 * -tagignore keep or drop samples by label (numeric ranges such as "1kb:64kb", or
 * regexps). Regexps are Go/RE2 syntax, matched anywhere in the text (PCRE2). */
#ifndef HW_FILTER_H
#define HW_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "hw_err.h"
#include "profile.h"

struct filter_opts {
    /* NULL or "" when off. */
    const char *focus, *ignore, *hide, *show, *show_from, *prune_from, *tagfocus, *tagignore;
};

/* What each active filter did, for pprof's warnings ("Focus expression matched no
 * samples") and its note that a tag filter was read as a numeric range. */
struct filter_report {
    bool focus, ignore, hide, show, show_from, tagfocus, tagignore; /* matched something */
    bool tagfocus_range, tagignore_range;
};

/* True when any filter is set. */
bool filter_active(const struct filter_opts *o);

/* pprof's "Active filters" legend lines in its order ("focus=main\.f"); prune_from is
 * not listed, as in pprof. Stores up to FILTER_MAX_ACTIVE strings built in a into
 * lines and returns how many, or 0 when a runs out. */
#define FILTER_MAX_ACTIVE 7
size_t filter_describe(struct arena *a, const struct filter_opts *o, const char **lines);

/* Checks that every regexp compiles and every tag filter parses: HW_USAGE with
 * "parsing focus regexp: ..." in eb otherwise. */
enum hw_err filter_check(const struct filter_opts *o, struct errbuf *eb);

/* Applies the filters to p in pprof's order (focus/ignore/hide/show, show_from,
 * tagfocus/tagignore, prune_from). Samples are dropped from p->samples, and location
 * line lists and sample stacks shortened; new arrays come from p->arena. With no
 * filter set p is left alone. r (may be NULL) tells what matched. */
enum hw_err filter_apply(struct profile *p, const struct filter_opts *o, struct filter_report *r,
                         struct errbuf *eb);

#endif

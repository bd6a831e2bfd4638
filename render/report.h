/* report.h - every report drawn from a prepared profile (see prepare.h), shared by
 * the CLI and the web service so that both give the same bytes for the same profile
 * and options: folded stacks, pprof's top table as text or JSON, the call graph as
 * DOT, SVG or PNG, and the flame graph as SVG, PNG or JSON. */
#ifndef HW_REPORT_H
#define HW_REPORT_H
#include <stdbool.h>
#include <stddef.h>
#include "buf.h"
#include "callgraph.h"
#include "filter.h"
#include "flame.h"
#include "fold.h"
#include "graph.h"
#include "hw_err.h"
#include "profile.h"

enum report_flame_format {
    REPORT_FLAME_SVG,
    REPORT_FLAME_PNG,
    REPORT_FLAME_JSON,
};

/* Appends the folded stacks of column col, sorted, one "frame;frame;leaf VALUE" line
 * each (what `heapwatch fold` prints). */
enum hw_err report_folded(struct profile *p, size_t col, enum granularity g, struct buf *out,
                          struct errbuf *eb);

/* Appends `heapwatch top`'s report: our File/Type/Time lines, pprof's "Active
 * filters" (f, as given) and pprof's table for graph options o (o->col set). */
enum hw_err report_top(struct profile *p, const struct filter_opts *f, const struct graph_opts *o,
                       struct buf *out, struct errbuf *eb);

/* The same table as one JSON object: type, unit, the report unit, total, and per row
 * the raw flat and cum values, their percentages as numbers, and every cell as pprof
 * prints it (flat_text, flat_pct_text, sum_pct_text, cum_text, cum_pct_text), so that
 * a client can rebuild pprof's line; names are escaped for embedding in HTML. */
enum hw_err report_top_json(struct profile *p, const struct graph_opts *o, struct buf *out,
                            struct errbuf *eb);

/* Appends the call graph of p (o in visual mode) as DOT, SVG or PNG, with the
 * filters f listed in its legend. Graphviz is serialised inside callgraph_render. */
enum hw_err report_graph(struct profile *p, const struct filter_opts *f, const struct graph_opts *o,
                         enum callgraph_format fmt, struct buf *out, struct errbuf *eb);

/* Folds p's column col into *cur and, for a diff, bp's column bcol into *base (NULL
 * otherwise). A folded file with the two columns difffolded.pl writes ("base" first)
 * is a diff by itself unless col_chosen (the caller picked a sample type). The folded
 * sets live in the profiles' arenas. HW_BADDATA when the two sample types differ. */
enum hw_err report_flame_fold(struct profile *p, size_t col, struct profile *bp, size_t bcol,
                              enum granularity g, bool col_chosen, struct folded **cur,
                              struct folded **base, struct errbuf *eb);

/* The subtitle flame graphs get by default: "NAME vs BASE · type · time · total X"
 * ("NAME (two-column diff)" for a diff without base_name). */
void report_flame_subtitle(const char *name, const char *base_name, int64_t time_nanos,
                           const struct folded *cur, const struct folded *base, bool reverse,
                           char *s, size_t cap);

/* Lays out cur (against base when not NULL) and appends the drawing in format fmt. */
enum hw_err report_flame(const struct folded *cur, const struct folded *base,
                         const struct flame_opts *o, enum report_flame_format fmt, struct buf *out,
                         struct errbuf *eb);
#endif

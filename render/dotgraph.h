/* dotgraph.h - pprof's call graph as DOT text, as `go tool pprof -dot` writes it: the
 * legend box, one box per node (shortened name split onto lines, flat and cum with
 * percentages, font size by flat, colours by cum), tag nodelets, and the edges
 * heaviest first with weights, pen widths, colours and dotted residual edges. */
#ifndef HW_DOTGRAPH_H
#define HW_DOTGRAPH_H

#include <stddef.h>

#include "buf.h"
#include "graph.h"
#include "hw_err.h"
#include "profile.h"

struct dot_legend {
    const char *title;   /* the binary's base name, "" when none */
    const char **lines;  /* legend lines, unescaped */
    size_t nlines;
};

/* pprof's report labels for the legend of g drawn from p: File, Build ID, comments,
 * Type, Time, Duration, the active filters (filters[0..nfilters), as filter_describe
 * gives them), the "Showing nodes" / "Dropped" lines and the how-to-read hint. The
 * strings live in a. */
enum hw_err dotgraph_legend(struct arena *a, const struct profile *p, const struct graph *g,
                            const char *const *filters, size_t nfilters, struct dot_legend *out);

/* Appends the DOT text of g (built in visual mode) with legend l. Every name is
 * escaped for DOT's quoted strings. */
enum hw_err dotgraph_write(const struct graph *g, const struct dot_legend *l, struct buf *out);

/* pprof's ShortenFunctionName ("github.com/x/y.(*T).M" -> "y.(*T).M"), into a. */
const char *dotgraph_shorten(struct arena *a, const char *name);

#endif

/* graph.h - pprof's weighted call graph: one node per frame identity at the chosen
 * granularity with flat and cum values (cum counted once per sample, even under
 * recursion), edges with weights, inline and residual marks; and pprof's trimming
 * (node fraction, node count). The top report is printed from it. */
#ifndef HW_GRAPH_H
#define HW_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "fold.h"
#include "hw_err.h"
#include "nodeinfo.h"
#include "profile.h"

struct graph_opts {
    size_t col;
    enum granularity gran;
    double node_fraction; /* pprof: 0.005 */
    double edge_fraction; /* pprof: 0.001 */
    int node_count;       /* 0: no limit (top); pprof's graph views use 80 */
    bool cum_sort;        /* order by cum rather than flat */
};

void graph_opts_init(struct graph_opts *o);

struct gedge {
    uint32_t src, dst; /* node indices */
    int64_t weight;
    bool inline_call, residual;
};

struct gnode {
    struct nodeinfo info;
    const char *name; /* printable */
    int64_t flat, cum;
    bool inlined_in, called_in; /* kept incoming edges include inlined / real calls */
};

struct graph {
    struct gnode *nodes; /* in report order */
    size_t nnodes;
    struct gedge *edges; /* kept edges, between nodes above */
    size_t nedges;
    int64_t total;       /* pprof's report total (sum of |value|, or the diff base's) */
    size_t orig_count;   /* nodes before cutting to node_count */
    size_t dropped_nodes, dropped_edges;
    const char *type, *unit;
};

/* Builds the trimmed graph of p in arena a as pprof's report does. */
enum hw_err graph_build(struct arena *a, const struct profile *p, const struct graph_opts *o,
                        struct graph **out, struct errbuf *eb);

/* Appends pprof's -top text, from "Showing nodes accounting for" to the last row. */
enum hw_err graph_write_top(const struct graph *g, const struct graph_opts *o, struct buf *out);

/* The unit pprof picks for the whole report ("MB", "s", ...; the sample unit if none). */
const char *graph_output_unit(const struct graph *g);

#endif

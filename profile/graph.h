/* graph.h - pprof's weighted call graph: one node per frame identity at the chosen
 * granularity with flat and cum values (cum counted once per sample, even under
 * recursion), edges with weights, inline and residual marks; and pprof's trimming
 * (node fraction, node count, edge fraction). The top report is printed from it; in
 * visual mode it is the graph of `pprof -dot`: nodes ordered by pprof's entropy
 * score, each node's tags (its samples' string labels and "bytes" sizes) counted
 * when cutting to node_count, and redundant residual edges removed. */
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
    bool visual;          /* pprof's -dot/-svg graph rather than its text report */
    bool has_total;       /* use total below as the report total (pprof takes it */
    int64_t total;        /* before its focus filters) instead of the profile's own */
    bool nodes_only;      /* one pass, no edges: the top nodes' flat and cum, as -top */
};

void graph_opts_init(struct graph_opts *o);

struct gedge {
    uint32_t src, dst; /* node indices */
    int64_t weight;
    bool inline_call, residual;
};

/* A node's share of the samples carrying one tag (visual mode only): a label tag is
 * the joined string labels of its samples ("key:value" sorted, joined by newlines),
 * a numeric tag one "bytes" value under such labels ("" when none). */
struct gtag {
    const char *labels;
    const char *name;  /* numeric tags: the value as pprof prints it ("1kB"); NULL for a label tag */
    const char *unit;  /* numeric tags: the label's unit ("bytes") */
    int64_t value;     /* numeric tags: the raw value */
    int64_t flat, cum;
};

struct gnode {
    struct nodeinfo info;
    const char *name; /* printable */
    int64_t flat, cum;
    bool inlined_in, called_in; /* kept incoming edges include inlined / real calls */
    struct gtag *tags;          /* visual mode: tags above the node cutoff */
    size_t ntags;
};

struct graph {
    struct gnode *nodes; /* in report order */
    size_t nnodes;
    struct gedge *edges; /* kept edges, between nodes above */
    size_t nedges;
    int64_t total;       /* pprof's report total (sum of |value|, or the diff base's) */
    double node_fraction, edge_fraction; /* as asked for, for the legend */
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

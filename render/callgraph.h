/* callgraph.h - a call graph's DOT laid out in-process by graphviz's `dot` engine
 * (libgvc) and drawn as SVG (with a tooltip per node and edge, each node tagged
 * with its function name for the web UI, and pan and zoom) or as PNG (cairo). */
#ifndef HW_CALLGRAPH_H
#define HW_CALLGRAPH_H

#include <stddef.h>

#include "buf.h"
#include "graph.h"
#include "hw_err.h"

enum callgraph_format {
    CALLGRAPH_DOT, /* the DOT text itself */
    CALLGRAPH_SVG,
    CALLGRAPH_PNG,
};

/* The format a file name asks for by its extension (.dot .gv .svg .png); -1 when
 * none of them. */
int callgraph_format_of(const char *path);

/* Lays out the DOT text dot (NUL-terminated) and appends the drawing to out. g is
 * the graph it was made from (dotgraph_write), used to give each SVG node its
 * function name. Graphviz keeps global state, so layouts are serialised by a
 * mutex: concurrent calls are safe. HW_BADDATA with graphviz's reason in eb when the
 * text does not parse or lay out, HW_TOOBIG when out reaches its cap. */
enum hw_err callgraph_render(const char *dot, const struct graph *g, enum callgraph_format f,
                             struct buf *out, struct errbuf *eb);

#endif

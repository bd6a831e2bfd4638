/* callgraph.c - graphviz in-process. The DOT text from dotgraph.c is parsed by
 * cgraph, laid out by the `dot` engine and rendered by gvRenderData ("svg" from the
 * core plugin, "png:cairo" from the pango one) into memory; nothing is spawned.
 *
 * Graphviz keeps process-wide state (its error handler, the cgraph parser's
 * globals, and the pango plugin's cache of the last font name, which points into
 * the context that loaded it), so everything from parsing to freeing happens
 * under one mutex, and one context, made on first use, serves the whole process:
 * freeing it would leave that cache dangling for the next one (a use after free
 * that ASan finds in graphviz 2.43). These are the only globals in render/, there
 * because graphviz has its own. The SVG is then rewritten a little: each node's <g> gets the function
 * name it stands for (data-function), and the drawing goes into a viewport group
 * that a small script pans and zooms. */
#include "callgraph.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* LeakSanitizer's hook for built-in suppressions, read when a sanitized binary
 * links this file: graphviz 2.43's dot layout leaks the virtual nodes it names
 * while ranking (allocated by its gmalloc; graphviz is built without frame
 * pointers, so ASan's fast unwinder stops there), and fontconfig keeps its caches
 * for the life of the process. Both are theirs and bounded per layout; every
 * allocation of ours is still checked. */
const char *__lsan_default_suppressions(void);

const char *
__lsan_default_suppressions(void)
{
    return "leak:named_virtual_node\n"
           "leak:gmalloc\n"
           "leak:libfontconfig.so\n";
}

static pthread_mutex_t gv_lock = PTHREAD_MUTEX_INITIALIZER;
static GVC_t *gv_ctx; /* under gv_lock */

int
callgraph_format_of(const char *path)
{
    const char *dot = strrchr(path, '.');

    if (dot == NULL)
        return -1;
    if (strcmp(dot, ".dot") == 0 || strcmp(dot, ".gv") == 0)
        return CALLGRAPH_DOT;
    if (strcmp(dot, ".svg") == 0)
        return CALLGRAPH_SVG;
    if (strcmp(dot, ".png") == 0)
        return CALLGRAPH_PNG;
    return -1;
}

/* Graphviz reports errors through a callback; the first one is kept for eb. Only
 * touched under gv_lock. */
static char gv_errmsg[256];

static int
gv_error(char *msg)
{
    size_t n;

    if (gv_errmsg[0] == '\0') {
        snprintf(gv_errmsg, sizeof(gv_errmsg), "%s", msg);
        n = strlen(gv_errmsg);
        while (n > 0 && (gv_errmsg[n - 1] == '\n' || gv_errmsg[n - 1] == ' '))
            gv_errmsg[--n] = '\0';
    }
    return 0;
}

/* Lays out and renders under the lock; the rendered bytes are copied to out. */
static enum hw_err
layout(const char *dot, const char *format, struct buf *out, struct errbuf *eb)
{
    GVC_t *gvc;
    Agraph_t *g = NULL;
    char *data = NULL;
    unsigned int len = 0;
    enum hw_err err = HW_BADDATA;
    bool laid = false;
    agusererrf old;

    pthread_mutex_lock(&gv_lock);
    gv_errmsg[0] = '\0';
    agseterr(AGERR);
    old = agseterrf(gv_error);
    if (gv_ctx == NULL && (gv_ctx = gvContext()) == NULL) {
        err = HW_NOMEM;
        goto out;
    }
    gvc = gv_ctx;
    if ((g = agmemread(dot)) == NULL) {
        errbuf_set(eb, err, "graphviz: %s", gv_errmsg[0] ? gv_errmsg : "cannot parse the graph");
        goto out;
    }
    if (gvLayout(gvc, g, "dot") != 0) {
        errbuf_set(eb, err, "graphviz layout: %s", gv_errmsg[0] ? gv_errmsg : "failed");
        goto out;
    }
    laid = true;
    if (gvRenderData(gvc, g, format, &data, &len) != 0 || data == NULL) {
        errbuf_set(eb, err, "graphviz %s renderer: %s", format, gv_errmsg[0] ? gv_errmsg : "failed");
        goto out;
    }
    err = buf_append(out, data, len);
out:
    if (data != NULL)
        gvFreeRenderData(data);
    if (laid)
        gvFreeLayout(gvc, g);
    if (g != NULL)
        agclose(g);
    agseterrf(old);
    pthread_mutex_unlock(&gv_lock);
    return err;
}

/* XML attribute text. */
static enum hw_err
put_xml(struct buf *out, const char *s)
{
    enum hw_err err = HW_OK;
    size_t run;

    while (*s != '\0' && err == HW_OK) {
        run = strcspn(s, "&<>\"'");
        if (run > 0) {
            err = buf_append(out, s, run);
            s += run;
            continue;
        }
        err = buf_puts(out, *s == '&'   ? "&amp;"
                            : *s == '<' ? "&lt;"
                            : *s == '>' ? "&gt;"
                            : *s == '"' ? "&quot;"
                                        : "&#39;");
        s++;
    }
    return err;
}

/* Pan with the mouse, zoom with the wheel: the viewport group's transform. */
static const char pan_zoom[] =
    "<script type=\"text/ecmascript\"><![CDATA[\n"
    "(function () {\n"
    "  var svg = document.documentElement, vp = document.getElementById('viewport');\n"
    "  var s = 1, x = 0, y = 0, drag = null;\n"
    "  function apply() { vp.setAttribute('transform', 'translate(' + x + ',' + y + ') scale(' + s + ')'); }\n"
    "  svg.addEventListener('wheel', function (e) {\n"
    "    e.preventDefault();\n"
    "    var f = e.deltaY < 0 ? 1.1 : 1 / 1.1, r = svg.getBoundingClientRect();\n"
    "    var px = e.clientX - r.left, py = e.clientY - r.top;\n"
    "    x = px - (px - x) * f; y = py - (py - y) * f; s *= f; apply();\n"
    "  }, {passive: false});\n"
    "  svg.addEventListener('mousedown', function (e) { drag = [e.clientX - x, e.clientY - y]; });\n"
    "  svg.addEventListener('mousemove', function (e) {\n"
    "    if (drag) { x = e.clientX - drag[0]; y = e.clientY - drag[1]; apply(); }\n"
    "  });\n"
    "  svg.addEventListener('mouseup', function () { drag = null; });\n"
    "  svg.addEventListener('mouseleave', function () { drag = null; });\n"
    "})();\n"
    "]]></script>\n";

/* The name a node stands for: its function, else its printable name. */
static const char *
node_function(const struct graph *g, unsigned long k)
{
    if (k == 0 || k > g->nnodes)
        return NULL;
    return g->nodes[k - 1].info.name[0] != '\0' ? g->nodes[k - 1].info.name : g->nodes[k - 1].name;
}

/* Handles one node group at q (`<g id="..." class="node">` then its <title>): a
 * node of the graph ("N3") gains data-function; the legend, which graphviz numbers
 * like the first node since pprof gives it no id, becomes "legend"; nodelets
 * stay as they are. Returns where the copy goes on, or NULL to copy q as text. */
static const char *
node_group(const char *q, const struct graph *g, struct buf *out, enum hw_err *err)
{
    static const char head[] = "\" class=\"node\">\n<title>";
    const char *id_end = strchr(q + 7, '"'), *title, *title_end, *name;
    unsigned long k;
    char *num_end;

    if (id_end == NULL || strncmp(id_end, head, sizeof(head) - 1) != 0)
        return NULL;
    title = id_end + sizeof(head) - 1;
    if ((title_end = strstr(title, "</title>")) == NULL)
        return NULL;
    if (title[0] == 'N' && title[1] >= '1' && title[1] <= '9') {
        k = strtoul(title + 1, &num_end, 10);
        if (num_end != title_end || (name = node_function(g, k)) == NULL)
            return NULL;
        if ((*err = buf_printf(out, "<g id=\"node%lu\" class=\"node\" data-function=\"", k)) == HW_OK &&
            (*err = put_xml(out, name)) == HW_OK)
            *err = buf_puts(out, "\">\n<title>");
        return title;
    }
    if (title[0] == 'N')
        return NULL;
    /* The legend: its own ids, so that no id appears twice. */
    if ((*err = buf_puts(out, "<g id=\"legend\" class=\"node\">\n<title>")) == HW_OK &&
        (*err = buf_append(out, title, (size_t)(title_end - title))) == HW_OK)
        *err = buf_puts(out, "</title>\n");
    title_end += 9;
    if (strncmp(title_end, "<g id=\"a_node", 13) == 0 && (q = strchr(title_end + 13, '"')) != NULL) {
        if (*err == HW_OK)
            *err = buf_puts(out, "<g id=\"a_legend");
        return q;
    }
    return title_end;
}

/* Rewrites graphviz's SVG into out: the drawing goes into a pan/zoom viewport
 * (wrapping graphviz's own group, whose transform stays), the script goes before
 * it, and node groups are labelled by node_group. */
static enum hw_err
massage_svg(const char *svg, size_t len, const struct graph *g, struct buf *out)
{
    const char *p = svg, *end = svg + len, *first = strstr(svg, "<g id=\"graph0\""), *q, *next;
    enum hw_err err = HW_OK;

    if (first == NULL)
        return buf_append(out, svg, len);
    if ((err = buf_append(out, p, (size_t)(first - p))) != HW_OK ||
        (err = buf_puts(out, pan_zoom)) != HW_OK ||
        (err = buf_puts(out, "<g id=\"viewport\">\n")) != HW_OK)
        return err;
    p = first;
    while (err == HW_OK && (q = strstr(p, "<g id=\"")) != NULL) {
        if ((err = buf_append(out, p, (size_t)(q - p))) != HW_OK)
            return err;
        if ((next = node_group(q, g, out, &err)) == NULL) {
            err = buf_append(out, q, 7);
            next = q + 7;
        }
        p = next;
    }
    if (err != HW_OK)
        return err;
    /* Close the viewport just before the root's closing tag. */
    for (q = end; q > p && strncmp(q, "</svg>", 6) != 0; q--)
        ;
    if (q == p)
        return buf_append(out, p, (size_t)(end - p));
    if ((err = buf_append(out, p, (size_t)(q - p))) != HW_OK || (err = buf_puts(out, "</g>\n")) != HW_OK)
        return err;
    return buf_append(out, q, (size_t)(end - q));
}

enum hw_err
callgraph_render(const char *dot, const struct graph *g, enum callgraph_format f,
                 struct buf *out, struct errbuf *eb)
{
    struct buf raw;
    enum hw_err err;

    if (f == CALLGRAPH_DOT)
        return buf_puts(out, dot);
    if (f == CALLGRAPH_PNG)
        return layout(dot, "png:cairo", out, eb);
    buf_init(&raw, out->max);
    if ((err = layout(dot, "svg", &raw, eb)) == HW_OK)
        err = massage_svg((const char *)raw.data, raw.len, g, out);
    buf_reset(&raw);
    return err;
}

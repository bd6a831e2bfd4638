/* report.c - the last steps of every pipeline, moved out of cmd/ so that the web
 * service draws exactly what the CLI prints. Nothing here reads options from a
 * command line or a URL: both front ends parse their own and call these. */
#include "report.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dotgraph.h"
#include "flamejson.h"
#include "png.h"
#include "svg.h"
#include "units.h"

enum hw_err
report_folded(struct profile *p, size_t col, enum granularity g, struct buf *out, struct errbuf *eb)
{
    struct folded *f;
    enum hw_err err;

    if ((err = fold_profile(p->arena, p, col, g, &f, eb)) != HW_OK)
        return err;
    fold_sort(f);
    return fold_write(f, out);
}

static enum hw_err
top_header(const struct profile *p, const struct graph *g, struct buf *out)
{
    char when[64];
    time_t t;
    struct tm tm;
    enum hw_err err = HW_OK;

    if (p->nmappings > 0 && p->mappings[0].file[0] != '\0') {
        const char *b = strrchr(p->mappings[0].file, '/');
        err = buf_printf(out, "File: %s\n", b && b[1] ? b + 1 : p->mappings[0].file);
    }
    if (err == HW_OK)
        err = buf_printf(out, "Type: %s\n", g->type);
    if (err == HW_OK && p->time_nanos != 0) {
        t = (time_t)(p->time_nanos / 1000000000);
        /* gmtime_r: the web service renders on several threads. */
        if (gmtime_r(&t, &tm) == NULL)
            return HW_OK;
        strftime(when, sizeof(when), "%b %e, %Y at %I:%M%p (UTC)", &tm);
        err = buf_printf(out, "Time: %s\n", when);
    }
    return err;
}

/* pprof's "Active filters:" lines, each value cut at 80 bytes. */
static enum hw_err
top_filters(struct arena *a, const struct filter_opts *f, struct buf *out)
{
    const char *lines[FILTER_MAX_ACTIVE];
    size_t i, n = filter_describe(a, f, lines);
    enum hw_err err = HW_OK;

    if (n > 0)
        err = buf_printf(out, "Active filters:\n");
    for (i = 0; i < n && err == HW_OK; i++) {
        size_t len = strlen(lines[i]);

        err = buf_printf(out, "   %.*s%s\n", (int)(len > 80 ? 80 : len), lines[i],
                         len > 80 ? "\xe2\x80\xa6" : "");
    }
    return err;
}

enum hw_err
report_top(struct profile *p, const struct filter_opts *f, const struct graph_opts *o,
           struct buf *out, struct errbuf *eb)
{
    struct graph *g;
    enum hw_err err;

    if ((err = graph_build(p->arena, p, o, &g, eb)) != HW_OK ||
        (err = top_header(p, g, out)) != HW_OK || (err = top_filters(p->arena, f, out)) != HW_OK)
        return err;
    return graph_write_top(g, o, out);
}

/* One row of the top table; the text cells are pprof's. */
static enum hw_err
top_row(struct buf *b, const struct graph *g, const char *unit, const struct gnode *n,
        int64_t flat_sum)
{
    char t[5][64];
    double tot = g->total ? (double)g->total : 1.0;
    enum hw_err err;

    units_label(n->flat, g->unit, unit, t[0], sizeof(t[0]));
    units_percentage(n->flat, g->total, t[1], sizeof(t[1]));
    units_percentage(flat_sum, g->total, t[2], sizeof(t[2]));
    units_label(n->cum, g->unit, unit, t[3], sizeof(t[3]));
    units_percentage(n->cum, g->total, t[4], sizeof(t[4]));
    if ((err = buf_puts(b, "{\"name\":")) != HW_OK || (err = text_json(b, n->name)) != HW_OK)
        return err;
    err = buf_printf(b,
                     ",\"flat\":%" PRId64 ",\"flat_pct\":%.4f,\"sum_pct\":%.4f,\"cum\":%" PRId64
                     ",\"cum_pct\":%.4f,\"inline\":%s,\"flat_text\":\"%s\",\"flat_pct_text\":\"%s\""
                     ",\"sum_pct_text\":\"%s\",\"cum_text\":\"%s\",\"cum_pct_text\":\"%s\"}",
                     n->flat, 100.0 * (double)n->flat / tot, 100.0 * (double)flat_sum / tot, n->cum,
                     100.0 * (double)n->cum / tot,
                     !n->inlined_in ? "null"
                     : n->called_in ? "\"partial-inline\""
                                    : "\"inline\"",
                     t[0], t[1], t[2], t[3], t[4]);
    return err;
}

enum hw_err
report_top_json(struct profile *p, const struct graph_opts *o, struct buf *out, struct errbuf *eb)
{
    struct graph *g;
    const char *unit;
    int64_t flat_sum = 0;
    enum hw_err err;
    size_t i;

    if ((err = graph_build(p->arena, p, o, &g, eb)) != HW_OK)
        return err;
    unit = graph_output_unit(g);
    if ((err = buf_puts(out, "{\"type\":")) != HW_OK || (err = text_json(out, g->type)) != HW_OK ||
        (err = buf_puts(out, ",\"unit\":")) != HW_OK || (err = text_json(out, g->unit)) != HW_OK ||
        (err = buf_puts(out, ",\"output_unit\":")) != HW_OK ||
        (err = text_json(out, unit)) != HW_OK)
        return err;
    if ((err = buf_printf(out,
                          ",\"total\":%" PRId64 ",\"nodes\":%zu,\"dropped_nodes\":%zu,\"rows\":[",
                          g->total, g->orig_count, g->dropped_nodes)) != HW_OK)
        return err;
    for (i = 0; i < g->nnodes; i++) {
        flat_sum += g->nodes[i].flat;
        if ((i > 0 && (err = buf_puts(out, ",")) != HW_OK) ||
            (err = top_row(out, g, unit, &g->nodes[i], flat_sum)) != HW_OK)
            return err;
    }
    return buf_puts(out, "]}\n");
}

enum hw_err
report_graph(struct profile *p, const struct filter_opts *f, const struct graph_opts *o,
             enum callgraph_format fmt, struct buf *out, struct errbuf *eb)
{
    const char *filters[FILTER_MAX_ACTIVE];
    size_t nf = filter_describe(p->arena, f, filters);
    struct dot_legend legend;
    struct graph *g;
    struct buf dot;
    enum hw_err err;

    if ((err = graph_build(p->arena, p, o, &g, eb)) != HW_OK ||
        (err = dotgraph_legend(p->arena, p, g, filters, nf, &legend)) != HW_OK)
        return err;
    if (fmt == CALLGRAPH_DOT)
        return dotgraph_write(g, &legend, out);
    buf_init(&dot, out->max);
    if ((err = dotgraph_write(g, &legend, &dot)) == HW_OK)
        err = callgraph_render(dot.len ? (const char *)dot.data : "", g, fmt, out, eb);
    buf_reset(&dot);
    return err;
}

enum hw_err
report_flame_fold(struct profile *p, size_t col, struct profile *bp, size_t bcol,
                  enum granularity g, bool col_chosen, struct folded **cur, struct folded **base,
                  struct errbuf *eb)
{
    enum hw_err err;

    *base = NULL;
    if (bp != NULL) {
        if (strcmp(p->sample_types[col].type, bp->sample_types[bcol].type) != 0)
            return errbuf_set(eb, HW_BADDATA, "the base holds %s, not %s",
                              bp->sample_types[bcol].type, p->sample_types[col].type);
        if ((err = fold_profile(bp->arena, bp, bcol, g, base, eb)) != HW_OK)
            return err;
    } else if (p->format == PROFILE_FOLDED && p->ntypes == 2 && !col_chosen &&
               strcmp(p->sample_types[0].type, "base") == 0) {
        /* difffolded.pl's two columns: the first is the base, the second the new. */
        if ((err = fold_profile(p->arena, p, 0, g, base, eb)) != HW_OK)
            return err;
        col = 1;
    }
    return fold_profile(p->arena, p, col, g, cur, eb);
}

static void sappend(char *s, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
sappend(char *s, size_t cap, const char *fmt, ...)
{
    size_t n = strlen(s);
    va_list ap;

    va_start(ap, fmt);
    if (n + 1 < cap)
        vsnprintf(s + n, cap - n, fmt, ap);
    va_end(ap);
}

void
report_flame_subtitle(const char *name, const char *base_name, int64_t time_nanos,
                      const struct folded *cur, const struct folded *base, bool reverse, char *s,
                      size_t cap)
{
    char v1[64], v2[64], when[64] = "";
    time_t t = (time_t)(time_nanos / 1000000000);
    struct tm tm;

    if (time_nanos > 0 && gmtime_r(&t, &tm) != NULL)
        strftime(when, sizeof(when), " \xc2\xb7 %Y-%m-%d %H:%M:%S UTC", &tm);
    units_label(cur->total, cur->unit, "auto", v1, sizeof(v1));
    snprintf(s, cap, "%s", name);
    if (base != NULL && base_name != NULL)
        sappend(s, cap, " vs %s", base_name);
    else if (base != NULL)
        sappend(s, cap, " (two-column diff)");
    sappend(s, cap, " \xc2\xb7 %s%s%s", cur->type, reverse ? " \xc2\xb7 reversed" : "", when);
    if (base == NULL) {
        sappend(s, cap, " \xc2\xb7 total %s", v1);
    } else {
        units_label(base->total, base->unit, "auto", v2, sizeof(v2));
        sappend(s, cap, " \xc2\xb7 new %s, base %s", v1, v2);
    }
}

enum hw_err
report_flame(const struct folded *cur, const struct folded *base, const struct flame_opts *o,
             enum report_flame_format fmt, struct buf *out, struct errbuf *eb)
{
    struct flame *fl = NULL;
    enum hw_err err;

    if ((err = flame_build(cur, base, o, &fl, eb)) != HW_OK)
        return err;
    switch (fmt) {
    case REPORT_FLAME_PNG:
        err = png_render(fl, out, eb);
        break;
    case REPORT_FLAME_JSON:
        err = flamejson_render(fl, out);
        break;
    default:
        err = svg_render(fl, out);
        break;
    }
    flame_free(fl);
    return err;
}

/* dotgraph.c - pprof's DOT for a call graph (its ComposeDot and report labels),
 * line for line, so that `heapwatch graph -o x.dot` can be compared with
 * `go tool pprof -dot` and laid out by graphviz as pprof's is.
 *
 * Where we differ on purpose: pprof writes the title, file names and tag labels into
 * quoted DOT strings unescaped; we escape every string, so a hostile name can
 * neither break the DOT nor reach the SVG as markup. Otherwise the text is pprof's. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "dotgraph.h"

#include <inttypes.h>
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "units.h"

#define MAX_NODELETS 4

/* ---- name shortening (pprof's ShortenFunctionName) ---- */

enum { RX_ANON, RX_GOVER, RX_GO, RX_JAVA, RX_CPP, NRX };

static const char *const rx_src[NRX] = {
    "^\\(anonymous namespace\\)::",
    "^(.*?)/v(?:[2-9]|[1-9][0-9]+)([./].*)$",
    "^(?:[\\w\\-\\.]+\\/)+(.+)",
    "^(?:[a-z]\\w*\\.)*([A-Z][\\w\\$]*\\.(?:<init>|[a-z][\\w\\$]*(?:\\$\\d+)?))(?:(?:\\()|$)",
    "^(?:[_a-zA-Z]\\w*::)+(_*[A-Z]\\w*::~?[_a-zA-Z]\\w*(?:<.*>)?)",
};

struct shortener {
    pcre2_code *re[NRX];
    pcre2_match_data *md;
};

static void
shortener_free(struct shortener *s)
{
    size_t i;

    for (i = 0; i < NRX; i++)
        pcre2_code_free(s->re[i]);
    pcre2_match_data_free(s->md);
}

static enum hw_err
shortener_init(struct shortener *s)
{
    size_t i;
    int code;
    PCRE2_SIZE off;

    memset(s, 0, sizeof(*s));
    for (i = 0; i < NRX; i++)
        /* DOLLAR_ENDONLY: Go's $ does not match before a final newline. */
        if ((s->re[i] = pcre2_compile((PCRE2_SPTR)rx_src[i], PCRE2_ZERO_TERMINATED,
                                      PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY,
                                      &code, &off, NULL)) == NULL) {
            shortener_free(s);
            return HW_NOMEM;
        }
    if ((s->md = pcre2_match_data_create(8, NULL)) == NULL) {
        shortener_free(s);
        return HW_NOMEM;
    }
    return HW_OK;
}

/* Matches re on s; the number of groups (with group 0) or 0 when it does not match. */
static int
match(const struct shortener *sh, int which, const char *s, size_t n)
{
    int rc = pcre2_match(sh->re[which], (PCRE2_SPTR)s, n, 0, 0, sh->md, NULL);

    return rc > 0 ? rc : 0;
}

/* Appends groups 1.. of the last match (unset groups are empty). */
static enum hw_err
append_groups(const struct shortener *sh, int ngroups, const char *s, struct buf *out)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sh->md);
    enum hw_err err = HW_OK;
    int i;

    for (i = 1; i < ngroups && err == HW_OK; i++)
        if (ov[2 * i] != PCRE2_UNSET)
            err = buf_append(out, s + ov[2 * i], ov[2 * i + 1] - ov[2 * i]);
    return err;
}

/* Appends the shortened form of name to out. */
static enum hw_err
shorten(const struct shortener *sh, const char *name, struct buf *out)
{
    struct buf tmp;
    const char *s = name;
    size_t n = strlen(name);
    enum hw_err err = HW_OK;
    int k, g;

    buf_init(&tmp, 0);
    if (match(sh, RX_ANON, s, n)) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sh->md);
        s += ov[1];
        n -= ov[1];
    }
    if ((g = match(sh, RX_GOVER, s, n)) != 0) {
        if ((err = append_groups(sh, g, s, &tmp)) != HW_OK)
            goto out;
        if (tmp.len == 0 && (err = buf_reserve(&tmp, 1)) != HW_OK)
            goto out;
        s = (const char *)tmp.data;
        n = tmp.len;
    }
    for (k = RX_GO; k <= RX_CPP; k++)
        if ((g = match(sh, k, s, n)) >= 2) {
            err = append_groups(sh, g, s, out);
            goto out;
        }
    err = buf_append(out, s, n);
out:
    buf_reset(&tmp);
    return err;
}

const char *
dotgraph_shorten(struct arena *a, const char *name)
{
    struct shortener sh;
    struct buf b;
    const char *r = NULL;

    if (shortener_init(&sh) != HW_OK)
        return NULL;
    buf_init(&b, 0);
    if (shorten(&sh, name, &b) == HW_OK)
        r = arena_strndup(a, b.data ? (const char *)b.data : "", b.len);
    buf_reset(&b);
    shortener_free(&sh);
    return r;
}

/* ---- escaping ---- */

/* pprof's escapeForDot: backslash and quote escaped, newlines become left-justified
 * line breaks (centred ones for put_escaped_nl). */
static enum hw_err
put_escaped_as(struct buf *out, const char *s, const char *newline)
{
    enum hw_err err = HW_OK;
    size_t run;

    while (*s != '\0' && err == HW_OK) {
        run = strcspn(s, "\\\"\n");
        if (run > 0) {
            err = buf_append(out, s, run);
            s += run;
            continue;
        }
        err = buf_puts(out, *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : newline);
        s++;
    }
    return err;
}

static enum hw_err
put_escaped(struct buf *out, const char *s)
{
    return put_escaped_as(out, s, "\\l");
}

/* Appends s with "." and "::" as DOT line breaks and "[...]" as an ellipsis, as pprof
 * splits a function name over lines; s is escaped first. */
static enum hw_err
put_multiline(struct buf *out, const char *s)
{
    struct buf esc;
    const char *p;
    enum hw_err err;

    buf_init(&esc, 0);
    if ((err = put_escaped(&esc, s)) != HW_OK || esc.len == 0) {
        buf_reset(&esc);
        return err;
    }
    for (p = (const char *)esc.data; *p != '\0' && err == HW_OK;) {
        if (strncmp(p, "::", 2) == 0) {
            err = buf_puts(out, "\\n");
            p += 2;
        } else if (strncmp(p, "[...]", 5) == 0) {
            err = buf_puts(out, "[\xe2\x80\xa6]");
            p += 5;
        } else if (*p == '.') {
            err = buf_puts(out, "\\n");
            p++;
        } else {
            err = buf_append(out, p++, 1);
        }
    }
    buf_reset(&esc);
    return err;
}

static const char *
base_name(const char *s)
{
    const char *b = strrchr(s, '/');

    return b != NULL && b[1] != '\0' ? b + 1 : s;
}

/* pprof's multilinePrintableName: the node's name parts joined by line breaks,
 * with a trailing one. */
static enum hw_err
put_node_name(const struct shortener *sh, const struct nodeinfo *ni, struct buf *out)
{
    struct buf name;
    enum hw_err err = HW_OK;
    bool any = false;

    if (ni->address != 0) {
        if ((err = buf_printf(out, "%016" PRIx64, ni->address)) != HW_OK)
            return err;
        any = true;
    }
    if (ni->name[0] != '\0') {
        buf_init(&name, 0);
        if ((err = buf_puts(out, any ? "\\n" : "")) == HW_OK &&
            (err = shorten(sh, ni->name, &name)) == HW_OK)
            err = put_multiline(out, name.data ? (const char *)name.data : "");
        buf_reset(&name);
        any = true;
        if (err != HW_OK)
            return err;
    }
    if (any && (ni->lineno != 0 || ni->file[0] != '\0' || ni->name[0] == '\0') &&
        (err = buf_puts(out, "\\n")) != HW_OK)
        return err;
    if (ni->lineno != 0) {
        if ((err = put_escaped(out, ni->file[0] ? base_name(ni->file) : "")) == HW_OK)
            err = buf_printf(out, ":%" PRId64, ni->lineno);
    } else if (ni->file[0] != '\0') {
        err = put_escaped(out, base_name(ni->file));
    } else if (ni->name[0] != '\0') {
        /* the name was all */
    } else if (ni->objfile[0] != '\0') {
        if ((err = buf_puts(out, "[")) == HW_OK && (err = put_escaped(out, base_name(ni->objfile))) == HW_OK)
            err = buf_puts(out, "]");
    } else {
        err = buf_puts(out, "<unknown>");
    }
    return err != HW_OK ? err : buf_puts(out, "\\n");
}

/* ---- colours ---- */

/* pprof's dotColor: grey near zero, deepening red for positive shares and green for
 * negative ones; the background is a light tint of the same hue. */
static void
dot_color(double score, bool background, char out[8])
{
    double sat = background ? 0.1 : 1.0, val = background ? 0.93 : 0.7, r, g, b;

    score = fmax(-1.0, fmin(1.0, score));
    if (fabs(score) < 0.2)
        sat *= fabs(score) / 0.2;
    if (score > 0.0)
        score = pow(score, 0.3);
    if (score < 0.0)
        score = -pow(-score, 0.3);
    if (score < 0.0) {
        g = val;
        r = val * (1 + sat * score);
    } else {
        r = val;
        g = val * (1 - sat * score);
    }
    b = val * (1 - sat);
    snprintf(out, 8, "#%02x%02x%02x", (unsigned)(uint8_t)(r * 255.0), (unsigned)(uint8_t)(g * 255.0),
             (unsigned)(uint8_t)(b * 255.0));
}

static double
share(int64_t v, int64_t total)
{
    return (double)v / (double)(total < 0 ? -total : total);
}

/* ---- the legend ---- */

static int64_t
abs64(int64_t v)
{
    return v < 0 ? (int64_t)(0 - (uint64_t)v) : v; /* wraps at the minimum, as Go's */
}

static const char *
strf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static const char *
strf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    char *s;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || (s = arena_alloc(a, (size_t)n + 1)) == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* Go's "Jan 2, 2006 at 3:04pm (MST)" in local time. */
static const char *
go_time(struct arena *a, int64_t nanos)
{
    time_t t = (time_t)(nanos / 1000000000);
    struct tm tm;
    char mon[8], zone[16];
    int h;

    if (nanos % 1000000000 < 0)
        t--;
    localtime_r(&t, &tm);
    strftime(mon, sizeof(mon), "%b", &tm);
    strftime(zone, sizeof(zone), "%Z", &tm);
    h = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
    return strf(a, "Time: %s %d, %d at %d:%02d%s (%s)", mon, tm.tm_mday, tm.tm_year + 1900, h,
                tm.tm_min, tm.tm_hour < 12 ? "am" : "pm", zone);
}

struct lines {
    struct arena *a;
    const char **v;
    size_t n, cap;
};

static enum hw_err
add_line(struct lines *l, const char *s)
{
    if (s == NULL)
        return arena_error(l->a);
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        const char **v = arena_realloc(l->a, l->v, l->cap * sizeof(*v), cap * sizeof(*v));
        if (v == NULL)
            return arena_error(l->a);
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return HW_OK;
}

static enum hw_err
profile_lines(struct lines *l, const struct profile *p, const struct graph *g, const char *unit)
{
    char a[64], b[64], c[64];
    enum hw_err err = HW_OK;
    size_t i;

    if (p->nmappings > 0 && p->mappings[0].file[0] != '\0')
        err = add_line(l, strf(l->a, "File: %s", base_name(p->mappings[0].file)));
    if (err == HW_OK && p->nmappings > 0 && p->mappings[0].build_id[0] != '\0')
        err = add_line(l, strf(l->a, "Build ID: %s", p->mappings[0].build_id));
    for (i = 0; i < p->ncomments && err == HW_OK; i++)
        if (p->comments[i][0] != '#')
            err = add_line(l, p->comments[i]);
    if (err == HW_OK && g->type[0] != '\0')
        err = add_line(l, strf(l->a, "Type: %s", g->type));
    if (err == HW_OK && p->time_nanos != 0)
        err = add_line(l, go_time(l->a, p->time_nanos));
    if (err == HW_OK && p->duration_nanos != 0) {
        const char *tu;
        double tn = units_scale(g->total, g->unit, "nanoseconds", &tu);

        units_label(p->duration_nanos, "nanoseconds", "auto", a, sizeof(a));
        units_label(g->total, g->unit, unit, b, sizeof(b));
        c[0] = '\0';
        if (strcmp(tu, "ns") == 0 && tn != 0) {
            char pct[32];
            units_percentage((int64_t)tn, p->duration_nanos, pct, sizeof(pct));
            snprintf(c, sizeof(c), "(%s)", pct);
        }
        err = add_line(l, strf(l->a, "Duration: %s, Total samples = %s %s", a, b, c));
    }
    return err;
}

enum hw_err
dotgraph_legend(struct arena *a, const struct profile *p, const struct graph *g,
                const char *const *filters, size_t nfilters, struct dot_legend *out)
{
    struct lines l = {a, NULL, 0, 0};
    const char *unit = graph_output_unit(g);
    char x[64], y[64], z[64];
    int64_t flat = 0;
    enum hw_err err;
    size_t i;

    out->title = p->nmappings > 0 && p->mappings[0].file[0] != '\0' ? base_name(p->mappings[0].file) : "";
    if ((err = profile_lines(&l, p, g, unit)) != HW_OK)
        return err;
    if (nfilters > 0 && (err = add_line(&l, "Active filters:")) != HW_OK)
        return err;
    for (i = 0; i < nfilters; i++) {
        size_t n = strlen(filters[i]);
        if ((err = add_line(&l, strf(a, "   %.*s%s", (int)(n > 80 ? 80 : n), filters[i],
                                     n > 80 ? "\xe2\x80\xa6" : ""))) != HW_OK)
            return err;
    }
    for (i = 0; i < g->nnodes; i++)
        flat += g->nodes[i].flat;
    units_label(flat, g->unit, unit, x, sizeof(x));
    units_percentage(flat, g->total, y, sizeof(y));
    units_label(g->total, g->unit, unit, z, sizeof(z));
    if ((err = add_line(&l, strf(a, "Showing nodes accounting for %s, %s of %s total", x,
                                 y + strspn(y, " "), z))) != HW_OK)
        return err;
    if (g->total != 0) {
        if (g->dropped_nodes > 0) {
            units_label(abs64((int64_t)((double)g->total * g->node_fraction)), g->unit, unit, x, sizeof(x));
            err = add_line(&l, strf(a, "Dropped %zu node%s (cum <= %s)", g->dropped_nodes,
                                    g->dropped_nodes > 1 ? "s" : "", x));
        }
        if (err == HW_OK && g->dropped_edges > 0) {
            units_label(abs64((int64_t)((double)g->total * g->edge_fraction)), g->unit, unit, x, sizeof(x));
            err = add_line(&l, strf(a, "Dropped %zu edge%s (freq <= %s)", g->dropped_edges,
                                    g->dropped_edges > 1 ? "s" : "", x));
        }
        if (err == HW_OK && g->nnodes > 0 && g->nnodes < g->orig_count)
            err = add_line(&l, strf(a, "Showing top %zu nodes out of %zu", g->nnodes, g->orig_count));
        if (err != HW_OK)
            return err;
    }
    if ((err = add_line(&l, "\nSee https://git.io/JfYMW for how to read the graph")) != HW_OK)
        return err;
    out->lines = l.v;
    out->nlines = l.n;
    return HW_OK;
}

/* ---- nodes, nodelets, edges ---- */

struct writer {
    const struct graph *g;
    const char *unit;
    struct buf *out;
    struct shortener sh;
    struct buf tmp;
};

static void
fmt_value(const struct writer *w, int64_t v, char *out, size_t n)
{
    units_label(v, w->g->unit, w->unit, out, n);
}

static enum hw_err
write_legend(struct writer *w, const struct dot_legend *l)
{
    enum hw_err err;
    size_t i;

    if (l->nlines == 0)
        return HW_OK;
    if ((err = buf_puts(w->out, "subgraph cluster_L { \"")) != HW_OK ||
        (err = put_escaped(w->out, l->lines[0])) != HW_OK ||
        (err = buf_puts(w->out, "\" [shape=box fontsize=16 label=\"")) != HW_OK)
        return err;
    for (i = 0; i < l->nlines; i++)
        if ((err = put_escaped(w->out, l->lines[i])) != HW_OK ||
            (err = buf_puts(w->out, "\\l")) != HW_OK)
            return err;
    if ((err = buf_puts(w->out, "\"")) != HW_OK)
        return err;
    if (l->title[0] != '\0' &&
        ((err = buf_puts(w->out, " tooltip=\"")) != HW_OK || (err = put_escaped(w->out, l->title)) != HW_OK ||
         (err = buf_puts(w->out, "\"")) != HW_OK))
        return err;
    return buf_puts(w->out, "] }\n");
}

static enum hw_err
write_node(struct writer *w, size_t i, double max_flat)
{
    const struct gnode *n = &w->g->nodes[i];
    int64_t total = w->g->total;
    char fv[64], cv[64], pct[32], color[8], fill[8];
    int size = 8;
    enum hw_err err;

    w->tmp.len = 0;
    if ((err = put_node_name(&w->sh, &n->info, &w->tmp)) != HW_OK)
        return err;
    fmt_value(w, n->flat, fv, sizeof(fv));
    if (n->flat != 0) {
        units_percentage(n->flat, total, pct, sizeof(pct));
        err = buf_printf(&w->tmp, "%s (%s)", fv, pct + strspn(pct, " "));
    } else {
        err = buf_puts(&w->tmp, "0");
    }
    memcpy(cv, fv, sizeof(cv));
    if (err == HW_OK && n->cum != n->flat) {
        fmt_value(w, n->cum, cv, sizeof(cv));
        units_percentage(n->cum, total, pct, sizeof(pct));
        err = buf_printf(&w->tmp, "%sof %s (%s)", n->flat != 0 ? "\\n" : " ", cv,
                         pct + strspn(pct, " "));
    }
    if (err != HW_OK)
        return err;
    if (max_flat != 0 && n->flat != 0 && (double)abs64(n->flat) <= max_flat)
        size += (int)ceil(16.0 * sqrt((double)abs64(n->flat) / max_flat));
    dot_color(share(n->cum, total), false, color);
    dot_color(share(n->cum, total), true, fill);
    if ((err = buf_printf(w->out, "N%zu [label=\"%s\" id=\"node%zu\" fontsize=%d shape=box tooltip=\"",
                          i + 1, w->tmp.data, i + 1, size)) != HW_OK ||
        (err = put_escaped(w->out, n->name)) != HW_OK)
        return err;
    return buf_printf(w->out, " (%s)\" color=\"%s\" fillcolor=\"%s\"]\n", cv, color, fill);
}

/* pprof's tag order: by cum unless flat is asked for, then flat, then name. */
static const char *
tag_name(const struct gtag *t)
{
    return t->name != NULL ? t->name : t->labels;
}

static int
tag_cmp_flat(const struct gtag *l, const struct gtag *r, bool flat)
{
    if (!flat && l->cum != r->cum)
        return abs64(l->cum) > abs64(r->cum) ? -1 : abs64(l->cum) < abs64(r->cum) ? 1 : 0;
    if (l->flat != r->flat)
        return abs64(l->flat) > abs64(r->flat) ? -1 : abs64(l->flat) < abs64(r->flat) ? 1 : 0;
    return strcmp(tag_name(l), tag_name(r));
}

static int
tag_cmp_f(const void *x, const void *y)
{
    return tag_cmp_flat(x, y, true);
}

static int
tag_cmp_c(const void *x, const void *y)
{
    return tag_cmp_flat(x, y, false);
}

static void
sort_tags(struct gtag *t, size_t n, bool flat)
{
    qsort(t, n, sizeof(*t), flat ? tag_cmp_f : tag_cmp_c);
}

/* pprof's tagDistance between the values of two numeric tags. */
static double
tag_distance(const struct gtag *t, const struct gtag *u)
{
    const char *unit;
    double v = units_scale(u->value, u->unit, t->unit, &unit);

    return v < (double)t->value ? (double)t->value - v : v - (double)t->value;
}

/* pprof's collapsedTags: more than four numeric tags are grouped around the four
 * heaviest, each group labelled "min..max" of its values. Works in place; the
 * group labels are built in tmp storage owned by names. */
static size_t
collapse_tags(struct gtag *ts, size_t n, bool flat, char names[MAX_NODELETS][160])
{
    size_t i, j, best;
    struct gtag g[MAX_NODELETS], lo[MAX_NODELETS], hi[MAX_NODELETS];
    size_t cnt[MAX_NODELETS] = {0};

    sort_tags(ts, n, flat);
    if (n <= MAX_NODELETS)
        return n;
    for (i = 0; i < MAX_NODELETS; i++) {
        g[i] = lo[i] = hi[i] = ts[i];
        cnt[i] = 1;
    }
    for (i = MAX_NODELETS; i < n; i++) {
        const char *unit;
        double d = tag_distance(&ts[i], &ts[0]);

        best = 0;
        for (j = 1; j < MAX_NODELETS; j++) {
            double nd = tag_distance(&ts[i], &ts[j]);
            if (nd < d) {
                d = nd;
                best = j;
            }
        }
        j = best;
        if ((int64_t)units_scale(ts[i].value, ts[i].unit, lo[j].unit, &unit) < lo[j].value)
            lo[j] = ts[i];
        if ((int64_t)units_scale(ts[i].value, ts[i].unit, hi[j].unit, &unit) > hi[j].value)
            hi[j] = ts[i];
        g[j].flat += ts[i].flat;
        g[j].cum += ts[i].cum;
        cnt[j]++;
    }
    for (i = 0; i < MAX_NODELETS; i++) {
        char a[64], b[64];

        units_label(lo[i].value, lo[i].unit, "auto", a, sizeof(a));
        if (cnt[i] == 1) {
            snprintf(names[i], 160, "%s", a);
        } else {
            units_label(hi[i].value, hi[i].unit, "auto", b, sizeof(b));
            snprintf(names[i], 160, "%s..%s", a, b);
        }
        g[i].name = names[i];
        ts[i] = g[i];
    }
    sort_tags(ts, MAX_NODELETS, flat);
    return MAX_NODELETS;
}

static enum hw_err
write_nodelet(struct writer *w, const char *src, const char *id, const char *name, int64_t v,
              const char *style)
{
    char wv[64];
    enum hw_err err;

    fmt_value(w, v, wv, sizeof(wv));
    if ((err = buf_printf(w->out, "%s [label = \"", id)) != HW_OK ||
        (err = put_escaped_as(w->out, name, "\\n")) != HW_OK ||
        (err = buf_printf(w->out, "\" id=\"%s\" fontsize=8 shape=box3d tooltip=\"%s\"]\n", id, wv)) != HW_OK)
        return err;
    return buf_printf(w->out, "%s -> %s [label=\" %s\" weight=100 tooltip=\"%s\" labeltooltip=\"%s\"%s]\n",
                      src, id, wv, wv, wv, style);
}

/* pprof's numericNodelets of the numeric tags filed under labels, hung off src. */
static enum hw_err
numeric_nodelets(struct writer *w, const struct gnode *n, const char *labels, bool flat,
                 const char *src, bool *any)
{
    struct gtag *ts = malloc((n->ntags + 1) * sizeof(*ts));
    char names[MAX_NODELETS][160], id[64];
    size_t i, k = 0;
    enum hw_err err = HW_OK;

    if (ts == NULL)
        return HW_NOMEM;
    for (i = 0; i < n->ntags; i++)
        if (n->tags[i].name != NULL && strcmp(n->tags[i].labels, labels) == 0)
            ts[k++] = n->tags[i];
    k = collapse_tags(ts, k, flat, names);
    for (i = 0; i < k && err == HW_OK; i++) {
        bool plain = flat || ts[i].flat == ts[i].cum;
        int64_t v = plain ? ts[i].flat : ts[i].cum;

        if (v == 0)
            continue;
        /* pprof names these "N" + source, so a node's own are "NN1_0". */
        snprintf(id, sizeof(id), "N%s_%zu", src, i);
        err = write_nodelet(w, src, id, tag_name(&ts[i]), v, plain ? "" : " style=\"dotted\"");
        *any = true;
    }
    free(ts);
    return err;
}

static bool
has_out_edges(const struct graph *g, size_t node)
{
    size_t i;

    for (i = 0; i < g->nedges; i++)
        if (g->edges[i].src == node)
            return true;
    return false;
}

/* pprof's addNodelets: the heaviest label tags as boxes hanging off the node, each
 * with its numeric tags, then the numeric tags of samples without labels. Leaves
 * with no callees show cum values, others flat ones. */
static enum hw_err
write_nodelets(struct writer *w, size_t i, bool flat, bool *any)
{
    const struct gnode *n = &w->g->nodes[i];
    struct gtag *ts;
    char src[32], id[64];
    size_t k = 0, j;
    enum hw_err err = HW_OK;

    *any = false;
    if (n->ntags == 0)
        return HW_OK;
    if ((ts = malloc(n->ntags * sizeof(*ts))) == NULL)
        return HW_NOMEM;
    for (j = 0; j < n->ntags; j++)
        if (n->tags[j].name == NULL)
            ts[k++] = n->tags[j];
    sort_tags(ts, k, flat);
    if (k > MAX_NODELETS)
        k = MAX_NODELETS;
    snprintf(src, sizeof(src), "N%zu", i + 1);
    for (j = 0; j < k && err == HW_OK; j++) {
        int64_t v = flat ? ts[j].flat : ts[j].cum;

        if (v == 0)
            continue;
        snprintf(id, sizeof(id), "N%zu_%zu", i + 1, j);
        if ((err = write_nodelet(w, src, id, ts[j].labels, v, "")) == HW_OK)
            err = numeric_nodelets(w, n, ts[j].labels, flat, id, any);
        *any = true;
    }
    if (err == HW_OK)
        err = numeric_nodelets(w, n, "", flat, src, any);
    free(ts);
    return err;
}

static int
edge_cmp(const struct graph *g, const struct gedge *l, const struct gedge *r)
{
    int c;

    if (l->weight != r->weight) {
        int64_t a = abs64(l->weight), z = abs64(r->weight);
        if (a != z)
            return a > z ? -1 : 1;
    }
    if ((c = strcmp(g->nodes[l->src].name, g->nodes[r->src].name)) != 0)
        return c;
    if ((c = strcmp(g->nodes[l->dst].name, g->nodes[r->dst].name)) != 0)
        return c;
    return l->src != r->src ? (l->src < r->src ? -1 : 1) : (l->dst < r->dst ? -1 : l->dst > r->dst);
}

/* Sorts edge indices; a simple insertion-merge keeps qsort free of context. */
static void
sort_edges(const struct graph *g, uint32_t *idx, uint32_t *tmp, size_t n)
{
    size_t mid = n / 2, i = 0, j, k = 0;

    if (n < 2)
        return;
    sort_edges(g, idx, tmp, mid);
    sort_edges(g, idx + mid, tmp, n - mid);
    for (j = mid; i < mid && j < n;)
        tmp[k++] = edge_cmp(g, &g->edges[idx[j]], &g->edges[idx[i]]) < 0 ? idx[j++] : idx[i++];
    while (i < mid)
        tmp[k++] = idx[i++];
    while (j < n)
        tmp[k++] = idx[j++];
    memcpy(idx, tmp, n * sizeof(*idx));
}

static uint64_t
umul(int64_t a, int64_t b)
{
    return (uint64_t)a * (uint64_t)b;
}

static enum hw_err
write_edge(struct writer *w, const struct gedge *e, bool src_nodelets)
{
    const struct graph *g = w->g;
    int64_t total = g->total;
    char wv[64], color[8];
    enum hw_err err;

    fmt_value(w, e->weight, wv, sizeof(wv));
    if ((err = buf_printf(w->out, "N%u -> N%u [label=\" %s%s\"", e->src + 1, e->dst + 1, wv,
                          e->inline_call ? "\\n (inline)" : "")) != HW_OK)
        return err;
    if (total != 0) {
        /* pprof's integer arithmetic, wrapping as Go's does. */
        int64_t wt = abs64((int64_t)umul(e->weight, 100) / total);
        int64_t pw = abs64((int64_t)umul(e->weight, 5) / total);

        wt = 1 + (wt < 100 ? wt : 100);
        pw = 1 + (pw < 5 ? pw : 5);
        if (wt > 1 && (err = buf_printf(w->out, " weight=%" PRId64, wt)) != HW_OK)
            return err;
        if (pw > 1 && (err = buf_printf(w->out, " penwidth=%" PRId64, pw)) != HW_OK)
            return err;
        dot_color(share(e->weight, total), false, color);
        if ((err = buf_printf(w->out, " color=\"%s\"", color)) != HW_OK)
            return err;
    }
    w->tmp.len = 0;
    if ((err = buf_puts(&w->tmp, "\"")) != HW_OK ||
        (err = put_escaped(&w->tmp, g->nodes[e->src].name)) != HW_OK ||
        (err = buf_puts(&w->tmp, e->residual ? " ... " : " -> ")) != HW_OK ||
        (err = put_escaped(&w->tmp, g->nodes[e->dst].name)) != HW_OK ||
        (err = buf_printf(&w->tmp, " (%s)\"", wv)) != HW_OK)
        return err;
    return buf_printf(w->out, " tooltip=%s labeltooltip=%s%s%s]\n", w->tmp.data, w->tmp.data,
                      e->residual ? " style=\"dotted\"" : "", src_nodelets ? " minlen=2" : "");
}

static enum hw_err
write_body(struct writer *w, bool *nodelets)
{
    const struct graph *g = w->g;
    uint32_t *idx, *tmp;
    double max_flat;
    enum hw_err err = HW_OK;
    size_t i;

    if (g->nnodes == 0)
        return HW_OK;
    max_flat = (double)abs64(g->nodes[0].flat);
    for (i = 0; i < g->nnodes; i++)
        if ((double)abs64(g->nodes[i].flat) > max_flat)
            max_flat = (double)abs64(g->nodes[i].flat);
    for (i = 0; i < g->nnodes && err == HW_OK; i++)
        if ((err = write_node(w, i, max_flat)) == HW_OK)
            err = write_nodelets(w, i, has_out_edges(g, i), &nodelets[i]);
    if (err != HW_OK)
        return err;
    idx = malloc((g->nedges + 1) * sizeof(*idx));
    tmp = malloc((g->nedges + 1) * sizeof(*tmp));
    if (idx == NULL || tmp == NULL) {
        free(idx);
        free(tmp);
        return HW_NOMEM;
    }
    for (i = 0; i < g->nedges; i++)
        idx[i] = (uint32_t)i;
    sort_edges(g, idx, tmp, g->nedges);
    for (i = 0; i < g->nedges && err == HW_OK; i++)
        err = write_edge(w, &g->edges[idx[i]], nodelets[g->edges[idx[i]].src]);
    free(idx);
    free(tmp);
    return err;
}

enum hw_err
dotgraph_write(const struct graph *g, const struct dot_legend *l, struct buf *out)
{
    struct writer w = {.g = g, .unit = graph_output_unit(g), .out = out};
    bool *nodelets = calloc(g->nnodes + 1, sizeof(*nodelets));
    enum hw_err err;

    if (nodelets == NULL)
        return HW_NOMEM;
    if ((err = shortener_init(&w.sh)) != HW_OK) {
        free(nodelets);
        return err;
    }
    buf_init(&w.tmp, 0);
    if ((err = buf_puts(out, "digraph \"")) == HW_OK &&
        (err = put_escaped(out, l->title[0] != '\0' ? l->title : "unnamed")) == HW_OK &&
        (err = buf_puts(out, "\" {\nnode [style=filled fillcolor=\"#f8f8f8\"]\n")) == HW_OK &&
        (err = write_legend(&w, l)) == HW_OK && (err = write_body(&w, nodelets)) == HW_OK)
        err = buf_puts(out, "}\n");
    buf_reset(&w.tmp);
    shortener_free(&w.sh);
    free(nodelets);
    return err;
}

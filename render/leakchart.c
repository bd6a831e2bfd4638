/* leakchart.c - the layout comes first (plot area, axis ranges and ticks, legend
 * labels sanitized and fitted to their room, measured with text.h's unhinted
 * metrics), then one drawing routine serves both surfaces. Times stay integer
 * milliseconds until they become pixels, and nothing depends on the clock or the
 * locale, so equal reports give equal bytes. Cairo's SVG surface names its top group
 * after a process-wide surface counter ("surface7"), which would make two renders of
 * one report differ: the SVG is written to a scratch buffer and copied out with that
 * id fixed and a <title> and <desc> added, which also give the chart's words as text
 * (cairo draws them as glyph outlines). */
#include "leakchart.h"

#include <cairo-svg.h>
#include <cairo.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "text.h"
#include "units.h"

#define TITLE_SIZE 14.0
#define FONT_SIZE 11.0
#define TICK_SIZE 10.0
#define PAD 10.0
#define ROW 16.0      /* legend row height */
#define LEFT 64.0     /* room for the value labels */
#define SWATCH 22.0   /* legend line sample, with its gap */
#define MIN_PLOT 60.0 /* a plot lower than this loses the legend */
#define MAX_SERIES (1 + LEAKCHART_MAX_SUSPECTS)
#define LEAKCHART_MAX_MS 1000000000000000LL

struct color {
    double r, g, b;
};

/* One line: the total or a suspect. */
struct series {
    const struct leak_point *p;
    size_t n;
    struct color col;
    double width;
    const char *name;  /* sanitized, whole: for <desc> */
    const char *label; /* sanitized and fitted: for the legend */
    char stats[96];
};

struct chart {
    const struct leak_report *r;
    double w, h;
    double px, py, pw, ph; /* the plot area */
    int64_t t0, t1, tstep; /* time range and tick step, ms */
    double vmin, vmax, vstep;
    struct series s[MAX_SERIES];
    size_t ns;
    bool legend, empty;
    const char *title; /* sanitized, whole: for <title> */
    const char *head;  /* the title fitted, and ": "; the verdict follows in colour */
    const char *verdict_name;
    const char **evidence; /* sanitized, for <desc> */
    char subtitle[256];    /* whole, for <desc> */
    const char *sub_label; /* fitted, for the chart */
    struct color verdict;
};

/* The total, then the suspects in rank order (colours that stay apart in print). */
static const struct color series_colors[MAX_SERIES] = {
    {0.20, 0.20, 0.20}, {0.84, 0.15, 0.16}, {0.12, 0.47, 0.71},
    {1.00, 0.50, 0.05}, {0.17, 0.63, 0.17}, {0.58, 0.40, 0.74},
};

void
leakchart_opts_init(struct leakchart_opts *o)
{
    o->width = 800;
    o->height = 400;
    o->title = NULL;
    o->max_suspects = LEAKCHART_MAX_SUSPECTS;
}

static struct color
verdict_color(enum leak_verdict v)
{
    static const struct color c[] = {
        [LEAK_NOT_ENOUGH_DATA] = {0.47, 0.47, 0.47},
        [LEAK_STABLE] = {0.10, 0.50, 0.22},
        [LEAK_GROWING] = {0.90, 0.32, 0.00},
        [LEAK_LEAK] = {0.78, 0.16, 0.16},
    };

    return (unsigned)v < sizeof(c) / sizeof(c[0]) ? c[v] : c[0];
}

/* A value in the report's unit as pprof prints it ("1.50MB", "1200"). */
static void
value_text(const struct leak_report *r, double v, char *out, size_t n)
{
    if (!isfinite(v) || fabs(v) > 9e18) {
        snprintf(out, n, "?");
        return;
    }
    units_label((int64_t)llround(v), r->unit ? r->unit : "count", "minimum", out, n);
}

static void
rate_text(const struct leak_report *r, double per_min, char *out, size_t n)
{
    char v[64];

    value_text(r, fabs(per_min), v, sizeof(v));
    snprintf(out, n, "%s%s/min", per_min < 0 ? "-" : "+", v);
}

enum clock_parts {
    CLOCK_FULL, /* 2026-11-23 10:15:30 */
    CLOCK_SECS, /* 10:15:30 */
    CLOCK_MINS, /* 10:15 */
    CLOCK_DAY,  /* 11-23 */
};

/* A Unix ms time in UTC, as much of it as parts says. */
static void
clock_text(int64_t ms, enum clock_parts parts, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000 - (ms % 1000 < 0)); /* floored, without overflow */
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL)
        snprintf(out, n, "%lld", (long long)ms);
    else if (parts == CLOCK_FULL)
        snprintf(out, n, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    else if (parts == CLOCK_SECS)
        snprintf(out, n, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
    else if (parts == CLOCK_MINS)
        snprintf(out, n, "%02d:%02d", tm.tm_hour, tm.tm_min);
    else
        snprintf(out, n, "%02d-%02d", tm.tm_mon + 1, tm.tm_mday);
}

/* ---- layout ----------------------------------------------------------------- */

/* Whether a point can be drawn: a finite value and a time within 30,000 years of 1970,
 * both far inside what the axes' arithmetic (int64 differences, tick loops) takes. A
 * point that cannot is a gap in its line. */
static bool
usable(const struct leak_point *p)
{
    return isfinite(p->value) && fabs(p->value) <= 1e18 && p->t_ms > -LEAKCHART_MAX_MS &&
           p->t_ms < LEAKCHART_MAX_MS;
}

/* Widens the ranges to the usable points of one series. */
static void
extend(struct chart *c, const struct leak_point *p, size_t n, bool *any)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!usable(&p[i]))
            continue;
        if (!*any || p[i].t_ms < c->t0)
            c->t0 = p[i].t_ms;
        if (!*any || p[i].t_ms > c->t1)
            c->t1 = p[i].t_ms;
        if (!*any || p[i].value > c->vmax)
            c->vmax = p[i].value;
        if (p[i].value < c->vmin)
            c->vmin = p[i].value;
        *any = true;
    }
}

/* 1, 2 or 5 times a power of ten of unit, so that span takes about n steps. */
static double
nice_step(double span, double n, double unit)
{
    double raw = span / unit / (n < 1 ? 1 : n), mag = pow(10, floor(log10(raw))), f = raw / mag;
    double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag * unit;

    return step < 1 ? 1 : step;
}

static void
value_axis(struct chart *c)
{
    double span, unit = 1;

    if (c->vmax <= c->vmin)
        c->vmax = c->vmin + 1;
    span = c->vmax - c->vmin;
    /* Bytes step by binary units, so that ticks read 5MB, 10MB rather than 4.77MB. */
    if (c->r->unit != NULL && strcmp(c->r->unit, "bytes") == 0)
        while (unit * 1024 <= c->vmax && unit < 1e18)
            unit *= 1024;
    c->vstep = nice_step(span, c->ph / 40, unit);
    c->vmin = floor(c->vmin / c->vstep) * c->vstep;
    c->vmax = ceil(c->vmax / c->vstep) * c->vstep;
}

static void
time_axis(struct chart *c)
{
    static const int64_t steps[] = {
        1000,     2000,     5000,     10000,    15000,     30000,     60000,
        120000,   300000,   600000,   900000,   1800000,   3600000,   7200000,
        10800000, 21600000, 43200000, 86400000, 172800000, 604800000,
    };
    double labels = c->pw / 80 < 2 ? 2 : c->pw / 80;
    size_t i;

    if (c->t1 - c->t0 < 1000) {
        c->t0 -= 500;
        c->t1 += 500;
    }
    c->tstep = steps[0];
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
        if ((c->tstep = steps[i]) * labels >= (double)(c->t1 - c->t0))
            return;
    while ((double)c->tstep * labels < (double)(c->t1 - c->t0))
        c->tstep *= 2;
}

/* The plot area: what the title, the tick labels and (when it fits) the legend leave. */
static void
plot_box(struct chart *c)
{
    double top = PAD + TITLE_SIZE + 6 + FONT_SIZE + 10;
    double bottom = TICK_SIZE + 12 + PAD;
    double legend = ROW * (double)c->ns + 8;

    c->legend = c->h - top - bottom - legend >= MIN_PLOT;
    if (c->legend)
        bottom += legend;
    c->px = LEFT;
    c->py = top;
    c->pw = c->w - LEFT - 2 * PAD;
    c->ph = c->h - top - bottom;
}

/* A site "func file:line" in w pixels: whole; else the short function name and the
 * file's base name; else a cut with "..". NULL on no memory. */
static const char *
fit_site(struct arena *a, const struct text_metrics *m, const char *site, double w)
{
    const char *sp = strchr(site, ' '), *file, *fn;
    char *both;
    size_t fl;

    if (text_width(m, site, strlen(site)) <= w || sp == NULL)
        return text_fit(a, m, site, w, true);
    file = strrchr(sp, '/') ? strrchr(sp, '/') + 1 : sp + 1;
    fn = arena_strndup(a, site, (size_t)(sp - site));
    if (fn == NULL)
        return NULL;
    fn = text_short_name(fn);
    fl = strlen(fn);
    if ((both = arena_alloc(a, fl + strlen(file) + 2)) == NULL)
        return NULL;
    memcpy(both, fn, fl);
    both[fl] = ' ';
    strcpy(both + fl + 1, file);
    return text_fit(a, m, both, w, true);
}

static enum hw_err
add_series(struct chart *c, struct arena *a, const struct leak_point *p, size_t n, const char *name)
{
    struct series *s = &c->s[c->ns];

    s->p = p;
    s->n = n;
    s->col = series_colors[c->ns];
    s->width = c->ns == 0 ? 2.5 : 1.6;
    if ((s->name = text_sanitize(a, name)) == NULL)
        return HW_NOMEM;
    c->ns++;
    return HW_OK;
}

static enum hw_err
collect(struct chart *c, struct arena *a, size_t max_suspects)
{
    const struct leak_report *r = c->r;
    char share[32];
    enum hw_err err;
    size_t i;

    if ((err = add_series(c, a, r->points, r->npoints,
                          r->kind == LEAK_KIND_GOROUTINE ? "total goroutines" : "total inuse")) !=
        HW_OK)
        return err;
    rate_text(r, r->total.slope, c->s[0].stats, sizeof(c->s[0].stats));
    for (i = 0; i < r->nsuspects && i < max_suspects && i < LEAKCHART_MAX_SUSPECTS; i++) {
        const struct leak_suspect *su = &r->suspects[i];
        struct series *s = &c->s[c->ns];

        if ((err = add_series(c, a, su->points, su->npoints, su->site ? su->site : "?")) != HW_OK)
            return err;
        rate_text(r, su->growth_per_min, s->stats, sizeof(s->stats));
        snprintf(share, sizeof(share), ", %.0f%%", isfinite(su->share) ? 100 * su->share : 0.0);
        strncat(s->stats, share, sizeof(s->stats) - strlen(s->stats) - 1);
    }
    return HW_OK;
}

/* Legend labels: "#N site" fitted to what the right-aligned stats leave. */
static enum hw_err
fit_labels(struct chart *c, struct arena *a)
{
    struct text_metrics m;
    char num[32];
    enum hw_err err;
    size_t i;

    if ((err = text_metrics_init(&m, FONT_SIZE)) != HW_OK)
        return err;
    for (i = 0; i < c->ns; i++) {
        struct series *s = &c->s[i];
        double room = c->w - 2 * PAD - SWATCH - 12 - text_width(&m, s->stats, strlen(s->stats));
        double nw;

        num[0] = '\0';
        if (i > 0)
            snprintf(num, sizeof(num), "#%zu ", i);
        nw = text_width(&m, num, strlen(num));
        s->label = i == 0 ? s->name : fit_site(a, &m, s->name, room - nw);
        if (s->label == NULL)
            return HW_NOMEM;
        if (i > 0) {
            char *l = arena_alloc(a, strlen(num) + strlen(s->label) + 1);

            if (l == NULL)
                return HW_NOMEM;
            strcpy(l, num);
            strcat(l, s->label);
            s->label = l;
        }
    }
    return HW_OK;
}

static enum hw_err
titles(struct chart *c, struct arena *a, const char *title)
{
    const struct leak_report *r = c->r;
    struct text_metrics m;
    char since[40], now[64];
    const char *fitted;
    char *head;
    enum hw_err err;

    if ((c->title = text_sanitize(a, title ? title : "leak detection")) == NULL)
        return HW_NOMEM;
    if ((err = text_metrics_init(&m, TITLE_SIZE)) != HW_OK)
        return err;
    if ((fitted = text_fit(a, &m, c->title, c->w * 0.6, true)) == NULL)
        return HW_NOMEM;
    if ((head = arena_alloc(a, strlen(fitted) + 3)) == NULL)
        return HW_NOMEM;
    strcpy(head, fitted);
    strcat(head, ": ");
    c->head = head;
    c->verdict = verdict_color(r->verdict);
    clock_text(r->first_ms, CLOCK_FULL, since, sizeof(since));
    value_text(r, r->value, now, sizeof(now));
    if (r->nscrapes == 0)
        snprintf(c->subtitle, sizeof(c->subtitle), "no scrape yet");
    else
        snprintf(c->subtitle, sizeof(c->subtitle),
                 "%s, %zu scrapes over %.0f s from %s UTC, now %s",
                 r->kind_name ? r->kind_name : "?", r->nscrapes,
                 ((double)r->last_ms - (double)r->first_ms) / 1000, since, now);
    if ((err = text_metrics_init(&m, FONT_SIZE)) != HW_OK)
        return err;
    c->sub_label = text_fit(a, &m, c->subtitle, c->w - 2 * PAD, true);
    return c->sub_label ? HW_OK : HW_NOMEM;
}

/* The report's own sentences, made safe for cairo and XML. */
static enum hw_err
sanitize_words(struct chart *c, struct arena *a)
{
    const struct leak_report *r = c->r;
    size_t i;

    c->verdict_name = text_sanitize(a, r->verdict_name ? r->verdict_name : "?");
    c->evidence = arena_calloc(a, r->nevidence + 1, sizeof(*c->evidence));
    if (c->verdict_name == NULL || c->evidence == NULL)
        return HW_NOMEM;
    for (i = 0; i < r->nevidence; i++)
        if ((c->evidence[i] = text_sanitize(a, r->evidence[i] ? r->evidence[i] : "")) == NULL)
            return HW_NOMEM;
    return HW_OK;
}

static enum hw_err
chart_layout(struct chart *c, const struct leak_report *r, const struct leakchart_opts *o,
             struct arena *a)
{
    bool any = false;
    enum hw_err err;
    size_t i;

    memset(c, 0, sizeof(*c));
    c->r = r;
    c->w = o->width;
    c->h = o->height;
    if ((err = collect(c, a, o->max_suspects)) != HW_OK)
        return err;
    for (i = 0; i < c->ns; i++)
        extend(c, c->s[i].p, c->s[i].n, &any);
    c->empty = !any;
    if (!any) {
        struct leak_point a0 = {r->first_ms, 0}, a1 = {r->last_ms, 0};

        c->t0 = usable(&a0) ? r->first_ms : 0;
        c->t1 = usable(&a1) && r->last_ms >= c->t0 ? r->last_ms : c->t0;
    }
    plot_box(c);
    value_axis(c);
    time_axis(c);
    if ((err = fit_labels(c, a)) != HW_OK || (err = sanitize_words(c, a)) != HW_OK)
        return err;
    return titles(c, a, o->title);
}

/* ---- drawing ---------------------------------------------------------------- */

static double
x_of(const struct chart *c, int64_t t)
{
    return c->px + (double)(t - c->t0) / (double)(c->t1 - c->t0) * c->pw;
}

static double
y_of(const struct chart *c, double v)
{
    return c->py + c->ph - (v - c->vmin) / (c->vmax - c->vmin) * c->ph;
}

static void
set_color(cairo_t *cr, struct color k)
{
    cairo_set_source_rgb(cr, k.r, k.g, k.b);
}

/* Text with its left (align 0), centre (0.5) or right (1) end at x. */
static void
show_at(cairo_t *cr, double x, double y, double align, const char *s)
{
    cairo_text_extents_t ext;

    cairo_text_extents(cr, s, &ext);
    cairo_move_to(cr, x - ext.x_advance * align, y);
    cairo_show_text(cr, s);
}

static void
draw_value_ticks(cairo_t *cr, const struct chart *c)
{
    char label[64];
    double v;

    cairo_set_font_size(cr, TICK_SIZE);
    for (v = c->vmin; v <= c->vmax + c->vstep / 2; v += c->vstep) {
        double y = floor(y_of(c, v)) + 0.5;

        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, c->px, y);
        cairo_line_to(cr, c->px + c->pw, y);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.27, 0.27, 0.27);
        value_text(c->r, v, label, sizeof(label));
        show_at(cr, c->px - 6, y + TICK_SIZE / 2 - 1, 1, label);
    }
}

static void
draw_time_ticks(cairo_t *cr, const struct chart *c)
{
    enum clock_parts fmt = c->tstep < 60000      ? CLOCK_SECS
                           : c->tstep < 86400000 ? CLOCK_MINS
                                                 : CLOCK_DAY;
    int64_t t = c->t0 - (c->t0 % c->tstep + c->tstep) % c->tstep;
    char label[40];

    cairo_set_font_size(cr, TICK_SIZE);
    for (t = t < c->t0 ? t + c->tstep : t; t <= c->t1; t += c->tstep) {
        double x = floor(x_of(c, t)) + 0.5;

        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_move_to(cr, x, c->py);
        cairo_line_to(cr, x, c->py + c->ph + 4);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.27, 0.27, 0.27);
        clock_text(t, fmt, label, sizeof(label));
        show_at(cr, x, c->py + c->ph + 6 + TICK_SIZE, 0.5, label);
    }
}

static void
draw_frame(cairo_t *cr, const struct chart *c)
{
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_line_width(cr, 1);
    draw_value_ticks(cr, c);
    draw_time_ticks(cr, c);
    cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
    cairo_rectangle(cr, floor(c->px) + 0.5, floor(c->py) + 0.5, floor(c->pw), floor(c->ph));
    cairo_stroke(cr);
}

/* One series as a line through its finite points (a gap where one is not), with dots
 * when there are few enough to see. */
static void
draw_series(cairo_t *cr, const struct chart *c, const struct series *s)
{
    bool pen = false;
    size_t i;

    set_color(cr, s->col);
    cairo_set_line_width(cr, s->width);
    for (i = 0; i < s->n; i++) {
        if (!usable(&s->p[i])) {
            pen = false;
            continue;
        }
        if (pen)
            cairo_line_to(cr, x_of(c, s->p[i].t_ms), y_of(c, s->p[i].value));
        else
            cairo_move_to(cr, x_of(c, s->p[i].t_ms), y_of(c, s->p[i].value));
        pen = true;
    }
    cairo_stroke(cr);
    for (i = 0; s->n <= c->pw / 8 && i < s->n; i++) {
        if (!usable(&s->p[i]))
            continue;
        cairo_arc(cr, x_of(c, s->p[i].t_ms), y_of(c, s->p[i].value), s->width + 0.8, 0, 2 * M_PI);
        cairo_fill(cr);
    }
}

static void
draw_lines(cairo_t *cr, const struct chart *c)
{
    size_t i;

    cairo_save(cr);
    cairo_rectangle(cr, c->px - 4, c->py - 4, c->pw + 8, c->ph + 8);
    cairo_clip(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    /* The total last, so that it stays visible where a suspect is all of it. */
    for (i = c->ns; i-- > 0;)
        draw_series(cr, c, &c->s[i]);
    cairo_restore(cr);
    if (c->empty) {
        cairo_set_source_rgb(cr, 0.47, 0.47, 0.47);
        cairo_set_font_size(cr, FONT_SIZE);
        show_at(cr, c->px + c->pw / 2, c->py + c->ph / 2, 0.5,
                c->r->nscrapes == 0 ? "no scrape yet" : "no points to draw");
    }
}

static void
draw_legend(cairo_t *cr, const struct chart *c)
{
    double y = c->py + c->ph + TICK_SIZE + 12 + 8;
    size_t i;

    cairo_set_font_size(cr, FONT_SIZE);
    for (i = 0; c->legend && i < c->ns; i++, y += ROW) {
        set_color(cr, c->s[i].col);
        cairo_set_line_width(cr, c->s[i].width);
        cairo_move_to(cr, PAD, y + ROW / 2);
        cairo_line_to(cr, PAD + SWATCH - 6, y + ROW / 2);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.13, 0.13, 0.13);
        show_at(cr, PAD + SWATCH, y + ROW / 2 + FONT_SIZE / 2 - 1, 0, c->s[i].label);
        show_at(cr, c->w - PAD, y + ROW / 2 + FONT_SIZE / 2 - 1, 1, c->s[i].stats);
    }
}

static void
draw_title(cairo_t *cr, const struct chart *c)
{
    cairo_text_extents_t ext;
    double y = PAD + TITLE_SIZE;

    cairo_set_font_size(cr, TITLE_SIZE);
    cairo_set_source_rgb(cr, 0.13, 0.13, 0.13);
    cairo_text_extents(cr, c->head, &ext);
    show_at(cr, PAD, y, 0, c->head);
    set_color(cr, c->verdict);
    show_at(cr, PAD + ext.x_advance, y, 0, c->verdict_name);
    cairo_set_font_size(cr, FONT_SIZE);
    cairo_set_source_rgb(cr, 0.33, 0.33, 0.33);
    show_at(cr, PAD, y + 6 + FONT_SIZE, 0, c->sub_label);
}

static void
draw(cairo_t *cr, const struct chart *c)
{
    cairo_font_options_t *fo = cairo_font_options_create();

    /* Unhinted, as text.h measured: the fitted labels fit on both surfaces. */
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_set_font_options(cr, fo);
    cairo_font_options_destroy(fo);
    cairo_select_font_face(cr, TEXT_FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    draw_frame(cr, c);
    draw_lines(cr, c);
    draw_legend(cr, c);
    draw_title(cr, c);
}

/* ---- output ----------------------------------------------------------------- */

static cairo_status_t
write_buf(void *closure, const unsigned char *data, unsigned int len)
{
    return buf_append(closure, data, len) == HW_OK ? CAIRO_STATUS_SUCCESS
                                                   : CAIRO_STATUS_WRITE_ERROR;
}

/* Draws c on s (which the caller releases) and reports cairo's verdict. */
static enum hw_err
draw_on(cairo_surface_t *s, const struct chart *c, struct errbuf *eb)
{
    cairo_t *cr = cairo_create(s); /* on failure an inert error object */
    cairo_status_t st;

    if (cairo_status(cr) == CAIRO_STATUS_SUCCESS)
        draw(cr, c);
    st = cairo_status(cr);
    cairo_destroy(cr);
    if (st != CAIRO_STATUS_SUCCESS)
        return errbuf_set(eb, HW_NOMEM, "drawing the chart: %s", cairo_status_to_string(st));
    return HW_OK;
}

static enum hw_err
render_png(const struct chart *c, struct buf *out, struct errbuf *eb)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)c->w, (int)c->h);
    enum hw_err err = draw_on(s, c, eb);

    if (err == HW_OK &&
        cairo_surface_write_to_png_stream(s, write_buf, out) != CAIRO_STATUS_SUCCESS)
        err = errbuf_set(eb, buf_is_full(out) ? HW_TOOBIG : HW_IO, "writing the PNG: %s",
                         buf_is_full(out) ? "output limit reached" : "cairo failed");
    cairo_surface_destroy(s);
    return err;
}

/* The chart's words for <title> and <desc>: what a screen reader or a search finds. */
static enum hw_err
svg_words(const struct chart *c, struct buf *out)
{
    const struct leak_report *r = c->r;
    enum hw_err err;
    size_t i;

    err = buf_puts(out, "\n<title>");
    err = err ? err : text_xml(out, c->title);
    err = err ? err : buf_puts(out, ": ");
    err = err ? err : text_xml(out, c->verdict_name);
    err = err ? err : buf_puts(out, "</title>\n<desc>");
    err = err ? err : text_xml(out, c->subtitle);
    for (i = 0; err == HW_OK && i < r->nevidence; i++) {
        err = buf_puts(out, "\n");
        err = err ? err : text_xml(out, c->evidence[i]);
    }
    for (i = 0; err == HW_OK && i < c->ns; i++) {
        err = i ? buf_printf(out, "\n#%zu ", i) : buf_puts(out, "\n");
        err = err ? err : text_xml(out, c->s[i].name);
        err = err ? err : buf_printf(out, ": %s", c->s[i].stats);
    }
    return err ? err : buf_puts(out, "</desc>");
}

/* Copies cairo's SVG to out with the words added after the <svg> tag and the
 * counter-numbered id of the top group made constant. */
static enum hw_err
svg_finish(const struct chart *c, const struct buf *svg, struct buf *out, struct errbuf *eb)
{
    static const char group[] = "<g id=\"surface";
    const char *s = svg->data ? (const char *)svg->data : "", *open = strstr(s, "<svg"), *gt, *id;
    enum hw_err err;

    if (open == NULL || (gt = strchr(open, '>')) == NULL)
        return errbuf_set(eb, HW_IO, "cairo wrote no <svg> element");
    if ((err = buf_append(out, s, (size_t)(gt + 1 - s))) != HW_OK ||
        (err = svg_words(c, out)) != HW_OK)
        return err;
    s = gt + 1;
    if ((id = strstr(s, group)) != NULL) {
        if ((err = buf_append(out, s, (size_t)(id - s))) != HW_OK ||
            (err = buf_puts(out, "<g id=\"chart")) != HW_OK)
            return err;
        s = id + sizeof(group) - 1;
        s += strspn(s, "0123456789");
    }
    return buf_puts(out, s);
}

static enum hw_err
render_svg(const struct chart *c, struct buf *out, struct errbuf *eb)
{
    struct buf svg;
    cairo_surface_t *s;
    enum hw_err err;

    buf_init(&svg, out->max);
    s = cairo_svg_surface_create_for_stream(write_buf, &svg, c->w, c->h);
    cairo_svg_surface_set_document_unit(s, CAIRO_SVG_UNIT_PX);
    err = draw_on(s, c, eb);
    cairo_surface_finish(s);
    if (err == HW_OK && cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
        err = errbuf_set(eb, buf_is_full(&svg) ? HW_TOOBIG : HW_NOMEM, "writing the SVG: %s",
                         buf_is_full(&svg) ? "output limit reached"
                                           : cairo_status_to_string(cairo_surface_status(s)));
    cairo_surface_destroy(s);
    if (err == HW_OK && (err = svg_finish(c, &svg, out, eb)) == HW_TOOBIG)
        errbuf_set(eb, err, "writing the SVG: output limit reached");
    buf_reset(&svg);
    return err;
}

enum hw_err
leakchart_render(const struct leak_report *r, const struct leakchart_opts *o,
                 enum leakchart_format fmt, struct buf *out, struct errbuf *eb)
{
    struct chart c;
    struct arena *a;
    enum hw_err err;

    if (o->width < LEAKCHART_MIN_WIDTH || o->width > LEAKCHART_MAX_WIDTH ||
        o->height < LEAKCHART_MIN_HEIGHT || o->height > LEAKCHART_MAX_HEIGHT)
        return errbuf_set(eb, HW_USAGE, "a chart is %d..%d pixels wide and %d..%d high, not %ux%u",
                          LEAKCHART_MIN_WIDTH, LEAKCHART_MAX_WIDTH, LEAKCHART_MIN_HEIGHT,
                          LEAKCHART_MAX_HEIGHT, o->width, o->height);
    if ((a = arena_new(0)) == NULL)
        return HW_NOMEM;
    if ((err = chart_layout(&c, r, o, a)) == HW_OK)
        err = fmt == LEAKCHART_PNG ? render_png(&c, out, eb) : render_svg(&c, out, eb);
    arena_free(a);
    return err;
}

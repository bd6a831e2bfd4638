/* params.c - query parameters to a struct render_params. Every value is checked here,
 * and bounded (length, width, node count), so that the render code can trust it and a
 * hostile query cannot ask for a gigapixel image or a regexp the size of the request.
 * Times are parsed without the C library's time zone state, which is not thread-safe. */
#include "params.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"

static enum hw_err
bad(struct errbuf *eb, const char *name, const char *why, const char *value)
{
    return errbuf_set(eb, HW_USAGE, "bad parameter %s: %s (got \"%.60s%s\")", name, why, value,
                      strlen(value) > 60 ? "..." : "");
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (y >= 1970). */
static int64_t
days_since_epoch(int y, int m, int d)
{
    static const int before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    int64_t yy = y - 1, days;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    /* Leap days in the years before y, minus those before 1970 (477). */
    days = 365 * (int64_t)(y - 1970) + (yy / 4 - yy / 100 + yy / 400) - 477;
    return days + before[m - 1] + (leap && m > 2) + d - 1;
}

/* Reads exactly n digits. */
static bool
digits(const char **s, int n, int *out)
{
    int v = 0;

    for (; n > 0; n--, (*s)++) {
        if (**s < '0' || **s > '9')
            return false;
        v = v * 10 + (**s - '0');
    }
    *out = v;
    return true;
}

/* "2026-11-23T10:15:00Z", with optional fraction and a "+02:00" offset. */
static bool
parse_rfc3339(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, sec, oh = 0, om = 0, frac = 0, scale = 100, sign = 0;

    if (!digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) || *s++ != '-' ||
        !digits(&s, 2, &d) || (*s != 'T' && *s != 't' && *s != ' '))
        return false;
    s++;
    if (!digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &mi) || *s++ != ':' ||
        !digits(&s, 2, &sec))
        return false;
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10)
            frac += (*s - '0') * scale;
    }
    if (*s == 'Z' || *s == 'z')
        s++;
    else if (*s == '+' || *s == '-') {
        sign = *s++ == '+' ? 1 : -1;
        if (!digits(&s, 2, &oh) || *s++ != ':' || !digits(&s, 2, &om))
            return false;
    } else
        return false;
    if (*s != '\0' || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 60 || oh > 23 || om > 59)
        return false;
    *ms = ((days_since_epoch(y, mo, d) * 24 + h) * 60 + mi) * 60 + sec;
    *ms = (*ms - sign * (oh * 3600 + om * 60)) * 1000 + frac;
    return true;
}

enum hw_err
params_time(const char *name, const char *s, struct time_spec *out, struct errbuf *eb)
{
    static const char *const why =
        "want latest, a profile id (Unix ms), an RFC 3339 time or a relative time such as -1h";
    char *end;
    long long v;

    if (strcmp(s, "latest") == 0 && strcmp(name, "at") == 0) {
        out->kind = TIME_LATEST;
        return HW_OK;
    }
    if (s[0] >= '0' && s[0] <= '9' && strspn(s, "0123456789") == strlen(s)) {
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno != 0 || v <= 0)
            return bad(eb, name, "the id is out of range", s);
        out->kind = TIME_ID;
        out->ms = v;
        return HW_OK;
    }
    if (s[0] == '-') {
        if (config_parse_duration(s + 1, &out->ms) != HW_OK || out->ms <= 0)
            return bad(eb, name, why, s);
        out->kind = TIME_REL;
        out->ms = -out->ms;
        return HW_OK;
    }
    if (!parse_rfc3339(s, &out->ms))
        return bad(eb, name, why, s);
    out->kind = TIME_ABS;
    return HW_OK;
}

int64_t
params_time_ms(const struct time_spec *t, int64_t now_ms)
{
    switch (t->kind) {
    case TIME_ID:
    case TIME_ABS:
        return t->ms;
    case TIME_REL:
        return now_ms + t->ms;
    default:
        return INT64_MAX;
    }
}

int64_t
params_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "1", "true" or "" (a bare ?reverse) are true; "0" and "false" false. */
static enum hw_err
parse_bool(const char *name, const char *v, bool *out, struct errbuf *eb)
{
    if (v == NULL)
        return HW_OK;
    if (v[0] == '\0' || strcmp(v, "1") == 0 || strcmp(v, "true") == 0)
        *out = true;
    else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0)
        *out = false;
    else
        return bad(eb, name, "want 1, true, 0 or false", v);
    return HW_OK;
}

static enum hw_err
parse_long(const char *name, const char *v, long lo, long hi, long *out, struct errbuf *eb)
{
    char *end;
    long n;

    if (v == NULL)
        return HW_OK;
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < lo || n > hi) {
        char why[64];

        snprintf(why, sizeof(why), "want a whole number in %ld..%ld", lo, hi);
        return bad(eb, name, why, v);
    }
    *out = n;
    return HW_OK;
}

static enum hw_err
parse_fraction(const char *name, const char *v, double *out, struct errbuf *eb)
{
    char *end;
    double f;

    if (v == NULL)
        return HW_OK;
    errno = 0;
    f = strtod(v, &end);
    if (errno != 0 || end == v || *end != '\0' || !(f >= 0 && f <= 1))
        return bad(eb, name, "want a fraction in 0..1", v);
    *out = f;
    return HW_OK;
}

static enum hw_err
parse_gran(const char *v, enum granularity *out, struct errbuf *eb)
{
    static const char *const names[] = {"functions", "filefunctions", "files", "lines",
                                        "addresses"};
    size_t i;

    if (v == NULL)
        return HW_OK;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(v, names[i]) == 0) {
            *out = (enum granularity)i;
            return HW_OK;
        }
    return bad(eb, "granularity", "want functions, filefunctions, files, lines or addresses", v);
}

/* The filters, each a regexp (or tag range) no longer than PARAMS_MAX_VALUE. */
static enum hw_err
parse_filters(struct render_params *rp, const char *(*get)(const void *, const char *),
              const void *ctx, struct errbuf *eb)
{
    static const char *const names[] = {"focus",     "ignore",     "hide",     "show",
                                        "show_from", "prune_from", "tagfocus", "tagignore"};
    const char **slots[] = {&rp->filters.focus,    &rp->filters.ignore,    &rp->filters.hide,
                            &rp->filters.show,     &rp->filters.show_from, &rp->filters.prune_from,
                            &rp->filters.tagfocus, &rp->filters.tagignore};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = get(ctx, names[i]);

        if (v != NULL && v[0] != '\0')
            *slots[i] = v;
    }
    return filter_check(&rp->filters, eb);
}

/* Flame graph options: width, minwidth, sort, palette, title. */
static enum hw_err
parse_flame(struct render_params *rp, const char *(*get)(const void *, const char *),
            const void *ctx, struct errbuf *eb)
{
    const char *v;
    long w = FLAME_DEFAULT_WIDTH;
    enum hw_err err;

    if ((err = parse_long("width", get(ctx, "width"), FLAME_MIN_WIDTH, PARAMS_MAX_WIDTH, &w, eb)) !=
        HW_OK)
        return err;
    rp->flame.width = (unsigned)w;
    if ((v = get(ctx, "minwidth")) != NULL && flame_parse_minwidth(v, &rp->flame) != HW_OK)
        return bad(eb, "minwidth", "want pixels (0.5) or a percentage (0.1%)", v);
    if ((v = get(ctx, "sort")) != NULL) {
        if (strcmp(v, "name") != 0 && strcmp(v, "weight") != 0)
            return bad(eb, "sort", "want name or weight", v);
        rp->flame.sort = strcmp(v, "weight") == 0 ? FLAME_SORT_WEIGHT : FLAME_SORT_NAME;
    }
    if ((v = get(ctx, "palette")) != NULL) {
        if (palette_parse(v, &rp->flame.palette) != HW_OK)
            return bad(eb, "palette", "want mem, hot or pkg", v);
        rp->flame.palette_set = true;
    }
    rp->flame.title = get(ctx, "title");
    return HW_OK;
}

static enum hw_err
parse_bools(struct render_params *rp, const char *(*get)(const void *, const char *),
            const void *ctx, struct errbuf *eb)
{
    static const char *const names[] = {"reverse",   "inverted", "negate",
                                        "fullnames", "cum",      "delta"};
    bool *slots[] = {&rp->reverse,   &rp->inverted, &rp->negate,
                     &rp->fullnames, &rp->cum,      &rp->delta};
    enum hw_err err;
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if ((err = parse_bool(names[i], get(ctx, names[i]), slots[i], eb)) != HW_OK)
            return err;
    rp->flame.reverse = rp->reverse;
    rp->flame.inverted = rp->inverted;
    rp->flame.negate = rp->negate;
    rp->flame.fullnames = rp->fullnames;
    return HW_OK;
}

/* Refuses values longer than PARAMS_MAX_VALUE before anything looks at them. */
static enum hw_err
check_lengths(const char *(*get)(const void *, const char *), const void *ctx, struct errbuf *eb)
{
    static const char *const names[] = {
        "target",       "type",        "at",       "base",      "sample_index", "focus",
        "ignore",       "hide",        "show",     "show_from", "prune_from",   "tagfocus",
        "tagignore",    "title",       "minwidth", "width",     "nodecount",    "nodefraction",
        "edgefraction", "granularity", "sort",     "palette"};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = get(ctx, names[i]);

        if (v != NULL && strlen(v) > PARAMS_MAX_VALUE)
            return errbuf_set(eb, HW_USAGE, "bad parameter %s: longer than %d bytes", names[i],
                              PARAMS_MAX_VALUE);
    }
    return HW_OK;
}

enum hw_err
params_parse(struct render_params *rp, const char *(*get)(const void *ctx, const char *name),
             const void *ctx, struct errbuf *eb)
{
    const char *v;
    long n = -1;
    enum hw_err err;

    memset(rp, 0, sizeof(*rp));
    flame_opts_init(&rp->flame);
    rp->at.kind = TIME_LATEST;
    rp->nodecount = -1;
    rp->nodefraction = 0.005;
    rp->edgefraction = 0.001;
    if ((err = check_lengths(get, ctx, eb)) != HW_OK)
        return err;
    rp->target = get(ctx, "target");
    rp->type = get(ctx, "type");
    if (((v = get(ctx, "at")) != NULL && v[0] != '\0' &&
         (err = params_time("at", v, &rp->at, eb)) != HW_OK) ||
        ((v = get(ctx, "base")) != NULL && v[0] != '\0' &&
         (err = params_time("base", v, &rp->base, eb)) != HW_OK))
        return err;
    if ((v = get(ctx, "sample_index")) != NULL && v[0] != '\0')
        rp->sample_index = v;
    if ((err = parse_bools(rp, get, ctx, eb)) != HW_OK ||
        (err = parse_gran(get(ctx, "granularity"), &rp->gran, eb)) != HW_OK ||
        (err = parse_long("nodecount", get(ctx, "nodecount"), 1, PARAMS_MAX_NODECOUNT, &n, eb)) !=
            HW_OK ||
        (err = parse_fraction("nodefraction", get(ctx, "nodefraction"), &rp->nodefraction, eb)) !=
            HW_OK ||
        (err = parse_fraction("edgefraction", get(ctx, "edgefraction"), &rp->edgefraction, eb)) !=
            HW_OK ||
        (err = parse_flame(rp, get, ctx, eb)) != HW_OK)
        return err;
    rp->nodecount = (int)n;
    return parse_filters(rp, get, ctx, eb);
}

/* "name=LEN:value\n": lengths keep values with separators in them unambiguous. */
static enum hw_err
put(struct buf *b, const char *name, const char *v)
{
    return buf_printf(b, "%s=%zu:%s\n", name, v ? strlen(v) : (size_t)0, v ? v : "");
}

enum hw_err
params_normalise(const struct render_params *rp, struct buf *out)
{
    const struct filter_opts *f = &rp->filters;
    const struct flame_opts *o = &rp->flame;
    enum hw_err err;

    if ((err = put(out, "sample_index", rp->sample_index)) != HW_OK ||
        (err = put(out, "focus", f->focus)) != HW_OK ||
        (err = put(out, "ignore", f->ignore)) != HW_OK ||
        (err = put(out, "hide", f->hide)) != HW_OK || (err = put(out, "show", f->show)) != HW_OK ||
        (err = put(out, "show_from", f->show_from)) != HW_OK ||
        (err = put(out, "prune_from", f->prune_from)) != HW_OK ||
        (err = put(out, "tagfocus", f->tagfocus)) != HW_OK ||
        (err = put(out, "tagignore", f->tagignore)) != HW_OK ||
        (err = put(out, "title", o->title)) != HW_OK)
        return err;
    return buf_printf(out,
                      "gran=%d delta=%d reverse=%d inverted=%d negate=%d fullnames=%d cum=%d "
                      "width=%u minwidth=%.17g%s sort=%d palette=%d/%d nodecount=%d "
                      "nodefraction=%.17g edgefraction=%.17g\n",
                      (int)rp->gran, rp->delta, rp->reverse, rp->inverted, rp->negate,
                      rp->fullnames, rp->cum, o->width, o->minwidth, o->minwidth_pct ? "%" : "",
                      (int)o->sort, o->palette_set, (int)o->palette, rp->nodecount,
                      rp->nodefraction, rp->edgefraction);
}

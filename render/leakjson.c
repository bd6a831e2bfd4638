/* leakjson.c - the JSON is built as a jansson tree, which the report's size (a few
 * dozen suspects of a few hundred points) keeps small, and dumped once; names pass
 * through text_sanitize first, since jansson refuses invalid UTF-8. The text form is
 * written straight into the buffer. Both use a scratch arena for sanitized names. */
#include "leakjson.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "units.h"

/* Sets key to v in o, consuming v; false when v is NULL or the set fails. */
static bool
put(json_t *o, const char *key, json_t *v)
{
    return v != NULL && json_object_set_new(o, key, v) == 0;
}

/* A JSON number for a finite double, null otherwise (JSON has no NaN). */
static json_t *
num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *
str(struct arena *a, const char *s)
{
    const char *clean = text_sanitize(a, s ? s : "");

    return clean ? json_string(clean) : NULL;
}

static json_t *
trend_json(const struct trend *tr)
{
    json_t *o = json_object(), *mk, *rec;
    bool ok;

    /* The members go in first, so that one decref releases everything on failure. */
    if (o == NULL || !put(o, "mann_kendall", json_object()) || !put(o, "recent", json_object())) {
        json_decref(o);
        return NULL;
    }
    mk = json_object_get(o, "mann_kendall");
    rec = json_object_get(o, "recent");
    ok = put(mk, "s", num(tr->s)) && put(mk, "var_s", num(tr->var_s)) && put(mk, "z", num(tr->z)) &&
         put(mk, "p", num(tr->p)) && put(rec, "points", json_integer((json_int_t)tr->recent_n)) &&
         put(rec, "slope_per_min", num(tr->recent_slope)) && put(rec, "z", num(tr->recent_z)) &&
         put(rec, "p", num(tr->recent_p)) && put(o, "points", json_integer((json_int_t)tr->n)) &&
         put(o, "slope_per_min", num(tr->slope)) && put(o, "growth", num(tr->last - tr->first)) &&
         put(o, "tau", num(tr->tau)) && put(o, "levelled_off", json_boolean(tr->levelled));
    if (ok)
        return o;
    json_decref(o);
    return NULL;
}

static json_t *
points_json(const struct leak_point *p, size_t n)
{
    json_t *a = json_array();
    size_t i;

    for (i = 0; a != NULL && i < n; i++) {
        json_t *pt = json_pack("[Io]", (json_int_t)p[i].t_ms, num(p[i].value));

        if (pt == NULL || json_array_append_new(a, pt) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *
strings_json(struct arena *a, const char *const *s, size_t n)
{
    json_t *v = json_array();
    size_t i;

    for (i = 0; v != NULL && i < n; i++) {
        json_t *e = str(a, s[i]);

        if (e == NULL || json_array_append_new(v, e) != 0) {
            json_decref(v);
            return NULL;
        }
    }
    return v;
}

static json_t *
suspect_json(struct arena *a, const struct leak_suspect *s, size_t rank)
{
    json_t *o = json_object();
    bool ok = o != NULL;

    ok = ok && put(o, "rank", json_integer((json_int_t)rank)) && put(o, "site", str(a, s->site)) &&
         put(o, "stack", strings_json(a, s->frames, s->nframes)) &&
         put(o, "found_by", json_string(s->from_stack ? "stack" : "site")) &&
         put(o, "value", num(s->value)) && put(o, "objects", num(s->objects)) &&
         put(o, "growth_per_min", num(s->growth_per_min)) && put(o, "share", num(s->share)) &&
         put(o, "first_seen_ms", json_integer(s->first_seen_ms)) &&
         put(o, "trend", trend_json(&s->trend)) &&
         put(o, "points", points_json(s->points, s->npoints));
    if (ok)
        return o;
    json_decref(o);
    return NULL;
}

static json_t *
memstats_json(const struct leak_report *r)
{
    json_t *v = json_array();
    size_t i;

    for (i = 0; v != NULL && i < r->nmemstats; i++) {
        const struct leak_memstat *m = &r->memstats[i];
        json_t *o = json_object();

        if (o == NULL || json_array_append_new(v, o) != 0 ||
            !put(o, "name", json_string(m->name)) || !put(o, "trend", trend_json(&m->trend)) ||
            !put(o, "points", points_json(m->points, m->npoints))) {
            json_decref(v);
            return NULL;
        }
    }
    return v;
}

static json_t *
suspects_json(struct arena *a, const struct leak_report *r)
{
    json_t *v = json_array();
    size_t i;

    for (i = 0; v != NULL && i < r->nsuspects; i++) {
        json_t *s = suspect_json(a, &r->suspects[i], i + 1);

        if (s == NULL || json_array_append_new(v, s) != 0) {
            json_decref(v);
            return NULL;
        }
    }
    return v;
}

static json_t *
report_json(struct arena *a, const struct leak_report *r)
{
    json_t *o = json_object(), *w = json_object(), *t = json_object();
    bool ok;

    /* w and t are set with json_object_set, which takes a reference of its own, so
     * that ours can be dropped below whether or not they made it into o. */
    ok = o && w && t && put(o, "kind", json_string(r->kind_name)) &&
         put(o, "unit", json_string(r->unit)) && put(o, "verdict", json_string(r->verdict_name)) &&
         json_object_set(o, "window", w) == 0 && put(w, "first_ms", json_integer(r->first_ms)) &&
         put(w, "last_ms", json_integer(r->last_ms)) &&
         put(w, "scrapes", json_integer((json_int_t)r->nscrapes)) &&
         put(w, "restarts", json_integer((json_int_t)r->restarts)) &&
         put(o, "evidence", strings_json(a, r->evidence, r->nevidence)) &&
         json_object_set(o, "total", t) == 0 && put(t, "value", num(r->value)) &&
         put(t, "objects", num(r->objects)) && put(t, "trend", trend_json(&r->total)) &&
         put(t, "points", points_json(r->points, r->npoints)) &&
         put(o, "floor_per_min", num(r->floor_per_min)) &&
         put(o, "suspects", suspects_json(a, r)) && put(o, "memstats", memstats_json(r));
    json_decref(w);
    json_decref(t);
    if (ok)
        return o;
    json_decref(o);
    return NULL;
}

enum hw_err
leakjson_render(const struct leak_report *r, struct buf *out)
{
    struct arena *a = arena_new(0);
    json_t *o = a ? report_json(a, r) : NULL;
    char *s =
        o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) : NULL;
    enum hw_err err = HW_NOMEM;

    if (s != NULL && (err = buf_puts(out, s)) == HW_OK)
        err = buf_puts(out, "\n");
    free(s);
    json_decref(o);
    arena_free(a);
    return err;
}

/* ---- text ---- */

static void
human(const struct leak_report *r, double v, char *out, size_t n)
{
    if (r->kind == LEAK_KIND_HEAP)
        units_label((int64_t)llround(v), "bytes", "minimum", out, n);
    else
        snprintf(out, n, "%.0f", v);
}

static enum hw_err
text_header(const struct leak_report *r, struct buf *out)
{
    enum hw_err err;
    size_t i;

    err = buf_printf(out, "verdict: %s (%s profile, %zu scrapes over %.0f s)\n", r->verdict_name,
                     r->kind_name, r->nscrapes, (double)(r->last_ms - r->first_ms) / 1000);
    for (i = 0; i < r->nevidence && err == HW_OK; i++)
        err = buf_printf(out, "  %s\n", r->evidence[i]);
    return err;
}

static enum hw_err
text_suspect(struct arena *a, const struct leak_report *r, size_t i, struct buf *out)
{
    const struct leak_suspect *s = &r->suspects[i];
    char v[64], o[64], g[64];
    const char *site = text_sanitize(a, s->site);
    enum hw_err err;
    size_t k;

    human(r, s->value, v, sizeof(v));
    snprintf(o, sizeof(o), "%.0f", s->objects);
    human(r, s->growth_per_min, g, sizeof(g));
    if (site == NULL)
        return HW_NOMEM;
    if (r->kind == LEAK_KIND_HEAP)
        err = buf_printf(out, "%3zu %10s %9s %10s/min %5.1f%% %+7.0fs  %s\n", i + 1, v, o, g,
                         100 * s->share, (double)(s->first_seen_ms - r->first_ms) / 1000, site);
    else
        err = buf_printf(out, "%3zu %10s %10s/min %5.1f%% %+7.0fs  %s\n", i + 1, v, g,
                         100 * s->share, (double)(s->first_seen_ms - r->first_ms) / 1000, site);
    for (k = 0; k < s->nframes && err == HW_OK; k++) {
        const char *f = text_sanitize(a, s->frames[k]);

        if (f == NULL)
            return HW_NOMEM;
        err = buf_printf(out, "%s%s", k == 0 ? "      stack: " : ";", f);
    }
    if (err == HW_OK && s->nframes > 0)
        err = buf_puts(out, "\n");
    return err;
}

enum hw_err
leakjson_text(const struct leak_report *r, struct buf *out)
{
    struct arena *a = arena_new(0);
    enum hw_err err;
    size_t i;

    if (a == NULL)
        return HW_NOMEM;
    if ((err = text_header(r, out)) != HW_OK || r->nsuspects == 0)
        goto out;
    if (r->kind == LEAK_KIND_HEAP)
        err = buf_puts(out, "suspects:\n  #      inuse   objects     growth    share  "
                            "first seen  site\n");
    else
        err = buf_puts(out, "suspects:\n  # goroutines     growth    share  first seen  site\n");
    for (i = 0; i < r->nsuspects && err == HW_OK; i++)
        err = text_suspect(a, r, i, out);
out:
    arena_free(a);
    return err;
}

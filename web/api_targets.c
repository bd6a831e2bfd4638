/* api_targets.c - GET /api/targets: every target with its labels and, per profile
 * type, health, last error, last scrape, totals of the latest scrape, the number of
 * stored scrapes and the leak verdict of the scraper's last periodic report. A
 * target's health is "down" when any of its types is down; its leak verdict is the
 * worst of its types' (leak, growing, stable, not enough data: a verdict outranks the
 * want of one), null when no type has one yet. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "routes.h"

static const char *
health_name(int h)
{
    return h > 0 ? "up" : h < 0 ? "down" : "unknown";
}

static json_t *
labels_json(const struct kvlist *l)
{
    json_t *o = json_object();
    size_t i;

    for (i = 0; o != NULL && i < l->n; i++)
        json_object_set_new(o, l->v[i].key, json_string(l->v[i].value));
    return o;
}

static json_t *
series_json(const struct http_req *rq, const struct series_status *st)
{
    json_t *o = json_object(), *totals = json_object(), *delta;
    struct hist_entry last;
    size_t i, n = history_count(rq->hist, st->target, st->type, &last);

    for (i = 0; i < st->summary.ntypes; i++)
        json_object_set_new(totals, st->summary.types[i], json_integer(st->summary.totals[i]));
    json_object_set_new(o, "health", json_string(health_name(st->health)));
    json_object_set_new(o, "url", json_string(st->url));
    json_object_set_new(o, "last_error", st->health < 0 ? json_string(st->last_error) : json_null());
    json_object_set_new(o, "last_scrape_ms", json_integer(st->last_scrape_ms));
    json_object_set_new(o, "last_success_ms", json_integer(st->last_success_ms));
    json_object_set_new(o, "last_duration_ms", json_integer(st->last_duration_ms));
    json_object_set_new(o, "consecutive_failures", json_integer((json_int_t)st->consecutive_failures));
    json_object_set_new(o, "scrapes_ok", json_integer((json_int_t)st->scrapes_ok));
    json_object_set_new(o, "scrapes_failed", json_integer((json_int_t)st->scrapes_failed));
    json_object_set_new(o, "bytes_received", json_integer((json_int_t)st->bytes_received));
    json_object_set_new(o, "interval_ms", json_integer(st->interval_ms));
    json_object_set_new(o, "lag_last_ms", json_integer(st->lag_last_ms));
    json_object_set_new(o, "lag_max_ms", json_integer(st->lag_max_ms));
    json_object_set_new(o, "stored", json_integer((json_int_t)n));
    json_object_set_new(o, "latest_id", n ? json_integer(last.id) : json_null());
    json_object_set_new(o, "totals", totals);
    if (n > 0 && (last.flags & HIST_DELTA)) {
        delta = json_pack("{s:I,s:I}", "alloc_objects", (json_int_t)last.delta[0],
                          "alloc_space", (json_int_t)last.delta[1]);
        json_object_set_new(o, "alloc_delta", delta);
    }
    json_object_set_new(o, "restarted", json_boolean(n > 0 && (last.flags & HIST_RESTART)));
    json_object_set_new(o, "leak_verdict",
                        st->has_verdict ? json_string(leak_verdict_name(st->verdict))
                                        : json_null());
    return o;
}

static json_t *
target_json(const struct series_status *st)
{
    json_t *t = json_object();

    json_object_set_new(t, "name", json_string(st->target));
    json_object_set_new(t, "job", json_string(st->job));
    json_object_set_new(t, "labels", labels_json(&st->labels));
    json_object_set_new(t, "health", json_string(health_name(st->health)));
    json_object_set_new(t, "leak_verdict", json_null());
    json_object_set_new(t, "profiles", json_object());
    return t;
}

/* Folds one type's health and leak verdict into its target's; *worst is the target's
 * verdict so far (-1: none). */
static void
target_fold(json_t *t, const struct series_status *st, int *worst)
{
    if (st->health < 0 ||
        (st->health == 0 && strcmp(json_string_value(json_object_get(t, "health")), "up") == 0))
        json_object_set_new(t, "health", json_string(health_name(st->health)));
    if (st->has_verdict && (int)st->verdict > *worst) {
        *worst = (int)st->verdict;
        json_object_set_new(t, "leak_verdict", json_string(leak_verdict_name(st->verdict)));
    }
}

enum hw_err
route_api_targets(const struct http_req *rq, struct http_resp *rs)
{
    struct series_status *v = NULL;
    json_t *arr = json_array(), *t = NULL;
    size_t i, n = 0;
    int worst = -1;
    char *text;
    enum hw_err err;

    if ((err = scraper_status(rq->scraper, &v, &n)) != HW_OK) {
        json_decref(arr);
        return err;
    }
    for (i = 0; i < n; i++) {
        if (t == NULL || strcmp(json_string_value(json_object_get(t, "name")), v[i].target) != 0) {
            json_array_append_new(arr, t = target_json(&v[i]));
            worst = -1;
        }
        target_fold(t, &v[i], &worst);
        json_object_set_new(json_object_get(t, "profiles"), v[i].type, series_json(rq, &v[i]));
    }
    series_status_free(v, n);
    text = json_dumps(arr, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_decref(arr);
    if (text == NULL)
        return HW_NOMEM;
    err = buf_puts(&rs->body, text);
    free(text);
    rs->ctype = "application/json";
    rs->cache_control = "no-cache";
    return err == HW_OK ? buf_puts(&rs->body, "\n") : err;
}

enum hw_err
route_healthz(const struct http_req *rq, struct http_resp *rs)
{
    (void)rq;
    rs->ctype = "text/plain; charset=utf-8";
    return buf_puts(&rs->body, "ok\n");
}

/* api_profiles.c - GET /api/profiles?target=&type=: the stored scrapes of one target
 * and type, oldest first, with id, time, size, totals and the alloc delta since the
 * previous scrape (null across a restart, where a new baseline starts). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

#include "routes.h"

static json_t *
entry_json(const struct hist_entry *e, const struct series_status *st)
{
    json_t *o = json_object(), *totals = json_object();
    char when[40];
    time_t t = (time_t)(e->id / 1000);
    struct tm tm;
    size_t i;

    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%03dZ", (int)(e->id % 1000));
    for (i = 0; i < e->ntotals; i++) {
        char name[24];
        const char *key = name;

        if (st != NULL && st->has_summary && i < st->summary.ntypes)
            key = st->summary.types[i];
        else
            snprintf(name, sizeof(name), "%zu", i);
        json_object_set_new(totals, key, json_integer(e->totals[i]));
    }
    json_object_set_new(o, "id", json_integer(e->id));
    json_object_set_new(o, "time", json_string(when));
    json_object_set_new(o, "size", json_integer(e->size));
    json_object_set_new(o, "totals", totals);
    json_object_set_new(o, "alloc_delta",
                        (e->flags & HIST_DELTA)
                            ? json_pack("{s:I,s:I}", "alloc_objects", (json_int_t)e->delta[0],
                                        "alloc_space", (json_int_t)e->delta[1])
                            : json_null());
    json_object_set_new(o, "restart", json_boolean(e->flags & HIST_RESTART));
    return o;
}

/* The status of (target, type), to name the totals; NULL when not scraped now. */
static struct series_status *
find_status(struct series_status *v, size_t n, const char *target, const char *type)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(v[i].target, target) == 0 && strcmp(v[i].type, type) == 0)
            return &v[i];
    return NULL;
}

enum hw_err
route_api_profiles(const struct http_req *rq, struct http_resp *rs)
{
    const char *target = http_query(rq, "target"), *type = http_query(rq, "type");
    struct series_status *v = NULL;
    struct hist_entry *e = NULL;
    size_t i, n = 0, ns = 0;
    json_t *arr;
    char *text;
    enum hw_err err;

    if (target == NULL || type == NULL)
        return http_error(rs, 400, HW_USAGE, "target and type are required");
    if (history_list(rq->hist, target, type, &e, &n) != HW_OK)
        return HW_NOMEM;
    scraper_status(rq->scraper, &v, &ns);
    if (n == 0 && find_status(v, ns, target, type) == NULL) {
        series_status_free(v, ns);
        return http_error(rs, 404, HW_USAGE, "no profiles of type \"%s\" for target \"%s\"", type,
                          target);
    }
    arr = json_array();
    for (i = 0; i < n; i++)
        json_array_append_new(arr, entry_json(&e[i], find_status(v, ns, target, type)));
    series_status_free(v, ns);
    free(e);
    text = json_dumps(arr, JSON_INDENT(1));
    json_decref(arr);
    if (text == NULL)
        return HW_NOMEM;
    err = buf_puts(&rs->body, text);
    free(text);
    rs->ctype = "application/json";
    rs->cache_control = "no-cache";
    return err == HW_OK ? buf_puts(&rs->body, "\n") : err;
}

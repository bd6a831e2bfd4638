/* api_summary.c - GET /api/summary?target=&type=&at=&base=: one stored scrape in
 * numbers: the total of every sample type (and with a base, the base's and the
 * growth), the top functions of the chosen sample type (the same table as /top.json,
 * growth since the base when there is one), the alloc delta the scraper recorded, and
 * runtime.MemStats when the scrape is Go's text heap profile (heap?debug=1) or, failing
 * that, from another profile type of the same target scraped that way. It goes through
 * the render pipeline (webrender.c), so it is cached and bounded like a render. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "graph.h"
#include "prepare.h"
#include "text.h"
#include "webrender.h"

#define SUMMARY_TOP_ROWS 20
#define SUMMARY_MAX_MEMSTATS_FILE ((size_t)16 << 20)

static int64_t
column_total(const struct profile *p, size_t col)
{
    int64_t t = 0;
    size_t i;

    for (i = 0; i < p->nsamples; i++)
        t += p->samples[i].values[col];
    return t;
}

/* s as valid UTF-8, which jansson insists on; names come from untrusted profiles. */
static json_t *
str(struct arena *a, const char *s)
{
    const char *clean = text_sanitize(a, s);

    return json_string(clean ? clean : "");
}

/* Totals per sample type; with bp, the base's and the growth of the types both have. */
static json_t *
types_json(const struct profile *p, const struct profile *bp)
{
    json_t *arr = json_array(), *o;
    size_t i, k;

    for (i = 0; i < p->ntypes; i++) {
        int64_t t = column_total(p, i);

        o = json_pack("{s:o,s:o,s:I}", "type", str(p->arena, p->sample_types[i].type), "unit",
                      str(p->arena, p->sample_types[i].unit), "total", (json_int_t)t);
        for (k = 0; bp != NULL && k < bp->ntypes; k++)
            if (strcmp(bp->sample_types[k].type, p->sample_types[i].type) == 0) {
                int64_t b = column_total(bp, k);

                json_object_set_new(o, "base_total", json_integer(b));
                json_object_set_new(o, "growth", json_integer(t - b));
            }
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *
memstats_json(const struct profile *p)
{
    json_t *o = json_object();
    size_t i;

    for (i = 0; i < p->nmemstats; i++) {
        const char *name = text_sanitize(p->arena, p->memstats[i].name);

        if (name != NULL)
            json_object_set_new(o, name,
                                p->memstats[i].numeric ? json_integer(p->memstats[i].value)
                                                       : str(p->arena, p->memstats[i].text));
    }
    return o;
}

/* MemStats from the newest text scrape (.txt) of another type at or before at. */
static json_t *
memstats_elsewhere(const struct http_req *rq, const struct series_ref *ref)
{
    char **types = NULL;
    size_t i, n = 0;
    json_t *found = NULL;

    if (history_types(rq->hist, ref->target, &types, &n) != HW_OK)
        return NULL;
    for (i = 0; i < n && found == NULL; i++) {
        struct hist_entry e;
        struct profile *p;
        struct buf raw;
        char *path;
        bool text;

        if (strcmp(types[i], ref->type) == 0 ||
            history_find(rq->hist, ref->target, types[i], ref->at.id, &e) != HW_OK)
            continue;
        path = history_path(rq->hist, ref->target, types[i], e.id);
        text = path != NULL && strlen(path) > 4 && strcmp(path + strlen(path) - 4, ".txt") == 0;
        free(path);
        buf_init(&raw, SUMMARY_MAX_MEMSTATS_FILE);
        if (text && history_read(rq->hist, ref->target, types[i], e.id, &raw, NULL) == HW_OK &&
            profile_decode(raw.data, raw.len, WEBRENDER_MAX_ARENA / 4, &p, NULL) == HW_OK) {
            if (p->nmemstats > 0)
                found = json_pack("{s:s,s:I,s:o}", "type", types[i], "id", (json_int_t)e.id,
                                  "values", memstats_json(p));
            arena_free(p->arena);
        }
        buf_reset(&raw);
    }
    history_names_free(types, n);
    return found;
}

/* The top functions of the prepared profile, as /top.json has them. */
static enum hw_err
top_json(const struct render_params *rp, struct profile *p, struct profile *bp, json_t *root,
         struct errbuf *eb)
{
    struct prepare_opts po;
    struct prepared pr;
    struct graph_opts o;
    struct graph *g;
    json_t *arr;
    enum hw_err err;
    size_t i;

    prepare_opts_init(&po);
    po.filters = rp->filters;
    po.sample_index = rp->sample_index;
    if ((err = prepare_profile(p, bp, &po, &pr, eb)) != HW_OK)
        return err;
    graph_opts_init(&o);
    o.col = pr.col;
    o.gran = rp->gran;
    o.total = pr.total;
    o.has_total = true;
    o.cum_sort = rp->cum;
    o.node_count = rp->nodecount > 0 ? rp->nodecount : SUMMARY_TOP_ROWS;
    if ((err = graph_build(pr.p->arena, pr.p, &o, &g, eb)) != HW_OK)
        return err;
    arr = json_array();
    for (i = 0; i < g->nnodes; i++)
        json_array_append_new(
            arr, json_pack("{s:o,s:I,s:I}", "name", str(pr.p->arena, g->nodes[i].name), "flat",
                           (json_int_t)g->nodes[i].flat, "cum", (json_int_t)g->nodes[i].cum));
    json_object_set_new(root, "sample_index", str(pr.p->arena, pr.p->sample_types[pr.col].type));
    json_object_set_new(root, "report_total", json_integer(g->total));
    json_object_set_new(root, "top", arr);
    return HW_OK;
}

static json_t *
entry_json(const struct hist_entry *e)
{
    char when[40];

    resolve_time_text(e->id, when, sizeof(when));
    return json_pack("{s:I,s:s}", "id", (json_int_t)e->id, "time", when);
}

enum hw_err
api_summary_write(const struct http_req *rq, const struct series_ref *ref,
                  const struct render_params *rp, struct profile *p, struct profile *bp,
                  struct buf *out, struct errbuf *eb)
{
    json_t *root = entry_json(&ref->at), *ms;
    const struct hist_entry *e = &ref->at;
    char *text;
    enum hw_err err;

    json_object_set_new(root, "target", json_string(ref->target));
    json_object_set_new(root, "type", json_string(ref->type));
    json_object_set_new(root, "restart", json_boolean(e->flags & HIST_RESTART));
    json_object_set_new(root, "base", bp ? entry_json(&ref->base) : json_null());
    json_object_set_new(root, "sample_types", types_json(p, bp));
    json_object_set_new(root, "alloc_delta",
                        (e->flags & HIST_DELTA)
                            ? json_pack("{s:I,s:I}", "alloc_objects", (json_int_t)e->delta[0],
                                        "alloc_space", (json_int_t)e->delta[1])
                            : json_null());
    ms = p->nmemstats > 0 ? json_pack("{s:s,s:I,s:o}", "type", ref->type, "id", (json_int_t)e->id,
                                      "values", memstats_json(p))
                          : memstats_elsewhere(rq, ref);
    json_object_set_new(root, "memstats", ms ? ms : json_null());
    if ((err = top_json(rp, p, bp, root, eb)) != HW_OK) {
        json_decref(root);
        return err;
    }
    text = json_dumps(root, JSON_INDENT(1));
    json_decref(root);
    if (text == NULL)
        return HW_NOMEM;
    err = buf_puts(out, text);
    free(text);
    return err == HW_OK ? buf_puts(out, "\n") : err;
}

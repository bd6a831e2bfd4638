/* api_leaks.c - GET /api/leaks, /leaks.svg and /leaks.png ?target=&type=: a fresh
 * leak report of one series (scraper_leak_report: the scrapes since the daemon
 * started, seeded from storage), as leakjson's JSON or as leakchart's chart. The
 * target and type are resolved as every render URL resolves them (resolve.h: names
 * and label matchers, 404 for unknown ones, 503 before the first stored scrape), so
 * the statuses agree with /flame.svg's. The ETag names the tracker's state (window,
 * scrapes, restarts, verdict) rather than the bytes, so a browser polling the chart
 * gets a 304 until the next scrape lands, without a render. Charts take a render
 * slot like any other render; the JSON is cheap and does not. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "leakchart.h"
#include "leakjson.h"
#include "resolve.h"
#include "webcache.h"
#include "webrender.h"

enum leaks_kind {
    LEAKS_JSON,
    LEAKS_SVG,
    LEAKS_PNG,
};

static const struct {
    const char *name, *ctype;
} leaks_kinds[] = {
    [LEAKS_JSON] = {"leaks.json", "application/json"},
    [LEAKS_SVG] = {"leaks.svg", "image/svg+xml"},
    [LEAKS_PNG] = {"leaks.png", "image/png"},
};

/* A pixel size parameter: absent gives def, anything but an integer in lo..hi is a 400. */
static enum hw_err
size_param(const struct http_req *rq, struct http_resp *rs, const char *name, unsigned lo,
           unsigned hi, unsigned def, unsigned *out)
{
    const char *v = http_query(rq, name);
    char *end;
    unsigned long n;

    *out = def;
    if (v == NULL || v[0] == '\0')
        return HW_OK;
    errno = 0;
    n = strtoul(v, &end, 10);
    if (errno != 0 || *end != '\0' || v[0] < '0' || v[0] > '9' || n < lo || n > hi)
        return http_error(rs, 400, HW_USAGE, "bad parameter %s: want an integer from %u to %u",
                          name, lo, hi);
    *out = (unsigned)n;
    return HW_OK;
}

/* target and type as resolve.h takes them; at and base mean nothing here. */
static enum hw_err
leaks_params(const struct http_req *rq, struct http_resp *rs, struct render_params *rp)
{
    static const char *const names[] = {"target", "type"};
    size_t i;

    memset(rp, 0, sizeof(*rp));
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = http_query(rq, names[i]);

        if (v != NULL && strlen(v) > PARAMS_MAX_VALUE)
            return http_error(rs, 400, HW_USAGE, "bad parameter %s: longer than %d bytes", names[i],
                              PARAMS_MAX_VALUE);
    }
    if (http_query(rq, "at") != NULL || http_query(rq, "base") != NULL)
        return http_error(rs, 400, HW_USAGE,
                          "bad parameter %s: a leak report covers the scrapes since the "
                          "daemon started, not one time",
                          http_query(rq, "at") != NULL ? "at" : "base");
    rp->target = http_query(rq, "target");
    rp->type = http_query(rq, "type");
    rp->at.kind = TIME_LATEST;
    rp->base.kind = TIME_NONE;
    return HW_OK;
}

/* The series the query names, and its report (NULL after a failure). */
static enum hw_err
leaks_report(const struct http_req *rq, struct http_resp *rs, struct series_ref *ref,
             struct leak_report **out)
{
    struct render_params rp;
    enum hw_err err;

    *out = NULL;
    memset(ref, 0, sizeof(*ref));
    if ((err = leaks_params(rq, rs, &rp)) != HW_OK ||
        (err = resolve_series(rq, &rp, rs, ref)) != HW_OK)
        return err;
    err = scraper_leak_report(rq->scraper, ref->target, ref->type, out);
    if (err == HW_USAGE)
        return http_error(rs, 404, err,
                          "no leak detection for type \"%s\" of \"%s\": it covers heap and "
                          "goroutine profiles of configured targets (allocs: see heap)",
                          ref->type, ref->target);
    if (err != HW_OK)
        return http_error(rs, 503, err, "out of memory");
    if ((*out)->nscrapes == 0)
        return http_error(rs, 503, HW_USAGE,
                          "no scrape of type \"%s\" of \"%s\" has reached leak detection yet",
                          ref->type, ref->target);
    return HW_OK;
}

/* The ETag's key: everything that tells one state of the tracker from another. */
static enum hw_err
leaks_etag(enum leaks_kind kind, const struct series_ref *ref, const struct leak_report *r,
           unsigned w, unsigned h, struct http_resp *rs)
{
    struct buf key;
    enum hw_err err;

    buf_init(&key, 0);
    err = buf_printf(&key,
                     "%s\ntarget=%zu:%s\ntype=%s\nwindow=%lld-%lld\nscrapes=%zu\n"
                     "restarts=%zu\nverdict=%d\nsuspects=%zu\nsize=%ux%u\n",
                     leaks_kinds[kind].name, strlen(ref->target), ref->target, ref->type,
                     (long long)r->first_ms, (long long)r->last_ms, r->nscrapes, r->restarts,
                     (int)r->verdict, r->nsuspects, w, h);
    if (err == HW_OK)
        webcache_etag((const char *)key.data, rs->etag);
    buf_reset(&key);
    return err;
}

/* Draws the chart under a render slot into rs->body. */
static enum hw_err
leaks_chart(enum leaks_kind kind, const struct leak_report *r, const struct leakchart_opts *o,
            struct http_resp *rs)
{
    struct errbuf eb = {{0}};
    enum hw_err err;

    if (!webcache_slot_acquire(WEBRENDER_SLOT_WAIT_MS))
        return http_error(rs, 503, HW_NOMEM, "too many renders in progress; retry later");
    err = leakchart_render(r, o, kind == LEAKS_PNG ? LEAKCHART_PNG : LEAKCHART_SVG, &rs->body, &eb);
    webcache_slot_release();
    switch (err) {
    case HW_OK:
        return HW_OK;
    case HW_USAGE:
        return http_error(rs, 400, err, "%s", errbuf_msg(&eb, err));
    case HW_TOOBIG:
        return http_error(rs, 422, err, "the chart exceeds its limits (%s)", errbuf_msg(&eb, err));
    case HW_NOMEM:
        return http_error(rs, 503, err, "%s", errbuf_msg(&eb, err));
    default:
        return http_error(rs, 500, err, "%s", errbuf_msg(&eb, err));
    }
}

static enum hw_err
leaks_answer(const struct http_req *rq, struct http_resp *rs, enum leaks_kind kind)
{
    struct series_ref ref;
    struct leak_report *r = NULL;
    struct leakchart_opts o;
    char title[600];
    enum hw_err err;

    leakchart_opts_init(&o);
    if ((err = size_param(rq, rs, "width", LEAKCHART_MIN_WIDTH, LEAKCHART_MAX_WIDTH, o.width,
                          &o.width)) != HW_OK ||
        (err = size_param(rq, rs, "height", LEAKCHART_MIN_HEIGHT, LEAKCHART_MAX_HEIGHT, o.height,
                          &o.height)) != HW_OK)
        return err;
    if ((err = leaks_report(rq, rs, &ref, &r)) != HW_OK ||
        (err = leaks_etag(kind, &ref, r, o.width, o.height, rs)) != HW_OK)
        goto out;
    rs->ctype = leaks_kinds[kind].ctype;
    rs->cache_control = "no-cache";
    if (rq->if_none_match != NULL && strcmp(rq->if_none_match, rs->etag) == 0)
        goto out; /* server.c answers 304 */
    buf_reset(&rs->body);
    buf_init(&rs->body, WEBRENDER_MAX_OUTPUT);
    if (kind == LEAKS_JSON) {
        if ((err = leakjson_render(r, &rs->body)) != HW_OK)
            http_error(rs, err == HW_TOOBIG ? 422 : 503, err, "writing the report: %s",
                       hw_strerror(err));
    } else {
        snprintf(title, sizeof(title), "%s (%s)", ref.target, ref.type);
        o.title = title;
        err = leaks_chart(kind, r, &o, rs);
    }
out:
    leak_report_free(r);
    series_ref_free(&ref);
    return err;
}

enum hw_err
route_api_leaks(const struct http_req *rq, struct http_resp *rs)
{
    return leaks_answer(rq, rs, LEAKS_JSON);
}

enum hw_err
route_leaks_svg(const struct http_req *rq, struct http_resp *rs)
{
    return leaks_answer(rq, rs, LEAKS_SVG);
}

enum hw_err
route_leaks_png(const struct http_req *rq, struct http_resp *rs)
{
    return leaks_answer(rq, rs, LEAKS_PNG);
}

/* webrender.c - GET /flame.svg and friends, and POST /render/...: one pipeline for
 * every format. The request's parameters are parsed and its stored scrapes resolved
 * to ids first; the cache key is (kind, target, type, ids, normalised parameters) and
 * the ETag its hash, so a conditional request is answered 304 and a repeated one from
 * the cache before anything is read from disk. A render takes one of WEBCACHE_SLOTS
 * slots, decodes into an arena capped at WEBRENDER_MAX_ARENA and writes into a buffer
 * capped at WEBRENDER_MAX_OUTPUT, so that a hostile query or upload fails cleanly
 * instead of starving the service; the drawing itself is the CLI's code (prepare.h,
 * report.h), so both give the same bytes for the same profile and options. */
#include "webrender.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <time.h>

#include "decode.h"
#include "prepare.h"
#include "report.h"
#include "webcache.h"

static const struct {
    const char *name, *ctype;
} kinds[] = {
    [WR_FLAME_SVG] = {"flame.svg", "image/svg+xml"},
    [WR_FLAME_PNG] = {"flame.png", "image/png"},
    [WR_FLAME_JSON] = {"flame.json", "application/json"},
    [WR_GRAPH_SVG] = {"graph.svg", "image/svg+xml"},
    [WR_GRAPH_PNG] = {"graph.png", "image/png"},
    [WR_GRAPH_DOT] = {"graph.dot", "text/vnd.graphviz; charset=utf-8"},
    [WR_FOLDED] = {"folded", "text/plain; charset=utf-8"},
    [WR_TOP_JSON] = {"top.json", "application/json"},
    [WR_SUMMARY] = {"summary", "application/json"},
};

/* One render: what to draw, from what. */
struct job {
    enum webrender_kind kind;
    const struct http_req *rq;
    const struct render_params *rp;
    const struct series_ref *ref; /* NULL for an upload */
    int status;                   /* set with an error that is not the client's */
};

static const char *
get_query(const void *ctx, const char *name)
{
    return http_query(ctx, name);
}

static bool
is_flame(enum webrender_kind k)
{
    return k == WR_FLAME_SVG || k == WR_FLAME_PNG || k == WR_FLAME_JSON;
}

/* The sample type to draw: delta=1 wants an alloc_* one (alloc_space by default). */
static enum hw_err
sample_index(const struct render_params *rp, const struct profile *p, const char **si,
             struct errbuf *eb)
{
    struct errbuf mine = {{0}};
    size_t col;

    *si = rp->sample_index;
    if (!rp->delta)
        return HW_OK;
    if (*si == NULL)
        *si = "alloc_space";
    if (profile_sample_index(p, *si, &col, &mine) != HW_OK)
        return errbuf_set(eb, HW_USAGE, "bad parameter delta: %s", mine.msg);
    if (strncmp(p->sample_types[col].type, "alloc_", 6) != 0)
        return errbuf_set(eb, HW_USAGE, "bad parameter delta: needs an alloc_* sample type, not %s",
                          p->sample_types[col].type);
    return HW_OK;
}

/* "TARGET @ TIME" (and what the base is) for the flame graph's subtitle. */
static void
flame_names(const struct job *j, char *name, size_t ncap, char *base, size_t bcap)
{
    char at[40], b[40];

    base[0] = '\0';
    if (j->ref == NULL) {
        snprintf(name, ncap, "upload");
        return;
    }
    resolve_time_text(j->ref->at.id, at, sizeof(at));
    if (j->ref->has_base)
        resolve_time_text(j->ref->base.id, b, sizeof(b));
    if (j->ref->delta)
        snprintf(name, ncap, "%s @ %s, %s", j->ref->target, at,
                 j->ref->has_base ? "delta since " : "since the restart");
    else
        snprintf(name, ncap, "%s @ %s", j->ref->target, at);
    if (j->ref->delta && j->ref->has_base)
        snprintf(name + strlen(name), ncap - strlen(name), "%s", b);
    else if (j->ref->has_base)
        snprintf(base, bcap, "%s", b);
}

static enum hw_err
run_flame(struct job *j, struct profile *p, struct profile *bp, struct buf *out, struct errbuf *eb)
{
    static const enum report_flame_format fmts[] = {[WR_FLAME_SVG] = REPORT_FLAME_SVG,
                                                    [WR_FLAME_PNG] = REPORT_FLAME_PNG,
                                                    [WR_FLAME_JSON] = REPORT_FLAME_JSON};
    struct prepare_opts po;
    struct prepared pr, br = {0};
    struct flame_opts fo = j->rp->flame;
    struct folded *cur, *base;
    char name[512], bname[64], subtitle[1024];
    bool diff = bp != NULL && !j->rp->delta;
    enum hw_err err;

    prepare_opts_init(&po);
    po.filters = j->rp->filters;
    if ((err = sample_index(j->rp, p, &po.sample_index, eb)) != HW_OK ||
        (err = prepare_profile(p, diff ? NULL : bp, &po, &pr, eb)) != HW_OK ||
        (diff && (err = prepare_profile(bp, NULL, &po, &br, eb)) != HW_OK))
        return err;
    if ((err = report_flame_fold(pr.p, pr.col, diff ? br.p : NULL, br.col, j->rp->gran,
                                 po.sample_index != NULL, &cur, &base, eb)) != HW_OK)
        return err;
    if (fo.negate && base == NULL)
        return errbuf_set(eb, HW_USAGE, "bad parameter negate: needs a diff (base=)");
    flame_names(j, name, sizeof(name), bname, sizeof(bname));
    report_flame_subtitle(name, bname[0] ? bname : NULL, pr.p->time_nanos, cur, base, fo.reverse, subtitle,
                          sizeof(subtitle));
    fo.subtitle = subtitle;
    return report_flame(cur, base, &fo, fmts[j->kind], out, eb);
}

static enum hw_err
run_report(struct job *j, struct profile *p, struct profile *bp, struct buf *out, struct errbuf *eb)
{
    bool graph = j->kind == WR_GRAPH_SVG || j->kind == WR_GRAPH_PNG || j->kind == WR_GRAPH_DOT;
    struct prepare_opts po;
    struct prepared pr;
    struct graph_opts o;
    enum hw_err err;

    prepare_opts_init(&po);
    po.filters = j->rp->filters;
    if ((err = sample_index(j->rp, p, &po.sample_index, eb)) != HW_OK ||
        (err = prepare_profile(p, bp, &po, &pr, eb)) != HW_OK)
        return err;
    if (j->kind == WR_FOLDED)
        return report_folded(pr.p, pr.col, j->rp->gran, out, eb);
    graph_opts_init(&o);
    o.col = pr.col;
    o.gran = j->rp->gran;
    o.total = pr.total;
    o.has_total = true;
    o.visual = graph;
    o.cum_sort = j->rp->cum;
    o.node_count = j->rp->nodecount > 0 ? j->rp->nodecount : graph ? 80 : 0;
    o.node_fraction = j->rp->nodefraction;
    o.edge_fraction = j->rp->edgefraction;
    if (j->kind == WR_TOP_JSON)
        return report_top_json(pr.p, &o, out, eb);
    return report_graph(pr.p, &j->rp->filters, &o,
                        j->kind == WR_GRAPH_DOT   ? CALLGRAPH_DOT
                        : j->kind == WR_GRAPH_PNG ? CALLGRAPH_PNG
                                                  : CALLGRAPH_SVG,
                        out, eb);
}

/* Loads a stored scrape; a missing one is a 404 and one that does not decode is ours. */
static enum hw_err
load(struct job *j, int64_t id, struct arena *a, struct profile **p, struct errbuf *eb)
{
    enum hw_err err = resolve_load(j->rq->hist, j->ref->target, j->ref->type, id, a, p, eb);

    if (err == HW_USAGE)
        j->status = 404;
    else if (err == HW_BADDATA)
        j->status = 500;
    return err;
}

static enum hw_err
run(struct job *j, struct arena *a, struct buf *out, struct errbuf *eb)
{
    struct profile *p = NULL, *bp = NULL;
    enum hw_err err;

    if (j->ref == NULL)
        err = profile_decode_in(a, j->rq->body, j->rq->body_len, &p, eb);
    else if ((err = load(j, j->ref->at.id, a, &p, eb)) == HW_OK && j->ref->has_base)
        err = load(j, j->ref->base.id, a, &bp, eb);
    if (err != HW_OK)
        return err;
    if (j->kind == WR_SUMMARY)
        return api_summary_write(j->rq, j->ref, j->rp, p, bp, out, eb);
    if (is_flame(j->kind))
        return run_flame(j, p, bp, out, eb);
    return run_report(j, p, bp, out, eb);
}

/* The one place render errors become statuses. */
static enum hw_err
fail(struct http_resp *rs, const struct job *j, enum hw_err err, const struct errbuf *eb)
{
    const char *msg = errbuf_msg(eb, err);

    if (j->status != 0)
        return http_error(rs, j->status, err, "%s", msg);
    switch (err) {
    case HW_USAGE:
    case HW_BADDATA:
        return http_error(rs, 400, err, "%s", msg);
    case HW_TOOBIG:
        if (j->ref == NULL)
            return http_error(rs, 413, err, "%s", msg);
        return http_error(rs, 422, err,
                          "the render exceeds its limits (%s); narrow it with "
                          "focus=, hide=, minwidth= or a smaller width=",
                          msg);
    case HW_NOMEM:
        return http_error(rs, 503, err, "out of memory");
    default:
        return http_error(rs, 500, err, "%s", msg);
    }
}

static double
seconds_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Renders under a slot into rs->body and caches the result. */
static enum hw_err
render(struct job *j, const char *key, struct http_resp *rs)
{
    struct errbuf eb = {{0}};
    struct timespec t0;
    struct arena *a;
    enum hw_err err;

    if (!webcache_slot_acquire(WEBRENDER_SLOT_WAIT_MS))
        return http_error(rs, 503, HW_NOMEM, "too many renders in progress; retry later");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    buf_reset(&rs->body);
    buf_init(&rs->body, WEBRENDER_MAX_OUTPUT);
    if ((a = arena_new(WEBRENDER_MAX_ARENA)) == NULL)
        err = HW_NOMEM;
    else
        err = run(j, a, &rs->body, &eb);
    arena_free(a);
    webcache_slot_release();
    webcache_count_render(seconds_since(&t0), err == HW_OK);
    if (err != HW_OK)
        return fail(rs, j, err, &eb);
    if (webcache_global() != NULL)
        webcache_put(webcache_global(), key, rs->body.data, rs->body.len, kinds[j->kind].ctype);
    return HW_OK;
}

/* Replaces body with its gzip encoding (level 6: SVG and JSON shrink about 10x). */
static enum hw_err
gzip_body(struct buf *body)
{
    z_stream z;
    struct buf out;
    enum hw_err err = HW_NOMEM;

    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return HW_NOMEM;
    buf_init(&out, 0);
    if (buf_reserve(&out, deflateBound(&z, (uLong)body->len) + 1) == HW_OK) {
        z.next_in = body->data;
        z.avail_in = (uInt)body->len;
        z.next_out = out.data;
        z.avail_out = (uInt)out.cap;
        if (deflate(&z, Z_FINISH) == Z_STREAM_END) {
            out.len = z.total_out;
            buf_reset(body);
            *body = out;
            err = HW_OK;
        }
    }
    deflateEnd(&z);
    if (err != HW_OK)
        buf_reset(&out);
    return err;
}

/* The gzip variant of a text response: its own cache entry and ETag (the bytes
 * differ), made from the plain entry or a fresh render the first time. */
static enum hw_err
answer_gzip(struct job *j, const char *key, const char *gzkey, struct http_resp *rs)
{
    struct webcache *c = webcache_global();
    const char *ctype;
    enum hw_err err;

    rs->encoding = "gzip";
    if (c != NULL && webcache_get(c, gzkey, &rs->body, &ctype))
        return HW_OK;
    if ((c == NULL || !webcache_get(c, key, &rs->body, &ctype)) &&
        (err = render(j, key, rs)) != HW_OK)
        return err;
    if (rs->body.len < 1024 || gzip_body(&rs->body) != HW_OK) {
        rs->encoding = NULL; /* small or no memory: plain is fine */
        return HW_OK;
    }
    if (c != NULL)
        webcache_put(c, gzkey, rs->body.data, rs->body.len, kinds[j->kind].ctype);
    return HW_OK;
}

/* ETag, 304, cache hit, or a render; text goes gzipped to clients that take it. */
static enum hw_err
answer(struct job *j, const char *key, struct http_resp *rs)
{
    struct webcache *c = webcache_global();
    const char *ctype;
    bool gz = j->rq->accept_gzip && strncmp(kinds[j->kind].ctype, "image/png", 9) != 0;
    struct buf gzkey;
    enum hw_err err;

    buf_init(&gzkey, 0);
    if (gz && (buf_puts(&gzkey, key) != HW_OK || buf_puts(&gzkey, "\nencoding=gzip") != HW_OK)) {
        buf_reset(&gzkey);
        return HW_NOMEM;
    }
    webcache_etag(gz ? (const char *)gzkey.data : key, rs->etag);
    rs->ctype = kinds[j->kind].ctype;
    if (j->rq->if_none_match != NULL && strcmp(j->rq->if_none_match, rs->etag) == 0) {
        webcache_count_not_modified();
        buf_reset(&gzkey);
        return HW_OK; /* server.c answers 304 */
    }
    if (gz)
        err = answer_gzip(j, key, (const char *)gzkey.data, rs);
    else if (c != NULL && webcache_get(c, key, &rs->body, &ctype))
        err = HW_OK;
    else
        err = render(j, key, rs);
    buf_reset(&gzkey);
    return err;
}

static enum hw_err
key_stored(struct buf *k, const struct job *j)
{
    const struct series_ref *r = j->ref;
    enum hw_err err;

    if ((err = buf_printf(k, "%s\ntarget=%zu:%s\ntype=%s\nat=%lld\nbase=%lld\n",
                          kinds[j->kind].name, strlen(r->target), r->target, r->type,
                          (long long)r->at.id, r->has_base ? (long long)r->base.id : 0LL)) != HW_OK)
        return err;
    return params_normalise(j->rp, k);
}

enum hw_err
webrender_get(const struct http_req *rq, struct http_resp *rs, enum webrender_kind kind)
{
    struct render_params rp;
    struct series_ref ref;
    struct errbuf eb = {{0}};
    struct job j = {kind, rq, &rp, &ref, 0};
    struct buf key;
    enum hw_err err;

    if ((err = params_parse(&rp, get_query, rq, &eb)) != HW_OK)
        return http_error(rs, 400, err, "%s", errbuf_msg(&eb, err));
    if ((err = resolve_series(rq, &rp, rs, &ref)) != HW_OK) {
        series_ref_free(&ref);
        return err;
    }
    buf_init(&key, 0);
    if ((err = key_stored(&key, &j)) == HW_OK)
        err = answer(&j, (const char *)key.data, rs);
    if (err == HW_OK)
        rs->cache_control = ref.immutable ? "public, max-age=31536000, immutable" : "no-cache";
    buf_reset(&key);
    series_ref_free(&ref);
    return err;
}

static uint64_t
body_hash(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

enum hw_err
webrender_post(const struct http_req *rq, struct http_resp *rs, enum webrender_kind kind)
{
    struct render_params rp;
    struct errbuf eb = {{0}};
    struct job j = {kind, rq, &rp, NULL, 0};
    struct buf key;
    enum hw_err err;

    if (rq->body_len > WEBRENDER_MAX_UPLOAD)
        return http_error(rs, 413, HW_TOOBIG, "upload of %zu bytes exceeds the limit of %zu",
                          rq->body_len, WEBRENDER_MAX_UPLOAD);
    if (rq->body_len == 0)
        return http_error(rs, 400, HW_USAGE, "empty body: POST a profile or a folded file");
    if ((err = params_parse(&rp, get_query, rq, &eb)) != HW_OK)
        return http_error(rs, 400, err, "%s", errbuf_msg(&eb, err));
    if (rp.base.kind != TIME_NONE || rp.delta)
        return http_error(rs, 400, HW_USAGE, "bad parameter %s: not taken by POST /render",
                          rp.delta ? "delta" : "base");
    buf_init(&key, 0);
    err = buf_printf(&key, "%s\nupload=%zu:%016llx\n", kinds[kind].name, rq->body_len,
                     (unsigned long long)body_hash(rq->body, rq->body_len));
    if (err == HW_OK && (err = params_normalise(&rp, &key)) == HW_OK)
        err = answer(&j, (const char *)key.data, rs);
    if (err == HW_OK)
        rs->cache_control = "no-store";
    buf_reset(&key);
    return err;
}

/* The routes (routes.c): one per URL, so that the table reads plainly. */

enum hw_err
route_flame_svg(const struct http_req *rq, struct http_resp *rs)
{
    return webrender_get(rq, rs, WR_FLAME_SVG);
}

enum hw_err
route_flame_png(const struct http_req *rq, struct http_resp *rs)
{
    return webrender_get(rq, rs, WR_FLAME_PNG);
}

enum hw_err
route_flame_json(const struct http_req *rq, struct http_resp *rs)
{
    return webrender_get(rq, rs, WR_FLAME_JSON);
}

enum hw_err
route_graph_svg(const struct http_req *rq, struct http_resp *rs)
{
    return webrender_get(rq, rs, WR_GRAPH_SVG);
}

enum hw_err
route_graph_png(const struct http_req *rq, struct http_resp *rs)
{
    return webrender_get(rq, rs, WR_GRAPH_PNG);
}

enum hw_err
route_graph_dot(const struct http_req *rq, struct http_resp *rs)
{
    return webrender_get(rq, rs, WR_GRAPH_DOT);
}

enum hw_err
route_folded(const struct http_req *rq, struct http_resp *rs)
{
    return webrender_get(rq, rs, WR_FOLDED);
}

enum hw_err
route_top_json(const struct http_req *rq, struct http_resp *rs)
{
    return webrender_get(rq, rs, WR_TOP_JSON);
}

enum hw_err
route_api_summary(const struct http_req *rq, struct http_resp *rs)
{
    return webrender_get(rq, rs, WR_SUMMARY);
}

enum hw_err
route_post_flame_svg(const struct http_req *rq, struct http_resp *rs)
{
    return webrender_post(rq, rs, WR_FLAME_SVG);
}

enum hw_err
route_post_flame_png(const struct http_req *rq, struct http_resp *rs)
{
    return webrender_post(rq, rs, WR_FLAME_PNG);
}

enum hw_err
route_post_flame_json(const struct http_req *rq, struct http_resp *rs)
{
    return webrender_post(rq, rs, WR_FLAME_JSON);
}

enum hw_err
route_post_graph_svg(const struct http_req *rq, struct http_resp *rs)
{
    return webrender_post(rq, rs, WR_GRAPH_SVG);
}

enum hw_err
route_post_graph_png(const struct http_req *rq, struct http_resp *rs)
{
    return webrender_post(rq, rs, WR_GRAPH_PNG);
}

enum hw_err
route_post_graph_dot(const struct http_req *rq, struct http_resp *rs)
{
    return webrender_post(rq, rs, WR_GRAPH_DOT);
}

enum hw_err
route_post_folded(const struct http_req *rq, struct http_resp *rs)
{
    return webrender_post(rq, rs, WR_FOLDED);
}

enum hw_err
route_post_top_json(const struct http_req *rq, struct http_resp *rs)
{
    return webrender_post(rq, rs, WR_TOP_JSON);
}

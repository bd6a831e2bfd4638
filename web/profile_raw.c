/* profile_raw.c - GET /profile.pb.gz?target=&type=&at=: a stored scrape byte for byte
 * as it was received, so that `go tool pprof 'http://HOST/profile.pb.gz?target=...'`
 * reads what heapwatch read. (A target that serves legacy text is stored and served
 * as that text; pprof reads it too.) A stored scrape never changes, so its ETag is its
 * id and a fixed id may be cached for good. */
#include <stdio.h>
#include <string.h>

#include "params.h"
#include "resolve.h"
#include "routes.h"
#include "webcache.h"

static const char *
get_query(const void *ctx, const char *name)
{
    return http_query(ctx, name);
}

enum hw_err
route_profile_raw(const struct http_req *rq, struct http_resp *rs)
{
    struct render_params rp;
    struct series_ref ref;
    struct errbuf eb = {{0}};
    struct buf key;
    enum hw_err err;

    if ((err = params_parse(&rp, get_query, rq, &eb)) != HW_OK)
        return http_error(rs, 400, err, "%s", errbuf_msg(&eb, err));
    rp.base.kind = TIME_NONE; /* a raw scrape has no base */
    rp.delta = false;
    if ((err = resolve_series(rq, &rp, rs, &ref)) != HW_OK) {
        series_ref_free(&ref);
        return err;
    }
    buf_init(&key, 0);
    if ((err = buf_printf(&key, "raw\n%zu:%s\n%s\n%lld\n", strlen(ref.target), ref.target, ref.type,
                          (long long)ref.at.id)) == HW_OK)
        webcache_etag((const char *)key.data, rs->etag);
    buf_reset(&key);
    rs->ctype = "application/octet-stream";
    rs->cache_control = ref.immutable ? "public, max-age=31536000, immutable" : "no-cache";
    if (err == HW_OK && (rq->if_none_match == NULL || strcmp(rq->if_none_match, rs->etag) != 0)) {
        buf_init(&rs->body, RESOLVE_MAX_STORED);
        err = history_read(rq->hist, ref.target, ref.type, ref.at.id, &rs->body, &eb);
        if (err == HW_USAGE)
            err =
                http_error(rs, 404, err, "profile %lld is no longer stored", (long long)ref.at.id);
        else if (err != HW_OK)
            err = http_error(rs, 500, err, "%s", errbuf_msg(&eb, err));
    }
    series_ref_free(&ref);
    return err;
}

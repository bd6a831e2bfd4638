/* webrender.h - the render endpoints' one pipeline: parameters, stored scrapes (or an
 * upload), the shared prepare/report code the CLI uses, the render cache, ETags and
 * Cache-Control, render slots and limits, and the error statuses. */
#ifndef HW_WEBRENDER_H
#define HW_WEBRENDER_H
#include "arena.h"
#include "params.h"
#include "profile.h"
#include "resolve.h"
#include "routes.h"

#define WEBRENDER_MAX_ARENA ((size_t)512 << 20) /* decoded profiles and their reports */
#define WEBRENDER_MAX_OUTPUT ((size_t)64 << 20) /* bytes of one rendered response */
#define WEBRENDER_MAX_UPLOAD ((size_t)16 << 20) /* POST /render bodies */
#define WEBRENDER_SLOT_WAIT_MS 3000             /* then 503: too many renders running */

enum webrender_kind {
    WR_FLAME_SVG,
    WR_FLAME_PNG,
    WR_FLAME_JSON,
    WR_GRAPH_SVG,
    WR_GRAPH_PNG,
    WR_GRAPH_DOT,
    WR_FOLDED,
    WR_TOP_JSON,
    WR_SUMMARY,
};

/* GET: renders kind from the stored scrape(s) the query names. */
enum hw_err webrender_get(const struct http_req *rq, struct http_resp *rs,
                          enum webrender_kind kind);
/* POST /render/...: renders kind from the uploaded profile or folded file. */
enum hw_err webrender_post(const struct http_req *rq, struct http_resp *rs,
                           enum webrender_kind kind);

/* The JSON of GET /api/summary (api_summary.c): p is the scrape at ref->at, bp the one
 * at ref->base or NULL, both decoded in a and not yet prepared. */
enum hw_err api_summary_write(const struct http_req *rq, const struct series_ref *ref,
                              const struct render_params *rp, struct profile *p, struct profile *bp,
                              struct buf *out, struct errbuf *eb);
#endif

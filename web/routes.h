/* routes.h - what every endpoint sees: the request (method, path, query, body) and
 * the response it fills (status, content type, body, caching headers). Handlers
 * return HW_OK with the response filled, or an error code with a message in
 * rs->error; server.c turns codes into statuses and JSON errors in one place. */
#ifndef HW_ROUTES_H
#define HW_ROUTES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "history.h"
#include "hw_err.h"
#include "scrape.h"

struct http_req {
    const char *method, *path;
    const unsigned char *body; /* POST bodies, capped by the server */
    size_t body_len;
    void *conn; /* struct MHD_Connection *, for http_query */
    struct scraper *scraper;
    struct history *hist;
    const char *if_none_match; /* NULL when absent */
    bool accept_gzip;          /* Accept-Encoding allows gzip */
};

struct http_resp {
    int status;          /* 0: 200 */
    const char *ctype;   /* static string */
    struct buf body;
    char etag[80];       /* "" for none; with it the server answers 304 when it matches */
    const char *cache_control; /* static string or NULL */
    const char *encoding;      /* "gzip" when body is gzipped (set by the handler), else NULL */
    int error_status;    /* with an error return: 400, 404, 413, 503 (0: from the code) */
    char error[512];
};

/* A query parameter's value, NULL when absent. */
const char *http_query(const struct http_req *rq, const char *name);
/* Sets an error message and status, returns err (for `return http_error(...)`). */
enum hw_err http_error(struct http_resp *rs, int status, enum hw_err err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

struct route {
    const char *method; /* "GET" (also answers HEAD) or "POST" */
    const char *path;   /* exact path */
    enum hw_err (*handle)(const struct http_req *rq, struct http_resp *rs);
};

/* The route table, ended by an entry with a NULL path. */
extern const struct route routes[];

/* Endpoints (one file each). */
enum hw_err route_api_targets(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_api_profiles(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_metrics(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_healthz(const struct http_req *rq, struct http_resp *rs);
/* Renders of stored scrapes (webrender.c) and of uploads (POST /render/...). */
enum hw_err route_flame_svg(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_flame_png(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_flame_json(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_graph_svg(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_graph_png(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_graph_dot(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_folded(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_top_json(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_api_summary(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_post_flame_svg(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_post_flame_png(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_post_flame_json(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_post_graph_svg(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_post_graph_png(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_post_graph_dot(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_post_folded(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_post_top_json(const struct http_req *rq, struct http_resp *rs);
/* GET /profile.pb.gz: a stored scrape's bytes (profile_raw.c); GET /: the UI (ui.c). */
enum hw_err route_profile_raw(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_ui(const struct http_req *rq, struct http_resp *rs);
/* GET /api/leaks, /leaks.svg, /leaks.png: a series' leak report and its chart (api_leaks.c). */
enum hw_err route_api_leaks(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_leaks_svg(const struct http_req *rq, struct http_resp *rs);
enum hw_err route_leaks_png(const struct http_req *rq, struct http_resp *rs);
#endif

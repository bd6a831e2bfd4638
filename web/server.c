/* server.c - libmicrohttpd plumbing: a thread pool, POST bodies gathered under a cap,
 * dispatch through the route table, and the one switch that maps error codes to
 * HTTP statuses and {"error": "..."} bodies. Conditional GETs: a response with an
 * ETag that matches If-None-Match becomes a bodiless 304. */
#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "routes.h"
#include "server.h"

#define SERVER_THREADS 4
#define SERVER_MAX_UPLOAD ((size_t)64 << 20)

struct server {
    struct MHD_Daemon *d;
    struct scraper *scraper;
    struct history *hist;
};

/* Per-request state, from the first callback to the completion one. */
struct pending {
    struct buf body;
};

const char *
http_query(const struct http_req *rq, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)rq->conn, MHD_GET_ARGUMENT_KIND,
                                       name);
}

enum hw_err
http_error(struct http_resp *rs, int status, enum hw_err err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(rs->error, sizeof(rs->error), fmt, ap);
    va_end(ap);
    rs->error_status = status;
    return err;
}

static int
error_status(const struct http_resp *rs, enum hw_err err)
{
    if (rs->error_status != 0)
        return rs->error_status;
    switch (err) {
    case HW_USAGE:
    case HW_BADDATA:
        return MHD_HTTP_BAD_REQUEST;
    case HW_TOOBIG:
        return MHD_HTTP_CONTENT_TOO_LARGE;
    case HW_UPSTREAM:
        return MHD_HTTP_BAD_GATEWAY;
    default:
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

static enum MHD_Result
send_buf(struct MHD_Connection *c, int status, const char *ctype, struct buf *b,
         const struct http_resp *rs)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    size_t len = 0;
    unsigned char *data = b->len ? buf_steal(b, &len) : NULL;

    r = MHD_create_response_from_buffer(len, data, data ? MHD_RESPMEM_MUST_FREE
                                                        : MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        free(data);
        return MHD_NO;
    }
    if (ctype != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (rs != NULL && rs->etag[0] != '\0')
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, rs->etag);
    if (rs != NULL && rs->cache_control != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, rs->cache_control);
    if (rs != NULL && rs->encoding != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, rs->encoding);
    if (rs != NULL && rs->etag[0] != '\0')
        MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result
send_error(struct MHD_Connection *c, int status, const char *msg)
{
    json_t *o = json_pack("{s:s}", "error", msg);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    struct buf b;
    enum MHD_Result r;

    buf_init(&b, 0);
    buf_puts(&b, text ? text : "{\"error\":\"out of memory\"}");
    buf_puts(&b, "\n");
    free(text);
    json_decref(o);
    r = send_buf(c, status, "application/json", &b, NULL);
    buf_reset(&b);
    return r;
}

/* Whether an Accept-Encoding value allows gzip ("gzip", "gzip;q=0.5", "*"), and
 * does not refuse it with q=0. */
static bool
accepts_gzip(const char *ae)
{
    const char *g;

    if (ae == NULL)
        return false;
    if ((g = strstr(ae, "gzip")) == NULL && (g = strchr(ae, '*')) == NULL)
        return false;
    g += strcspn(g, ",;");
    while (*g == ';' || *g == ' ')
        g++;
    return !(strncmp(g, "q=0", 3) == 0 && strspn(g + 3, ".0") == strcspn(g + 3, ", "));
}

static const struct route *
find_route(const char *method, const char *url, bool *path_known)
{
    const struct route *rt;
    bool head = strcmp(method, "HEAD") == 0;

    *path_known = false;
    for (rt = routes; rt->path != NULL; rt++) {
        if (strcmp(rt->path, url) != 0)
            continue;
        *path_known = true;
        if (strcmp(rt->method, method) == 0 || (head && strcmp(rt->method, "GET") == 0))
            return rt;
    }
    return NULL;
}

static enum MHD_Result
dispatch(struct server *srv, struct MHD_Connection *c, const char *url, const char *method,
         struct pending *pd)
{
    struct http_req rq = {method, url, pd->body.data, pd->body.len, c, srv->scraper, srv->hist,
                          NULL, false};
    struct http_resp rs;
    const struct route *rt;
    enum MHD_Result ret;
    enum hw_err err;
    bool known;

    if ((rt = find_route(method, url, &known)) == NULL)
        return known ? send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed")
                     : send_error(c, MHD_HTTP_NOT_FOUND, "no such page");
    if (pd->body.full)
        return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
    rq.if_none_match = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    rq.accept_gzip = accepts_gzip(
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
    memset(&rs, 0, sizeof(rs));
    buf_init(&rs.body, 0);
    if ((err = rt->handle(&rq, &rs)) != HW_OK) {
        buf_reset(&rs.body);
        return send_error(c, error_status(&rs, err), rs.error[0] ? rs.error : hw_strerror(err));
    }
    if (rs.etag[0] != '\0' && rq.if_none_match != NULL && strcmp(rq.if_none_match, rs.etag) == 0) {
        buf_reset(&rs.body);
        ret = send_buf(c, MHD_HTTP_NOT_MODIFIED, NULL, &rs.body, &rs);
    } else {
        ret = send_buf(c, rs.status ? rs.status : MHD_HTTP_OK, rs.ctype, &rs.body, &rs);
    }
    buf_reset(&rs.body);
    return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *upload, size_t *upload_size, void **state)
{
    struct pending *pd = *state;

    (void)version;
    if (pd == NULL) {
        if ((pd = calloc(1, sizeof(*pd))) == NULL)
            return MHD_NO;
        buf_init(&pd->body, SERVER_MAX_UPLOAD);
        *state = pd;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (!pd->body.full)
            buf_append(&pd->body, upload, *upload_size); /* past the cap: full, answered 413 */
        *upload_size = 0;
        return MHD_YES;
    }
    return dispatch(cls, c, url, method, pd);
}

static void
on_done(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode tc)
{
    struct pending *pd = *state;

    (void)cls;
    (void)c;
    (void)tc;
    if (pd != NULL) {
        buf_reset(&pd->body);
        free(pd);
        *state = NULL;
    }
}

/* Parses "host:port", "[v6]:port" or ":port" into ss. */
static int
parse_addr(const char *addr, struct sockaddr_storage *ss)
{
    char host[256];
    const char *colon = strrchr(addr, ':');
    size_t hl;
    long port;
    char *end;

    if (colon == NULL || (hl = (size_t)(colon - addr)) >= sizeof(host))
        return -1;
    port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || colon[1] == '\0' || port < 0 || port > 65535)
        return -1;
    memcpy(host, addr, hl);
    host[hl] = '\0';
    memset(ss, 0, sizeof(*ss));
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

        host[hl - 1] = '\0';
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        return inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1 ? 0 : -1;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    if (hl == 0) {
        s4->sin_addr.s_addr = htonl(INADDR_ANY);
        return 0;
    }
    return inet_pton(AF_INET, strcmp(host, "localhost") ? host : "127.0.0.1", &s4->sin_addr) == 1
               ? 0
               : -1;
}

enum hw_err
server_start(const char *addr, struct scraper *s, struct history *h, struct server **out,
             struct errbuf *eb)
{
    struct sockaddr_storage ss;
    struct server *srv;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    const union MHD_DaemonInfo *info;

    *out = NULL;
    if (parse_addr(addr, &ss) != 0)
        return errbuf_set(eb, HW_USAGE, "bad listen address \"%s\" (want HOST:PORT)", addr);
    if ((srv = calloc(1, sizeof(*srv))) == NULL)
        return HW_NOMEM;
    srv->scraper = s;
    srv->hist = h;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, &ss,
                              MHD_OPTION_THREAD_POOL_SIZE, (unsigned)SERVER_THREADS,
                              MHD_OPTION_NOTIFY_COMPLETED, on_done, srv,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
    if (srv->d == NULL) {
        free(srv);
        return errbuf_set(eb, HW_IO, "cannot listen on %s (address in use?)", addr);
    }
    info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
    /* Tests ask for port 0 and read the real one from this line. */
    log_info("listening on http://%.*s:%u", (int)(strrchr(addr, ':') - addr), addr,
             info ? (unsigned)info->port : 0u);
    *out = srv;
    return HW_OK;
}

void
server_stop(struct server *srv)
{
    if (srv == NULL)
        return;
    MHD_stop_daemon(srv->d);
    free(srv);
}

/* test_fetch.c - reading sources: files, stdin and http URLs. A tiny HTTP server runs
 * in a thread on 127.0.0.1 (port 0, so tests never collide) and answers canned
 * responses by path; every wait in it and in the client is bounded, so a broken
 * fetch fails the test instead of hanging it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"

#define BIG_BODY (1024 * 1024) /* bytes the /big paths send */

struct server {
    int fd;
    unsigned short port;
    pthread_t thread;
    atomic_int stop;
    char last_request[4096]; /* the headers of the latest request, for the tests to read */
    pthread_mutex_t lock;
};

static struct server srv;

/* send() on a socket the client has closed must not kill the test with SIGPIPE. */
static int
send_all(int fd, const void *p, size_t n)
{
    const char *c = p;

    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);

        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static void
send_text(int fd, const char *s)
{
    send_all(fd, s, strlen(s));
}

/* The body a /big* path sends: not all zeros, so a truncation would show. */
static void
send_big_body(int fd)
{
    static char chunk[65536];
    size_t i, sent;

    for (i = 0; i < sizeof(chunk); i++)
        chunk[i] = (char)('a' + i % 26);
    for (sent = 0; sent < BIG_BODY; sent += sizeof(chunk))
        if (send_all(fd, chunk, sizeof(chunk)) < 0)
            return;
}

static void
answer(int fd, const char *path)
{
    static const unsigned char gz[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
                                       0x00, 0x03, 0x4b, 0xcc, 0x49, 0x4b, 0x04, 0x00,
                                       0x8e, 0x52, 0x6e, 0xc0, 0x04, 0x00, 0x00, 0x00};
    char hdr[256], body[1024], echo[sizeof(srv.last_request)];

    if (strcmp(path, "/ok") == 0) {
        send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nConnection: close\r\n\r\n"
                      "hello profile");
    } else if (strcmp(path, "/binary") == 0) {
        send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n");
        send_all(fd, "a\0b\0c", 5);
    } else if (strcmp(path, "/empty") == 0) {
        send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    } else if (strcmp(path, "/gzip") == 0) {
        /* Content-Encoding says gzip: the bytes must still arrive as sent. */
        snprintf(hdr, sizeof(hdr),
                 "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\n\r\n",
                 sizeof(gz));
        send_text(fd, hdr);
        send_all(fd, gz, sizeof(gz));
    } else if (strcmp(path, "/echo") == 0) {
        pthread_mutex_lock(&srv.lock);
        memcpy(echo, srv.last_request, sizeof(echo));
        pthread_mutex_unlock(&srv.lock);
        snprintf(hdr, sizeof(hdr),
                 "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                 strlen(echo));
        send_text(fd, hdr);
        send_text(fd, echo);
    } else if (strcmp(path, "/notfound") == 0) {
        send_text(fd, "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
                      "Content-Length: 19\r\nConnection: close\r\n\r\n404 page not found\n");
    } else if (strcmp(path, "/ugly") == 0) {
        /* Control bytes, newlines and a body far past the quoted length. */
        static const char start[] = "line one\r\n\tline\x1b[31m two\x01\xff end   ";

        memset(body, 'x', sizeof(body));
        memcpy(body, start, sizeof(start) - 1);
        snprintf(hdr, sizeof(hdr),
                 "HTTP/1.1 500 Internal\x7fServer Error\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\n\r\n",
                 sizeof(body));
        send_text(fd, hdr);
        send_all(fd, body, sizeof(body));
    } else if (strcmp(path, "/nobody") == 0) {
        send_text(fd, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                      "Connection: close\r\n\r\n");
    } else if (strcmp(path, "/redirect") == 0) {
        send_text(fd, "HTTP/1.1 302 Found\r\nLocation: /ok\r\nContent-Length: 0\r\n"
                      "Connection: close\r\n\r\n");
    } else if (strcmp(path, "/redirect-body") == 0) {
        /* A redirect whose own body is long: it is not the answer and must not count. */
        memset(body, 'r', sizeof(body));
        snprintf(hdr, sizeof(hdr),
                 "HTTP/1.1 301 Moved Permanently\r\nLocation: /ok\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\n\r\n",
                 sizeof(body));
        send_text(fd, hdr);
        send_all(fd, body, sizeof(body));
    } else if (strncmp(path, "/chain/", 7) == 0) {
        /* /chain/N redirects to /chain/N-1, and /chain/0 to /ok. */
        int n = atoi(path + 7);

        if (n <= 0)
            snprintf(hdr, sizeof(hdr), "Location: /ok\r\n");
        else
            snprintf(hdr, sizeof(hdr), "Location: /chain/%d\r\n", n - 1);
        send_text(fd, "HTTP/1.1 302 Found\r\n");
        send_text(fd, hdr);
        send_text(fd, "Content-Length: 0\r\nConnection: close\r\n\r\n");
    } else if (strcmp(path, "/to-file") == 0) {
        send_text(fd, "HTTP/1.1 302 Found\r\nLocation: file:///etc/passwd\r\n"
                      "Content-Length: 0\r\nConnection: close\r\n\r\n");
    } else if (strcmp(path, "/big") == 0) {
        /* No Content-Length: only counting the streamed bytes can catch it. */
        send_text(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
        send_big_body(fd);
    } else if (strcmp(path, "/big-length") == 0) {
        snprintf(hdr, sizeof(hdr),
                 "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", BIG_BODY);
        send_text(fd, hdr);
        send_big_body(fd);
    } else if (strcmp(path, "/big-error") == 0) {
        send_text(fd, "HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n");
        send_big_body(fd);
    } else if (strcmp(path, "/garbage") == 0) {
        send_text(fd, "this is not http at all\r\n\r\n");
    } else {
        send_text(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                      "Connection: close\r\n\r\n");
    }
}

/* Reads one request's headers (bounded by SO_RCVTIMEO) and answers it. */
static void
serve_one(int fd)
{
    struct timeval tv = {2, 0};
    char req[4096], path[256];
    size_t n = 0;

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    while (n < sizeof(req) - 1) {
        ssize_t r = recv(fd, req + n, sizeof(req) - 1 - n, 0);

        if (r <= 0)
            return;
        n += (size_t)r;
        req[n] = '\0';
        if (strstr(req, "\r\n\r\n") != NULL)
            break;
    }
    pthread_mutex_lock(&srv.lock);
    snprintf(srv.last_request, sizeof(srv.last_request), "%s", req);
    pthread_mutex_unlock(&srv.lock);
    if (sscanf(req, "GET %255s HTTP/", path) != 1)
        return;
    answer(fd, path);
}

static void *
server_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&srv.stop)) {
        struct pollfd p = {.fd = srv.fd, .events = POLLIN};
        int c;

        if (poll(&p, 1, 100) <= 0)
            continue;
        if ((c = accept(srv.fd, NULL, NULL)) < 0)
            continue;
        serve_one(c);
        shutdown(c, SHUT_WR);
        close(c);
    }
    return NULL;
}

/* A socket listening on 127.0.0.1 on a free port; its port in *port. */
static int
listen_loopback(unsigned short *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 16), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static int
server_setup(void **state)
{
    (void)state;
    /* A proxy from the environment would take our loopback requests elsewhere. */
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    srv.fd = listen_loopback(&srv.port);
    atomic_store(&srv.stop, 0);
    pthread_mutex_init(&srv.lock, NULL);
    return pthread_create(&srv.thread, NULL, server_main, NULL) == 0 ? 0 : -1;
}

static int
server_teardown(void **state)
{
    (void)state;
    atomic_store(&srv.stop, 1);
    pthread_join(srv.thread, NULL);
    close(srv.fd);
    pthread_mutex_destroy(&srv.lock);
    return 0;
}

static const char *
url(const char *path)
{
    static char u[128];

    snprintf(u, sizeof(u), "http://127.0.0.1:%u%s", srv.port, path);
    return u;
}

static const struct fetch_opts quick = {.timeout_ms = 5000, .connect_timeout_ms = 2000};

/* Fetches path with a cap of max bytes: the result, the body in *out, the message in *eb. */
static enum hw_err
get(const char *path, size_t max, const struct fetch_opts *o, struct buf *out, struct errbuf *eb)
{
    buf_init(out, max);
    errbuf_clear(eb);
    return fetch_url(url(path), o ? o : &quick, out, eb);
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_is_url(void **state)
{
    (void)state;
    assert_true(fetch_is_url("http://x/"));
    assert_true(fetch_is_url("https://x/debug/pprof/heap"));
    assert_true(fetch_is_url("HTTP://X/"));
    assert_false(fetch_is_url("ftp://x/"));
    assert_false(fetch_is_url("file:///etc/passwd"));
    assert_false(fetch_is_url("heap.pb.gz"));
    assert_false(fetch_is_url("http:/x"));
    assert_false(fetch_is_url("-"));
    assert_false(fetch_is_url(""));
}

static void
test_ok_body(void **state)
{
    struct errbuf eb;
    struct buf b;

    (void)state;
    assert_int_equal(get("/ok", 0, NULL, &b, &eb), HW_OK);
    assert_int_equal(b.len, 13);
    assert_memory_equal(b.data, "hello profile", 13);
    assert_int_equal(b.data[b.len], '\0');
    buf_reset(&b);

    assert_int_equal(get("/binary", 0, NULL, &b, &eb), HW_OK);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, "a\0b\0c", 5);
    buf_reset(&b);

    assert_int_equal(get("/empty", 0, NULL, &b, &eb), HW_OK);
    assert_int_equal(b.len, 0);
    buf_reset(&b);
}

static void
test_appends_to_existing(void **state)
{
    struct errbuf eb = {{0}};
    struct buf b;

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(buf_puts(&b, "head:"), HW_OK);
    assert_int_equal(fetch_url(url("/ok"), &quick, &b, &eb), HW_OK);
    assert_string_equal((char *)b.data, "head:hello profile");
    /* A failure leaves what was there before. */
    assert_int_equal(fetch_url(url("/notfound"), &quick, &b, &eb), HW_UPSTREAM);
    assert_string_equal((char *)b.data, "head:hello profile");
    buf_reset(&b);
}

static void
test_body_left_as_sent(void **state)
{
    struct errbuf eb;
    struct buf b;

    (void)state;
    assert_int_equal(get("/gzip", 0, NULL, &b, &eb), HW_OK);
    assert_int_equal(b.len, 24);
    assert_int_equal(b.data[0], 0x1f);
    assert_int_equal(b.data[1], 0x8b);
    buf_reset(&b);
}

static void
test_request_headers(void **state)
{
    struct errbuf eb;
    struct buf b;

    (void)state;
    assert_int_equal(get("/echo", 0, NULL, &b, &eb), HW_OK);
    assert_non_null(strstr((char *)b.data, "GET /echo HTTP/1.1\r\n"));
    assert_non_null(strstr((char *)b.data, "\r\nUser-Agent: heapwatch\r\n"));
    assert_null(strstr((char *)b.data, "Accept-Encoding"));
    buf_reset(&b);
}

static void
test_not_found(void **state)
{
    char want[512];
    struct errbuf eb;
    struct buf b;

    (void)state;
    assert_int_equal(get("/notfound", 0, NULL, &b, &eb), HW_UPSTREAM);
    snprintf(want, sizeof(want), "%s: HTTP 404 Not Found: 404 page not found", url("/notfound"));
    assert_string_equal(eb.msg, want);
    assert_int_equal(b.len, 0);
    buf_reset(&b);

    assert_int_equal(get("/nobody", 0, NULL, &b, &eb), HW_UPSTREAM);
    snprintf(want, sizeof(want), "%s: HTTP 503 Service Unavailable", url("/nobody"));
    assert_string_equal(eb.msg, want);
    buf_reset(&b);
}

static void
test_error_body_sanitised(void **state)
{
    struct errbuf eb;
    struct buf b;
    const char *body;
    size_t i;

    (void)state;
    assert_int_equal(get("/ugly", 0, NULL, &b, &eb), HW_UPSTREAM);
    for (i = 0; eb.msg[i] != '\0'; i++)
        assert_true(eb.msg[i] >= 0x20 && eb.msg[i] < 0x7f);
    assert_non_null(strstr(eb.msg, ": HTTP 500 Internal?Server Error: line one line?[31m two?? "
                                   "end xxx"));
    body = strstr(eb.msg, "line one");
    assert_non_null(body);
    assert_true(strlen(body) <= 200);
    assert_true(strlen(body) > 150);
    buf_reset(&b);
}

static void
test_big_error_body_stops_early(void **state)
{
    struct errbuf eb;
    struct buf b;

    (void)state;
    /* The body is past the cap, yet the status is what gets reported. */
    assert_int_equal(get("/big-error", 1000, NULL, &b, &eb), HW_UPSTREAM);
    assert_non_null(strstr(eb.msg, ": HTTP 502 Bad Gateway: abcdefghij"));
    buf_reset(&b);
}

static void
test_redirect(void **state)
{
    struct fetch_opts none = quick, two = quick;
    char want[512];
    struct errbuf eb;
    struct buf b;

    (void)state;
    assert_int_equal(get("/redirect", 0, NULL, &b, &eb), HW_OK);
    assert_string_equal((char *)b.data, "hello profile");
    buf_reset(&b);

    if (get("/redirect-body", 100, NULL, &b, &eb) != HW_OK)
        fail_msg("%s", eb.msg);
    assert_string_equal((char *)b.data, "hello profile");
    buf_reset(&b);

    /* Five redirects are allowed by default, the sixth is not. */
    assert_int_equal(get("/chain/4", 0, NULL, &b, &eb), HW_OK);
    assert_string_equal((char *)b.data, "hello profile");
    buf_reset(&b);
    assert_int_equal(get("/chain/5", 0, NULL, &b, &eb), HW_UPSTREAM);
    assert_non_null(strstr(eb.msg, "edirect"));
    buf_reset(&b);

    two.max_redirects = 2;
    assert_int_equal(get("/chain/1", 0, &two, &b, &eb), HW_OK);
    buf_reset(&b);
    assert_int_equal(get("/chain/2", 0, &two, &b, &eb), HW_UPSTREAM);
    buf_reset(&b);

    none.max_redirects = -1;
    assert_int_equal(get("/redirect", 0, &none, &b, &eb), HW_UPSTREAM);
    snprintf(want, sizeof(want), "%s: HTTP 302 Found", url("/redirect"));
    assert_string_equal(eb.msg, want);
    buf_reset(&b);
}

static void
test_redirect_only_to_http(void **state)
{
    struct errbuf eb;
    struct buf b;

    (void)state;
    assert_int_equal(get("/to-file", 0, NULL, &b, &eb), HW_UPSTREAM);
    assert_int_equal(b.len, 0);
    assert_null(strstr((char *)(b.data ? b.data : (unsigned char *)""), "root:"));
    buf_reset(&b);
}

static void
test_body_past_cap(void **state)
{
    char want[512];
    struct errbuf eb;
    struct buf b;

    (void)state;
    assert_int_equal(get("/big", 65536, NULL, &b, &eb), HW_TOOBIG);
    snprintf(want, sizeof(want), "%s: response body exceeds 65536 bytes", url("/big"));
    assert_string_equal(eb.msg, want);
    assert_true(b.cap <= 2 * 65536 + 2); /* the buffer grows by doubling */
    assert_int_equal(b.len, 0);
    buf_reset(&b);

    assert_int_equal(get("/big-length", 65536, NULL, &b, &eb), HW_TOOBIG);
    snprintf(want, sizeof(want), "%s: response body exceeds 65536 bytes", url("/big-length"));
    assert_string_equal(eb.msg, want);
    buf_reset(&b);

    /* Exactly at the cap is fine. */
    assert_int_equal(get("/big", BIG_BODY, NULL, &b, &eb), HW_OK);
    assert_int_equal(b.len, BIG_BODY);
    buf_reset(&b);
    assert_int_equal(get("/big-length", BIG_BODY, NULL, &b, &eb), HW_OK);
    assert_int_equal(b.len, BIG_BODY);
    buf_reset(&b);
}

/* Walks the cap up from 1: below the body's length every fetch is HW_TOOBIG, from
 * it on every fetch succeeds with the whole body. */
static void
test_cap_walk(void **state)
{
    struct errbuf eb;
    struct buf b;
    size_t max;

    (void)state;
    for (max = 1; max <= 16; max++) {
        enum hw_err err = get("/ok", max, NULL, &b, &eb);

        if (max < 13) {
            assert_int_equal(err, HW_TOOBIG);
            assert_int_equal(b.len, 0);
        } else {
            assert_int_equal(err, HW_OK);
            assert_string_equal((char *)b.data, "hello profile");
        }
        buf_reset(&b);
    }
}

static void
test_never_answers(void **state)
{
    struct fetch_opts o = {.timeout_ms = 300, .connect_timeout_ms = 300};
    unsigned short port;
    int fd = listen_loopback(&port); /* listens, never accepts */
    char u[128];
    struct errbuf eb = {{0}};
    struct buf b;
    double t0;

    (void)state;
    snprintf(u, sizeof(u), "http://127.0.0.1:%u/heap", port);
    buf_init(&b, 0);
    t0 = now_s();
    assert_int_equal(fetch_url(u, &o, &b, &eb), HW_UPSTREAM);
    assert_true(now_s() - t0 < 3.0);
    assert_non_null(strstr(eb.msg, u));
    assert_non_null(strstr(eb.msg, "imed out"));
    buf_reset(&b);
    close(fd);
}

static void
test_closed_port(void **state)
{
    unsigned short port;
    int fd = listen_loopback(&port);
    char u[128];
    struct errbuf eb = {{0}};
    struct buf b;

    (void)state;
    close(fd); /* nothing listens there any more */
    snprintf(u, sizeof(u), "http://127.0.0.1:%u/heap", port);
    buf_init(&b, 0);
    assert_int_equal(fetch_url(u, &quick, &b, &eb), HW_UPSTREAM);
    assert_non_null(strstr(eb.msg, u));
    assert_non_null(strstr(eb.msg, "onnect"));
    buf_reset(&b);
}

static void
test_not_http(void **state)
{
    struct errbuf eb;
    struct buf b;

    (void)state;
    assert_int_equal(get("/garbage", 0, NULL, &b, &eb), HW_UPSTREAM);
    assert_true(strlen(eb.msg) > strlen(url("/garbage")) + 2);
    buf_reset(&b);
}

static void
test_credentials_not_quoted(void **state)
{
    char u[128];
    struct errbuf eb = {{0}};
    struct buf b;

    (void)state;
    snprintf(u, sizeof(u), "http://user:secret@127.0.0.1:%u/notfound", srv.port);
    buf_init(&b, 0);
    assert_int_equal(fetch_url(u, &quick, &b, &eb), HW_UPSTREAM);
    assert_null(strstr(eb.msg, "secret"));
    assert_non_null(strstr(eb.msg, "HTTP 404"));
    buf_reset(&b);
}

/* fetch_url from several threads at once: the global libcurl setup happens once. */
static void *
fetch_thread(void *arg)
{
    struct errbuf eb = {{0}};
    struct buf b;
    enum hw_err err;

    buf_init(&b, 0);
    err = fetch_url(arg, &quick, &b, &eb);
    if (err == HW_OK && strcmp((char *)b.data, "hello profile") != 0)
        err = HW_BADDATA;
    buf_reset(&b);
    return (void *)(intptr_t)err;
}

static void
test_threads(void **state)
{
    pthread_t t[4];
    char u[128];
    void *r;
    int i;

    (void)state;
    snprintf(u, sizeof(u), "%s", url("/ok"));
    for (i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, fetch_thread, u), 0);
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], &r), 0);
        assert_int_equal((intptr_t)r, HW_OK);
    }
}

/* A temporary file holding n bytes of s; its path in path (of size PATH_MAX-ish). */
static void
temp_file(char *path, size_t pathsz, const void *s, size_t n)
{
    int fd;

    snprintf(path, pathsz, "%s/hw_fetch_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, s, n), (ssize_t)n);
    close(fd);
}

static void
test_source_file(void **state)
{
    char path[512];
    struct errbuf eb = {{0}};
    struct buf b;

    (void)state;
    temp_file(path, sizeof(path), "a;b 1\n", 6);
    buf_init(&b, 0);
    assert_int_equal(source_read(path, &quick, &b, &eb), HW_OK);
    assert_string_equal((char *)b.data, "a;b 1\n");
    buf_reset(&b);

    buf_init(&b, 5);
    assert_int_equal(source_read(path, &quick, &b, &eb), HW_TOOBIG);
    assert_non_null(strstr(eb.msg, "exceeds 5 bytes"));
    buf_reset(&b);

    buf_init(&b, 6);
    assert_int_equal(source_read(path, &quick, &b, &eb), HW_OK);
    buf_reset(&b);
    unlink(path);
}

static void
test_source_bad_paths(void **state)
{
    char want[512], dir[256];
    struct errbuf eb = {{0}};
    struct buf b;

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(source_read("/nonexistent/heap.pb.gz", &quick, &b, &eb), HW_IO);
    assert_string_equal(eb.msg, "open /nonexistent/heap.pb.gz: No such file or directory");

    snprintf(dir, sizeof(dir), "%s/hw_fetch_dir_XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(dir));
    errbuf_clear(&eb);
    assert_int_equal(source_read(dir, &quick, &b, &eb), HW_IO);
    snprintf(want, sizeof(want), "open %s: Is a directory", dir);
    assert_string_equal(eb.msg, want);
    rmdir(dir);

    /* A path that only looks like a URL scheme is a file name. */
    errbuf_clear(&eb);
    assert_int_equal(source_read("file:///etc/passwd", &quick, &b, &eb), HW_IO);
    assert_int_equal(b.len, 0);
    buf_reset(&b);
}

static void
test_source_url(void **state)
{
    struct errbuf eb = {{0}};
    struct buf b;

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(source_read(url("/ok"), &quick, &b, &eb), HW_OK);
    assert_string_equal((char *)b.data, "hello profile");
    buf_reset(&b);
    assert_int_equal(source_read(url("/notfound"), &quick, &b, &eb), HW_UPSTREAM);
    buf_reset(&b);
}

/* Runs source_read("-") with stdin reading the n bytes of s. */
static enum hw_err
read_stdin(const void *s, size_t n, size_t max, struct buf *b, struct errbuf *eb)
{
    char path[512];
    int saved = dup(0), fd;
    enum hw_err err;

    temp_file(path, sizeof(path), s, n);
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0 && saved >= 0);
    assert_int_equal(dup2(fd, 0), 0);
    close(fd);
    clearerr(stdin);
    buf_init(b, max);
    errbuf_clear(eb);
    err = source_read("-", &quick, b, eb);
    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
    clearerr(stdin);
    unlink(path);
    return err;
}

static void
test_source_stdin(void **state)
{
    struct errbuf eb;
    struct buf b;

    (void)state;
    assert_int_equal(read_stdin("x\0y", 3, 0, &b, &eb), HW_OK);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "x\0y", 3);
    buf_reset(&b);

    assert_int_equal(read_stdin("", 0, 0, &b, &eb), HW_OK);
    assert_int_equal(b.len, 0);
    buf_reset(&b);

    assert_int_equal(read_stdin("abcdef", 6, 4, &b, &eb), HW_TOOBIG);
    assert_string_equal(eb.msg, "standard input exceeds 4 bytes");
    buf_reset(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_url),
        cmocka_unit_test(test_ok_body),
        cmocka_unit_test(test_appends_to_existing),
        cmocka_unit_test(test_body_left_as_sent),
        cmocka_unit_test(test_request_headers),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_error_body_sanitised),
        cmocka_unit_test(test_big_error_body_stops_early),
        cmocka_unit_test(test_redirect),
        cmocka_unit_test(test_redirect_only_to_http),
        cmocka_unit_test(test_body_past_cap),
        cmocka_unit_test(test_cap_walk),
        cmocka_unit_test(test_never_answers),
        cmocka_unit_test(test_closed_port),
        cmocka_unit_test(test_not_http),
        cmocka_unit_test(test_credentials_not_quoted),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_source_file),
        cmocka_unit_test(test_source_bad_paths),
        cmocka_unit_test(test_source_url),
        cmocka_unit_test(test_source_stdin),
    };

    return cmocka_run_group_tests(tests, server_setup, server_teardown);
}

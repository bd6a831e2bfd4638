/* fetch.c - reading a SOURCE. URLs go through one libcurl easy handle per call, made
 * and released here: http and https only (redirects included, so a server cannot bounce
 * us to file:// or gopher://), bounded by connect and total timeouts. The body streams
 * into the caller's capped buffer and the transfer is aborted the moment the cap is
 * passed, so a hostile or runaway server costs at most the cap. Bodies are kept exactly
 * as sent: profiles are gzip by content, and the decoder sniffs that itself. */
#include "fetch.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define FETCH_SNIPPET 200 /* bytes of an error body quoted in the message */

/* What the curl callbacks share with fetch_url for one transfer. */
struct fetch_sink {
    struct buf *out;
    size_t start;                    /* out->len before the transfer, restored on failure */
    long status;                     /* of the latest response whose status line was seen */
    char reason[64];                 /* its reason phrase, sanitised */
    char snippet[FETCH_SNIPPET + 1]; /* the start of a non-200 body */
    size_t nsnippet;
    enum hw_err err;  /* why the write callback aborted, HW_OK if it did not */
    int snippet_done; /* the write callback stopped on purpose after the snippet */
    int follow;       /* redirects are followed */
};

/* libcurl's global state is process-wide and its initialisation is not thread-safe,
 * while fetch_url may be called from the server's threads: pthread_once makes the
 * first caller do it and the others wait for it. */
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static CURLcode fetch_init_rc = CURLE_FAILED_INIT;

static void
fetch_global_init(void)
{
    fetch_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int
fetch_is_url(const char *spec)
{
    return strncasecmp(spec, "http://", 7) == 0 || strncasecmp(spec, "https://", 8) == 0;
}

/* Copies n bytes of s into dst (of size dstsz) as one printable ASCII line: runs of
 * whitespace become one space, other bytes outside 0x20..0x7e become '?', and the
 * ends are trimmed, so that a body or header cannot forge log lines or terminal
 * escapes in the message. */
static void
fetch_sanitise(char *dst, size_t dstsz, const char *s, size_t n)
{
    size_t i, k = 0;
    int space = 0;

    for (i = 0; i < n && k + 1 < dstsz; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f') {
            space = k > 0;
            continue;
        }
        if (space && k + 2 < dstsz)
            dst[k++] = ' ';
        space = 0;
        dst[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    dst[k] = '\0';
}

/* Whether a Content-Length header line announces more than the buffer may take. */
static int
fetch_too_long(const struct fetch_sink *s, const char *p, size_t len)
{
    size_t i = 15, room = s->out->max > s->out->len ? s->out->max - s->out->len : 0;
    unsigned long long n = 0;

    if (s->out->max == 0 || len < 15 || strncasecmp(p, "Content-Length:", 15) != 0)
        return 0;
    while (i < len && (p[i] == ' ' || p[i] == '\t'))
        i++;
    for (; i < len && isdigit((unsigned char)p[i]); i++) {
        if (n > (ULLONG_MAX - 9) / 10)
            return 1;
        n = n * 10 + (unsigned long long)(p[i] - '0');
    }
    return n > room;
}

/* The status line of every response (redirects and 100 Continue included) comes
 * through here; the latest one is the one the body that follows belongs to, so the
 * state kept for an earlier response's body is dropped. Returning less than was
 * given aborts the transfer, as it does for the write callback. */
static size_t
fetch_header(char *p, size_t size, size_t n, void *arg)
{
    struct fetch_sink *s = arg;
    size_t len = size * n, i = 0;
    long status = 0;

    /* A body announced past the cap fails before any of it is read. Only the final
     * answer's length matters: a long redirect body is skipped, not kept. */
    if (s->status == 200 && fetch_too_long(s, p, len)) {
        s->err = HW_TOOBIG;
        return 0;
    }
    if (len < 5 || memcmp(p, "HTTP/", 5) != 0)
        return len;
    for (i = 5; i < len && p[i] != ' '; i++)
        continue;
    while (i < len && p[i] == ' ')
        i++;
    while (i < len && isdigit((unsigned char)p[i]) && status < 1000)
        status = status * 10 + (p[i++] - '0');
    while (i < len && p[i] == ' ')
        i++;
    s->status = status;
    fetch_sanitise(s->reason, sizeof(s->reason), p + i, len - i);
    if (s->out->len > s->start) {
        s->out->len = s->start;
        s->out->data[s->out->len] = '\0';
    }
    s->nsnippet = 0;
    return len;
}

/* Returning less than was given makes libcurl abort with CURLE_WRITE_ERROR. */
static size_t
fetch_write(char *p, size_t size, size_t n, void *arg)
{
    struct fetch_sink *s = arg;
    size_t len = size * n, room;

    if (s->status / 100 == 3 && s->follow)
        return len; /* the body of a redirect that is being followed */
    if (s->status != 200) {
        /* Only the start of an error body is wanted; stop once we have it. */
        room = FETCH_SNIPPET - s->nsnippet;
        if (len > room)
            len = room;
        memcpy(s->snippet + s->nsnippet, p, len);
        s->nsnippet += len;
        if (s->nsnippet < FETCH_SNIPPET)
            return size * n;
        s->snippet_done = 1;
        return 0;
    }
    if ((s->err = buf_append(s->out, p, len)) != HW_OK)
        return 0;
    return len;
}

/* "user:password@" is cut from URLs quoted in messages, which end up in logs. */
static void
fetch_redact(char *dst, size_t dstsz, const char *url)
{
    const char *host = strstr(url, "://"), *end, *at;

    snprintf(dst, dstsz, "%s", url);
    if (host == NULL)
        return;
    host += 3;
    end = host + strcspn(host, "/?#");
    for (at = end; at > host && at[-1] != '@'; at--)
        continue;
    if (at > host)
        snprintf(dst, dstsz, "%.*s%s", (int)(host - url), url, at);
}

static enum hw_err
fetch_setup(CURL *c, const struct fetch_opts *o, struct fetch_sink *s, char *errtext)
{
    long timeout = o && o->timeout_ms > 0 ? o->timeout_ms : 60000;
    long connect = o && o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000;
    long redirects = o && o->max_redirects != 0 ? o->max_redirects : 5;
    CURLcode rc = CURLE_OK;

#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(c, opt, val);                                                    \
    } while (0)
    SET(CURLOPT_ERRORBUFFER, errtext);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85: the bitmask options are deprecated */
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    s->follow = redirects > 0;
    SET(CURLOPT_FOLLOWLOCATION, redirects > 0 ? 1L : 0L);
    SET(CURLOPT_MAXREDIRS, redirects > 0 ? redirects : 0L);
    SET(CURLOPT_TIMEOUT_MS, timeout);
    SET(CURLOPT_CONNECTTIMEOUT_MS, connect);
    /* Timeouts by signal would hit whichever thread gets SIGALRM. */
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_USERAGENT, "heapwatch");
    /* No Accept-Encoding is sent, and a Content-Encoding sent anyway is not undone. */
    SET(CURLOPT_HTTP_CONTENT_DECODING, 0L);
    SET(CURLOPT_HEADERFUNCTION, fetch_header);
    SET(CURLOPT_HEADERDATA, s);
    SET(CURLOPT_WRITEFUNCTION, fetch_write);
    SET(CURLOPT_WRITEDATA, s);
#undef SET
    return rc == CURLE_OK ? HW_OK : HW_NOMEM;
}

/* The message for a transfer that completed with a status other than 200. */
static enum hw_err
fetch_status_error(const struct fetch_sink *s, const char *url, struct errbuf *eb)
{
    char body[FETCH_SNIPPET + 1];

    fetch_sanitise(body, sizeof(body), s->snippet, s->nsnippet);
    return errbuf_set(eb, HW_UPSTREAM, "%s: HTTP %ld%s%s%s%s", url, s->status,
                      s->reason[0] ? " " : "", s->reason, body[0] ? ": " : "", body);
}

/* What a finished transfer amounts to. where is the (redacted) URL for messages and
 * errtext libcurl's own words; s->status is the final response's status (0: none). */
static enum hw_err
fetch_outcome(const struct fetch_sink *s, CURLcode rc, const char *where, const char *errtext,
              struct errbuf *eb)
{
    if (s->err == HW_TOOBIG)
        return errbuf_set(eb, HW_TOOBIG, "%s: response body exceeds %zu bytes", where, s->out->max);
    if (s->err != HW_OK)
        return errbuf_set(eb, s->err, "%s: %s", where, hw_strerror(s->err));
    /* A completed answer, or an error body we stopped reading on purpose. */
    if (s->status != 200 && (rc == CURLE_OK || s->snippet_done)) {
        if (s->status == 0)
            return errbuf_set(eb, HW_UPSTREAM, "%s: no HTTP status in the response", where);
        return fetch_status_error(s, where, eb);
    }
    if (rc != CURLE_OK)
        return errbuf_set(eb, HW_UPSTREAM, "%s: %s", where,
                          errtext[0] ? errtext : curl_easy_strerror(rc));
    return HW_OK;
}

enum hw_err
fetch_url(const char *url, const struct fetch_opts *o, struct buf *out, struct errbuf *eb)
{
    struct fetch_sink s = {.out = out, .start = out->len};
    char errtext[CURL_ERROR_SIZE] = "", where[512];
    const char *eff = NULL;
    CURL *c = NULL;
    CURLcode rc;
    long status = 0;
    enum hw_err err;

    fetch_redact(where, sizeof(where), url);
    pthread_once(&fetch_once, fetch_global_init);
    if (fetch_init_rc != CURLE_OK) {
        err = errbuf_set(eb, HW_NOMEM, "%s: cannot initialise libcurl: %s", where,
                         curl_easy_strerror(fetch_init_rc));
        goto out;
    }
    if ((c = curl_easy_init()) == NULL || fetch_setup(c, o, &s, errtext) != HW_OK ||
        curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK) {
        err = errbuf_set(eb, HW_NOMEM, "%s: cannot set up libcurl", where);
        goto out;
    }
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    /* After redirects the final URL is the one the status and body belong to. */
    if (curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff != NULL)
        fetch_redact(where, sizeof(where), eff);
    s.status = status;
    err = fetch_outcome(&s, rc, where, errtext, eb);
out:
    if (err != HW_OK && out->len > s.start) {
        out->len = s.start;
        out->data[out->len] = '\0';
    }
    curl_easy_cleanup(c);
    return err;
}

/* Reads an open stream into out; name is what messages call it. */
static enum hw_err
source_read_stream(FILE *f, const char *name, struct buf *out, struct errbuf *eb)
{
    enum hw_err err;

    errno = 0;
    if ((err = buf_read_file(out, f)) == HW_OK)
        return HW_OK;
    if (err == HW_TOOBIG)
        return errbuf_set(eb, err, "%s exceeds %zu bytes", name, out->max);
    if (err == HW_IO)
        return errbuf_set(eb, err, "read %s: %s", name,
                          errno ? strerror(errno) : "input/output error");
    return errbuf_set(eb, err, "read %s: %s", name, hw_strerror(err));
}

enum hw_err
source_read(const char *spec, const struct fetch_opts *o, struct buf *out, struct errbuf *eb)
{
    struct stat st;
    enum hw_err err;
    FILE *f;
    int fd;

    if (strcmp(spec, "-") == 0)
        return source_read_stream(stdin, "standard input", out, eb);
    if (fetch_is_url(spec))
        return fetch_url(spec, o, out, eb);
    if ((fd = open(spec, O_RDONLY | O_CLOEXEC)) < 0)
        return errbuf_set(eb, HW_IO, "open %s: %s", spec, strerror(errno));
    /* Linux lets a directory be opened for reading; say so rather than fail on read. */
    if (fstat(fd, &st) != 0)
        memset(&st, 0, sizeof(st));
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return errbuf_set(eb, HW_IO, "open %s: %s", spec, strerror(EISDIR));
    }
    /* A regular file's size sizes the buffer: no doubling, no copies of big inputs. */
    if (S_ISREG(st.st_mode) && st.st_size > 0 &&
        (out->max == 0 || (uintmax_t)st.st_size <= out->max))
        buf_reserve(out, (size_t)st.st_size);
    if ((f = fdopen(fd, "rb")) == NULL) {
        err = errbuf_set(eb, HW_IO, "open %s: %s", spec, strerror(errno));
        close(fd);
        return err;
    }
    err = source_read_stream(f, spec, out, eb);
    fclose(f);
    return err;
}

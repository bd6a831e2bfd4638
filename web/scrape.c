/* scrape.c - the schedule. The scraper thread owns the curl multi handle and the
 * schedule fields of every series; it starts what is due, polls, and hands each
 * finished transfer (body, status, error) to a queue. Workers take from the queue,
 * decode and check the body, summarise it against the previous scrape of the same
 * series, store it in the history and update the series' status under the lock.
 *
 * A series is busy from the start of its request until a worker has finished with
 * it, so one series never has two scrapes in flight and a tick that comes while it
 * is busy is skipped (and counted). Reloads build a new registry in the scraper
 * thread and move the state of surviving series over, keyed by target and type;
 * workers find their series by key under the lock, never by a stored pointer. */
#include <curl/curl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"
#include "log.h"
#include "nodeinfo.h"
#include "scrape.h"

#define SCRAPE_WORKERS 3
#define SCRAPE_LEAK_SEED 60 /* stored scrapes a new tracker is seeded with */

/* A series' leak tracker with the report it computed last. Reloads move it from
 * series to series and workers and the web hold it while they use it, so it is
 * reference counted; mu serialises the tracker itself. */
struct leakbox {
    pthread_mutex_t mu;
    int refs; /* atomic */
    struct leak_tracker *t;
    struct leak_report *last;
    int64_t last_report; /* monotonic ms */
    bool seeded, disabled;
};
#define SCRAPE_USER_AGENT "heapwatch/0.1"

struct series {
    char *key; /* target, '\x1f', type: the identity that survives reloads */
    char *target, *type, *url, *job;
    struct kvlist labels;
    const struct job_cfg *jc; /* auth and TLS; lives as long as the registry's config */
    int64_t interval_ms, timeout_ms, offset_ms;
    /* Scraper thread only. */
    int64_t next_due; /* monotonic ms */
    CURL *easy;
    struct curl_slist *headers;
    struct buf body;
    int64_t due, started_mono, started_real;
    /* Under scraper->lock. */
    bool busy;
    struct series_status st; /* strings unused here: see status_copy */
    struct scrape_summary latest;
    bool has_latest;
    struct leakbox *lb; /* NULL when the type gets no leak tracking */
};

struct registry {
    struct config *cfg;
    struct series **v; /* sorted by key */
    size_t n;
    struct series **heap; /* the same series, a min-heap on next_due (scraper thread) */
};

struct job {
    struct job *next;
    char *key, *target, *type, *ctype;
    struct buf body;
    long status;
    CURLcode cc;
    char curl_err[CURL_ERROR_SIZE];
    int64_t started_real, duration_ms, timeout_ms;
};

struct scraper {
    struct history *hist;
    pthread_t thread, workers[SCRAPE_WORKERS];
    size_t nworkers;
    bool thread_started;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* queue not empty, or stopping */
    struct registry *reg;        /* under lock (swapped by the scraper thread) */
    struct config *pending;      /* under lock: a reload to apply */
    struct job *qhead, *qtail;   /* under lock */
    size_t queued, in_flight;
    volatile int stop;           /* set once, read by every thread */
    CURLM *multi;
    int epfd, wakefd;  /* epoll over curl's sockets and the wake-up eventfd */
    int64_t curl_due;  /* monotonic ms when curl wants its timeout call; -1: none */
    int64_t sd_mtime, sd_checked;
    struct scraper_stats stats; /* under lock */
};

static int64_t
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
real_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- registry ------------------------------------------------------------- */

static struct leakbox *
leakbox_new(void)
{
    struct leakbox *lb = calloc(1, sizeof(*lb));
    struct leak_opts o;

    /* A third of the CLI's bounds: a daemon keeps a tracker per target and type,
     * and 40 points over the window and the 12 largest stacks and sites are
     * enough to tell a steady rise from churn (under 20 kB a tracker, not 70). */
    leak_opts_init(&o);
    o.max_points = 40;
    o.max_series = 12;
    if (lb == NULL || (lb->t = leak_tracker_new(&o)) == NULL) {
        free(lb);
        return NULL;
    }
    pthread_mutex_init(&lb->mu, NULL);
    lb->refs = 1;
    return lb;
}

static struct leakbox *
leakbox_ref(struct leakbox *lb)
{
    if (lb != NULL)
        __atomic_add_fetch(&lb->refs, 1, __ATOMIC_ACQ_REL);
    return lb;
}

static void
leakbox_unref(struct leakbox *lb)
{
    if (lb == NULL || __atomic_sub_fetch(&lb->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    leak_tracker_free(lb->t);
    leak_report_free(lb->last);
    pthread_mutex_destroy(&lb->mu);
    free(lb);
}

static void
series_free(struct series *se)
{
    if (se == NULL)
        return;
    leakbox_unref(se->lb);
    free(se->key);
    free(se->target);
    free(se->type);
    free(se->url);
    free(se->job);
    kvlist_clear(&se->labels);
    buf_reset(&se->body);
    summary_free(&se->latest);
    free(se);
}

static void
registry_free(struct registry *r)
{
    size_t i;

    if (r == NULL)
        return;
    for (i = 0; i < r->n; i++)
        series_free(r->v[i]);
    free(r->v);
    free(r->heap);
    config_free(r->cfg);
    free(r);
}

static int
series_cmp(const void *a, const void *b)
{
    return strcmp((*(struct series *const *)a)->key, (*(struct series *const *)b)->key);
}

static struct series *
registry_find(const struct registry *r, const char *key)
{
    size_t lo = 0, hi = r->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->v[mid]->key, key);

        if (c == 0)
            return r->v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static char *
make_key(const char *target, const char *type)
{
    size_t a = strlen(target), b = strlen(type);
    char *k = malloc(a + b + 2);

    if (k != NULL) {
        memcpy(k, target, a);
        k[a] = '\x1f';
        memcpy(k + a + 1, type, b + 1);
    }
    return k;
}

static struct series *
series_new(const struct target_def *t, const struct ptype_cfg *pt)
{
    struct series *se = calloc(1, sizeof(*se));

    if (se == NULL)
        return NULL;
    se->key = make_key(t->name, pt->name);
    se->target = strdup(t->name);
    se->type = strdup(pt->name);
    se->job = strdup(t->job->name);
    se->url = config_target_url(t, pt);
    if (se->key == NULL || se->target == NULL || se->type == NULL || se->job == NULL ||
        se->url == NULL || kvlist_copy(&se->labels, &t->labels) != HW_OK) {
        series_free(se);
        return NULL;
    }
    se->jc = t->job;
    se->interval_ms = pt->interval_ms > 0 ? pt->interval_ms : t->job->interval_ms;
    if (se->interval_ms < 100)
        se->interval_ms = 100;
    se->timeout_ms = t->job->timeout_ms > 0 ? t->job->timeout_ms : se->interval_ms;
    if (se->timeout_ms > se->interval_ms)
        se->timeout_ms = se->interval_ms;
    se->offset_ms = (int64_t)(hash_str(0xcbf29ce484222325ull, se->url) % (uint64_t)se->interval_ms);
    se->st.interval_ms = se->interval_ms;
    se->latest.alloc_objects_col = se->latest.alloc_space_col = -1;
    /* allocs carries the same records as heap: one analysis of them is enough. */
    if (strcmp(se->type, "allocs") != 0 && (se->lb = leakbox_new()) == NULL) {
        series_free(se);
        return NULL;
    }
    buf_init(&se->body, 0);
    return se;
}

/* The first due time: the next instant that is offset_ms past a multiple of the
 * interval, so series spread evenly over the interval whatever their start order. */
static int64_t
first_due(const struct series *se, int64_t now)
{
    int64_t k = now / se->interval_ms;
    int64_t due = k * se->interval_ms + se->offset_ms;

    return due <= now ? due + se->interval_ms : due;
}

/* Builds the registry of config c (taken over). NULL on out of memory. */
static struct registry *
registry_build(struct config *c)
{
    struct registry *r = calloc(1, sizeof(*r));
    struct target_set ts = {0};
    struct errbuf eb;
    size_t i, j, nwarn = 0, cap = 0;

    if (r == NULL) {
        config_free(c);
        return NULL;
    }
    r->cfg = c;
    errbuf_clear(&eb);
    if (config_expand(c, &ts, &nwarn, &eb) != HW_OK) {
        log_warnx("service discovery: %s", errbuf_msg(&eb, HW_BADDATA));
        registry_free(r);
        return NULL;
    }
    if (nwarn > 0)
        log_warnx("service discovery: %zu file(s) skipped: %s", nwarn, errbuf_msg(&eb, HW_BADDATA));
    for (i = 0; i < ts.n; i++)
        cap += ts.v[i].job->nptypes;
    r->v = calloc(cap ? cap : 1, sizeof(*r->v));
    for (i = 0; r->v != NULL && i < ts.n; i++)
        for (j = 0; j < ts.v[i].job->nptypes; j++) {
            const struct ptype_cfg *pt = &ts.v[i].job->ptypes[j];

            if (!pt->enabled)
                continue;
            if ((r->v[r->n] = series_new(&ts.v[i], pt)) == NULL)
                goto fail;
            r->n++;
        }
    if (r->v == NULL)
        goto fail;
    target_set_free(&ts);
    qsort(r->v, r->n, sizeof(*r->v), series_cmp);
    return r;
fail:
    target_set_free(&ts);
    registry_free(r);
    return NULL;
}

/* ---- requests ------------------------------------------------------------- */

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *user)
{
    struct series *se = user;
    size_t n = size * nmemb;

    if (buf_append(&se->body, ptr, n) != HW_OK)
        return 0; /* past the cap (or out of memory): curl aborts the transfer */
    return n;
}

/* The first line of a file (a password or token), NULL when unreadable. */
static char *
read_secret(const char *path)
{
    char line[4096];
    FILE *f = fopen(path, "r");
    size_t n;

    if (f == NULL)
        return NULL;
    if (fgets(line, sizeof(line), f) == NULL)
        line[0] = '\0';
    fclose(f);
    n = strcspn(line, "\r\n");
    line[n] = '\0';
    return strdup(line);
}

static void
set_auth(struct series *se, CURL *e)
{
    const struct auth_cfg *a = &se->jc->auth;
    char *secret = NULL, *hdr;

    if (a->username != NULL) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERNAME, a->username);
        secret = a->password_file ? read_secret(a->password_file) : NULL;
        curl_easy_setopt(e, CURLOPT_PASSWORD, secret ? secret : a->password ? a->password : "");
        free(secret);
        secret = NULL;
    }
    if (a->credentials != NULL || a->credentials_file != NULL) {
        secret = a->credentials_file ? read_secret(a->credentials_file) : NULL;
        const char *cred = secret ? secret : a->credentials ? a->credentials : "";
        const char *type = a->auth_type ? a->auth_type : "Bearer";
        size_t n = strlen(type) + strlen(cred) + 32;

        if ((hdr = malloc(n)) != NULL) {
            snprintf(hdr, n, "Authorization: %s %s", type, cred);
            se->headers = curl_slist_append(se->headers, hdr);
            free(hdr);
        }
        free(secret);
    }
}

static void
set_tls(struct series *se, CURL *e)
{
    const struct tls_cfg *t = &se->jc->tls;

    if (t->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, t->ca_file);
    if (t->cert_file)
        curl_easy_setopt(e, CURLOPT_SSLCERT, t->cert_file);
    if (t->key_file)
        curl_easy_setopt(e, CURLOPT_SSLKEY, t->key_file);
    if (t->insecure_skip_verify) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

static int
request_start(struct scraper *s, struct series *se, int64_t now)
{
    CURL *e = curl_easy_init();

    if (e == NULL)
        return -1;
    buf_init(&se->body, s->reg->cfg->limits.max_body_bytes);
    se->headers = curl_slist_append(NULL, "Accept: application/octet-stream, */*;q=0.5");
    curl_easy_setopt(e, CURLOPT_URL, se->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, se);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, se);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)se->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)se->timeout_ms);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, SCRAPE_USER_AGENT);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
                     (curl_off_t)s->reg->cfg->limits.max_body_bytes);
#if CURL_AT_LEAST_VERSION(7, 85, 0)
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#endif
    set_auth(se, e);
    set_tls(se, e);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, se->headers);
    if (curl_multi_add_handle(s->multi, e) != CURLM_OK) {
        curl_slist_free_all(se->headers);
        se->headers = NULL;
        curl_easy_cleanup(e);
        return -1;
    }
    se->easy = e;
    se->started_mono = now;
    se->started_real = real_ms();
    return 0;
}

static void
request_abandon(struct scraper *s, struct series *se)
{
    if (se->easy == NULL)
        return;
    curl_multi_remove_handle(s->multi, se->easy);
    curl_easy_cleanup(se->easy);
    curl_slist_free_all(se->headers);
    se->easy = NULL;
    se->headers = NULL;
    buf_reset(&se->body);
    s->in_flight--;
}

static void
queue_push(struct scraper *s, struct job *j)
{
    pthread_mutex_lock(&s->lock);
    if (s->qtail)
        s->qtail->next = j;
    else
        s->qhead = j;
    s->qtail = j;
    s->queued++;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static void
mark_idle(struct scraper *s, const char *key)
{
    struct series *se;

    pthread_mutex_lock(&s->lock);
    if ((se = registry_find(s->reg, key)) != NULL)
        se->busy = false;
    pthread_mutex_unlock(&s->lock);
}

/* A transfer ended: its body and outcome go to the workers. */
static void
request_done(struct scraper *s, CURL *e, CURLcode cc)
{
    struct series *se = NULL;
    struct job *j;
    char *ct = NULL;

    curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&se);
    if ((j = calloc(1, sizeof(*j))) == NULL)
        goto fail;
    j->key = strdup(se->key);
    j->target = strdup(se->target);
    j->type = strdup(se->type);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &j->status);
    if (curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
        j->ctype = strdup(ct);
    j->cc = cc;
    snprintf(j->curl_err, sizeof(j->curl_err), "%s", curl_easy_strerror(cc));
    j->started_real = se->started_real;
    j->timeout_ms = se->timeout_ms;
    j->duration_ms = mono_ms() - se->started_mono;
    if (j->key == NULL || j->target == NULL || j->type == NULL)
        goto fail;
    j->body = se->body; /* moved: the series' buffer starts afresh */
    buf_init(&se->body, 0);
    curl_multi_remove_handle(s->multi, e);
    curl_easy_cleanup(e);
    curl_slist_free_all(se->headers);
    se->easy = NULL;
    se->headers = NULL;
    s->in_flight--;
    queue_push(s, j);
    return;
fail:
    if (j != NULL) {
        free(j->key);
        free(j->target);
        free(j->type);
        free(j->ctype);
        free(j);
    }
    request_abandon(s, se);
    mark_idle(s, se->key);
}

/* ---- workers -------------------------------------------------------------- */

static void
job_free(struct job *j)
{
    free(j->key);
    free(j->target);
    free(j->type);
    free(j->ctype);
    buf_reset(&j->body);
    free(j);
}

/* Quotes the start of a body for an error message: printable ASCII only. */
static void
quote_start(const struct buf *b, char *out, size_t n)
{
    size_t i, k = 0;

    for (i = 0; i < b->len && k + 1 < n && i < 80; i++) {
        unsigned char c = b->data[i];

        out[k++] = (c >= 0x20 && c < 0x7f) ? (char)c : ' ';
    }
    out[k] = '\0';
}

static bool
starts_with_ci(const struct buf *b, const char *s)
{
    size_t i = 0, n = strlen(s);

    while (i < b->len && (b->data[i] == ' ' || b->data[i] == '\t' || b->data[i] == '\r' ||
                          b->data[i] == '\n'))
        i++;
    return b->len - i >= n && strncasecmp((const char *)b->data + i, s, n) == 0;
}

/* Names what came instead of a profile: an HTML or JSON page, or something else. */
static void
describe_non_profile(const struct job *j, const char *why, char *out, size_t n)
{
    char start[96];
    const char *ct = j->ctype ? j->ctype : "";

    quote_start(&j->body, start, sizeof(start));
    if (strstr(ct, "html") || starts_with_ci(&j->body, "<"))
        snprintf(out, n, "an HTML page instead of a profile (%s): \"%s\"",
                 ct[0] ? ct : "no Content-Type", start);
    else if (strstr(ct, "json") || starts_with_ci(&j->body, "{") || starts_with_ci(&j->body, "["))
        snprintf(out, n, "JSON instead of a profile (%s): \"%s\"", ct[0] ? ct : "no Content-Type",
                 start);
    else
        snprintf(out, n, "not a profile: %s", why);
}

/* Checks a finished transfer; on success decodes it into *p. */
static enum hw_err
job_check(struct scraper *s, struct job *j, size_t max_decoded, struct profile **p, char *err,
          size_t n)
{
    struct errbuf eb;
    enum hw_err e;

    *p = NULL;
    if (j->body.full || j->cc == CURLE_FILESIZE_EXCEEDED) {
        snprintf(err, n, "body larger than max_body_bytes (%zu)", j->body.max);
        return HW_TOOBIG;
    }
    if (j->cc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(err, n, "timed out after %lld ms (scrape_timeout)", (long long)j->timeout_ms);
        return HW_UPSTREAM;
    }
    if (j->cc != CURLE_OK) {
        snprintf(err, n, "%s", j->curl_err);
        return HW_UPSTREAM;
    }
    if (j->status != 200) {
        char start[96];

        quote_start(&j->body, start, sizeof(start));
        snprintf(err, n, "HTTP status %ld: \"%s\"", j->status, start);
        return HW_UPSTREAM;
    }
    if (j->body.len == 0) {
        snprintf(err, n, "empty body");
        return HW_BADDATA;
    }
    errbuf_clear(&eb);
    e = profile_decode(j->body.data, j->body.len, max_decoded, p, &eb);
    if (e == HW_OK && (*p)->format == PROFILE_FOLDED) {
        /* Folded stacks never come from a pprof endpoint; text that happens to parse
         * as them is an error page. */
        arena_free((*p)->arena);
        *p = NULL;
        e = HW_BADDATA;
        snprintf(eb.msg, sizeof(eb.msg), "text that is no pprof format");
    }
    if (e != HW_OK)
        describe_non_profile(j, errbuf_msg(&eb, e), err, n);
    (void)s;
    return e;
}

/* A copy of a summary for summary_compute's prev: numbers only, no strings. */
static void
prev_numbers(const struct scrape_summary *src, struct scrape_summary *dst)
{
    size_t i;

    *dst = *src;
    for (i = 0; i < SUMMARY_MAX_TYPES; i++)
        dst->types[i] = dst->units[i] = NULL;
    for (i = 0; i < SUMMARY_TOP; i++)
        dst->top[i].name = NULL;
    dst->ntypes = src->ntypes;
    dst->ntop = 0;
}

/* The summary of the newest stored scrape of a series, for a daemon that has just
 * started: the first new scrape then still gets its delta. */
static bool
stored_prev(struct scraper *s, const struct job *j, size_t max_decoded,
            struct scrape_summary *out)
{
    struct hist_entry e;
    struct buf b;
    struct profile *p = NULL;
    bool ok = false;

    if (history_find(s->hist, j->target, j->type, INT64_MAX, &e) != HW_OK)
        return false;
    buf_init(&b, max_decoded);
    if (history_read(s->hist, j->target, j->type, e.id, &b, NULL) == HW_OK &&
        profile_decode(b.data, b.len, max_decoded, &p, NULL) == HW_OK)
        ok = summary_compute(p, NULL, out, NULL) == HW_OK;
    if (p != NULL)
        arena_free(p->arena);
    buf_reset(&b);
    return ok;
}

/* Stores a checked scrape; err gets the reason on failure. */
static enum hw_err
job_store(struct scraper *s, struct job *j, const struct profile *p,
          const struct scrape_summary *prev, struct scrape_summary *sum, struct hist_entry *e,
          char *err, size_t n)
{
    struct errbuf eb;
    enum hw_err rc;
    size_t i;

    errbuf_clear(&eb);
    if ((rc = summary_compute(p, prev, sum, &eb)) != HW_OK) {
        snprintf(err, n, "summary: %s", errbuf_msg(&eb, rc));
        return rc;
    }
    memset(e, 0, sizeof(*e));
    e->id = j->started_real;
    e->ntotals = (uint8_t)sum->ntypes;
    for (i = 0; i < sum->ntypes; i++)
        e->totals[i] = sum->totals[i];
    if (sum->has_delta) {
        e->flags |= HIST_DELTA;
        e->delta[0] = sum->delta[0];
        e->delta[1] = sum->delta[1];
    }
    if (sum->restart)
        e->flags |= HIST_RESTART;
    rc = history_store(s->hist, j->target, j->type, j->body.data, j->body.len, e, &eb);
    if (rc != HW_OK) {
        snprintf(err, n, "storing: %s", errbuf_msg(&eb, rc));
        summary_free(sum);
    }
    return rc;
}

/* Updates the series' status after a scrape (under the lock), logging changes of
 * health once rather than every failed attempt. */
static void
job_account(struct scraper *s, struct series *se, const struct job *j, enum hw_err rc,
            const char *err, struct scrape_summary *sum, const struct hist_entry *e)
{
    struct series_status *st = &se->st;

    st->last_scrape_ms = j->started_real;
    st->last_duration_ms = j->duration_ms;
    st->bytes_received += j->body.len;
    if (rc == HW_OK) {
        if (st->health == -1)
            log_info("%s %s: up again after %llu failed scrapes", se->target, se->type,
                     (unsigned long long)st->consecutive_failures);
        else if (st->health == 0)
            log_info("%s %s: up (%zu bytes from %s)", se->target, se->type, j->body.len, se->url);
        if (sum->restart)
            log_info("%s %s: the process restarted; alloc deltas start a new baseline",
                     se->target, se->type);
        st->health = 1;
        st->consecutive_failures = 0;
        st->scrapes_ok++;
        st->last_success_ms = j->started_real;
        st->last_id = e->id;
        summary_move(&se->latest, sum);
        se->has_latest = true;
        s->stats.scrapes_ok++;
        return;
    }
    if (st->health != -1)
        log_warnx("%s %s: down: %s (%s)", se->target, se->type, err, se->url);
    else
        log_debug("%s %s: still down: %s", se->target, se->type, err);
    st->health = -1;
    st->consecutive_failures++;
    st->scrapes_failed++;
    snprintf(st->last_error, sizeof(st->last_error), "%s", err);
    s->stats.scrapes_failed++;
}

/* Adds up to SCRAPE_LEAK_SEED stored scrapes older than before_id, evenly spread
 * over what is retained, so a restarted daemon judges leaks at once. */
static void
leak_seed(struct scraper *s, struct leakbox *lb, const struct job *j, int64_t before_id,
          size_t max_decoded)
{
    struct hist_entry *e = NULL;
    size_t i, n = 0, k, step;
    struct buf b;

    if (history_list(s->hist, j->target, j->type, &e, &n) != HW_OK)
        return;
    while (n > 0 && e[n - 1].id >= before_id)
        n--;
    step = n > SCRAPE_LEAK_SEED ? (n + SCRAPE_LEAK_SEED - 1) / SCRAPE_LEAK_SEED : 1;
    for (k = n % step, i = 0; k < n && !s->stop; k += step, i++) {
        struct profile *p = NULL;

        buf_init(&b, max_decoded);
        if (history_read(s->hist, j->target, j->type, e[k].id, &b, NULL) == HW_OK &&
            profile_decode(b.data, b.len, max_decoded, &p, NULL) == HW_OK)
            leak_tracker_add(lb->t, e[k].id, p, NULL);
        if (p != NULL)
            arena_free(p->arena);
        buf_reset(&b);
    }
    free(e);
}

/* What scraper_leak_each shows of a report: verdict, totals and each suspect's
 * site and numbers, without points, stacks or evidence. A full report is tens of
 * kilobytes; thousands of series keep only this (a few hundred bytes). */
static struct leak_report *
leak_slim(const struct leak_report *r)
{
    struct arena *a = arena_new(0);
    struct leak_report *s = a ? arena_calloc(a, 1, sizeof(*s)) : NULL;
    size_t i;

    if (s == NULL) {
        arena_free(a);
        return NULL;
    }
    *s = *r;
    s->arena = a;
    s->evidence = NULL;
    s->nevidence = 0;
    s->points = NULL;
    s->npoints = 0;
    s->memstats = NULL;
    s->nmemstats = 0;
    s->suspects = arena_calloc(a, r->nsuspects + 1, sizeof(*s->suspects));
    for (i = 0; s->suspects != NULL && i < r->nsuspects; i++) {
        s->suspects[i] = r->suspects[i];
        s->suspects[i].frames = NULL;
        s->suspects[i].nframes = 0;
        s->suspects[i].points = NULL;
        s->suspects[i].npoints = 0;
        s->suspects[i].site = arena_strdup(a, r->suspects[i].site ? r->suspects[i].site : "");
    }
    if (s->suspects == NULL || arena_error(a) != HW_OK) {
        arena_free(a);
        return NULL;
    }
    return s;
}

/* Feeds a stored scrape to its series' leak tracker and, every few intervals,
 * refreshes the report /metrics and /api/targets show. Returns the new verdict in
 * *verdict (true when it was refreshed). */
static bool
leak_feed(struct scraper *s, struct leakbox *lb, const struct job *j, const struct profile *p,
          int64_t id, int64_t interval_ms, size_t max_decoded, enum leak_verdict *verdict)
{
    struct leak_report *r = NULL;
    int64_t now = mono_ms(), every = interval_ms * 4 < 60000 ? interval_ms * 4 : 60000;
    bool refreshed = false;

    pthread_mutex_lock(&lb->mu);
    if (!lb->disabled && !lb->seeded) {
        lb->seeded = true;
        leak_seed(s, lb, j, id, max_decoded);
    }
    if (!lb->disabled && leak_tracker_add(lb->t, id, p, NULL) != HW_OK &&
        leak_tracker_scrapes(lb->t) == 0)
        lb->disabled = true; /* a profile kind leak detection does not cover */
    if (!lb->disabled && (lb->last == NULL || now - lb->last_report >= every) &&
        leak_tracker_report(lb->t, &r) == HW_OK) {
        struct leak_report *slim = leak_slim(r);

        leak_report_free(r);
        r = slim;
    }
    if (r != NULL) {
        leak_report_free(lb->last);
        lb->last = r;
        lb->last_report = now;
        *verdict = r->verdict;
        refreshed = true;
    }
    pthread_mutex_unlock(&lb->mu);
    return refreshed;
}

static void
job_process(struct scraper *s, struct job *j)
{
    struct scrape_summary prev, sum;
    struct series *se;
    struct leakbox *lb = NULL;
    enum leak_verdict verdict = LEAK_NOT_ENOUGH_DATA;
    bool refreshed = false;
    int64_t interval_ms = 0;
    struct profile *p = NULL;
    struct hist_entry e = {0};
    bool have_prev = false, prev_owned = false;
    size_t max_decoded;
    char err[sizeof(((struct series_status *)0)->last_error)] = "";
    enum hw_err rc;

    memset(&sum, 0, sizeof(sum));
    pthread_mutex_lock(&s->lock);
    max_decoded = s->reg->cfg->limits.max_decoded_bytes;
    if ((se = registry_find(s->reg, j->key)) != NULL && se->has_latest) {
        prev_numbers(&se->latest, &prev);
        have_prev = true;
    }
    if (se != NULL) {
        lb = leakbox_ref(se->lb);
        interval_ms = se->interval_ms;
    }
    pthread_mutex_unlock(&s->lock);
    if (se == NULL)
        return; /* dropped by a reload while in flight */
    rc = job_check(s, j, max_decoded, &p, err, sizeof(err));
    if (rc == HW_OK) {
        if (!have_prev)
            have_prev = prev_owned = stored_prev(s, j, max_decoded, &prev);
        rc = job_store(s, j, p, have_prev ? &prev : NULL, &sum, &e, err, sizeof(err));
        if (prev_owned)
            summary_free(&prev);
        if (rc == HW_OK && lb != NULL)
            refreshed = leak_feed(s, lb, j, p, e.id, interval_ms, max_decoded, &verdict);
    }
    leakbox_unref(lb);
    if (p != NULL)
        arena_free(p->arena);
    pthread_mutex_lock(&s->lock);
    if ((se = registry_find(s->reg, j->key)) != NULL) {
        job_account(s, se, j, rc, err, &sum, &e);
        if (refreshed) {
            se->st.has_verdict = true;
            se->st.verdict = verdict;
        }
        se->busy = false;
    }
    pthread_mutex_unlock(&s->lock);
    summary_free(&sum);
}

static void *
worker_main(void *arg)
{
    struct scraper *s = arg;
    struct job *j;

    for (;;) {
        pthread_mutex_lock(&s->lock);
        while (s->qhead == NULL && !s->stop)
            pthread_cond_wait(&s->cond, &s->lock);
        if (s->qhead == NULL) {
            pthread_mutex_unlock(&s->lock);
            return NULL;
        }
        j = s->qhead;
        s->qhead = j->next;
        if (s->qhead == NULL)
            s->qtail = NULL;
        s->queued--;
        pthread_mutex_unlock(&s->lock);
        if (!s->stop)
            job_process(s, j);
        job_free(j);
    }
}

/* ---- the scraper thread --------------------------------------------------- */

/* Moves the state of every series that survives into r (the new registry), then
 * swaps it in. In-flight transfers of surviving series follow them; the others are
 * abandoned. Runs in the scraper thread, so schedule fields need no lock. */
static void
registry_swap(struct scraper *s, struct registry *r, int64_t now)
{
    struct registry *old = s->reg;
    size_t i;

    pthread_mutex_lock(&s->lock);
    for (i = 0; i < r->n; i++) {
        struct series *ne = r->v[i], *oe = old ? registry_find(old, ne->key) : NULL;

        if (oe == NULL || strcmp(oe->url, ne->url) != 0 || oe->interval_ms != ne->interval_ms) {
            ne->next_due = first_due(ne, now);
            if (oe == NULL)
                continue;
        } else {
            ne->next_due = oe->next_due;
        }
        ne->st = oe->st;
        ne->st.interval_ms = ne->interval_ms;
        summary_move(&ne->latest, &oe->latest);
        ne->has_latest = oe->has_latest;
        ne->busy = oe->busy;
        if (oe->lb != NULL && ne->lb != NULL) {
            leakbox_unref(ne->lb);
            ne->lb = oe->lb;
            oe->lb = NULL;
        }
        if (oe->easy != NULL) {
            ne->easy = oe->easy;
            ne->headers = oe->headers;
            ne->body = oe->body;
            ne->started_mono = oe->started_mono;
            ne->started_real = oe->started_real;
            ne->due = oe->due;
            curl_easy_setopt(ne->easy, CURLOPT_PRIVATE, ne);
            curl_easy_setopt(ne->easy, CURLOPT_WRITEDATA, ne);
            oe->easy = NULL;
            oe->headers = NULL;
            buf_init(&oe->body, 0);
        }
    }
    s->reg = r;
    s->stats.nseries = r->n;
    pthread_mutex_unlock(&s->lock);
    for (i = 0; old != NULL && i < old->n; i++)
        request_abandon(s, old->v[i]);
    registry_free(old);
}

static void
apply_config(struct scraper *s, struct config *c, int64_t now)
{
    struct registry *r = registry_build(c);

    if (r == NULL) {
        log_warnx("applying the new config failed (out of memory); keeping the old one");
        return;
    }
    registry_swap(s, r, now);
    s->sd_mtime = config_sd_mtime(s->reg->cfg);
    log_info("scraping %zu series", r->n);
}

/* Re-reads file_sd target files when one changed (checked once a second). */
static void
check_sd(struct scraper *s, int64_t now)
{
    int64_t m;
    struct config *c;

    if (now - s->sd_checked < 1000)
        return;
    s->sd_checked = now;
    if ((m = config_sd_mtime(s->reg->cfg)) == s->sd_mtime)
        return;
    /* A fresh copy of the current config, secrets included (the registry owns its own). */
    if ((c = config_dup(s->reg->cfg)) != NULL) {
        log_info("service discovery files changed; re-reading them");
        apply_config(s, c, now);
    } else {
        log_warnx("service discovery files changed, but the config could not be copied");
    }
    s->sd_mtime = m;
}

/* The schedule is a binary min-heap on next_due, so a tick costs O(log n) and not
 * a pass over every series (at 3,000 series the pass was 7% of the daemon's CPU). */
static void
heap_down(struct series **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        struct series *t;

        if (l < n && h[l]->next_due < h[m]->next_due)
            m = l;
        if (l + 1 < n && h[l + 1]->next_due < h[m]->next_due)
            m = l + 1;
        if (m == i)
            return;
        t = h[i], h[i] = h[m], h[m] = t;
        i = m;
    }
}

/* Orders r->heap; false when out of memory. */
static bool
heap_build(struct registry *r)
{
    size_t i;

    if ((r->heap = malloc((r->n ? r->n : 1) * sizeof(*r->heap))) == NULL)
        return false;
    if (r->n > 0) /* r->v may be NULL with no series */
        memcpy(r->heap, r->v, r->n * sizeof(*r->heap));
    for (i = r->n / 2; i-- > 0;)
        heap_down(r->heap, r->n, i);
    return true;
}

/* Starts one due series (or counts the tick skipped when it is still busy). */
static void
start_one(struct scraper *s, struct series *se, int64_t now)
{
    int64_t lag = now - se->next_due;
    bool busy;

    se->due = se->next_due;
    /* The next tick stays on the grid even when this one came late. */
    se->next_due += ((now - se->next_due) / se->interval_ms + 1) * se->interval_ms;
    pthread_mutex_lock(&s->lock);
    busy = se->busy;
    if (busy) {
        se->st.skipped++;
        s->stats.skipped++;
    } else {
        se->busy = true;
        se->st.lag_last_ms = lag;
        if (lag > se->st.lag_max_ms)
            se->st.lag_max_ms = lag;
        s->stats.lag_count++;
        s->stats.lag_sum_ms += lag;
        if (lag > s->stats.lag_max_ms)
            s->stats.lag_max_ms = lag;
    }
    pthread_mutex_unlock(&s->lock);
    if (busy)
        return;
    if (request_start(s, se, now) == 0) {
        s->in_flight++;
    } else {
        log_warnx("%s %s: cannot start a request", se->target, se->type);
        mark_idle(s, se->key);
    }
}

/* Starts what is due; returns the ms until the next due time (at most 1000). */
static int64_t
start_due(struct scraper *s, int64_t now)
{
    struct registry *r = s->reg;
    int64_t wait;

    if (r->heap == NULL && !heap_build(r)) {
        log_warnx("out of memory for the schedule");
        return 1000;
    }
    while (r->n > 0 && r->heap[0]->next_due <= now) {
        start_one(s, r->heap[0], now);
        heap_down(r->heap, r->n, 0);
    }
    wait = r->n > 0 ? r->heap[0]->next_due - now : 1000;
    return wait < 0 ? 0 : wait > 1000 ? 1000 : wait;
}

static void
collect_done(struct scraper *s)
{
    CURLMsg *m;
    int left;

    while ((m = curl_multi_info_read(s->multi, &left)) != NULL)
        if (m->msg == CURLMSG_DONE)
            request_done(s, m->easy_handle, m->data.result);
}

/* libcurl says which sockets to watch (CURLMOPT_SOCKETFUNCTION): epoll gets just
 * those, so a wait costs the same with 10 connections or 4,000 kept alive. */
static int
on_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct scraper *s = userp;
    struct epoll_event ev = {0};

    (void)e;
    (void)socketp;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL); /* curl may have closed it */
        return 0;
    }
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
    ev.data.fd = fd;
    if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev) != 0 &&
        epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
        log_warn("epoll_ctl on socket %d", (int)fd);
    return 0;
}

/* libcurl's single timer (CURLMOPT_TIMERFUNCTION); the loop makes the call. */
static int
on_timer(CURLM *m, long timeout_ms, void *userp)
{
    struct scraper *s = userp;

    (void)m;
    s->curl_due = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
    return 0;
}

static void
wake(struct scraper *s)
{
    uint64_t one = 1;

    if (write(s->wakefd, &one, sizeof(one)) < 0) {
        /* The counter is already non-zero: the loop wakes anyway. */
    }
}

/* Waits up to wait_ms for sockets, curl's timer or a wake-up, and lets curl act. */
static void
wait_and_drive(struct scraper *s, int64_t wait_ms)
{
    struct epoll_event ev[64];
    int64_t now = mono_ms();
    int n, i, running;

    if (s->curl_due >= 0 && s->curl_due - now < wait_ms)
        wait_ms = s->curl_due > now ? s->curl_due - now : 0;
    n = epoll_wait(s->epfd, ev, 64, (int)wait_ms);
    for (i = 0; i < n; i++) {
        int flags = 0;

        if (ev[i].data.fd == s->wakefd) {
            uint64_t v;

            if (read(s->wakefd, &v, sizeof(v)) < 0) {
                /* Nothing pending after all. */
            }
            continue;
        }
        flags |= ev[i].events & EPOLLIN ? CURL_CSELECT_IN : 0;
        flags |= ev[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0;
        flags |= ev[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0;
        curl_multi_socket_action(s->multi, ev[i].data.fd, flags, &running);
    }
    if (s->curl_due >= 0 && mono_ms() >= s->curl_due) {
        s->curl_due = -1;
        curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
}

static void *
scraper_main(void *arg)
{
    struct scraper *s = arg;
    struct config *pending;
    int64_t last_trim = 0;

    while (!s->stop) {
        int64_t now = mono_ms(), wait;

        pthread_mutex_lock(&s->lock);
        pending = s->pending;
        s->pending = NULL;
        pthread_mutex_unlock(&s->lock);
        if (pending != NULL)
            apply_config(s, pending, now);
        check_sd(s, now);
        if (now - last_trim >= 10000) {
            /* Decoding frees big blocks in bursts; give them back to the system. */
            malloc_trim(0);
            last_trim = now;
        }
        wait = start_due(s, now);
        wait_and_drive(s, wait);
        collect_done(s);
        pthread_mutex_lock(&s->lock);
        s->stats.in_flight = s->in_flight;
        s->stats.queued = s->queued;
        pthread_mutex_unlock(&s->lock);
    }
    return NULL;
}

/* The epoll set, the wake-up eventfd and curl's callbacks; false when the system
 * refuses either descriptor. */
static bool
events_init(struct scraper *s)
{
    struct epoll_event ev = {.events = EPOLLIN};

    s->curl_due = -1;
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    s->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->epfd < 0 || s->wakefd < 0)
        return false;
    ev.data.fd = s->wakefd;
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->wakefd, &ev) != 0)
        return false;
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
    return true;
}

enum hw_err
scraper_start(struct config *c, struct history *h, struct scraper **out, struct errbuf *eb)
{
    struct scraper *s = calloc(1, sizeof(*s));
    size_t i;

    *out = NULL;
    if (s == NULL || (s->multi = curl_multi_init()) == NULL) {
        free(s);
        config_free(c);
        return errbuf_set(eb, HW_NOMEM, "cannot set up libcurl");
    }
    s->hist = h;
    s->epfd = s->wakefd = -1;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    if (!events_init(s)) {
        scraper_stop(s);
        config_free(c);
        return errbuf_set(eb, HW_NOMEM, "cannot set up epoll for the scraper");
    }
    /* Plenty of cached connections, so that each target's keep-alive survives
     * between its scrapes. */
    curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, 4096L);
    apply_config(s, c, mono_ms());
    if (s->reg == NULL) {
        scraper_stop(s);
        return errbuf_set(eb, HW_NOMEM, "cannot build the target list");
    }
    for (i = 0; i < SCRAPE_WORKERS; i++) {
        if (pthread_create(&s->workers[i], NULL, worker_main, s) != 0)
            break;
        s->nworkers++;
    }
    if (s->nworkers == 0 || pthread_create(&s->thread, NULL, scraper_main, s) != 0) {
        scraper_stop(s);
        return errbuf_set(eb, HW_NOMEM, "cannot start the scraper threads");
    }
    s->thread_started = true;
    *out = s;
    return HW_OK;
}

void
scraper_reload(struct scraper *s, struct config *c)
{
    pthread_mutex_lock(&s->lock);
    config_free(s->pending);
    s->pending = c;
    pthread_mutex_unlock(&s->lock);
    wake(s);
}

void
scraper_stop(struct scraper *s)
{
    size_t i;
    struct job *j;

    if (s == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = 1;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    wake(s);
    if (s->thread_started)
        pthread_join(s->thread, NULL);
    for (i = 0; i < s->nworkers; i++)
        pthread_join(s->workers[i], NULL);
    while ((j = s->qhead) != NULL) {
        s->qhead = j->next;
        job_free(j);
    }
    for (i = 0; s->reg != NULL && i < s->reg->n; i++)
        request_abandon(s, s->reg->v[i]);
    registry_free(s->reg);
    config_free(s->pending);
    curl_multi_cleanup(s->multi);
    if (s->epfd >= 0)
        close(s->epfd);
    if (s->wakefd >= 0)
        close(s->wakefd);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* ---- status --------------------------------------------------------------- */

static void
summary_copy(struct scrape_summary *dst, const struct scrape_summary *src)
{
    size_t i;

    *dst = *src;
    for (i = 0; i < src->ntypes; i++) {
        dst->types[i] = strdup(src->types[i]);
        dst->units[i] = strdup(src->units[i]);
    }
    for (i = 0; i < src->ntop; i++)
        dst->top[i].name = strdup(src->top[i].name);
}

static int
status_copy(struct series_status *d, const struct series *se)
{
    *d = se->st;
    d->target = strdup(se->target);
    d->type = strdup(se->type);
    d->url = strdup(se->url);
    d->job = strdup(se->job);
    d->labels.v = NULL;
    d->labels.n = 0;
    d->has_summary = se->has_latest;
    memset(&d->summary, 0, sizeof(d->summary));
    if (se->has_latest)
        summary_copy(&d->summary, &se->latest);
    if (kvlist_copy(&d->labels, &se->labels) != HW_OK || !d->target || !d->type || !d->url ||
        !d->job)
        return -1;
    return 0;
}

enum hw_err
scraper_status(struct scraper *s, struct series_status **out, size_t *n)
{
    struct series_status *v;
    size_t i, k = 0;
    enum hw_err err = HW_OK;

    pthread_mutex_lock(&s->lock);
    v = calloc(s->reg->n ? s->reg->n : 1, sizeof(*v));
    for (i = 0; v != NULL && i < s->reg->n; i++) {
        k++;
        if (status_copy(&v[i], s->reg->v[i]) != 0) {
            err = HW_NOMEM;
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (v == NULL)
        return HW_NOMEM;
    if (err != HW_OK) {
        series_status_free(v, k);
        return err;
    }
    *out = v;
    *n = k;
    return HW_OK;
}

void
series_status_free(struct series_status *v, size_t n)
{
    size_t i;

    for (i = 0; v != NULL && i < n; i++) {
        free(v[i].target);
        free(v[i].type);
        free(v[i].url);
        free(v[i].job);
        kvlist_clear(&v[i].labels);
        summary_free(&v[i].summary);
    }
    free(v);
}

void
scraper_get_stats(struct scraper *s, struct scraper_stats *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->stats;
    pthread_mutex_unlock(&s->lock);
}

/* ---- leaks ---------------------------------------------------------------- */

enum hw_err
scraper_leak_report(struct scraper *s, const char *target, const char *type,
                    struct leak_report **out)
{
    struct leakbox *lb = NULL;
    struct series *se;
    char *key = make_key(target, type);
    enum hw_err err;

    *out = NULL;
    if (key == NULL)
        return HW_NOMEM;
    pthread_mutex_lock(&s->lock);
    if ((se = registry_find(s->reg, key)) != NULL)
        lb = leakbox_ref(se->lb);
    pthread_mutex_unlock(&s->lock);
    free(key);
    if (lb == NULL)
        return HW_USAGE;
    pthread_mutex_lock(&lb->mu);
    err = lb->disabled ? HW_USAGE : leak_tracker_report(lb->t, out);
    pthread_mutex_unlock(&lb->mu);
    leakbox_unref(lb);
    return err;
}

void
scraper_leak_each(struct scraper *s,
                  void (*fn)(void *ctx, const char *target, const char *type,
                             const struct leak_report *r),
                  void *ctx)
{
    struct {
        struct leakbox *lb;
        char *target, *type;
    } *v;
    size_t i, n = 0;

    pthread_mutex_lock(&s->lock);
    v = calloc(s->reg->n ? s->reg->n : 1, sizeof(*v));
    for (i = 0; v != NULL && i < s->reg->n; i++) {
        struct series *se = s->reg->v[i];

        if (se->lb == NULL)
            continue;
        v[n].target = strdup(se->target);
        v[n].type = strdup(se->type);
        v[n].lb = leakbox_ref(se->lb);
        n++;
    }
    pthread_mutex_unlock(&s->lock);
    for (i = 0; i < n; i++) {
        pthread_mutex_lock(&v[i].lb->mu);
        if (v[i].lb->last != NULL && !v[i].lb->disabled && v[i].target && v[i].type)
            fn(ctx, v[i].target, v[i].type, v[i].lb->last);
        pthread_mutex_unlock(&v[i].lb->mu);
        leakbox_unref(v[i].lb);
        free(v[i].target);
        free(v[i].type);
    }
    free(v);
}

bool
scraper_has_series(struct scraper *s, const char *target, const char *type)
{
    char *key = make_key(target, type);
    bool found;

    if (key == NULL)
        return false;
    pthread_mutex_lock(&s->lock);
    found = registry_find(s->reg, key) != NULL;
    pthread_mutex_unlock(&s->lock);
    free(key);
    return found;
}

bool
scraper_has_target(struct scraper *s, const char *target)
{
    char *key = make_key(target, "");
    size_t lo = 0, hi, len;
    bool found = false;

    if (key == NULL)
        return false;
    len = strlen(key); /* "target\x1f": every key of the target starts so */
    pthread_mutex_lock(&s->lock);
    hi = s->reg->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (strcmp(s->reg->v[mid]->key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    found = lo < s->reg->n && strncmp(s->reg->v[lo]->key, key, len) == 0;
    pthread_mutex_unlock(&s->lock);
    free(key);
    return found;
}

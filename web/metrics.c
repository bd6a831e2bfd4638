/* metrics.c - GET /metrics in Prometheus' text format: per series up, scrape
 * duration, failures, bytes and stored profiles; scraper-wide lag and counts; and
 * from each series' last periodic leak report its verdict and its suspects' growth
 * per second (bytes for heaps, goroutines for goroutine profiles, as two metrics
 * since their units differ). The exposition format wants a metric's samples together
 * under its HELP and TYPE, so the leak lines gather in one buffer per metric while
 * scraper_leak_each walks the series. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "routes.h"
#include "text.h"
#include "webcache.h"

/* Appends a label value escaped as the exposition format wants. */
static void
put_escaped(struct buf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\')
            buf_puts(b, "\\\\");
        else if (*s == '"')
            buf_puts(b, "\\\"");
        else if (*s == '\n')
            buf_puts(b, "\\n");
        else
            buf_append(b, s, 1);
    }
}

static void
put_series(struct buf *b, const char *metric, const struct series_status *st, const char *value)
{
    buf_printf(b, "%s{target=\"", metric);
    put_escaped(b, st->target);
    buf_puts(b, "\",job=\"");
    put_escaped(b, st->job);
    buf_puts(b, "\",type=\"");
    put_escaped(b, st->type);
    buf_printf(b, "\"} %s\n", value);
}

static void
help(struct buf *b, const char *metric, const char *type, const char *text)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", metric, text, metric, type);
}

/* The leak metrics, gathered per metric. */
struct leak_lines {
    struct buf verdict, bytes, goroutines;
    struct arena *a; /* sanitized site names */
};

static void
put_leak_labels(struct buf *b, struct arena *a, const char *target, const char *type,
                const char *site)
{
    const char *clean = site ? text_sanitize(a, site) : NULL;

    buf_puts(b, "{target=\"");
    put_escaped(b, target);
    buf_puts(b, "\",type=\"");
    put_escaped(b, type);
    if (site != NULL) {
        buf_puts(b, "\",site=\"");
        put_escaped(b, clean ? clean : "?");
    }
    buf_puts(b, "\"}");
}

/* Whether suspect i's site was an earlier suspect's too: a label set appears once. */
static bool
seen_site(const struct leak_report *r, size_t i)
{
    size_t k;

    for (k = 0; k < i; k++)
        if (r->suspects[k].site && r->suspects[i].site &&
            strcmp(r->suspects[k].site, r->suspects[i].site) == 0)
            return true;
    return false;
}

/* scraper_leak_each's callback: one series' report. */
static void
leak_series(void *ctx, const char *target, const char *type, const struct leak_report *r)
{
    struct leak_lines *l = ctx;
    struct buf *b = r->kind == LEAK_KIND_GOROUTINE ? &l->goroutines : &l->bytes;
    size_t i;

    buf_puts(&l->verdict, "heapwatch_leak_verdict");
    put_leak_labels(&l->verdict, l->a, target, type, NULL);
    buf_printf(&l->verdict, " %d\n", (int)r->verdict);
    for (i = 0; i < r->nsuspects; i++) {
        if (!isfinite(r->suspects[i].growth_per_min) || seen_site(r, i))
            continue;
        buf_puts(b, b == &l->bytes ? "heapwatch_leak_suspect_growth_bytes_per_second"
                                   : "heapwatch_leak_suspect_growth_goroutines_per_second");
        put_leak_labels(b, l->a, target, type, r->suspects[i].site ? r->suspects[i].site : "?");
        buf_printf(b, " %.6g\n", r->suspects[i].growth_per_min / 60);
    }
}

static void
leak_metrics(struct scraper *s, struct buf *b)
{
    struct leak_lines l;

    buf_init(&l.verdict, 0);
    buf_init(&l.bytes, 0);
    buf_init(&l.goroutines, 0);
    l.a = arena_new(0);
    if (l.a != NULL)
        scraper_leak_each(s, leak_series, &l);
    help(b, "heapwatch_leak_verdict", "gauge",
         "leak verdict of the last report: 0 not enough data, 1 stable, 2 growing, 3 leak");
    buf_append(b, l.verdict.data, l.verdict.len);
    help(b, "heapwatch_leak_suspect_growth_bytes_per_second", "gauge",
         "growth of a leak suspect's inuse bytes (Theil-Sen slope over the report's window)");
    buf_append(b, l.bytes.data, l.bytes.len);
    help(b, "heapwatch_leak_suspect_growth_goroutines_per_second", "gauge",
         "growth of a leak suspect's goroutine count (Theil-Sen slope over the report's window)");
    buf_append(b, l.goroutines.data, l.goroutines.len);
    buf_reset(&l.verdict);
    buf_reset(&l.bytes);
    buf_reset(&l.goroutines);
    arena_free(l.a);
}

enum hw_err
route_metrics(const struct http_req *rq, struct http_resp *rs)
{
    struct series_status *v = NULL;
    struct scraper_stats ss;
    struct buf *b = &rs->body;
    char num[64];
    size_t i, n = 0, nfiles = 0;
    int64_t nbytes = 0;
    enum hw_err err;

    if ((err = scraper_status(rq->scraper, &v, &n)) != HW_OK)
        return err;
    help(b, "heapwatch_up", "gauge", "1 when the last scrape of the target and type succeeded");
    for (i = 0; i < n; i++)
        put_series(b, "heapwatch_up", &v[i], v[i].health > 0 ? "1" : "0");
    help(b, "heapwatch_scrape_duration_seconds", "gauge", "duration of the last scrape");
    for (i = 0; i < n; i++) {
        snprintf(num, sizeof(num), "%.3f", (double)v[i].last_duration_ms / 1000.0);
        put_series(b, "heapwatch_scrape_duration_seconds", &v[i], num);
    }
    help(b, "heapwatch_scrape_errors_total", "counter", "failed scrapes");
    for (i = 0; i < n; i++) {
        snprintf(num, sizeof(num), "%llu", (unsigned long long)v[i].scrapes_failed);
        put_series(b, "heapwatch_scrape_errors_total", &v[i], num);
    }
    help(b, "heapwatch_scrapes_total", "counter", "successful scrapes");
    for (i = 0; i < n; i++) {
        snprintf(num, sizeof(num), "%llu", (unsigned long long)v[i].scrapes_ok);
        put_series(b, "heapwatch_scrapes_total", &v[i], num);
    }
    help(b, "heapwatch_scrape_bytes_total", "counter", "bytes received from the target");
    for (i = 0; i < n; i++) {
        snprintf(num, sizeof(num), "%llu", (unsigned long long)v[i].bytes_received);
        put_series(b, "heapwatch_scrape_bytes_total", &v[i], num);
    }
    help(b, "heapwatch_stored_profiles", "gauge", "scrapes kept on disk");
    for (i = 0; i < n; i++) {
        snprintf(num, sizeof(num), "%zu", history_count(rq->hist, v[i].target, v[i].type, NULL));
        put_series(b, "heapwatch_stored_profiles", &v[i], num);
    }
    series_status_free(v, n);
    leak_metrics(rq->scraper, b);
    scraper_get_stats(rq->scraper, &ss);
    history_stats(rq->hist, &nfiles, &nbytes);
    help(b, "heapwatch_scrape_lag_seconds_max", "gauge", "largest delay of a scrape past its schedule");
    buf_printf(b, "heapwatch_scrape_lag_seconds_max %.3f\n", (double)ss.lag_max_ms / 1000.0);
    help(b, "heapwatch_scrape_lag_seconds_avg", "gauge", "mean delay of a scrape past its schedule");
    buf_printf(b, "heapwatch_scrape_lag_seconds_avg %.4f\n",
               ss.lag_count ? (double)ss.lag_sum_ms / 1000.0 / (double)ss.lag_count : 0.0);
    help(b, "heapwatch_scrapes_skipped_total", "counter", "ticks skipped: the previous scrape was still running");
    buf_printf(b, "heapwatch_scrapes_skipped_total %llu\n", (unsigned long long)ss.skipped);
    help(b, "heapwatch_scrapes_in_flight", "gauge", "requests in flight");
    buf_printf(b, "heapwatch_scrapes_in_flight %zu\n", ss.in_flight);
    help(b, "heapwatch_storage_files", "gauge", "stored scrapes, all targets");
    buf_printf(b, "heapwatch_storage_files %zu\n", nfiles);
    help(b, "heapwatch_storage_bytes", "gauge", "bytes of stored scrapes, all targets");
    buf_printf(b, "heapwatch_storage_bytes %lld\n", (long long)nbytes);
    webcache_metrics(b);
    rs->ctype = "text/plain; version=0.0.4; charset=utf-8";
    rs->cache_control = "no-cache";
    return buf_is_full(b) ? HW_NOMEM : HW_OK;
}

/* scrape.h - the scrape schedule: one thread drives libcurl's multi interface over
 * every target x profile type of the config, a small pool of workers checks,
 * summarises and stores what arrives. Each series (target x type) runs on its own
 * schedule, offset within its interval by a hash of its URL, with a per-request
 * timeout; a slow, hanging or failing target delays nobody else.
 *
 * The scraper owns the config it is given. Status is read through snapshots, so
 * the web service never holds a pointer into the scraper's state. */
#ifndef HW_SCRAPE_H
#define HW_SCRAPE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "history.h"
#include "hw_err.h"
#include "leaks.h"
#include "summary.h"

struct scraper; /* opaque */

/* Status of one series (target x profile type), copied out of the scraper. */
struct series_status {
    char *target, *type, *url, *job;
    struct kvlist labels; /* the target's labels */
    int health;           /* 1 up, -1 down, 0 not scraped yet */
    char last_error[256];
    int64_t last_scrape_ms;    /* start of the last attempt (Unix ms), 0 if none */
    int64_t last_duration_ms;
    int64_t last_success_ms;
    int64_t last_id;           /* id of the latest stored scrape, 0 if none */
    uint64_t consecutive_failures, scrapes_ok, scrapes_failed, skipped;
    uint64_t bytes_received;
    int64_t lag_last_ms, lag_max_ms; /* request start minus scheduled time */
    int64_t interval_ms;
    bool has_summary;
    struct scrape_summary summary; /* of the latest stored scrape (deep copy) */
    /* Leak detection (heap-like and goroutine series; not "allocs", which carries
     * the same data as "heap"): the verdict of the last periodic report. */
    bool has_verdict;
    enum leak_verdict verdict;
};

struct scraper_stats {
    size_t nseries, in_flight, queued;
    uint64_t scrapes_ok, scrapes_failed, skipped;
    uint64_t lag_count;
    int64_t lag_sum_ms, lag_max_ms;
    double cpu_process_ms; /* unused by the scraper itself; filled by callers */
};

/* Starts the scraper thread and its workers on config c (taken over: freed by the
 * scraper) storing into h (not owned; must outlive the scraper). */
enum hw_err scraper_start(struct config *c, struct history *h, struct scraper **out,
                          struct errbuf *eb);
/* Hands a new config to the scraper (taken over), applied between two polls: series
 * that stay keep their state and schedule, new ones start, removed ones stop (an
 * in-flight request of theirs is abandoned). */
void scraper_reload(struct scraper *s, struct config *c);
/* Stops scheduling, abandons in-flight requests, lets the workers finish the scrape
 * they are storing, joins every thread and frees everything. NULL is a no-op. */
void scraper_stop(struct scraper *s);

/* A copy of every series' status, sorted by target then type. */
enum hw_err scraper_status(struct scraper *s, struct series_status **out, size_t *n);
void series_status_free(struct series_status *v, size_t n);
void scraper_get_stats(struct scraper *s, struct scraper_stats *out);
/* Cheap lookups for every request (no copies): whether a target, or a target's
 * profile type, is scraped now. */
bool scraper_has_target(struct scraper *s, const char *target);
bool scraper_has_series(struct scraper *s, const char *target, const char *type);

/* A fresh leak report of (target, type) over the scrapes seen since the daemon
 * started (seeded with up to SCRAPE_LEAK_SEED stored scrapes). HW_USAGE when the
 * series is unknown or has no leak tracking. Free with leak_report_free. */
enum hw_err scraper_leak_report(struct scraper *s, const char *target, const char *type,
                                struct leak_report **out);

/* Calls fn with the leak report each tracked series computed last (refreshed as
 * scrapes arrive, at most every few intervals), for /metrics and /api/targets;
 * series without a report yet are skipped. fn runs under that series' tracker
 * lock: it must not call back into the scraper. */
void scraper_leak_each(struct scraper *s,
                       void (*fn)(void *ctx, const char *target, const char *type,
                                  const struct leak_report *r),
                       void *ctx);
#endif

/* webcache.h - rendered responses kept in memory, least recently used first out,
 * bounded by bytes; the ETag of a response is a hash of its key, which holds the
 * stored profiles' ids and the normalised parameters, so a URL with at=latest gets a
 * new ETag as soon as a new scrape is stored and one with a fixed id never does.
 * Also the render slots (a counting semaphore: at most WEBCACHE_SLOTS renders at once)
 * and the counters /metrics shows. Every function is safe from several threads. */
#ifndef HW_WEBCACHE_H
#define HW_WEBCACHE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "hw_err.h"

#define WEBCACHE_DEFAULT_BYTES ((size_t)64 << 20)
#define WEBCACHE_SLOTS 2
#define WEBCACHE_ETAG_MAX 24 /* "\"hw-" 16 hex digits "\"" and the NUL */

struct webcache; /* opaque */

/* A cache of at most max_bytes (keys, bodies and bookkeeping counted). NULL on no
 * memory. webcache_free(NULL) is a no-op. */
struct webcache *webcache_new(size_t max_bytes);
void webcache_free(struct webcache *c);

/* On a hit, appends the body to out, sets *ctype (a static string given to put) and
 * returns true; counts a hit or a miss. */
bool webcache_get(struct webcache *c, const char *key, struct buf *out, const char **ctype);
/* Stores a copy of data under key (replacing an entry with that key), evicting the least
 * recently used entries until it fits. A body larger than a quarter of the cache is
 * not kept (it would flush everything else). HW_NOMEM when a copy fails. */
enum hw_err webcache_put(struct webcache *c, const char *key, const void *data, size_t len,
                         const char *ctype);
/* Entries and bytes held now. */
void webcache_usage(struct webcache *c, size_t *entries, size_t *bytes);

/* The strong ETag for key, quoted, into etag (WEBCACHE_ETAG_MAX bytes). */
void webcache_etag(const char *key, char *etag);

/* The service's one cache and slots, made on first use. NULL when out of memory. */
struct webcache *webcache_global(void);

/* Waits up to timeout_ms for a render slot; false when none freed up in time. */
bool webcache_slot_acquire(long timeout_ms);
void webcache_slot_release(void);

/* Counts one finished render (ok or failed) and how long it took. */
void webcache_count_render(double seconds, bool ok);
/* Counts one request answered 304 without rendering. */
void webcache_count_not_modified(void);

/* Appends the cache and render counters in Prometheus' text format, for /metrics:
 * heapwatch_render_cache_{hits,misses,evictions}_total, heapwatch_render_cache_{entries,
 * bytes}, heapwatch_renders_total{result=}, heapwatch_render_seconds_{sum,count,max},
 * heapwatch_render_not_modified_total, heapwatch_render_busy_total, heapwatch_renders_in_flight. */
void webcache_metrics(struct buf *out);
#endif

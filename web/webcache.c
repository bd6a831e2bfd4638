/* webcache.c - an LRU of rendered responses: a chained hash table for lookups and a
 * doubly linked list in use order (head most recent) for eviction, both under one
 * mutex; bodies are copied in and out, so no caller ever holds a pointer into the
 * cache while another thread evicts. The render slots and counters live beside it:
 * they are what /metrics reports about rendering, and the service has one of each. */
#include "webcache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NBUCKETS 4096

struct entry {
    struct entry *next_hash;
    struct entry *prev, *next; /* use order */
    uint64_t hash;
    char *key;
    unsigned char *data;
    size_t len, cost;
    const char *ctype;
};

struct webcache {
    pthread_mutex_t lock;
    struct entry *buckets[NBUCKETS];
    struct entry *head, *tail;
    size_t max, bytes, entries;
    uint64_t hits, misses, evictions;
};

static uint64_t
fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

void
webcache_etag(const char *key, char *etag)
{
    snprintf(etag, WEBCACHE_ETAG_MAX, "\"hw-%016llx\"", (unsigned long long)fnv1a(key));
}

struct webcache *
webcache_new(size_t max_bytes)
{
    struct webcache *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    c->max = max_bytes;
    return c;
}

static void
entry_free(struct entry *e)
{
    free(e->key);
    free(e->data);
    free(e);
}

void
webcache_free(struct webcache *c)
{
    struct entry *e, *next;

    if (c == NULL)
        return;
    for (e = c->head; e != NULL; e = next) {
        next = e->next;
        entry_free(e);
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static void
list_unlink(struct webcache *c, struct entry *e)
{
    if (e->prev != NULL)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next != NULL)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void
list_push_front(struct webcache *c, struct entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head != NULL)
        c->head->prev = e;
    c->head = e;
    if (c->tail == NULL)
        c->tail = e;
}

/* The slot that points at the entry with key (or where it would be linked). */
static struct entry **
find_slot(struct webcache *c, const char *key, uint64_t h)
{
    struct entry **p = &c->buckets[h % NBUCKETS];

    while (*p != NULL && ((*p)->hash != h || strcmp((*p)->key, key) != 0))
        p = &(*p)->next_hash;
    return p;
}

static void
remove_entry(struct webcache *c, struct entry *e)
{
    struct entry **p = find_slot(c, e->key, e->hash);

    *p = e->next_hash;
    list_unlink(c, e);
    c->bytes -= e->cost;
    c->entries--;
    entry_free(e);
}

bool
webcache_get(struct webcache *c, const char *key, struct buf *out, const char **ctype)
{
    uint64_t h = fnv1a(key);
    struct entry *e;
    bool hit = false;

    pthread_mutex_lock(&c->lock);
    e = *find_slot(c, key, h);
    if (e != NULL && buf_append(out, e->data, e->len) == HW_OK) {
        list_unlink(c, e);
        list_push_front(c, e);
        *ctype = e->ctype;
        hit = true;
    }
    if (hit)
        c->hits++;
    else
        c->misses++;
    pthread_mutex_unlock(&c->lock);
    return hit;
}

static struct entry *
entry_new(const char *key, uint64_t h, const void *data, size_t len, const char *ctype)
{
    struct entry *e = calloc(1, sizeof(*e));

    if (e == NULL)
        return NULL;
    e->key = strdup(key);
    e->data = malloc(len ? len : 1);
    if (e->key == NULL || e->data == NULL) {
        entry_free(e);
        return NULL;
    }
    if (len > 0) /* an empty render may come as (NULL, 0) */
        memcpy(e->data, data, len);
    e->len = len;
    e->hash = h;
    e->ctype = ctype;
    e->cost = len + strlen(key) + 1 + sizeof(*e);
    return e;
}

enum hw_err
webcache_put(struct webcache *c, const char *key, const void *data, size_t len, const char *ctype)
{
    uint64_t h = fnv1a(key);
    struct entry *e, **slot;

    if (len + strlen(key) + sizeof(*e) > c->max / 4)
        return HW_OK;
    if ((e = entry_new(key, h, data, len, ctype)) == NULL)
        return HW_NOMEM;
    pthread_mutex_lock(&c->lock);
    if (*(slot = find_slot(c, key, h)) != NULL)
        remove_entry(c, *slot);
    while (c->tail != NULL && c->bytes + e->cost > c->max) {
        remove_entry(c, c->tail);
        c->evictions++;
    }
    slot = find_slot(c, key, h);
    *slot = e;
    list_push_front(c, e);
    c->bytes += e->cost;
    c->entries++;
    pthread_mutex_unlock(&c->lock);
    return HW_OK;
}

void
webcache_usage(struct webcache *c, size_t *entries, size_t *bytes)
{
    pthread_mutex_lock(&c->lock);
    *entries = c->entries;
    *bytes = c->bytes;
    pthread_mutex_unlock(&c->lock);
}

/* ---- the service's cache, slots and counters ---- */

static struct {
    pthread_once_t once;
    struct webcache *cache;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    int busy; /* slots taken */
    uint64_t renders_ok, renders_failed, not_modified, slot_timeouts;
    double seconds_sum, seconds_max;
} svc = {PTHREAD_ONCE_INIT,
         NULL,
         PTHREAD_MUTEX_INITIALIZER,
         PTHREAD_COND_INITIALIZER,
         0,
         0,
         0,
         0,
         0,
         0,
         0};

static void
svc_init(void)
{
    svc.cache = webcache_new(WEBCACHE_DEFAULT_BYTES);
}

struct webcache *
webcache_global(void)
{
    pthread_once(&svc.once, svc_init);
    return svc.cache;
}

bool
webcache_slot_acquire(long timeout_ms)
{
    struct timespec until;
    int rc = 0;
    bool got;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&svc.lock);
    while (svc.busy >= WEBCACHE_SLOTS && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&svc.freed, &svc.lock, &until);
    if ((got = svc.busy < WEBCACHE_SLOTS))
        svc.busy++;
    else
        svc.slot_timeouts++;
    pthread_mutex_unlock(&svc.lock);
    return got;
}

void
webcache_slot_release(void)
{
    pthread_mutex_lock(&svc.lock);
    svc.busy--;
    pthread_cond_signal(&svc.freed);
    pthread_mutex_unlock(&svc.lock);
}

void
webcache_count_render(double seconds, bool ok)
{
    pthread_mutex_lock(&svc.lock);
    if (ok)
        svc.renders_ok++;
    else
        svc.renders_failed++;
    svc.seconds_sum += seconds;
    if (seconds > svc.seconds_max)
        svc.seconds_max = seconds;
    pthread_mutex_unlock(&svc.lock);
}

void
webcache_count_not_modified(void)
{
    pthread_mutex_lock(&svc.lock);
    svc.not_modified++;
    pthread_mutex_unlock(&svc.lock);
}

static void
metric(struct buf *b, const char *name, const char *type, const char *help)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
webcache_metrics(struct buf *out)
{
    struct webcache *c = webcache_global();
    uint64_t hits = 0, misses = 0, evictions = 0;
    size_t entries = 0, bytes = 0;

    if (c != NULL) {
        pthread_mutex_lock(&c->lock);
        hits = c->hits, misses = c->misses, evictions = c->evictions;
        entries = c->entries, bytes = c->bytes;
        pthread_mutex_unlock(&c->lock);
    }
    pthread_mutex_lock(&svc.lock);
    metric(out, "heapwatch_render_cache_hits_total", "counter", "renders answered from the cache");
    buf_printf(out, "heapwatch_render_cache_hits_total %llu\n", (unsigned long long)hits);
    metric(out, "heapwatch_render_cache_misses_total", "counter", "renders not in the cache");
    buf_printf(out, "heapwatch_render_cache_misses_total %llu\n", (unsigned long long)misses);
    metric(out, "heapwatch_render_cache_evictions_total", "counter", "cached renders evicted");
    buf_printf(out, "heapwatch_render_cache_evictions_total %llu\n", (unsigned long long)evictions);
    metric(out, "heapwatch_render_cache_entries", "gauge", "renders in the cache");
    buf_printf(out, "heapwatch_render_cache_entries %zu\n", entries);
    metric(out, "heapwatch_render_cache_bytes", "gauge", "bytes held by the render cache");
    buf_printf(out, "heapwatch_render_cache_bytes %zu\n", bytes);
    metric(out, "heapwatch_renders_total", "counter", "renders done, by result");
    buf_printf(out, "heapwatch_renders_total{result=\"ok\"} %llu\n",
               (unsigned long long)svc.renders_ok);
    buf_printf(out, "heapwatch_renders_total{result=\"error\"} %llu\n",
               (unsigned long long)svc.renders_failed);
    metric(out, "heapwatch_render_seconds", "summary", "time spent rendering");
    buf_printf(out, "heapwatch_render_seconds_sum %.6f\n", svc.seconds_sum);
    buf_printf(out, "heapwatch_render_seconds_count %llu\n",
               (unsigned long long)(svc.renders_ok + svc.renders_failed));
    metric(out, "heapwatch_render_seconds_max", "gauge", "longest render");
    buf_printf(out, "heapwatch_render_seconds_max %.6f\n", svc.seconds_max);
    metric(out, "heapwatch_render_not_modified_total", "counter",
           "conditional requests answered 304");
    buf_printf(out, "heapwatch_render_not_modified_total %llu\n",
               (unsigned long long)svc.not_modified);
    metric(out, "heapwatch_render_busy_total", "counter", "renders refused: no slot free in time");
    buf_printf(out, "heapwatch_render_busy_total %llu\n", (unsigned long long)svc.slot_timeouts);
    metric(out, "heapwatch_renders_in_flight", "gauge", "renders running now");
    buf_printf(out, "heapwatch_renders_in_flight %d\n", svc.busy);
    pthread_mutex_unlock(&svc.lock);
}

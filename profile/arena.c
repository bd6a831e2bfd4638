/* arena.c - a bump allocator over a list of chunks. Chunks double in size up to 4 MiB
 * (header included); an allocation larger than a quarter chunk gets a chunk of its own
 * so that big arrays do not waste the tail of a shared chunk. Nothing is freed one by
 * one. Chunks of 2 MiB and more come from arena_pages (huge pages). */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define ARENA_ALIGN 16
#define ARENA_MIN_CHUNK 4096
#define ARENA_MAX_CHUNK ((size_t)4 << 20)
#define HUGE_PAGE ((size_t)2 << 20)

/* AddressSanitizer only sees malloc'd blocks, so its builds keep malloc everywhere. */
#if defined(__SANITIZE_ADDRESS__)
#define PAGES_FROM_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PAGES_FROM_MALLOC 1
#endif
#endif
#ifndef PAGES_FROM_MALLOC
#define PAGES_FROM_MALLOC 0
#endif

struct chunk {
    struct chunk *next;
    size_t size;   /* usable bytes after the header */
    size_t used;
    size_t mapped; /* bytes from arena_pages, 0 when malloc'd */
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

static size_t
pages_length(size_t n)
{
    return (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

void *
arena_pages(size_t n)
{
    unsigned char *base, *p;
    size_t len = pages_length(n);

    if (PAGES_FROM_MALLOC || n < HUGE_PAGE)
        return calloc(1, n);
    if (len < n || len > SIZE_MAX - HUGE_PAGE)
        return NULL;
    /* Mapped one huge page long so that an aligned start exists; the ends go back. */
    base = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return NULL;
    p = (unsigned char *)(((uintptr_t)base + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (p > base)
        munmap(base, (size_t)(p - base));
    if (p + len < base + len + HUGE_PAGE)
        munmap(p + len, (size_t)(base + len + HUGE_PAGE - (p + len)));
    madvise(p, len, MADV_HUGEPAGE); /* only advice: without it the pages are small */
    return p;
}

void
arena_pages_free(void *p, size_t n)
{
    if (p == NULL)
        return;
    if (PAGES_FROM_MALLOC || n < HUGE_PAGE)
        free(p);
    else
        munmap(p, pages_length(n));
}

struct arena {
    struct chunk *head; /* the chunk allocations are bumped from */
    struct chunk *big;  /* chunks holding one large allocation each */
    size_t used, limit, next_size;
    void *last;         /* the latest allocation in head, for arena_realloc */
    enum hw_err err;
};

struct arena *
arena_new(size_t limit)
{
    struct arena *a = calloc(1, sizeof(*a));

    if (a == NULL)
        return NULL;
    a->limit = limit;
    a->next_size = ARENA_MIN_CHUNK;
    return a;
}

static void
chunk_free(struct chunk *c)
{
    if (c->mapped)
        arena_pages_free(c, c->mapped);
    else
        free(c);
}

static void
chunks_free(struct chunk *c)
{
    while (c != NULL) {
        struct chunk *next = c->next;

        chunk_free(c);
        c = next;
    }
}

void
arena_free(struct arena *a)
{
    if (a == NULL)
        return;
    chunks_free(a->head);
    chunks_free(a->big);
    free(a);
}

void
arena_reset(struct arena *a, size_t limit)
{
    struct chunk **pp, **largest = &a->head, *keep;

    for (pp = &a->head; *pp != NULL; pp = &(*pp)->next)
        if ((*pp)->size > (*largest)->size)
            largest = pp;
    keep = *largest;
    if (keep != NULL) {
        *largest = keep->next;
        keep->next = NULL;
        keep->used = 0;
    }
    chunks_free(a->head);
    chunks_free(a->big);
    a->head = keep;
    a->big = NULL;
    a->used = 0;
    a->limit = limit;
    a->last = NULL;
    a->err = HW_OK;
}

static size_t
round_up(size_t n)
{
    return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

/* Charges n bytes against the limit; false (and the error recorded) past it. */
static int
charge(struct arena *a, size_t n)
{
    if (a->limit != 0 && (n > a->limit || a->used > a->limit - n)) {
        a->err = HW_TOOBIG;
        return 0;
    }
    a->used += n;
    return 1;
}

static struct chunk *
chunk_new(struct arena *a, size_t size)
{
    struct chunk *c;

    if (size > SIZE_MAX - sizeof(*c)) {
        a->err = HW_NOMEM;
        return NULL;
    }
    if (sizeof(*c) + size >= HUGE_PAGE) {
        if ((c = arena_pages(sizeof(*c) + size)) != NULL)
            c->mapped = sizeof(*c) + size;
    } else if ((c = malloc(sizeof(*c) + size)) != NULL) {
        c->mapped = 0;
    }
    if (c == NULL) {
        a->err = HW_NOMEM;
        return NULL;
    }
    c->size = size;
    c->used = 0;
    return c;
}

void *
arena_alloc(struct arena *a, size_t n)
{
    struct chunk *c;
    void *p;

    if (n == 0)
        n = 1;
    if (n > SIZE_MAX - ARENA_ALIGN) {
        a->err = HW_NOMEM;
        return NULL;
    }
    n = round_up(n);
    if (!charge(a, n))
        return NULL;
    if (n > ARENA_MAX_CHUNK / 4) {
        if ((c = chunk_new(a, n)) == NULL) {
            a->used -= n; /* nothing was handed out */
            return NULL;
        }
        c->used = n;
        c->next = a->big;
        a->big = c;
        return c->data;
    }
    c = a->head;
    if (c == NULL || c->size - c->used < n) {
        size_t size = a->next_size - sizeof(*c); /* whole powers of two, header included */

        while (size < n)
            size = (size + sizeof(*c)) * 2 - sizeof(*c);
        if ((c = chunk_new(a, size)) == NULL) {
            a->used -= n;
            return NULL;
        }
        if (a->next_size < ARENA_MAX_CHUNK)
            a->next_size *= 2;
        c->next = a->head;
        a->head = c;
    }
    p = c->data + c->used;
    c->used += n;
    a->last = p;
    return p;
}

void *
arena_calloc(struct arena *a, size_t n, size_t size)
{
    void *p;

    if (size != 0 && n > SIZE_MAX / size) {
        a->err = HW_NOMEM;
        return NULL;
    }
    if ((p = arena_alloc(a, n * size)) != NULL)
        memset(p, 0, n * size);
    return p;
}

void *
arena_realloc(struct arena *a, void *p, size_t old, size_t n)
{
    struct chunk *c = a->head;
    void *q;

    if (p != NULL && p == a->last && c != NULL && n <= SIZE_MAX - ARENA_ALIGN) {
        size_t start = (size_t)((unsigned char *)p - c->data);
        size_t had = round_up(old), want = round_up(n);

        if (want <= had)
            return p;
        if (start + want <= c->size && charge(a, want - had)) {
            c->used = start + want;
            return p;
        }
        if (a->err == HW_TOOBIG)
            return NULL;
    }
    if ((q = arena_alloc(a, n)) != NULL && p != NULL)
        memcpy(q, p, old < n ? old : n);
    return q;
}

void
arena_release(struct arena *a, void *p)
{
    struct chunk **pp;
    int looked = 0;

    if (p == NULL)
        return;
    /* Scratch is freed soon after it was taken, so only the newest large chunks are
     * looked at; this keeps a free of a small block (the common case) cheap. */
    for (pp = &a->big; *pp != NULL && looked++ < 8; pp = &(*pp)->next) {
        struct chunk *c = *pp;

        if ((void *)c->data == p) {
            *pp = c->next;
            a->used -= c->size;
            chunk_free(c);
            return;
        }
    }
}

enum hw_err
arena_adopt(struct arena *a, struct arena *from)
{
    struct chunk **tail;
    enum hw_err err = HW_OK;

    if (from == NULL)
        return HW_OK;
    for (tail = &a->big; *tail != NULL; tail = &(*tail)->next)
        ;
    *tail = from->head; /* whole chunks: their free tails are not bumped into again */
    for (; *tail != NULL; tail = &(*tail)->next)
        ;
    *tail = from->big;
    if (a->limit != 0 && (from->used > a->limit || a->used > a->limit - from->used))
        err = a->err = HW_TOOBIG;
    a->used += from->used;
    free(from);
    return err;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p;

    if (n == SIZE_MAX || (p = arena_alloc(a, n + 1)) == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

enum hw_err
arena_error(const struct arena *a)
{
    return a->err;
}

size_t
arena_used(const struct arena *a)
{
    return a->used;
}

size_t
arena_limit(const struct arena *a)
{
    return a->limit;
}

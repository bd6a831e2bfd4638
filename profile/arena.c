/* arena.c - a bump allocator over a list of malloc'd chunks. Chunks double in size up
 * to 1 MiB; an allocation larger than a quarter chunk gets a chunk of its own so that
 * big arrays do not waste the tail of a shared chunk. Nothing is freed one by one. */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16
#define ARENA_MIN_CHUNK 4096
#define ARENA_MAX_CHUNK (1u << 20)

struct chunk {
    struct chunk *next;
    size_t size; /* usable bytes after the header */
    size_t used;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

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
chunks_free(struct chunk *c)
{
    while (c != NULL) {
        struct chunk *next = c->next;
        free(c);
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
    c = malloc(sizeof(*c) + size);
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
        size_t size = a->next_size;

        while (size < n)
            size *= 2;
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
            free(c);
            return;
        }
    }
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

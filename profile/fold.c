/* fold.c - turn samples into folded call paths. Each location's frames are named
 * once (inlined frames included, caller first) and interned, so a path is a sequence
 * of pointers: paths are hashed by pointer and equal ones add their values. Everything
 * lives in the caller's arena; nothing here frees. */
#include "fold.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "nodeinfo.h"

struct strtab {
    const char **slots;
    size_t mask, n;
};

struct pathtab {
    struct fold_stack **slots;
    size_t mask, n;
};

static enum hw_err
strtab_init(struct arena *a, struct strtab *t, size_t hint)
{
    size_t cap = 64;

    while (cap < hint * 2)
        cap *= 2;
    t->mask = cap - 1;
    t->n = 0;
    t->slots = arena_calloc(a, cap, sizeof(*t->slots));
    return t->slots ? HW_OK : arena_error(a);
}

/* The interned copy of s (s itself is kept: the profile outlives the fold). */
static const char *
strtab_intern(struct arena *a, struct strtab *t, const char *s)
{
    size_t h = (size_t)hash_str(0xcbf29ce484222325ull, s) & t->mask;

    while (t->slots[h] != NULL) {
        if (strcmp(t->slots[h], s) == 0)
            return t->slots[h];
        h = (h + 1) & t->mask;
    }
    if ((t->n + 1) * 2 > t->mask + 1) {
        struct strtab bigger;
        size_t i;

        if (strtab_init(a, &bigger, t->mask + 1) != HW_OK)
            return NULL;
        for (i = 0; i <= t->mask; i++)
            if (t->slots[i] != NULL)
                strtab_intern(a, &bigger, t->slots[i]);
        *t = bigger;
        return strtab_intern(a, t, s);
    }
    t->slots[h] = s;
    t->n++;
    return s;
}

const char *
fold_frame_name(struct arena *a, const struct location *l, const struct line *ln,
                enum granularity g)
{
    struct nodeinfo ni;

    if (nodeinfo_make(a, l, ln, g, &ni) != HW_OK)
        return NULL;
    return nodeinfo_printable(a, &ni);
}

/* Names every location's frames, caller first: frames[start[i] .. start[i+1]). */
static enum hw_err
name_locations(struct arena *a, const struct profile *p, enum granularity g,
               const char ***frames_out, size_t **start_out)
{
    size_t i, j, total = 0, k = 0;
    size_t *start = arena_alloc(a, (p->nlocations + 1) * sizeof(*start));
    const char **frames;
    struct strtab tab;

    if (start == NULL)
        return arena_error(a);
    for (i = 0; i < p->nlocations; i++)
        total += p->locations[i].nlines ? p->locations[i].nlines : 1;
    if ((frames = arena_alloc(a, (total + 1) * sizeof(*frames))) == NULL ||
        strtab_init(a, &tab, p->nfunctions + 16) != HW_OK)
        return arena_error(a);
    for (i = 0; i < p->nlocations; i++) {
        const struct location *l = &p->locations[i];

        start[i] = k;
        for (j = l->nlines ? l->nlines : 1; j-- > 0;) {
            const char *name = fold_frame_name(a, l, l->nlines ? &l->lines[j] : NULL, g);

            if (name == NULL || (name = strtab_intern(a, &tab, name)) == NULL)
                return arena_error(a);
            frames[k++] = name;
        }
    }
    start[i] = k;
    *frames_out = frames;
    *start_out = start;
    return HW_OK;
}

static uint64_t
path_hash(const char **f, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (uint64_t)(uintptr_t)f[i];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 29;
    }
    return h;
}

static enum hw_err
pathtab_grow(struct arena *a, struct pathtab *t)
{
    size_t i, cap = (t->mask + 1) * 2;
    struct fold_stack **slots = arena_calloc(a, cap, sizeof(*slots));

    if (slots == NULL)
        return arena_error(a);
    for (i = 0; i <= t->mask; i++) {
        struct fold_stack *s = t->slots[i];
        size_t h;

        if (s == NULL)
            continue;
        h = (size_t)path_hash(s->frames, s->nframes) & (cap - 1);
        while (slots[h] != NULL)
            h = (h + 1) & (cap - 1);
        slots[h] = s;
    }
    t->slots = slots;
    t->mask = cap - 1;
    return HW_OK;
}

/* Adds v to the path's stack, creating it (with a copy of the frames) if new. */
static enum hw_err
pathtab_add(struct arena *a, struct pathtab *t, const char **f, size_t n, int64_t v)
{
    size_t h = (size_t)path_hash(f, n) & t->mask;
    struct fold_stack *s;

    while ((s = t->slots[h]) != NULL) {
        if (s->nframes == n && (n == 0 || memcmp(s->frames, f, n * sizeof(*f)) == 0)) {
            s->value = (int64_t)((uint64_t)s->value + (uint64_t)v);
            return HW_OK;
        }
        h = (h + 1) & t->mask;
    }
    if ((s = arena_alloc(a, sizeof(*s))) == NULL ||
        (s->frames = arena_alloc(a, (n + 1) * sizeof(*f))) == NULL)
        return arena_error(a);
    if (n > 0)
        memcpy(s->frames, f, n * sizeof(*f));
    s->nframes = n;
    s->value = v;
    t->slots[h] = s;
    if (++t->n * 2 > t->mask + 1)
        return pathtab_grow(a, t);
    return HW_OK;
}

static enum hw_err
collect(struct arena *a, const struct pathtab *t, struct folded *f)
{
    size_t i, k = 0;

    if ((f->stacks = arena_alloc(a, (t->n + 1) * sizeof(*f->stacks))) == NULL)
        return arena_error(a);
    for (i = 0; i <= t->mask; i++) {
        const struct fold_stack *s = t->slots[i];

        if (s == NULL || s->value == 0)
            continue;
        f->stacks[k++] = *s;
        f->total = (int64_t)((uint64_t)f->total + (uint64_t)s->value);
    }
    f->nstacks = k;
    return HW_OK;
}

enum hw_err
fold_profile(struct arena *a, const struct profile *p, size_t col, enum granularity g,
             struct folded **out, struct errbuf *eb)
{
    const char **frames = NULL, **path = NULL;
    size_t *start = NULL, i, k, cap = 0;
    struct pathtab t = {0};
    struct folded *f;
    enum hw_err err;

    if (col >= p->ntypes)
        return errbuf_set(eb, HW_USAGE, "sample column %zu out of range", col);
    if ((f = arena_calloc(a, 1, sizeof(*f))) == NULL)
        return arena_error(a);
    f->type = p->sample_types[col].type;
    f->unit = p->sample_types[col].unit;
    if ((err = name_locations(a, p, g, &frames, &start)) != HW_OK)
        return err;
    /* Sized for one path per sample, so large inputs never rehash. */
    t.mask = 1023;
    while (t.mask < p->nsamples * 2 && t.mask < ((size_t)1 << 30))
        t.mask = t.mask * 2 + 1;
    if ((t.slots = arena_calloc(a, t.mask + 1, sizeof(*t.slots))) == NULL)
        return arena_error(a);
    for (i = 0; i < p->nsamples; i++) {
        const struct sample *s = &p->samples[i];
        size_t n = 0;

        if (s->values[col] == 0)
            continue;
        for (k = s->nlocs; k-- > 0;) {
            size_t li = (size_t)(s->locs[k] - p->locations);
            size_t m = start[li + 1] - start[li];

            if (n + m > cap) {
                size_t ncap = (n + m) * 2 + 64;
                if ((path = arena_realloc(a, path, cap * sizeof(*path), ncap * sizeof(*path))) == NULL)
                    return arena_error(a);
                cap = ncap;
            }
            if (m > 0)
                memcpy(path + n, frames + start[li], m * sizeof(*path));
            n += m;
        }
        if ((err = pathtab_add(a, &t, path, n, s->values[col])) != HW_OK)
            return err;
    }
    if ((err = collect(a, &t, f)) != HW_OK)
        return err;
    *out = f;
    return HW_OK;
}

static int
stack_cmp(const void *x, const void *y)
{
    const struct fold_stack *a = x, *b = y;
    size_t i, n = a->nframes < b->nframes ? a->nframes : b->nframes;

    for (i = 0; i < n; i++) {
        int c = a->frames[i] == b->frames[i] ? 0 : strcmp(a->frames[i], b->frames[i]);
        if (c != 0)
            return c;
    }
    return (a->nframes > b->nframes) - (a->nframes < b->nframes);
}

void
fold_sort(struct folded *f)
{
    if (f->nstacks > 1)
        qsort(f->stacks, f->nstacks, sizeof(*f->stacks), stack_cmp);
}

/* Frame names may hold the separators of the format; they are replaced so every line
 * reads back as the same stack. */
static enum hw_err
write_frame(struct buf *out, const char *s)
{
    size_t n = strcspn(s, ";\n\r");
    enum hw_err err;

    while (s[n] != '\0') {
        if ((err = buf_append(out, s, n)) != HW_OK || (err = buf_append(out, s[n] == ';' ? ":" : " ", 1)) != HW_OK)
            return err;
        s += n + 1;
        n = strcspn(s, ";\n\r");
    }
    return buf_append(out, s, n);
}

enum hw_err
fold_write(const struct folded *f, struct buf *out)
{
    enum hw_err err;
    size_t i, j;

    for (i = 0; i < f->nstacks; i++) {
        const struct fold_stack *s = &f->stacks[i];

        /* A sample without any location still counts towards the total. */
        if (s->nframes == 0 && (err = buf_puts(out, "<no stack>")) != HW_OK)
            return err;
        for (j = 0; j < s->nframes; j++)
            if ((j > 0 && (err = buf_append(out, ";", 1)) != HW_OK) ||
                (err = write_frame(out, s->frames[j])) != HW_OK)
                return err;
        if ((err = buf_printf(out, " %" PRId64 "\n", s->value)) != HW_OK)
            return err;
    }
    return HW_OK;
}

/* flame.c - folded stacks to a laid-out flame graph.
 *
 * Stacks are not merged through a hash of (parent, name): that costs a cache miss per
 * frame on big inputs. Instead the stacks (of both sets, for a diff) are sorted as
 * sequences of names, compared frame by frame (so "main.handle" and
 * "main.handle.func2" are two whole names, never a prefix of each other, and a frame
 * is never split around a sibling). In that order every tree node is a run of
 * consecutive stacks, so one pass with a stack of open nodes builds the tree in depth-
 * first order, siblings already sorted, without any lookup. Names are compared by
 * pointer first (fold interns them) and by a precomputed rank of the name otherwise.
 *
 * A node's value is final when it is closed; a node narrower than minwidth is then
 * dropped together with its subtree, which is exactly the tail of the frame array, so
 * memory stays proportional to what is drawn, not to the input. Its value stays in
 * its parent and its place stays a gap, because each node's left edge was fixed, in
 * value units, when it was opened. */
#include "flame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct flame {
    struct flame_opts opts;
    struct flame_info info;
    struct text_metrics metrics;
    struct flame_frame *frames;
    size_t cap;
    struct arena *a; /* sanitized names, labels and titles */
};

/* Distinct frame-name pointers and the rank of their text among all names. */
struct nametab {
    const char **keys;
    uint32_t *rank;
    size_t mask, n;
};

struct build {
    const struct folded *set[2]; /* 0: new, 1: base */
    size_t ncur;
    bool reverse, negate;
    struct nametab names;
    unsigned bits;  /* per rank in a sort key */
    size_t per_key; /* ranks per sort key */
    size_t maxframes;
    double scale, minwidth;
    bool pct;
    int64_t total;
    uint32_t *path; /* open node per depth */
    int64_t *fill;  /* per open node: drawn value of its closed children */
    struct flame *f;
};

void
flame_opts_init(struct flame_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->width = FLAME_DEFAULT_WIDTH;
    o->minwidth = FLAME_DEFAULT_MINWIDTH;
    o->sort = FLAME_SORT_NAME;
    o->palette = PALETTE_HOT;
}

enum hw_err
flame_parse_minwidth(const char *s, struct flame_opts *o)
{
    char *end;
    double v = strtod(s, &end);

    o->minwidth_pct = *end == '%';
    if (end == s || (*end != '\0' && (*end != '%' || end[1] != '\0')) || !(v >= 0) ||
        v > (o->minwidth_pct ? 100 : FLAME_MAX_WIDTH))
        return HW_USAGE;
    o->minwidth = v;
    return HW_OK;
}

static size_t
ptr_hash(const char *p)
{
    uint64_t h = (uint64_t)(uintptr_t)p;

    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    return (size_t)(h ^ (h >> 29));
}

static enum hw_err
nametab_grow(struct nametab *t)
{
    size_t cap = t->mask ? (t->mask + 1) * 2 : 1024, i;
    const char **keys = calloc(cap, sizeof(*keys));

    if (keys == NULL)
        return HW_NOMEM;
    for (i = 0; t->keys != NULL && i <= t->mask; i++) {
        size_t h;

        if (t->keys[i] == NULL)
            continue;
        for (h = ptr_hash(t->keys[i]) & (cap - 1); keys[h] != NULL; h = (h + 1) & (cap - 1))
            ;
        keys[h] = t->keys[i];
    }
    free(t->keys);
    t->keys = keys;
    t->mask = cap - 1;
    return HW_OK;
}

static size_t
nametab_slot(const struct nametab *t, const char *p)
{
    size_t h = ptr_hash(p) & t->mask;

    while (t->keys[h] != NULL && t->keys[h] != p)
        h = (h + 1) & t->mask;
    return h;
}

static enum hw_err
nametab_add(struct nametab *t, const char *p)
{
    size_t h = nametab_slot(t, p);

    if (t->keys[h] == p)
        return HW_OK;
    t->keys[h] = p;
    if (++t->n * 2 > t->mask)
        return nametab_grow(t);
    return HW_OK;
}

static uint32_t
nametab_rank(const struct nametab *t, const char *p)
{
    return t->rank[nametab_slot(t, p)];
}

static int
strptr_cmp(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Ranks every distinct name by its bytes; equal texts behind different pointers (the
 * two sets of a diff intern separately) get the same rank. */
static enum hw_err
nametab_rank_all(struct nametab *t, unsigned *bits)
{
    const char **sorted = malloc((t->n + 1) * sizeof(*sorted));
    size_t i, k = 0;
    uint32_t r = 0;

    t->rank = calloc(t->mask + 1, sizeof(*t->rank));
    if (sorted == NULL || t->rank == NULL) {
        free(sorted);
        return HW_NOMEM;
    }
    for (i = 0; i <= t->mask; i++)
        if (t->keys[i] != NULL)
            sorted[k++] = t->keys[i];
    qsort(sorted, k, sizeof(*sorted), strptr_cmp);
    for (i = 0; i < k; i++) {
        if (i > 0 && strcmp(sorted[i - 1], sorted[i]) != 0)
            r++;
        t->rank[nametab_slot(t, sorted[i])] = r;
    }
    /* Enough bits for rank + 1, and at least 8 so that a key holds at most 8 frames. */
    for (*bits = 8; *bits < 32 && (uint64_t)r + 1 >= UINT64_C(1) << *bits; (*bits)++)
        ;
    free(sorted);
    return HW_OK;
}

static const struct fold_stack *
entry_stack(const struct build *b, uint32_t e)
{
    return e < b->ncur ? &b->set[0]->stacks[e] : &b->set[1]->stacks[e - b->ncur];
}

/* Starts loading what entry e will need: its stack and the start of its frames. The
 * entries visit stacks in an order unrelated to where they lie in memory, and without
 * this every stack costs two cache misses in a row. */
static void
prefetch(const struct build *b, uint32_t e, bool frames)
{
#if defined(__GNUC__)
    const struct fold_stack *s = entry_stack(b, e);

    if (frames)
        __builtin_prefetch(s->frames);
    else
        __builtin_prefetch(s);
#else
    (void)b, (void)e, (void)frames;
#endif
}

static const char *
frame_at(const struct build *b, const struct fold_stack *s, size_t i)
{
    return s->frames[b->reverse ? s->nframes - 1 - i : i];
}

static bool
same_name(const struct build *b, const char *x, const char *y)
{
    return x == y || nametab_rank(&b->names, x) == nametab_rank(&b->names, y);
}

/* A sort key: the ranks (+1, so that 0 means "the stack has ended") of a group of
 * consecutive frames, packed most significant first, and the entry it belongs to. */
struct skey {
    uint64_t key;
    uint32_t idx;
};

static int
skey_cmp(const void *x, const void *y)
{
    const struct skey *a = x, *b = y;

    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

static uint64_t
make_key(const struct build *b, uint32_t e, size_t level)
{
    const struct fold_stack *s = entry_stack(b, e);
    size_t i = level * b->per_key, j;
    uint64_t key = 0;

    for (j = 0; j < b->per_key; j++, i++)
        key =
            key << b->bits | (i < s->nframes ? nametab_rank(&b->names, frame_at(b, s, i)) + 1u : 0);
    return key;
}

/* Sorts the entries as sequences of name ranks: by the first per_key frames, then each
 * run of equal keys by the next group, and so on (an MSD radix sort whose digits are
 * key groups, each level sorted with qsort). A run whose key ends in 0 has ended: its
 * stacks are equal (a path in both sets of a diff) and stay in entry order. Most
 * comparisons touch only the 16-byte keys, not the stacks. */
static enum hw_err
entries_sort(const struct build *b, struct skey *v, size_t n)
{
    struct range {
        size_t lo, hi, level;
    } *work = NULL, *w;
    size_t nwork = 0, cap = 0, i, j;
    uint64_t last_slot = (UINT64_C(1) << b->bits) - 1;

    if (n < 2)
        return HW_OK;
    if ((work = malloc(64 * sizeof(*work))) == NULL)
        return HW_NOMEM;
    cap = 64;
    work[nwork++] = (struct range){0, n, 0};
    while (nwork > 0) {
        struct range r = work[--nwork];

        for (i = r.lo; i < r.hi; i++) {
            if (i + 16 < r.hi)
                prefetch(b, v[i + 16].idx, false);
            if (i + 8 < r.hi)
                prefetch(b, v[i + 8].idx, true);
            v[i].key = make_key(b, v[i].idx, r.level);
        }
        qsort(v + r.lo, r.hi - r.lo, sizeof(*v), skey_cmp);
        for (i = r.lo; i < r.hi; i = j) {
            for (j = i + 1; j < r.hi && v[j].key == v[i].key; j++)
                ;
            if (j - i < 2 || (v[i].key & last_slot) == 0)
                continue;
            if (nwork == cap) {
                if ((w = realloc(work, 2 * cap * sizeof(*work))) == NULL) {
                    free(work);
                    return HW_NOMEM;
                }
                work = w;
                cap *= 2;
            }
            work[nwork++] = (struct range){i, j, r.level + 1};
        }
    }
    free(work);
    return HW_OK;
}

static int64_t
drawn(const struct build *b, const struct flame_frame *fr)
{
    return b->negate ? fr->base : fr->cur;
}

static bool
wide_enough(const struct build *b, int64_t v)
{
    if (v <= 0)
        return false;
    if (b->pct)
        return (double)v * 100.0 >= b->minwidth * (double)b->total;
    return (double)v * b->scale >= b->minwidth;
}

static enum hw_err
frame_push(struct flame *f, const char *name, uint32_t depth, uint32_t parent, int64_t start)
{
    struct flame_frame *fr;

    if (f->info.nframes == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 1024;

        if (cap >= UINT32_MAX || (fr = realloc(f->frames, cap * sizeof(*fr))) == NULL)
            return HW_NOMEM;
        f->frames = fr;
        f->cap = cap;
    }
    fr = &f->frames[f->info.nframes++];
    memset(fr, 0, sizeof(*fr));
    fr->name = name;
    fr->depth = depth;
    fr->parent = parent;
    fr->start = start;
    return HW_OK;
}

/* Closes the open node at depth d: its value goes to its parent, its width to the
 * parent's fill, and if it is too narrow it and its subtree (the array's tail) go. */
static void
close_node(struct build *b, uint32_t d)
{
    struct flame *f = b->f;
    uint32_t j = b->path[d];
    struct flame_frame *fr = &f->frames[j], *p = &f->frames[b->path[d - 1]];

    p->cur += fr->cur;
    p->base += fr->base;
    b->fill[d - 1] += drawn(b, fr);
    if (!wide_enough(b, drawn(b, fr))) {
        /* In a diff, a frame only the other side has is not narrow but absent. */
        if (drawn(b, fr) == 0)
            f->info.absent += f->info.nframes - j;
        else
            f->info.elided += f->info.nframes - j;
        f->info.nframes = j;
    }
}

/* One pass over the sorted entries: open and close nodes along each stack's path. */
static enum hw_err
build_tree(struct build *b, const struct skey *ent, size_t nent)
{
    struct flame *f = b->f;
    size_t open = 1, i, k, d;
    enum hw_err err;

    if ((err = frame_push(f, "all", 0, FLAME_NO_PARENT, 0)) != HW_OK)
        return err;
    b->path[0] = 0;
    b->fill[0] = 0;
    for (i = 0; i < nent; i++) {
        const struct fold_stack *s = entry_stack(b, ent[i].idx);
        struct flame_frame *leaf;

        if (i + 16 < nent)
            prefetch(b, ent[i + 16].idx, false);
        if (i + 8 < nent)
            prefetch(b, ent[i + 8].idx, true);

        for (k = 0; k + 1 < open && k < s->nframes; k++)
            if (!same_name(b, f->frames[b->path[k + 1]].name, frame_at(b, s, k)))
                break;
        while (open > k + 1)
            close_node(b, (uint32_t)--open);
        for (d = k; d < s->nframes; d++) {
            uint32_t parent = b->path[d];
            int64_t start = f->frames[parent].start + b->fill[d];

            if ((err = frame_push(f, frame_at(b, s, d), (uint32_t)d + 1, parent, start)) != HW_OK)
                return err;
            b->path[d + 1] = (uint32_t)(f->info.nframes - 1);
            b->fill[d + 1] = 0;
            open++;
        }
        leaf = &f->frames[b->path[s->nframes]];
        if (ent[i].idx < b->ncur)
            leaf->cur += s->value;
        else
            leaf->base += s->value;
    }
    while (open > 1)
        close_node(b, (uint32_t)--open);
    return HW_OK;
}

/* Sums the positive stacks of a set (checking for overflow) and lists them. */
static enum hw_err
collect(struct build *b, int which, struct skey *ent, size_t *nent, int64_t *total)
{
    const struct folded *fs = b->set[which];
    enum hw_err err;
    size_t i, j;

    *total = 0;
    for (i = 0; i < fs->nstacks; i++) {
        const struct fold_stack *s = &fs->stacks[i];

#if defined(__GNUC__)
        if (i + 8 < fs->nstacks)
            __builtin_prefetch(fs->stacks[i + 8].frames);
#endif

        if (s->value < 0)
            b->f->info.negative++;
        if (s->value <= 0)
            continue;
        if (s->value > INT64_MAX - *total)
            return HW_BADDATA;
        *total += s->value;
        ent[(*nent)++].idx = (uint32_t)(i + (which ? b->ncur : 0));
        if (s->nframes > b->maxframes)
            b->maxframes = s->nframes;
        for (j = 0; j < s->nframes; j++)
            if ((err = nametab_add(&b->names, s->frames[j])) != HW_OK)
                return err;
    }
    return HW_OK;
}

struct kid {
    int64_t value;
    const char *name;
    uint32_t idx;
};

static int
kid_cmp(const void *x, const void *y)
{
    const struct kid *a = x, *b = y;
    int c;

    if (a->value != b->value)
        return a->value > b->value ? -1 : 1;
    if ((c = strcmp(a->name, b->name)) != 0)
        return c;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Reorders siblings heaviest first and re-lays the frames out in that order. Frames
 * that were left out were lighter than every kept sibling, so the gap they leave moves
 * to the end of the parent with its self value. */
static enum hw_err
sort_by_weight(struct flame *f)
{
    size_t n = f->info.nframes, i, top = 0, k = 0;
    uint32_t *first = malloc(n * sizeof(*first)), *next = malloc(n * sizeof(*next));
    uint32_t *stack = malloc(n * sizeof(*stack)), *newidx = malloc(n * sizeof(*newidx));
    struct flame_frame *out = malloc(n * sizeof(*out));
    struct kid *kids = malloc(n * sizeof(*kids));
    enum hw_err err = HW_NOMEM;

    if (!first || !next || !stack || !newidx || !out || !kids)
        goto out;
    for (i = 0; i < n; i++)
        first[i] = next[i] = FLAME_NO_PARENT;
    for (i = n; i-- > 1;) {
        next[i] = first[f->frames[i].parent];
        first[f->frames[i].parent] = (uint32_t)i;
    }
    stack[top++] = 0;
    while (top > 0) {
        uint32_t j = stack[--top], c;
        size_t nk = 0, m;
        int64_t start = f->frames[j].start;

        newidx[j] = (uint32_t)k;
        out[k] = f->frames[j];
        if (j != 0)
            out[k].parent = newidx[f->frames[j].parent];
        k++;
        for (c = first[j]; c != FLAME_NO_PARENT; c = next[c])
            kids[nk++] = (struct kid){f->frames[c].value, f->frames[c].name, c};
        qsort(kids, nk, sizeof(*kids), kid_cmp);
        for (m = 0; m < nk; m++) {
            f->frames[kids[m].idx].start = start;
            start += kids[m].value;
        }
        for (m = nk; m-- > 0;)
            stack[top++] = kids[m].idx;
    }
    memcpy(f->frames, out, n * sizeof(*out));
    err = HW_OK;
out:
    free(first);
    free(next);
    free(stack);
    free(newidx);
    free(out);
    free(kids);
    return err;
}

static const char *
default_title(const struct flame_opts *o, bool diff)
{
    if (diff)
        return o->inverted ? "Differential Icicle Graph" : "Differential Flame Graph";
    return o->inverted ? "Icicle Graph" : "Flame Graph";
}

/* Pixels, names, labels and colours for every frame. */
static enum hw_err
finish(struct flame *f, const struct build *b)
{
    struct flame_info *in = &f->info;
    double graph = (double)in->width - 2 * FLAME_PAD;
    int64_t maxabs = 0;
    size_t i;

    for (i = 0; i < in->nframes; i++) {
        struct flame_frame *fr = &f->frames[i];
        int64_t delta = fr->cur - fr->base;

        fr->value = drawn(b, fr);
        if (fr->depth > in->maxdepth)
            in->maxdepth = fr->depth;
        if (i > 0 && (delta < 0 ? -delta : delta) > maxabs)
            maxabs = delta < 0 ? -delta : delta;
    }
    if (maxabs == 0 && in->nframes > 0)
        maxabs = f->frames[0].cur - f->frames[0].base;
    in->height = (unsigned)(FLAME_TOP + (in->maxdepth + 1) * FLAME_FRAME_HEIGHT + FLAME_BOTTOM);
    for (i = 0; i < in->nframes; i++) {
        struct flame_frame *fr = &f->frames[i];

        fr->x = FLAME_PAD + (double)fr->start * in->scale;
        fr->w = i == 0 ? graph : (double)fr->value * in->scale;
        if ((fr->name = text_sanitize(f->a, fr->name)) == NULL)
            return arena_error(f->a);
        fr->label = "";
        if (fr->w >= 4 * FLAME_LABEL_PAD &&
            (fr->label = text_fit(f->a, &f->metrics, fr->name, fr->w - 2 * FLAME_LABEL_PAD,
                                  f->opts.fullnames)) == NULL)
            return arena_error(f->a);
        if (in->diff) {
            fr->color = palette_diff(fr->cur - fr->base, maxabs);
            fr->flags = fr->base == 0 && fr->cur > 0   ? FLAME_NEW
                        : fr->cur == 0 && fr->base > 0 ? FLAME_GONE
                                                       : 0;
        } else {
            fr->color = palette_color(in->palette, fr->name);
        }
    }
    /* Titles are cut to the width too (advances scale with the font size). */
    in->title =
        text_sanitize(f->a, f->opts.title ? f->opts.title : default_title(&f->opts, in->diff));
    in->subtitle = text_sanitize(f->a, f->opts.subtitle ? f->opts.subtitle : "");
    if (in->title != NULL)
        in->title = text_fit(f->a, &f->metrics, in->title,
                             graph * FLAME_FONT_SIZE / FLAME_TITLE_SIZE, true);
    if (in->subtitle != NULL)
        in->subtitle = text_fit(f->a, &f->metrics, in->subtitle, graph, true);
    in->type = text_sanitize(f->a, in->type);
    in->unit = text_sanitize(f->a, in->unit);
    return in->title && in->subtitle && in->type && in->unit ? HW_OK : arena_error(f->a);
}

static enum hw_err
build(struct build *b, struct errbuf *eb)
{
    struct flame *f = b->f;
    size_t n = b->ncur + (b->set[1] ? b->set[1]->nstacks : 0), nent = 0;
    struct skey *ent = malloc((n + 1) * sizeof(*ent));
    enum hw_err err = HW_NOMEM;

    if (ent == NULL || (err = nametab_grow(&b->names)) != HW_OK)
        goto out;
    if ((err = collect(b, 0, ent, &nent, &f->info.cur_total)) != HW_OK ||
        (b->set[1] && (err = collect(b, 1, ent, &nent, &f->info.base_total)) != HW_OK)) {
        if (err == HW_BADDATA)
            errbuf_set(eb, err, "the values add up to more than 2^63");
        goto out;
    }
    if ((err = nametab_rank_all(&b->names, &b->bits)) != HW_OK)
        goto out;
    b->per_key = 64 / b->bits;
    f->info.total = b->total = b->negate ? f->info.base_total : f->info.cur_total;
    b->scale = f->info.scale =
        b->total > 0 ? ((double)f->info.width - 2 * FLAME_PAD) / (double)b->total : 0;
    if ((err = entries_sort(b, ent, nent)) != HW_OK)
        goto out;
    err = HW_NOMEM;
    if ((b->path = malloc((b->maxframes + 2) * sizeof(*b->path))) == NULL ||
        (b->fill = malloc((b->maxframes + 2) * sizeof(*b->fill))) == NULL)
        goto out;
    if ((err = build_tree(b, ent, nent)) != HW_OK)
        goto out;
    if (f->opts.sort == FLAME_SORT_WEIGHT) {
        size_t i;

        for (i = 0; i < f->info.nframes; i++)
            f->frames[i].value = drawn(b, &f->frames[i]);
        if ((err = sort_by_weight(f)) != HW_OK)
            goto out;
    }
    err = finish(f, b);
out:
    free(ent);
    free(b->path);
    free(b->fill);
    free(b->names.keys);
    free(b->names.rank);
    return err;
}

enum hw_err
flame_build(const struct folded *cur, const struct folded *base, const struct flame_opts *o,
            struct flame **out, struct errbuf *eb)
{
    struct build b;
    struct flame *f;
    enum hw_err err;

    *out = NULL;
    if (o->width < FLAME_MIN_WIDTH || o->width > FLAME_MAX_WIDTH)
        return errbuf_set(eb, HW_USAGE, "width %u is outside %d..%d", o->width, FLAME_MIN_WIDTH,
                          FLAME_MAX_WIDTH);
    if ((uint64_t)cur->nstacks + (base ? base->nstacks : 0) >= UINT32_MAX)
        return errbuf_set(eb, HW_TOOBIG, "too many stacks for a flame graph");
    if ((f = calloc(1, sizeof(*f))) == NULL || (f->a = arena_new(0)) == NULL) {
        free(f);
        return errbuf_set(eb, HW_NOMEM, "out of memory");
    }
    f->opts = *o;
    f->info.diff = base != NULL;
    f->info.type = cur->type;
    f->info.unit = cur->unit;
    f->info.width = o->width;
    f->info.palette = o->palette_set ? o->palette : palette_default(cur->type, cur->unit);
    if ((err = text_metrics_init(&f->metrics, FLAME_FONT_SIZE)) != HW_OK) {
        errbuf_set(eb, err, "cannot measure text with cairo");
        goto fail;
    }
    memset(&b, 0, sizeof(b));
    b.set[0] = cur;
    b.set[1] = base;
    b.ncur = cur->nstacks;
    b.reverse = o->reverse;
    b.negate = o->negate && base != NULL;
    b.minwidth = o->minwidth;
    b.pct = o->minwidth_pct;
    b.f = f;
    if ((err = build(&b, eb)) != HW_OK) {
        errbuf_set(eb, err, "laying out the flame graph: %s", hw_strerror(err));
        goto fail;
    }
    *out = f;
    return HW_OK;
fail:
    flame_free(f);
    return err;
}

void
flame_free(struct flame *f)
{
    if (f == NULL)
        return;
    free(f->frames);
    arena_free(f->a);
    free(f);
}

const struct flame_info *
flame_info(const struct flame *f)
{
    return &f->info;
}

const struct flame_opts *
flame_opts(const struct flame *f)
{
    return &f->opts;
}

const struct text_metrics *
flame_metrics(const struct flame *f)
{
    return &f->metrics;
}

const struct flame_frame *
flame_frames(const struct flame *f)
{
    return f->frames;
}

void
flame_note(const struct flame *f, char *out, size_t cap)
{
    const struct flame_info *in = &f->info;
    size_t n = 0;

    out[0] = '\0';
    if (in->elided > 0)
        n += (size_t)snprintf(out, cap,
                              "%zu frames narrower than %g%s are not drawn; their values stay in "
                              "their parents",
                              in->elided, f->opts.minwidth,
                              f->opts.minwidth_pct ? "% of the total" : " px");
    if (in->negative > 0 && n < cap)
        n += (size_t)snprintf(out + n, cap - n, "%s%zu stacks with negative values left out",
                              n ? "; " : "", in->negative);
    if (in->absent > 0 && n < cap)
        snprintf(out + n, cap - n, "%s%zu frames only in the %s are not drawn%s", n ? "; " : "",
                 in->absent, f->opts.negate ? "new profile" : "base",
                 f->opts.negate ? "" : " (-negate shows them)");
}

double
flame_y(const struct flame *f, uint32_t d)
{
    uint32_t row = f->opts.inverted ? d : f->info.maxdepth - d;

    return FLAME_TOP + (double)row * FLAME_FRAME_HEIGHT;
}

/* graph.c - pprof's call graph, rebuilt from the samples at each trimming step as
 * pprof does (the graph alone cannot keep full precision). Frame identities are
 * interned once into dense ids; a build is then a pass over the samples with flat,
 * cum and "seen in this sample" stamps in flat arrays and edges in one hash table.
 * In visual mode each sample's tags (string labels, "bytes" sizes) are interned into
 * a signature, samples are grouped by stack and signature, and a pass also adds up
 * per-node tag values in a second hash table. */
#include "graph.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "units.h"

struct eslot {
    uint64_t key; /* (src+1) << 32 | (dst+1); 0 = empty */
    int64_t weight;
    uint32_t stamp;
    bool inline_call, residual;
};

/* A sample's tags: its joined string labels (id into lstr, 0: none) and its numeric
 * "bytes" tags (ids into tnames). */
struct sig {
    uint32_t l, n;
    const uint32_t *t;
};

struct tagname {
    const char *name;
    int64_t value; /* the first value seen with this name */
};

/* Per-pass tag accumulators, keyed by (node, labels, numeric tag or 0). */
struct tslot {
    uint32_t node, l, t; /* node+1; 0 = empty */
    int64_t flat, cum;
};

struct tags {
    const char **lstr; /* [0] = "" */
    size_t nl;
    uint32_t *ltab;
    size_t lmask;
    struct tagname *tnames; /* [0] unused */
    size_t nt;
    int64_t *vkey; /* value cache: value -> numeric tag id */
    uint32_t *vid;
    size_t vmask;
    struct sig *sigs; /* [0] = no tags */
    size_t ns;
    uint32_t *stab;
    size_t smask;
    const char *unit; /* of the "bytes" label */
    struct tslot *slots;
    size_t tmask, nslots;
    uint8_t *count; /* per node: tags shown, capped at pprof's four nodelets */
};

struct builder {
    struct arena *a;
    const struct profile *p;
    const struct graph_opts *o;
    struct nodeinfo *infos;
    const char **names;
    size_t ninfo, icap;
    uint32_t *itab; /* info hash table: id+1, 0 = empty */
    size_t imask;
    uint32_t *loc_start, *loc_info; /* per location, info ids innermost first */
    int64_t *flat, *cum;
    uint32_t *stamp;
    struct eslot *edges;
    size_t emask, nedges;
    struct group *groups; /* samples with identical stacks, values summed */
    size_t ngroups;
    struct subgroup *subs; /* [0] unused */
    size_t nsubs;
    bool tags_on;         /* this pass adds up tags */
    struct tags tg;       /* visual mode only */
    int64_t *escore;      /* visual mode: entropy score per node */
    uint32_t *pos;        /* after export: node id -> index in the graph, or UINT32_MAX */
};

/* Every contribution of a sample to the graph is linear in its value, so samples
 * with the same stack (Go heap profiles have one per size bucket) can be added up
 * first and walked once. A group whose members were all zero is skipped, as pprof
 * skips zero samples. */
struct group {
    const struct sample *s;
    int64_t w;
    bool nonzero;
    uint32_t subs; /* visual mode: the group's share per tag signature (list head) */
};

/* Visual mode: the part of a group's weight whose samples carry one tag signature.
 * Tags are added up per signature, everything else once for the whole group. */
struct subgroup {
    uint32_t sig, next; /* next: index into subs, 0 = end */
    int64_t w;
};

void
graph_opts_init(struct graph_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->node_fraction = 0.005;
    o->edge_fraction = 0.001;
}

static int64_t
abs64(int64_t v)
{
    return v < 0 ? (int64_t)(0 - (uint64_t)v) : v;
}

/* a + b wrapping around as Go's int64 arithmetic does. */
static int64_t
wrap_add(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

static long
intern_info(struct builder *b, const struct nodeinfo *ni)
{
    size_t h = (size_t)nodeinfo_hash(ni) & b->imask;
    uint32_t id;

    while ((id = b->itab[h]) != 0) {
        if (nodeinfo_equal(&b->infos[id - 1], ni))
            return (long)id - 1;
        h = (h + 1) & b->imask;
    }
    b->infos[b->ninfo] = *ni;
    if ((b->names[b->ninfo] = nodeinfo_printable(b->a, ni)) == NULL)
        return -1;
    b->itab[h] = (uint32_t)++b->ninfo;
    return (long)b->ninfo - 1;
}

/* Gives every (location, line) its frame identity. */
static enum hw_err
intern_locations(struct builder *b)
{
    const struct profile *p = b->p;
    size_t i, j, total = 0, k = 0, cap = 64;

    for (i = 0; i < p->nlocations; i++)
        total += p->locations[i].nlines ? p->locations[i].nlines : 1;
    while (cap < total * 2)
        cap *= 2;
    b->imask = cap - 1;
    b->itab = arena_calloc(b->a, cap, sizeof(*b->itab));
    b->infos = arena_alloc(b->a, (total + 1) * sizeof(*b->infos));
    b->names = arena_alloc(b->a, (total + 1) * sizeof(*b->names));
    b->loc_start = arena_alloc(b->a, (p->nlocations + 1) * sizeof(*b->loc_start));
    b->loc_info = arena_alloc(b->a, (total + 1) * sizeof(*b->loc_info));
    if (!b->itab || !b->infos || !b->names || !b->loc_start || !b->loc_info)
        return arena_error(b->a);
    for (i = 0; i < p->nlocations; i++) {
        const struct location *l = &p->locations[i];
        size_t n = l->nlines ? l->nlines : 1;

        b->loc_start[i] = (uint32_t)k;
        for (j = 0; j < n; j++) {
            struct nodeinfo ni;
            long id;

            if (nodeinfo_make(b->a, l, l->nlines ? &l->lines[j] : NULL, b->o->gran, &ni) != HW_OK ||
                (id = intern_info(b, &ni)) < 0)
                return arena_error(b->a);
            b->loc_info[k++] = (uint32_t)id;
        }
    }
    b->loc_start[i] = (uint32_t)k;
    return HW_OK;
}

static struct eslot *
edge_slot(struct builder *b, uint32_t src, uint32_t dst)
{
    uint64_t key = ((uint64_t)src + 1) << 32 | ((uint64_t)dst + 1);
    uint64_t x = key;
    size_t h;

    /* splitmix64's finaliser: both node ids reach the low bits used by the mask. */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    h = (size_t)x & b->emask;

    while (b->edges[h].key != 0 && b->edges[h].key != key)
        h = (h + 1) & b->emask;
    return &b->edges[h];
}

static enum hw_err
edges_grow(struct builder *b)
{
    struct eslot *old = b->edges;
    size_t i, oldn = b->emask + 1;

    b->emask = oldn * 2 - 1;
    if ((b->edges = calloc(oldn * 2, sizeof(*b->edges))) == NULL) {
        b->edges = old;
        return HW_NOMEM;
    }
    for (i = 0; i < oldn; i++)
        if (old[i].key != 0)
            *edge_slot(b, (uint32_t)((old[i].key >> 32) - 1), (uint32_t)(old[i].key - 1)) = old[i];
    free(old);
    return HW_OK;
}

/* pprof's AddToEdge: weights add once per sample, residual sticks, inline only while
 * every contribution was inlined. */
static enum hw_err
add_edge(struct builder *b, uint32_t src, uint32_t dst, int64_t w, bool residual, bool inl,
         uint32_t cur)
{
    struct eslot *e = edge_slot(b, src, dst);

    if (e->key == 0) {
        e->key = ((uint64_t)src + 1) << 32 | ((uint64_t)dst + 1);
        e->inline_call = inl;
        e->residual = residual;
        e->weight = w;
        e->stamp = cur;
        if (++b->nedges * 2 > b->emask + 1)
            return edges_grow(b);
        return HW_OK;
    }
    if (e->stamp == cur)
        return HW_OK;
    e->stamp = cur;
    e->weight = wrap_add(e->weight, w);
    e->residual |= residual;
    e->inline_call &= inl;
    return HW_OK;
}

/* ---- tags (visual mode) ---- */

static size_t
pow2_at_least(size_t n)
{
    size_t cap = 16;

    while (cap < n)
        cap *= 2;
    return cap;
}

static uint64_t
mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* pprof keeps the unit of the "bytes" label: the first one given, else "bytes". */
static const char *
bytes_unit(const struct profile *p)
{
    size_t i, j;

    for (i = 0; i < p->nsamples; i++)
        for (j = 0; j < p->samples[i].nlabels; j++) {
            const struct label *l = &p->samples[i].labels[j];
            if (l->str == NULL && strcmp(l->key, "bytes") == 0 && l->unit != NULL &&
                l->unit[0] != '\0')
                return l->unit;
        }
    return "bytes";
}

static enum hw_err
tags_init(struct builder *b)
{
    struct tags *t = &b->tg;
    const struct profile *p = b->p;
    size_t i, j, nnum = 0;

    for (i = 0; i < p->nsamples; i++)
        for (j = 0; j < p->samples[i].nlabels; j++)
            nnum += p->samples[i].labels[j].str == NULL;
    t->unit = bytes_unit(p);
    t->lmask = pow2_at_least(2 * p->nsamples + 2) - 1;
    t->smask = t->lmask;
    t->vmask = pow2_at_least(2 * nnum + 2) - 1;
    t->lstr = arena_alloc(b->a, (p->nsamples + 2) * sizeof(*t->lstr));
    t->ltab = arena_calloc(b->a, t->lmask + 1, sizeof(*t->ltab));
    t->sigs = arena_alloc(b->a, (p->nsamples + 2) * sizeof(*t->sigs));
    t->stab = arena_calloc(b->a, t->smask + 1, sizeof(*t->stab));
    t->tnames = arena_alloc(b->a, (nnum + 2) * sizeof(*t->tnames));
    t->vkey = arena_alloc(b->a, (t->vmask + 1) * sizeof(*t->vkey));
    t->vid = arena_calloc(b->a, t->vmask + 1, sizeof(*t->vid));
    t->count = arena_alloc(b->a, b->ninfo + 1);
    if (!t->lstr || !t->ltab || !t->sigs || !t->stab || !t->tnames || !t->vkey || !t->vid ||
        !t->count)
        return arena_error(b->a);
    t->lstr[0] = "";
    t->nl = 1;
    t->sigs[0] = (struct sig){0, 0, NULL};
    t->ns = 1;
    t->nt = 1;
    t->tmask = 1023;
    if ((t->slots = calloc(t->tmask + 1, sizeof(*t->slots))) == NULL)
        return HW_NOMEM;
    return HW_OK;
}

/* The id of labels string s (n bytes), copied into the arena when new. */
static long
intern_labels(struct builder *b, const char *s, size_t n)
{
    struct tags *t = &b->tg;
    size_t h = (size_t)mix64(hash_str(0xcbf29ce484222325ull, s)) & t->lmask;
    uint32_t id;

    while ((id = t->ltab[h]) != 0) {
        if (strcmp(t->lstr[id], s) == 0)
            return id;
        h = (h + 1) & t->lmask;
    }
    if ((t->lstr[t->nl] = arena_strndup(b->a, s, n)) == NULL)
        return -1;
    t->ltab[h] = (uint32_t)t->nl;
    return (long)t->nl++;
}

/* The numeric tag of a "bytes" value: pprof names it by the value scaled as it
 * prints values ("1.50kB"), so values printing alike share a tag. */
static long
numeric_tag(struct builder *b, int64_t v)
{
    struct tags *t = &b->tg;
    size_t h = (size_t)mix64((uint64_t)v) & t->vmask;
    char name[64];
    size_t i;

    for (; t->vid[h] != 0; h = (h + 1) & t->vmask)
        if (t->vkey[h] == v)
            return t->vid[h];
    units_label(v, t->unit, "minimum", name, sizeof(name));
    for (i = 1; i < t->nt && strcmp(t->tnames[i].name, name) != 0; i++)
        ;
    if (i == t->nt) {
        if ((t->tnames[i].name = arena_strdup(b->a, name)) == NULL)
            return -1;
        t->tnames[i].value = v;
        t->nt++;
    }
    t->vkey[h] = v;
    t->vid[h] = (uint32_t)i;
    return (long)i;
}

static long
intern_sig(struct builder *b, uint32_t l, const uint32_t *ids, uint32_t n)
{
    struct tags *t = &b->tg;
    uint64_t x = mix64(l + 0x9e3779b97f4a7c15ull * (n + 1));
    size_t h, i;
    uint32_t id, *copy;

    for (i = 0; i < n; i++)
        x = mix64(x ^ ids[i]);
    for (h = (size_t)x & t->smask; (id = t->stab[h]) != 0; h = (h + 1) & t->smask) {
        const struct sig *g = &t->sigs[id];
        if (g->l == l && g->n == n && memcmp(g->t, ids, n * sizeof(*ids)) == 0)
            return id;
    }
    if ((copy = arena_alloc(b->a, (n + 1) * sizeof(*copy))) == NULL)
        return -1;
    memcpy(copy, ids, n * sizeof(*ids));
    t->sigs[t->ns] = (struct sig){l, n, copy};
    t->stab[h] = (uint32_t)t->ns;
    return (long)t->ns++;
}

static int
cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* pprof's joinLabels: "key:value" for each string label but its diff-base mark,
 * sorted, joined by newlines (pprof joins by a literal backslash-n, meant as a DOT
 * line break; a real newline lets the DOT writer escape the rest). */
static long
labels_id(struct builder *b, const struct sample *s)
{
    const char **kv = NULL;
    size_t i, n = 0, len = 0;
    char *buf = NULL;
    long id = 0;

    for (i = 0; i < s->nlabels; i++)
        n += s->labels[i].str != NULL && strcmp(s->labels[i].key, "pprof::base") != 0;
    if (n == 0)
        return 0;
    if ((kv = calloc(n, sizeof(*kv))) == NULL)
        return -2;
    for (i = n = 0; i < s->nlabels; i++) {
        const struct label *l = &s->labels[i];
        size_t m = strlen(l->key) + strlen(l->str) + 2;
        char *e;

        if (l->str == NULL || strcmp(l->key, "pprof::base") == 0)
            continue;
        if ((e = malloc(m)) == NULL) {
            id = -2;
            goto out;
        }
        snprintf(e, m, "%s:%s", l->key, l->str);
        kv[n++] = e;
        len += m + 1;
    }
    qsort(kv, n, sizeof(*kv), cmp_str);
    if ((buf = malloc(len + 1)) == NULL) {
        id = -2;
        goto out;
    }
    for (i = 0, len = 0; i < n; i++)
        len += (size_t)sprintf(buf + len, "%s%s", i ? "\n" : "", kv[i]);
    id = intern_labels(b, buf, len);
out:
    for (i = 0; i < n; i++)
        free((void *)(uintptr_t)kv[i]);
    free(kv);
    free(buf);
    return id;
}

/* The signature id of s's tags, -1 on arena failure, -2 on malloc failure. */
static long
sample_sig(struct builder *b, const struct sample *s)
{
    uint32_t ids[64];
    size_t i, n = 0;
    long l, t;

    if (s->nlabels == 0)
        return 0;
    if ((l = labels_id(b, s)) < 0)
        return l;
    for (i = 0; i < s->nlabels && n < 64; i++)
        if (s->labels[i].str == NULL && strcmp(s->labels[i].key, "bytes") == 0) {
            if ((t = numeric_tag(b, s->labels[i].num)) < 0)
                return -1;
            ids[n++] = (uint32_t)t;
        }
    if (l == 0 && n == 0)
        return 0;
    return intern_sig(b, (uint32_t)l, ids, (uint32_t)n);
}

static struct tslot *
tag_slot(struct tags *t, uint32_t node, uint32_t l, uint32_t tag)
{
    size_t h = (size_t)mix64(((uint64_t)node << 32) ^ ((uint64_t)l << 20) ^ tag) & t->tmask;

    while (t->slots[h].node != 0 &&
           (t->slots[h].node != node + 1 || t->slots[h].l != l || t->slots[h].t != tag))
        h = (h + 1) & t->tmask;
    return &t->slots[h];
}

static enum hw_err
tags_grow(struct tags *t)
{
    struct tslot *old = t->slots;
    size_t i, oldn = t->tmask + 1;

    if ((t->slots = calloc(oldn * 2, sizeof(*t->slots))) == NULL) {
        t->slots = old;
        return HW_NOMEM;
    }
    t->tmask = oldn * 2 - 1;
    for (i = 0; i < oldn; i++)
        if (old[i].node != 0)
            *tag_slot(t, old[i].node - 1, old[i].l, old[i].t) = old[i];
    free(old);
    return HW_OK;
}

static enum hw_err
tag_add1(struct tags *t, uint32_t node, uint32_t l, uint32_t tag, int64_t w, bool flat)
{
    struct tslot *e = tag_slot(t, node, l, tag);

    if (e->node == 0) {
        *e = (struct tslot){node + 1, l, tag, 0, 0};
        if (++t->nslots * 2 > t->tmask + 1) {
            enum hw_err err = tags_grow(t);
            if (err != HW_OK)
                return err;
            e = tag_slot(t, node, l, tag);
        }
    }
    if (flat)
        e->flat = wrap_add(e->flat, w);
    else
        e->cum = wrap_add(e->cum, w);
    return HW_OK;
}

/* pprof's addSample for the tags of one node. */
static enum hw_err
tag_add(struct builder *b, uint32_t node, uint32_t sig, int64_t w, bool flat)
{
    const struct sig *g = &b->tg.sigs[sig];
    enum hw_err err;
    uint32_t i;

    if (g->l != 0 && (err = tag_add1(&b->tg, node, g->l, 0, w, flat)) != HW_OK)
        return err;
    for (i = 0; i < g->n; i++)
        if ((err = tag_add1(&b->tg, node, g->l, g->t[i], w, flat)) != HW_OK)
            return err;
    return HW_OK;
}

static bool
tag_kept(const struct tslot *e, int64_t cutoff)
{
    return abs64(e->flat) >= cutoff || abs64(e->cum) >= cutoff;
}

/* pprof's countTags after TrimLowFrequencyTags: per node, the kept tags with a flat
 * value, capped at the four nodelets a node shows. */
static void
tags_count(struct builder *b, int64_t cutoff)
{
    struct tags *t = &b->tg;
    size_t i;

    memset(t->count, 0, b->ninfo);
    for (i = 0; i <= t->tmask; i++) {
        const struct tslot *e = &t->slots[i];
        if (e->node != 0 && e->flat != 0 && tag_kept(e, cutoff) && t->count[e->node - 1] < 4)
            t->count[e->node - 1]++;
    }
}

static uint64_t
stack_hash(const struct sample *s)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ s->nlocs;
    size_t i;

    for (i = 0; i < s->nlocs; i++) {
        h ^= (uint64_t)(uintptr_t)s->locs[i];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    return h;
}

static bool
same_stack(const struct sample *x, const struct sample *y)
{
    return x->nlocs == y->nlocs && memcmp(x->locs, y->locs, x->nlocs * sizeof(*x->locs)) == 0;
}

/* Adds w of signature sig to group g's list. */
static void
add_sub(struct builder *b, struct group *g, uint32_t sig, int64_t w)
{
    uint32_t k;

    for (k = g->subs; k != 0; k = b->subs[k].next)
        if (b->subs[k].sig == sig) {
            b->subs[k].w = (int64_t)((uint64_t)b->subs[k].w + (uint64_t)w);
            return;
        }
    k = (uint32_t)b->nsubs++;
    b->subs[k] = (struct subgroup){sig, g->subs, w};
    g->subs = k;
}

static enum hw_err
group_samples(struct builder *b)
{
    const struct profile *p = b->p;
    size_t i, cap = 16, col = b->o->col;
    uint32_t *slots;
    struct group *prev = NULL;

    while (cap < p->nsamples * 2)
        cap *= 2;
    b->groups = arena_alloc(b->a, (p->nsamples + 1) * sizeof(*b->groups));
    if (b->o->visual) {
        b->subs = arena_alloc(b->a, (p->nsamples + 2) * sizeof(*b->subs));
        b->nsubs = 1;
    }
    if (b->groups == NULL || (b->o->visual && b->subs == NULL))
        return arena_error(b->a);
    if ((slots = arena_pages(cap * sizeof(*slots))) == NULL)
        return HW_NOMEM;
    for (i = 0; i < p->nsamples; i++) {
        const struct sample *s = &p->samples[i];
        struct group *g = NULL;
        long sig = 0;

        if (s->values[col] == 0)
            continue;
        if (b->o->visual && (sig = sample_sig(b, s)) < 0) {
            arena_pages_free(slots, cap * sizeof(*slots));
            return sig == -1 ? arena_error(b->a) : HW_NOMEM;
        }
        /* Decoders share equal stacks, and Go writes a stack's size buckets one
         * after another: the previous group is worth a look before hashing. */
        if (prev != NULL && prev->s->locs == s->locs && prev->s->nlocs == s->nlocs) {
            g = prev;
        } else {
            size_t h = (size_t)stack_hash(s) & (cap - 1);

            for (; slots[h] != 0; h = (h + 1) & (cap - 1))
                if (same_stack(b->groups[slots[h] - 1].s, s)) {
                    g = &b->groups[slots[h] - 1];
                    break;
                }
            if (g == NULL) {
                g = &b->groups[b->ngroups++];
                *g = (struct group){s, 0, true, 0};
                slots[h] = (uint32_t)b->ngroups;
            }
        }
        g->w = (int64_t)((uint64_t)g->w + (uint64_t)s->values[col]);
        if (sig != 0)
            add_sub(b, g, (uint32_t)sig, s->values[col]);
        prev = g;
    }
    arena_pages_free(slots, cap * sizeof(*slots));
    return HW_OK;
}

/* Adds the tags of group g to node id, as pprof's addSample does per sample. */
static enum hw_err
group_tags(struct builder *b, const struct group *g, uint32_t id, bool flat)
{
    enum hw_err err;
    uint32_t k;

    for (k = g->subs; k != 0; k = b->subs[k].next)
        if ((err = tag_add(b, id, b->subs[k].sig, b->subs[k].w, flat)) != HW_OK)
            return err;
    return HW_OK;
}

/* One pass over the stacks, counting only frames whose id is kept (kept NULL: all).
 * Dropped frames between two kept ones make the edge residual; a dropped leaf means
 * the sample has no flat node, as in pprof. Edges are only counted when asked for:
 * the first pass only decides which nodes survive the node fraction. */
static enum hw_err
build_pass(struct builder *b, const bool *kept, bool edges)
{
    const struct profile *p = b->p;
    size_t i, k;
    uint32_t cur = 0;
    enum hw_err err;

    memset(b->flat, 0, b->ninfo * sizeof(*b->flat));
    memset(b->cum, 0, b->ninfo * sizeof(*b->cum));
    memset(b->stamp, 0, b->ninfo * sizeof(*b->stamp));
    memset(b->edges, 0, (b->emask + 1) * sizeof(*b->edges));
    b->nedges = 0;
    if (b->tags_on) {
        memset(b->tg.slots, 0, (b->tg.tmask + 1) * sizeof(*b->tg.slots));
        b->tg.nslots = 0;
    }
    for (i = 0; i < b->ngroups; i++) {
        const struct sample *s = b->groups[i].s;
        int64_t w = b->groups[i].w;
        bool tags = b->tags_on && b->groups[i].subs != 0;
        long parent = -1;
        bool residual = false;

        cur++;
        for (k = s->nlocs; k-- > 0;) {
            size_t li = (size_t)(s->locs[k] - p->locations);
            uint32_t lo = b->loc_start[li], hi = b->loc_start[li + 1], x;

            for (x = hi; x-- > lo;) {
                uint32_t id = b->loc_info[x];

                if (kept != NULL && !kept[id]) {
                    residual = true;
                    continue;
                }
                if (b->stamp[id] != cur) {
                    b->stamp[id] = cur;
                    b->cum[id] = wrap_add(b->cum[id], w);
                    if (tags && (err = group_tags(b, &b->groups[i], id, false)) != HW_OK)
                        return err;
                }
                if (edges && parent >= 0 && (uint32_t)parent != id &&
                    (err = add_edge(b, (uint32_t)parent, id, w, residual, x != hi - 1, cur)) != HW_OK)
                    return err;
                parent = id;
                residual = false;
            }
        }
        if (parent >= 0 && !residual) {
            b->flat[parent] = wrap_add(b->flat[parent], w);
            if (tags && (err = group_tags(b, &b->groups[i], (uint32_t)parent, true)) != HW_OK)
                return err;
        }
    }
    return HW_OK;
}

/* The node ids with a value, optionally restricted to kept. */
static size_t
present_nodes(const struct builder *b, uint32_t *ids)
{
    size_t i, n = 0;

    for (i = 0; i < b->ninfo; i++)
        if (b->flat[i] != 0 || b->cum[i] != 0)
            ids[n++] = (uint32_t)i;
    return n;
}

/* What pprof's node orders look at, copied so that qsort needs no context. */
struct sortent {
    int64_t flat, cum; /* absolute values */
    int64_t score;     /* visual mode: |entropy score| */
    const char *name;
    const struct nodeinfo *info;
    uint32_t id;
};

static int
tie_cmp(const struct sortent *l, const struct sortent *r)
{
    return nodeinfo_compare_sprint(l->info, r->info);
}

static int
flat_order(const void *x, const void *y)
{
    const struct sortent *l = x, *r = y;
    int c;

    if (l->flat != r->flat)
        return l->flat > r->flat ? -1 : 1;
    if ((c = strcmp(l->name, r->name)) != 0)
        return c;
    if (l->cum != r->cum)
        return l->cum > r->cum ? -1 : 1;
    return tie_cmp(l, r);
}

static int
cum_order(const void *x, const void *y)
{
    const struct sortent *l = x, *r = y;
    int c;

    if (l->cum != r->cum)
        return l->cum > r->cum ? -1 : 1;
    if ((c = strcmp(l->name, r->name)) != 0)
        return c;
    if (l->flat != r->flat)
        return l->flat > r->flat ? -1 : 1;
    return tie_cmp(l, r);
}

static int
entropy_order(const void *x, const void *y)
{
    const struct sortent *l = x, *r = y;
    int c;

    if (l->score != r->score)
        return l->score > r->score ? -1 : 1;
    if ((c = strcmp(l->name, r->name)) != 0)
        return c;
    if (l->flat != r->flat)
        return l->flat > r->flat ? -1 : 1;
    return tie_cmp(l, r);
}

/* Go's math.Log2: exact for powers of two, else the natural log scaled. */
static double
go_log2(double x)
{
    int e;
    double frac = frexp(x, &e);

    if (frac == 0.5)
        return (double)(e - 1);
    return log(frac) * 1.4426950408889634073599246810018921 + (double)e;
}

/* Go's int64(f) on amd64: NaN and out-of-range values become the minimum. */
static int64_t
go_int64(double f)
{
    if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0))
        return INT64_MIN;
    return (int64_t)f;
}

/* pprof's entropyScore for every node from the edges of the last pass: nodes whose
 * weight falls straight through from one caller to one callee score low, entry
 * and leaf nodes and nodes with many or uneven edges score high. */
static enum hw_err
entropy_scores(struct builder *b, int64_t *out)
{
    size_t i, n = b->ninfo;
    int64_t *tot = calloc(2 * n + 1, sizeof(*tot));       /* in, out totals */
    uint32_t *cnt = calloc(2 * n + 1, sizeof(*cnt));      /* in, out edge counts */
    double *sc = calloc(2 * n + 1, sizeof(*sc));          /* in, out entropies */
    enum hw_err err = HW_NOMEM;

    if (tot == NULL || cnt == NULL || sc == NULL)
        goto out;
    for (i = 0; i < n; i++)
        tot[n + i] = b->flat[i]; /* the node's own weight counts on its way out */
    for (i = 0; i <= b->emask; i++) {
        const struct eslot *e = &b->edges[i];
        size_t src = (size_t)(e->key >> 32) - 1, dst = (size_t)(e->key & 0xffffffffu) - 1;

        if (e->key == 0)
            continue;
        cnt[dst]++;
        cnt[n + src]++;
        if (e->weight > 0) {
            tot[dst] = wrap_add(tot[dst], e->weight);
            tot[n + src] = wrap_add(tot[n + src], e->weight);
        }
    }
    for (i = 0; i <= b->emask; i++) {
        const struct eslot *e = &b->edges[i];
        size_t src = (size_t)(e->key >> 32) - 1, dst = (size_t)(e->key & 0xffffffffu) - 1;
        double w = (double)abs64(e->weight), f;

        if (e->key == 0)
            continue;
        if (tot[dst] != 0) {
            f = w / (double)tot[dst];
            sc[dst] += -f * go_log2(f);
        }
        if (tot[n + src] != 0) {
            f = w / (double)tot[n + src];
            sc[n + src] += -f * go_log2(f);
        }
    }
    for (i = 0; i < n; i++) {
        double score = 0, f;

        if (b->flat[i] > 0 && tot[n + i] != 0) {
            f = (double)b->flat[i] / (double)tot[n + i];
            sc[n + i] += -f * go_log2(f);
        }
        score += cnt[i] == 0 ? 1 : sc[i];
        score += cnt[n + i] == 0 ? 1 : sc[n + i];
        out[i] = (int64_t)((uint64_t)go_int64(score * (double)b->cum[i]) + (uint64_t)b->flat[i]);
    }
    err = HW_OK;
out:
    free(tot);
    free(cnt);
    free(sc);
    return err;
}

static enum hw_err
sort_nodes(const struct builder *b, uint32_t *ids, size_t n)
{
    struct sortent *e = malloc((n + 1) * sizeof(*e));
    size_t i;

    if (e == NULL)
        return HW_NOMEM;
    for (i = 0; i < n; i++) {
        e[i].flat = abs64(b->flat[ids[i]]);
        e[i].cum = abs64(b->cum[ids[i]]);
        e[i].name = b->names[ids[i]];
        e[i].info = &b->infos[ids[i]];
        e[i].id = ids[i];
        e[i].score = b->o->visual ? abs64(b->escore[ids[i]]) : 0;
    }
    qsort(e, n, sizeof(*e),
          b->o->visual ? entropy_order : b->o->cum_sort ? cum_order : flat_order);
    for (i = 0; i < n; i++)
        ids[i] = e[i].id;
    free(e);
    return HW_OK;
}

static void
keep_only(bool *kept, size_t ninfo, const uint32_t *ids, size_t n)
{
    size_t i;

    memset(kept, 0, ninfo * sizeof(*kept));
    for (i = 0; i < n; i++)
        kept[ids[i]] = true;
}

/* How many of the sorted nodes pprof's selectTopNodes keeps: node_count, or in
 * visual mode fewer, as each node's tags count as nodes too. */
static size_t
select_top(const struct builder *b, const uint32_t *ids, size_t n)
{
    size_t i, max = (size_t)b->o->node_count, count = 0;

    if (b->o->visual)
        for (i = 0; i < n; i++)
            if ((count += b->tg.count[ids[i]] + 1u) >= max) {
                max = i + 1;
                break;
            }
    return max < n ? max : n;
}

/* A pass over the kept nodes (NULL: all) and their sorting; in visual mode with
 * tags, and the entropy scores the order needs. Leaves the present nodes in ids. */
static enum hw_err
pass_and_sort(struct builder *b, const bool *kept, uint32_t *ids, size_t *n)
{
    enum hw_err err;

    b->tags_on = b->o->visual;
    err = build_pass(b, kept, true);
    b->tags_on = false;
    if (err != HW_OK)
        return err;
    *n = present_nodes(b, ids);
    if (b->o->visual && (err = entropy_scores(b, b->escore)) != HW_OK)
        return err;
    return sort_nodes(b, ids, *n);
}

/* pprof's newTrimmedGraph: drop nodes under the node fraction of the total, sort,
 * cut to node_count. Leaves the node ids in report order. */
static enum hw_err
trim(struct builder *b, struct graph *g, uint32_t *ids, size_t *nids, int64_t *cutoffs)
{
    const struct graph_opts *o = b->o;
    bool *kept = arena_calloc(b->a, b->ninfo + 1, sizeof(*kept));
    int64_t total_value = 0, node_cutoff;
    size_t i, n, m;
    enum hw_err err;

    if (kept == NULL)
        return arena_error(b->a);
    if ((err = build_pass(b, NULL, false)) != HW_OK)
        return err;
    n = present_nodes(b, ids);
    for (i = 0; i < n; i++)
        total_value = wrap_add(total_value, b->flat[ids[i]]);
    node_cutoff = abs64((int64_t)((double)total_value * o->node_fraction));
    cutoffs[0] = node_cutoff;
    cutoffs[1] = abs64((int64_t)((double)total_value * o->edge_fraction));
    if (node_cutoff > 0) {
        for (i = m = 0; i < n; i++)
            if (abs64(b->cum[ids[i]]) >= node_cutoff)
                ids[m++] = ids[i];
        if (m != n) {
            g->dropped_nodes = n - m;
            keep_only(kept, b->ninfo, ids, m);
        }
    }
    if (o->nodes_only && !o->visual) {
        /* A kept node's flat and cum do not depend on which others are kept (flat
         * goes to a sample's leaf only when the leaf itself is kept), so the first
         * pass already has the top nodes' numbers; only the edges would differ. */
        n -= g->dropped_nodes;
        g->orig_count = n;
        if ((err = sort_nodes(b, ids, n)) != HW_OK)
            return err;
        *nids = o->node_count > 0 && (size_t)o->node_count < n ? (size_t)o->node_count : n;
        return HW_OK;
    }
    if ((err = pass_and_sort(b, g->dropped_nodes ? kept : NULL, ids, &n)) != HW_OK)
        return err;
    g->orig_count = n;
    if (o->node_count > 0) {
        if (o->visual)
            tags_count(b, node_cutoff);
        m = select_top(b, ids, n);
        if (m != n) {
            keep_only(kept, b->ninfo, ids, m);
            if ((err = pass_and_sort(b, kept, ids, &n)) != HW_OK)
                return err;
        } else {
            /* pprof trimmed the edges once before selecting; with no rebuild its
             * final trim finds nothing more to drop. */
            cutoffs[2] = 1;
        }
    }
    *nids = n;
    return HW_OK;
}

/* Copies the kept nodes and the edges above the cutoff into g. */
static enum hw_err
export(struct builder *b, struct graph *g, const uint32_t *ids, size_t n, int64_t edge_cutoff)
{
    uint32_t *pos = b->pos = arena_alloc(b->a, (b->ninfo + 1) * sizeof(*pos));
    size_t i, k = 0;

    g->nodes = arena_calloc(b->a, n + 1, sizeof(*g->nodes));
    g->edges = arena_alloc(b->a, (b->nedges + 1) * sizeof(*g->edges));
    if (pos == NULL || g->nodes == NULL || g->edges == NULL)
        return arena_error(b->a);
    for (i = 0; i < b->ninfo; i++)
        pos[i] = UINT32_MAX;
    for (i = 0; i < n; i++) {
        pos[ids[i]] = (uint32_t)i;
        g->nodes[i].info = b->infos[ids[i]];
        g->nodes[i].name = b->names[ids[i]];
        g->nodes[i].flat = b->flat[ids[i]];
        g->nodes[i].cum = b->cum[ids[i]];
    }
    g->nnodes = n;
    for (i = 0; i <= b->emask; i++) {
        const struct eslot *e = &b->edges[i];
        uint32_t s, d;

        if (e->key == 0)
            continue;
        s = pos[(e->key >> 32) - 1];
        d = pos[(e->key & 0xffffffffu) - 1];
        if (s == UINT32_MAX || d == UINT32_MAX)
            continue;
        if (abs64(e->weight) < edge_cutoff) {
            g->dropped_edges++;
            continue;
        }
        g->edges[k++] = (struct gedge){s, d, e->weight, e->inline_call, e->residual};
        if (e->inline_call)
            g->nodes[d].inlined_in = true;
        else
            g->nodes[d].called_in = true;
    }
    g->nedges = k;
    return HW_OK;
}

/* Gives each kept node its tags above the node cutoff, as pprof's final
 * TrimLowFrequencyTags leaves them. */
static enum hw_err
export_tags(struct builder *b, struct graph *g, const uint32_t *pos, int64_t cutoff)
{
    const struct tags *t = &b->tg;
    size_t i;

    for (i = 0; i <= t->tmask; i++) {
        const struct tslot *e = &t->slots[i];
        if (e->node != 0 && pos[e->node - 1] != UINT32_MAX && tag_kept(e, cutoff))
            g->nodes[pos[e->node - 1]].ntags++;
    }
    for (i = 0; i < g->nnodes; i++) {
        if (g->nodes[i].ntags == 0)
            continue;
        if ((g->nodes[i].tags = arena_alloc(b->a, g->nodes[i].ntags * sizeof(struct gtag))) == NULL)
            return arena_error(b->a);
        g->nodes[i].ntags = 0;
    }
    for (i = 0; i <= t->tmask; i++) {
        const struct tslot *e = &t->slots[i];
        struct gnode *n;

        if (e->node == 0 || pos[e->node - 1] == UINT32_MAX || !tag_kept(e, cutoff))
            continue;
        n = &g->nodes[pos[e->node - 1]];
        n->tags[n->ntags++] = (struct gtag){
            t->lstr[e->l], e->t ? t->tnames[e->t].name : NULL, e->t ? t->unit : "",
            e->t ? t->tnames[e->t].value : 0, e->flat, e->cum};
    }
    return HW_OK;
}

/* pprof's edge order: heavier first, then by the names of the ends. */
static int
edge_order(const struct graph *g, const struct gedge *l, const struct gedge *r)
{
    int c;

    if (l->weight != r->weight) {
        int64_t a = abs64(l->weight), z = abs64(r->weight);
        return a > z ? -1 : a < z ? 1 : 0;
    }
    if ((c = strcmp(g->nodes[l->src].name, g->nodes[r->src].name)) != 0)
        return c;
    return strcmp(g->nodes[l->dst].name, g->nodes[r->dst].name);
}

struct inedge {
    const struct graph *g;
    uint32_t e;
};

static int
inedge_cmp(const void *x, const void *y)
{
    const struct inedge *l = x, *r = y;

    return edge_order(l->g, &l->g->edges[l->e], &r->g->edges[r->e]);
}

/* True when e->src still reaches e->dst through callers of e->dst without e. */
static bool
is_redundant(const struct graph *g, const uint32_t *start, const struct inedge *in,
             const bool *gone, uint32_t e, uint32_t *queue, uint32_t *seen, uint32_t stamp)
{
    uint32_t src = g->edges[e].src, head = 0, tail = 0, j;

    queue[tail++] = g->edges[e].dst;
    seen[g->edges[e].dst] = stamp;
    while (head < tail) {
        uint32_t n = queue[head++];

        for (j = start[n]; j < start[n + 1]; j++) {
            uint32_t ie = in[j].e, s = g->edges[ie].src;

            if (ie == e || gone[ie] || seen[s] == stamp)
                continue;
            if (s == src)
                return true;
            seen[s] = stamp;
            queue[tail++] = s;
        }
    }
    return false;
}

/* pprof's RemoveRedundantEdges: from the last node up, drop a node's lightest
 * residual incoming edges while the caller reaches it some other way; stop at the
 * first real call, so that no dotted edge outweighs a solid one it replaced. */
static enum hw_err
remove_redundant(struct graph *g)
{
    uint32_t *start = calloc(g->nnodes + 2, sizeof(*start));
    struct inedge *in = malloc((g->nedges + 1) * sizeof(*in));
    bool *gone = calloc(g->nedges + 1, sizeof(*gone));
    uint32_t *queue = malloc((g->nnodes + 1) * sizeof(*queue));
    uint32_t *seen = calloc(g->nnodes + 1, sizeof(*seen)), stamp = 0;
    enum hw_err err = HW_NOMEM;
    size_t i, k;

    if (!start || !in || !gone || !queue || !seen)
        goto out;
    for (i = 0; i < g->nedges; i++)
        start[g->edges[i].dst + 1]++;
    for (i = 0; i < g->nnodes; i++)
        start[i + 1] += start[i];
    for (i = 0; i < g->nedges; i++)
        in[start[g->edges[i].dst] + (uint32_t)(seen[g->edges[i].dst]++)] =
            (struct inedge){g, (uint32_t)i};
    memset(seen, 0, (g->nnodes + 1) * sizeof(*seen));
    for (i = 0; i < g->nnodes; i++)
        qsort(in + start[i], start[i + 1] - start[i], sizeof(*in), inedge_cmp);
    for (i = g->nnodes; i-- > 0;)
        for (k = start[i + 1]; k-- > start[i];) {
            uint32_t e = in[k].e;

            if (!g->edges[e].residual)
                break;
            if (is_redundant(g, start, in, gone, e, queue, seen, ++stamp))
                gone[e] = true;
        }
    for (i = k = 0; i < g->nedges; i++)
        if (!gone[i])
            g->edges[k++] = g->edges[i];
    g->nedges = k;
    err = HW_OK;
out:
    free(start);
    free(in);
    free(gone);
    free(queue);
    free(seen);
    return err;
}

enum hw_err
graph_build(struct arena *a, const struct profile *p, const struct graph_opts *o,
            struct graph **out, struct errbuf *eb)
{
    struct builder b = {.a = a, .p = p, .o = o};
    struct graph *g;
    uint32_t *ids;
    size_t n = 0;
    int64_t cutoffs[3] = {0, 0, 0}; /* node, edge, and whether edges were trimmed before */
    enum hw_err err;

    if (o->col >= p->ntypes)
        return errbuf_set(eb, HW_USAGE, "sample column %zu out of range", o->col);
    if ((g = arena_calloc(a, 1, sizeof(*g))) == NULL || (err = intern_locations(&b)) != HW_OK)
        return arena_error(a);
    g->type = p->sample_types[o->col].type;
    g->unit = p->sample_types[o->col].unit;
    g->total = o->has_total ? o->total : profile_total(p, o->col);
    g->node_fraction = o->node_fraction;
    g->edge_fraction = o->edge_fraction;
    b.flat = arena_alloc(a, (b.ninfo + 1) * sizeof(*b.flat));
    b.cum = arena_alloc(a, (b.ninfo + 1) * sizeof(*b.cum));
    b.stamp = arena_alloc(a, (b.ninfo + 1) * sizeof(*b.stamp));
    b.escore = arena_alloc(a, (b.ninfo + 1) * sizeof(*b.escore));
    ids = arena_alloc(a, (b.ninfo + 1) * sizeof(*ids));
    if (!b.flat || !b.cum || !b.stamp || !b.escore || !ids)
        return arena_error(a);
    b.emask = 1023;
    if ((b.edges = calloc(b.emask + 1, sizeof(*b.edges))) == NULL)
        return HW_NOMEM;
    if ((o->visual && (err = tags_init(&b)) != HW_OK) || (err = group_samples(&b)) != HW_OK)
        goto out;
    if ((err = trim(&b, g, ids, &n, cutoffs)) != HW_OK ||
        (err = export(&b, g, ids, n, cutoffs[1])) != HW_OK)
        goto out;
    if (cutoffs[2])
        g->dropped_edges = 0;
    if (o->visual && ((err = export_tags(&b, g, b.pos, cutoffs[0])) != HW_OK ||
                      (err = remove_redundant(g)) != HW_OK))
        goto out;
    *out = g;
out:
    free(b.tg.slots);
    free(b.edges);
    return err;
}

/* pprof's selectOutputUnit: the unit of the smallest non-zero node value, moved up
 * one unit when that value is under 1% of the total. */
const char *
graph_output_unit(const struct graph *g)
{
    int64_t minv = 0, maxv = g->total;
    const char *minu, *maxu, *unit;
    size_t i;

    if (g->nnodes == 0)
        return "minimum";
    for (i = 0; i < g->nnodes; i++) {
        int64_t v = abs64(g->nodes[i].flat);

        if (v == 0)
            v = abs64(g->nodes[i].cum);
        if (v > 0 && (minv == 0 || v < minv))
            minv = v;
    }
    if (minv == 0)
        minv = maxv;
    units_scale(minv, g->unit, "minimum", &minu);
    units_scale(maxv, g->unit, "minimum", &maxu);
    unit = minu;
    if (strcmp(minu, maxu) != 0 && (int64_t)((uint64_t)minv * 100) < maxv)
        units_scale((int64_t)((uint64_t)minv * 100), g->unit, "minimum", &unit);
    return unit[0] != '\0' ? unit : g->unit;
}

enum hw_err
graph_write_top(const struct graph *g, const struct graph_opts *o, struct buf *out)
{
    const char *unit = graph_output_unit(g);
    char a[64], b[64], c[64], d[64], e[64];
    int64_t flat_sum = 0;
    enum hw_err err;
    size_t i;

    for (i = 0; i < g->nnodes; i++)
        flat_sum = wrap_add(flat_sum, g->nodes[i].flat);
    units_label(flat_sum, g->unit, unit, a, sizeof(a));
    units_percentage(flat_sum, g->total, b, sizeof(b));
    units_label(g->total, g->unit, unit, c, sizeof(c));
    if ((err = buf_printf(out, "Showing nodes accounting for %s, %s of %s total\n", a,
                          b + strspn(b, " "), c)) != HW_OK)
        return err;
    if (g->total != 0 && g->dropped_nodes > 0) {
        units_label(abs64((int64_t)((double)g->total * o->node_fraction)), g->unit, unit, a,
                    sizeof(a));
        if ((err = buf_printf(out, "Dropped %zu node%s (cum <= %s)\n", g->dropped_nodes,
                              g->dropped_nodes > 1 ? "s" : "", a)) != HW_OK)
            return err;
    }
    if (g->total != 0 && g->nnodes > 0 && g->nnodes < g->orig_count &&
        (err = buf_printf(out, "Showing top %zu nodes out of %zu\n", g->nnodes, g->orig_count)) != HW_OK)
        return err;
    if ((err = buf_printf(out, "%10s %5s%% %5s%% %10s %5s%%\n", "flat", "flat", "sum", "cum", "cum")) != HW_OK)
        return err;
    flat_sum = 0;
    for (i = 0; i < g->nnodes; i++) {
        const struct gnode *n = &g->nodes[i];
        const char *inl = n->inlined_in ? (n->called_in ? " (partial-inline)" : " (inline)") : "";

        flat_sum = wrap_add(flat_sum, n->flat);
        units_label(n->flat, g->unit, unit, a, sizeof(a));
        units_percentage(n->flat, g->total, b, sizeof(b));
        units_percentage(flat_sum, g->total, c, sizeof(c));
        units_label(n->cum, g->unit, unit, d, sizeof(d));
        units_percentage(n->cum, g->total, e, sizeof(e));
        if ((err = buf_printf(out, "%10s %s %s %10s %s  %s%s\n", a, b, c, d, e, n->name, inl)) != HW_OK)
            return err;
    }
    return HW_OK;
}

/* graph.c - pprof's call graph, rebuilt from the samples at each trimming step as
 * pprof does (the graph alone cannot keep full precision). Frame identities are
 * interned once into dense ids; a build is then a pass over the samples with flat,
 * cum and "seen in this sample" stamps in flat arrays and edges in one hash table. */
#include "graph.h"

#include <inttypes.h>
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
};

/* Every contribution of a sample to the graph is linear in its value, so samples
 * with the same stack (Go heap profiles have one per size bucket) can be added up
 * first and walked once. A group whose members were all zero is skipped, as pprof
 * skips zero samples. */
struct group {
    const struct sample *s;
    int64_t w;
    bool nonzero;
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
    return v < 0 ? -v : v;
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
    e->weight += w;
    e->residual |= residual;
    e->inline_call &= inl;
    return HW_OK;
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

static enum hw_err
group_samples(struct builder *b)
{
    const struct profile *p = b->p;
    size_t i, cap = 16, col = b->o->col;
    uint32_t *slots;

    while (cap < p->nsamples * 2)
        cap *= 2;
    b->groups = arena_alloc(b->a, (p->nsamples + 1) * sizeof(*b->groups));
    if (b->groups == NULL || (slots = calloc(cap, sizeof(*slots))) == NULL)
        return b->groups == NULL ? arena_error(b->a) : HW_NOMEM;
    for (i = 0; i < p->nsamples; i++) {
        const struct sample *s = &p->samples[i];
        size_t h = (size_t)stack_hash(s) & (cap - 1);
        struct group *g = NULL;

        if (s->values[col] == 0)
            continue;
        for (; slots[h] != 0; h = (h + 1) & (cap - 1))
            if (same_stack(b->groups[slots[h] - 1].s, s)) {
                g = &b->groups[slots[h] - 1];
                break;
            }
        if (g == NULL) {
            g = &b->groups[b->ngroups++];
            *g = (struct group){s, 0, true};
            slots[h] = (uint32_t)b->ngroups;
        }
        g->w = (int64_t)((uint64_t)g->w + (uint64_t)s->values[col]);
    }
    free(slots);
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
    for (i = 0; i < b->ngroups; i++) {
        const struct sample *s = b->groups[i].s;
        int64_t w = b->groups[i].w;
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
                    b->cum[id] += w;
                }
                if (edges && parent >= 0 && (uint32_t)parent != id &&
                    (err = add_edge(b, (uint32_t)parent, id, w, residual, x != hi - 1, cur)) != HW_OK)
                    return err;
                parent = id;
                residual = false;
            }
        }
        if (parent >= 0 && !residual)
            b->flat[parent] += w;
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
    }
    qsort(e, n, sizeof(*e), b->o->cum_sort ? cum_order : flat_order);
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

/* pprof's newTrimmedGraph for the text report: drop nodes under the node fraction
 * of the total, sort, cut to node_count. Leaves the node ids in report order. */
static enum hw_err
trim(struct builder *b, struct graph *g, uint32_t *ids, size_t *nids, int64_t *edge_cutoff)
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
        total_value += b->flat[ids[i]];
    node_cutoff = abs64((int64_t)((double)total_value * o->node_fraction));
    *edge_cutoff = abs64((int64_t)((double)total_value * o->edge_fraction));
    if (node_cutoff > 0) {
        for (i = m = 0; i < n; i++)
            if (abs64(b->cum[ids[i]]) >= node_cutoff)
                ids[m++] = ids[i];
        if (m != n) {
            g->dropped_nodes = n - m;
            keep_only(kept, b->ninfo, ids, m);
        }
    }
    if ((err = build_pass(b, g->dropped_nodes ? kept : NULL, true)) != HW_OK)
        return err;
    n = present_nodes(b, ids);
    g->orig_count = n;
    if ((err = sort_nodes(b, ids, n)) != HW_OK)
        return err;
    if (o->node_count > 0 && (size_t)o->node_count < n) {
        keep_only(kept, b->ninfo, ids, (size_t)o->node_count);
        if ((err = build_pass(b, kept, true)) != HW_OK)
            return err;
        n = present_nodes(b, ids);
        if ((err = sort_nodes(b, ids, n)) != HW_OK)
            return err;
    }
    *nids = n;
    return HW_OK;
}

/* Copies the kept nodes and the edges above the cutoff into g. */
static enum hw_err
export(struct builder *b, struct graph *g, const uint32_t *ids, size_t n, int64_t edge_cutoff)
{
    uint32_t *pos = arena_alloc(b->a, (b->ninfo + 1) * sizeof(*pos));
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

enum hw_err
graph_build(struct arena *a, const struct profile *p, const struct graph_opts *o,
            struct graph **out, struct errbuf *eb)
{
    struct builder b = {.a = a, .p = p, .o = o};
    struct graph *g;
    uint32_t *ids;
    size_t n = 0;
    int64_t edge_cutoff = 0;
    enum hw_err err;

    if (o->col >= p->ntypes)
        return errbuf_set(eb, HW_USAGE, "sample column %zu out of range", o->col);
    if ((g = arena_calloc(a, 1, sizeof(*g))) == NULL || (err = intern_locations(&b)) != HW_OK)
        return arena_error(a);
    g->type = p->sample_types[o->col].type;
    g->unit = p->sample_types[o->col].unit;
    g->total = profile_total(p, o->col);
    b.flat = arena_alloc(a, (b.ninfo + 1) * sizeof(*b.flat));
    b.cum = arena_alloc(a, (b.ninfo + 1) * sizeof(*b.cum));
    b.stamp = arena_alloc(a, (b.ninfo + 1) * sizeof(*b.stamp));
    ids = arena_alloc(a, (b.ninfo + 1) * sizeof(*ids));
    if (!b.flat || !b.cum || !b.stamp || !ids)
        return arena_error(a);
    b.emask = 1023;
    if ((b.edges = calloc(b.emask + 1, sizeof(*b.edges))) == NULL)
        return HW_NOMEM;
    if ((err = group_samples(&b)) != HW_OK) {
        free(b.edges);
        return err;
    }
    if ((err = trim(&b, g, ids, &n, &edge_cutoff)) == HW_OK &&
        (err = export(&b, g, ids, n, edge_cutoff)) == HW_OK)
        *out = g;
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
    if (strcmp(minu, maxu) != 0 && minv * 100 < maxv)
        units_scale(100 * minv, g->unit, "minimum", &unit);
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
        flat_sum += g->nodes[i].flat;
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

        flat_sum += n->flat;
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

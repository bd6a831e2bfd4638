/* summary.c - a scrape's totals, top functions and alloc delta. The top list is
 * pprof's -top (graph_build at function granularity, flat order), so it names
 * functions exactly as `go tool pprof -top` does. Restart detection keeps a sketch
 * of the 16 largest stacks by cumulative alloc bytes: in one Go process a stack's
 * cumulative alloc counts never go down and its buckets are never freed, so a
 * remembered stack that shrank or vanished means another process. */
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "nodeinfo.h"
#include "summary.h"

void
summary_free(struct scrape_summary *s)
{
    size_t i;

    for (i = 0; i < s->ntypes; i++) {
        free(s->types[i]);
        free(s->units[i]);
    }
    for (i = 0; i < s->ntop; i++)
        free(s->top[i].name);
    memset(s, 0, sizeof(*s));
    s->alloc_objects_col = s->alloc_space_col = -1;
}

void
summary_move(struct scrape_summary *dst, struct scrape_summary *src)
{
    summary_free(dst);
    *dst = *src;
    memset(src, 0, sizeof(*src));
    src->alloc_objects_col = src->alloc_space_col = -1;
}

static int
find_col(const struct profile *p, const char *type)
{
    size_t i;

    for (i = 0; i < p->ntypes; i++)
        if (strcmp(p->sample_types[i].type, type) == 0)
            return (int)i;
    return -1;
}

static uint64_t
stack_hash(const struct sample *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    size_t i, j;

    for (i = 0; i < s->nlocs; i++) {
        const struct location *l = s->locs[i];

        /* An address names the frame within one binary; names are only needed
         * for frames without one (text and folded inputs). */
        h = (h ^ l->address) * 0x100000001b3ull;
        for (j = 0; l->address == 0 && j < l->nlines; j++)
            h = hash_str(h, l->lines[j].fn->name);
    }
    return h;
}

/* Keeps the SUMMARY_SKETCH largest stacks by alloc bytes, largest first. */
static void
sketch_offer(struct scrape_summary *s, uint64_t hash, int64_t objects, int64_t bytes)
{
    size_t i;

    if (s->nsketch == SUMMARY_SKETCH && bytes <= s->sketch[SUMMARY_SKETCH - 1].bytes)
        return;
    i = s->nsketch < SUMMARY_SKETCH ? s->nsketch++ : SUMMARY_SKETCH - 1;
    for (; i > 0 && s->sketch[i - 1].bytes < bytes; i--)
        s->sketch[i] = s->sketch[i - 1];
    s->sketch[i] = (struct summary_stack){hash, objects, bytes};
}

static uint64_t
binary_hash(const struct profile *p)
{
    if (p->nmappings == 0)
        return 0;
    return hash_str(hash_str(0xcbf29ce484222325ull, p->mappings[0].file),
                    p->mappings[0].build_id);
}

/* Totals per type and, for alloc profiles, the sketch; *hashes gets each sample's
 * stack hash when alloc columns exist (NULL otherwise). */
static enum hw_err
sum_samples(const struct profile *p, struct scrape_summary *out, uint64_t **hashes)
{
    size_t i, j, n = out->ntypes;
    int oc = out->alloc_objects_col, sc = out->alloc_space_col;

    *hashes = NULL;
    if (oc >= 0 && sc >= 0 && p->nsamples > 0) {
        *hashes = malloc(p->nsamples * sizeof(**hashes));
        if (*hashes == NULL)
            return HW_NOMEM;
    }
    for (i = 0; i < p->nsamples; i++) {
        const struct sample *s = &p->samples[i];

        /* Wrapping sums: a hostile profile must not be undefined behaviour. */
        for (j = 0; j < n; j++)
            out->totals[j] = (int64_t)((uint64_t)out->totals[j] + (uint64_t)s->values[j]);
        if (*hashes != NULL) {
            (*hashes)[i] = stack_hash(s);
            sketch_offer(out, (*hashes)[i], s->values[oc], s->values[sc]);
        }
    }
    return HW_OK;
}

/* True when cur cannot come from the same process as prev. */
static bool
restarted(const struct scrape_summary *prev, const struct scrape_summary *cur,
          const struct profile *p, const uint64_t *hashes)
{
    int64_t objects[SUMMARY_SKETCH] = {0}, bytes[SUMMARY_SKETCH] = {0};
    bool seen[SUMMARY_SKETCH] = {false};
    size_t i, k, missing = 0;

    if (prev->binary != cur->binary)
        return true;
    if (prev->time_nanos != 0 && cur->time_nanos != 0 && cur->time_nanos < prev->time_nanos)
        return true;
    if (cur->totals[cur->alloc_objects_col] < prev->totals[prev->alloc_objects_col] ||
        cur->totals[cur->alloc_space_col] < prev->totals[prev->alloc_space_col])
        return true;
    for (i = 0; i < p->nsamples; i++)
        for (k = 0; k < prev->nsketch; k++)
            if (hashes[i] == prev->sketch[k].hash) {
                seen[k] = true;
                objects[k] = (int64_t)((uint64_t)objects[k] +
                                       (uint64_t)p->samples[i].values[cur->alloc_objects_col]);
                bytes[k] = (int64_t)((uint64_t)bytes[k] +
                                     (uint64_t)p->samples[i].values[cur->alloc_space_col]);
            }
    for (k = 0; k < prev->nsketch; k++) {
        if (!seen[k])
            missing++;
        else if (objects[k] < prev->sketch[k].objects || bytes[k] < prev->sketch[k].bytes)
            return true;
    }
    return missing * 2 > prev->nsketch;
}

static enum hw_err
top_functions(const struct profile *p, struct scrape_summary *out, struct errbuf *eb)
{
    struct graph_opts o;
    struct graph *g;
    enum hw_err err;
    size_t i;

    graph_opts_init(&o);
    o.col = out->default_col;
    o.gran = GRAN_FUNCTIONS;
    o.node_fraction = 0;
    o.node_count = SUMMARY_TOP;
    o.nodes_only = true;
    if ((err = graph_build(p->arena, p, &o, &g, eb)) != HW_OK)
        return err;
    for (i = 0; i < g->nnodes && out->ntop < SUMMARY_TOP; i++) {
        struct summary_fn *f = &out->top[out->ntop];

        if ((f->name = strdup(g->nodes[i].name)) == NULL)
            return HW_NOMEM;
        f->flat = g->nodes[i].flat;
        f->cum = g->nodes[i].cum;
        out->ntop++;
    }
    return HW_OK;
}

static enum hw_err
copy_types(const struct profile *p, struct scrape_summary *out)
{
    size_t i;

    out->ntypes = p->ntypes < SUMMARY_MAX_TYPES ? p->ntypes : SUMMARY_MAX_TYPES;
    for (i = 0; i < out->ntypes; i++) {
        out->types[i] = strdup(p->sample_types[i].type);
        out->units[i] = strdup(p->sample_types[i].unit);
        if (out->types[i] == NULL || out->units[i] == NULL)
            return HW_NOMEM;
    }
    return HW_OK;
}

enum hw_err
summary_compute(const struct profile *p, const struct scrape_summary *prev,
                struct scrape_summary *out, struct errbuf *eb)
{
    uint64_t *hashes = NULL;
    enum hw_err err;

    memset(out, 0, sizeof(*out));
    out->alloc_objects_col = find_col(p, "alloc_objects");
    out->alloc_space_col = find_col(p, "alloc_space");
    if (out->alloc_objects_col >= SUMMARY_MAX_TYPES || out->alloc_space_col >= SUMMARY_MAX_TYPES)
        out->alloc_objects_col = out->alloc_space_col = -1;
    out->time_nanos = p->time_nanos;
    out->nsamples = p->nsamples;
    out->binary = binary_hash(p);
    if ((err = copy_types(p, out)) != HW_OK || (err = sum_samples(p, out, &hashes)) != HW_OK)
        goto out;
    if (p->ntypes > 0 && (err = profile_sample_index(p, "", &out->default_col, eb)) == HW_OK &&
        out->default_col < p->ntypes)
        err = top_functions(p, out, eb);
    if (err != HW_OK)
        goto out;
    if (prev != NULL && hashes != NULL && prev->alloc_objects_col >= 0 &&
        prev->alloc_space_col >= 0) {
        out->restart = restarted(prev, out, p, hashes);
        if (!out->restart) {
            out->has_delta = true;
            out->delta[0] = (int64_t)((uint64_t)out->totals[out->alloc_objects_col] -
                                      (uint64_t)prev->totals[prev->alloc_objects_col]);
            out->delta[1] = (int64_t)((uint64_t)out->totals[out->alloc_space_col] -
                                      (uint64_t)prev->totals[prev->alloc_space_col]);
        }
    }
out:
    free(hashes);
    if (err != HW_OK)
        summary_free(out);
    return err;
}

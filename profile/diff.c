/* diff.c - base subtraction as pprof's -base/-diff_base: both profiles' locations and
 * functions are carried over as they are (reports merge frames by name anyway), and
 * samples are merged by content - the stack as a sequence of location contents plus
 * the labels - so that a stack present in both nets out to one sample, exactly as
 * pprof's Merge does, which matters for the report total (a sum of |value|). */
#include "diff.h"

#include <inttypes.h>
#include <string.h>

#include "nodeinfo.h"

struct merge {
    struct arena *a;
    struct profile *out;
    uint64_t *lochash; /* content hash per location of the output */
    struct sample **slots;
    uint64_t *keys;
    size_t mask, n;
};

static uint64_t
mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

static uint64_t
location_hash(const struct location *l)
{
    uint64_t h = 0xcbf29ce484222325ull, addr = l->address;
    size_t i;

    if (l->mapping != NULL) {
        h = hash_str(h, l->mapping->file);
        h = hash_str(h, l->mapping->build_id);
        /* Addresses are compared relative to their mapping, so that two runs of the
         * same binary loaded at different bases still match. */
        if (addr >= l->mapping->start)
            addr = addr - l->mapping->start + l->mapping->offset;
    }
    h = mix(h, addr);
    for (i = 0; i < l->nlines; i++) {
        const struct function *f = l->lines[i].fn;
        h = hash_str(h, f->name);
        h = hash_str(h, f->system_name);
        h = hash_str(h, f->filename);
        h = mix(h, (uint64_t)f->start_line);
        h = mix(h, (uint64_t)l->lines[i].line);
    }
    return mix(h, l->is_folded);
}

/* s's locations point into the output profile. */
static uint64_t
sample_key(const struct merge *m, const struct sample *s)
{
    uint64_t h = 0x84222325cbf29ce4ull;
    size_t i;

    for (i = 0; i < s->nlocs; i++)
        h = mix(h, m->lochash[s->locs[i] - m->out->locations]);
    for (i = 0; i < s->nlabels; i++) {
        h = hash_str(h, s->labels[i].key);
        h = s->labels[i].str ? hash_str(h, s->labels[i].str) : mix(h, (uint64_t)s->labels[i].num);
    }
    return h;
}

static enum hw_err
copy_objects(struct merge *m, const struct profile *p, const struct profile *b)
{
    struct arena *a = m->a;
    struct profile *o = m->out;
    size_t i, np = p->nlocations, nb = b->nlocations;

    o->nlocations = np + nb;
    o->locations = arena_alloc(a, (o->nlocations + 1) * sizeof(*o->locations));
    m->lochash = arena_alloc(a, (o->nlocations + 1) * sizeof(uint64_t));
    if (o->locations == NULL || m->lochash == NULL)
        return arena_error(a);
    memcpy(o->locations, p->locations, np * sizeof(*o->locations));
    memcpy(o->locations + np, b->locations, nb * sizeof(*o->locations));
    /* Location ids must stay unique in the result: the base's are renumbered. */
    for (i = 0; i < nb; i++)
        o->locations[np + i].id = (uint64_t)(np + i + 1);
    for (i = 0; i < np; i++)
        o->locations[i].id = (uint64_t)(i + 1);
    for (i = 0; i < o->nlocations; i++)
        m->lochash[i] = location_hash(&o->locations[i]);
    o->functions = p->functions;
    o->nfunctions = p->nfunctions;
    o->mappings = p->mappings;
    o->nmappings = p->nmappings;
    return HW_OK;
}

static bool
samples_equal(const struct merge *m, const struct sample *x, const struct sample *y)
{
    size_t i;

    if (x->nlocs != y->nlocs || x->nlabels != y->nlabels)
        return false;
    for (i = 0; i < x->nlocs; i++)
        if (m->lochash[x->locs[i] - m->out->locations] !=
            m->lochash[y->locs[i] - m->out->locations])
            return false;
    for (i = 0; i < x->nlabels; i++) {
        const struct label *a = &x->labels[i], *b = &y->labels[i];
        if (strcmp(a->key, b->key) != 0 || (a->str == NULL) != (b->str == NULL) ||
            (a->str ? strcmp(a->str, b->str) != 0 : a->num != b->num))
            return false;
    }
    return true;
}

/* Adds sample s (of input which, values negated for the base) to the output. */
static enum hw_err
add_sample(struct merge *m, int which, const struct profile *src, const struct sample *s,
           const struct label *extra)
{
    struct profile *o = m->out;
    size_t i, off = which ? m->out->nlocations - src->nlocations : 0, nt = o->ntypes;
    struct sample *t, tmp;
    uint64_t key;
    size_t h;

    for (i = 0; i < nt && s->values[i] == 0; i++)
        ;
    if (i == nt)
        return HW_OK; /* pprof's merge drops all-zero samples */
    tmp = *s;
    tmp.nlabels = s->nlabels + (extra != NULL);
    if ((tmp.locs = arena_alloc(m->a, (s->nlocs + 1) * sizeof(*tmp.locs))) == NULL ||
        (tmp.labels = arena_alloc(m->a, (tmp.nlabels + 1) * sizeof(*tmp.labels))) == NULL)
        return arena_error(m->a);
    for (i = 0; i < s->nlocs; i++)
        tmp.locs[i] = &o->locations[off + (size_t)(s->locs[i] - src->locations)];
    if (s->nlabels)
        memcpy(tmp.labels, s->labels, s->nlabels * sizeof(*tmp.labels));
    if (extra != NULL)
        tmp.labels[s->nlabels] = *extra;
    key = sample_key(m, &tmp); /* the base label, if any, is among tmp's labels */
    for (h = (size_t)key & m->mask; (t = m->slots[h]) != NULL; h = (h + 1) & m->mask)
        if (m->keys[h] == key && samples_equal(m, t, &tmp))
            break;
    if (t == NULL) {
        t = &o->samples[o->nsamples++];
        *t = tmp;
        if ((t->values = arena_calloc(m->a, nt + 1, sizeof(*t->values))) == NULL)
            return arena_error(m->a);
        m->slots[h] = t;
        m->keys[h] = key;
    }
    for (i = 0; i < nt; i++)
        t->values[i] = (int64_t)((uint64_t)t->values[i] +
                                 (uint64_t)(which ? -(uint64_t)s->values[i] : (uint64_t)s->values[i]));
    return HW_OK;
}

static enum hw_err
check_types(const struct profile *p, const struct profile *b, struct errbuf *eb)
{
    size_t i;

    if (p->ntypes != b->ntypes)
        return errbuf_set(eb, HW_BADDATA, "base profile has %zu sample types, profile has %zu",
                          b->ntypes, p->ntypes);
    for (i = 0; i < p->ntypes; i++)
        if (strcmp(p->sample_types[i].type, b->sample_types[i].type) != 0 ||
            strcmp(p->sample_types[i].unit, b->sample_types[i].unit) != 0)
            return errbuf_set(eb, HW_BADDATA, "base profile sample type %s/%s does not match %s/%s",
                              b->sample_types[i].type, b->sample_types[i].unit,
                              p->sample_types[i].type, p->sample_types[i].unit);
    return HW_OK;
}

static void
drop_zero_samples(struct profile *o)
{
    size_t i, j, k = 0;

    for (i = 0; i < o->nsamples; i++) {
        for (j = 0; j < o->ntypes && o->samples[i].values[j] == 0; j++)
            ;
        if (j < o->ntypes)
            o->samples[k++] = o->samples[i];
    }
    o->nsamples = k;
}

/* pprof's combineHeaders: the earliest time (where the first one is not zero), the
 * summed durations, the largest period, comments without repeats, and the first
 * non-empty default sample type. */
static void
combine_headers(struct profile *o, const struct profile *p, const struct profile *b)
{
    size_t i, j, n = 0;

    if (o->time_nanos == 0 || b->time_nanos < o->time_nanos)
        o->time_nanos = b->time_nanos;
    o->duration_nanos = p->duration_nanos + b->duration_nanos;
    if (o->period == 0 || o->period < b->period)
        o->period = b->period;
    if (o->default_sample_type[0] == '\0')
        o->default_sample_type = b->default_sample_type;
    o->comments = arena_alloc(o->arena, (p->ncomments + b->ncomments + 1) * sizeof(*o->comments));
    if (o->comments == NULL) {
        o->ncomments = 0; /* the header is informative; the arena error shows later */
        return;
    }
    for (i = 0; i < p->ncomments + b->ncomments; i++) {
        const char *c = i < p->ncomments ? p->comments[i] : b->comments[i - p->ncomments];

        for (j = 0; j < n && strcmp(o->comments[j], c) != 0; j++)
            ;
        if (j == n)
            o->comments[n++] = c;
    }
    o->ncomments = n;
}

enum hw_err
profile_subtract(struct arena *a, const struct profile *p, const struct profile *base,
                 bool diff_base, struct profile **out, struct errbuf *eb)
{
    static const struct label base_label = {"pprof::base", "true", 0, ""};
    struct merge m = {.a = a};
    size_t i, cap = 16, total = p->nsamples + base->nsamples;
    enum hw_err err;

    if ((err = check_types(p, base, eb)) != HW_OK)
        return err;
    if ((m.out = profile_new(a)) == NULL)
        return arena_error(a);
    *m.out = *p;
    m.out->arena = a;
    m.out->nsamples = 0;
    combine_headers(m.out, p, base);
    while (cap < total * 2)
        cap *= 2;
    m.mask = cap - 1;
    m.slots = arena_calloc(a, cap, sizeof(*m.slots));
    m.keys = arena_calloc(a, cap, sizeof(*m.keys));
    m.out->samples = arena_calloc(a, total + 1, sizeof(*m.out->samples));
    if (m.slots == NULL || m.keys == NULL || m.out->samples == NULL)
        return arena_error(a);
    if ((err = copy_objects(&m, p, base)) != HW_OK)
        return err;
    for (i = 0; i < p->nsamples; i++)
        if ((err = add_sample(&m, 0, p, &p->samples[i], NULL)) != HW_OK)
            return err;
    for (i = 0; i < base->nsamples; i++)
        if ((err = add_sample(&m, 1, base, &base->samples[i], diff_base ? &base_label : NULL)) != HW_OK)
            return err;
    drop_zero_samples(m.out);
    *out = m.out;
    return HW_OK;
}

bool
sample_is_diff_base(const struct sample *s)
{
    size_t i;

    for (i = 0; i < s->nlabels; i++)
        if (s->labels[i].str != NULL && strcmp(s->labels[i].key, "pprof::base") == 0 &&
            strcmp(s->labels[i].str, "true") == 0)
            return true;
    return false;
}

int64_t
profile_total(const struct profile *p, size_t col)
{
    uint64_t total = 0, diff = 0; /* wraps as Go's int64 arithmetic does */
    size_t i;

    for (i = 0; i < p->nsamples; i++) {
        uint64_t v = (uint64_t)p->samples[i].values[col];

        if (p->samples[i].values[col] < 0)
            v = -v;
        total += v;
        if (sample_is_diff_base(&p->samples[i]))
            diff += v;
    }
    return (int64_t)diff > 0 ? (int64_t)diff : (int64_t)total;
}

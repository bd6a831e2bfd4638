/* leaks.c - the leak tracker. A scrape is first reduced, in a scratch arena, to
 * candidate stacks and sites with their values (nothing in the tracker changes if
 * that fails); then the window advances by one point (or thins, see leaks.h), and
 * tracked series take their new values while the biggest untracked candidates
 * compete for free or weaker slots. All series share one time axis: point i of every
 * series is scrape times[i], and a series only counts from its `first` point on,
 * since before it was tracked its value is unknown. The report is computed on demand
 * into an arena of its own; the statistics are in trend.c. */
#include "leaks.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fold.h"
#include "units.h"
#include "nodeinfo.h"

#define NMEMSTATS 5
#define INTERN_BUCKETS 64 /* a tracker interns a few dozen strings; thousands of trackers live at once */

static const char *const memstat_names[NMEMSTATS] = {"HeapAlloc", "HeapInuse", "HeapObjects", "Sys",
                                                     "NumGC"};

/* ---- interned strings, reference counted ---- */

struct istr {
    struct istr *next;
    uint64_t hash;
    size_t refs;
    char s[];
};

struct intern {
    struct istr *b[INTERN_BUCKETS];
};

static const char *
intern_get(struct intern *in, const char *s)
{
    uint64_t h = hash_str(0xcbf29ce484222325ull, s);
    struct istr **head = &in->b[h % INTERN_BUCKETS], *e;
    size_t len;

    for (e = *head; e != NULL; e = e->next)
        if (e->hash == h && strcmp(e->s, s) == 0) {
            e->refs++;
            return e->s;
        }
    len = strlen(s);
    if ((e = malloc(sizeof(*e) + len + 1)) == NULL)
        return NULL;
    memcpy(e->s, s, len + 1);
    e->hash = h;
    e->refs = 1;
    e->next = *head;
    *head = e;
    return e->s;
}

static void
intern_put(struct intern *in, const char *s)
{
    uint64_t h;
    struct istr **pp;

    if (s == NULL)
        return;
    h = hash_str(0xcbf29ce484222325ull, s);
    for (pp = &in->b[h % INTERN_BUCKETS]; *pp != NULL; pp = &(*pp)->next)
        if ((*pp)->s == s) {
            struct istr *e = *pp;

            if (--e->refs == 0) {
                *pp = e->next;
                free(e);
            }
            return;
        }
}

static void
intern_clear(struct intern *in)
{
    size_t i;

    for (i = 0; i < INTERN_BUCKETS; i++)
        while (in->b[i] != NULL) {
            struct istr *e = in->b[i];

            in->b[i] = e->next;
            free(e);
        }
}

/* ---- the tracker ---- */

struct series {
    const char *key;  /* interned: stacks join their frames with '\n'; sites the site */
    const char *link; /* interned: a stack's site, or the stack holding most of a site */
    size_t first;     /* the first point that counts */
    int64_t first_seen_ms;
    double cur, cur_objects;
    float *v, *o; /* max_points each */
    bool used;
};

struct leak_tracker {
    struct leak_opts o;
    enum leak_kind kind;
    size_t n, stride, restarts;
    int64_t seq; /* scrapes in this window */
    int64_t *times, *seqs;
    double *total, *objects;
    double *ms[NMEMSTATS];
    struct series *stacks, *sites;
    struct intern names;
    /* The previous scrape, for spotting restarts. */
    double prev_total, prev_alloc, prev_numgc;
    double period; /* the heap profiles' sampling period in bytes, 0 when unknown */
    bool has_alloc, has_numgc;
};

/* One scrape reduced to numbers, before the tracker changes. */
struct cand {
    const char *key, *link; /* link as in struct series */
    double v, o, link_best; /* the value of the biggest sample behind link */
    bool taken;
};

struct ctab {
    struct cand **slots;
    size_t mask, n;
};

struct scrape {
    int64_t time_ms;
    enum leak_kind kind;
    double total, objects, alloc, numgc;
    bool has_alloc, has_numgc;
    double ms[NMEMSTATS];
    struct ctab stacks, sites;
};

void
leak_opts_init(struct leak_opts *o)
{
    o->max_points = 120;
    o->max_series = 32;
    o->max_frames = 64;
    o->max_suspects = 10;
    o->min_scrapes = 5;
    o->min_window_ms = 5000;
    o->restart_drop = 0.5;
    o->p_value = 0.01;
    o->min_tau = 0.5;
    o->growing_p = 0.05;
    o->min_rate_bytes = 64 * 1024;
    o->min_rate_goroutines = 1;
    o->min_rate_frac = 0.005;
    o->min_growth_periods = 8;
    o->leak_share = 0.2;
    o->suspect_share = 0.05;
    trend_opts_init(&o->trend);
}

const char *
leak_verdict_name(enum leak_verdict v)
{
    switch (v) {
    case LEAK_LEAK:
        return "leak";
    case LEAK_GROWING:
        return "growing";
    case LEAK_STABLE:
        return "stable";
    case LEAK_NOT_ENOUGH_DATA:
        break;
    }
    return "not enough data";
}

const char *
leak_kind_name(enum leak_kind k)
{
    return k == LEAK_KIND_HEAP ? "heap" : k == LEAK_KIND_GOROUTINE ? "goroutine" : "none";
}

static enum hw_err
series_alloc(struct series *set, size_t nset, size_t npoints)
{
    size_t i;

    for (i = 0; i < nset; i++) {
        set[i].v = calloc(2 * npoints, sizeof(float));
        if (set[i].v == NULL)
            return HW_NOMEM;
        set[i].o = set[i].v + npoints;
    }
    return HW_OK;
}

static enum hw_err
tracker_alloc(struct leak_tracker *t)
{
    size_t m = t->o.max_points, k;

    t->times = calloc(m, sizeof(*t->times));
    t->seqs = calloc(m, sizeof(*t->seqs));
    t->total = calloc(m, sizeof(*t->total));
    t->objects = calloc(m, sizeof(*t->objects));
    t->stacks = calloc(t->o.max_series, sizeof(*t->stacks));
    t->sites = calloc(t->o.max_series, sizeof(*t->sites));
    if (!t->times || !t->seqs || !t->total || !t->objects || !t->stacks || !t->sites)
        return HW_NOMEM;
    for (k = 0; k < NMEMSTATS; k++)
        if ((t->ms[k] = calloc(m, sizeof(*t->ms[k]))) == NULL)
            return HW_NOMEM;
    if (series_alloc(t->stacks, t->o.max_series, m) != HW_OK ||
        series_alloc(t->sites, t->o.max_series, m) != HW_OK)
        return HW_NOMEM;
    return HW_OK;
}

struct leak_tracker *
leak_tracker_new(const struct leak_opts *o)
{
    struct leak_tracker *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return NULL;
    if (o != NULL)
        t->o = *o;
    else
        leak_opts_init(&t->o);
    /* Thinning keeps every other point, so an even count of at least 4. */
    if (t->o.max_points < 4)
        t->o.max_points = 4;
    t->o.max_points &= ~(size_t)1;
    if (t->o.max_series < 1)
        t->o.max_series = 1;
    if (t->o.max_frames < 1)
        t->o.max_frames = 1;
    t->stride = 1;
    if (tracker_alloc(t) != HW_OK) {
        leak_tracker_free(t);
        return NULL;
    }
    return t;
}

static void
series_release(struct leak_tracker *t, struct series *s)
{
    intern_put(&t->names, s->key);
    intern_put(&t->names, s->link);
    s->key = s->link = NULL;
    s->used = false;
}

static void
free_set(struct series *set, size_t n)
{
    size_t i;

    for (i = 0; set != NULL && i < n; i++)
        free(set[i].v);
    free(set);
}

void
leak_tracker_free(struct leak_tracker *t)
{
    size_t k;

    if (t == NULL)
        return;
    intern_clear(&t->names);
    free_set(t->stacks, t->o.max_series);
    free_set(t->sites, t->o.max_series);
    for (k = 0; k < NMEMSTATS; k++)
        free(t->ms[k]);
    free(t->times);
    free(t->seqs);
    free(t->total);
    free(t->objects);
    free(t);
}

enum leak_kind
leak_tracker_kind(const struct leak_tracker *t)
{
    return t->kind;
}

size_t
leak_tracker_scrapes(const struct leak_tracker *t)
{
    return (size_t)t->seq;
}

/* Forgets the window: a restart. */
static void
window_reset(struct leak_tracker *t)
{
    size_t i;

    for (i = 0; i < t->o.max_series; i++) {
        if (t->stacks[i].used)
            series_release(t, &t->stacks[i]);
        if (t->sites[i].used)
            series_release(t, &t->sites[i]);
    }
    t->n = 0;
    t->seq = 0;
    t->stride = 1;
}

/* ---- reducing a scrape ---- */

static enum hw_err
ctab_init(struct arena *a, struct ctab *c, size_t hint)
{
    size_t cap = 64;

    while (cap < hint * 2)
        cap *= 2;
    c->mask = cap - 1;
    c->n = 0;
    c->slots = arena_calloc(a, cap, sizeof(*c->slots));
    return c->slots ? HW_OK : arena_error(a);
}

static struct cand *
ctab_find(const struct ctab *c, const char *key)
{
    size_t h = (size_t)hash_str(0xcbf29ce484222325ull, key) & c->mask;

    while (c->slots[h] != NULL) {
        if (strcmp(c->slots[h]->key, key) == 0)
            return c->slots[h];
        h = (h + 1) & c->mask;
    }
    return NULL;
}

/* The candidate for key (copied into a if new). The table was sized for every sample. */
static struct cand *
ctab_get(struct arena *a, struct ctab *c, const char *key)
{
    size_t h = (size_t)hash_str(0xcbf29ce484222325ull, key) & c->mask;
    struct cand *e;

    while ((e = c->slots[h]) != NULL) {
        if (strcmp(e->key, key) == 0)
            return e;
        h = (h + 1) & c->mask;
    }
    if ((e = arena_calloc(a, 1, sizeof(*e))) == NULL || (e->key = arena_strdup(a, key)) == NULL)
        return NULL;
    c->slots[h] = e;
    c->n++;
    return e;
}

/* Frame names per location: function-granularity frames, caller first, in
 * frames[start[i] .. start[i+1]), and the location's site ("func file:line" of its
 * innermost line; for goroutines of its innermost line outside package runtime, NULL
 * when there is none). */
struct locnames {
    const char **frames;
    size_t *start;
    const char **site, **leaf;
};

static bool
is_runtime(const struct line *ln)
{
    return strncmp(ln->fn->name, "runtime.", 8) == 0;
}

/* Fills ln->leaf[i] and ln->site[i] for location l = p->locations[i]. */
static enum hw_err
location_site(struct arena *a, const struct location *l, enum leak_kind kind, struct locnames *ln,
              size_t i)
{
    size_t j;

    ln->leaf[i] = fold_frame_name(a, l, l->nlines ? &l->lines[0] : NULL, GRAN_LINES);
    if (ln->leaf[i] == NULL)
        return arena_error(a);
    if (kind != LEAK_KIND_GOROUTINE) {
        ln->site[i] = ln->leaf[i];
        return HW_OK;
    }
    for (j = 0; j < l->nlines; j++)
        if (!is_runtime(&l->lines[j]))
            break;
    if (j == l->nlines)
        return HW_OK;
    ln->site[i] = j == 0 ? ln->leaf[i] : fold_frame_name(a, l, &l->lines[j], GRAN_LINES);
    return ln->site[i] ? HW_OK : arena_error(a);
}

static enum hw_err
name_locations(struct arena *a, const struct profile *p, enum leak_kind kind, struct locnames *ln)
{
    size_t i, j, total = 0, k = 0;
    enum hw_err err;

    for (i = 0; i < p->nlocations; i++)
        total += p->locations[i].nlines ? p->locations[i].nlines : 1;
    ln->start = arena_alloc(a, (p->nlocations + 1) * sizeof(*ln->start));
    ln->frames = arena_alloc(a, (total + 1) * sizeof(*ln->frames));
    ln->site = arena_calloc(a, p->nlocations + 1, sizeof(*ln->site));
    ln->leaf = arena_calloc(a, p->nlocations + 1, sizeof(*ln->leaf));
    if (!ln->start || !ln->frames || !ln->site || !ln->leaf)
        return arena_error(a);
    for (i = 0; i < p->nlocations; i++) {
        const struct location *l = &p->locations[i];

        ln->start[i] = k;
        for (j = l->nlines ? l->nlines : 1; j-- > 0;)
            if ((ln->frames[k++] = fold_frame_name(a, l, l->nlines ? &l->lines[j] : NULL,
                                                   GRAN_FUNCTIONS)) == NULL)
                return arena_error(a);
        if ((err = location_site(a, l, kind, ln, i)) != HW_OK)
            return err;
    }
    ln->start[i] = k;
    return HW_OK;
}

/* The sample's site: its leaf's, or for goroutines the first one outside runtime. */
static const char *
sample_site(const struct profile *p, const struct sample *s, const struct locnames *ln)
{
    size_t i;

    for (i = 0; i < s->nlocs; i++) {
        const char *site = ln->site[s->locs[i] - p->locations];

        if (site != NULL)
            return site;
    }
    return s->nlocs > 0 ? ln->leaf[s->locs[0] - p->locations] : "<no stack>";
}

/* The sample's stack as frames joined by '\n', root first, at most max frames (the
 * leaf end is kept), built in b. */
static enum hw_err
sample_key(const struct profile *p, const struct sample *s, const struct locnames *ln, size_t max,
           struct buf *b)
{
    size_t i, j, nframes = 0, skip;
    enum hw_err err = HW_OK;

    b->len = 0;
    for (i = 0; i < s->nlocs; i++) {
        size_t li = (size_t)(s->locs[i] - p->locations);

        nframes += ln->start[li + 1] - ln->start[li];
    }
    skip = nframes > max ? nframes - max : 0;
    for (i = s->nlocs; i-- > 0 && err == HW_OK;) {
        size_t li = (size_t)(s->locs[i] - p->locations);

        for (j = ln->start[li]; j < ln->start[li + 1] && err == HW_OK; j++) {
            if (skip > 0) {
                skip--;
                continue;
            }
            if (b->len > 0)
                err = buf_append(b, "\n", 1);
            if (err == HW_OK)
                err = buf_puts(b, ln->frames[j]);
        }
    }
    if (err == HW_OK && b->len == 0)
        err = buf_puts(b, "<no stack>");
    return err;
}

/* Adds sample s (values v, o) to the stack and site tables. */
static enum hw_err
add_sample(struct arena *a, struct scrape *sc, const char *key, const char *site, double v,
           double o)
{
    struct cand *c = ctab_get(a, &sc->stacks, key), *st;

    if (c == NULL || (st = ctab_get(a, &sc->sites, site)) == NULL)
        return arena_error(a);
    c->v += v;
    c->o += o;
    if (c->link == NULL || v > c->link_best) {
        c->link = st->key;
        c->link_best = v;
    }
    st->v += v;
    st->o += o;
    if (st->link == NULL || v > st->link_best) {
        st->link = c->key;
        st->link_best = v;
    }
    return HW_OK;
}

/* The kind of p and its value columns; HW_USAGE when it is neither kind. */
static enum hw_err
detect(const struct profile *p, struct scrape *sc, size_t *cv, size_t *co, struct errbuf *eb)
{
    size_t i;

    if (p->ntypes == 1 && strcmp(p->sample_types[0].type, "goroutine") == 0) {
        sc->kind = LEAK_KIND_GOROUTINE;
        *cv = *co = 0;
        return HW_OK;
    }
    if (profile_sample_index(p, "inuse_space", cv, NULL) != HW_OK ||
        profile_sample_index(p, "inuse_objects", co, NULL) != HW_OK)
        return errbuf_set(eb, HW_USAGE,
                          "neither a heap profile (inuse_space, inuse_objects) "
                          "nor a goroutine profile");
    sc->kind = LEAK_KIND_HEAP;
    for (i = 0; i < p->ntypes; i++)
        if (strcmp(p->sample_types[i].type, "alloc_space") == 0) {
            size_t k;

            sc->has_alloc = true;
            for (k = 0; k < p->nsamples; k++)
                sc->alloc += (double)p->samples[k].values[i];
        }
    return HW_OK;
}

static void
read_memstats(const struct profile *p, struct scrape *sc)
{
    size_t i, k;

    for (k = 0; k < NMEMSTATS; k++) {
        sc->ms[k] = NAN;
        for (i = 0; i < p->nmemstats; i++)
            if (p->memstats[i].numeric && strcmp(p->memstats[i].name, memstat_names[k]) == 0)
                sc->ms[k] = (double)p->memstats[i].value;
    }
    sc->has_numgc = !isnan(sc->ms[NMEMSTATS - 1]);
    sc->numgc = sc->ms[NMEMSTATS - 1];
}

/* Reduces p to totals and candidate stacks and sites, all in a. */
static enum hw_err
reduce(struct arena *a, const struct profile *p, size_t max_frames, struct scrape *sc,
       struct errbuf *eb)
{
    struct locnames ln;
    struct buf key;
    size_t i, cv, co;
    enum hw_err err;

    if ((err = detect(p, sc, &cv, &co, eb)) != HW_OK)
        return err;
    read_memstats(p, sc);
    if ((err = ctab_init(a, &sc->stacks, p->nsamples)) != HW_OK ||
        (err = ctab_init(a, &sc->sites, p->nsamples)) != HW_OK ||
        (err = name_locations(a, p, sc->kind, &ln)) != HW_OK)
        return err;
    buf_init(&key, 0);
    for (i = 0; i < p->nsamples && err == HW_OK; i++) {
        const struct sample *s = &p->samples[i];
        double v = (double)s->values[cv], o = (double)s->values[co];

        sc->total += v;
        sc->objects += o;
        if (v == 0 && o == 0)
            continue;
        if ((err = sample_key(p, s, &ln, max_frames, &key)) == HW_OK)
            err = add_sample(a, sc, (const char *)key.data, sample_site(p, s, &ln), v, o);
    }
    buf_reset(&key);
    return err;
}

/* ---- advancing the window ---- */

static bool
is_restart(const struct leak_tracker *t, const struct scrape *sc)
{
    if (t->n == 0)
        return false;
    if (sc->time_ms < t->times[t->n - 1])
        return true;
    /* Cumulative counters only grow while a process lives. alloc_space is scaled per
     * record by its average size, which can move a little: allow a tenth. */
    if (sc->has_alloc && t->has_alloc)
        return sc->alloc < 0.9 * t->prev_alloc;
    if (sc->has_numgc && t->has_numgc)
        return sc->numgc < t->prev_numgc;
    return t->prev_total > 0 && sc->total < t->o.restart_drop * t->prev_total;
}

static void
thin_set(struct series *set, size_t nset, size_t n)
{
    size_t i, k;

    for (i = 0; i < nset; i++) {
        if (!set[i].used)
            continue;
        for (k = 0; 2 * k < n; k++) {
            set[i].v[k] = set[i].v[2 * k];
            set[i].o[k] = set[i].o[2 * k];
        }
        set[i].first = (set[i].first + 1) / 2;
    }
}

/* Keeps the points with even indices: the window keeps its start, spacing doubles. */
static void
thin(struct leak_tracker *t)
{
    size_t k, j;

    for (k = 0; 2 * k < t->n; k++) {
        t->times[k] = t->times[2 * k];
        t->seqs[k] = t->seqs[2 * k];
        t->total[k] = t->total[2 * k];
        t->objects[k] = t->objects[2 * k];
        for (j = 0; j < NMEMSTATS; j++)
            t->ms[j][k] = t->ms[j][2 * k];
    }
    thin_set(t->stacks, t->o.max_series, t->n);
    thin_set(t->sites, t->o.max_series, t->n);
    t->n = k;
    t->stride *= 2;
}

/* The point the new scrape goes to: the newest one while it is younger than the
 * stride, else a new one (thinning first when full). */
static size_t
advance(struct leak_tracker *t, const struct scrape *sc)
{
    size_t slot, j;

    if (t->n >= 2 && t->seqs[t->n - 1] - t->seqs[t->n - 2] < (int64_t)t->stride) {
        slot = t->n - 1;
    } else {
        if (t->n == t->o.max_points)
            thin(t);
        slot = t->n++;
    }
    t->times[slot] = sc->time_ms;
    t->seqs[slot] = t->seq++;
    t->total[slot] = sc->total;
    t->objects[slot] = sc->objects;
    for (j = 0; j < NMEMSTATS; j++)
        t->ms[j][slot] = sc->ms[j];
    return slot;
}

/* ---- updating the series ---- */

static double
series_score(const struct series *s)
{
    double growth = s->cur - s->v[s->first];

    return s->cur + (growth > 0 ? growth : 0);
}

/* True when the series has been zero for its last max(4, n/4) points. */
static bool
series_gone(const struct series *s, size_t n)
{
    size_t need = n / 4 > 4 ? n / 4 : 4, k;

    if (n - s->first < need)
        return false;
    for (k = n - need; k < n; k++)
        if (s->v[k] != 0 || s->o[k] != 0)
            return false;
    return true;
}

/* Tracked series take their value in this scrape (zero when absent). */
static void
update_tracked(struct leak_tracker *t, struct series *set, size_t slot, struct ctab *c)
{
    size_t i;

    for (i = 0; i < t->o.max_series; i++) {
        struct series *s = &set[i];
        struct cand *e;

        if (!s->used)
            continue;
        e = ctab_find(c, s->key);
        s->cur = e ? e->v : 0;
        s->cur_objects = e ? e->o : 0;
        s->v[slot] = (float)s->cur;
        s->o[slot] = (float)s->cur_objects;
        if (e != NULL) {
            e->taken = true;
            /* The link follows the biggest sample now (failing that, it is kept). */
            if (strcmp(e->link, s->link) != 0) {
                const char *link = intern_get(&t->names, e->link);

                if (link != NULL) {
                    intern_put(&t->names, s->link);
                    s->link = link;
                }
            }
        }
        if (series_gone(s, t->n))
            series_release(t, s);
    }
}

static int
cand_cmp(const void *x, const void *y)
{
    const struct cand *a = *(struct cand *const *)x, *b = *(struct cand *const *)y;

    if (a->v != b->v)
        return a->v > b->v ? -1 : 1;
    return strcmp(a->key, b->key);
}

/* The free slot, or the weakest series when its score is below v; NULL if none. */
static struct series *
slot_for(struct leak_tracker *t, struct series *set, double v)
{
    struct series *weakest = NULL;
    size_t i;

    for (i = 0; i < t->o.max_series; i++) {
        if (!set[i].used)
            return &set[i];
        if (weakest == NULL || series_score(&set[i]) < series_score(weakest))
            weakest = &set[i];
    }
    return weakest != NULL && series_score(weakest) < v ? weakest : NULL;
}

static enum hw_err
admit(struct leak_tracker *t, struct series *s, const struct cand *e, size_t slot)
{
    if (s->used)
        series_release(t, s);
    s->key = intern_get(&t->names, e->key);
    s->link = intern_get(&t->names, e->link);
    if (s->key == NULL || s->link == NULL) {
        intern_put(&t->names, s->key);
        intern_put(&t->names, s->link);
        s->key = s->link = NULL;
        return HW_NOMEM;
    }
    s->used = true;
    s->first = slot;
    s->first_seen_ms = t->times[slot];
    s->cur = e->v;
    s->cur_objects = e->o;
    s->v[slot] = (float)e->v;
    s->o[slot] = (float)e->o;
    return HW_OK;
}

/* The biggest untracked candidates take free slots or replace weaker series. */
static enum hw_err
admit_new(struct arena *a, struct leak_tracker *t, struct series *set, size_t slot, struct ctab *c)
{
    struct cand **v = arena_alloc(a, (c->n + 1) * sizeof(*v));
    size_t i, n = 0;
    enum hw_err err;

    if (v == NULL)
        return arena_error(a);
    for (i = 0; i <= c->mask; i++)
        if (c->slots[i] != NULL && !c->slots[i]->taken && c->slots[i]->v > 0)
            v[n++] = c->slots[i];
    qsort(v, n, sizeof(*v), cand_cmp);
    for (i = 0; i < n; i++) {
        struct series *s = slot_for(t, set, v[i]->v);

        if (s == NULL)
            break; /* the rest are smaller still */
        if ((err = admit(t, s, v[i], slot)) != HW_OK)
            return err;
    }
    return HW_OK;
}

static void
remember(struct leak_tracker *t, const struct scrape *sc)
{
    t->prev_total = sc->total;
    t->prev_alloc = sc->alloc;
    t->has_alloc = sc->has_alloc;
    t->prev_numgc = sc->numgc;
    t->has_numgc = sc->has_numgc;
}

enum hw_err
leak_tracker_add(struct leak_tracker *t, int64_t time_ms, const struct profile *p,
                 struct errbuf *eb)
{
    struct arena *a = arena_new(0);
    struct scrape sc = {.time_ms = time_ms};
    enum hw_err err;
    size_t slot;

    if (a == NULL)
        return errbuf_set(eb, HW_NOMEM, "out of memory");
    if ((err = reduce(a, p, t->o.max_frames, &sc, eb)) != HW_OK)
        goto out;
    if (t->kind != LEAK_KIND_NONE && sc.kind != t->kind) {
        err = errbuf_set(eb, HW_USAGE, "a %s profile among %s profiles", leak_kind_name(sc.kind),
                         leak_kind_name(t->kind));
        goto out;
    }
    t->kind = sc.kind;
    if (sc.kind == LEAK_KIND_HEAP && p->period > 0 && (double)p->period > t->period)
        t->period = (double)p->period;
    if (is_restart(t, &sc)) {
        window_reset(t);
        t->restarts++;
    }
    slot = advance(t, &sc);
    update_tracked(t, t->stacks, slot, &sc.stacks);
    update_tracked(t, t->sites, slot, &sc.sites);
    if ((err = admit_new(a, t, t->stacks, slot, &sc.stacks)) == HW_OK)
        err = admit_new(a, t, t->sites, slot, &sc.sites);
    if (err != HW_OK)
        errbuf_set(eb, err, "out of memory");
    remember(t, &sc);
out:
    arena_free(a);
    return err;
}

/* ---- the report ---- */

/* Scratch for one report: the window's times and a value array. */
struct rctx {
    const struct leak_tracker *t;
    struct leak_report *r;
    struct arena *a;
    double *tm, *y;
    double floor;
};

static const char *rfmt(struct rctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static const char *
rfmt(struct rctx *c, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    return arena_strdup(c->a, line);
}

static enum hw_err
evidence(struct rctx *c, const char *line)
{
    const char **v;

    if (line == NULL)
        return arena_error(c->a);
    v = arena_realloc(c->a, c->r->evidence, c->r->nevidence * sizeof(*v),
                      (c->r->nevidence + 1) * sizeof(*v));
    if (v == NULL)
        return arena_error(c->a);
    v[c->r->nevidence++] = line;
    c->r->evidence = v;
    return HW_OK;
}

/* A value in the report's unit, for people: "1.50MB" or "1234". */
static void
human(const struct rctx *c, double v, char *out, size_t n)
{
    if (c->r->kind == LEAK_KIND_HEAP)
        units_label((int64_t)llround(v), "bytes", "minimum", out, n);
    else
        snprintf(out, n, "%.4g", v);
}

/* Copies points [from, n) of values (float or double) into the report, with times. */
static struct leak_point *
points(struct rctx *c, const float *vf, const double *vd, size_t from, size_t *npoints)
{
    size_t n = c->t->n, i, k = 0;
    struct leak_point *pts = arena_calloc(c->a, n - from + 1, sizeof(*pts));

    if (pts == NULL)
        return NULL;
    for (i = from; i < n; i++) {
        double v = vf ? (double)vf[i] : vd[i];

        if (isnan(v))
            continue;
        pts[k].t_ms = c->t->times[i];
        pts[k++].value = v;
    }
    *npoints = k;
    return pts;
}

/* The trend of report points pts, through the scratch arrays. */
static enum hw_err
points_trend(struct rctx *c, const struct leak_point *pts, size_t n, struct trend *out)
{
    size_t i;

    for (i = 0; i < n; i++) {
        c->tm[i] = (double)pts[i].t_ms;
        c->y[i] = pts[i].value;
    }
    return trend_analyze(c->tm, c->y, n, &c->t->o.trend, out);
}

/* RISES in the sense of leaks.h. */
static bool
rises(const struct leak_opts *o, const struct trend *tr)
{
    return tr->slope > 0 && tr->p < o->p_value && tr->tau >= o->min_tau && !tr->levelled;
}

struct scored {
    const struct series *s;
    struct trend tr;
    double share;
    bool from_stack;
};

static enum hw_err
series_trend(struct rctx *c, const struct series *s, struct trend *out)
{
    size_t i, k = 0;

    for (i = s->first; i < c->t->n; i++, k++) {
        c->tm[k] = (double)c->t->times[i];
        c->y[k] = (double)s->v[i];
    }
    return trend_analyze(c->tm, c->y, k, &c->t->o.trend, out);
}

/* The series of set that qualify as suspects, appended to out. */
static enum hw_err
qualify(struct rctx *c, const struct series *set, bool stacks, struct scored *out, size_t *n)
{
    const struct leak_opts *o = &c->t->o;
    double total = c->r->total.slope;
    size_t i;
    enum hw_err err;

    for (i = 0; i < o->max_series && total > 0; i++) {
        struct scored sc = {.s = &set[i], .from_stack = stacks};

        if (!set[i].used || c->t->n - set[i].first < 2)
            continue;
        if ((err = series_trend(c, &set[i], &sc.tr)) != HW_OK)
            return err;
        sc.share = sc.tr.slope / total;
        if (rises(o, &sc.tr) && sc.tr.slope >= c->floor && sc.share >= o->suspect_share)
            out[(*n)++] = sc;
    }
    return HW_OK;
}

static int
scored_cmp(const void *x, const void *y)
{
    const struct scored *a = x, *b = y;

    if (a->tr.slope != b->tr.slope)
        return a->tr.slope > b->tr.slope ? -1 : 1;
    if (a->from_stack != b->from_stack)
        return a->from_stack ? 1 : -1; /* a site before a stack with the same slope */
    return strcmp(a->s->key, b->s->key);
}

/* Splits a stack key into frames in the report's arena. */
static enum hw_err
split_frames(struct rctx *c, const char *key, struct leak_suspect *out)
{
    size_t n = 1, i;
    const char *p;

    for (p = key; *p != '\0'; p++)
        n += *p == '\n';
    if ((out->frames = arena_calloc(c->a, n, sizeof(*out->frames))) == NULL)
        return arena_error(c->a);
    for (i = 0, p = key; i < n; i++) {
        size_t len = strcspn(p, "\n");

        if ((out->frames[i] = arena_strndup(c->a, p, len)) == NULL)
            return arena_error(c->a);
        p += len + (p[len] == '\n');
    }
    out->nframes = n;
    return HW_OK;
}

static enum hw_err
make_suspect(struct rctx *c, const struct scored *sc, struct leak_suspect *out)
{
    const struct series *s = sc->s;
    const char *site = sc->from_stack ? s->link : s->key;
    const char *stack = sc->from_stack ? s->key : s->link;

    out->site = arena_strdup(c->a, site);
    out->from_stack = sc->from_stack;
    out->value = s->cur;
    out->objects = s->cur_objects;
    out->growth_per_min = sc->tr.slope;
    out->share = sc->share;
    out->first_seen_ms = s->first_seen_ms;
    out->trend = sc->tr;
    out->points = points(c, s->v, NULL, s->first, &out->npoints);
    if (out->site == NULL || out->points == NULL)
        return arena_error(c->a);
    return split_frames(c, stack, out);
}

/* The site a scored series stands for (interned, so pointers compare). */
static const char *
scored_site(const struct scored *s)
{
    return s->from_stack ? s->s->link : s->s->key;
}

/* Drops stack entries v[from..n) whose site is already a suspect (a qualifying site,
 * or a stack before them with more growth). */
static size_t
dedup_stacks(struct scored *v, size_t from, size_t n)
{
    size_t i, j, k = from;

    qsort(v + from, n - from, sizeof(*v), scored_cmp);
    for (i = from; i < n; i++) {
        for (j = 0; j < k; j++)
            if (scored_site(&v[j]) == scored_site(&v[i]))
                break;
        if (j == k)
            v[k++] = v[i];
    }
    return k;
}

static enum hw_err
suspects(struct rctx *c)
{
    const struct leak_opts *o = &c->t->o;
    struct scored *v = arena_alloc(c->a, 2 * o->max_series * sizeof(*v));
    size_t n = 0, nsites, i;
    enum hw_err err;

    if (v == NULL)
        return arena_error(c->a);
    if ((err = qualify(c, c->t->sites, false, v, &n)) != HW_OK)
        return err;
    nsites = n;
    if ((err = qualify(c, c->t->stacks, true, v, &n)) != HW_OK)
        return err;
    n = dedup_stacks(v, nsites, n);
    qsort(v, n, sizeof(*v), scored_cmp);
    if (n > o->max_suspects)
        n = o->max_suspects;
    if ((c->r->suspects = arena_calloc(c->a, n + 1, sizeof(*c->r->suspects))) == NULL)
        return arena_error(c->a);
    for (i = 0; i < n; i++)
        if ((err = make_suspect(c, &v[i], &c->r->suspects[i])) != HW_OK)
            return err;
    c->r->nsuspects = n;
    return HW_OK;
}

static enum hw_err
memstats(struct rctx *c)
{
    size_t k, m = 0;
    enum hw_err err;

    c->r->memstats = arena_calloc(c->a, NMEMSTATS, sizeof(*c->r->memstats));
    if (c->r->memstats == NULL)
        return arena_error(c->a);
    for (k = 0; k < NMEMSTATS; k++) {
        struct leak_memstat *ms = &c->r->memstats[m];

        ms->name = memstat_names[k];
        if ((ms->points = points(c, NULL, c->t->ms[k], 0, &ms->npoints)) == NULL)
            return arena_error(c->a);
        if (ms->npoints == 0)
            continue;
        if ((err = points_trend(c, ms->points, ms->npoints, &ms->trend)) != HW_OK)
            return err;
        m++;
    }
    c->r->nmemstats = m;
    return HW_OK;
}

/* The total's trend and the growth floor. */
static enum hw_err
total(struct rctx *c)
{
    const struct leak_opts *o = &c->t->o;
    struct leak_report *r = c->r;
    double min_rate;
    enum hw_err err;

    r->points = points(c, NULL, c->t->total, 0, &r->npoints);
    if (r->points == NULL)
        return arena_error(c->a);
    if ((err = points_trend(c, r->points, r->npoints, &r->total)) != HW_OK)
        return err;
    r->value = c->t->n ? c->t->total[c->t->n - 1] : 0;
    r->objects = c->t->n ? c->t->objects[c->t->n - 1] : 0;
    min_rate = r->kind == LEAK_KIND_HEAP ? o->min_rate_bytes : o->min_rate_goroutines;
    c->floor = o->min_rate_frac * r->value;
    if (c->floor < min_rate)
        c->floor = min_rate;
    if (r->kind == LEAK_KIND_HEAP && c->t->period > 0 && c->t->n > 1) {
        double minutes = (double)(c->t->times[c->t->n - 1] - c->t->times[0]) / 60000.0;
        double noise = minutes > 0 ? o->min_growth_periods * c->t->period / minutes : 0;

        if (c->floor < noise)
            c->floor = noise;
    }
    r->floor_per_min = c->floor;
    return HW_OK;
}

static enum leak_verdict
verdict(const struct rctx *c)
{
    const struct leak_opts *o = &c->t->o;
    const struct leak_report *r = c->r;
    const struct trend *tr = &r->total;

    if (r->nscrapes < o->min_scrapes || r->last_ms - r->first_ms < o->min_window_ms)
        return LEAK_NOT_ENOUGH_DATA;
    if (rises(o, tr) && tr->slope >= c->floor && r->nsuspects > 0 &&
        r->suspects[0].share >= o->leak_share)
        return LEAK_LEAK;
    if (tr->slope > 0 && tr->p < o->growing_p && !tr->levelled)
        return LEAK_GROWING;
    return LEAK_STABLE;
}

/* Why the verdict is what it is, in one sentence. */
static const char *
reason(struct rctx *c)
{
    const struct leak_opts *o = &c->t->o;
    const struct leak_report *r = c->r;
    const struct trend *tr = &r->total;

    switch (r->verdict) {
    case LEAK_NOT_ENOUGH_DATA:
        return rfmt(c, "not enough data: need %zu scrapes over at least %.0f s", o->min_scrapes,
                    (double)o->min_window_ms / 1000);
    case LEAK_LEAK:
        return rfmt(c,
                    "leak: the total rises (p < %g, tau >= %g), has not levelled off, grows "
                    "faster than the floor, and the top suspect explains %.0f%% of it",
                    o->p_value, o->min_tau, 100 * r->suspects[0].share);
    case LEAK_GROWING:
        if (tr->p >= o->p_value || tr->tau < o->min_tau)
            return rfmt(c,
                        "growing: the total rises, but not consistently enough for a leak "
                        "(p < %g and tau >= %g needed)",
                        o->p_value, o->min_tau);
        if (tr->slope < c->floor)
            return rfmt(c, "growing: the total rises consistently, but slower than the floor");
        return rfmt(c, "growing: the total rises, but no stack or site explains %.0f%% of it",
                    100 * o->leak_share);
    case LEAK_STABLE:
        break;
    }
    if (tr->slope > 0 && tr->levelled && tr->p < o->growing_p)
        return rfmt(c,
                    "stable: the total rose but has levelled off (the last %zu points rise "
                    "%.0f%% as fast)",
                    tr->recent_n, 100 * (tr->recent_slope > 0 ? tr->recent_slope / tr->slope : 0));
    return rfmt(c, "stable: the total does not rise consistently (p = %.2g)", tr->p);
}

static enum hw_err
evidence_total(struct rctx *c)
{
    const struct leak_report *r = c->r;
    const struct trend *tr = &r->total;
    char now[64], rate[64], recent[64], fl[64], least[64];
    enum hw_err err;

    human(c, r->value, now, sizeof(now));
    human(c, tr->slope, rate, sizeof(rate));
    human(c, tr->recent_slope, recent, sizeof(recent));
    human(c, c->floor, fl, sizeof(fl));
    human(c, r->kind == LEAK_KIND_HEAP ? c->t->o.min_rate_bytes : c->t->o.min_rate_goroutines,
          least, sizeof(least));
    err = evidence(c, rfmt(c,
                           "total %s now %s, %s/min (Theil-Sen); Mann-Kendall Z = %.2f, "
                           "p = %.2g, tau = %.2f; last %zu points %s/min, p = %.2g: %s",
                           r->kind == LEAK_KIND_HEAP ? "inuse_space" : "goroutines", now, rate,
                           tr->z, tr->p, tr->tau, tr->recent_n, recent, tr->recent_p,
                           tr->levelled ? "levelled off" : "still rising"));
    if (err != HW_OK)
        return err;
    return evidence(c, rfmt(c,
                            "growth floor %s/min (%.2g%% of the total per minute, at "
                            "least %s/min)",
                            fl, 100 * c->t->o.min_rate_frac, least));
}

static enum hw_err
evidence_rest(struct rctx *c)
{
    const struct leak_report *r = c->r;
    char rate[64];
    size_t k;
    enum hw_err err = HW_OK;

    if (r->nsuspects > 0) {
        const struct leak_suspect *s = &r->suspects[0];

        human(c, s->growth_per_min, rate, sizeof(rate));
        err = evidence(c, rfmt(c,
                               "top suspect %s: %s/min, %.0f%% of the total's growth, "
                               "p = %.2g, tau = %.2f",
                               s->site, rate, 100 * s->share, s->trend.p, s->trend.tau));
    } else if (r->verdict != LEAK_NOT_ENOUGH_DATA) {
        err = evidence(c, rfmt(c,
                               "no stack or site rises consistently with %.0f%% of the "
                               "growth or more",
                               100 * c->t->o.suspect_share));
    }
    for (k = 0; k < r->nmemstats && err == HW_OK; k++) {
        const struct leak_memstat *m = &r->memstats[k];

        snprintf(rate, sizeof(rate), "%.4g", m->trend.slope);
        if (strcmp(m->name, "NumGC") != 0 && strcmp(m->name, "HeapObjects") != 0)
            human(c, m->trend.slope, rate, sizeof(rate));
        err =
            evidence(c, rfmt(c, "MemStats %s: %s/min, p = %.2g, tau = %.2f%s", m->name, rate,
                             m->trend.p, m->trend.tau, m->trend.levelled ? ", levelled off" : ""));
    }
    return err;
}

static enum hw_err
evidence_all(struct rctx *c)
{
    const struct leak_report *r = c->r;
    double secs = (double)(r->last_ms - r->first_ms) / 1000;
    enum hw_err err;

    if ((err = evidence(c, reason(c))) != HW_OK)
        return err;
    err =
        evidence(c, rfmt(c, "%zu scrapes over %.0f s (%zu points)%s", r->nscrapes, secs, r->npoints,
                         r->restarts ? "; the window starts at the last restart" : ""));
    if (err != HW_OK || r->npoints == 0)
        return err;
    if ((err = evidence_total(c)) != HW_OK)
        return err;
    return evidence_rest(c);
}

static enum hw_err
report_fill(struct rctx *c)
{
    const struct leak_tracker *t = c->t;
    struct leak_report *r = c->r;
    enum hw_err err;

    r->kind = t->kind;
    r->kind_name = leak_kind_name(t->kind);
    r->unit = t->kind == LEAK_KIND_HEAP ? "bytes" : "count";
    r->nscrapes = (size_t)t->seq;
    r->restarts = t->restarts;
    r->first_ms = t->n ? t->times[0] : 0;
    r->last_ms = t->n ? t->times[t->n - 1] : 0;
    if ((err = total(c)) != HW_OK || (err = suspects(c)) != HW_OK || (err = memstats(c)) != HW_OK)
        return err;
    r->verdict = verdict(c);
    r->verdict_name = leak_verdict_name(r->verdict);
    if (r->verdict == LEAK_NOT_ENOUGH_DATA)
        r->nsuspects = 0; /* too little to accuse anything */
    return evidence_all(c);
}

enum hw_err
leak_tracker_report(const struct leak_tracker *t, struct leak_report **out)
{
    struct arena *a = arena_new(0);
    struct rctx c = {.t = t, .a = a};
    enum hw_err err = HW_NOMEM;

    *out = NULL;
    if (a == NULL)
        return HW_NOMEM;
    c.r = arena_calloc(a, 1, sizeof(*c.r));
    c.tm = arena_alloc(a, (t->o.max_points + 1) * sizeof(*c.tm));
    c.y = arena_alloc(a, (t->o.max_points + 1) * sizeof(*c.y));
    if (c.r == NULL || c.tm == NULL || c.y == NULL)
        goto fail;
    c.r->arena = a;
    if ((err = report_fill(&c)) != HW_OK)
        goto fail;
    *out = c.r;
    return HW_OK;
fail:
    arena_free(a);
    return err;
}

void
leak_report_free(struct leak_report *r)
{
    if (r != NULL)
        arena_free(r->arena);
}

/* pprof.c - profile.proto bytes to the model. protobuf-c unpacks the message with the
 * arena as its allocator; then ids are resolved to pointers and string indices to
 * strings, with every reference checked, so consumers never see a dangling id. The
 * unpacked message stays in the arena (its strings and value arrays are reused). */
#include "decode.h"

#include <inttypes.h>
#include <string.h>

#include "profile.pb-c.h"

_Static_assert(sizeof(struct location *) <= sizeof(uint64_t), "ids are reused for pointers");

typedef Perftools__Profiles__Profile PbProfile;

static void *
pb_alloc(void *data, size_t n)
{
    return arena_alloc(data, n);
}

/* Small blocks go with the arena; protobuf-c's large scratch slabs are given back. */
static void
pb_free(void *data, void *p)
{
    arena_release(data, p);
}

/* Resolves ids to array positions: a direct table for the usual dense ids 1..n, a
 * small open-addressing hash for anything else. */
struct idmap {
    uint64_t *keys;
    uint32_t *vals;
    size_t mask, direct_n;
    uint32_t *direct;
};

static enum hw_err
idmap_init(struct arena *a, struct idmap *m, size_t n)
{
    size_t cap = 16;

    while (cap < n * 2)
        cap *= 2;
    m->mask = cap - 1;
    m->direct_n = n + 1;
    m->keys = arena_calloc(a, cap, sizeof(*m->keys));
    m->vals = arena_calloc(a, cap, sizeof(*m->vals));
    m->direct = arena_calloc(a, n + 1, sizeof(*m->direct));
    if (m->keys == NULL || m->vals == NULL || m->direct == NULL)
        return arena_error(a);
    return HW_OK;
}

static size_t
idmap_slot(const struct idmap *m, uint64_t id)
{
    size_t h = (size_t)((id * 0x9e3779b97f4a7c15ull) >> 17) & m->mask;

    while (m->keys[h] != 0 && m->keys[h] != id)
        h = (h + 1) & m->mask;
    return h;
}

/* Stores id -> pos+1; false when id is 0 or already present. */
static bool
idmap_put(struct idmap *m, uint64_t id, size_t pos)
{
    size_t h;

    if (id == 0)
        return false;
    if (id < m->direct_n) {
        if (m->direct[id] != 0)
            return false;
        m->direct[id] = (uint32_t)pos + 1;
        return true;
    }
    h = idmap_slot(m, id);
    if (m->keys[h] == id)
        return false;
    m->keys[h] = id;
    m->vals[h] = (uint32_t)pos + 1;
    return true;
}

/* The position of id, or -1. */
static long
idmap_get(const struct idmap *m, uint64_t id)
{
    size_t h;

    if (id < m->direct_n)
        return (long)m->direct[id] - 1;
    h = idmap_slot(m, id);
    return m->keys[h] == id ? (long)m->vals[h] - 1 : -1;
}

struct pbctx {
    struct arena *a;
    const PbProfile *pb;
    struct profile *p;
    struct errbuf *eb;
    struct idmap maps, fns, locs;
};

/* String index checks: pprof rejects an index outside the table as malformed. */
static bool
str_at(const struct pbctx *c, int64_t i, const char **out)
{
    if (i < 0 || (uint64_t)i >= c->pb->n_string_table)
        return false;
    *out = c->pb->string_table[i];
    return true;
}

#define STR(c, idx, dst, ...)                                                                      \
    do {                                                                                           \
        if (!str_at((c), (idx), (dst)))                                                            \
            return errbuf_set((c)->eb, HW_BADDATA, __VA_ARGS__);                                   \
    } while (0)

static enum hw_err
convert_mappings(struct pbctx *c)
{
    size_t i, n = c->pb->n_mapping;
    struct mapping *ms = arena_calloc(c->a, n, sizeof(*ms));

    if (ms == NULL || idmap_init(c->a, &c->maps, n) != HW_OK)
        return arena_error(c->a);
    for (i = 0; i < n; i++) {
        const Perftools__Profiles__Mapping *pm = c->pb->mapping[i];
        struct mapping *m = &ms[i];

        m->id = pm->id;
        m->start = pm->memory_start;
        m->limit = pm->memory_limit;
        m->offset = pm->file_offset;
        STR(c, pm->filename, &m->file, "mapping %" PRIu64 ": filename string index %" PRId64
            " out of range", pm->id, pm->filename);
        STR(c, pm->build_id, &m->build_id, "mapping %" PRIu64 ": build_id string index %" PRId64
            " out of range", pm->id, pm->build_id);
        m->has_functions = pm->has_functions;
        m->has_filenames = pm->has_filenames;
        m->has_line_numbers = pm->has_line_numbers;
        m->has_inline_frames = pm->has_inline_frames;
        if (!idmap_put(&c->maps, pm->id, i))
            return errbuf_set(c->eb, HW_BADDATA, "mapping %zu: %s id %" PRIu64, i,
                              pm->id == 0 ? "reserved" : "duplicate", pm->id);
    }
    c->p->mappings = ms;
    c->p->nmappings = n;
    return HW_OK;
}

static enum hw_err
convert_functions(struct pbctx *c)
{
    size_t i, n = c->pb->n_function;
    struct function *fs = arena_calloc(c->a, n, sizeof(*fs));

    if (fs == NULL || idmap_init(c->a, &c->fns, n) != HW_OK)
        return arena_error(c->a);
    for (i = 0; i < n; i++) {
        const Perftools__Profiles__Function *pf = c->pb->function[i];
        struct function *f = &fs[i];

        f->id = pf->id;
        STR(c, pf->name, &f->name, "function %" PRIu64 ": name string index %" PRId64
            " out of range", pf->id, pf->name);
        STR(c, pf->system_name, &f->system_name, "function %" PRIu64 ": system_name string index %"
            PRId64 " out of range", pf->id, pf->system_name);
        STR(c, pf->filename, &f->filename, "function %" PRIu64 ": filename string index %" PRId64
            " out of range", pf->id, pf->filename);
        f->start_line = pf->start_line;
        if (!idmap_put(&c->fns, pf->id, i))
            return errbuf_set(c->eb, HW_BADDATA, "function %zu: %s id %" PRIu64, i,
                              pf->id == 0 ? "reserved" : "duplicate", pf->id);
    }
    c->p->functions = fs;
    c->p->nfunctions = n;
    return HW_OK;
}

static enum hw_err
convert_location(struct pbctx *c, const Perftools__Profiles__Location *pl, struct location *l)
{
    size_t j;
    long pos;

    l->id = pl->id;
    l->address = pl->address;
    l->is_folded = pl->is_folded;
    if (pl->mapping_id != 0) {
        if ((pos = idmap_get(&c->maps, pl->mapping_id)) < 0)
            return errbuf_set(c->eb, HW_BADDATA, "location %" PRIu64 ": unknown mapping id %" PRIu64,
                              pl->id, pl->mapping_id);
        l->mapping = &c->p->mappings[pos];
    }
    l->nlines = pl->n_line;
    if (pl->n_line == 0)
        return HW_OK;
    if ((l->lines = arena_alloc(c->a, pl->n_line * sizeof(*l->lines))) == NULL)
        return arena_error(c->a);
    for (j = 0; j < pl->n_line; j++) {
        const Perftools__Profiles__Line *pn = pl->line[j];

        if ((pos = idmap_get(&c->fns, pn->function_id)) < 0)
            return errbuf_set(c->eb, HW_BADDATA, "location %" PRIu64 ": line %zu: %s function id %"
                              PRIu64, pl->id, j, pn->function_id ? "unknown" : "missing",
                              pn->function_id);
        l->lines[j].fn = &c->p->functions[pos];
        l->lines[j].line = pn->line;
    }
    return HW_OK;
}

static enum hw_err
convert_locations(struct pbctx *c)
{
    size_t i, n = c->pb->n_location;
    struct location *ls = arena_calloc(c->a, n, sizeof(*ls));
    enum hw_err err;

    if (ls == NULL || idmap_init(c->a, &c->locs, n) != HW_OK)
        return arena_error(c->a);
    c->p->locations = ls;
    c->p->nlocations = n;
    for (i = 0; i < n; i++) {
        if ((err = convert_location(c, c->pb->location[i], &ls[i])) != HW_OK)
            return err;
        if (!idmap_put(&c->locs, ls[i].id, i))
            return errbuf_set(c->eb, HW_BADDATA, "location %zu: %s id %" PRIu64, i,
                              ls[i].id == 0 ? "reserved" : "duplicate", ls[i].id);
    }
    return HW_OK;
}

static enum hw_err
convert_labels(struct pbctx *c, size_t si, const Perftools__Profiles__Sample *ps,
               struct sample *s)
{
    size_t j, n = 0;

    if (ps->n_label == 0)
        return HW_OK;
    if ((s->labels = arena_calloc(c->a, ps->n_label, sizeof(*s->labels))) == NULL)
        return arena_error(c->a);
    for (j = 0; j < ps->n_label; j++) {
        const Perftools__Profiles__Label *pl = ps->label[j];
        struct label *l = &s->labels[n];

        STR(c, pl->key, &l->key, "sample %zu: label %zu: key string index %" PRId64
            " out of range", si, j, pl->key);
        l->unit = "";
        if (pl->str != 0) {
            STR(c, pl->str, &l->str, "sample %zu: label %zu: string index %" PRId64
                " out of range", si, j, pl->str);
        } else if (pl->num != 0 || pl->num_unit != 0) {
            STR(c, pl->num_unit, &l->unit, "sample %zu: label %zu: unit string index %" PRId64
                " out of range", si, j, pl->num_unit);
            l->num = pl->num;
        } else {
            continue; /* pprof ignores a label with neither a string nor a number */
        }
        n++;
    }
    s->nlabels = n;
    return HW_OK;
}

static enum hw_err
convert_samples(struct pbctx *c)
{
    size_t i, j, n = c->pb->n_sample;
    struct sample *ss = arena_calloc(c->a, n, sizeof(*ss));
    enum hw_err err;

    if (ss == NULL)
        return arena_error(c->a);
    for (i = 0; i < n; i++) {
        const Perftools__Profiles__Sample *ps = c->pb->sample[i];
        struct sample *s = &ss[i];

        if (ps->n_value != c->p->ntypes)
            return errbuf_set(c->eb, HW_BADDATA, "sample %zu: %zu values for %zu sample types", i,
                              ps->n_value, c->p->ntypes);
        s->values = ps->value;
        s->nlocs = ps->n_location_id;
        /* The ids are replaced by pointers in the same (arena) storage, which saves a
         * copy per sample; a pointer is never wider than the id it replaces. */
        s->locs = (struct location **)(void *)ps->location_id;
        for (j = 0; j < s->nlocs; j++) {
            uint64_t id = ps->location_id[j];
            long pos = idmap_get(&c->locs, id);

            if (pos < 0)
                return errbuf_set(c->eb, HW_BADDATA, "sample %zu: unknown location id %" PRIu64, i,
                                  id);
            s->locs[j] = &c->p->locations[pos];
        }
        if ((err = convert_labels(c, i, ps, s)) != HW_OK)
            return err;
    }
    c->p->samples = ss;
    c->p->nsamples = n;
    return HW_OK;
}

static enum hw_err
convert_value_type(struct pbctx *c, const Perftools__Profiles__ValueType *vt,
                   struct value_type *out, const char *what)
{
    if (vt == NULL) {
        out->type = out->unit = "";
        return HW_OK;
    }
    STR(c, vt->type, &out->type, "%s: type string index %" PRId64 " out of range", what,
        vt->type);
    STR(c, vt->unit, &out->unit, "%s: unit string index %" PRId64 " out of range", what,
        vt->unit);
    return HW_OK;
}

static enum hw_err
convert_header(struct pbctx *c)
{
    const PbProfile *pb = c->pb;
    struct profile *p = c->p;
    enum hw_err err;
    size_t i;

    if (pb->n_string_table == 0 || pb->string_table[0][0] != '\0')
        return errbuf_set(c->eb, HW_BADDATA, "string_table[0] must be the empty string");
    p->ntypes = pb->n_sample_type;
    if ((p->sample_types = arena_calloc(c->a, p->ntypes + 1, sizeof(*p->sample_types))) == NULL)
        return arena_error(c->a);
    for (i = 0; i < p->ntypes; i++)
        if ((err = convert_value_type(c, pb->sample_type[i], &p->sample_types[i],
                                      "sample_type")) != HW_OK)
            return err;
    if ((err = convert_value_type(c, pb->period_type, &p->period_type, "period_type")) != HW_OK)
        return err;
    STR(c, pb->drop_frames, &p->drop_frames, "drop_frames string index out of range");
    STR(c, pb->keep_frames, &p->keep_frames, "keep_frames string index out of range");
    STR(c, pb->default_sample_type, &p->default_sample_type,
        "default_sample_type string index out of range");
    p->time_nanos = pb->time_nanos;
    p->duration_nanos = pb->duration_nanos;
    p->period = pb->period;
    p->ncomments = pb->n_comment;
    if ((p->comments = arena_calloc(c->a, pb->n_comment + 1, sizeof(*p->comments))) == NULL)
        return arena_error(c->a);
    for (i = 0; i < pb->n_comment; i++)
        STR(c, pb->comment[i], &p->comments[i], "comment %zu: string index out of range", i);
    return HW_OK;
}

enum hw_err
pprof_decode(struct arena *a, const unsigned char *data, size_t len, struct profile **out,
             struct errbuf *eb)
{
    ProtobufCAllocator alloc = {pb_alloc, pb_free, a};
    struct pbctx c = {.a = a, .eb = eb};
    enum hw_err err;

    *out = NULL;
    if (len == 0)
        return errbuf_set(eb, HW_BADDATA, "empty input");
    c.pb = perftools__profiles__profile__unpack(&alloc, len, data);
    if (c.pb == NULL) {
        if (arena_error(a) != HW_OK)
            return errbuf_set(eb, arena_error(a), "decoding the protobuf needs more than %zu bytes",
                              arena_limit(a));
        return errbuf_set(eb, HW_BADDATA, "not a valid profile.proto message (truncated or "
                                          "corrupt protobuf)");
    }
    if ((c.p = profile_new(a)) == NULL)
        return arena_error(a);
    c.p->format = PROFILE_PROTO;
    if ((err = convert_header(&c)) != HW_OK || (err = convert_mappings(&c)) != HW_OK ||
        (err = convert_functions(&c)) != HW_OK || (err = convert_locations(&c)) != HW_OK ||
        (err = convert_samples(&c)) != HW_OK)
        return err;
    *out = c.p;
    return HW_OK;
}

/* pprof.c - profile.proto bytes to the model. The top-level fields are framed first:
 * everything but the samples is unpacked by protobuf-c with the arena as its allocator
 * and stays there (its strings are reused); the samples are unpacked a batch at a time
 * into scratch memory and copied out compactly (see "samples, a batch at a time").
 * Ids are resolved to pointers and string indices to strings, with every reference
 * checked, so consumers never see a dangling id. */
#include "decode.h"

#include <inttypes.h>
#include <stdlib.h>
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

/* ---- samples, a batch at a time ----
 * A message's encoding is the concatenation of its fields, so any run of whole
 * top-level fields is itself a valid Profile. Samples (field 2) are unpacked by
 * protobuf-c in batches of a few tens of kB into a scratch region that is reused,
 * and copied out compactly: equal stacks and equal label sets are stored once and
 * shared, values go to one array. Unpacking every sample at once into the arena
 * held about ten times the encoded size (a struct, an id array, a value array and
 * label structs per sample) for as long as the profile lived. */

#define BATCH_BYTES ((size_t)64 << 10)

/* Room left under a's limit, for the scratch arena a batch is unpacked into, so that
 * a hostile batch fails with HW_TOOBIG as the arena itself would (1: none left, as
 * 0 would mean no limit). */
static size_t
arena_room(const struct arena *a)
{
    size_t limit = arena_limit(a), used = arena_used(a);

    if (limit == 0)
        return 0;
    return limit > used ? limit - used : 1;
}

/* Interns byte strings (stacks as pointer arrays, label sets as label arrays) into
 * the arena: equal contents give the same pointer. A slot holds the copy, its
 * length and hash bits, so a probe touches one cache line before the comparison. */
struct islot {
    const void *p; /* NULL = empty */
    uint32_t h, len;
};

struct interner {
    struct islot *slots;
    size_t mask, n;
    struct islot last; /* the latest hit or addition */
    size_t hint;       /* entries expected, for the first table */
};

static uint64_t
bytes_hash(const unsigned char *p, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ len, w;
    size_t i;

    for (i = 0; i + 8 <= len; i += 8) {
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 29;
    }
    for (; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    h ^= h >> 32;
    return h * 0xc4ceb9fe1a85ec53ull;
}

static size_t
islot_home(const struct interner *t, uint32_t h)
{
    return (size_t)(h * 0x9e3779b1u) & t->mask;
}

/* Doubles the table, or makes its first one with room for about hint entries. */
static enum hw_err
interner_grow(struct interner *t, size_t hint)
{
    size_t cap = t->slots ? (t->mask + 1) * 2 : 16, i, k;
    struct islot *old = t->slots;
    size_t oldcap = old ? t->mask + 1 : 0;

    while (old == NULL && cap < hint * 2 && cap < 4096)
        cap *= 2;
    if (cap > SIZE_MAX / sizeof(*t->slots) ||
        (t->slots = arena_pages(cap * sizeof(*t->slots))) == NULL) {
        t->slots = old;
        return HW_NOMEM;
    }
    t->mask = cap - 1;
    for (i = 0; i < oldcap; i++) {
        if (old[i].p == NULL)
            continue;
        for (k = islot_home(t, old[i].h); t->slots[k].p != NULL; k = (k + 1) & t->mask)
            ;
        t->slots[k] = old[i];
    }
    arena_pages_free(old, oldcap * sizeof(*old));
    return HW_OK;
}

/* The arena copy of the len bytes at p, shared with every earlier equal one. */
static const void *
intern(struct arena *a, struct interner *t, const void *p, size_t len, enum hw_err *err)
{
    uint32_t h;
    size_t i;
    void *copy;

    /* Go writes a stack's size buckets one after another, so the last entry is
     * worth a look before hashing. */
    if (t->last.p != NULL && t->last.len == len && memcmp(t->last.p, p, len) == 0)
        return t->last.p;
    if (len > UINT32_MAX) {
        *err = HW_TOOBIG;
        return NULL;
    }
    if ((t->n + 1) * 2 > (t->slots ? t->mask + 1 : 0) && (*err = interner_grow(t, t->hint)) != HW_OK)
        return NULL;
    h = (uint32_t)(bytes_hash(p, len) >> 32);
    for (i = islot_home(t, h); t->slots[i].p != NULL; i = (i + 1) & t->mask)
        if (t->slots[i].h == h && t->slots[i].len == len && memcmp(t->slots[i].p, p, len) == 0) {
            t->last = t->slots[i];
            return t->last.p;
        }
    if ((copy = arena_alloc(a, len > 0 ? len : 1)) == NULL) {
        *err = arena_error(a);
        return NULL;
    }
    memcpy(copy, p, len);
    t->slots[i] = (struct islot){copy, h, (uint32_t)len};
    t->last = t->slots[i];
    t->n++;
    return copy;
}

static void
interner_done(struct interner *t)
{
    arena_pages_free(t->slots, t->slots ? (t->mask + 1) * sizeof(*t->slots) : 0);
}

/* What converting the samples needs besides the context: where they go, the
 * interners, and the scratch arena each batch is unpacked into (reset between). */
struct sampler {
    struct pbctx *c;
    size_t next; /* index of the next sample */
    int64_t *values;
    struct interner stacks, labelsets;
    struct arena *scratch;
};

static enum hw_err
convert_labels(struct sampler *sm, size_t si, const Perftools__Profiles__Sample *ps,
               struct sample *s)
{
    struct pbctx *c = sm->c;
    size_t j, n = 0;
    enum hw_err err = HW_OK;

    struct label *labels;

    if (ps->n_label == 0)
        return HW_OK;
    /* Zeroed so that padding compares equal when the set is interned. */
    if ((labels = arena_calloc(sm->scratch, ps->n_label, sizeof(*labels))) == NULL)
        return errbuf_set(c->eb, arena_error(sm->scratch),
                          "decoding the protobuf needs more than %zu bytes", arena_limit(c->a));
    for (j = 0; j < ps->n_label; j++) {
        const Perftools__Profiles__Label *pl = ps->label[j];
        struct label *l = &labels[n];

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
    if (n == 0)
        return HW_OK;
    s->labels = (struct label *)(uintptr_t)intern(c->a, &sm->labelsets, labels,
                                                  n * sizeof(*labels), &err);
    s->nlabels = n;
    return s->labels == NULL ? err : HW_OK;
}

/* The ids are replaced by pointers in the unpacked id array itself (scratch memory,
 * and a pointer is never wider than the id it replaces), which is then interned. */
static enum hw_err
convert_stack(struct sampler *sm, size_t si, Perftools__Profiles__Sample *ps, struct sample *s)
{
    struct pbctx *c = sm->c;
    struct location **locs = (struct location **)(void *)ps->location_id;
    size_t j, n = ps->n_location_id;
    enum hw_err err = HW_OK;

    if (n == 0)
        return HW_OK;
    for (j = 0; j < n; j++) {
        uint64_t id = ps->location_id[j];
        long pos = idmap_get(&c->locs, id);

        if (pos < 0)
            return errbuf_set(c->eb, HW_BADDATA, "sample %zu: unknown location id %" PRIu64, si,
                              id);
        locs[j] = &c->p->locations[pos];
    }
    s->locs = (struct location **)(uintptr_t)intern(c->a, &sm->stacks, locs, n * sizeof(*locs),
                                                    &err);
    s->nlocs = n;
    return s->locs == NULL ? err : HW_OK;
}

/* Unpacks the sample fields in data[0..len) and appends them to the profile. */
static enum hw_err
convert_batch(struct sampler *sm, const unsigned char *data, size_t len, size_t nsamples)
{
    struct pbctx *c = sm->c;
    ProtobufCAllocator alloc = {pb_alloc, pb_free, sm->scratch};
    PbProfile *pb;
    enum hw_err err = HW_OK;
    size_t i, nt = c->p->ntypes;

    arena_reset(sm->scratch, arena_room(c->a));
    if ((pb = perftools__profiles__profile__unpack(&alloc, len, data)) == NULL) {
        if (arena_error(sm->scratch) != HW_OK)
            return errbuf_set(c->eb, arena_error(sm->scratch),
                              "decoding the protobuf needs more than %zu bytes", arena_limit(c->a));
        return errbuf_set(c->eb, HW_BADDATA, "not a valid profile.proto message (corrupt sample "
                          "after sample %zu)", sm->next);
    }
    if (pb->n_sample > nsamples - sm->next) /* framing and protobuf-c disagree */
        return errbuf_set(c->eb, HW_BADDATA, "not a valid profile.proto message");
    for (i = 0; i < pb->n_sample && err == HW_OK; i++) {
        Perftools__Profiles__Sample *ps = pb->sample[i];
        size_t si = sm->next++;
        struct sample *s = &c->p->samples[si];

        if (ps->n_value != nt)
            return errbuf_set(c->eb, HW_BADDATA, "sample %zu: %zu values for %zu sample types", si,
                              ps->n_value, nt);
        s->values = sm->values + si * nt;
        if (nt > 0)
            memcpy(s->values, ps->value, nt * sizeof(*s->values));
        if ((err = convert_stack(sm, si, ps, s)) == HW_OK)
            err = convert_labels(sm, si, ps, s);
    }
    return err;
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

/* ---- top-level framing ---- */

/* Reads the varint at *p; false when it runs past end or past ten bytes. */
static bool
read_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    uint64_t x = 0;
    unsigned shift;

    for (shift = 0; shift < 70 && *p < end; shift += 7) {
        unsigned char b = *(*p)++;

        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

/* The top-level key of a sample: field 2, length-delimited. */
#define SAMPLE_KEY (2 << 3 | 2)

/* How many sample fields there are, and everything else, copied in order into rest. */
struct framing {
    struct buf rest;
    size_t nsamples;
};

/* Steps over one field at *p; false when it is cut short or of an unknown wire type. */
static bool
skip_field(const unsigned char **p, const unsigned char *end, uint64_t *key)
{
    uint64_t n;

    if (!read_varint(p, end, key))
        return false;
    switch (*key & 7) {
    case 0:
        return read_varint(p, end, &n);
    case 1:
        n = 8;
        break;
    case 2:
        if (!read_varint(p, end, &n))
            return false;
        break;
    case 5:
        n = 4;
        break;
    default: /* groups (3, 4) are not part of profile.proto; 6 and 7 do not exist */
        return false;
    }
    if (n > (uint64_t)(end - *p))
        return false;
    *p += n;
    return true;
}

static enum hw_err
frame_fields(const unsigned char *data, size_t len, struct framing *f, struct errbuf *eb)
{
    const unsigned char *p = data, *end = data + len, *field;
    uint64_t key;

    while (p < end) {
        field = p;
        if (!skip_field(&p, end, &key))
            return errbuf_set(eb, HW_BADDATA, "not a valid profile.proto message (truncated or "
                              "corrupt protobuf at byte %zu)", (size_t)(field - data));
        if (key == SAMPLE_KEY)
            f->nsamples++;
        else if (buf_append(&f->rest, field, (size_t)(p - field)) != HW_OK)
            return HW_TOOBIG;
    }
    return HW_OK;
}

/* Walks the message again (it was framed once, so every field steps over cleanly)
 * and converts its runs of sample fields, a batch at a time. */
static enum hw_err
convert_samples(struct pbctx *c, const unsigned char *data, size_t len, size_t nsamples)
{
    struct sampler sm = {.c = c};
    const unsigned char *p = data, *end = data + len, *batch = NULL, *field;
    size_t nt = c->p->ntypes;
    enum hw_err err = HW_OK;
    uint64_t key = 0;
    bool more;

    sm.stacks.hint = sm.labelsets.hint = nsamples;
    if ((sm.scratch = arena_new(arena_room(c->a))) == NULL)
        return HW_NOMEM;
    c->p->samples = arena_calloc(c->a, nsamples + 1, sizeof(*c->p->samples));
    sm.values = nt > 0 && nsamples > SIZE_MAX / sizeof(int64_t) / nt
                    ? NULL
                    : arena_alloc(c->a, (nsamples * nt + 1) * sizeof(int64_t));
    if (c->p->samples == NULL || sm.values == NULL)
        err = arena_error(c->a) != HW_OK ? arena_error(c->a) : HW_TOOBIG;
    while (err == HW_OK) {
        field = p;
        more = p < end && skip_field(&p, end, &key);
        /* A batch ends before a field that is not a sample, at its size, or at the end. */
        if (batch != NULL &&
            (!more || key != SAMPLE_KEY || (size_t)(field - batch) >= BATCH_BYTES)) {
            err = convert_batch(&sm, batch, (size_t)(field - batch), nsamples);
            batch = NULL;
        }
        if (!more)
            break;
        if (key == SAMPLE_KEY && batch == NULL)
            batch = field;
    }
    c->p->nsamples = sm.next;
    arena_free(sm.scratch);
    interner_done(&sm.stacks);
    interner_done(&sm.labelsets);
    return err;
}

enum hw_err
pprof_decode(struct arena *a, const unsigned char *data, size_t len, struct profile **out,
             struct errbuf *eb)
{
    ProtobufCAllocator alloc = {pb_alloc, pb_free, a};
    struct pbctx c = {.a = a, .eb = eb};
    struct framing f = {0};
    enum hw_err err;

    *out = NULL;
    if (len == 0)
        return errbuf_set(eb, HW_BADDATA, "empty input");
    buf_init(&f.rest, arena_limit(a));
    if ((err = frame_fields(data, len, &f, eb)) != HW_OK) {
        if (err == HW_TOOBIG || err == HW_NOMEM)
            errbuf_set(eb, err, "decoding the protobuf needs more than %zu bytes", arena_limit(a));
        goto out;
    }
    c.pb = perftools__profiles__profile__unpack(&alloc, f.rest.len, f.rest.data);
    if (c.pb == NULL) {
        if (arena_error(a) != HW_OK)
            err = errbuf_set(eb, arena_error(a), "decoding the protobuf needs more than %zu bytes",
                             arena_limit(a));
        else
            err = errbuf_set(eb, HW_BADDATA, "not a valid profile.proto message (truncated or "
                                             "corrupt protobuf)");
        goto out;
    }
    if ((c.p = profile_new(a)) == NULL) {
        err = arena_error(a);
        goto out;
    }
    c.p->format = PROFILE_PROTO;
    if ((err = convert_header(&c)) != HW_OK || (err = convert_mappings(&c)) != HW_OK ||
        (err = convert_functions(&c)) != HW_OK || (err = convert_locations(&c)) != HW_OK ||
        (err = convert_samples(&c, data, len, f.nsamples)) != HW_OK)
        goto out;
    *out = c.p;
out:
    buf_reset(&f.rest);
    return err;
}

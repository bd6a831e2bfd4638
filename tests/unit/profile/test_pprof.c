/* test_pprof.c - profile.proto bytes to the model: every field, every reference check
 * with its exact message, and hostile input (every truncation, every arena limit).
 * Test profiles are built in C and packed with protobuf-c, so no binary blobs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "decode.h"
#include "profile.h"
#include "profile.pb-c.h"
#include "pbb.h"

/* A heap profile using every field of the message. */
static struct pbb *
rich_profile(struct arena *a)
{
    struct pbb *b = pbb_heap(a);
    int64_t *comments = arena_calloc(a, 2, sizeof(*comments));
    Perftools__Profiles__Mapping *m1, *m2;
    Perftools__Profiles__Sample *s;

    b->p.time_nanos = 1700000000123456789;
    b->p.duration_nanos = 30000000000;
    comments[0] = pbb_str(b, "first comment");
    comments[1] = pbb_str(b, "second comment");
    b->p.comment = comments;
    b->p.n_comment = 2;
    b->p.default_sample_type = pbb_str(b, "alloc_space");
    b->p.drop_frames = pbb_str(b, "runtime\\..*");
    b->p.keep_frames = pbb_str(b, "runtime\\.keep");

    m1 = pbb_mapping(b, "/usr/bin/app");
    m1->memory_start = 0x400000;
    m1->memory_limit = 0x800000;
    m1->file_offset = 0x1000;
    m1->build_id = pbb_str(b, "abc123");
    m1->has_functions = m1->has_filenames = m1->has_line_numbers = m1->has_inline_frames = 1;
    m2 = pbb_mapping(b, "/lib/libc.so.6");
    m2->memory_start = 0x7f0000000000;
    m2->memory_limit = 0x7f0000010000;

    /* Functions 1 main.main, 2 main.outer, 3 main.inner; locations 1 (main.main),
     * 2 (main.outer with main.inner inlined), 3 (no lines). */
    s = SAMPLE(b, "main.main:10;main.outer:17+main.inner:42", 1, 512, 1, 512);
    pbb_label(b, s, "bytes", NULL, 512, "bytes");
    pbb_label(b, s, "thread", "worker-1", 0, NULL);
    pbb_label(b, s, "empty", NULL, 0, NULL);   /* neither string nor number */
    pbb_label(b, s, "zero", NULL, 0, "count"); /* a number 0 with a unit */
    pbb_label(b, s, "request", NULL, 7, NULL);
    SAMPLE(b, "main.main:10;@0x7f0000000123", 2, 4096, 0, 0);
    b->locs[0]->mapping_id = 1;
    b->locs[0]->address = 0x401000;
    b->locs[1]->mapping_id = 1;
    b->locs[1]->address = 0x402000;
    b->locs[1]->is_folded = 1;
    b->locs[2]->mapping_id = 2;
    b->fns[1]->start_line = 15;
    b->fns[1]->system_name = pbb_str(b, "main.outer.sys");
    b->fns[2]->filename = pbb_str(b, "/src/app/inner.go");
    return b;
}

static struct profile *
decode_ok(struct arena *a, const unsigned char *data, size_t len)
{
    struct errbuf eb = {{0}};
    struct profile *p = NULL;
    enum hw_err err = pprof_decode(a, data, len, &p, &eb);

    if (err != HW_OK)
        fail_msg("pprof_decode: %s: %s", hw_strerror(err), eb.msg);
    assert_non_null(p);
    assert_int_equal(profile_check(p, &eb), HW_OK);
    return p;
}

/* Packs b, decodes it and expects err with exactly the message want. */
static void
decode_fails(struct pbb *b, enum hw_err want_err, const char *want)
{
    struct arena *a = arena_new(0);
    struct errbuf eb = {{0}};
    struct profile *p = (struct profile *)1;
    unsigned char *data;
    size_t len;
    enum hw_err err;

    data = pbb_pack(b, &len);
    err = pprof_decode(a, data, len, &p, &eb);
    assert_int_equal(err, want_err);
    assert_null(p);
    assert_string_equal(eb.msg, want);
    arena_free(a);
}

static void
test_header_fields(void **state)
{
    struct arena *a = *state;
    struct profile *p;
    unsigned char *data;
    size_t len;

    data = pbb_pack(rich_profile(a), &len);
    p = decode_ok(a, data, len);
    assert_ptr_equal(p->arena, a);
    assert_int_equal(p->format, PROFILE_PROTO);
    assert_int_equal(p->ntypes, 4);
    assert_string_equal(p->sample_types[0].type, "alloc_objects");
    assert_string_equal(p->sample_types[0].unit, "count");
    assert_string_equal(p->sample_types[1].type, "alloc_space");
    assert_string_equal(p->sample_types[1].unit, "bytes");
    assert_string_equal(p->sample_types[2].type, "inuse_objects");
    assert_string_equal(p->sample_types[3].type, "inuse_space");
    assert_string_equal(p->sample_types[3].unit, "bytes");
    assert_string_equal(p->period_type.type, "space");
    assert_string_equal(p->period_type.unit, "bytes");
    assert_int_equal(p->period, 524288);
    assert_int_equal(p->time_nanos, 1700000000123456789);
    assert_int_equal(p->duration_nanos, 30000000000);
    assert_int_equal(p->ncomments, 2);
    assert_string_equal(p->comments[0], "first comment");
    assert_string_equal(p->comments[1], "second comment");
    assert_string_equal(p->default_sample_type, "alloc_space");
    assert_string_equal(p->drop_frames, "runtime\\..*");
    assert_string_equal(p->keep_frames, "runtime\\.keep");
}

static void
test_absent_header_fields(void **state)
{
    struct arena *a = *state;
    struct pbb *b = pbb_new(a);
    struct profile *p;

    pbb_type(b, "samples", "count");
    p = pbb_profile(b);
    assert_string_equal(p->period_type.type, "");
    assert_string_equal(p->period_type.unit, "");
    assert_string_equal(p->default_sample_type, "");
    assert_string_equal(p->drop_frames, "");
    assert_string_equal(p->keep_frames, "");
    assert_int_equal(p->ncomments, 0);
    assert_int_equal(p->nsamples, 0);
    assert_int_equal(p->nmappings, 0);
    assert_int_equal(p->time_nanos, 0);
}

static void
test_mappings(void **state)
{
    struct arena *a = *state;
    struct profile *p = pbb_profile(rich_profile(a));
    const struct mapping *m;

    assert_int_equal(p->nmappings, 2);
    m = &p->mappings[0];
    assert_int_equal(m->id, 1);
    assert_int_equal(m->start, 0x400000);
    assert_int_equal(m->limit, 0x800000);
    assert_int_equal(m->offset, 0x1000);
    assert_string_equal(m->file, "/usr/bin/app");
    assert_string_equal(m->build_id, "abc123");
    assert_true(m->has_functions && m->has_filenames && m->has_line_numbers &&
                m->has_inline_frames);
    m = &p->mappings[1];
    assert_int_equal(m->id, 2);
    assert_int_equal(m->start, 0x7f0000000000);
    assert_int_equal(m->limit, 0x7f0000010000);
    assert_string_equal(m->file, "/lib/libc.so.6");
    assert_string_equal(m->build_id, "");
    assert_false(m->has_functions || m->has_filenames || m->has_line_numbers ||
                 m->has_inline_frames);
}

static void
test_functions(void **state)
{
    struct arena *a = *state;
    struct profile *p = pbb_profile(rich_profile(a));

    assert_int_equal(p->nfunctions, 3);
    assert_int_equal(p->functions[0].id, 1);
    assert_string_equal(p->functions[0].name, "main.main");
    assert_string_equal(p->functions[0].system_name, "main.main");
    assert_string_equal(p->functions[0].filename, "/src/app/main.go");
    assert_int_equal(p->functions[0].start_line, 0);
    assert_string_equal(p->functions[1].name, "main.outer");
    assert_string_equal(p->functions[1].system_name, "main.outer.sys");
    assert_int_equal(p->functions[1].start_line, 15);
    assert_string_equal(p->functions[2].name, "main.inner");
    assert_string_equal(p->functions[2].filename, "/src/app/inner.go");
}

static void
test_locations_inlined_innermost_first(void **state)
{
    struct arena *a = *state;
    struct profile *p = pbb_profile(rich_profile(a));
    const struct location *l;

    assert_int_equal(p->nlocations, 3);
    l = &p->locations[0];
    assert_int_equal(l->id, 1);
    assert_ptr_equal(l->mapping, &p->mappings[0]);
    assert_int_equal(l->address, 0x401000);
    assert_int_equal(l->nlines, 1);
    assert_ptr_equal(l->lines[0].fn, &p->functions[0]);
    assert_int_equal(l->lines[0].line, 10);
    assert_false(l->is_folded);
    l = &p->locations[1];
    assert_int_equal(l->nlines, 2);
    assert_string_equal(l->lines[0].fn->name, "main.inner"); /* the inlined callee */
    assert_int_equal(l->lines[0].line, 42);
    assert_string_equal(l->lines[1].fn->name, "main.outer"); /* its caller */
    assert_int_equal(l->lines[1].line, 17);
    assert_true(l->is_folded);
    l = &p->locations[2];
    assert_int_equal(l->nlines, 0);
    assert_int_equal(l->address, 0x7f0000000123);
    assert_ptr_equal(l->mapping, &p->mappings[1]);
}

static void
test_location_without_mapping(void **state)
{
    struct arena *a = *state;
    struct pbb *b = pbb_new(a);
    struct profile *p;

    pbb_type(b, "samples", "count");
    SAMPLE(b, "main.main", 1);
    p = pbb_profile(b);
    assert_null(p->locations[0].mapping);
}

static void
test_samples(void **state)
{
    struct arena *a = *state;
    struct profile *p = pbb_profile(rich_profile(a));
    const struct sample *s;

    assert_int_equal(p->nsamples, 2);
    s = &p->samples[0];
    assert_int_equal(s->nlocs, 2);
    assert_ptr_equal(s->locs[0], &p->locations[1]); /* leaf first */
    assert_ptr_equal(s->locs[1], &p->locations[0]);
    assert_int_equal(s->values[0], 1);
    assert_int_equal(s->values[1], 512);
    assert_int_equal(s->values[2], 1);
    assert_int_equal(s->values[3], 512);
    s = &p->samples[1];
    assert_ptr_equal(s->locs[0], &p->locations[2]);
    assert_int_equal(s->values[1], 4096);
    assert_int_equal(s->values[3], 0);
    assert_int_equal(s->nlabels, 0);
}

static void
test_labels(void **state)
{
    struct arena *a = *state;
    struct profile *p = pbb_profile(rich_profile(a));
    const struct sample *s;

    s = &p->samples[0];
    /* "empty" has neither a string nor a number and is dropped, as pprof does. */
    assert_int_equal(s->nlabels, 4);
    assert_string_equal(s->labels[0].key, "bytes");
    assert_null(s->labels[0].str);
    assert_int_equal(s->labels[0].num, 512);
    assert_string_equal(s->labels[0].unit, "bytes");
    assert_string_equal(s->labels[1].key, "thread");
    assert_string_equal(s->labels[1].str, "worker-1");
    assert_string_equal(s->labels[2].key, "zero");
    assert_null(s->labels[2].str);
    assert_int_equal(s->labels[2].num, 0);
    assert_string_equal(s->labels[2].unit, "count");
    assert_string_equal(s->labels[3].key, "request");
    assert_int_equal(s->labels[3].num, 7);
    assert_string_equal(s->labels[3].unit, "");
}

/* Packs b's profile with samples [from, to) of ss and nothing else (from == to: with
 * everything but samples). Concatenated, such pieces make one valid message. */
static unsigned char *
pack_part(struct pbb *b, Perftools__Profiles__Sample **ss, size_t from, size_t to, size_t *len)
{
    Perftools__Profiles__Profile m;
    unsigned char *out;

    if (from == to) {
        m = b->p;
        m.n_sample = 0;
        m.sample = NULL;
    } else {
        perftools__profiles__profile__init(&m);
        m.n_sample = to - from;
        m.sample = ss + from;
    }
    *len = perftools__profiles__profile__get_packed_size(&m);
    out = arena_alloc(b->a, *len + 1);
    assert_non_null(out);
    assert_int_equal(perftools__profiles__profile__pack(&m, out), *len);
    return out;
}

static void
check_many(const struct profile *p, size_t n)
{
    size_t i;

    assert_int_equal(p->nsamples, n);
    for (i = 0; i < n; i++) {
        const struct sample *s = &p->samples[i], *t = &p->samples[i % 3];

        assert_int_equal(s->values[0], (int64_t)i);
        assert_int_equal(s->values[1], (int64_t)i * 8);
        /* Equal stacks and label sets are stored once. */
        assert_int_equal(s->nlocs, t->nlocs);
        assert_ptr_equal(s->locs, t->locs);
        assert_int_equal(s->nlabels, 1);
        assert_ptr_equal(s->labels, t->labels);
    }
    assert_int_equal(p->samples[0].nlocs, 2);
    assert_ptr_equal(p->samples[0].locs[0]->lines[0].fn->name, p->functions[1].name);
    assert_int_equal(p->samples[1].labels[0].num, 24);
    assert_ptr_not_equal(p->samples[0].locs, p->samples[1].locs);
}

/* Samples are unpacked in batches of a few tens of kB: many of them decode in order
 * with shared stacks, also when the other fields come between and after them (a
 * message may be the concatenation of several). */
static void
test_samples_in_batches_and_pieces(void **state)
{
    struct arena *a = *state;
    struct pbb *b = pbb_heap(a);
    enum { N = 20000 };
    Perftools__Profiles__Sample *t[3], **ss = arena_calloc(a, N, sizeof(*ss));
    unsigned char *whole, *parts[3], *joined;
    size_t i, len, plen[3];

    t[0] = SAMPLE(b, "main.main;main.a", 0, 0, 0, 0);
    t[1] = SAMPLE(b, "main.main;main.b;main.c", 0, 0, 0, 0);
    t[2] = SAMPLE(b, "main.main", 0, 0, 0, 0);
    for (i = 0; i < 3; i++)
        pbb_label(b, t[i], "bytes", NULL, 16 + 8 * (int64_t)i, "bytes");
    for (i = 0; i < N; i++) {
        ss[i] = arena_alloc(a, sizeof(*ss[i]));
        *ss[i] = *t[i % 3];
        ss[i]->value = arena_calloc(a, 4, sizeof(int64_t));
        ss[i]->value[0] = ss[i]->value[2] = (int64_t)i;
        ss[i]->value[1] = ss[i]->value[3] = (int64_t)i * 8;
    }
    b->p.sample = ss;
    b->p.n_sample = N;
    whole = pbb_pack(b, &len);
    assert_true(len > 4 * 65536);
    check_many(decode_ok(a, whole, len), N);

    parts[0] = pack_part(b, ss, 0, 7001, &plen[0]);
    parts[1] = pack_part(b, ss, 0, 0, &plen[1]);
    parts[2] = pack_part(b, ss, 7001, N, &plen[2]);
    joined = arena_alloc(a, plen[0] + plen[1] + plen[2]);
    memcpy(joined, parts[0], plen[0]);
    memcpy(joined + plen[0], parts[1], plen[1]);
    memcpy(joined + plen[0] + plen[1], parts[2], plen[2]);
    assert_int_equal(plen[0] + plen[1] + plen[2], len);
    check_many(decode_ok(a, joined, len), N);
}

/* Ids need not be dense: large and scattered ones resolve too. */
static void
test_sparse_ids(void **state)
{
    static const uint64_t ids[] = {7, 1000, (uint64_t)1 << 40, UINT64_MAX};
    struct arena *a = *state;
    struct pbb *b = pbb_new(a);
    struct profile *p;
    size_t i;

    pbb_type(b, "samples", "count");
    SAMPLE(b, "a;b;c;d", 5);
    for (i = 0; i < 4; i++) {
        b->locs[i]->id = ids[i];
        b->fns[i]->id = ids[3 - i];
        b->locs[i]->line[0]->function_id = ids[3 - i];
        b->samples[0]->location_id[3 - i] = ids[i];
    }
    p = pbb_profile(b);
    for (i = 0; i < 4; i++) {
        assert_int_equal(p->locations[i].id, ids[i]);
        assert_ptr_equal(p->locations[i].lines[0].fn, &p->functions[i]);
        assert_ptr_equal(p->samples[0].locs[3 - i], &p->locations[i]);
    }
    assert_string_equal(p->samples[0].locs[0]->lines[0].fn->name, "d");
}

/* A profile of two samples over locations 1..3 and functions 1..3, for breaking. */
static struct pbb *
small_profile(struct arena *a)
{
    struct pbb *b = pbb_heap(a);

    SAMPLE(b, "main.main;main.f", 1, 10, 1, 10);
    SAMPLE(b, "main.main;main.g", 2, 20, 2, 20);
    return b;
}

static void
test_unknown_location_id(void **state)
{
    struct arena *a = *state;
    struct pbb *b = small_profile(a);

    b->samples[1]->location_id[1] = 9;
    decode_fails(b, HW_BADDATA, "sample 1: unknown location id 9");
    b->samples[1]->location_id[1] = 0;
    decode_fails(b, HW_BADDATA, "sample 1: unknown location id 0");
}

static void
test_unknown_function_id(void **state)
{
    struct arena *a = *state;
    struct pbb *b = small_profile(a);

    b->locs[2]->line[0]->function_id = 7;
    decode_fails(b, HW_BADDATA, "location 3: line 0: unknown function id 7");
    b->locs[2]->line[0]->function_id = 0;
    decode_fails(b, HW_BADDATA, "location 3: line 0: missing function id 0");
}

static void
test_unknown_mapping_id(void **state)
{
    struct arena *a = *state;
    struct pbb *b = small_profile(a);

    pbb_mapping(b, "/bin/app");
    b->locs[1]->mapping_id = 1;
    b->locs[2]->mapping_id = 5;
    decode_fails(b, HW_BADDATA, "location 3: unknown mapping id 5");
}

static void
test_duplicate_ids(void **state)
{
    struct arena *a = *state;
    struct pbb *b;

    b = small_profile(a);
    b->locs[2]->id = 2;
    decode_fails(b, HW_BADDATA, "location 2: duplicate id 2");
    b = small_profile(a);
    b->fns[2]->id = 1;
    b->locs[2]->line[0]->function_id = 1;
    decode_fails(b, HW_BADDATA, "function 2: duplicate id 1");
    b = small_profile(a);
    pbb_mapping(b, "/bin/a");
    pbb_mapping(b, "/bin/b")->id = 1;
    decode_fails(b, HW_BADDATA, "mapping 1: duplicate id 1");
    /* A sparse id that repeats goes through the hash rather than the direct table. */
    b = small_profile(a);
    b->locs[0]->id = b->locs[2]->id = 1000;
    decode_fails(b, HW_BADDATA, "location 2: duplicate id 1000");
}

static void
test_zero_ids(void **state)
{
    struct arena *a = *state;
    struct pbb *b;

    b = small_profile(a);
    b->locs[0]->id = 0;
    decode_fails(b, HW_BADDATA, "location 0: reserved id 0");
    b = small_profile(a);
    b->fns[1]->id = 0;
    decode_fails(b, HW_BADDATA, "function 1: reserved id 0");
    b = small_profile(a);
    pbb_mapping(b, "/bin/a")->id = 0;
    decode_fails(b, HW_BADDATA, "mapping 0: reserved id 0");
}

static void
test_value_count_mismatch(void **state)
{
    struct arena *a = *state;
    struct pbb *b = small_profile(a);

    b->samples[1]->n_value = 3;
    decode_fails(b, HW_BADDATA, "sample 1: 3 values for 4 sample types");
    b->samples[1]->n_value = 5;
    decode_fails(b, HW_BADDATA, "sample 1: 5 values for 4 sample types");
    b->samples[1]->n_value = 4;
    b->samples[0]->n_value = 0;
    decode_fails(b, HW_BADDATA, "sample 0: 0 values for 4 sample types");
}

static void
test_string_index_out_of_range(void **state)
{
    struct arena *a = *state;
    struct pbb *b;
    int64_t n;

    b = small_profile(a);
    n = (int64_t)b->p.n_string_table;
    b->fns[1]->name = n;
    {
        char want[128];
        snprintf(want, sizeof(want), "function 2: name string index %lld out of range",
                 (long long)n);
        decode_fails(b, HW_BADDATA, want);
    }
    b = small_profile(a);
    b->fns[0]->filename = -1;
    decode_fails(b, HW_BADDATA, "function 1: filename string index -1 out of range");
    b = small_profile(a);
    b->types[2]->unit = 999;
    decode_fails(b, HW_BADDATA, "sample_type: unit string index 999 out of range");
    b = small_profile(a);
    b->p.drop_frames = 999;
    decode_fails(b, HW_BADDATA, "drop_frames string index out of range");
    b = small_profile(a);
    b->p.default_sample_type = 999;
    decode_fails(b, HW_BADDATA, "default_sample_type string index out of range");
    b = small_profile(a);
    b->period_type.type = 999;
    b->p.period_type = &b->period_type;
    decode_fails(b, HW_BADDATA, "period_type: type string index 999 out of range");
    b = small_profile(a);
    pbb_mapping(b, "/bin/a")->build_id = 999;
    decode_fails(b, HW_BADDATA, "mapping 1: build_id string index 999 out of range");
    b = small_profile(a);
    pbb_label(b, b->samples[1], "k", "v", 0, NULL)->key = 999;
    decode_fails(b, HW_BADDATA, "sample 1: label 0: key string index 999 out of range");
    b = small_profile(a);
    pbb_label(b, b->samples[1], "k", "v", 0, NULL)->str = 999;
    decode_fails(b, HW_BADDATA, "sample 1: label 0: string index 999 out of range");
    b = small_profile(a);
    pbb_label(b, b->samples[0], "k", NULL, 5, "bytes")->num_unit = 999;
    decode_fails(b, HW_BADDATA, "sample 0: label 0: unit string index 999 out of range");
    b = small_profile(a);
    {
        static int64_t bad[] = {0, 999};
        b->p.comment = bad;
        b->p.n_comment = 2;
        decode_fails(b, HW_BADDATA, "comment 1: string index out of range");
    }
}

static void
test_string_table_zero_not_empty(void **state)
{
    struct arena *a = *state;
    struct pbb *b;

    b = small_profile(a);
    b->strs[0] = "x";
    decode_fails(b, HW_BADDATA, "string_table[0] must be the empty string");
    b = pbb_new(a);
    b->p.n_string_table = 0;
    b->p.time_nanos = 5; /* so that the message is not empty */
    decode_fails(b, HW_BADDATA, "string_table[0] must be the empty string");
}

static void
test_not_protobuf(void **state)
{
    static const unsigned char junk[] = "\xff\xff\xff\xff this is not a profile";
    struct arena *a = *state;
    struct errbuf eb = {{0}};
    struct profile *p;

    assert_int_equal(pprof_decode(a, junk, sizeof(junk) - 1, &p, &eb), HW_BADDATA);
    assert_null(p);
    assert_string_equal(eb.msg, "not a valid profile.proto message (truncated or corrupt "
                                "protobuf at byte 0)");
    errbuf_clear(&eb);
    assert_int_equal(pprof_decode(a, junk, 0, &p, &eb), HW_BADDATA);
    assert_string_equal(eb.msg, "empty input");
    /* The messages go to eb only when asked for. */
    assert_int_equal(pprof_decode(a, junk, sizeof(junk) - 1, &p, NULL), HW_BADDATA);
}

/* Every prefix of a valid message decodes or fails cleanly, never crashes, and what
 * decodes passes profile_check. */
static void
test_every_truncation(void **state)
{
    struct arena *ba = arena_new(0);
    unsigned char *data, *copy;
    size_t len, n, ok = 0;

    (void)state;
    data = pbb_pack(rich_profile(ba), &len);
    for (n = 0; n <= len; n++) {
        struct arena *a = arena_new(0);
        struct errbuf eb = {{0}};
        struct profile *p = NULL;
        enum hw_err err;

        /* A copy of exactly n bytes, so ASan sees any read past the end. */
        copy = malloc(n ? n : 1);
        memcpy(copy, data, n);
        err = pprof_decode(a, copy, n, &p, &eb);
        if (err == HW_OK) {
            ok++;
            assert_int_equal(profile_check(p, &eb), HW_OK);
        } else {
            if (err != HW_BADDATA)
                fail_msg("prefix %zu: %s", n, hw_strerror(err));
            assert_null(p);
            assert_true(eb.msg[0] != '\0');
        }
        free(copy);
        arena_free(a);
    }
    assert_true(ok >= 1); /* at least the whole message */
    arena_free(ba);
}

/* Random byte flips of a valid message (fixed seed): each decodes or fails cleanly,
 * and what decodes keeps the model's invariants - every location pointer inside the
 * locations array, every line with a function, ntypes values per sample. */
static void
test_corrupted_bytes_fail_cleanly(void **state)
{
    struct arena *ba = arena_new(0);
    unsigned char *data, *copy;
    size_t len, iter, ok = 0;
    uint32_t x = 12345;

    (void)state;
    data = pbb_pack(rich_profile(ba), &len);
    copy = malloc(len);
    assert_non_null(copy);
    for (iter = 0; iter < 3000; iter++) {
        struct arena *a = arena_new(1 << 20);
        struct errbuf eb = {{0}};
        struct profile *p = NULL;
        int flips = 1 + (int)(iter % 3), k;
        enum hw_err err;
        size_t i, j;

        memcpy(copy, data, len);
        for (k = 0; k < flips; k++) {
            x = x * 1664525u + 1013904223u;
            copy[(x >> 8) % len] ^= (unsigned char)(1u << (x >> 29));
        }
        err = pprof_decode(a, copy, len, &p, &eb);
        if (err == HW_OK) {
            ok++;
            assert_int_equal(profile_check(p, &eb), HW_OK);
            for (i = 0; i < p->nsamples; i++)
                for (j = 0; j < p->samples[i].nlocs; j++) {
                    const struct location *l = p->samples[i].locs[j];

                    assert_true(l >= p->locations && l < p->locations + p->nlocations);
                }
            for (i = 0; i < p->nlocations; i++)
                for (j = 0; j < p->locations[i].nlines; j++)
                    assert_non_null(p->locations[i].lines[j].fn);
        } else if (err != HW_BADDATA && err != HW_TOOBIG) {
            fail_msg("iteration %zu: %s", iter, hw_strerror(err));
        } else {
            assert_true(eb.msg[0] != '\0' || err == HW_TOOBIG);
        }
        arena_free(a);
    }
    assert_true(ok > 0);
    free(copy);
    arena_free(ba);
}

/* Walks the arena limit up from 0 (which means none) byte by byte: every step
 * either decodes or gives HW_TOOBIG, once a limit is enough every larger one is
 * too, and ASan checks that nothing leaks. The limit counts the scratch memory that
 * sample batches are unpacked into as well, so the smallest limit that works may
 * lie above what the decoded profile keeps. */
static void
test_arena_limit_walk(void **state)
{
    struct arena *ba = arena_new(0);
    unsigned char *data;
    size_t len, limit, need = 0, first_ok = 0;

    (void)state;
    data = pbb_pack(rich_profile(ba), &len);
    {
        struct arena *a = arena_new(0);
        decode_ok(a, data, len);
        need = arena_used(a);
        arena_free(a);
    }
    for (limit = 1; limit <= 4 * need + 65536 && (first_ok == 0 || limit <= first_ok + 64);
         limit++) {
        struct arena *a = arena_new(limit);
        struct errbuf eb = {{0}};
        struct profile *p = NULL;
        enum hw_err err = pprof_decode(a, data, len, &p, &eb);

        if (err == HW_OK) {
            assert_non_null(p);
            assert_true(limit >= need);
            if (first_ok == 0)
                first_ok = limit;
        } else {
            if (err != HW_TOOBIG)
                fail_msg("limit %zu: %s: %s", limit, hw_strerror(err), eb.msg);
            if (first_ok != 0)
                fail_msg("limit %zu fails after %zu worked", limit, first_ok);
            assert_null(p);
        }
        assert_true(arena_used(a) <= limit);
        arena_free(a);
    }
    assert_true(first_ok != 0);
    arena_free(ba);
}

static void
test_limit_message(void **state)
{
    struct arena *ba = arena_new(0), *a = arena_new(100);
    struct errbuf eb = {{0}};
    struct profile *p;
    unsigned char *data;
    size_t len;

    (void)state;
    data = pbb_pack(rich_profile(ba), &len);
    assert_int_equal(pprof_decode(a, data, len, &p, &eb), HW_TOOBIG);
    assert_string_equal(eb.msg, "decoding the protobuf needs more than 100 bytes");
    arena_free(a);
    arena_free(ba);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        ARENA_TEST(test_header_fields),
        ARENA_TEST(test_absent_header_fields),
        ARENA_TEST(test_mappings),
        ARENA_TEST(test_functions),
        ARENA_TEST(test_locations_inlined_innermost_first),
        ARENA_TEST(test_location_without_mapping),
        ARENA_TEST(test_samples),
        ARENA_TEST(test_labels),
        ARENA_TEST(test_samples_in_batches_and_pieces),
        ARENA_TEST(test_sparse_ids),
        ARENA_TEST(test_unknown_location_id),
        ARENA_TEST(test_unknown_function_id),
        ARENA_TEST(test_unknown_mapping_id),
        ARENA_TEST(test_duplicate_ids),
        ARENA_TEST(test_zero_ids),
        ARENA_TEST(test_value_count_mismatch),
        ARENA_TEST(test_string_index_out_of_range),
        ARENA_TEST(test_string_table_zero_not_empty),
        ARENA_TEST(test_not_protobuf),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_corrupted_bytes_fail_cleanly),
        cmocka_unit_test(test_arena_limit_walk),
        cmocka_unit_test(test_limit_message),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

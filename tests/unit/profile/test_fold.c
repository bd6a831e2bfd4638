/* test_fold.c - samples to folded call paths: inlined frames expand caller first,
 * zero paths go, equal paths (at the chosen granularity) merge, the total is the sum,
 * frame names follow pprof's, and the text form escapes what would break a line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "decode.h"
#include "fold.h"
#include "profile.h"
#include "profile.pb-c.h"
#include "pbb.h"

static struct folded *
fold(struct arena *a, const struct profile *p, size_t col, enum granularity g)
{
    struct errbuf eb = {{0}};
    struct folded *f = NULL;

    if (fold_profile(a, p, col, g, &f, &eb) != HW_OK)
        fail_msg("fold_profile: %s", eb.msg);
    assert_non_null(f);
    return f;
}

/* f as sorted folded text. */
static const char *
text(struct arena *a, struct folded *f)
{
    struct buf out;
    char *s;

    fold_sort(f);
    buf_init(&out, 0);
    assert_int_equal(fold_write(f, &out), HW_OK);
    s = arena_strdup(a, out.data ? (char *)out.data : "");
    buf_reset(&out);
    return s;
}

static void
test_inlined_frames_caller_first(void **state)
{
    struct arena *a = *state;
    struct pbb *b = pbb_heap(a);
    struct folded *f;

    SAMPLE(b, "main.main;main.load+main.parse+strconv.Atoi;runtime.mallocgc", 1, 16, 1, 16);
    f = fold(a, pbb_profile(b), 3, GRAN_FUNCTIONS);
    assert_int_equal(f->nstacks, 1);
    assert_int_equal(f->stacks[0].nframes, 5);
    assert_string_equal(f->stacks[0].frames[0], "main.main");
    assert_string_equal(f->stacks[0].frames[1], "main.load");
    assert_string_equal(f->stacks[0].frames[2], "main.parse");
    assert_string_equal(f->stacks[0].frames[3], "strconv.Atoi");
    assert_string_equal(f->stacks[0].frames[4], "runtime.mallocgc");
    assert_int_equal(f->stacks[0].value, 16);
    assert_string_equal(f->type, "inuse_space");
    assert_string_equal(f->unit, "bytes");
}

static void
test_zero_value_paths_dropped(void **state)
{
    struct arena *a = *state;
    struct pbb *b = pbb_heap(a);
    struct profile *p;

    SAMPLE(b, "main.main;main.freed", 4, 4096, 0, 0);
    SAMPLE(b, "main.main;main.live", 1, 512, 1, 512);
    SAMPLE(b, "main.main;main.net", 0, 0, 3, 300);
    SAMPLE(b, "main.main;main.net", 0, 0, -3, -300); /* nets to zero */
    p = pbb_profile(b);
    assert_string_equal(text(a, fold(a, p, 3, GRAN_FUNCTIONS)), "main.main;main.live 512\n");
    assert_string_equal(text(a, fold(a, p, 1, GRAN_FUNCTIONS)),
                        "main.main;main.freed 4096\nmain.main;main.live 512\n");
}

/* Different locations (lines) of one function are one path at function granularity,
 * and stay apart at line granularity. */
static void
test_equal_paths_merged(void **state)
{
    struct arena *a = *state;
    struct pbb *b = pbb_heap(a);
    struct profile *p;
    struct folded *f;

    SAMPLE(b, "main.main:10;main.f:20", 1, 100, 1, 100);
    SAMPLE(b, "main.main:11;main.f:21", 1, 10, 1, 10);
    SAMPLE(b, "main.main:10;main.f:20", 1, 1, 1, 1);
    p = pbb_profile(b);
    f = fold(a, p, 3, GRAN_FUNCTIONS);
    assert_int_equal(f->nstacks, 1);
    assert_int_equal(f->stacks[0].value, 111);
    f = fold(a, p, 3, GRAN_LINES);
    assert_int_equal(f->nstacks, 2);
    assert_string_equal(text(a, f),
                        "main.main /src/app/main.go:10;main.f /src/app/main.go:20 101\n"
                        "main.main /src/app/main.go:11;main.f /src/app/main.go:21 10\n");
}

static void
test_total_is_sum(void **state)
{
    struct arena *a = *state;
    struct pbb *b = pbb_new(a);
    struct folded *f;
    int64_t sum = 0;
    size_t i;

    pbb_type(b, "delta", "count");
    SAMPLE(b, "a;b", 7);
    SAMPLE(b, "a;c", -3);
    SAMPLE(b, "a;b", 5);
    SAMPLE(b, "d", 100);
    SAMPLE(b, "a", 0);
    f = fold(a, pbb_profile(b), 0, GRAN_FUNCTIONS);
    for (i = 0; i < f->nstacks; i++)
        sum += f->stacks[i].value;
    assert_int_equal(f->total, sum);
    assert_int_equal(f->total, 109);
    assert_int_equal(f->nstacks, 3);
}

/* Recursion keeps every frame: a path is the stack as it was. */
static void
test_recursion_kept(void **state)
{
    struct arena *a = *state;
    struct pbb *b = pbb_new(a);

    pbb_type(b, "samples", "count");
    SAMPLE(b, "main.main;main.walk:1;main.walk:2;main.walk:2", 3);
    assert_string_equal(text(a, fold(a, pbb_profile(b), 0, GRAN_FUNCTIONS)),
                        "main.main;main.walk;main.walk;main.walk 3\n");
}

/* Names at each granularity, as pprof's -top prints them for the same frames
 * ("main.g /src/app/main.go:30", "<unknown>", "[libfoo.so]", addresses as %016x). */
static void
test_granularity_names(void **state)
{
    struct arena *a = *state;
    struct pbb *b = pbb_new(a);
    struct profile *p;

    pbb_type(b, "samples", "count");
    SAMPLE(b, "main.main;main.f:12+main.g:30", 5);
    SAMPLE(b, "main.main;@4a0", 4);
    SAMPLE(b, "main.main;@7f00", 2);
    b->locs[3]->mapping_id = pbb_mapping(b, "/usr/lib/libfoo.so")->id;
    p = pbb_profile(b);
    assert_string_equal(text(a, fold(a, p, 0, GRAN_FUNCTIONS)), "main.main;<unknown> 4\n"
                                                                "main.main;[libfoo.so] 2\n"
                                                                "main.main;main.f;main.g 5\n");
    assert_string_equal(text(a, fold(a, p, 0, GRAN_LINES)),
                        "main.main /src/app/main.go;<unknown> 4\n"
                        "main.main /src/app/main.go;[libfoo.so] 2\n"
                        "main.main /src/app/main.go;main.f /src/app/main.go:12;"
                        "main.g /src/app/main.go:30 5\n");
    assert_string_equal(text(a, fold(a, p, 0, GRAN_FILES)),
                        "/src/app/main.go;/src/app/main.go;/src/app/main.go 5\n"
                        "/src/app/main.go;<unknown> 4\n"
                        "/src/app/main.go;[libfoo.so] 2\n");
    assert_string_equal(text(a, fold(a, p, 0, GRAN_FILEFUNCTIONS)),
                        "main.main /src/app/main.go;<unknown> 4\n"
                        "main.main /src/app/main.go;[libfoo.so] 2\n"
                        "main.main /src/app/main.go;main.f /src/app/main.go;"
                        "main.g /src/app/main.go 5\n");
    assert_string_equal(text(a, fold(a, p, 0, GRAN_ADDRESSES)),
                        "0000000000001000 main.main /src/app/main.go;"
                        "00000000000004a0 <unknown> 4\n"
                        "0000000000001000 main.main /src/app/main.go;"
                        "0000000000001010 main.f /src/app/main.go:12;"
                        "0000000000001010 main.g /src/app/main.go:30 5\n"
                        "0000000000001000 main.main /src/app/main.go;"
                        "0000000000007f00 [libfoo.so] 2\n");
}

static void
test_frame_name_direct(void **state)
{
    struct arena *a = *state;
    struct pbb *b = pbb_new(a);
    struct profile *p;
    const struct location *l;

    pbb_type(b, "samples", "count");
    SAMPLE(b, "main.f:12+main.g:30;@4a0", 1);
    b->fns[0]->filename = pbb_str(b, "/src/app/../app/./f.go");
    p = pbb_profile(b);
    l = &p->locations[0];
    assert_string_equal(fold_frame_name(a, l, &l->lines[0], GRAN_FUNCTIONS), "main.g");
    assert_string_equal(fold_frame_name(a, l, &l->lines[1], GRAN_FUNCTIONS), "main.f");
    /* File paths are cleaned as Go's filepath.Clean does. */
    assert_string_equal(fold_frame_name(a, l, &l->lines[1], GRAN_LINES), "main.f /src/app/f.go:12");
    assert_string_equal(fold_frame_name(a, l, &l->lines[1], GRAN_FILES), "/src/app/f.go");
    assert_string_equal(fold_frame_name(a, &p->locations[1], NULL, GRAN_FUNCTIONS), "<unknown>");
}

/* File names are cleaned as Go's filepath.Clean does; the expected column is Go's
 * own output for each path. */
static void
test_file_paths_cleaned_like_go(void **state)
{
    static const char *const cases[][2] = {
        {".", "."},
        {"..", ".."},
        {"/", "/"},
        {"//", "/"},
        {"/../a", "/a"},
        {"a/../..", ".."},
        {"./a/b/", "a/b"},
        {"a//b", "a/b"},
        {"/a/b/../../..", "/"},
        {"../../x/./y", "../../x/y"},
        {"a/b/..", "a"},
        {"abc/./../def", "def"},
        {"/./", "/"},
        {"x/..", "."},
        {"./", "."},
        {"a/./b/.", "a/b"},
        {"...", "..."},
        {".../a", ".../a"},
        {"a/...", "a/..."},
        {"../", ".."},
        {"/..", "/"},
        {"a/b/c/../../d", "a/d"},
        {"//a//b//", "/a/b"},
        {"./../a", "../a"},
        {"a/../../b", "../b"},
        {".a/..b/c..", ".a/..b/c.."},
        {"/src/app/../app/./f.go", "/src/app/f.go"},
    };
    struct arena *a = *state;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct function fn = {1, "f", "f", cases[i][0], 0};
        struct line ln = {&fn, 0};
        struct location l = {.id = 1, .lines = &ln, .nlines = 1};
        const char *got = fold_frame_name(a, &l, &ln, GRAN_FILES);

        if (got == NULL || strcmp(got, cases[i][1]) != 0)
            fail_msg("clean(\"%s\") = \"%s\", Go says \"%s\"", cases[i][0], got ? got : "(null)",
                     cases[i][1]);
    }
}

static void
test_equal_frames_interned(void **state)
{
    struct arena *a = *state;
    struct pbb *b = pbb_new(a);
    struct folded *f;

    pbb_type(b, "samples", "count");
    SAMPLE(b, "main.main:1;main.a", 1);
    SAMPLE(b, "main.main:2;main.b", 1);
    f = fold(a, pbb_profile(b), 0, GRAN_FUNCTIONS);
    assert_int_equal(f->nstacks, 2);
    assert_ptr_equal(f->stacks[0].frames[0], f->stacks[1].frames[0]);
}

static void
test_write_escapes_separators(void **state)
{
    struct arena *a = *state;
    struct pbb *b = pbb_new(a);

    pbb_type(b, "samples", "count");
    SAMPLE(b, "main.main;odd;name", 3);
    b->fns[1]->name = pbb_str(b, "a;b");
    b->fns[2]->name = pbb_str(b, "x\ny\r\nz;");
    assert_string_equal(text(a, fold(a, pbb_profile(b), 0, GRAN_FUNCTIONS)),
                        "main.main;a:b;x y  z: 3\n");
}

static void
test_write_negative(void **state)
{
    struct arena *a = *state;
    struct pbb *b = pbb_new(a);

    pbb_type(b, "delta", "count");
    SAMPLE(b, "main.main;main.a", -9);
    SAMPLE(b, "main.main", 2);
    assert_string_equal(text(a, fold(a, pbb_profile(b), 0, GRAN_FUNCTIONS)),
                        "main.main 2\nmain.main;main.a -9\n");
}

/* A sample without locations still counts; it is written as "<no stack>". Runs last:
 * under UBSan a failure here aborts the whole binary. */
static void
test_sample_without_locations(void **state)
{
    struct arena *a = *state;
    struct pbb *b = pbb_new(a);

    pbb_type(b, "samples", "count");
    SAMPLE(b, "", 4);
    SAMPLE(b, "main.main", 1);
    assert_string_equal(text(a, fold(a, pbb_profile(b), 0, GRAN_FUNCTIONS)),
                        "<no stack> 4\nmain.main 1\n");
}

static void
test_write_respects_cap(void **state)
{
    struct arena *a = *state;
    struct pbb *b = pbb_new(a);
    struct folded *f;
    struct buf out;

    pbb_type(b, "samples", "count");
    SAMPLE(b, "main.main;main.a", 1);
    SAMPLE(b, "main.main;main.b", 2);
    f = fold(a, pbb_profile(b), 0, GRAN_FUNCTIONS);
    fold_sort(f);
    buf_init(&out, 20);
    assert_int_equal(fold_write(f, &out), HW_TOOBIG);
    assert_true(out.len <= 20);
    buf_reset(&out);
}

/* Bytewise by frames, root first; a prefix sorts before its extensions. */
static void
test_sort_order(void **state)
{
    struct arena *a = *state;
    struct pbb *b = pbb_new(a);

    pbb_type(b, "samples", "count");
    SAMPLE(b, "b;a", 1);
    SAMPLE(b, "a;c", 2);
    SAMPLE(b, "ab", 3);
    SAMPLE(b, "a;b;c", 4);
    SAMPLE(b, "a", 5);
    SAMPLE(b, "a;b", 6);
    SAMPLE(b, "B", 7);
    assert_string_equal(text(a, fold(a, pbb_profile(b), 0, GRAN_FUNCTIONS)),
                        "B 7\na 5\na;b 6\na;b;c 4\na;c 2\nab 3\nb;a 1\n");
}

static void
test_column_out_of_range(void **state)
{
    struct arena *a = *state;
    struct pbb *b = pbb_heap(a);
    struct errbuf eb = {{0}};
    struct folded *f = NULL;

    SAMPLE(b, "main.main", 1, 2, 3, 4);
    assert_int_equal(fold_profile(a, pbb_profile(b), 4, GRAN_FUNCTIONS, &f, &eb), HW_USAGE);
    assert_string_equal(eb.msg, "sample column 4 out of range");
}

/* Many distinct paths and names, past the initial hash table sizes. */
static void
test_many_paths(void **state)
{
    struct arena *a = *state;
    struct profile *p = profile_new(a);
    struct folded *f;
    size_t i, n = 5000;
    int64_t sum = 0;

    p->ntypes = 1;
    p->sample_types = arena_calloc(a, 1, sizeof(*p->sample_types));
    p->sample_types[0].type = "samples";
    p->sample_types[0].unit = "count";
    p->nfunctions = p->nlocations = p->nsamples = n;
    p->functions = arena_calloc(a, n, sizeof(*p->functions));
    p->locations = arena_calloc(a, n, sizeof(*p->locations));
    p->samples = arena_calloc(a, n, sizeof(*p->samples));
    for (i = 0; i < n; i++) {
        char name[32];
        struct location *l = &p->locations[i];
        struct sample *s = &p->samples[i];

        snprintf(name, sizeof(name), "f%zu", i);
        p->functions[i] = (struct function){i + 1, arena_strdup(a, name), "", "", 0};
        l->id = i + 1;
        l->nlines = 1;
        l->lines = arena_calloc(a, 1, sizeof(*l->lines));
        l->lines[0].fn = &p->functions[i];
        s->nlocs = i > 0 ? 2 : 1;
        s->locs = arena_calloc(a, 2, sizeof(*s->locs));
        s->locs[0] = l;
        s->locs[1] = &p->locations[0];
        s->values = arena_calloc(a, 1, sizeof(*s->values));
        s->values[0] = (int64_t)i + 1;
        sum += (int64_t)i + 1;
    }
    f = fold(a, p, 0, GRAN_FUNCTIONS);
    assert_int_equal(f->nstacks, n);
    assert_int_equal(f->total, sum);
}

/* Walks the arena limit up while folding: every step folds or gives HW_TOOBIG. */
static void
test_arena_limit_walk(void **state)
{
    struct arena *a = *state;
    struct pbb *b = pbb_heap(a);
    struct profile *p;
    size_t limit;
    int done = 0;

    SAMPLE(b, "main.main:10;main.load+main.parse;bytes.grow", 1, 4096, 1, 4096);
    SAMPLE(b, "main.main:11;main.cache", 2, 8192, 2, 8192);
    SAMPLE(b, "main.main:11;@4a0", 1, 64, 1, 64);
    p = pbb_profile(b);
    for (limit = 1; !done && limit < (1 << 20); limit++) {
        struct arena *fa = arena_new(limit);
        struct errbuf eb = {{0}};
        struct folded *f = NULL;
        enum hw_err err = fold_profile(fa, p, 3, GRAN_LINES, &f, &eb);

        if (err == HW_OK) {
            assert_int_equal(f->nstacks, 3);
            done = 1;
        } else if (err != HW_TOOBIG) {
            fail_msg("limit %zu: %s", limit, hw_strerror(err));
        }
        assert_true(arena_used(fa) <= limit);
        arena_free(fa);
    }
    assert_true(done);
}

/* tests/data/unit/heap.folded is heap.pb.gz's inuse_space stacks, sorted, as pprof's
 * -traces lists them. */
static void
test_saved_folded(void **state)
{
    struct arena *a = *state;
    struct errbuf eb = {{0}};
    struct buf gz, want;
    struct profile *p;
    FILE *fp;

    if ((fp = fopen("tests/data/unit/heap.folded", "rb")) == NULL)
        skip();
    buf_init(&want, 0);
    assert_int_equal(buf_read_file(&want, fp), HW_OK);
    fclose(fp);
    fp = fopen("tests/data/unit/heap.pb.gz", "rb");
    assert_non_null(fp);
    buf_init(&gz, 0);
    assert_int_equal(buf_read_file(&gz, fp), HW_OK);
    fclose(fp);
    assert_int_equal(profile_decode_in(a, gz.data, gz.len, &p, &eb), HW_OK);
    buf_reset(&gz);
    assert_string_equal(text(a, fold(a, p, 3, GRAN_FUNCTIONS)), (char *)want.data);
    buf_reset(&want);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        ARENA_TEST(test_inlined_frames_caller_first),
        ARENA_TEST(test_zero_value_paths_dropped),
        ARENA_TEST(test_equal_paths_merged),
        ARENA_TEST(test_total_is_sum),
        ARENA_TEST(test_recursion_kept),
        ARENA_TEST(test_granularity_names),
        ARENA_TEST(test_frame_name_direct),
        ARENA_TEST(test_file_paths_cleaned_like_go),
        ARENA_TEST(test_equal_frames_interned),
        ARENA_TEST(test_write_escapes_separators),
        ARENA_TEST(test_write_negative),
        ARENA_TEST(test_write_respects_cap),
        ARENA_TEST(test_sort_order),
        ARENA_TEST(test_column_out_of_range),
        ARENA_TEST(test_many_paths),
        ARENA_TEST(test_arena_limit_walk),
        ARENA_TEST(test_saved_folded),
        ARENA_TEST(test_sample_without_locations),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

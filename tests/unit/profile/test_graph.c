/* test_graph.c - pprof's call graph and its -top text. Each profile is built in C,
 * written as a .pb.gz into a temp dir, and `go tool pprof -top` is run on it: our
 * text must equal pprof's from the "Showing nodes accounting for" line on. Those
 * comparisons skip when `go` is absent; the structural checks always run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "arena.h"
#include "buf.h"
#include "decode.h"
#include "graph.h"
#include "profile.h"
#include "profile.pb-c.h"
#include "pbb.h"

static int
setup(void **state)
{
    return pbb_dir_setup(state, "test_graph");
}

#define GRAPH_TEST(t) cmocka_unit_test_setup_teardown(t, setup, pbb_dir_teardown)

/* What one report asks for, as pprof flags and as graph options. */
struct top_case {
    const char *flags;        /* extra `go tool pprof` flags */
    const char *sample_index; /* "" for pprof's default */
    enum granularity gran;
    bool cum;
    int node_count;
};

static struct graph *
build(struct arena *a, const struct profile *p, const struct top_case *c, struct graph_opts *o)
{
    struct errbuf eb = {{0}};
    struct graph *g = NULL;

    graph_opts_init(o);
    if (profile_sample_index(p, c->sample_index, &o->col, &eb) != HW_OK)
        fail_msg("sample index: %s", eb.msg);
    o->gran = c->gran;
    o->cum_sort = c->cum;
    o->node_count = c->node_count;
    if (graph_build(a, p, o, &g, &eb) != HW_OK)
        fail_msg("graph_build: %s", eb.msg);
    return g;
}

/* Our -top text for p, after pprof's drop_frames pruning, into out. */
static void
our_top_profile(struct arena *a, struct profile *p, const struct top_case *c, struct buf *out)
{
    struct errbuf eb = {{0}};
    struct graph_opts o;
    struct graph *g;

    assert_int_equal(profile_remove_uninteresting(p, &eb), HW_OK);
    g = build(a, p, c, &o);
    assert_int_equal(graph_write_top(g, &o, out), HW_OK);
}

static void
our_top(struct arena *a, struct pbb *b, const struct top_case *c, struct buf *out)
{
    our_top_profile(a, pbb_profile(b), c, out);
}

/* pprof's -top text for the profile in path from the "Showing" line on, into out. */
static void
pprof_top(struct fixture *f, const char *path, const struct top_case *c, struct buf *out)
{
    char cmd[768], line[4096];
    FILE *pp;
    int on = 0;

    snprintf(cmd, sizeof(cmd), "PPROF_TMPDIR='%s' go tool pprof -top %s%s%s %s '%s' 2>/dev/null",
             f->dir, c->sample_index[0] ? "-sample_index=" : "", c->sample_index,
             c->cum ? " -cum" : "", c->flags, path);
    pp = popen(cmd, "r");
    assert_non_null(pp);
    while (fgets(line, sizeof(line), pp) != NULL) {
        if (strncmp(line, "Showing nodes accounting for", 28) == 0)
            on = 1;
        if (on)
            buf_puts(out, line);
    }
    assert_int_equal(pclose(pp), 0);
    if (!on)
        fail_msg("no report from: %s", cmd);
}

/* Our text for p (decoded from path) must equal pprof's for path. */
static void
compare_top(struct fixture *f, const char *path, struct profile *p, const struct top_case *c)
{
    struct buf ours, theirs;
    int same;

    buf_init(&ours, 0);
    buf_init(&theirs, 0);
    our_top_profile(f->a, p, c, &ours);
    pprof_top(f, path, c, &theirs);
    same = ours.len == theirs.len && memcmp(ours.data, theirs.data, ours.len) == 0;
    if (!same)
        print_error("%s: flags \"%s\" sample_index \"%s\"\n--- ours\n%s--- pprof\n%s", path,
                    c->flags, c->sample_index, ours.data ? (char *)ours.data : "",
                    theirs.data ? (char *)theirs.data : "");
    buf_reset(&ours);
    buf_reset(&theirs);
    assert_true(same);
}

/* Writes b as a .pb.gz and compares; skips (returning 0) without go. */
static int
check_top(struct fixture *f, struct pbb *b, const struct top_case *c)
{
    char path[128];
    unsigned char *data;
    size_t len;
    gzFile gz;

    if (!f->have_go)
        return 0;
    snprintf(path, sizeof(path), "%s/p.pb.gz", f->dir);
    data = pbb_pack(b, &len);
    gz = gzopen(path, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, data, (unsigned)len), (int)len);
    assert_int_equal(gzclose(gz), Z_OK);
    compare_top(f, path, pbb_profile(b), c);
    return 1;
}

/* A heap profile with inlining (main.parse inlined into main.load; main.grow both
 * inlined and called), values from 96 B to 10 MB, so that pprof's unit choice,
 * its sort ties and its inline marks all show. */
static struct pbb *
heap_profile(struct arena *a)
{
    struct pbb *b = pbb_heap(a);

    SAMPLE(b, "main.main:12;main.load:30+main.parse:55;bytes.makeSlice:20", 10, 10485760, 4,
           4194304);
    SAMPLE(b, "main.main:12;main.load:31;main.grow:70", 3, 3145728, 3, 3145728);
    SAMPLE(b, "main.main:13;main.cache:40+main.grow:71", 5, 2097152, 2, 1048576);
    SAMPLE(b, "main.main:14;main.small:80", 200, 6400, 100, 3200);
    SAMPLE(b, "main.main:14;main.tiny:90", 1, 96, 1, 96);
    SAMPLE(b, "runtime.main:250;main.init:5", 7, 7168, 7, 7168);
    return b;
}

static void
test_top_default(void **state)
{
    struct fixture *f = *state;
    static const struct top_case cases[] = {
        {"", "", GRAN_FUNCTIONS, false, 0},
        {"", "alloc_space", GRAN_FUNCTIONS, false, 0},
        {"", "alloc_objects", GRAN_FUNCTIONS, false, 0},
        {"", "inuse_objects", GRAN_FUNCTIONS, false, 0},
        {"", "1", GRAN_FUNCTIONS, false, 0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (!check_top(f, heap_profile(f->a), &cases[i]))
            skip();
}

static void
test_top_cum(void **state)
{
    struct fixture *f = *state;
    static const struct top_case c = {"", "", GRAN_FUNCTIONS, true, 0};
    static const struct top_case c2 = {"", "alloc_objects", GRAN_FUNCTIONS, true, 0};

    if (!check_top(f, heap_profile(f->a), &c) || !check_top(f, heap_profile(f->a), &c2))
        skip();
}

static void
test_top_node_count(void **state)
{
    struct fixture *f = *state;
    static const struct top_case cases[] = {
        {"-nodecount=2", "", GRAN_FUNCTIONS, false, 2},
        {"-nodecount=2", "", GRAN_FUNCTIONS, true, 2},
        {"-nodecount=5", "alloc_space", GRAN_FUNCTIONS, false, 5},
        {"-nodecount=1", "alloc_objects", GRAN_FUNCTIONS, false, 1},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (!check_top(f, heap_profile(f->a), &cases[i]))
            skip();
}

/* The structure behind -nodecount=2: two nodes kept out of the original count. */
static void
test_node_count_structure(void **state)
{
    struct fixture *f = *state;
    static const struct top_case c = {"", "", GRAN_FUNCTIONS, false, 2};
    struct profile *p = pbb_profile(heap_profile(f->a));
    struct graph_opts o;
    struct graph *g = build(f->a, p, &c, &o);

    assert_int_equal(g->nnodes, 2);
    assert_int_equal(g->orig_count, 6); /* pprof: "Showing top 2 nodes out of 6" */
    assert_string_equal(g->nodes[0].name, "bytes.makeSlice");
    assert_int_equal(g->nodes[0].flat, 4194304);
    assert_string_equal(g->type, "inuse_space");
    assert_string_equal(g->unit, "bytes");
}

static struct pbb *
recursive_profile(struct arena *a)
{
    struct pbb *b = pbb_new(a);

    pbb_type(b, "samples", "count");
    pbb_type(b, "cpu", "nanoseconds");
    b->period_type.type = pbb_str(b, "cpu");
    b->period_type.unit = pbb_str(b, "nanoseconds");
    b->p.period_type = &b->period_type;
    b->p.period = 10000000;
    SAMPLE(b, "main.main;main.walk:10;main.walk:11;main.walk:11;main.visit", 3, 30000000);
    SAMPLE(b, "main.main;main.walk:10;main.visit;main.walk:11", 2, 20000000);
    SAMPLE(b, "main.main;main.walk:10", 1, 10000000);
    SAMPLE(b, "main.main;main.other", 14, 140000000);
    return b;
}

/* A function twice in one stack counts its cum once per sample. */
static void
test_recursion_cum_once(void **state)
{
    struct fixture *f = *state;
    static const struct top_case c = {"", "", GRAN_FUNCTIONS, false, 0};
    struct profile *p = pbb_profile(recursive_profile(f->a));
    struct graph_opts o;
    struct graph *g = build(f->a, p, &c, &o);
    size_t i;
    int seen = 0;

    assert_int_equal(g->total, 200000000);
    for (i = 0; i < g->nnodes; i++) {
        if (strcmp(g->nodes[i].name, "main.walk") == 0) {
            assert_int_equal(g->nodes[i].cum, 60000000);
            assert_int_equal(g->nodes[i].flat, 30000000);
            seen++;
        } else if (strcmp(g->nodes[i].name, "main.main") == 0) {
            assert_int_equal(g->nodes[i].cum, 200000000);
            assert_int_equal(g->nodes[i].flat, 0);
            seen++;
        }
    }
    assert_int_equal(seen, 2);
}

static void
test_top_recursion(void **state)
{
    struct fixture *f = *state;
    static const struct top_case cases[] = {
        {"", "", GRAN_FUNCTIONS, false, 0},
        {"", "", GRAN_FUNCTIONS, true, 0},
        {"", "samples", GRAN_FUNCTIONS, false, 0},
        {"-lines", "", GRAN_LINES, false, 0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (!check_top(f, recursive_profile(f->a), &cases[i]))
            skip();
}

/* 10000 samples in main.big, 40 in main.rare: 0.4% is under the 0.5% node fraction. */
static struct pbb *
dropped_profile(struct arena *a, int64_t rare)
{
    struct pbb *b = pbb_new(a);

    pbb_type(b, "inuse_space", "bytes");
    SAMPLE(b, "main.main;main.big", 10000);
    SAMPLE(b, "main.main;main.rare", rare);
    SAMPLE(b, "main.main;main.mid;main.rarer", rare / 2);
    return b;
}

static void
test_dropped_nodes(void **state)
{
    struct fixture *f = *state;
    static const struct top_case c = {"", "", GRAN_FUNCTIONS, false, 0};
    struct profile *p = pbb_profile(dropped_profile(f->a, 40));
    struct graph_opts o;
    struct graph *g = build(f->a, p, &c, &o);
    struct buf out;

    assert_int_equal(g->dropped_nodes, 3);
    assert_int_equal(g->nnodes, 2);
    buf_init(&out, 0);
    assert_int_equal(graph_write_top(g, &o, &out), HW_OK);
    assert_non_null(strstr((char *)out.data, "\nDropped 3 nodes (cum <= 0.05kB)\n"));
    buf_reset(&out);
}

static void
test_top_dropped_nodes(void **state)
{
    struct fixture *f = *state;
    static const struct top_case c = {"", "", GRAN_FUNCTIONS, false, 0};
    static const struct top_case c2 = {"-nodecount=1", "", GRAN_FUNCTIONS, false, 1};

    if (!check_top(f, dropped_profile(f->a, 40), &c) ||
        !check_top(f, dropped_profile(f->a, 100), &c) ||
        !check_top(f, dropped_profile(f->a, 2000), &c) ||
        !check_top(f, dropped_profile(f->a, 40), &c2))
        skip();
}

/* Every granularity, on a profile with inlined and unsymbolized frames. */
static void
test_top_granularities(void **state)
{
    struct fixture *f = *state;
    static const struct top_case cases[] = {
        {"-functions", "", GRAN_FUNCTIONS, false, 0},
        {"-lines", "", GRAN_LINES, false, 0},
        {"-files", "", GRAN_FILES, false, 0},
        {"-filefunctions", "", GRAN_FILEFUNCTIONS, false, 0},
        {"-addresses", "", GRAN_ADDRESSES, false, 0},
        {"-lines", "alloc_objects", GRAN_LINES, true, 0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pbb *b = heap_profile(f->a);

        SAMPLE(b, "main.main:14;@4a0", 1, 40000, 1, 40000);
        SAMPLE(b, "main.main:14;@7f00", 1, 80000, 1, 80000);
        b->locs[b->p.n_location - 1]->mapping_id = pbb_mapping(b, "/usr/lib/libfoo.so")->id;
        if (!check_top(f, b, &cases[i]))
            skip();
    }
}

static void
test_top_drop_frames(void **state)
{
    struct fixture *f = *state;
    static const struct top_case c = {"", "", GRAN_FUNCTIONS, false, 0};
    struct pbb *b = heap_profile(f->a);

    b->p.drop_frames = pbb_str(b, "bytes\\..*|main\\.grow");
    if (!check_top(f, b, &c))
        skip();
}

static void
test_top_empty_profile(void **state)
{
    struct fixture *f = *state;
    static const struct top_case c = {"", "", GRAN_FUNCTIONS, false, 0};
    struct pbb *b = pbb_new(f->a);
    struct buf out;

    pbb_type(b, "samples", "count");
    SAMPLE(b, "main.main", 0);
    buf_init(&out, 0);
    our_top(f->a, b, &c, &out);
    assert_string_equal((char *)out.data, "Showing nodes accounting for 0, 0% of 0 total\n"
                                          "      flat  flat%   sum%        cum   cum%\n");
    buf_reset(&out);
    if (!check_top(f, b, &c))
        skip();
}

/* pprof's selectOutputUnit: the smallest node's unit, one up when it is under 1% of
 * the total; the sample unit itself when nothing scales. */
static void
test_output_unit(void **state)
{
    struct fixture *f = *state;
    static const struct top_case c = {"", "", GRAN_FUNCTIONS, false, 0};
    struct graph_opts o;
    struct pbb *b;

    assert_string_equal(graph_output_unit(build(f->a, pbb_profile(heap_profile(f->a)), &c, &o)),
                        "MB");
    b = pbb_new(f->a);
    pbb_type(b, "inuse_space", "bytes");
    SAMPLE(b, "a", 2048);
    SAMPLE(b, "b", 4096);
    assert_string_equal(graph_output_unit(build(f->a, pbb_profile(b), &c, &o)), "kB");
    b = pbb_new(f->a);
    pbb_type(b, "goroutine", "count");
    SAMPLE(b, "a", 5);
    assert_string_equal(graph_output_unit(build(f->a, pbb_profile(b), &c, &o)), "count");
    /* pprof: 20ms and 3s print as "0.02s" and "3s"; 50ms and 3s as "50ms", "3000ms". */
    b = pbb_new(f->a);
    pbb_type(b, "cpu", "nanoseconds");
    SAMPLE(b, "a", 20000000);
    SAMPLE(b, "b", 3000000000);
    assert_string_equal(graph_output_unit(build(f->a, pbb_profile(b), &c, &o)), "s");
    b = pbb_new(f->a);
    pbb_type(b, "cpu", "nanoseconds");
    SAMPLE(b, "a", 50000000);
    SAMPLE(b, "b", 3000000000);
    assert_string_equal(graph_output_unit(build(f->a, pbb_profile(b), &c, &o)), "ms");
    /* A node under the node fraction does not count: 1.5ms of 3s is dropped. */
    b = pbb_new(f->a);
    pbb_type(b, "cpu", "nanoseconds");
    SAMPLE(b, "a", 1500000);
    SAMPLE(b, "b", 3000000000);
    assert_string_equal(graph_output_unit(build(f->a, pbb_profile(b), &c, &o)), "s");
}

static void
test_bad_column(void **state)
{
    struct fixture *f = *state;
    struct profile *p = pbb_profile(heap_profile(f->a));
    struct errbuf eb = {{0}};
    struct graph_opts o;
    struct graph *g = NULL;

    graph_opts_init(&o);
    o.col = 4;
    assert_int_equal(graph_build(f->a, p, &o, &g, &eb), HW_USAGE);
    assert_string_equal(eb.msg, "sample column 4 out of range");
}

/* Walks the arena limit up while building the graph: every step builds or gives
 * HW_TOOBIG, and ASan sees nothing leak (graph_build also uses malloc). */
static void
test_arena_limit_walk(void **state)
{
    struct fixture *f = *state;
    static const struct top_case c = {"", "", GRAN_LINES, false, 0};
    struct profile *p = pbb_profile(heap_profile(f->a));
    struct errbuf eb = {{0}};
    struct graph_opts o;
    size_t limit;
    int done = 0;

    graph_opts_init(&o);
    o.gran = c.gran;
    o.col = 3;
    for (limit = 16; !done && limit < (1 << 20); limit += 16) {
        struct arena *a = arena_new(limit);
        struct graph *g = NULL;
        enum hw_err err = graph_build(a, p, &o, &g, &eb);

        if (err == HW_OK) {
            assert_non_null(g);
            done = 1;
        } else if (err != HW_TOOBIG) {
            fail_msg("limit %zu: %s", limit, hw_strerror(err));
        }
        assert_true(arena_used(a) <= limit);
        arena_free(a);
    }
    assert_true(done);
}

/* Ties and look-alikes: equal flat values ordered by name, one function name in two
 * files (one node at function granularity, two with -lines/-files), a function with
 * a file but no name (its binary's name is used). */
static struct pbb *
tie_profile(struct arena *a)
{
    struct pbb *b = pbb_new(a);

    pbb_type(b, "inuse_space", "bytes");
    SAMPLE(b, "main.main;main.b", 1000);
    SAMPLE(b, "main.main;main.a", 1000);
    SAMPLE(b, "main.main;main.c;util.f:3", 1000);
    SAMPLE(b, "main.main;main.d;util.f2:8", 500);
    SAMPLE(b, "main.main;main.e;nameless:9", 500);
    b->locs[b->p.n_location - 1]->mapping_id = pbb_mapping(b, "/opt/bin/server")->id;
    b->fns[b->p.n_function - 1]->name = pbb_str(b, "");
    b->fns[b->p.n_function - 1]->system_name = pbb_str(b, "");
    b->fns[b->p.n_function - 1]->filename = pbb_str(b, "/src/gen/x.go");
    /* util.f2 is util.f again, from another file and start line. */
    b->fns[b->p.n_function - 3]->name = pbb_str(b, "util.f");
    b->fns[b->p.n_function - 3]->system_name = pbb_str(b, "util.f");
    b->fns[b->p.n_function - 3]->filename = pbb_str(b, "/src/other/util.go");
    b->fns[b->p.n_function - 3]->start_line = 7;
    return b;
}

static void
test_top_ties_and_lookalikes(void **state)
{
    struct fixture *f = *state;
    static const struct top_case cases[] = {
        {"", "", GRAN_FUNCTIONS, false, 0},
        {"", "", GRAN_FUNCTIONS, true, 0},
        {"-lines", "", GRAN_LINES, false, 0},
        {"-files", "", GRAN_FILES, false, 0},
        {"-addresses", "", GRAN_ADDRESSES, false, 0},
        {"-nodecount=3", "", GRAN_FUNCTIONS, false, 3},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (!check_top(f, tie_profile(f->a), &cases[i]))
            skip();
}

/* The public profiles in ../shared/testdata/profiles (real Go heap, CPU, block and
 * mutex profiles, gzip'd or not): our -top must equal pprof's. Skips when the folder
 * or go is absent. */
static void
test_public_profiles_match_pprof(void **state)
{
    static const char dirname[] = "../shared/testdata/profiles";
    static const struct top_case cases[] = {
        {"", "", GRAN_FUNCTIONS, false, 0},
        {"", "", GRAN_FUNCTIONS, true, 0},
        {"-lines", "", GRAN_LINES, false, 0},
        {"-nodecount=10", "0", GRAN_FUNCTIONS, false, 10},
    };
    struct fixture *f = *state;
    struct dirent *de;
    DIR *d;
    int n = 0;

    if (!f->have_go || (d = opendir(dirname)) == NULL)
        skip();
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name), i;
        char path[512];
        struct buf raw;
        FILE *fp;

        if (!(len > 6 && strcmp(de->d_name + len - 6, ".pb.gz") == 0) &&
            !(len > 6 && strcmp(de->d_name + len - 6, ".pprof") == 0))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dirname, de->d_name);
        fp = fopen(path, "rb");
        assert_non_null(fp);
        buf_init(&raw, 0);
        assert_int_equal(buf_read_file(&raw, fp), HW_OK);
        fclose(fp);
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            struct errbuf eb = {{0}};
            struct profile *p;

            if (profile_decode_in(f->a, raw.data, raw.len, &p, &eb) != HW_OK)
                fail_msg("%s: %s", path, eb.msg);
            compare_top(f, path, p, &cases[i]);
        }
        buf_reset(&raw);
        n++;
    }
    closedir(d);
    assert_true(n > 0);
}

/* Hostile values: sums past INT64_MAX wrap as Go's int64 does (pprof prints
 * "-8192PB total"), with no undefined behaviour for UBSan to stop on. */
static void
test_top_overflowing_values(void **state)
{
    struct fixture *f = *state;
    static const struct top_case c = {"", "", GRAN_FUNCTIONS, false, 0};
    struct pbb *b;

    b = pbb_new(f->a);
    pbb_type(b, "inuse_space", "bytes");
    SAMPLE(b, "main.main;main.huge", INT64_MAX);
    SAMPLE(b, "main.main;main.one", 1);
    if (!check_top(f, b, &c))
        skip();
    b = pbb_new(f->a);
    pbb_type(b, "goroutine", "count");
    SAMPLE(b, "main.main;main.min", INT64_MIN);
    SAMPLE(b, "main.main;main.five", 5);
    check_top(f, b, &c);
}

/* Pseudo-random profiles (fixed seeds): 40 functions, frames with inlined callees,
 * recursion, small and large values, so that sorting, ties, trimming and units meet
 * cases nobody wrote down. */
static struct pbb *
random_profile(struct arena *a, uint32_t seed)
{
    struct pbb *b = pbb_heap(a);
    uint32_t x = seed;
    int i, j;

#define NEXT() (x = x * 1664525u + 1013904223u, x >> 8)
    for (i = 0; i < 120; i++) {
        char stack[1024];
        size_t n = 0;
        int depth = 1 + (int)(NEXT() % 7);
        int64_t objs = 1 + (int64_t)(NEXT() % 50), size;

        for (j = 0; j < depth; j++) {
            int fn = (int)(NEXT() % 40), line = 10 + (int)(NEXT() % 3);

            n += (size_t)snprintf(stack + n, sizeof(stack) - n, "%sp%d.f%d:%d", j ? ";" : "",
                                  fn % 4, fn, line);
            if (NEXT() % 5 == 0)
                n += (size_t)snprintf(stack + n, sizeof(stack) - n, "+p%d.inl%d:%d", fn % 3, fn % 6,
                                      line + 20);
        }
        size = objs * (int64_t)(16u << (NEXT() % 16));
        SAMPLE(b, stack, objs, size, NEXT() % 3 ? objs : 0, NEXT() % 3 ? size : 0);
    }
#undef NEXT
    return b;
}

static void
test_top_random_profiles(void **state)
{
    struct fixture *f = *state;
    static const struct top_case cases[] = {
        {"", "", GRAN_FUNCTIONS, false, 0},
        {"", "alloc_objects", GRAN_FUNCTIONS, true, 0},
        {"-lines", "alloc_space", GRAN_LINES, false, 0},
        {"-nodecount=10", "", GRAN_FUNCTIONS, false, 10},
        {"-nodecount=7 -lines", "inuse_objects", GRAN_LINES, true, 7},
        {"-files", "", GRAN_FILES, false, 0},
    };
    uint32_t seed;
    size_t i;

    for (seed = 1; seed <= 4; seed++)
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
            if (!check_top(f, random_profile(f->a, seed), &cases[i]))
                skip();
}

/* nodes_only (the daemon's per-scrape top list) gives the same nodes, flat and cum
 * as the full build, with no edges. */
static void
test_nodes_only_matches_full(void **state)
{
    struct fixture *f = *state;
    static const enum granularity grans[] = {GRAN_FUNCTIONS, GRAN_LINES};
    uint32_t seed;
    size_t gi, i, col;

    for (seed = 1; seed <= 8; seed++) {
        struct profile *p = pbb_profile(random_profile(f->a, seed));

        for (gi = 0; gi < 2; gi++)
            for (col = 0; col < p->ntypes; col++) {
                struct graph_opts o;
                struct graph *full, *lean;

                graph_opts_init(&o);
                o.col = col;
                o.gran = grans[gi];
                o.node_fraction = seed % 2 ? 0 : 0.01;
                o.node_count = (int)(3 + seed);
                assert_int_equal(graph_build(f->a, p, &o, &full, NULL), HW_OK);
                o.nodes_only = true;
                assert_int_equal(graph_build(f->a, p, &o, &lean, NULL), HW_OK);
                assert_int_equal(lean->nnodes, full->nnodes);
                assert_int_equal(lean->nedges, 0);
                assert_int_equal(lean->orig_count, full->orig_count);
                assert_int_equal(lean->dropped_nodes, full->dropped_nodes);
                for (i = 0; i < full->nnodes; i++) {
                    assert_string_equal(lean->nodes[i].name, full->nodes[i].name);
                    assert_int_equal(lean->nodes[i].flat, full->nodes[i].flat);
                    assert_int_equal(lean->nodes[i].cum, full->nodes[i].cum);
                }
            }
    }
}

/* tests/data/unit/heap.top and heap_alloc_objects_cum.top hold pprof's own -top text
 * for heap.pb.gz (Go 1.19), so the comparison runs even where go is absent. */
static void
check_saved_top(struct fixture *f, const char *expected, const struct top_case *c)
{
    char path[256];
    struct errbuf eb = {{0}};
    struct buf gz, want, ours;
    struct profile *p;
    struct graph_opts o;
    struct graph *g;
    FILE *fp;

    snprintf(path, sizeof(path), "tests/data/unit/%s", expected);
    if ((fp = fopen(path, "rb")) == NULL)
        skip();
    buf_init(&want, 0);
    assert_int_equal(buf_read_file(&want, fp), HW_OK);
    fclose(fp);
    fp = fopen("tests/data/unit/heap.pb.gz", "rb");
    assert_non_null(fp);
    buf_init(&gz, 0);
    assert_int_equal(buf_read_file(&gz, fp), HW_OK);
    fclose(fp);
    assert_int_equal(profile_decode_in(f->a, gz.data, gz.len, &p, &eb), HW_OK);
    g = build(f->a, p, c, &o);
    buf_init(&ours, 0);
    assert_int_equal(graph_write_top(g, &o, &ours), HW_OK);
    assert_string_equal((char *)ours.data, (char *)want.data);
    buf_reset(&ours);
    buf_reset(&want);
    buf_reset(&gz);
}

static void
test_saved_pprof_top(void **state)
{
    static const struct top_case c = {"", "", GRAN_FUNCTIONS, false, 0};
    static const struct top_case c2 = {"-cum", "alloc_objects", GRAN_FUNCTIONS, true, 0};

    check_saved_top(*state, "heap.top", &c);
    check_saved_top(*state, "heap_alloc_objects_cum.top", &c2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        GRAPH_TEST(test_top_default),
        GRAPH_TEST(test_top_cum),
        GRAPH_TEST(test_top_node_count),
        GRAPH_TEST(test_node_count_structure),
        GRAPH_TEST(test_recursion_cum_once),
        GRAPH_TEST(test_top_recursion),
        GRAPH_TEST(test_dropped_nodes),
        GRAPH_TEST(test_top_dropped_nodes),
        GRAPH_TEST(test_top_granularities),
        GRAPH_TEST(test_top_drop_frames),
        GRAPH_TEST(test_top_ties_and_lookalikes),
        GRAPH_TEST(test_top_empty_profile),
        GRAPH_TEST(test_output_unit),
        GRAPH_TEST(test_bad_column),
        GRAPH_TEST(test_arena_limit_walk),
        GRAPH_TEST(test_saved_pprof_top),
        GRAPH_TEST(test_top_random_profiles),
        GRAPH_TEST(test_nodes_only_matches_full),
        GRAPH_TEST(test_public_profiles_match_pprof),
        GRAPH_TEST(test_top_overflowing_values), /* last: UBSan stops the binary on failure */
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_diff.c - base subtraction as `go tool pprof -base` and `-diff_base`: equal
 * stacks net out, negative values stay, all-zero samples go, the diff_base label
 * makes the base's total the report total. The top text of a subtracted profile is
 * compared with pprof's own when `go` is there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "arena.h"
#include "buf.h"
#include "decode.h"
#include "diff.h"
#include "graph.h"
#include "profile.h"
#include "profile.pb-c.h"
#include "pbb.h"

static int
setup(void **state)
{
    return pbb_dir_setup(state, "test_diff");
}

#define DIFF_TEST(t) cmocka_unit_test_setup_teardown(t, setup, pbb_dir_teardown)

/* One sample type, stacks and values given as "stack", value pairs. Stacks are made
 * in the order given, so the same order in two profiles gives equal addresses. */
static struct pbb *
prof(struct arena *a, const char *type, const char *unit, int n, ...)
{
    struct pbb *b = pbb_new(a);
    va_list ap;
    int i;

    pbb_type(b, type, unit);
    va_start(ap, n);
    for (i = 0; i < n; i++) {
        const char *stack = va_arg(ap, const char *);
        int64_t v = va_arg(ap, int64_t);

        pbb_sample(b, stack, &v);
    }
    va_end(ap);
    return b;
}

#define V(x) ((int64_t)(x))

static struct profile *
subtract(struct arena *a, struct pbb *p, struct pbb *base, bool diff_base)
{
    struct errbuf eb = {{0}};
    struct profile *out = NULL;

    if (profile_subtract(a, pbb_profile(p), pbb_profile(base), diff_base, &out, &eb) != HW_OK)
        fail_msg("profile_subtract: %s", eb.msg);
    assert_non_null(out);
    assert_int_equal(profile_check(out, &eb), HW_OK);
    return out;
}

/* The value of the sample whose leaf is function leaf (and base-ness is base), or
 * INT64_MIN when there is none; fails when there are several. */
static int64_t
value_of(const struct profile *p, const char *leaf, bool base)
{
    int64_t v = INT64_MIN;
    size_t i;

    for (i = 0; i < p->nsamples; i++) {
        const struct sample *s = &p->samples[i];

        if (s->nlocs == 0 || strcmp(s->locs[0]->lines[0].fn->name, leaf) != 0 ||
            sample_is_diff_base(s) != base)
            continue;
        if (v != INT64_MIN)
            fail_msg("two samples end in %s", leaf);
        v = s->values[0];
    }
    return v;
}

static void
test_equal_stacks_net_out(void **state)
{
    struct fixture *f = *state;
    struct profile *d;

    d = subtract(
        f->a,
        prof(f->a, "inuse_space", "bytes", 3, "main.main;main.a", V(100), "main.main;main.b", V(50),
             "main.main;main.a", V(5)),
        prof(f->a, "inuse_space", "bytes", 2, "main.main;main.a", V(30), "main.main;main.c", V(20)),
        false);
    assert_int_equal(d->nsamples, 3);
    assert_int_equal(value_of(d, "main.a", false), 75);
    assert_int_equal(value_of(d, "main.b", false), 50);
    assert_int_equal(value_of(d, "main.c", false), -20);
    /* The report total is the sum of |value| after netting: 75 + 50 + 20. */
    assert_int_equal(profile_total(d, 0), 145);
}

static void
test_negative_values_kept(void **state)
{
    struct fixture *f = *state;
    struct profile *d;

    d = subtract(f->a, prof(f->a, "inuse_space", "bytes", 1, "main.main;main.a", V(10)),
                 prof(f->a, "inuse_space", "bytes", 1, "main.main;main.a", V(25)), false);
    assert_int_equal(d->nsamples, 1);
    assert_int_equal(value_of(d, "main.a", false), -15);
    assert_int_equal(profile_total(d, 0), 15);
}

static void
test_all_zero_samples_dropped(void **state)
{
    struct fixture *f = *state;
    struct pbb *p = pbb_heap(f->a), *base = pbb_heap(f->a);
    struct profile *d;

    SAMPLE(p, "main.main;main.same", 1, 64, 1, 64);
    SAMPLE(p, "main.main;main.grew", 1, 64, 1, 64);
    SAMPLE(p, "main.main;main.zero", 0, 0, 0, 0); /* dropped even without a match */
    SAMPLE(base, "main.main;main.same", 1, 64, 1, 64);
    SAMPLE(base, "main.main;main.grew", 1, 32, 1, 64);
    d = subtract(f->a, p, base, false);
    assert_int_equal(d->nsamples, 1);
    assert_string_equal(d->samples[0].locs[0]->lines[0].fn->name, "main.grew");
    assert_int_equal(d->samples[0].values[0], 0);
    assert_int_equal(d->samples[0].values[1], 32);
    assert_int_equal(d->samples[0].values[3], 0);
}

/* Samples with the same stack but different labels stay apart, as in pprof's Merge. */
static void
test_labels_keep_samples_apart(void **state)
{
    struct fixture *f = *state;
    struct pbb *p = prof(f->a, "inuse_space", "bytes", 0), *base;
    struct profile *d;

    pbb_label(p, SAMPLE(p, "main.main;main.a", 10), "worker", "1", 0, NULL);
    pbb_label(p, SAMPLE(p, "main.main;main.a", 20), "worker", "2", 0, NULL);
    base = prof(f->a, "inuse_space", "bytes", 0);
    pbb_label(base, SAMPLE(base, "main.main;main.a", 4), "worker", "1", 0, NULL);
    d = subtract(f->a, p, base, false);
    assert_int_equal(d->nsamples, 2);
    assert_int_equal(d->samples[0].values[0], 6);
    assert_int_equal(d->samples[1].values[0], 20);
}

static void
test_mismatched_types(void **state)
{
    struct fixture *f = *state;
    struct errbuf eb = {{0}};
    struct profile *out = (struct profile *)1;
    struct pbb *p = pbb_heap(f->a), *base;

    SAMPLE(p, "main.main", 1, 2, 3, 4);
    base = prof(f->a, "inuse_space", "bytes", 1, "main.main", V(4));
    assert_int_equal(profile_subtract(f->a, pbb_profile(p), pbb_profile(base), false, &out, &eb),
                     HW_BADDATA);
    assert_string_equal(eb.msg, "base profile has 1 sample types, profile has 4");
    base = pbb_new(f->a);
    pbb_type(base, "alloc_objects", "count");
    pbb_type(base, "alloc_space", "bytes");
    pbb_type(base, "inuse_objects", "count");
    pbb_type(base, "inuse_space", "kilobytes");
    errbuf_clear(&eb);
    assert_int_equal(profile_subtract(f->a, pbb_profile(p), pbb_profile(base), true, &out, &eb),
                     HW_BADDATA);
    assert_string_equal(eb.msg, "base profile sample type inuse_space/kilobytes does not match "
                                "inuse_space/bytes");
}

/* With -diff_base the base's samples carry pprof::base and do not net with the
 * profile's; the report total is the base's alone. */
static void
test_diff_base_label_and_total(void **state)
{
    struct fixture *f = *state;
    struct profile *d;
    size_t i, nbase = 0;

    d = subtract(
        f->a,
        prof(f->a, "inuse_space", "bytes", 2, "main.main;main.a", V(100), "main.main;main.b",
             V(50)),
        prof(f->a, "inuse_space", "bytes", 2, "main.main;main.a", V(30), "main.main;main.c", V(20)),
        true);
    assert_int_equal(d->nsamples, 4);
    for (i = 0; i < d->nsamples; i++)
        nbase += sample_is_diff_base(&d->samples[i]);
    assert_int_equal(nbase, 2);
    assert_int_equal(value_of(d, "main.a", false), 100);
    assert_int_equal(value_of(d, "main.a", true), -30);
    assert_int_equal(value_of(d, "main.c", true), -20);
    assert_int_equal(profile_total(d, 0), 50);
}

static void
test_total_without_base(void **state)
{
    struct fixture *f = *state;
    struct profile *p =
        pbb_profile(prof(f->a, "delta", "count", 3, "a", V(10), "b", V(-4), "c", V(0)));

    assert_int_equal(profile_total(p, 0), 14);
    assert_false(sample_is_diff_base(&p->samples[0]));
}

static void
test_header_carried_over(void **state)
{
    struct fixture *f = *state;
    struct pbb *p = pbb_heap(f->a), *base = pbb_heap(f->a);
    struct profile *d;

    SAMPLE(p, "main.main", 1, 2, 3, 4);
    SAMPLE(base, "main.main;main.x", 1, 2, 3, 4);
    p->p.duration_nanos = 30;
    base->p.duration_nanos = 12;
    p->p.default_sample_type = pbb_str(p, "alloc_space");
    d = subtract(f->a, p, base, false);
    assert_int_equal(d->ntypes, 4);
    assert_string_equal(d->sample_types[3].type, "inuse_space");
    assert_string_equal(d->default_sample_type, "alloc_space");
    assert_int_equal(d->period, 524288);
    assert_int_equal(d->duration_nanos, 42);
    assert_int_equal(d->nlocations, 3);
    assert_ptr_equal(d->arena, f->a);
}

/* ---- against pprof ---- */

static void
write_gz(const char *path, struct pbb *b)
{
    unsigned char *data;
    size_t len;
    gzFile gz;

    data = pbb_pack(b, &len);
    gz = gzopen(path, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, data, (unsigned)len), (int)len);
    assert_int_equal(gzclose(gz), Z_OK);
}

/* Compares our -top of p minus base with `go tool pprof -top -base|-diff_base`.
 * Returns 0 when go is absent. */
static int
check_diff_top(struct fixture *f, struct pbb *p, struct pbb *base, bool diff_base,
               const char *sample_index)
{
    char ppath[128], bpath[128], cmd[768], line[4096];
    struct errbuf eb = {{0}};
    struct buf ours, theirs;
    struct graph_opts o;
    struct profile *d;
    struct graph *g;
    FILE *pp;
    int on = 0, same;

    if (!f->have_go)
        return 0;
    snprintf(ppath, sizeof(ppath), "%s/p.pb.gz", f->dir);
    snprintf(bpath, sizeof(bpath), "%s/base.pb.gz", f->dir);
    write_gz(ppath, p);
    write_gz(bpath, base);
    buf_init(&ours, 0);
    buf_init(&theirs, 0);
    d = subtract(f->a, p, base, diff_base);
    graph_opts_init(&o);
    if (profile_sample_index(d, sample_index, &o.col, &eb) != HW_OK)
        fail_msg("%s", eb.msg);
    if (graph_build(f->a, d, &o, &g, &eb) != HW_OK)
        fail_msg("graph_build: %s", eb.msg);
    assert_int_equal(graph_write_top(g, &o, &ours), HW_OK);
    snprintf(cmd, sizeof(cmd), "PPROF_TMPDIR='%s' go tool pprof -top %s%s %s '%s' '%s' 2>/dev/null",
             f->dir, sample_index[0] ? "-sample_index=" : "", sample_index,
             diff_base ? "-diff_base" : "-base", bpath, ppath);
    pp = popen(cmd, "r");
    assert_non_null(pp);
    while (fgets(line, sizeof(line), pp) != NULL) {
        if (strncmp(line, "Showing nodes accounting for", 28) == 0)
            on = 1;
        if (on)
            buf_puts(&theirs, line);
    }
    assert_int_equal(pclose(pp), 0);
    same = on && ours.len == theirs.len && memcmp(ours.data, theirs.data, ours.len) == 0;
    if (!same)
        print_error("%s\n--- ours\n%s--- pprof\n%s", cmd, ours.data ? (char *)ours.data : "",
                    theirs.data ? (char *)theirs.data : "");
    buf_reset(&ours);
    buf_reset(&theirs);
    assert_true(same);
    return 1;
}

/* Two heap snapshots of the same program: a grew, b shrank, c is new, d is gone,
 * e is unchanged. Stacks are made in the same order in both. */
static struct pbb *
snapshot(struct arena *a, int later)
{
    struct pbb *b = pbb_heap(a);

    SAMPLE(b, "main.main;main.load;main.a", 10, later ? 8388608 : 2097152, 4,
           later ? 4194304 : 1048576);
    SAMPLE(b, "main.main;main.load;main.b", 5, later ? 524288 : 3145728, 2,
           later ? 262144 : 2097152);
    SAMPLE(b, "main.main;main.serve;main.c", 3, later ? 1048576 : 0, later ? 3 : 0,
           later ? 1048576 : 0);
    SAMPLE(b, "main.main;main.serve;main.d", later ? 0 : 7, later ? 0 : 65536, later ? 0 : 7,
           later ? 0 : 65536);
    SAMPLE(b, "main.main;main.e", 1, 4096, 1, 4096);
    return b;
}

/* The same stacks made in another order sit at other addresses: pprof's merge keeps
 * them apart (no netting), and the report total shows it. */
static struct pbb *
snapshot_reordered(struct arena *a)
{
    struct pbb *b = pbb_heap(a);

    SAMPLE(b, "main.main;main.e", 1, 4096, 1, 4096);
    SAMPLE(b, "main.main;main.serve;main.d", 7, 65536, 7, 65536);
    SAMPLE(b, "main.main;main.load;main.b", 5, 3145728, 2, 2097152);
    SAMPLE(b, "main.main;main.load;main.a", 10, 2097152, 4, 1048576);
    return b;
}

static void
test_top_base_other_addresses(void **state)
{
    struct fixture *f = *state;

    if (!check_diff_top(f, snapshot(f->a, 1), snapshot_reordered(f->a), false, "") ||
        !check_diff_top(f, snapshot(f->a, 1), snapshot_reordered(f->a), true, ""))
        skip();
}

static void
test_top_base(void **state)
{
    struct fixture *f = *state;

    if (!check_diff_top(f, snapshot(f->a, 1), snapshot(f->a, 0), false, "") ||
        !check_diff_top(f, snapshot(f->a, 1), snapshot(f->a, 0), false, "alloc_space") ||
        !check_diff_top(f, snapshot(f->a, 0), snapshot(f->a, 1), false, "") ||
        !check_diff_top(f, snapshot(f->a, 1), snapshot(f->a, 1), false, ""))
        skip();
}

static void
test_top_diff_base(void **state)
{
    struct fixture *f = *state;

    if (!check_diff_top(f, snapshot(f->a, 1), snapshot(f->a, 0), true, "") ||
        !check_diff_top(f, snapshot(f->a, 1), snapshot(f->a, 0), true, "inuse_objects") ||
        !check_diff_top(f, snapshot(f->a, 0), snapshot(f->a, 1), true, ""))
        skip();
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

/* Random pairs: stacks that recur across seeds net out, the rest stay apart. */
static void
test_top_random_pairs(void **state)
{
    struct fixture *f = *state;
    uint32_t seed;

    for (seed = 1; seed <= 3; seed++)
        if (!check_diff_top(f, random_profile(f->a, seed), random_profile(f->a, seed + 10), false,
                            "") ||
            !check_diff_top(f, random_profile(f->a, seed), random_profile(f->a, seed), false,
                            "alloc_space") ||
            !check_diff_top(f, random_profile(f->a, seed + 10), random_profile(f->a, seed), true,
                            "alloc_objects"))
            skip();
}

/* pprof adds int64s that wrap: |MaxInt64| + 1 is MinInt64, and |MinInt64| stays
 * MinInt64. A hostile profile must get the same, without undefined behaviour
 * (UBSan stops the binary, so this runs last). */
static void
test_total_wraps_like_go(void **state)
{
    struct fixture *f = *state;
    struct profile *p;

    p = pbb_profile(prof(f->a, "inuse_space", "bytes", 2, "a", V(INT64_MAX), "b", V(1)));
    assert_int_equal(profile_total(p, 0), INT64_MIN);
    p = pbb_profile(prof(f->a, "inuse_space", "bytes", 1, "a", V(INT64_MIN)));
    assert_int_equal(profile_total(p, 0), INT64_MIN);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        DIFF_TEST(test_equal_stacks_net_out),
        DIFF_TEST(test_negative_values_kept),
        DIFF_TEST(test_all_zero_samples_dropped),
        DIFF_TEST(test_labels_keep_samples_apart),
        DIFF_TEST(test_mismatched_types),
        DIFF_TEST(test_diff_base_label_and_total),
        DIFF_TEST(test_total_without_base),
        DIFF_TEST(test_header_carried_over),
        DIFF_TEST(test_top_base),
        DIFF_TEST(test_top_diff_base),
        DIFF_TEST(test_top_base_other_addresses),
        DIFF_TEST(test_top_random_pairs),
        DIFF_TEST(test_total_wraps_like_go), /* last: UBSan stops the binary on failure */
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

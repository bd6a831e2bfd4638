/* test_leaks.c - the leak tracker on profiles built in time order: a growing site
 * among churning ones is a leak with that site on top; a cache that warms up and
 * stays flat is not; goroutine growth gives goroutine suspects; restarts start a new
 * window; thousands of distinct stacks over hundreds of scrapes stay within the
 * bounds of leaks.h; MemStats from legacy text are followed. Includes leaks.c to look
 * at the tracker's insides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../profile/leaks.c"
#include "pbb.h"

#define MiB (1024 * 1024)
#define STEP_MS 15000

struct site {
    const char *stack;
    int64_t bytes, objects;
};

/* xorshift in [0, n): deterministic churn. */
static int64_t
rnd(uint64_t *s, int64_t n)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (int64_t)(*s % (uint64_t)n);
}

/* A heap profile with the given stacks; alloc is the cumulative alloc_space. */
static struct profile *
heap(struct arena *a, const struct site *s, size_t n, int64_t alloc)
{
    struct pbb *b = pbb_heap(a);
    size_t i;

    for (i = 0; i < n; i++)
        SAMPLE(b, s[i].stack, s[i].objects * 2, i == 0 ? alloc : s[i].bytes * 2, s[i].objects,
               s[i].bytes);
    return pbb_profile(b);
}

static void
add(struct leak_tracker *t, int64_t ms, const struct profile *p)
{
    struct errbuf eb = {{0}};

    if (leak_tracker_add(t, ms, p, &eb) != HW_OK)
        fail_msg("leak_tracker_add: %s", eb.msg);
}

static struct leak_report *
report(const struct leak_tracker *t)
{
    struct leak_report *r = NULL;

    assert_int_equal(leak_tracker_report(t, &r), HW_OK);
    assert_non_null(r);
    return r;
}

/* One scrape of the leaky program: main.leak grows by 1 MiB a scrape, two churn
 * sites jump around, one site is constant. */
static struct profile *
leaky(struct arena *a, int i, uint64_t *seed, int64_t alloc)
{
    struct site s[] = {
        {"main.main;main.serve;main.leak:42", (int64_t)i * MiB + MiB, 1000 * (int64_t)i + 1},
        {"main.main;main.serve;main.churn:50", rnd(seed, 4) * MiB, rnd(seed, 100) + 1},
        {"main.main;main.batch;bytes.makeSlice:7", rnd(seed, 3) * MiB, rnd(seed, 10) + 1},
        {"runtime.main;runtime.malg:1", 512 * 1024, 1},
    };

    return heap(a, s, 4, alloc);
}

static void
test_growing_site_is_leak(void **state)
{
    struct leak_tracker *t = leak_tracker_new(NULL);
    uint64_t seed = 88172645463325252ull;
    struct leak_report *r;
    int i;

    assert_non_null(t);
    for (i = 0; i < 20; i++)
        add(t, 1700000000000 + (int64_t)i * STEP_MS,
            leaky(*state, i, &seed, 100LL * MiB * (i + 1)));
    r = report(t);
    assert_int_equal(r->kind, LEAK_KIND_HEAP);
    assert_string_equal(r->verdict_name, "leak");
    assert_int_equal(r->nscrapes, 20);
    assert_true(r->nsuspects >= 1);
    assert_string_equal(r->suspects[0].site, "main.leak /src/app/main.go:42");
    assert_int_equal(r->suspects[0].nframes, 3);
    assert_string_equal(r->suspects[0].frames[0], "main.main");
    assert_string_equal(r->suspects[0].frames[2], "main.leak");
    assert_true(r->suspects[0].growth_per_min > 3.9 * MiB &&
                r->suspects[0].growth_per_min < 4.1 * MiB);
    assert_true(r->suspects[0].share > 0.5);
    assert_true(r->suspects[0].value == 20.0 * MiB);
    assert_true(r->suspects[0].objects == 19001);
    assert_true(r->suspects[0].first_seen_ms == 1700000000000);
    assert_int_equal(r->suspects[0].npoints, 20);
    assert_int_equal(r->npoints, 20);
    assert_true(r->nevidence >= 3);
    assert_int_equal(r->nmemstats, 0);
    for (i = 1; i < (int)r->nsuspects; i++)
        assert_true(strstr(r->suspects[i].site, "churn") == NULL);
    leak_report_free(r);
    leak_tracker_free(t);
}

/* A cache warming up for 5 scrapes to 8 MiB, then flat with churn around it. */
static void
test_bounded_warmup_not_leak(void **state)
{
    struct leak_tracker *t = leak_tracker_new(NULL);
    uint64_t seed = 7;
    struct leak_report *r;
    int i;

    for (i = 0; i < 30; i++) {
        struct site s[] = {
            {"main.main;main.(*LRU).Add:84",
             (i < 5 ? i + 1 : 5) * 8 * MiB / 5 + (i >= 5 ? (rnd(&seed, 3) - 1) * 256 * 1024 : 0),
             100},
            {"main.main;main.handle:40", rnd(&seed, 4) * MiB, 10},
        };

        add(t, (int64_t)i * STEP_MS, heap(*state, s, 2, 10LL * MiB * (i + 1)));
    }
    r = report(t);
    assert_string_not_equal(r->verdict_name, "leak");
    assert_int_equal(r->verdict, LEAK_STABLE);
    assert_int_equal(r->nsuspects, 0);
    assert_true(r->total.levelled);
    leak_report_free(r);
    leak_tracker_free(t);
}

/* Pure churn with no trend at all: stable, nothing suspected. */
static void
test_churn_is_stable(void **state)
{
    struct leak_tracker *t = leak_tracker_new(NULL);
    uint64_t seed = 99;
    struct leak_report *r;
    int i;

    for (i = 0; i < 40; i++) {
        struct site s[] = {
            {"main.main;main.handle:40", 1 + rnd(&seed, 16) * 512 * 1024, 10},
            {"main.main;main.remember:25", 1 + rnd(&seed, 2) * 512 * 1024, 1},
        };

        add(t, (int64_t)i * STEP_MS, heap(*state, s, 2, 10LL * MiB * (i + 1)));
    }
    r = report(t);
    assert_int_equal(r->verdict, LEAK_STABLE);
    assert_int_equal(r->nsuspects, 0);
    leak_report_free(r);
    leak_tracker_free(t);
}

static struct profile *
goroutines(struct arena *a, int64_t leaked)
{
    struct pbb *b = pbb_new(a);

    pbb_type(b, "goroutine", "count");
    SAMPLE(b, "main.main;main.startJob:30;main.worker:20+runtime.chansend1;runtime.gopark", leaked);
    SAMPLE(b, "net/http.(*Server).Serve;internal/poll.runtime_pollWait;runtime.gopark", 3);
    SAMPLE(b, "runtime.main;runtime.gopark", 1);
    return pbb_profile(b);
}

static void
test_goroutine_growth(void **state)
{
    struct leak_tracker *t = leak_tracker_new(NULL);
    struct leak_report *r;
    int i;

    for (i = 0; i < 12; i++)
        add(t, (int64_t)i * STEP_MS, goroutines(*state, 1 + 128 * (int64_t)i));
    assert_int_equal(leak_tracker_kind(t), LEAK_KIND_GOROUTINE);
    r = report(t);
    assert_string_equal(r->kind_name, "goroutine");
    assert_string_equal(r->unit, "count");
    assert_int_equal(r->verdict, LEAK_LEAK);
    assert_int_equal(r->nsuspects, 1);
    /* The innermost frame outside package runtime: the worker (chansend1 is inlined). */
    assert_string_equal(r->suspects[0].site, "main.worker /src/app/main.go:20");
    assert_true(r->suspects[0].value == 1 + 128 * 11);
    assert_true(r->suspects[0].growth_per_min > 511 && r->suspects[0].growth_per_min < 513);
    assert_true(r->value == 1 + 128 * 11 + 4);
    leak_report_free(r);
    leak_tracker_free(t);
}

static void
test_kind_mismatch_and_not_a_heap(void **state)
{
    struct leak_tracker *t = leak_tracker_new(NULL);
    struct site s[] = {{"main.main;main.f", MiB, 1}};
    struct errbuf eb = {{0}};
    struct pbb *b = pbb_new(*state);

    add(t, 0, heap(*state, s, 1, MiB));
    assert_int_equal(leak_tracker_add(t, 1000, goroutines(*state, 5), &eb), HW_USAGE);
    assert_non_null(strstr(eb.msg, "goroutine profile among heap"));
    pbb_type(b, "cpu", "nanoseconds");
    SAMPLE(b, "main.main", 5);
    errbuf_clear(&eb);
    assert_int_equal(leak_tracker_add(t, 2000, pbb_profile(b), &eb), HW_USAGE);
    assert_non_null(strstr(eb.msg, "neither"));
    assert_int_equal(leak_tracker_scrapes(t), 1);
    leak_tracker_free(t);
}

static void
test_not_enough_data(void **state)
{
    struct leak_tracker *t = leak_tracker_new(NULL);
    struct leak_report *r;
    uint64_t seed = 5;
    int i;

    r = report(t); /* nothing added at all */
    assert_int_equal(r->verdict, LEAK_NOT_ENOUGH_DATA);
    assert_string_equal(r->kind_name, "none");
    leak_report_free(r);
    for (i = 0; i < 4; i++)
        add(t, (int64_t)i * STEP_MS, leaky(*state, i, &seed, 100LL * MiB * (i + 1)));
    r = report(t);
    assert_int_equal(r->verdict, LEAK_NOT_ENOUGH_DATA);
    assert_string_equal(r->verdict_name, "not enough data");
    assert_int_equal(r->nsuspects, 0);
    leak_report_free(r);
    leak_tracker_free(t);
}

/* alloc_space going down means a new process: the window starts again. */
static void
test_restart_starts_new_window(void **state)
{
    struct leak_tracker *t = leak_tracker_new(NULL);
    struct leak_report *r;
    uint64_t seed = 11;
    int i;

    for (i = 0; i < 15; i++)
        add(t, (int64_t)i * STEP_MS, leaky(*state, i, &seed, 100LL * MiB * (i + 1)));
    add(t, 15 * STEP_MS, leaky(*state, 0, &seed, 50LL * MiB)); /* restarted */
    assert_int_equal(leak_tracker_scrapes(t), 1);
    r = report(t);
    assert_int_equal(r->restarts, 1);
    assert_int_equal(r->verdict, LEAK_NOT_ENOUGH_DATA);
    assert_true(r->first_ms == 15 * STEP_MS);
    leak_report_free(r);
    for (i = 1; i < 10; i++)
        add(t, (15 + (int64_t)i) * STEP_MS, leaky(*state, i, &seed, 50LL * MiB * (i + 1)));
    r = report(t);
    assert_int_equal(r->verdict, LEAK_LEAK);
    assert_int_equal(r->nscrapes, 10);
    assert_string_equal(r->suspects[0].site, "main.leak /src/app/main.go:42");
    assert_true(r->suspects[0].first_seen_ms == 15 * STEP_MS);
    leak_report_free(r);
    /* Time going backwards is a restart too. */
    add(t, 0, leaky(*state, 0, &seed, 1000LL * MiB));
    assert_int_equal(leak_tracker_scrapes(t), 1);
    /* Goroutine profiles have no cumulative column: a halved total is a restart. */
    leak_tracker_free(t);
    t = leak_tracker_new(NULL);
    for (i = 0; i < 6; i++)
        add(t, (int64_t)i * STEP_MS, goroutines(*state, 100 + 10 * (int64_t)i));
    add(t, 6 * STEP_MS, goroutines(*state, 20));
    assert_int_equal(leak_tracker_scrapes(t), 1);
    leak_tracker_free(t);
}

static size_t
used(const struct series *set, size_t n)
{
    size_t i, k = 0;

    for (i = 0; i < n; i++)
        k += set[i].used;
    return k;
}

static size_t
interned(const struct intern *in)
{
    size_t i, k = 0;
    const struct istr *e;

    for (i = 0; i < INTERN_BUCKETS; i++)
        for (e = in->b[i]; e != NULL; e = e->next)
            k++;
    return k;
}

/* 300 scrapes (thinned into 120 points), each with 150 stacks never seen before and
 * one leak: the tracker stays within its bounds and still finds the leak. */
static void
test_bounded_memory_many_stacks(void **state)
{
    struct leak_tracker *t = leak_tracker_new(NULL);
    struct leak_report *r;
    int i, k;

    for (i = 0; i < 300; i++) {
        struct arena *a = arena_new(0);
        struct pbb *b = pbb_heap(a);
        char stack[64];

        SAMPLE(b, "main.main;main.leak:42", 1000 * (int64_t)i, 100LL * MiB * (i + 1),
               10 * (int64_t)i + 1, 64 * 1024 * (int64_t)i + 1);
        for (k = 0; k < 150; k++) {
            snprintf(stack, sizeof(stack), "main.main;main.f%d_%d:%d", i, k, k);
            SAMPLE(b, stack, 1, 4096, 1, 1024 + k);
        }
        add(t, (int64_t)i * STEP_MS, pbb_profile(b));
        arena_free(a);
        assert_true(t->n <= t->o.max_points);
        assert_true(used(t->stacks, t->o.max_series) <= t->o.max_series);
        assert_true(used(t->sites, t->o.max_series) <= t->o.max_series);
        assert_true(interned(&t->names) <= 4 * t->o.max_series);
    }
    assert_int_equal(t->stride, 4);
    r = report(t);
    assert_int_equal(r->nscrapes, 300);
    assert_true(r->npoints <= 120 && r->npoints >= 60);
    assert_true(r->first_ms == 0 && r->last_ms == 299 * STEP_MS);
    assert_int_equal(r->verdict, LEAK_LEAK);
    assert_string_equal(r->suspects[0].site, "main.leak /src/app/main.go:42");
    /* Points stay in time order and evenly spaced apart from the newest. */
    for (k = 2; k + 1 < (int)r->npoints; k++)
        assert_true(r->points[k].t_ms - r->points[k - 1].t_ms ==
                    r->points[k - 1].t_ms - r->points[k - 2].t_ms);
    leak_report_free(r);
    (void)state;
    leak_tracker_free(t);
}

/* Legacy text heap profiles carry MemStats; the report follows them. */
static void
test_memstats_from_legacy_text(void **state)
{
    struct leak_tracker *t = leak_tracker_new(NULL);
    struct leak_report *r;
    char text[1024];
    int i;
    size_t k;

    for (i = 0; i < 8; i++) {
        struct errbuf eb = {{0}};
        struct profile *p = NULL;
        int n = snprintf(text, sizeof(text),
                         "heap profile: %d: %d [%d: %d] @ heap/524288\n"
                         "%d: %d [%d: %d] @ 0x401000 0x402000\n\n"
                         "# runtime.MemStats\n# Alloc = %d\n# HeapAlloc = %d\n# Sys = 70000000\n"
                         "# HeapInuse = %d\n# HeapObjects = %d\n# NumGC = %d\n",
                         i + 1, (i + 1) * 1048576, 10 * (i + 1), 10 * 1048576 * (i + 1), i + 1,
                         (i + 1) * 1048576, 10 * (i + 1), 10 * 1048576 * (i + 1), i * 1000000,
                         i * 1000000, i * 1100000, i * 100, 3 * i);

        if (profile_decode_in(*state, (const unsigned char *)text, (size_t)n, &p, &eb) != HW_OK)
            fail_msg("decode: %s", eb.msg);
        add(t, (int64_t)i * STEP_MS, p);
    }
    r = report(t);
    assert_int_equal(r->nmemstats, 5);
    for (k = 0; k < r->nmemstats; k++) {
        assert_int_equal(r->memstats[k].npoints, 8);
        if (strcmp(r->memstats[k].name, "HeapInuse") == 0)
            assert_true(r->memstats[k].trend.slope > 4.3e6 && r->memstats[k].trend.slope < 4.5e6);
        if (strcmp(r->memstats[k].name, "Sys") == 0)
            assert_true(r->memstats[k].trend.slope == 0);
    }
    leak_report_free(r);
    leak_tracker_free(t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        ARENA_TEST(test_growing_site_is_leak),
        ARENA_TEST(test_bounded_warmup_not_leak),
        ARENA_TEST(test_churn_is_stable),
        ARENA_TEST(test_goroutine_growth),
        ARENA_TEST(test_kind_mismatch_and_not_a_heap),
        ARENA_TEST(test_not_enough_data),
        ARENA_TEST(test_restart_starts_new_window),
        ARENA_TEST(test_bounded_memory_many_stacks),
        ARENA_TEST(test_memstats_from_legacy_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_trend.c - the statistics behind leak detection on synthetic series: steady
 * growth, GC-style steps (repeated values), noise without trend, a plateau after a
 * warm-up, a restart-like drop, flat, falling, too few points, all values tied, huge
 * values; and the parts (Theil-Sen, Mann-Kendall) against hand-computed numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "trend.h"

#define N 40

/* A deterministic pseudo-random value in [-1, 1] (xorshift), so runs repeat. */
static double
noise(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (double)(*s % 20001) / 10000.0 - 1.0;
}

static struct trend
analyze(const double *y, size_t n)
{
    struct trend_opts o;
    struct trend tr;
    double t[1200];
    size_t i;

    assert_true(n <= 1200);
    for (i = 0; i < n; i++)
        t[i] = 1.7e12 + 15000.0 * (double)i; /* every 15 s, epoch milliseconds */
    trend_opts_init(&o);
    assert_int_equal(trend_analyze(t, y, n, &o, &tr), HW_OK);
    return tr;
}

static void
test_steady_growth(void **state)
{
    double y[N];
    struct trend tr;
    size_t i;

    (void)state;
    for (i = 0; i < N; i++)
        y[i] = 1000 + 250.0 * (double)i; /* 250 per 15 s = 1000 per minute */
    tr = analyze(y, N);
    assert_true(fabs(tr.slope - 1000) < 1e-6);
    assert_true(fabs(tr.first - 1000) < 1e-6);
    assert_true(fabs(tr.last - (1000 + 250.0 * (N - 1))) < 1e-6);
    assert_true(tr.p < 1e-6);
    assert_true(tr.tau > 0.999);
    assert_true(tr.s == N * (N - 1) / 2);
    assert_false(tr.levelled);
    assert_int_equal(tr.n, N);
}

/* Heap profiles change only at the end of a GC cycle: each value repeats 3 times. */
static void
test_gc_steps(void **state)
{
    double y[N];
    struct trend tr;
    size_t i;

    (void)state;
    for (i = 0; i < N; i++)
        y[i] = 4096.0 * (double)(i / 3);
    tr = analyze(y, N);
    assert_true(tr.p < 1e-6);
    assert_true(tr.tau > 0.95); /* tau-b discounts the ties */
    assert_true(tr.slope > 0.7 * 4096 * 4 / 3 && tr.slope < 1.3 * 4096 * 4 / 3);
    assert_false(tr.levelled);
}

static void
test_noise_without_trend(void **state)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    double y[N];
    struct trend tr;
    size_t i;
    int k, significant = 0;

    (void)state;
    for (k = 0; k < 50; k++) {
        for (i = 0; i < N; i++)
            y[i] = 1e6 + 2e5 * noise(&seed);
        tr = analyze(y, N);
        significant += tr.p < 0.01;
        assert_true(fabs(tr.tau) < 0.5);
    }
    assert_true(significant <= 2); /* about 1% by chance */
}

/* A cache warming up to its bound for a quarter of the window, then flat with noise. */
static void
test_plateau_after_warmup(void **state)
{
    uint64_t seed = 12345;
    double y[N];
    struct trend tr;
    size_t i;

    (void)state;
    for (i = 0; i < N; i++)
        y[i] = (i < N / 4 ? 2e5 * (double)i : 2e5 * (N / 4)) + 1e4 * noise(&seed);
    tr = analyze(y, N);
    assert_true(tr.slope > 0);
    assert_true(tr.levelled);
    assert_true(tr.recent_p > 0.05);
    assert_true(fabs(tr.recent_slope) < 0.5 * tr.slope);
}

/* A leak with one stall at the end is still rising: the tail keeps most of the slope. */
static void
test_leak_with_short_stall(void **state)
{
    double y[20];
    struct trend tr;
    size_t i;

    (void)state;
    for (i = 0; i < 20; i++)
        y[i] = 1000.0 * (double)(i < 18 ? i : 17);
    tr = analyze(y, 20);
    assert_true(tr.p < 1e-6);
    assert_false(tr.levelled);
}

/* A process restart in the middle: a drop to near zero, then growth again. The whole
 * series is not one rising trend; the tail (after the restart) rises on its own. */
static void
test_restart_drop(void **state)
{
    double y[N];
    struct trend tr;
    size_t i;

    (void)state;
    for (i = 0; i < N; i++)
        y[i] = i < N / 2 ? 1e6 + 1e4 * (double)i : 1e3 * (double)(i - N / 2);
    tr = analyze(y, N);
    assert_true(tr.s < 0);
    assert_false(tr.slope > 0 && tr.p < 0.01);
    assert_true(tr.recent_p < 0.01 && tr.recent_slope > 0);
}

/* One outlier in a steady series barely moves Theil-Sen. */
static void
test_outlier_robust(void **state)
{
    double y[N];
    struct trend tr;
    size_t i;

    (void)state;
    for (i = 0; i < N; i++)
        y[i] = 100.0 * (double)i;
    y[N / 2] = 1e9;
    tr = analyze(y, N);
    assert_true(fabs(tr.slope - 400) < 40); /* 100 per 15 s */
    assert_true(tr.p < 1e-6);
}

static void
test_flat(void **state)
{
    double y[N];
    struct trend tr;
    size_t i;

    (void)state;
    for (i = 0; i < N; i++)
        y[i] = 524288;
    tr = analyze(y, N);
    assert_true(tr.slope == 0);
    assert_true(tr.s == 0);
    assert_true(tr.var_s == 0); /* all tied */
    assert_true(tr.z == 0);
    assert_true(tr.p == 1);
    assert_true(tr.tau == 0);
    assert_true(tr.levelled);
    assert_true(tr.first == 524288 && tr.last == 524288);
}

static void
test_decreasing(void **state)
{
    double y[N];
    struct trend tr;
    size_t i;

    (void)state;
    for (i = 0; i < N; i++)
        y[i] = 1e6 - 1e3 * (double)i;
    tr = analyze(y, N);
    assert_true(tr.slope < 0);
    assert_true(tr.z < -5);
    assert_true(tr.tau < -0.999);
    assert_true(tr.levelled);
}

static void
test_too_few_points(void **state)
{
    struct trend_opts o;
    struct trend tr;
    double t[2] = {0, 1000}, y[2] = {1, 2};

    (void)state;
    trend_opts_init(&o);
    assert_int_equal(trend_analyze(t, y, 0, &o, &tr), HW_OK);
    assert_int_equal(tr.n, 0);
    assert_true(tr.p == 1);
    assert_int_equal(trend_analyze(t, y, 1, &o, &tr), HW_OK);
    assert_true(tr.slope == 0 && tr.p == 1);
    assert_int_equal(trend_analyze(t, y, 2, &o, &tr), HW_OK);
    assert_true(fabs(tr.slope - 60) < 1e-9); /* 1 per second */
    assert_true(tr.p > 0.05);                /* two points prove nothing */
}

static void
test_bad_input(void **state)
{
    struct trend_opts o;
    struct trend tr;
    double t[3] = {0, 2000, 1000}, y[3] = {1, 2, 3}, bad[3] = {1, NAN, 3};

    (void)state;
    trend_opts_init(&o);
    assert_int_equal(trend_analyze(t, y, 3, &o, &tr), HW_USAGE);
    t[2] = 3000;
    assert_int_equal(trend_analyze(t, bad, 3, &o, &tr), HW_BADDATA);
    assert_int_equal(trend_analyze(NULL, y, 3, &o, &tr), HW_USAGE);
}

/* Two groups of ties: the variance loses t(t-1)(2t+5)/18 per group. */
static void
test_mann_kendall_ties(void **state)
{
    double y[6] = {1, 1, 2, 2, 2, 3}, s, var, z, p, tau;

    (void)state;
    trend_mann_kendall(y, 6, &s, &var, &z, &p, &tau);
    /* Pairs: 15, of which 1 + 3 tied; the other 11 all rise. */
    assert_true(s == 11);
    assert_true(fabs(var - (6 * 5 * 17 - 2 * 1 * 9 - 3 * 2 * 11) / 18.0) < 1e-12);
    assert_true(fabs(z - 10 / sqrt(var)) < 1e-12);
    assert_true(fabs(p - erfc(fabs(z) / sqrt(2.0))) < 1e-15);
    assert_true(fabs(tau - 11 / sqrt(15.0 * (15 - 4))) < 1e-12);
}

static void
test_theil_sen_median(void **state)
{
    double t[4] = {0, 1, 2, 3}, y[4] = {0, 1, 4, 3}, scratch[6];

    (void)state;
    /* Slopes: 1, 2, 1, 3, 1, -1: sorted -1 1 1 1 2 3, median 1. */
    assert_true(trend_theil_sen(t, y, 4, scratch) == 1);
    t[1] = 0; /* equal times give no slope: 2, 1, 4/2... */
    y[1] = 5;
    /* Pairs with t differing: (0,2) 2, (0,3) 1, (1,2) -0.5, (1,3) -2/3, (2,3) -1. */
    assert_true(trend_theil_sen(t, y, 4, scratch) == -0.5);
}

/* Byte counts near 2^50 keep their trend: differences, not sums, are taken. */
static void
test_huge_values(void **state)
{
    double y[N];
    struct trend tr;
    size_t i;

    (void)state;
    for (i = 0; i < N; i++)
        y[i] = 1125899906842624.0 + 4096.0 * (double)i;
    tr = analyze(y, N);
    assert_true(fabs(tr.slope - 4096 * 4) < 1e-3);
    assert_true(tr.p < 1e-6);
    assert_true(isfinite(tr.first) && isfinite(tr.last));
}

/* More points than max_points are thinned evenly, ends kept. */
static void
test_thinning(void **state)
{
    static double y[1100];
    struct trend tr;
    size_t i;

    (void)state;
    for (i = 0; i < 1100; i++)
        y[i] = 10.0 * (double)i;
    tr = analyze(y, 1100);
    assert_int_equal(tr.n, 240);
    assert_true(fabs(tr.slope - 40) < 1e-6);
    assert_true(fabs(tr.last - 10.0 * 1099) < 1e-6);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steady_growth),
        cmocka_unit_test(test_gc_steps),
        cmocka_unit_test(test_noise_without_trend),
        cmocka_unit_test(test_plateau_after_warmup),
        cmocka_unit_test(test_leak_with_short_stall),
        cmocka_unit_test(test_restart_drop),
        cmocka_unit_test(test_outlier_robust),
        cmocka_unit_test(test_flat),
        cmocka_unit_test(test_decreasing),
        cmocka_unit_test(test_too_few_points),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_mann_kendall_ties),
        cmocka_unit_test(test_theil_sen_median),
        cmocka_unit_test(test_huge_values),
        cmocka_unit_test(test_thinning),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* trend.c - Theil-Sen, Mann-Kendall and the levelled-off test. Everything is O(n^2)
 * in the points, which is why a series is thinned to max_points first; medians are
 * found by quickselect, so the pairwise slopes need no sort. One scratch array per
 * trend_analyze call holds the thinned series and the pairwise slopes. */
#include "trend.h"

#include <math.h>
#include <stdlib.h>

#define MS_PER_MIN 60000.0

void
trend_opts_init(struct trend_opts *o)
{
    o->max_points = 240;
    o->recent_frac = 0.5;
    o->recent_min = 4;
    o->level_ratio = 0.5;
    o->level_p = 0.05;
    o->recent_test_min = 8;
}

static void
swap(double *a, double *b)
{
    double t = *a;

    *a = *b;
    *b = t;
}

/* The k-th smallest of v[0..n) (0-based), Wirth's selection; reorders v so that
 * everything before index k is no greater than v[k]. Signed indices: j may pass 0. */
static double
select_kth(double *v, size_t n, size_t k)
{
    long lo = 0, hi = (long)n - 1, kk = (long)k;

    while (lo < hi) {
        double x = v[kk];
        long i = lo, j = hi;

        do {
            while (v[i] < x)
                i++;
            while (x < v[j])
                j--;
            if (i <= j)
                swap(&v[i++], &v[j--]);
        } while (i <= j);
        if (j < kk)
            lo = i;
        if (kk < i)
            hi = j;
    }
    return v[kk];
}

/* The median of v[0..n), n > 0; reorders v. */
static double
median(double *v, size_t n)
{
    double hi = select_kth(v, n, n / 2), lo;
    size_t i;

    if (n % 2 == 1)
        return hi;
    /* select_kth left everything below index n/2 no greater than hi. */
    lo = v[0];
    for (i = 1; i < n / 2; i++)
        if (v[i] > lo)
            lo = v[i];
    return (lo + hi) / 2;
}

double
trend_theil_sen(const double *t_ms, const double *y, size_t n, double *scratch)
{
    size_t i, j, m = 0;

    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++)
            if (t_ms[j] > t_ms[i])
                scratch[m++] = (y[j] - y[i]) / (t_ms[j] - t_ms[i]);
    return m > 0 ? median(scratch, m) : 0;
}

/* Sum over groups of tied values of t(t-1)(2t+5), and of t(t-1)/2. */
static void
tie_sums(const double *y, size_t n, double *var_ties, double *pair_ties)
{
    size_t i, j;

    *var_ties = *pair_ties = 0;
    for (i = 0; i < n; i++) {
        double t = 1;

        for (j = 0; j < i && y[j] != y[i]; j++)
            ;
        if (j < i)
            continue; /* not the first of its group */
        for (j = i + 1; j < n; j++)
            t += y[j] == y[i];
        *var_ties += t * (t - 1) * (2 * t + 5);
        *pair_ties += t * (t - 1) / 2;
    }
}

void
trend_mann_kendall(const double *y, size_t n, double *s, double *var_s, double *z, double *p,
                   double *tau)
{
    double dn = (double)n, n0 = dn * (dn - 1) / 2, var_ties, pair_ties, sum = 0, sd;
    size_t i, j;

    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++)
            sum += (y[j] > y[i]) - (y[j] < y[i]);
    tie_sums(y, n, &var_ties, &pair_ties);
    *s = sum;
    *var_s = n < 2 ? 0 : (dn * (dn - 1) * (2 * dn + 5) - var_ties) / 18;
    sd = sqrt(*var_s);
    if (sd <= 0 || sum == 0)
        *z = 0;
    else
        *z = (sum > 0 ? sum - 1 : sum + 1) / sd;
    *p = erfc(fabs(*z) / sqrt(2.0));
    /* tau-b: times never tie (the order is the x variable), values may. */
    *tau = n0 - pair_ties > 0 ? sum / sqrt(n0 * (n0 - pair_ties)) : 0;
}

/* Slope (per ms) and Mann-Kendall of one stretch of points. */
static void
fit(const double *t, const double *y, size_t n, double *scratch, struct trend *out)
{
    double tau;

    out->n = n;
    out->slope = n >= 2 ? trend_theil_sen(t, y, n, scratch) : 0;
    trend_mann_kendall(y, n, &out->s, &out->var_s, &out->z, &out->p, &tau);
    out->tau = tau;
}

/* Thins (t_ms, y) to at most m points into (t, v), evenly by index, ends kept. */
static size_t
thin(const double *t_ms, const double *y, size_t n, size_t m, double *t, double *v)
{
    size_t i, k;

    if (n <= m) {
        for (i = 0; i < n; i++)
            t[i] = t_ms[i], v[i] = y[i];
        return n;
    }
    for (i = 0; i < m; i++) {
        k = (size_t)((double)i * (double)(n - 1) / (double)(m - 1) + 0.5);
        t[i] = t_ms[k], v[i] = y[k];
    }
    return m;
}

static enum hw_err
check_input(const double *t_ms, const double *y, size_t n)
{
    size_t i;

    if (n > 0 && (t_ms == NULL || y == NULL))
        return HW_USAGE;
    for (i = 0; i < n; i++) {
        if (!isfinite(t_ms[i]) || !isfinite(y[i]))
            return HW_BADDATA;
        if (i > 0 && t_ms[i] < t_ms[i - 1])
            return HW_USAGE;
    }
    return HW_OK;
}

/* The tail test; out->slope is still per ms here. */
static void
recent(const double *t, const double *v, size_t n, const struct trend_opts *o, double *scratch,
       struct trend *out)
{
    struct trend r = {0};
    size_t k = (size_t)ceil((double)n * o->recent_frac);

    if (k < o->recent_min)
        k = o->recent_min;
    if (k > n)
        k = n;
    fit(t + (n - k), v + (n - k), k, scratch, &r);
    out->recent_n = k;
    out->recent_slope = r.slope * MS_PER_MIN;
    out->recent_z = r.z;
    out->recent_p = r.p;
    if (r.s > 0 && r.p < o->level_p)
        out->levelled = false; /* the tail itself still rises significantly */
    else if (out->slope <= 0 || k >= o->recent_test_min)
        out->levelled = true; /* a tail this long would show a rise that is still on */
    else
        out->levelled = r.slope < o->level_ratio * out->slope;
}

enum hw_err
trend_analyze(const double *t_ms, const double *y, size_t n, const struct trend_opts *o,
              struct trend *out)
{
    size_t m = o->max_points < 2 ? 2 : o->max_points, i;
    double *t, *v, *scratch, t0;
    enum hw_err err;

    *out = (struct trend){.p = 1, .recent_p = 1, .levelled = true};
    if ((err = check_input(t_ms, y, n)) != HW_OK || n == 0)
        return err;
    if (m > TREND_MAX_POINTS)
        m = TREND_MAX_POINTS;
    if ((t = malloc((2 * m + m * (m - 1) / 2 + 1) * sizeof(*t))) == NULL)
        return HW_NOMEM;
    v = t + m;
    scratch = v + m;
    n = thin(t_ms, y, n, m, t, v);
    t0 = t[0];
    for (i = 0; i < n; i++)
        t[i] -= t0; /* keeps the fitted values exact for large epoch times */
    fit(t, v, n, scratch, out);
    for (i = 0; i < n; i++)
        scratch[i] = v[i] - out->slope * t[i];
    out->first = median(scratch, n);
    out->last = out->first + out->slope * t[n - 1];
    recent(t, v, n, o, scratch, out);
    out->slope *= MS_PER_MIN;
    free(t);
    return HW_OK;
}

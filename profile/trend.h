/* trend.h - robust trend statistics on one series of (time, value) points, for
 * telling a leak from churn: the Theil-Sen slope (the median of the slopes between
 * every pair of points, so a few outliers or a single step barely move it), the
 * Mann-Kendall test (does the value keep rising, counting only the order of the
 * points; its variance is corrected for ties, which are normal when a heap profile
 * only changes at the end of a GC cycle), Kendall's tau-b, and whether the series has
 * levelled off (a cache that warmed up to its bound is flat at the end of the window).
 *
 * Levelled off: the tail of the window (the last recent_frac of the points, at least
 * recent_min of them) is looked at on its own. A tail that is significantly rising
 * (Mann-Kendall p below level_p) has not levelled off. Otherwise the series has
 * levelled off when the tail has at least recent_test_min points (enough for the test
 * to see a rise that goes on: 8 rising points give p < 0.001), or when its slope is
 * below level_ratio times the slope of the whole window. The slope rule is for short
 * tails, where a leak that stalled for a GC cycle or two is not significant on its
 * own but keeps most of the overall slope; a noisy plateau can show any tail slope,
 * which is why a long tail is judged by the test alone. A series whose whole-window
 * slope is not positive counts as levelled off when its tail is not rising.
 *
 * Pure computation: no allocation beyond a scratch array per call, no globals. */
#ifndef HW_TREND_H
#define HW_TREND_H

#include <stdbool.h>
#include <stddef.h>

#include "hw_err.h"

#define TREND_MAX_POINTS 1024 /* hard cap on max_points: the pairwise work is O(n^2) */

struct trend_opts {
    size_t max_points;      /* more points are thinned evenly (first and last kept); 240 */
    double recent_frac;     /* the tail looked at for levelling off; 1/2 */
    size_t recent_min;      /* at least this many tail points; 4 */
    double level_ratio;     /* short tails: levelled below this share of the slope; 0.5 */
    double level_p;         /* a tail with Mann-Kendall p below this still rises; 0.05 */
    size_t recent_test_min; /* tails this long are judged by the test alone; 8 */
};

struct trend {
    size_t n;           /* points analysed (after thinning) */
    double slope;       /* Theil-Sen, value units per minute (0 when n < 2) */
    double first, last; /* the fitted line (median of y - slope*t) at the first and
                         * last time: last - first is the growth over the window */
    double s, var_s;    /* Mann-Kendall S and its tie-corrected variance */
    double z, p;        /* normal approximation (continuity-corrected), two-sided p */
    double tau;         /* Kendall's tau-b, in [-1, 1] */
    size_t recent_n;    /* the tail: points, slope per minute, its own Mann-Kendall */
    double recent_slope, recent_z, recent_p;
    bool levelled; /* see above */
};

/* Sets the defaults listed in struct trend_opts. */
void trend_opts_init(struct trend_opts *o);

/* Analyses the n points (t_ms[i], y[i]), which must be in time order (equal times are
 * allowed; pairs with equal times give no slope). Fewer than 2 points give a zero
 * trend with p = 1. HW_NOMEM if the scratch array cannot be had, HW_USAGE on NULL
 * arrays with n > 0 or times out of order. Values that are not finite are HW_BADDATA. */
enum hw_err trend_analyze(const double *t_ms, const double *y, size_t n, const struct trend_opts *o,
                          struct trend *out);

/* The parts on their own, for tests and for callers with their own windows. The
 * Theil-Sen slope is per millisecond here. scratch holds n*(n-1)/2 doubles. */
double trend_theil_sen(const double *t_ms, const double *y, size_t n, double *scratch);
void trend_mann_kendall(const double *y, size_t n, double *s, double *var_s, double *z, double *p,
                        double *tau);

#endif

/* leaks.h - leak detection over a target's scrapes, fed one profile at a time (the
 * daemon after each scrape, the CLI from files). Heap profiles are followed through
 * their inuse_space and inuse_objects columns, goroutine profiles through their
 * goroutine count. Per scrape the tracker records the total, the value of each call
 * stack (function granularity, as `heapwatch fold` names frames) and of each
 * allocation site (the leaf frame as "func file:line"; for goroutines the innermost
 * frame outside package runtime, since every parked goroutine ends in runtime.gopark),
 * and, when the profile carries a "# runtime.MemStats" trailer (heap?debug=1), the
 * MemStats fields HeapAlloc, HeapInuse, HeapObjects, Sys and NumGC.
 *
 * How the verdict is reached (every number is a field of struct leak_opts):
 *  1. The window is the scrapes since the last restart. Fewer than min_scrapes of
 *     them, or a window shorter than min_window_ms: "not enough data".
 *  2. Each series gets a trend (trend.h): Theil-Sen slope, Mann-Kendall p and
 *     tau-b, levelled off or not. A series RISES when p < p_value, tau >= min_tau and
 *     the slope is positive, and it has not levelled off.
 *  3. The growth floor is max(min_rate, min_rate_frac * current total) per minute,
 *     and for heaps also min_growth_periods sampling periods over the window: a heap
 *     profile records one sample per MemProfileRate bytes, so a rise of a few periods
 *     is what sampling alone produces in a bounded heap (a control's 2 MiB cache
 *     wandered by that much and looked like a slow leak);
 *     in bytes for heaps (min_rate_bytes) and goroutines for goroutine profiles
 *     (min_rate_goroutines).
 *  4. A suspect is a site series (with the stack that holds most of it), or a stack
 *     series whose site is not already a suspect, that RISES, grows at least at the
 *     floor, and explains at least suspect_share of the total's growth (its slope over
 *     the total's slope). Only when the total itself grows (positive slope) are there
 *     suspects at all. They are ranked by slope, at most max_suspects.
 *  5. "leak": the total RISES, grows at least at the floor, and the top suspect
 *     explains at least leak_share of the growth. "growing": the total's slope is
 *     positive with p < growing_p, it has not levelled off, and it is not a leak.
 *     Otherwise "stable" (flat, falling, noise, or a warm-up that levelled off).
 *
 * Restarts: a scrape starts a new window (and drops every series) when its time is
 * before the previous one's, when a cumulative column went down (alloc_objects or
 * alloc_space of a heap profile, or MemStats NumGC: these only grow while a process
 * lives), or, for profiles without such a column (goroutine profiles), when the total
 * drops below restart_drop times the previous total.
 *
 * Memory is bounded whatever the run time or the number of stacks: per tracker at most
 * max_series stack series plus max_series site series, each holding max_points points
 * of two floats, and the total and MemStats series of max_points points. When the
 * points are full, every other point is dropped and from then on a new point is kept
 * only every second scrape (the stride doubles), so the window keeps its start and
 * its points stay evenly spaced; the latest scrape always replaces the newest point
 * until the stride has passed. Series compete for slots by current value plus growth
 * over the window; a series whose value has been zero for the last
 * max(4, points/4) points is dropped. Stacks keep at most max_frames frames (the
 * leaf end is kept); stack and site names are interned with reference counts and
 * freed with the last series using them. With the defaults (120 points, 32 + 32
 * series) one tracker holds about 70 KB plus the names: about 100 MB for 1,000
 * targets. A tracker is not thread-safe; one per target. */
#ifndef HW_LEAKS_H
#define HW_LEAKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw_err.h"
#include "profile.h"
#include "trend.h"

enum leak_kind {
    LEAK_KIND_NONE, /* no profile added yet */
    LEAK_KIND_HEAP,
    LEAK_KIND_GOROUTINE,
};

enum leak_verdict {
    LEAK_NOT_ENOUGH_DATA,
    LEAK_STABLE,
    LEAK_GROWING,
    LEAK_LEAK,
};

struct leak_opts {
    /* Bounds. */
    size_t max_points;   /* points per series (the window is thinned beyond); 120 */
    size_t max_series;   /* tracked stacks, and again tracked sites; 32 */
    size_t max_frames;   /* frames kept per stack; 64 */
    size_t max_suspects; /* suspects in a report; 10 */
    /* The window. */
    size_t min_scrapes;    /* fewer: not enough data; 5 */
    int64_t min_window_ms; /* shorter: not enough data; 5000 */
    double restart_drop;   /* total below this share of the previous: restart; 0.5 */
    /* The statistics. */
    double p_value;             /* Mann-Kendall p for RISES; 0.01 */
    double min_tau;             /* Kendall tau-b for RISES; 0.5 */
    double growing_p;           /* Mann-Kendall p for "growing"; 0.05 */
    double min_rate_bytes;      /* growth floor for heaps, bytes per minute; 64 KiB */
    double min_rate_goroutines; /* growth floor for goroutines per minute; 1 */
    double min_rate_frac;       /* growth floor as a share of the total, per minute; 0.005 */
    double min_growth_periods;  /* heaps: growth over the window of at least this many
                                 * sampling periods (MemProfileRate), or it is noise; 8 */
    double leak_share;          /* share of growth the top suspect needs for "leak"; 0.2 */
    double suspect_share;       /* share of growth any suspect needs; 0.05 */
    struct trend_opts trend;    /* the levelled-off test; trend_opts_init's defaults */
};

struct leak_point {
    int64_t t_ms;
    double value;
};

struct leak_suspect {
    const char **frames; /* the stack, root first, function granularity */
    size_t nframes;
    const char *site;      /* "func file:line" (or as pprof -lines names it) */
    bool from_stack;       /* found through its stack series rather than its site */
    double value;          /* current inuse bytes; goroutines: count */
    double objects;        /* current inuse objects; goroutines: count */
    double growth_per_min; /* Theil-Sen slope of value */
    double share;          /* its growth over the window / the total's growth */
    int64_t first_seen_ms;
    struct trend trend;
    struct leak_point *points; /* value over the window, for charts */
    size_t npoints;
};

struct leak_memstat {
    const char *name; /* HeapAlloc, HeapInuse, HeapObjects, Sys, NumGC */
    struct trend trend;
    struct leak_point *points;
    size_t npoints;
};

struct leak_report {
    struct arena *arena; /* owns everything below; leak_report_free releases it */
    enum leak_kind kind;
    const char *kind_name; /* "heap", "goroutine", "none" */
    const char *unit;      /* "bytes" or "count" */
    enum leak_verdict verdict;
    const char *verdict_name;  /* "leak", "growing", "stable", "not enough data" */
    int64_t first_ms, last_ms; /* the window */
    size_t nscrapes;           /* scrapes in the window */
    size_t restarts;           /* restarts seen since the tracker was made */
    const char **evidence;     /* one sentence each, for people */
    size_t nevidence;
    double value, objects;     /* current total (goroutines: count in both) */
    double floor_per_min;      /* the growth floor that applied */
    struct trend total;        /* the total's trend */
    struct leak_point *points; /* the total over the window */
    size_t npoints;
    struct leak_suspect *suspects; /* ranked, most growth first */
    size_t nsuspects;
    struct leak_memstat *memstats; /* only the fields the scrapes carried */
    size_t nmemstats;
};

struct leak_tracker; /* opaque */

/* The defaults listed in struct leak_opts. */
void leak_opts_init(struct leak_opts *o);

/* A new tracker with a copy of o (NULL: the defaults); NULL when out of memory. */
struct leak_tracker *leak_tracker_new(const struct leak_opts *o);
void leak_tracker_free(struct leak_tracker *t);

/* Adds the scrape p taken at time_ms. The first profile fixes the kind; a profile
 * of another kind, or one that is neither a heap (inuse_space and inuse_objects
 * columns) nor a goroutine profile, is HW_USAGE with the reason in eb. The profile is
 * only read; the tracker keeps nothing that points into it. */
enum hw_err leak_tracker_add(struct leak_tracker *t, int64_t time_ms, const struct profile *p,
                             struct errbuf *eb);

/* The kind of profile the tracker follows, and the scrapes in its window. */
enum leak_kind leak_tracker_kind(const struct leak_tracker *t);
size_t leak_tracker_scrapes(const struct leak_tracker *t);

/* The verdict and its evidence now, as a report that owns its memory (it does not
 * change when the tracker does). HW_NOMEM when memory runs out. */
enum hw_err leak_tracker_report(const struct leak_tracker *t, struct leak_report **out);
void leak_report_free(struct leak_report *r);

const char *leak_verdict_name(enum leak_verdict v);
const char *leak_kind_name(enum leak_kind k);

#endif

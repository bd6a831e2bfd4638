/* params.h - the query parameters every render URL takes (GET /flame.svg ... and
 * POST /render/...), parsed and checked once so that a bad value is a 400 naming the
 * parameter before anything is read from disk, and normalised into one string for
 * the render cache's key. Values point into the request and live as long as it. */
#ifndef HW_PARAMS_H
#define HW_PARAMS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "filter.h"
#include "flame.h"
#include "fold.h"
#include "hw_err.h"
#include "palette.h"

#define PARAMS_MAX_VALUE 1024     /* bytes of any one value: regexps stay cheap to compile */
#define PARAMS_MAX_WIDTH 8000     /* pixels: a PNG stays a few hundred MB at worst */
#define PARAMS_MAX_NODECOUNT 1000 /* graphviz's layout time grows fast with nodes */

enum time_kind {
    TIME_NONE,   /* absent (base only) */
    TIME_LATEST, /* "latest" (at only; also at's default) */
    TIME_ID,     /* a stored profile's id, Unix milliseconds: "1700000000123" */
    TIME_ABS,    /* an RFC 3339 time: the newest scrape at or before it */
    TIME_REL,    /* "-1h", "-90s", "-1h30m": that long before now */
};

struct time_spec {
    enum time_kind kind;
    int64_t ms; /* TIME_ID: the id; TIME_ABS: Unix ms; TIME_REL: the (negative) offset */
};

struct render_params {
    const char *target, *type; /* NULL when absent */
    struct time_spec at, base;
    bool delta; /* alloc delta: the base defaults to the previous scrape, subtracted */
    const char *sample_index; /* NULL: the profile's default (alloc_space with delta) */
    enum granularity gran;
    struct filter_opts filters;
    bool reverse, inverted, negate, fullnames, cum;
    struct flame_opts flame; /* width, minwidth, sort, palette, inverted, reverse... */
    int nodecount;           /* -1: the endpoint's default (80 for graphs, none for top) */
    double nodefraction, edgefraction;
};

/* Parses every known parameter with get(ctx, name), which returns NULL when one is
 * absent; unknown ones are ignored (so that cache busters pass). HW_USAGE with "bad
 * parameter NAME: ..." in eb. */
enum hw_err params_parse(struct render_params *rp,
                         const char *(*get)(const void *ctx, const char *name), const void *ctx,
                         struct errbuf *eb);

/* Parses one time value of parameter name ("latest" is accepted for at only). */
enum hw_err params_time(const char *name, const char *s, struct time_spec *out, struct errbuf *eb);

/* The absolute time (Unix ms) t stands for at now_ms: the id, the time, or now plus the
 * offset; INT64_MAX for TIME_LATEST. */
int64_t params_time_ms(const struct time_spec *t, int64_t now_ms);

/* Appends the parameters that shape a render (not target, type, at or base, which the
 * caller resolves to ids) in one canonical form: equal renders give equal strings. */
enum hw_err params_normalise(const struct render_params *rp, struct buf *out);

/* The current time in Unix milliseconds. */
int64_t params_now_ms(void);
#endif

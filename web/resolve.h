/* resolve.h - from a render URL's target, type, at and base parameters to stored
 * scrapes, and from a stored scrape to a decoded profile. Errors come back as the
 * status the client should see: 400 (an ambiguous target matcher), 404 (unknown target,
 * type or profile), 503 (the target exists but nothing is stored yet). */
#ifndef HW_RESOLVE_H
#define HW_RESOLVE_H
#include <stdbool.h>
#include "arena.h"
#include "params.h"
#include "profile.h"
#include "routes.h"

#define RESOLVE_DEFAULT_TYPE "heap"
#define RESOLVE_MAX_STORED ((size_t)256 << 20) /* bytes read of one stored scrape */

struct series_ref {
    char *target, *type; /* owned */
    struct hist_entry at;
    bool has_base;
    struct hist_entry base;
    bool delta;     /* the base is subtracted (delta=1), not drawn as a diff */
    bool immutable; /* the URL resolves to these ids forever (fixed ids or past times) */
};

/* Resolves rp into out (release with series_ref_free, also after a failure). The
 * target is a name as /api/targets lists it, or a label matcher that must match
 * exactly one target: {job="api",instance="10.0.0.1:6060"} or job=api,instance=...
 * (quotes and braces optional). The type defaults to heap. at: latest (default), an
 * id, or a time (the newest scrape at or before it). base: an id or a time; with
 * delta=1 and no base, the scrape before at (none after a restart: everything since). */
enum hw_err resolve_series(const struct http_req *rq, const struct render_params *rp,
                           struct http_resp *rs, struct series_ref *out);
void series_ref_free(struct series_ref *r);

/* Reads and decodes stored scrape id of (target, type) into arena a, whose limit caps
 * the decoded size (HW_TOOBIG). HW_USAGE when the scrape is gone (retention). */
enum hw_err resolve_load(struct history *h, const char *target, const char *type, int64_t id,
                         struct arena *a, struct profile **out, struct errbuf *eb);

/* "2026-11-23T10:15:00.123Z" for a Unix ms time, into s (at least 32 bytes). */
void resolve_time_text(int64_t ms, char *s, size_t cap);
#endif

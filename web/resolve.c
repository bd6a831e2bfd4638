/* resolve.c - target names come from the scraper's live series and from the history
 * (a target dropped from the config still has its stored scrapes); label matchers only
 * see live targets, which are the ones with labels. Times are resolved against one
 * copy of the series' entries, so at and base agree even while a scrape lands. */
#include "resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode.h"

void
series_ref_free(struct series_ref *r)
{
    free(r->target);
    free(r->type);
    memset(r, 0, sizeof(*r));
}

void
resolve_time_text(int64_t ms, char *s, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    size_t n;

    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(s, cap, "%lld", (long long)ms);
        return;
    }
    n = strftime(s, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(s + n, cap - n, ".%03dZ", (int)(ms % 1000));
}

/* The value of label key of a live target ("job" is always there). */
static const char *
label_value(const struct series_status *st, const char *key, size_t klen)
{
    size_t i;

    for (i = 0; i < st->labels.n; i++)
        if (strlen(st->labels.v[i].key) == klen && strncmp(st->labels.v[i].key, key, klen) == 0)
            return st->labels.v[i].value;
    if (klen == 3 && strncmp(key, "job", 3) == 0)
        return st->job;
    return NULL;
}

/* Reads one value, quoted ("a\"b") or bare (up to ',' or '}'), into v. */
static const char *
matcher_value(const char *s, char *v, size_t cap)
{
    size_t n = 0;
    bool quoted = *s == '"';

    for (s += quoted; *s != '\0'; s++) {
        if (quoted && *s == '"')
            return s + 1;
        if (!quoted && (*s == ',' || *s == '}'))
            return s;
        if (quoted && *s == '\\' && s[1] != '\0')
            s++;
        if (n + 1 < cap)
            v[n++] = *s;
        v[n] = '\0';
    }
    return quoted ? NULL : s;
}

/* 1 when every key=value pair of spec matches st, 0 when one does not, -1 when spec
 * is not a matcher at all. */
static int
matcher_match(const char *spec, const struct series_status *st)
{
    char val[1100];
    const char *s = spec, *key, *have;
    size_t klen, pairs = 0;
    int match = 1;

    s += strspn(s, " {");
    while (*s != '\0' && *s != '}') {
        key = s;
        klen = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
        s += klen;
        s += strspn(s, " ");
        if (klen == 0 || *s++ != '=')
            return -1;
        s += strspn(s, " ");
        val[0] = '\0';
        if ((s = matcher_value(s, val, sizeof(val))) == NULL)
            return -1;
        have = label_value(st, key, klen);
        if (have == NULL || strcmp(have, val) != 0)
            match = 0;
        pairs++;
        s += strspn(s, " ,");
    }
    return pairs > 0 ? match : -1;
}

static bool
known_name(struct history *h, const struct series_status *v, size_t n, const char *name)
{
    char **names = NULL;
    size_t i, k = 0;
    bool found = false;

    for (i = 0; i < n && !found; i++)
        found = strcmp(v[i].target, name) == 0;
    if (!found && history_targets(h, &names, &k) == HW_OK)
        for (i = 0; i < k && !found; i++)
            found = strcmp(names[i], name) == 0;
    history_names_free(names, k);
    return found;
}

/* The target named or matched by spec, as a new string in *out. */
static enum hw_err
find_target(const struct http_req *rq, const char *spec, struct http_resp *rs, char **out)
{
    struct series_status *v = NULL;
    size_t i, n = 0, nmatch = 0;
    const char *first = NULL, *second = NULL;
    int m = -1;
    enum hw_err err;

    /* Names are the common case: answer them without copying every status. */
    if (scraper_has_target(rq->scraper, spec))
        return (*out = strdup(spec)) ? HW_OK : HW_NOMEM;
    if (strchr(spec, '=') == NULL && known_name(rq->hist, NULL, 0, spec))
        return (*out = strdup(spec)) ? HW_OK : HW_NOMEM;
    if ((err = scraper_status(rq->scraper, &v, &n)) != HW_OK)
        return err;
    if (known_name(rq->hist, v, n, spec)) {
        first = spec, nmatch = 1;
    } else if (strchr(spec, '=') != NULL) {
        for (i = 0; i < n; i++) {
            if ((m = matcher_match(spec, &v[i])) < 0)
                break;
            if (m == 1 && (first == NULL || strcmp(first, v[i].target) != 0) &&
                (second == NULL || strcmp(second, v[i].target) != 0)) {
                nmatch++;
                *(first == NULL ? &first : &second) = v[i].target;
            }
        }
    }
    if (nmatch == 1)
        err = (*out = strdup(first)) ? HW_OK : HW_NOMEM;
    else if (nmatch > 1)
        err = http_error(rs, 400, HW_USAGE, "bad parameter target: %zu targets match (%s, %s%s)",
                         nmatch, first, second, nmatch > 2 ? ", ..." : "");
    else if (m < 0 && strchr(spec, '=') != NULL && n > 0)
        err = http_error(rs, 400, HW_USAGE,
                         "bad parameter target: not a name and not a label matcher such as "
                         "{job=\"api\",instance=\"host:6060\"}");
    else
        err = http_error(rs, 404, HW_USAGE, "unknown target \"%s\"", spec);
    series_status_free(v, n);
    return err;
}

/* HW_OK when the target has (or had) this type. */
static enum hw_err
check_type(const struct http_req *rq, const char *target, const char *type, struct http_resp *rs)
{
    char **names = NULL;
    size_t i, k = 0;
    bool found;

    found = scraper_has_series(rq->scraper, target, type);
    if (!found && history_types(rq->hist, target, &names, &k) == HW_OK)
        for (i = 0; i < k && !found; i++)
            found = strcmp(names[i], type) == 0;
    history_names_free(names, k);
    return found ? HW_OK
                 : http_error(rs, 404, HW_USAGE, "target \"%s\" has no profile type \"%s\"", target,
                              type);
}

/* The index in e[0..n) that t names, or -1 (and the error in rs). */
static long
pick(const struct hist_entry *e, size_t n, const char *name, const struct time_spec *t, int64_t now,
     struct http_resp *rs)
{
    int64_t ms = params_time_ms(t, now);
    char when[40];
    long i;

    if (t->kind == TIME_LATEST)
        return (long)n - 1;
    for (i = (long)n - 1; i >= 0; i--)
        if (t->kind == TIME_ID ? e[i].id == ms : e[i].id <= ms)
            break;
    if (i < 0 && t->kind == TIME_ID)
        http_error(rs, 404, HW_USAGE, "%s: no stored profile with id %lld", name, (long long)ms);
    if (i < 0 && t->kind != TIME_ID) {
        resolve_time_text(ms, when, sizeof(when));
        http_error(rs, 404, HW_USAGE, "%s: no stored profile at or before %s", name, when);
    }
    return i;
}

/* Fixed ids, and times older than a stored scrape, never resolve differently: a
 * series' scrapes never overlap, so none can land before one already stored. */
static bool
fixed(const struct time_spec *t, const struct hist_entry *e, size_t n, int64_t now)
{
    return t->kind == TIME_ID || (t->kind == TIME_ABS && e[n - 1].id > params_time_ms(t, now));
}

static enum hw_err
pick_times(const struct render_params *rp, const struct hist_entry *e, size_t n,
           struct http_resp *rs, struct series_ref *out)
{
    int64_t now = params_now_ms();
    long a, b = -1;

    if ((a = pick(e, n, "at", &rp->at, now, rs)) < 0)
        return HW_USAGE;
    out->at = e[a];
    out->delta = rp->delta;
    out->immutable = fixed(&rp->at, e, n, now);
    if (rp->base.kind != TIME_NONE) {
        if ((b = pick(e, n, "base", &rp->base, now, rs)) < 0)
            return HW_USAGE;
        out->immutable = out->immutable && fixed(&rp->base, e, n, now);
    } else if (rp->delta && !(e[a].flags & HIST_RESTART)) {
        /* After a restart the process's allocations since it started are the delta. */
        if (a == 0)
            return http_error(rs, 404, HW_USAGE, "delta: no stored profile before id %lld",
                              (long long)e[a].id);
        b = a - 1;
    }
    if (b >= 0) {
        out->has_base = true;
        out->base = e[b];
    }
    return HW_OK;
}

enum hw_err
resolve_series(const struct http_req *rq, const struct render_params *rp, struct http_resp *rs,
               struct series_ref *out)
{
    struct hist_entry *e = NULL;
    size_t n = 0;
    enum hw_err err;

    memset(out, 0, sizeof(*out));
    if (rp->target == NULL || rp->target[0] == '\0')
        return http_error(rs, 400, HW_USAGE, "bad parameter target: missing");
    if ((err = find_target(rq, rp->target, rs, &out->target)) != HW_OK)
        return err;
    if ((out->type = strdup(rp->type && rp->type[0] ? rp->type : RESOLVE_DEFAULT_TYPE)) == NULL)
        return HW_NOMEM;
    if ((err = check_type(rq, out->target, out->type, rs)) != HW_OK)
        return err;
    if ((err = history_list(rq->hist, out->target, out->type, &e, &n)) != HW_OK)
        return err;
    if (n == 0)
        err = http_error(rs, 503, HW_USAGE, "no profile of type \"%s\" stored for \"%s\" yet",
                         out->type, out->target);
    else
        err = pick_times(rp, e, n, rs, out);
    free(e);
    return err;
}

enum hw_err
resolve_load(struct history *h, const char *target, const char *type, int64_t id, struct arena *a,
             struct profile **out, struct errbuf *eb)
{
    struct buf raw;
    enum hw_err err;

    buf_init(&raw, RESOLVE_MAX_STORED);
    if ((err = history_read(h, target, type, id, &raw, eb)) == HW_OK)
        err = profile_decode_in(a, raw.data, raw.len, out, eb);
    else if (err == HW_USAGE)
        errbuf_set(eb, err, "profile %lld is no longer stored", (long long)id);
    buf_reset(&raw);
    return err;
}

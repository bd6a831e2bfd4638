/* profile.c - the model's shared operations: an empty profile, the invariant check,
 * pprof's sample-type selection and its drop_frames/keep_frames pruning. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "profile.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct profile *
profile_new(struct arena *a)
{
    struct profile *p = arena_calloc(a, 1, sizeof(*p));

    if (p == NULL)
        return NULL;
    p->arena = a;
    p->drop_frames = p->keep_frames = p->default_sample_type = "";
    p->period_type.type = p->period_type.unit = "";
    return p;
}

enum hw_err
profile_check(const struct profile *p, struct errbuf *eb)
{
    size_t i, j;

    if (p->ntypes == 0 && p->nsamples != 0)
        return errbuf_set(eb, HW_BADDATA, "profile has samples but no sample types");
    for (i = 0; i < p->nsamples; i++) {
        const struct sample *s = &p->samples[i];

        if (s->values == NULL)
            return errbuf_set(eb, HW_BADDATA, "sample %zu: no values", i);
        for (j = 0; j < s->nlocs; j++)
            if (s->locs[j] == NULL)
                return errbuf_set(eb, HW_BADDATA, "sample %zu: location %zu missing", i, j);
    }
    for (i = 0; i < p->nlocations; i++) {
        const struct location *l = &p->locations[i];

        if (l->id == 0)
            return errbuf_set(eb, HW_BADDATA, "location %zu: reserved id 0", i);
        for (j = 0; j < l->nlines; j++)
            if (l->lines[j].fn == NULL)
                return errbuf_set(eb, HW_BADDATA, "location %" PRIu64 ": line %zu has no function",
                                  l->id, j);
    }
    for (i = 0; i < p->nfunctions; i++)
        if (p->functions[i].id == 0 || p->functions[i].name == NULL)
            return errbuf_set(eb, HW_BADDATA, "function %zu: reserved id 0", i);
    for (i = 0; i < p->nmappings; i++)
        if (p->mappings[i].id == 0)
            return errbuf_set(eb, HW_BADDATA, "mapping %zu: reserved id 0", i);
    return HW_OK;
}

static enum hw_err
sample_index_error(const struct profile *p, const char *spec, struct errbuf *eb)
{
    char names[256] = "";
    size_t i, n = 0;

    for (i = 0; i < p->ntypes && n < sizeof(names) - 1; i++)
        n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", i ? " " : "",
                              p->sample_types[i].type);
    return errbuf_set(eb, HW_USAGE, "sample_index \"%s\" must be one of: [%s]", spec, names);
}

enum hw_err
profile_sample_index(const struct profile *p, const char *spec, size_t *out, struct errbuf *eb)
{
    const char *noinuse;
    char *end;
    long long n;
    size_t i;

    if (p->ntypes == 0)
        return errbuf_set(eb, HW_BADDATA, "profile has no samples");
    if (spec == NULL || spec[0] == '\0') {
        for (i = 0; p->default_sample_type[0] != '\0' && i < p->ntypes; i++)
            if (strcmp(p->sample_types[i].type, p->default_sample_type) == 0) {
                *out = i;
                return HW_OK;
            }
        *out = p->ntypes - 1;
        return HW_OK;
    }
    errno = 0;
    n = strtoll(spec, &end, 10);
    /* Go's Atoi takes an optional sign and digits, no blanks. */
    if (*end == '\0' && errno == 0 && !isspace((unsigned char)spec[0])) {
        if (n < 0 || (unsigned long long)n >= p->ntypes)
            return errbuf_set(eb, HW_USAGE, "sample_index %s is outside the range [0..%zu]", spec,
                              p->ntypes - 1);
        *out = (size_t)n;
        return HW_OK;
    }
    noinuse = strncmp(spec, "inuse_", 6) == 0 ? spec + 6 : spec;
    for (i = 0; i < p->ntypes; i++)
        if (strcmp(p->sample_types[i].type, spec) == 0 ||
            strcmp(p->sample_types[i].type, noinuse) == 0) {
            *out = i;
            return HW_OK;
        }
    return sample_index_error(p, spec, eb);
}

/* The part of a function name that drop_frames is matched against: no leading dot,
 * and cut at the first '(' that does not belong to "(anonymous namespace)" or
 * "operator()" (so "pkg.(*T).M" is matched as "pkg."). */
static size_t
simplified_len(const char *name, const char **start)
{
    static const char anon[] = "(anonymous namespace)", op[] = "operator()";
    const char *s = name[0] == '.' ? name + 1 : name;
    size_t i = 0, n = strlen(s);

    *start = s;
    while (i < n) {
        if (strncmp(s + i, anon, sizeof(anon) - 1) == 0)
            i += sizeof(anon) - 1;
        else if (strncmp(s + i, op, sizeof(op) - 1) == 0)
            i += sizeof(op) - 1;
        else if (s[i] == '(')
            return i;
        else
            i++;
    }
    return n;
}

static pcre2_code *
compile_anchored(const char *rx, struct errbuf *eb)
{
    size_t n = strlen(rx) + 8;
    char *full = malloc(n);
    int errcode;
    PCRE2_SIZE off;
    pcre2_code *re;

    if (full == NULL)
        return NULL;
    snprintf(full, n, "^(?:%s)$", rx);
    re = pcre2_compile((PCRE2_SPTR)full, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY,
                       &errcode, &off, NULL);
    free(full);
    if (re == NULL) {
        PCRE2_UCHAR msg[120];
        pcre2_get_error_message(errcode, msg, sizeof(msg));
        errbuf_set(eb, HW_BADDATA, "drop_frames/keep_frames regexp %s: %s", rx, (char *)msg);
    }
    return re;
}

static bool
rx_match(pcre2_code *re, pcre2_match_data *md, const char *s, size_t n)
{
    return pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL) >= 0;
}

/* Marks per location: 1 = the whole location goes, 2 = frames below it go. */
static void
prune_locations(struct profile *p, pcre2_code *drop, pcre2_code *keep, pcre2_match_data *md,
                unsigned char *mark)
{
    size_t i;

    for (i = 0; i < p->nlocations; i++) {
        struct location *l = &p->locations[i];
        size_t j = l->nlines;

        while (j-- > 0) {
            const char *s;
            size_t n;

            if (l->lines[j].fn->name[0] == '\0')
                continue;
            n = simplified_len(l->lines[j].fn->name, &s);
            if (rx_match(drop, md, s, n) && (keep == NULL || !rx_match(keep, md, s, n)))
                break;
        }
        if (j == (size_t)-1)
            continue;
        if (j == l->nlines - 1) {
            mark[i] = 1;
        } else {
            mark[i] = 2;
            l->lines += j + 1;
            l->nlines -= j + 1;
        }
    }
}

static void
prune_samples(struct profile *p, const unsigned char *mark)
{
    size_t i, k;

    for (i = 0; i < p->nsamples; i++) {
        struct sample *s = &p->samples[i];
        bool user = false;

        for (k = s->nlocs; k-- > 0;) {
            unsigned char m = mark[s->locs[k] - p->locations];

            if (m == 0) {
                user = true;
                continue;
            }
            if (!user)
                continue;
            /* A dropped location goes with everything below it; a partly dropped
             * one stays as the new leaf. */
            s->locs += m == 1 ? k + 1 : k;
            s->nlocs -= m == 1 ? k + 1 : k;
            break;
        }
    }
}

enum hw_err
profile_remove_uninteresting(struct profile *p, struct errbuf *eb)
{
    pcre2_code *drop = NULL, *keep = NULL;
    pcre2_match_data *md = NULL;
    unsigned char *mark = NULL;
    enum hw_err err = HW_BADDATA;

    if (p->drop_frames[0] == '\0')
        return HW_OK;
    if ((drop = compile_anchored(p->drop_frames, eb)) == NULL)
        goto out;
    if (p->keep_frames[0] != '\0' && (keep = compile_anchored(p->keep_frames, eb)) == NULL)
        goto out;
    err = HW_NOMEM;
    if ((md = pcre2_match_data_create(4, NULL)) == NULL)
        goto out;
    if ((mark = calloc(p->nlocations + 1, 1)) == NULL)
        goto out;
    prune_locations(p, drop, keep, md, mark);
    prune_samples(p, mark);
    err = HW_OK;
out:
    free(mark);
    pcre2_match_data_free(md);
    pcre2_code_free(keep);
    pcre2_code_free(drop);
    return err;
}

/* filter.c - pprof's focus filters (its applyFocus). Name filters work on locations
 * first (marks and shortened line lists, in per-location scratch arrays) and then on
 * samples, which keep pointing at the same locations; tag filters look at each
 * sample's labels. Regexps are compiled by PCRE2, which reads Go's RE2 syntax, and
 * matched unanchored as Go's MatchString does. Nothing here logs: what matched is
 * returned for the caller to warn about. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "filter.h"

#include <errno.h>
#include <inttypes.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

struct rx {
    pcre2_code *re;
    pcre2_match_data *md;
};

static void
rx_free(struct rx *r)
{
    pcre2_match_data_free(r->md);
    pcre2_code_free(r->re);
    r->md = NULL;
    r->re = NULL;
}

/* Compiles pattern (n bytes) for option `name`; HW_USAGE with PCRE2's reason. */
static enum hw_err
rx_compile(struct rx *r, const char *name, const char *pattern, size_t n, struct errbuf *eb)
{
    int code;
    PCRE2_SIZE off;

    r->md = NULL;
    r->re = pcre2_compile((PCRE2_SPTR)pattern, n, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off,
                          NULL);
    if (r->re == NULL) {
        PCRE2_UCHAR msg[160];

        pcre2_get_error_message(code, msg, sizeof(msg));
        return errbuf_set(eb, HW_USAGE, "parsing %s regexp: %s at offset %zu", name, (char *)msg,
                          (size_t)off);
    }
    /* JIT makes matching many thousands of names cheap; without it PCRE2 interprets. */
    (void)pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);
    if ((r->md = pcre2_match_data_create_from_pattern(r->re, NULL)) == NULL) {
        rx_free(r);
        return HW_NOMEM;
    }
    return HW_OK;
}

static bool
rx_match_n(const struct rx *r, const char *s, size_t n)
{
    return pcre2_match(r->re, (PCRE2_SPTR)s, n, 0, 0, r->md, NULL) >= 0;
}

static bool
rx_match(const struct rx *r, const char *s)
{
    return rx_match_n(r, s, strlen(s));
}

static bool
set(const char *s)
{
    return s != NULL && s[0] != '\0';
}

bool
filter_active(const struct filter_opts *o)
{
    return set(o->focus) || set(o->ignore) || set(o->hide) || set(o->show) || set(o->show_from) ||
           set(o->prune_from) || set(o->tagfocus) || set(o->tagignore);
}

size_t
filter_describe(struct arena *a, const struct filter_opts *o, const char **lines)
{
    const struct {
        const char *key, *val;
    } f[FILTER_MAX_ACTIVE] = {
        {"focus", o->focus},         {"ignore", o->ignore},     {"hide", o->hide},
        {"show", o->show},           {"show_from", o->show_from}, {"tagfocus", o->tagfocus},
        {"tagignore", o->tagignore},
    };
    size_t i, n = 0;

    for (i = 0; i < FILTER_MAX_ACTIVE; i++) {
        size_t len;
        char *s;

        if (!set(f[i].val))
            continue;
        len = strlen(f[i].key) + strlen(f[i].val) + 2;
        if ((s = arena_alloc(a, len)) == NULL)
            return 0;
        snprintf(s, len, "%s=%s", f[i].key, f[i].val);
        lines[n++] = s;
    }
    return n;
}

/* ---- tag filters ---- */

enum range_kind { RANGE_EQ, RANGE_GE, RANGE_LE, RANGE_BETWEEN };

struct tagfilter {
    const char *name; /* "tagfocus" */
    char *key;        /* the "key=" part, NULL when any key will do */
    bool numeric;
    enum range_kind kind;
    double lo, hi;
    const char *unit; /* what lo and hi are in (pprof's canonical name, may be "") */
    struct rx *rxs;   /* the comma-separated regexps of a non-numeric filter */
    size_t nrx;
};

/* One match of pprof's range token, ([+-]?[0-9]+)([A-Za-z]+)? found leftmost from
 * *pos on: where it starts and ends, and where its letters start. */
struct rtoken {
    size_t start, end, alpha;
};

static bool
next_token(const char *s, size_t *pos, struct rtoken *t)
{
    size_t i, j;

    for (i = *pos; s[i] != '\0'; i++) {
        j = i + ((s[i] == '+' || s[i] == '-') ? 1 : 0);
        if (s[j] < '0' || s[j] > '9')
            continue;
        t->start = i;
        while (s[j] >= '0' && s[j] <= '9')
            j++;
        t->alpha = j;
        while ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z'))
            j++;
        t->end = *pos = j;
        return true;
    }
    return false;
}

/* The token's number scaled into its own unit, as pprof's measurement.Scale does. */
static int
token_value(const char *s, const struct rtoken *t, const char *to, double *v, const char **unit)
{
    char num[32], alpha[32];
    long long n;
    char *end;

    if (t->alpha - t->start >= sizeof(num) || t->end - t->alpha >= sizeof(alpha))
        return -1;
    memcpy(num, s + t->start, t->alpha - t->start);
    num[t->alpha - t->start] = '\0';
    memcpy(alpha, s + t->alpha, t->end - t->alpha);
    alpha[t->end - t->alpha] = '\0';
    errno = 0;
    n = strtoll(num, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *v = units_scale((int64_t)n, alpha, to != NULL ? to : alpha, unit);
    return 0;
}

/* pprof's parseTagFilterRange: 1 when value is a numeric range (tf filled), 0 when it
 * is to be read as regexps, -1 when a number does not fit in 64 bits. */
static int
parse_range(const char *v, struct tagfilter *tf)
{
    struct rtoken t[2];
    size_t pos = 0, n = 0, len = strlen(v);
    const char *unit2;

    while (n < 2 && next_token(v, &pos, &t[n]))
        n++;
    if (n == 0)
        return 0;
    if (token_value(v, &t[0], NULL, &tf->lo, &tf->unit) < 0)
        return -1;
    tf->hi = tf->lo;
    if (n == 1) {
        size_t tl = t[0].end - t[0].start;

        if (t[0].start == 0 && t[0].end == len)
            tf->kind = RANGE_EQ;
        else if (t[0].start == 0 && t[0].end + 1 == len && v[len - 1] == ':')
            tf->kind = RANGE_GE;
        else if (t[0].start == 1 && v[0] == ':' && 1 + tl == len)
            tf->kind = RANGE_LE;
        else
            return 0;
        return 1;
    }
    if (t[0].start != 0 || v[t[0].end] != ':' || t[1].start != t[0].end + 1 || t[1].end != len)
        return 0;
    if (token_value(v, &t[1], tf->unit, &tf->hi, &unit2) < 0)
        return -1;
    if (strcmp(unit2, tf->unit) != 0)
        return 0;
    tf->kind = RANGE_BETWEEN;
    return 1;
}

static void
tagfilter_free(struct tagfilter *tf)
{
    size_t i;

    for (i = 0; i < tf->nrx; i++)
        rx_free(&tf->rxs[i]);
    free(tf->rxs);
    free(tf->key);
    memset(tf, 0, sizeof(*tf));
}

static enum hw_err
tagfilter_parse(struct tagfilter *tf, const char *name, const char *spec, struct errbuf *eb)
{
    const char *eq = strchr(spec, '='), *value = spec, *p;
    enum hw_err err;
    int r;

    memset(tf, 0, sizeof(*tf));
    tf->name = name;
    if (eq != NULL) {
        if ((tf->key = strndup(spec, (size_t)(eq - spec))) == NULL)
            return HW_NOMEM;
        value = eq + 1;
    }
    if ((r = parse_range(value, tf)) < 0) {
        tagfilter_free(tf);
        return errbuf_set(eb, HW_USAGE, "%s: number out of range in %s", name, value);
    }
    if (r == 1) {
        tf->numeric = true;
        return HW_OK;
    }
    for (p = value;; p++) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        struct rx *grown = realloc(tf->rxs, (tf->nrx + 1) * sizeof(*grown));

        if (grown == NULL) {
            tagfilter_free(tf);
            return HW_NOMEM;
        }
        tf->rxs = grown;
        if ((err = rx_compile(&tf->rxs[tf->nrx], name, p, len, eb)) != HW_OK) {
            tagfilter_free(tf);
            return err;
        }
        tf->nrx++;
        if (comma == NULL)
            break;
        p = comma;
    }
    return HW_OK;
}

/* pprof's units for numeric label keys: the first unit a key is given anywhere in
 * the profile; keys never given one are "bytes" for alignment and request, else the
 * key's own name. */
struct keyunit {
    const char *key, *unit;
};

static enum hw_err
label_units(const struct profile *p, struct keyunit **out, size_t *nout)
{
    struct keyunit *ku = NULL;
    size_t i, j, k, n = 0, cap = 0;

    for (i = 0; i < p->nsamples; i++)
        for (j = 0; j < p->samples[i].nlabels; j++) {
            const struct label *l = &p->samples[i].labels[j];

            if (l->str != NULL)
                continue;
            for (k = 0; k < n && strcmp(ku[k].key, l->key) != 0; k++)
                ;
            if (k == n) {
                if (n == cap) {
                    struct keyunit *g = realloc(ku, (cap = cap ? cap * 2 : 8) * sizeof(*g));
                    if (g == NULL)
                        return free(ku), HW_NOMEM;
                    ku = g;
                }
                ku[n++] = (struct keyunit){l->key, ""};
            }
            if (ku[k].unit[0] == '\0' && l->unit != NULL)
                ku[k].unit = l->unit;
        }
    for (k = 0; k < n; k++)
        if (ku[k].unit[0] == '\0')
            ku[k].unit = strcmp(ku[k].key, "alignment") == 0 || strcmp(ku[k].key, "request") == 0
                             ? "bytes"
                             : ku[k].key;
    *out = ku;
    *nout = n;
    return HW_OK;
}

static const char *
unit_of(const struct keyunit *ku, size_t n, const char *key)
{
    size_t k;

    for (k = 0; k < n; k++)
        if (strcmp(ku[k].key, key) == 0)
            return ku[k].unit;
    return key;
}

static bool
in_range(const struct tagfilter *tf, int64_t v, const char *unit)
{
    const char *su;
    double sv = units_scale(v, unit, tf->unit, &su);

    if (strcmp(su, tf->unit) != 0)
        return false;
    switch (tf->kind) {
    case RANGE_EQ:
        return sv == tf->lo;
    case RANGE_GE:
        return sv >= tf->lo;
    case RANGE_LE:
        return sv <= tf->lo;
    case RANGE_BETWEEN:
        return sv >= tf->lo && sv <= tf->hi;
    }
    return false;
}

/* A string label as pprof's old "key:value" form, for filters without a key. */
static bool
label_rx_match(const struct rx *r, const struct label *l, char **buf, size_t *cap)
{
    size_t kl = strlen(l->key), vl = strlen(l->str);

    if (kl + vl + 2 > *cap) {
        char *g = realloc(*buf, kl + vl + 2);
        if (g == NULL)
            return false;
        *buf = g;
        *cap = kl + vl + 2;
    }
    memcpy(*buf, l->key, kl);
    (*buf)[kl] = ':';
    memcpy(*buf + kl + 1, l->str, vl + 1);
    return rx_match_n(r, *buf, kl + vl + 1);
}

struct tagctx {
    struct keyunit *ku;
    size_t nku;
    char *buf;
    size_t cap;
};

static bool
tag_match(const struct tagfilter *tf, const struct sample *s, struct tagctx *c)
{
    size_t i, j;

    if (tf->numeric) {
        for (i = 0; i < s->nlabels; i++) {
            const struct label *l = &s->labels[i];

            if (l->str == NULL && (tf->key == NULL || strcmp(l->key, tf->key) == 0) &&
                in_range(tf, l->num, unit_of(c->ku, c->nku, l->key)))
                return true;
        }
        return false;
    }
    if (tf->key != NULL) {
        for (i = 0; i < s->nlabels; i++)
            if (s->labels[i].str != NULL && strcmp(s->labels[i].key, tf->key) == 0)
                for (j = 0; j < tf->nrx; j++)
                    if (rx_match(&tf->rxs[j], s->labels[i].str))
                        return true;
        return false;
    }
    for (j = 0; j < tf->nrx; j++) {
        for (i = 0; i < s->nlabels; i++)
            if (s->labels[i].str != NULL &&
                label_rx_match(&tf->rxs[j], &s->labels[i], &c->buf, &c->cap))
                break;
        if (i == s->nlabels)
            return false;
    }
    return true;
}

/* pprof's FilterSamplesByTag; c holds the label units of the unfiltered profile. */
static void
filter_by_tag(struct profile *p, const struct tagfilter *focus, const struct tagfilter *ignore,
              struct tagctx *c, struct filter_report *r)
{
    size_t i, n = 0;

    for (i = 0; i < p->nsamples; i++) {
        const struct sample *s = &p->samples[i];
        bool f = focus->name == NULL || tag_match(focus, s, c);
        bool ig = ignore->name != NULL && tag_match(ignore, s, c);

        r->tagfocus |= f;
        r->tagignore |= ig;
        if (f && !ig)
            p->samples[n++] = *s;
    }
    p->nsamples = n;
}

/* ---- name filters ---- */

struct rxset {
    struct rx focus, ignore, hide, show, show_from, prune_from;
};

static bool
line_matches(const struct rx *r, const struct line *ln)
{
    return rx_match(r, ln->fn->name) || rx_match(r, ln->fn->filename);
}

static bool
mapping_matches(const struct rx *r, const struct location *l)
{
    return l->mapping != NULL && rx_match(r, l->mapping->file);
}

static bool
location_matches(const struct rx *r, const struct location *l)
{
    size_t i;

    for (i = 0; i < l->nlines; i++)
        if (line_matches(r, &l->lines[i]))
            return true;
    return mapping_matches(r, l);
}

/* Keeps the lines of l that match r (keep) or do not (!keep); a matching binary
 * keeps all lines for show and none for hide. */
static enum hw_err
select_lines(struct arena *a, struct location *l, const struct rx *r, bool keep)
{
    struct line *kept;
    size_t i, n = 0;

    if (mapping_matches(r, l)) {
        if (!keep)
            l->nlines = 0;
        return HW_OK;
    }
    for (i = 0; i < l->nlines; i++)
        n += line_matches(r, &l->lines[i]) == keep;
    if (n == l->nlines)
        return HW_OK;
    if ((kept = arena_alloc(a, (n + 1) * sizeof(*kept))) == NULL)
        return arena_error(a);
    for (i = n = 0; i < l->nlines; i++)
        if (line_matches(r, &l->lines[i]) == keep)
            kept[n++] = l->lines[i];
    l->lines = kept;
    l->nlines = n;
    return HW_OK;
}

enum { MARK_NONE, MARK_FOCUS, MARK_IGNORE };

/* pprof's FilterSamplesByName. mark and hidden are per-location scratch. */
static enum hw_err
filter_by_name(struct profile *p, const struct rxset *x, unsigned char *mark, bool *hidden,
               struct filter_report *r)
{
    bool any_hidden = false;
    size_t i, k, n = 0;
    enum hw_err err;

    for (i = 0; i < p->nlocations; i++) {
        struct location *l = &p->locations[i];

        if (x->ignore.re && location_matches(&x->ignore, l)) {
            r->ignore = true;
            mark[i] = MARK_IGNORE;
        } else if (x->focus.re == NULL || location_matches(&x->focus, l)) {
            r->focus = true;
            mark[i] = MARK_FOCUS;
        }
        if (x->hide.re && location_matches(&x->hide, l)) {
            r->hide = true;
            if ((err = select_lines(p->arena, l, &x->hide, false)) != HW_OK)
                return err;
            hidden[i] = l->nlines == 0;
        }
        if (x->show.re) {
            if ((err = select_lines(p->arena, l, &x->show, true)) != HW_OK)
                return err;
            hidden[i] |= l->nlines == 0;
            r->show |= l->nlines != 0;
        }
        any_hidden |= hidden[i];
    }
    for (i = 0; i < p->nsamples; i++) {
        struct sample s = p->samples[i];
        bool focused = false, ignored = false;

        for (k = 0; k < s.nlocs && !ignored; k++) {
            unsigned char m = mark[s.locs[k] - p->locations];
            focused |= m == MARK_FOCUS;
            ignored = m == MARK_IGNORE;
        }
        if (!focused || ignored)
            continue;
        if (any_hidden) {
            struct location **locs = arena_alloc(p->arena, (s.nlocs + 1) * sizeof(*locs));
            size_t m = 0;

            if (locs == NULL)
                return arena_error(p->arena);
            for (k = 0; k < s.nlocs; k++)
                if (!hidden[s.locs[k] - p->locations])
                    locs[m++] = s.locs[k];
            if (m == 0)
                continue;
            s.locs = locs;
            s.nlocs = m;
        }
        p->samples[n++] = s;
    }
    p->nsamples = n;
    return HW_OK;
}

/* pprof's ShowFrom: stacks lose the frames above their highest matching frame, and
 * samples without one go. A matching binary keeps its location whole. */
static void
show_from(struct profile *p, const struct rx *r, unsigned char *mark, struct filter_report *rep)
{
    size_t i, k, n = 0;

    memset(mark, 0, p->nlocations);
    for (i = 0; i < p->nlocations; i++) {
        struct location *l = &p->locations[i];

        if (mapping_matches(r, l)) {
            mark[i] = 1;
            continue;
        }
        for (k = l->nlines; k-- > 0;)
            if (line_matches(r, &l->lines[k])) {
                l->nlines = k + 1;
                mark[i] = 1;
                break;
            }
    }
    for (i = 0; i < p->nsamples; i++) {
        struct sample *s = &p->samples[i];

        for (k = s->nlocs; k-- > 0;)
            if (mark[s->locs[k] - p->locations]) {
                s->nlocs = k + 1;
                p->samples[n++] = *s;
                break;
            }
    }
    p->nsamples = n;
    for (i = 0; i < p->nlocations; i++)
        rep->show_from |= mark[i] != 0;
}

/* The part of a function name pprof's PruneFrom matches: no leading '.', cut at the
 * first '(' that does not open "(anonymous namespace)" or "operator()". */
static size_t
simple_name(const char *name, const char **start)
{
    static const char anon[] = "(anonymous namespace)", op[] = "operator()";
    const char *s = name[0] == '.' ? name + 1 : name;
    size_t i = 0;

    *start = s;
    for (i = 0; s[i] != '\0'; i++) {
        if (strncmp(s + i, anon, sizeof(anon) - 1) == 0)
            i += sizeof(anon) - 2;
        else if (strncmp(s + i, op, sizeof(op) - 1) == 0)
            i += sizeof(op) - 2;
        else if (s[i] == '(')
            return i;
    }
    return i;
}

/* pprof's PruneFrom: a location whose line matches loses its inlined callees below
 * that line; stacks lose every frame below the first such location. */
static void
prune_from(struct profile *p, const struct rx *r, unsigned char *mark)
{
    size_t i, k;

    memset(mark, 0, p->nlocations);
    for (i = 0; i < p->nlocations; i++) {
        struct location *l = &p->locations[i];

        for (k = 0; k < l->nlines; k++) {
            const char *s;
            size_t n;

            if (l->lines[k].fn->name[0] == '\0')
                continue;
            n = simple_name(l->lines[k].fn->name, &s);
            if (rx_match_n(r, s, n)) {
                mark[i] = 1;
                l->lines += k;
                l->nlines -= k;
                break;
            }
        }
    }
    for (i = 0; i < p->nsamples; i++) {
        struct sample *s = &p->samples[i];

        for (k = 0; k < s->nlocs; k++)
            if (mark[s->locs[k] - p->locations]) {
                s->locs += k;
                s->nlocs -= k;
                break;
            }
    }
}

/* ---- putting it together ---- */

struct compiled {
    struct rxset x;
    struct tagfilter tf, ti;
};

static void
compiled_free(struct compiled *c)
{
    rx_free(&c->x.focus);
    rx_free(&c->x.ignore);
    rx_free(&c->x.hide);
    rx_free(&c->x.show);
    rx_free(&c->x.show_from);
    rx_free(&c->x.prune_from);
    tagfilter_free(&c->tf);
    tagfilter_free(&c->ti);
}

static enum hw_err
compile_opt(struct rx *r, const char *name, const char *v, struct errbuf *eb)
{
    return set(v) ? rx_compile(r, name, v, strlen(v), eb) : HW_OK;
}

static enum hw_err
compile_all(struct compiled *c, const struct filter_opts *o, struct errbuf *eb)
{
    enum hw_err err;

    memset(c, 0, sizeof(*c));
    if ((err = compile_opt(&c->x.focus, "focus", o->focus, eb)) != HW_OK ||
        (err = compile_opt(&c->x.ignore, "ignore", o->ignore, eb)) != HW_OK ||
        (err = compile_opt(&c->x.hide, "hide", o->hide, eb)) != HW_OK ||
        (err = compile_opt(&c->x.show, "show", o->show, eb)) != HW_OK ||
        (err = compile_opt(&c->x.show_from, "show_from", o->show_from, eb)) != HW_OK ||
        (set(o->tagfocus) && (err = tagfilter_parse(&c->tf, "tagfocus", o->tagfocus, eb)) != HW_OK) ||
        (set(o->tagignore) &&
         (err = tagfilter_parse(&c->ti, "tagignore", o->tagignore, eb)) != HW_OK) ||
        (err = compile_opt(&c->x.prune_from, "prune_from", o->prune_from, eb)) != HW_OK) {
        compiled_free(c);
        return err;
    }
    return HW_OK;
}

enum hw_err
filter_check(const struct filter_opts *o, struct errbuf *eb)
{
    struct compiled c;
    enum hw_err err = compile_all(&c, o, eb);

    if (err == HW_OK)
        compiled_free(&c);
    return err;
}

enum hw_err
filter_apply(struct profile *p, const struct filter_opts *o, struct filter_report *r,
             struct errbuf *eb)
{
    struct filter_report dummy;
    struct tagctx tc = {0};
    struct compiled c;
    unsigned char *mark = NULL;
    bool *hidden = NULL;
    enum hw_err err;

    if (r == NULL)
        r = &dummy;
    memset(r, 0, sizeof(*r));
    if (!filter_active(o))
        return HW_OK;
    if ((err = compile_all(&c, o, eb)) != HW_OK)
        return err;
    r->tagfocus_range = c.tf.numeric;
    r->tagignore_range = c.ti.numeric;
    err = HW_NOMEM;
    if ((mark = calloc(p->nlocations + 1, 1)) == NULL ||
        (hidden = calloc(p->nlocations + 1, sizeof(*hidden))) == NULL)
        goto out;
    /* pprof settles the label units before any sample is filtered out. */
    if ((c.tf.name != NULL || c.ti.name != NULL) &&
        (err = label_units(p, &tc.ku, &tc.nku)) != HW_OK)
        goto out;
    if ((err = filter_by_name(p, &c.x, mark, hidden, r)) != HW_OK)
        goto out;
    if (c.x.show_from.re != NULL)
        show_from(p, &c.x.show_from, mark, r);
    if (c.tf.name != NULL || c.ti.name != NULL)
        filter_by_tag(p, &c.tf, &c.ti, &tc, r);
    if (c.x.prune_from.re != NULL)
        prune_from(p, &c.x.prune_from, mark);
    err = HW_OK;
out:
    free(tc.buf);
    free(tc.ku);
    free(hidden);
    free(mark);
    compiled_free(&c);
    return err;
}

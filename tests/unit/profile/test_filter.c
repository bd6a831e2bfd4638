/* test_filter.c - pprof's focus filters on small hand-built profiles. Each profile
 * is made directly as a struct profile: a stack "root;...;leaf" whose frames are
 * functions (a frame "caller+inlined" is one location with an inlined line), and
 * samples may carry a numeric "bytes" label and a string "thread" label. The results
 * follow pprof's FilterSamplesByName, ShowFrom, FilterSamplesByTag and PruneFrom;
 * the comparison with go tool pprof on real profiles is in the e2e tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "filter.h"
#include "profile.h"

#define MAXF 32

struct tb {
    struct arena *a;
    struct profile *p;
    struct function fns[MAXF];
    struct location locs[MAXF];
    const char *lockey[MAXF];
    struct sample samples[MAXF];
    struct mapping map;
};

static struct function *
tb_fn(struct tb *b, const char *name, size_t n)
{
    size_t i;

    for (i = 0; i < b->p->nfunctions; i++)
        if (strlen(b->fns[i].name) == n && strncmp(b->fns[i].name, name, n) == 0)
            return &b->fns[i];
    assert_true(i < MAXF);
    b->fns[i] = (struct function){i + 1, arena_strndup(b->a, name, n), "", "/src/app.go", 1};
    b->fns[i].system_name = b->fns[i].name;
    b->p->nfunctions++;
    return &b->fns[i];
}

/* The location of frame text f ("caller+inlined"), made on first use. */
static struct location *
tb_loc(struct tb *b, const char *f, size_t n)
{
    struct location *l;
    size_t i, np = 1;
    const char *s = f, *e;

    for (i = 0; i < b->p->nlocations; i++)
        if (strlen(b->lockey[i]) == n && strncmp(b->lockey[i], f, n) == 0)
            return &b->locs[i];
    assert_true(i < MAXF);
    l = &b->locs[i];
    b->lockey[i] = arena_strndup(b->a, f, n);
    for (e = f; e < f + n; e++)
        np += *e == '+';
    *l = (struct location){.id = i + 1, .mapping = &b->map, .address = 0x1000 + i};
    l->lines = arena_calloc(b->a, np, sizeof(*l->lines));
    l->nlines = np;
    for (i = 0; i < np; i++) {
        e = memchr(s, '+', (size_t)(f + n - s));
        if (e == NULL)
            e = f + n;
        l->lines[np - 1 - i] = (struct line){tb_fn(b, s, (size_t)(e - s)), 10}; /* innermost first */
        s = e + 1;
    }
    b->p->nlocations++;
    return l;
}

/* A sample of value v with stack "root;...;leaf", a bytes label (0: none) and a
 * thread label (NULL: none). */
static void
tb_sample(struct tb *b, const char *stack, int64_t v, int64_t bytes, const char *thread)
{
    struct sample *s = &b->samples[b->p->nsamples++];
    struct location *stk[32];
    size_t n = 0, i;
    const char *p = stack;

    while (*p != '\0') {
        size_t len = strcspn(p, ";");
        stk[n++] = tb_loc(b, p, len);
        p += len + (p[len] == ';');
    }
    s->locs = arena_alloc(b->a, (n + 1) * sizeof(*s->locs));
    for (i = 0; i < n; i++)
        s->locs[i] = stk[n - 1 - i]; /* leaf first */
    s->nlocs = n;
    s->values = arena_alloc(b->a, sizeof(int64_t));
    s->values[0] = v;
    s->labels = arena_calloc(b->a, 2, sizeof(*s->labels));
    if (bytes != 0)
        s->labels[s->nlabels++] = (struct label){"bytes", NULL, bytes, ""};
    if (thread != NULL)
        s->labels[s->nlabels++] = (struct label){"thread", thread, 0, ""};
}

static struct tb *
tb_new(void **state)
{
    struct arena *a = *state;
    struct tb *b = arena_calloc(a, 1, sizeof(*b));
    static struct value_type vt = {"inuse_space", "bytes"};

    b->a = a;
    b->p = profile_new(a);
    b->p->sample_types = &vt;
    b->p->ntypes = 1;
    b->p->functions = b->fns;
    b->p->locations = b->locs;
    b->p->samples = b->samples;
    b->map = (struct mapping){.id = 1, .file = "/usr/bin/app"};
    b->p->mappings = &b->map;
    b->p->nmappings = 1;
    tb_sample(b, "main.main;main.run;runtime.mallocgc", 100, 64, "worker");
    tb_sample(b, "main.main;main.load+main.parse;runtime.mallocgc", 20, 2048, "main");
    tb_sample(b, "main.main;main.cache", 7, 65536, NULL);
    tb_sample(b, "runtime.main;runtime.gcenable", 3, 16, "main");
    return b;
}

/* The stack of sample i as "root;...;leaf" with inlined lines joined by '+'. */
static const char *
stack_of(const struct profile *p, size_t i, char *buf, size_t n)
{
    const struct sample *s = &p->samples[i];
    size_t k, j, w = 0;

    buf[0] = '\0';
    for (k = s->nlocs; k-- > 0;) {
        const struct location *l = s->locs[k];

        for (j = l->nlines; j-- > 0;)
            w += (size_t)snprintf(buf + w, n - w, "%s%s", j + 1 == l->nlines ? (w ? ";" : "") : "+",
                                  l->lines[j].fn->name);
    }
    return buf;
}

static void
expect(const struct profile *p, const char *const *stacks, size_t n)
{
    char buf[512];
    size_t i;

    assert_int_equal(p->nsamples, n);
    for (i = 0; i < n; i++)
        assert_string_equal(stack_of(p, i, buf, sizeof(buf)), stacks[i]);
}

static void
run(struct tb *b, const struct filter_opts *o, struct filter_report *r)
{
    struct errbuf eb = {{0}};

    assert_int_equal(filter_apply(b->p, o, r, &eb), HW_OK);
}

static void
test_no_filter_leaves_profile(void **state)
{
    struct tb *b = tb_new(state);
    struct filter_opts o = {0};

    assert_false(filter_active(&o));
    run(b, &o, NULL);
    assert_int_equal(b->p->nsamples, 4);
}

static void
test_focus_keeps_matching_samples(void **state)
{
    struct tb *b = tb_new(state);
    struct filter_opts o = {.focus = "parse"};
    struct filter_report r;
    static const char *const want[] = {"main.main;main.load+main.parse;runtime.mallocgc"};

    run(b, &o, &r);
    assert_true(r.focus);
    expect(b->p, want, 1);
}

static void
test_ignore_beats_focus(void **state)
{
    struct tb *b = tb_new(state);
    struct filter_opts o = {.focus = "main\\.", .ignore = "mallocgc"};
    static const char *const want[] = {"main.main;main.cache"}; /* "runtime.main" has no "main." */

    run(b, &o, NULL);
    expect(b->p, want, 1);
}

static void
test_focus_matches_binary_and_file(void **state)
{
    struct tb *b = tb_new(state);
    struct filter_opts o = {.focus = "^/usr/bin/app$"};
    struct filter_opts f = {.ignore = "app\\.go"};

    run(b, &o, NULL);
    assert_int_equal(b->p->nsamples, 4);
    run(b, &f, NULL);
    assert_int_equal(b->p->nsamples, 0);
}

static void
test_hide_drops_frames_and_inlined_lines(void **state)
{
    struct tb *b = tb_new(state);
    struct filter_opts o = {.hide = "mallocgc|parse|^runtime"};
    static const char *const want[] = {"main.main;main.run", "main.main;main.load",
                                       "main.main;main.cache"};

    run(b, &o, NULL);
    expect(b->p, want, 3);
}

static void
test_show_keeps_only_matching_frames(void **state)
{
    struct tb *b = tb_new(state);
    struct filter_opts o = {.show = "parse|cache"};
    struct filter_report r;
    static const char *const want[] = {"main.parse", "main.cache"};

    run(b, &o, &r);
    assert_true(r.show);
    expect(b->p, want, 2);
}

static void
test_show_from_cuts_above_highest_match(void **state)
{
    struct tb *b = tb_new(state);
    struct filter_opts o = {.show_from = "load|main\\.run|gcenable"};
    static const char *const want[] = {"main.run;runtime.mallocgc",
                                       "main.load+main.parse;runtime.mallocgc",
                                       "runtime.gcenable"};

    run(b, &o, NULL);
    expect(b->p, want, 3);
}

static void
test_show_from_inlined_line_cuts_callers(void **state)
{
    struct tb *b = tb_new(state);
    struct filter_opts o = {.show_from = "parse"};
    static const char *const want[] = {"main.parse;runtime.mallocgc"};

    run(b, &o, NULL);
    expect(b->p, want, 1);
}

static void
test_prune_from_cuts_below(void **state)
{
    struct tb *b = tb_new(state);
    struct filter_opts o = {.prune_from = "^main\\.(run|parse)$"};
    static const char *const want[] = {"main.main;main.run", "main.main;main.load+main.parse",
                                       "main.main;main.cache", "runtime.main;runtime.gcenable"};

    run(b, &o, NULL);
    expect(b->p, want, 4);
}

/* As in pprof, a number without a unit is in no unit, so it never matches bytes;
 * and a range whose ends differ in kind ("64:2kb") is read as a regexp. */
static void
test_tagfocus_ranges(void **state)
{
    static const struct {
        const char *spec;
        size_t n;
        bool range;
    } cases[] = {
        {"1kb:", 2, true},    {":64b", 2, true},        {"2kb", 1, true},   {"64b:2kb", 2, true},
        {"bytes=16b", 1, true}, {"other=1kb:", 0, true}, {"1mb:2mb", 0, true}, {"1kb:64kb", 2, true},
        {":64", 0, true},     {"64:2kb", 0, false},     {"x1kb", 0, false},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tb *b = tb_new(state);
        struct filter_opts o = {.tagfocus = cases[i].spec};
        struct filter_report r;

        run(b, &o, &r);
        assert_int_equal(r.tagfocus_range, cases[i].range);
        if (b->p->nsamples != cases[i].n)
            fail_msg("tagfocus=%s kept %zu samples, want %zu", cases[i].spec, b->p->nsamples,
                     cases[i].n);
    }
}

static void
test_tagignore_range(void **state)
{
    struct tb *b = tb_new(state);
    struct filter_opts o = {.tagignore = ":1kb"};
    static const char *const want[] = {"main.main;main.load+main.parse;runtime.mallocgc",
                                       "main.main;main.cache"};

    run(b, &o, NULL);
    expect(b->p, want, 2);
}

static void
test_tag_regexps(void **state)
{
    struct tb *b = tb_new(state);
    struct filter_opts key = {.tagfocus = "thread=^work"};
    struct filter_opts anykey = {.tagfocus = "thread:main"};
    struct filter_opts all = {.tagfocus = "thread:,main"};
    struct filter_report r;

    run(b, &key, &r);
    assert_false(r.tagfocus_range);
    assert_int_equal(b->p->nsamples, 1);
    b = tb_new(state);
    run(b, &anykey, NULL);
    assert_int_equal(b->p->nsamples, 2);
    b = tb_new(state);
    run(b, &all, NULL);
    assert_int_equal(b->p->nsamples, 2);
}

static void
test_no_match_is_reported(void **state)
{
    struct tb *b = tb_new(state);
    struct filter_opts o = {.focus = "nothing", .hide = "nothing", .tagignore = "9gb"};
    struct filter_report r;

    run(b, &o, &r);
    assert_false(r.focus);
    assert_false(r.hide);
    assert_false(r.tagignore);
    assert_int_equal(b->p->nsamples, 0);
}

static void
test_bad_regexp_is_usage_error(void **state)
{
    struct tb *b = tb_new(state);
    struct filter_opts o = {.show_from = "a("};
    struct filter_opts t = {.tagfocus = "thread=[z-a]"};
    struct errbuf eb = {{0}};

    assert_int_equal(filter_check(&o, &eb), HW_USAGE);
    assert_non_null(strstr(eb.msg, "parsing show_from regexp"));
    errbuf_clear(&eb);
    assert_int_equal(filter_apply(b->p, &t, NULL, &eb), HW_USAGE);
    assert_non_null(strstr(eb.msg, "parsing tagfocus regexp"));
    assert_int_equal(b->p->nsamples, 4);
}

static void
test_describe_in_pprof_order(void **state)
{
    struct filter_opts o = {.tagignore = "1kb", .prune_from = "x", .focus = "f", .hide = "h"};
    const char *lines[FILTER_MAX_ACTIVE];

    assert_int_equal(filter_describe(*state, &o, lines), 3);
    assert_string_equal(lines[0], "focus=f");
    assert_string_equal(lines[1], "hide=h");
    assert_string_equal(lines[2], "tagignore=1kb");
}

/* The filters' own allocations (new line lists and stacks) come from p->arena: every
 * limit either succeeds or fails with HW_TOOBIG, and a success gives the same result. */
static void
test_arena_limit_walk(void **state)
{
    static const char *const want[] = {"main.main;main.run", "main.main;main.load",
                                       "main.main;main.cache"};
    struct filter_opts o = {.hide = "mallocgc|parse|^runtime"};
    size_t limit;

    for (limit = 0;; limit += 8) {
        struct tb *b = tb_new(state);
        struct arena *small = arena_new(limit + 1);
        enum hw_err err;

        assert_non_null(small);
        b->p->arena = small;
        err = filter_apply(b->p, &o, NULL, NULL);
        if (err == HW_OK)
            expect(b->p, want, 3);
        arena_free(small);
        if (err == HW_OK)
            break;
        assert_int_equal(err, HW_TOOBIG);
        assert_true(limit < 4096);
    }
}

static int
setup(void **state)
{
    *state = arena_new(0);
    return *state == NULL;
}

static int
teardown(void **state)
{
    arena_free(*state);
    return 0;
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_no_filter_leaves_profile),
        T(test_focus_keeps_matching_samples),
        T(test_ignore_beats_focus),
        T(test_focus_matches_binary_and_file),
        T(test_hide_drops_frames_and_inlined_lines),
        T(test_show_keeps_only_matching_frames),
        T(test_show_from_cuts_above_highest_match),
        T(test_show_from_inlined_line_cuts_callers),
        T(test_prune_from_cuts_below),
        T(test_tagfocus_ranges),
        T(test_tagignore_range),
        T(test_tag_regexps),
        T(test_no_match_is_reported),
        T(test_bad_regexp_is_usage_error),
        T(test_describe_in_pprof_order),
        T(test_arena_limit_walk),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

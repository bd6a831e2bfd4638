/* test_profile.c - the model's shared operations: pprof's -sample_index rules
 * (profile_sample_index) and its drop_frames/keep_frames pruning
 * (profile_remove_uninteresting), on profiles built in C. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "decode.h"
#include "profile.h"
#include "profile.pb-c.h"
#include "pbb.h"

/* ---- sample index ---- */

static size_t
index_ok(const struct profile *p, const char *spec)
{
    struct errbuf eb = {{0}};
    size_t i = 12345;
    enum hw_err err = profile_sample_index(p, spec, &i, &eb);

    if (err != HW_OK)
        fail_msg("sample_index \"%s\": %s", spec ? spec : "(null)", eb.msg);
    return i;
}

static void
index_fails(const struct profile *p, const char *spec, enum hw_err want, const char *msg)
{
    struct errbuf eb = {{0}};
    size_t i = 12345;

    assert_int_equal(profile_sample_index(p, spec, &i, &eb), want);
    assert_string_equal(eb.msg, msg);
}

static struct profile *
heap(struct arena *a, const char *default_type)
{
    struct pbb *b = pbb_heap(a);

    if (default_type != NULL)
        b->p.default_sample_type = pbb_str(b, default_type);
    SAMPLE(b, "main.main", 1, 2, 3, 4);
    return pbb_profile(b);
}

static void
test_index_default_is_last(void **state)
{
    struct arena *a = *state;
    struct profile *p = heap(a, NULL);

    assert_int_equal(index_ok(p, ""), 3);
    assert_int_equal(index_ok(p, NULL), 3);
}

static void
test_index_default_sample_type(void **state)
{
    struct arena *a = *state;

    assert_int_equal(index_ok(heap(a, "alloc_space"), ""), 1);
    assert_int_equal(index_ok(heap(a, "alloc_objects"), ""), 0);
    /* A default that names no type falls back to the last one. */
    assert_int_equal(index_ok(heap(a, "cpu"), ""), 3);
    /* The default only applies when nothing was asked for. */
    assert_int_equal(index_ok(heap(a, "alloc_space"), "inuse_objects"), 2);
}

static void
test_index_numeric(void **state)
{
    struct arena *a = *state;
    struct profile *p = heap(a, "alloc_space");

    assert_int_equal(index_ok(p, "0"), 0);
    assert_int_equal(index_ok(p, "3"), 3);
    assert_int_equal(index_ok(p, "+2"), 2); /* Go's Atoi takes a sign */
    assert_int_equal(index_ok(p, "-0"), 0);
}

static void
test_index_out_of_range(void **state)
{
    struct arena *a = *state;
    struct profile *p = heap(a, NULL);

    /* pprof: sample_index 5 is outside the range [0..3] */
    index_fails(p, "4", HW_USAGE, "sample_index 4 is outside the range [0..3]");
    index_fails(p, "-1", HW_USAGE, "sample_index -1 is outside the range [0..3]");
    index_fails(p, "99999999999", HW_USAGE, "sample_index 99999999999 is outside the range [0..3]");
}

static void
test_index_by_name(void **state)
{
    struct arena *a = *state;
    struct profile *p = heap(a, NULL);

    assert_int_equal(index_ok(p, "alloc_objects"), 0);
    assert_int_equal(index_ok(p, "alloc_space"), 1);
    assert_int_equal(index_ok(p, "inuse_objects"), 2);
    assert_int_equal(index_ok(p, "inuse_space"), 3);
}

/* Legacy profiles name their types "space" and "objects"; pprof's old option names
 * "inuse_space"/"inuse_objects" still select them. */
static void
test_index_inuse_prefix_stripped(void **state)
{
    struct arena *a = *state;
    struct pbb *b = pbb_new(a);
    struct profile *p;

    pbb_type(b, "objects", "count");
    pbb_type(b, "space", "bytes");
    SAMPLE(b, "main.main", 1, 2);
    p = pbb_profile(b);
    assert_int_equal(index_ok(p, "inuse_space"), 1);
    assert_int_equal(index_ok(p, "inuse_objects"), 0);
    assert_int_equal(index_ok(p, "space"), 1);
    index_fails(p, "alloc_space", HW_USAGE,
                "sample_index \"alloc_space\" must be one of: "
                "[objects space]");
}

static void
test_index_unknown_name_lists_types(void **state)
{
    struct arena *a = *state;
    struct profile *p = heap(a, NULL);

    index_fails(p, "cpu", HW_USAGE,
                "sample_index \"cpu\" must be one of: [alloc_objects alloc_space inuse_objects "
                "inuse_space]");
    index_fails(p, "0x1", HW_USAGE,
                "sample_index \"0x1\" must be one of: [alloc_objects alloc_space inuse_objects "
                "inuse_space]");
    index_fails(p, "Inuse_space", HW_USAGE,
                "sample_index \"Inuse_space\" must be one of: [alloc_objects alloc_space "
                "inuse_objects inuse_space]");
}

/* Go's strconv.Atoi rejects surrounding blanks, so pprof looks " 1" up as a name and
 * fails; strtoll would skip the blank and pick type 1. */
static void
test_index_blank_is_not_a_number(void **state)
{
    struct arena *a = *state;
    struct profile *p = heap(a, NULL);

    index_fails(p, " 1", HW_USAGE,
                "sample_index \" 1\" must be one of: [alloc_objects alloc_space inuse_objects "
                "inuse_space]");
    index_fails(p, "1 ", HW_USAGE,
                "sample_index \"1 \" must be one of: [alloc_objects alloc_space inuse_objects "
                "inuse_space]");
}

static void
test_index_no_types(void **state)
{
    struct arena *a = *state;
    struct profile *p = profile_new(a);
    struct errbuf eb = {{0}};
    size_t i;

    assert_int_equal(profile_sample_index(p, "", &i, &eb), HW_BADDATA);
    assert_string_equal(eb.msg, "profile has no samples");
}

/* ---- drop_frames / keep_frames ---- */

/* Sample i's stack as "root;...;leaf", a location's lines joined caller first by '+'. */
static const char *
stack_of(const struct profile *p, size_t i)
{
    static char out[1024];
    const struct sample *s = &p->samples[i];
    size_t k, j, n = 0;

    out[0] = '\0';
    for (k = s->nlocs; k-- > 0;) {
        const struct location *l = s->locs[k];

        if (k + 1 != s->nlocs)
            n += (size_t)snprintf(out + n, sizeof(out) - n, ";");
        if (l->nlines == 0)
            n +=
                (size_t)snprintf(out + n, sizeof(out) - n, "@%llx", (unsigned long long)l->address);
        for (j = l->nlines; j-- > 0;)
            n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", l->lines[j].fn->name,
                                  j ? "+" : "");
    }
    return out;
}

static struct profile *
pruned(struct pbb *b)
{
    struct errbuf eb = {{0}};
    struct profile *p = pbb_profile(b);

    if (profile_remove_uninteresting(p, &eb) != HW_OK)
        fail_msg("profile_remove_uninteresting: %s", eb.msg);
    assert_int_equal(profile_check(p, &eb), HW_OK);
    return p;
}

static struct pbb *
with_frames(struct arena *a, const char *drop, const char *keep)
{
    struct pbb *b = pbb_heap(a);

    if (drop != NULL)
        b->p.drop_frames = pbb_str(b, drop);
    if (keep != NULL)
        b->p.keep_frames = pbb_str(b, keep);
    return b;
}

static void
test_drop_runtime_keeps_user_frames(void **state)
{
    struct arena *a = *state;
    struct pbb *b = with_frames(a, "runtime\\..*", NULL);
    struct profile *p;

    SAMPLE(b, "main.main;main.alloc;runtime.mallocgc;runtime.nextFreeFast", 1, 16, 1, 16);
    SAMPLE(b, "main.main;main.other", 2, 32, 2, 32);
    SAMPLE(b, "runtime.main;main.main;runtime.newobject", 3, 48, 3, 48);
    p = pruned(b);
    assert_string_equal(stack_of(p, 0), "main.main;main.alloc");
    assert_string_equal(stack_of(p, 1), "main.main;main.other");
    /* Frames above the first user frame stay. */
    assert_string_equal(stack_of(p, 2), "runtime.main;main.main");
    /* Values are untouched. */
    assert_int_equal(p->samples[0].values[3], 16);
    assert_int_equal(p->samples[2].values[3], 48);
}

/* A stack of nothing but dropped frames is left whole rather than emptied. */
static void
test_drop_all_runtime_stack_untouched(void **state)
{
    struct arena *a = *state;
    struct pbb *b = with_frames(a, "runtime\\..*", NULL);
    struct profile *p;

    SAMPLE(b, "runtime.gcBgMarkWorker;runtime.gcDrain;runtime.mallocgc", 1, 8, 1, 8);
    p = pruned(b);
    assert_string_equal(stack_of(p, 0), "runtime.gcBgMarkWorker;runtime.gcDrain;runtime.mallocgc");
}

/* Everything below the first dropped frame from the root goes, user frames too. */
static void
test_drop_takes_frames_below(void **state)
{
    struct arena *a = *state;
    struct pbb *b = with_frames(a, "runtime\\..*", NULL);
    struct profile *p;

    SAMPLE(b, "main.main;runtime.callback;main.handler;main.leaf", 1, 8, 1, 8);
    p = pruned(b);
    assert_string_equal(stack_of(p, 0), "main.main");
}

static void
test_keep_frames(void **state)
{
    struct arena *a = *state;
    struct pbb *b = with_frames(a, "runtime\\..*", "runtime\\.keepme");
    struct profile *p;

    SAMPLE(b, "main.main;runtime.keepme;runtime.mallocgc", 1, 8, 1, 8);
    p = pruned(b);
    assert_string_equal(stack_of(p, 0), "main.main;runtime.keepme");
}

/* The pattern must match the whole (simplified) name. */
static void
test_drop_is_anchored(void **state)
{
    struct arena *a = *state;
    struct pbb *b = with_frames(a, "runtime", NULL);
    struct profile *p;

    SAMPLE(b, "main.main;runtime.mallocgc;runtime", 1, 8, 1, 8);
    SAMPLE(b, "main.main;xruntime", 1, 8, 1, 8);
    p = pruned(b);
    assert_string_equal(stack_of(p, 0), "main.main;runtime.mallocgc");
    assert_string_equal(stack_of(p, 1), "main.main;xruntime");
}

/* "pkg.(*T).M" is matched as "pkg.", C++ "(anonymous namespace)" and "operator()"
 * are not cut, and a leading '.' is ignored. */
static void
test_drop_matches_simplified_name(void **state)
{
    struct arena *a = *state;
    struct pbb *b = with_frames(a,
                                "alloc\\.|ns::\\(anonymous namespace\\)::f|Foo::operator\\(\\)|"
                                "runtime\\.dot",
                                NULL);
    struct profile *p;
    size_t i;

    SAMPLE(b, "app.run;alloc.(*Pool).Get;alloc.(*Pool).grow", 1, 8, 1, 8);
    SAMPLE(b, "app.run;ns::(anonymous namespace)::f(int);leaf", 1, 8, 1, 8);
    SAMPLE(b, "app.run;Foo::operator()(int, char);leaf", 1, 8, 1, 8);
    SAMPLE(b, "app.run;.runtime.dot;leaf", 1, 8, 1, 8);
    /* A name that only matches in full is not dropped: "(" cuts it first. */
    SAMPLE(b, "app.run;alloc.x(int);leaf", 1, 8, 1, 8);
    /* No system names: pprof's symbolizer would otherwise "demangle" the C++-looking
     * names first (dropping every "(...)"); with these the profile checked against
     * `go tool pprof -traces` prunes exactly as below. */
    for (i = 0; i < b->p.n_function; i++)
        b->fns[i]->system_name = 0;
    p = pruned(b);
    assert_string_equal(stack_of(p, 0), "app.run");
    assert_string_equal(stack_of(p, 1), "app.run");
    assert_string_equal(stack_of(p, 2), "app.run");
    assert_string_equal(stack_of(p, 3), "app.run");
    assert_string_equal(stack_of(p, 4), "app.run;alloc.x(int);leaf");
}

/* Inlined frames: a dropped callee inlined into a user caller cuts the location down
 * to the caller; a dropped caller takes the whole location. */
/* Go's "$" matches only at the very end of the name, never before a final newline
 * (checked with `go tool pprof -traces`: "runtime.x\n" is kept). */
static void
test_drop_dollar_is_end_of_name(void **state)
{
    struct arena *a = *state;
    struct pbb *b = with_frames(a, "runtime\\.x", NULL);
    struct profile *p;

    SAMPLE(b, "main.main;runtime.x\n;leaf", 1, 8, 1, 8);
    SAMPLE(b, "main.main;runtime.x;leaf", 1, 8, 1, 8);
    p = pruned(b);
    assert_string_equal(stack_of(p, 0), "main.main;runtime.x\n;leaf");
    assert_string_equal(stack_of(p, 1), "main.main");
}

static void
test_drop_inlined_frames(void **state)
{
    struct arena *a = *state;
    struct pbb *b = with_frames(a, "runtime\\..*", NULL);
    struct profile *p;

    SAMPLE(b, "main.main;main.f+runtime.inl+main.cb;runtime.x", 1, 8, 1, 8);
    SAMPLE(b, "main.main;runtime.outer+main.g", 1, 8, 1, 8);
    p = pruned(b);
    assert_string_equal(stack_of(p, 0), "main.main;main.f");
    assert_string_equal(stack_of(p, 1), "main.main");
}

/* Frames without a function name (unsymbolized) never match. */
static void
test_drop_skips_unnamed_frames(void **state)
{
    struct arena *a = *state;
    struct pbb *b = with_frames(a, ".*", NULL);
    struct profile *p;

    SAMPLE(b, "@4a0;@4b0", 1, 8, 1, 8);
    p = pruned(b);
    assert_string_equal(stack_of(p, 0), "@4a0;@4b0");
}

static void
test_no_drop_frames_is_noop(void **state)
{
    struct arena *a = *state;
    struct pbb *b = with_frames(a, NULL, "runtime\\..*");
    struct profile *p;

    SAMPLE(b, "main.main;runtime.mallocgc", 1, 8, 1, 8);
    p = pruned(b);
    assert_string_equal(stack_of(p, 0), "main.main;runtime.mallocgc");
}

static void
test_bad_regexp(void **state)
{
    struct arena *a = *state;
    struct errbuf eb = {{0}};
    struct profile *p;
    struct pbb *b;

    b = with_frames(a, "runtime\\.(", NULL);
    SAMPLE(b, "main.main;runtime.mallocgc", 1, 8, 1, 8);
    p = pbb_profile(b);
    assert_int_equal(profile_remove_uninteresting(p, &eb), HW_BADDATA);
    assert_true(strncmp(eb.msg, "drop_frames/keep_frames regexp runtime\\.(: ", 43) == 0);
    b = with_frames(a, "runtime\\..*", "[");
    SAMPLE(b, "main.main;runtime.mallocgc", 1, 8, 1, 8);
    p = pbb_profile(b);
    errbuf_clear(&eb);
    assert_int_equal(profile_remove_uninteresting(p, &eb), HW_BADDATA);
    assert_true(strncmp(eb.msg, "drop_frames/keep_frames regexp [: ", 34) == 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        ARENA_TEST(test_index_default_is_last),
        ARENA_TEST(test_index_default_sample_type),
        ARENA_TEST(test_index_numeric),
        ARENA_TEST(test_index_out_of_range),
        ARENA_TEST(test_index_by_name),
        ARENA_TEST(test_index_inuse_prefix_stripped),
        ARENA_TEST(test_index_unknown_name_lists_types),
        ARENA_TEST(test_index_blank_is_not_a_number),
        ARENA_TEST(test_index_no_types),
        ARENA_TEST(test_drop_runtime_keeps_user_frames),
        ARENA_TEST(test_drop_all_runtime_stack_untouched),
        ARENA_TEST(test_drop_takes_frames_below),
        ARENA_TEST(test_keep_frames),
        ARENA_TEST(test_drop_is_anchored),
        ARENA_TEST(test_drop_matches_simplified_name),
        ARENA_TEST(test_drop_dollar_is_end_of_name),
        ARENA_TEST(test_drop_inlined_frames),
        ARENA_TEST(test_drop_skips_unnamed_frames),
        ARENA_TEST(test_no_drop_frames_is_noop),
        ARENA_TEST(test_bad_regexp),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_summary.c - a scrape's totals, top functions, alloc delta and restart
 * detection, on heap profiles built with pbb.h. */
#include "pbb.h"
#include "summary.h"

/* A heap profile (alloc_objects, alloc_space, inuse_objects, inuse_space) of three
 * stacks whose cumulative alloc values are scaled by k; the leak's by grow. */
static struct profile *
heap(struct arena *a, int64_t k, int64_t grow, const char *binary)
{
    struct pbb *b = pbb_heap(a);

    if (binary != NULL)
        pbb_mapping(b, binary);
    SAMPLE(b, "main.main;main.leak", 10 * grow, 10240 * grow, 10 * grow, 10240 * grow);
    SAMPLE(b, "main.main;main.churn", 100 * k, 409600 * k, 1, 4096);
    SAMPLE(b, "main.main;main.init;main.table", 5, 5000, 5, 5000);
    return pbb_profile(b);
}

static void
test_totals_and_top(void **state)
{
    struct scrape_summary s;
    struct profile *p = heap(*state, 1, 1, NULL);

    assert_int_equal(summary_compute(p, NULL, &s, NULL), HW_OK);
    assert_int_equal(s.ntypes, 4);
    assert_string_equal(s.types[3], "inuse_space");
    assert_string_equal(s.units[1], "bytes");
    assert_int_equal(s.totals[0], 10 + 100 + 5);
    assert_int_equal(s.totals[3], 10240 + 4096 + 5000);
    assert_int_equal(s.default_col, 3); /* no default_sample_type: pprof takes the last */
    assert_true(s.ntop >= 3);
    assert_string_equal(s.top[0].name, "main.leak");
    assert_int_equal(s.top[0].flat, 10240);
    assert_string_equal(s.top[1].name, "main.table");
    assert_false(s.has_delta);
    assert_false(s.restart);
    summary_free(&s);
}

static void
test_delta_same_process(void **state)
{
    struct scrape_summary prev, cur;

    assert_int_equal(summary_compute(heap(*state, 1, 1, "/bin/app"), NULL, &prev, NULL), HW_OK);
    assert_int_equal(summary_compute(heap(*state, 3, 2, "/bin/app"), &prev, &cur, NULL), HW_OK);
    assert_true(cur.has_delta);
    assert_false(cur.restart);
    assert_int_equal(cur.delta[0], (20 + 300) - (10 + 100));
    assert_int_equal(cur.delta[1], (20480 + 1228800) - (10240 + 409600));
    summary_free(&prev);
    summary_free(&cur);
}

static void
test_restart_totals_down(void **state)
{
    struct scrape_summary prev, cur;

    assert_int_equal(summary_compute(heap(*state, 5, 5, NULL), NULL, &prev, NULL), HW_OK);
    assert_int_equal(summary_compute(heap(*state, 1, 1, NULL), &prev, &cur, NULL), HW_OK);
    assert_true(cur.restart);
    assert_false(cur.has_delta);
    summary_free(&prev);
    summary_free(&cur);
}

/* A young process that already allocated more than the old one in all, but whose
 * remembered stacks are smaller: still a restart, never a negative per-stack delta. */
static void
test_restart_stack_down(void **state)
{
    struct scrape_summary prev, cur;
    struct pbb *b;

    assert_int_equal(summary_compute(heap(*state, 1, 4, NULL), NULL, &prev, NULL), HW_OK);
    b = pbb_heap(*state);
    SAMPLE(b, "main.main;main.leak", 1, 1024, 1, 1024);
    SAMPLE(b, "main.main;main.churn", 1000, 4096000, 1, 4096);
    SAMPLE(b, "main.main;main.init;main.table", 5, 5000, 5, 5000);
    assert_int_equal(summary_compute(pbb_profile(b), &prev, &cur, NULL), HW_OK);
    assert_true(cur.restart);
    assert_false(cur.has_delta);
    summary_free(&prev);
    summary_free(&cur);
}

static void
test_restart_new_binary(void **state)
{
    struct scrape_summary prev, cur;

    assert_int_equal(summary_compute(heap(*state, 1, 1, "/bin/app-v1"), NULL, &prev, NULL), HW_OK);
    assert_int_equal(summary_compute(heap(*state, 2, 2, "/bin/app-v2"), &prev, &cur, NULL), HW_OK);
    assert_true(cur.restart);
    summary_free(&prev);
    summary_free(&cur);
}

static void
test_no_alloc_columns(void **state)
{
    struct scrape_summary prev, cur;
    struct pbb *b = pbb_new(*state);

    pbb_type(b, "goroutine", "count");
    SAMPLE(b, "main.main;main.worker;runtime.gopark", 7);
    assert_int_equal(summary_compute(pbb_profile(b), NULL, &prev, NULL), HW_OK);
    assert_int_equal(prev.alloc_objects_col, -1);
    assert_int_equal(summary_compute(pbb_profile(b), &prev, &cur, NULL), HW_OK);
    assert_false(cur.has_delta);
    assert_false(cur.restart);
    assert_int_equal(cur.totals[0], 7);
    assert_string_equal(cur.top[0].name, "runtime.gopark");
    summary_free(&prev);
    summary_free(&cur);
}

static void
test_move_and_free(void **state)
{
    struct scrape_summary a, b;

    memset(&b, 0, sizeof(b));
    assert_int_equal(summary_compute(heap(*state, 1, 1, NULL), NULL, &a, NULL), HW_OK);
    summary_move(&b, &a);
    assert_int_equal(a.ntypes, 0);
    assert_null(a.types[0]);
    assert_string_equal(b.types[0], "alloc_objects");
    summary_free(&a);
    summary_free(&b);
    summary_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        ARENA_TEST(test_totals_and_top),    ARENA_TEST(test_delta_same_process),
        ARENA_TEST(test_restart_totals_down), ARENA_TEST(test_restart_stack_down),
        ARENA_TEST(test_restart_new_binary), ARENA_TEST(test_no_alloc_columns),
        ARENA_TEST(test_move_and_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

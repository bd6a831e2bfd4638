/* test_params.c - the render URLs' query parameters (times as ids, RFC 3339 and
 * relative offsets; every bad value named in the error) and the render cache (LRU by
 * bytes, eviction order, replacement, ETag stability). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "params.h"
#include "webcache.h"

/* A query as "name=value" pairs ending with NULL. */
static const char *
get_pairs(const void *ctx, const char *name)
{
    const char *const *p;
    size_t n = strlen(name);

    for (p = ctx; *p != NULL; p++)
        if (strncmp(*p, name, n) == 0 && (*p)[n] == '=')
            return *p + n + 1;
    return NULL;
}

static enum hw_err
parse(struct render_params *rp, const char *const *q, struct errbuf *eb)
{
    errbuf_clear(eb);
    return params_parse(rp, get_pairs, q, eb);
}

/* Parsing q fails and the message names want. */
static void
expect_bad(const char *const *q, const char *want)
{
    struct render_params rp;
    struct errbuf eb = {{0}};

    if (parse(&rp, q, &eb) != HW_USAGE)
        fail_msg("%s was accepted", q[1]);
    if (strstr(eb.msg, want) == NULL)
        fail_msg("error \"%s\" does not name \"%s\"", eb.msg, want);
}

static void
test_time_ids_and_latest(void **state)
{
    struct time_spec t;
    struct errbuf eb = {{0}};

    (void)state;
    assert_int_equal(params_time("at", "latest", &t, &eb), HW_OK);
    assert_int_equal(t.kind, TIME_LATEST);
    assert_int_equal(params_time_ms(&t, 5), INT64_MAX);
    assert_int_equal(params_time("at", "1795433960673", &t, &eb), HW_OK);
    assert_int_equal(t.kind, TIME_ID);
    assert_int_equal(params_time_ms(&t, 5), 1795433960673LL);
    /* latest means nothing for a base. */
    assert_int_equal(params_time("base", "latest", &t, &eb), HW_USAGE);
    assert_non_null(strstr(eb.msg, "bad parameter base"));
    errbuf_clear(&eb);
    assert_int_equal(params_time("at", "0", &t, &eb), HW_USAGE);
    errbuf_clear(&eb);
    assert_int_equal(params_time("at", "99999999999999999999999", &t, &eb), HW_USAGE);
}

static void
test_time_rfc3339(void **state)
{
    static const struct {
        const char *s;
        int64_t ms;
    } ok[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"2026-11-23T10:15:00Z", 1795428900000LL},
        {"2026-11-23T10:15:00.123Z", 1795428900123LL},
        {"2026-11-23T10:15:00.5Z", 1795428900500LL},
        {"2026-11-23T12:15:00+02:00", 1795428900000LL},
        {"2026-11-23T08:15:00-02:00", 1795428900000LL},
        {"2024-02-29T00:00:00Z", 1709164800000LL}, /* a leap day */
        {"2000-03-01T00:00:00Z", 951868800000LL},  /* after a 400-year leap day */
    };
    static const char *const bad[] = {"2026-11-23",
                                      "2026-11-23T10:15:00",
                                      "2026-13-01T00:00:00Z",
                                      "2026-11-23T25:00:00Z",
                                      "2026-11-23T10:15:00Zx",
                                      "1969-12-31T23:59:59Z",
                                      "yesterday",
                                      "2026-11-23T10:15Z"};
    struct time_spec t;
    struct errbuf eb = {{0}};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (params_time("at", ok[i].s, &t, &eb) != HW_OK)
            fail_msg("%s: %s", ok[i].s, eb.msg);
        assert_int_equal(t.kind, TIME_ABS);
        if (t.ms != ok[i].ms)
            fail_msg("%s: got %lld, want %lld", ok[i].s, (long long)t.ms, (long long)ok[i].ms);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errbuf_clear(&eb);
        if (params_time("at", bad[i], &t, &eb) != HW_USAGE)
            fail_msg("%s was accepted", bad[i]);
        assert_non_null(strstr(eb.msg, "bad parameter at"));
    }
}

static void
test_time_relative(void **state)
{
    struct time_spec t;
    struct errbuf eb = {{0}};

    (void)state;
    assert_int_equal(params_time("base", "-1h", &t, &eb), HW_OK);
    assert_int_equal(t.kind, TIME_REL);
    assert_int_equal(params_time_ms(&t, 10000000), 10000000 - 3600000);
    assert_int_equal(params_time("base", "-1h30m", &t, &eb), HW_OK);
    assert_int_equal(t.ms, -5400000);
    assert_int_equal(params_time("base", "-2s", &t, &eb), HW_OK);
    assert_int_equal(t.ms, -2000);
    assert_int_equal(params_time("base", "-500ms", &t, &eb), HW_OK);
    assert_int_equal(t.ms, -500);
    assert_int_equal(params_time("base", "-0s", &t, &eb), HW_USAGE);
    errbuf_clear(&eb);
    assert_int_equal(params_time("base", "-1x", &t, &eb), HW_USAGE);
    errbuf_clear(&eb);
    assert_int_equal(params_time("base", "-", &t, &eb), HW_USAGE);
    assert_non_null(strstr(eb.msg, "bad parameter base"));
}

static void
test_defaults(void **state)
{
    static const char *const q[] = {"target=api", NULL};
    struct render_params rp;
    struct errbuf eb = {{0}};

    (void)state;
    assert_int_equal(parse(&rp, q, &eb), HW_OK);
    assert_string_equal(rp.target, "api");
    assert_null(rp.type);
    assert_int_equal(rp.at.kind, TIME_LATEST);
    assert_int_equal(rp.base.kind, TIME_NONE);
    assert_false(rp.delta);
    assert_int_equal(rp.flame.width, FLAME_DEFAULT_WIDTH);
    assert_int_equal(rp.nodecount, -1);
    assert_int_equal(rp.gran, GRAN_FUNCTIONS);
}

static void
test_values(void **state)
{
    static const char *const q[] = {"target=job/1.2.3.4:6060",
                                    "type=allocs",
                                    "at=2026-11-23T10:15:00Z",
                                    "base=-1h",
                                    "delta=1",
                                    "sample_index=alloc_objects",
                                    "focus=main\\.",
                                    "reverse=",
                                    "inverted=true",
                                    "width=640",
                                    "minwidth=0.1%",
                                    "nodecount=20",
                                    "granularity=lines",
                                    "sort=weight",
                                    "palette=pkg",
                                    NULL};
    struct render_params rp;
    struct errbuf eb = {{0}};

    (void)state;
    if (parse(&rp, q, &eb) != HW_OK)
        fail_msg("%s", eb.msg);
    assert_string_equal(rp.type, "allocs");
    assert_int_equal(rp.at.kind, TIME_ABS);
    assert_int_equal(rp.base.kind, TIME_REL);
    assert_true(rp.delta && rp.reverse && rp.inverted && rp.flame.reverse && rp.flame.inverted);
    assert_string_equal(rp.sample_index, "alloc_objects");
    assert_string_equal(rp.filters.focus, "main\\.");
    assert_int_equal(rp.flame.width, 640);
    assert_true(rp.flame.minwidth_pct);
    assert_int_equal(rp.nodecount, 20);
    assert_int_equal(rp.gran, GRAN_LINES);
    assert_int_equal(rp.flame.sort, FLAME_SORT_WEIGHT);
    assert_true(rp.flame.palette_set);
}

static void
test_bad_values_are_named(void **state)
{
    static const struct {
        const char *q, *name;
    } c[] = {
        {"width=9", "width"},
        {"width=99999", "width"},
        {"width=12px", "width"},
        {"nodecount=0", "nodecount"},
        {"nodecount=5000", "nodecount"},
        {"minwidth=wide", "minwidth"},
        {"reverse=maybe", "reverse"},
        {"delta=yes", "delta"},
        {"at=soon", "at"},
        {"base=-1q", "base"},
        {"granularity=bytes", "granularity"},
        {"sort=size", "sort"},
        {"palette=neon", "palette"},
        {"focus=(", "focus"},
        {"hide=[", "hide"},
        {"nodefraction=2", "nodefraction"},
        {"edgefraction=-1", "edgefraction"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        const char *q[] = {"target=api", c[i].q, NULL};

        expect_bad(q, c[i].name);
    }
}

static void
test_long_values_refused(void **state)
{
    static char big[PARAMS_MAX_VALUE + 20];
    const char *q[] = {"target=api", big, NULL};

    (void)state;
    memcpy(big, "ignore=", 7);
    memset(big + 7, 'a', sizeof(big) - 8);
    big[sizeof(big) - 1] = '\0';
    expect_bad(q, "ignore");
}

/* Equal renders normalise equally; any shaping difference changes the string. */
static void
test_normalise(void **state)
{
    static const char *const a[] = {"target=x", "width=800", "focus=a;b", NULL};
    static const char *const b[] = {"focus=a;b", "width=800", "target=y", "at=5", NULL};
    static const char *const c[] = {"target=x", "width=801", "focus=a;b", NULL};
    static const char *const d[] = {"target=x", "width=800", "focus=a", "hide=b", NULL};
    struct render_params rp;
    struct errbuf eb = {{0}};
    struct buf na, nb, nc, nd;

    (void)state;
    buf_init(&na, 0), buf_init(&nb, 0), buf_init(&nc, 0), buf_init(&nd, 0);
    assert_int_equal(parse(&rp, a, &eb), HW_OK);
    assert_int_equal(params_normalise(&rp, &na), HW_OK);
    assert_int_equal(parse(&rp, b, &eb), HW_OK);
    assert_int_equal(params_normalise(&rp, &nb), HW_OK);
    assert_int_equal(parse(&rp, c, &eb), HW_OK);
    assert_int_equal(params_normalise(&rp, &nc), HW_OK);
    assert_int_equal(parse(&rp, d, &eb), HW_OK);
    assert_int_equal(params_normalise(&rp, &nd), HW_OK);
    assert_string_equal((char *)na.data, (char *)nb.data); /* target and at are not in it */
    assert_string_not_equal((char *)na.data, (char *)nc.data);
    assert_string_not_equal((char *)na.data, (char *)nd.data);
    buf_reset(&na), buf_reset(&nb), buf_reset(&nc), buf_reset(&nd);
}

/* ---- the cache ---- */

static bool
has(struct webcache *c, const char *key)
{
    struct buf b;
    const char *ct = NULL;
    bool hit;

    buf_init(&b, 0);
    hit = webcache_get(c, key, &b, &ct);
    buf_reset(&b);
    return hit;
}

static void
test_cache_hit_and_copy(void **state)
{
    struct webcache *c = webcache_new(1 << 20);
    struct buf b;
    const char *ct = NULL;

    (void)state;
    buf_init(&b, 0);
    assert_false(webcache_get(c, "k", &b, &ct));
    assert_int_equal(webcache_put(c, "k", "hello", 5, "text/plain"), HW_OK);
    assert_true(webcache_get(c, "k", &b, &ct));
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, "hello", 5);
    assert_string_equal(ct, "text/plain");
    /* Replacing keeps one entry with the new body. */
    assert_int_equal(webcache_put(c, "k", "bye", 3, "text/x"), HW_OK);
    buf_reset(&b);
    assert_true(webcache_get(c, "k", &b, &ct));
    assert_int_equal(b.len, 3);
    assert_string_equal(ct, "text/x");
    {
        size_t n, bytes;

        webcache_usage(c, &n, &bytes);
        assert_int_equal(n, 1);
        assert_true(bytes >= 3 && bytes < 1000);
    }
    buf_reset(&b);
    webcache_free(c);
    webcache_free(NULL);
}

/* Entries of ~10 kB in a 64 kB cache: the least recently used go first. */
static void
test_cache_lru_by_bytes(void **state)
{
    static char body[10000];
    struct webcache *c = webcache_new(64 * 1024);
    char key[16];
    size_t i, n, bytes;

    (void)state;
    for (i = 0; i < 5; i++) {
        snprintf(key, sizeof(key), "k%zu", i);
        assert_int_equal(webcache_put(c, key, body, sizeof(body), "x"), HW_OK);
    }
    assert_true(has(c, "k0")); /* k0 is now the most recent; k1 the least */
    for (i = 5; i < 8; i++) {
        snprintf(key, sizeof(key), "k%zu", i);
        assert_int_equal(webcache_put(c, key, body, sizeof(body), "x"), HW_OK);
        webcache_usage(c, &n, &bytes);
        assert_true(bytes <= 64 * 1024);
    }
    assert_true(has(c, "k0"));
    assert_false(has(c, "k1"));
    assert_false(has(c, "k2"));
    assert_true(has(c, "k7"));
    webcache_usage(c, &n, &bytes);
    assert_int_equal(n, 6);
    webcache_free(c);
}

/* A body over a quarter of the cache is not kept (it would flush the rest). */
static void
test_cache_refuses_huge(void **state)
{
    static char body[20000];
    struct webcache *c = webcache_new(64 * 1024);

    (void)state;
    assert_int_equal(webcache_put(c, "small", "s", 1, "x"), HW_OK);
    assert_int_equal(webcache_put(c, "huge", body, sizeof(body), "x"), HW_OK);
    assert_false(has(c, "huge"));
    assert_true(has(c, "small"));
    webcache_free(c);
}

static void
test_etag_stable(void **state)
{
    char a[WEBCACHE_ETAG_MAX], b[WEBCACHE_ETAG_MAX], c[WEBCACHE_ETAG_MAX];

    (void)state;
    webcache_etag("flame.svg\nat=1", a);
    webcache_etag("flame.svg\nat=1", b);
    webcache_etag("flame.svg\nat=2", c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_int_equal(strlen(a), 21);
    assert_true(a[0] == '"' && a[20] == '"');
    /* A fixed value: ETags must not change between builds or machines. */
    webcache_etag("", a);
    assert_string_equal(a, "\"hw-cbf29ce484222325\"");
}

static void
test_slots(void **state)
{
    int i;

    (void)state;
    for (i = 0; i < WEBCACHE_SLOTS; i++)
        assert_true(webcache_slot_acquire(10));
    assert_false(webcache_slot_acquire(50)); /* all taken: times out */
    webcache_slot_release();
    assert_true(webcache_slot_acquire(10));
    for (i = 0; i < WEBCACHE_SLOTS; i++)
        webcache_slot_release();
    {
        struct buf m;

        buf_init(&m, 0);
        webcache_metrics(&m);
        assert_non_null(strstr((char *)m.data, "heapwatch_render_busy_total 1\n"));
        assert_non_null(strstr((char *)m.data, "heapwatch_renders_in_flight 0\n"));
        buf_reset(&m);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_ids_and_latest),
        cmocka_unit_test(test_time_rfc3339),
        cmocka_unit_test(test_time_relative),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_bad_values_are_named),
        cmocka_unit_test(test_long_values_refused),
        cmocka_unit_test(test_normalise),
        cmocka_unit_test(test_cache_hit_and_copy),
        cmocka_unit_test(test_cache_lru_by_bytes),
        cmocka_unit_test(test_cache_refuses_huge),
        cmocka_unit_test(test_etag_stable),
        cmocka_unit_test(test_slots),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

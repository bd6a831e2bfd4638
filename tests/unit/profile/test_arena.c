/* test_arena.c - the bump allocator: alignment, growth in place and by copy, the byte
 * limit (NULL and HW_TOOBIG, nothing charged for a refused request) and freeing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "arena.h"

static void
assert_aligned(const void *p)
{
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 16, 0);
    assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
}

static void
test_alignment(void **state)
{
    static const size_t sizes[] = {1,   3,    7,    8,    15,    16,     17, 31,
                                   100, 4095, 4096, 5000, 70000, 300000, 1,  2};
    struct arena *a = arena_new(0);
    size_t i;

    (void)state;
    assert_non_null(a);
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        unsigned char *p = arena_alloc(a, sizes[i]);

        assert_aligned(p);
        memset(p, 0xab, sizes[i]); /* ASan: the whole request is usable */
    }
    assert_aligned(arena_alloc(a, 0));
    assert_aligned(arena_calloc(a, 3, 5));
    assert_aligned(arena_strdup(a, "x"));
    assert_int_equal(arena_error(a), HW_OK);
    arena_free(a);
}

static void
test_distinct_allocations(void **state)
{
    struct arena *a = arena_new(0);
    unsigned char *p[64];
    size_t i, j;

    (void)state;
    for (i = 0; i < 64; i++) {
        p[i] = arena_alloc(a, 100 + i * 50);
        assert_non_null(p[i]);
        memset(p[i], (int)i, 100 + i * 50);
    }
    for (i = 0; i < 64; i++)
        for (j = 0; j < 100 + i * 50; j++)
            assert_int_equal(p[i][j], i);
    arena_free(a);
}

static void
test_calloc_zeroes_and_checks_overflow(void **state)
{
    struct arena *a = arena_new(0);
    unsigned char *p;
    size_t i;

    (void)state;
    /* Dirty the first chunk so that calloc cannot rely on fresh pages. */
    memset(arena_alloc(a, 1000), 0xff, 1000);
    p = arena_calloc(a, 10, 30);
    assert_non_null(p);
    for (i = 0; i < 300; i++)
        assert_int_equal(p[i], 0);
    assert_null(arena_calloc(a, SIZE_MAX / 2, 4));
    assert_int_equal(arena_error(a), HW_NOMEM);
    arena_free(a);
}

static void
test_realloc_in_place(void **state)
{
    struct arena *a = arena_new(0);
    char *p, *q;
    size_t used;

    (void)state;
    p = arena_alloc(a, 10);
    memcpy(p, "0123456789", 10);
    used = arena_used(a);
    q = arena_realloc(a, p, 10, 100);
    assert_ptr_equal(q, p);
    assert_memory_equal(q, "0123456789", 10);
    memset(q + 10, 'x', 90);
    assert_int_equal(arena_used(a), used + 112 - 16);
    /* Shrinking, or growing within the rounded size, keeps the pointer too. */
    assert_ptr_equal(arena_realloc(a, q, 100, 20), q);
    assert_ptr_equal(arena_realloc(a, q, 100, 110), q);
    arena_free(a);
}

static void
test_realloc_by_copy(void **state)
{
    struct arena *a = arena_new(0);
    char *p, *q, *other;

    (void)state;
    p = arena_alloc(a, 10);
    memcpy(p, "0123456789", 10);
    other = arena_alloc(a, 10); /* p is no longer the latest allocation */
    memcpy(other, "abcdefghij", 10);
    q = arena_realloc(a, p, 10, 200);
    assert_non_null(q);
    assert_ptr_not_equal(q, p);
    assert_memory_equal(q, "0123456789", 10);
    memset(q + 10, 'x', 190);
    /* The old storage is not reused, so neither p nor its neighbour changed. */
    assert_memory_equal(p, "0123456789", 10);
    assert_memory_equal(other, "abcdefghij", 10);
    arena_free(a);
}

static void
test_realloc_latest_past_chunk_end_copies(void **state)
{
    struct arena *a = arena_new(0);
    unsigned char *p, *q;
    size_t i;

    (void)state;
    p = arena_alloc(a, 4000); /* nearly fills the first 4 KiB chunk */
    for (i = 0; i < 4000; i++)
        p[i] = (unsigned char)i;
    q = arena_realloc(a, p, 4000, 9000);
    assert_non_null(q);
    assert_ptr_not_equal(q, p);
    for (i = 0; i < 4000; i++)
        assert_int_equal(q[i], (unsigned char)i);
    memset(q + 4000, 0, 5000);
    arena_free(a);
}

static void
test_realloc_null_is_alloc(void **state)
{
    struct arena *a = arena_new(0);
    void *p;

    (void)state;
    p = arena_realloc(a, NULL, 0, 48);
    assert_aligned(p);
    memset(p, 1, 48);
    assert_int_equal(arena_used(a), 48);
    arena_free(a);
}

static void
test_limit_gives_null_and_toobig(void **state)
{
    struct arena *a = arena_new(100);

    (void)state;
    assert_int_equal(arena_limit(a), 100);
    assert_non_null(arena_alloc(a, 64));
    assert_int_equal(arena_error(a), HW_OK);
    assert_null(arena_alloc(a, 64));
    assert_int_equal(arena_error(a), HW_TOOBIG);
    assert_int_equal(arena_used(a), 64);
    /* A smaller request that still fits is served. */
    assert_non_null(arena_alloc(a, 32));
    assert_int_equal(arena_used(a), 96);
    assert_null(arena_calloc(a, 1, 16));
    assert_null(arena_strdup(a, "0123456789abcdef"));
    assert_true(arena_used(a) <= arena_limit(a));
    arena_free(a);
}

static void
test_limit_exact(void **state)
{
    struct arena *a = arena_new(64);

    (void)state;
    assert_non_null(arena_alloc(a, 64));
    assert_int_equal(arena_used(a), 64);
    assert_null(arena_alloc(a, 1));
    assert_int_equal(arena_error(a), HW_TOOBIG);
    arena_free(a);

    a = arena_new(1);
    assert_null(arena_alloc(a, 1)); /* rounded up to 16 */
    assert_int_equal(arena_error(a), HW_TOOBIG);
    assert_int_equal(arena_used(a), 0);
    arena_free(a);
}

static void
test_limit_big_allocation(void **state)
{
    struct arena *a = arena_new(1 << 20);

    (void)state;
    assert_null(arena_alloc(a, (1 << 20) + 1));
    assert_int_equal(arena_error(a), HW_TOOBIG);
    assert_int_equal(arena_used(a), 0);
    assert_non_null(arena_alloc(a, 600000)); /* its own chunk */
    assert_null(arena_alloc(a, 600000));
    assert_true(arena_used(a) <= arena_limit(a));
    arena_free(a);
}

static void
test_realloc_limit(void **state)
{
    struct arena *a = arena_new(64);
    char *p;

    (void)state;
    p = arena_alloc(a, 32);
    memset(p, 'a', 32);
    assert_null(arena_realloc(a, p, 32, 128)); /* in place would pass the limit */
    assert_int_equal(arena_error(a), HW_TOOBIG);
    assert_int_equal(arena_used(a), 32);
    assert_ptr_equal(arena_realloc(a, p, 32, 64), p); /* exactly at the limit */
    assert_int_equal(arena_used(a), 64);
    arena_free(a);
}

/* A request that fails for want of memory hands out nothing, so it must not count
 * as used: arena_used is documented as the bytes handed out. */
static void
test_failed_alloc_not_charged(void **state)
{
    struct arena *a = arena_new(0);
    void *p1, *p2;
    enum hw_err e1, e2;
    size_t u1, u2;

    (void)state;
    p1 = arena_alloc(a, SIZE_MAX);
    e1 = arena_error(a);
    u1 = arena_used(a);
    /* Too big for a chunk header, but passes the first overflow check. */
    p2 = arena_alloc(a, SIZE_MAX - 20);
    e2 = arena_error(a);
    u2 = arena_used(a);
    arena_free(a);
    assert_null(p1);
    assert_int_equal(e1, HW_NOMEM);
    assert_int_equal(u1, 0);
    assert_null(p2);
    assert_int_equal(e2, HW_NOMEM);
    assert_int_equal(u2, 0);
}

static void
test_strndup(void **state)
{
    struct arena *a = arena_new(0);
    char *s;

    (void)state;
    s = arena_strndup(a, "hello world", 5);
    assert_string_equal(s, "hello");
    s = arena_strndup(a, "", 0);
    assert_string_equal(s, "");
    s = arena_strdup(a, "profile");
    assert_string_equal(s, "profile");
    assert_null(arena_strndup(a, "x", SIZE_MAX));
    arena_free(a);
}

static void
test_free_null_and_empty(void **state)
{
    (void)state;
    arena_free(NULL);
    arena_free(arena_new(0));
    arena_free(arena_new(10));
}

/* Adopted memory stays valid and counted; a limit the two pass together is reported. */
static void
test_adopt(void **state)
{
    struct arena *a = arena_new(0), *b = arena_new(0), *c;
    char *small, *big;
    size_t used;

    (void)state;
    small = arena_strdup(b, "kept");
    big = arena_alloc(b, (size_t)3 << 20);
    assert_non_null(small);
    assert_non_null(big);
    memset(big, 7, (size_t)3 << 20);
    assert_non_null(arena_alloc(a, 100));
    used = arena_used(a) + arena_used(b);
    assert_int_equal(arena_adopt(a, b), HW_OK);
    assert_int_equal(arena_used(a), used);
    assert_string_equal(small, "kept");
    assert_int_equal(big[((size_t)3 << 20) - 1], 7);
    assert_non_null(arena_alloc(a, 100)); /* a still bumps from its own chunk */
    assert_int_equal(arena_adopt(a, NULL), HW_OK);

    c = arena_new(0);
    assert_non_null(arena_alloc(c, 5000));
    b = arena_new(6000);
    assert_non_null(arena_alloc(b, 2000));
    assert_int_equal(arena_adopt(b, c), HW_TOOBIG);
    assert_null(arena_alloc(b, 16));
    assert_int_equal(arena_error(b), HW_TOOBIG);
    arena_free(b);
    arena_free(a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_distinct_allocations),
        cmocka_unit_test(test_calloc_zeroes_and_checks_overflow),
        cmocka_unit_test(test_realloc_in_place),
        cmocka_unit_test(test_realloc_by_copy),
        cmocka_unit_test(test_realloc_latest_past_chunk_end_copies),
        cmocka_unit_test(test_realloc_null_is_alloc),
        cmocka_unit_test(test_limit_gives_null_and_toobig),
        cmocka_unit_test(test_limit_exact),
        cmocka_unit_test(test_limit_big_allocation),
        cmocka_unit_test(test_realloc_limit),
        cmocka_unit_test(test_failed_alloc_not_charged),
        cmocka_unit_test(test_strndup),
        cmocka_unit_test(test_free_null_and_empty),
        cmocka_unit_test(test_adopt),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

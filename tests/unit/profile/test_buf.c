/* test_buf.c - the capped byte buffer: appends up to the cap and none past it (the
 * content unchanged), printf in both its short and long paths, and buf_read_file
 * at exactly the cap and one byte over. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static void
test_init_is_empty(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b, 123);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.max, 123);
    assert_false(buf_is_full(&b));
    buf_reset(&b);
    assert_int_equal(b.max, 123);
}

static void
test_append_keeps_nul(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(buf_append(&b, "abc", 3), HW_OK);
    assert_int_equal(buf_puts(&b, "def"), HW_OK);
    assert_int_equal(buf_append(&b, "", 0), HW_OK);
    assert_int_equal(b.len, 6);
    assert_string_equal((char *)b.data, "abcdef");
    assert_true(b.cap > b.len);
    buf_reset(&b);
}

static void
test_cap_respected(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b, 10);
    assert_int_equal(buf_append(&b, "12345678", 8), HW_OK);
    assert_int_equal(buf_append(&b, "abc", 3), HW_TOOBIG);
    assert_true(buf_is_full(&b));
    assert_int_equal(b.len, 8);
    assert_string_equal((char *)b.data, "12345678");
    assert_int_equal(buf_puts(&b, "xyz"), HW_TOOBIG);
    assert_int_equal(buf_printf(&b, "%d", 123), HW_TOOBIG);
    assert_int_equal(buf_reserve(&b, 3), HW_TOOBIG);
    assert_string_equal((char *)b.data, "12345678");
    /* Exactly up to the cap is allowed. */
    assert_int_equal(buf_append(&b, "9A", 2), HW_OK);
    assert_int_equal(b.len, 10);
    assert_string_equal((char *)b.data, "123456789A");
    assert_int_equal(buf_append(&b, "", 0), HW_OK);
    assert_int_equal(buf_append(&b, "B", 1), HW_TOOBIG);
    assert_int_equal(b.len, 10);
    buf_reset(&b);
}

static void
test_huge_append_refused_before_malloc(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(buf_append(&b, "x", 1), HW_OK);
    assert_int_equal(buf_reserve(&b, SIZE_MAX), HW_NOMEM);
    assert_int_equal(buf_reserve(&b, SIZE_MAX - 1), HW_NOMEM);
    assert_int_equal(b.len, 1);
    buf_reset(&b);
    buf_init(&b, 1000);
    assert_int_equal(buf_reserve(&b, SIZE_MAX / 2), HW_TOOBIG);
    assert_null(b.data);
    buf_reset(&b);
}

static void
test_reserve_keeps_len(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(buf_puts(&b, "ab"), HW_OK);
    assert_int_equal(buf_reserve(&b, 5000), HW_OK);
    assert_int_equal(b.len, 2);
    assert_true(b.cap >= 5003);
    assert_string_equal((char *)b.data, "ab");
    buf_reset(&b);
}

static void
test_printf_growth(void **state)
{
    char big[1000];
    struct buf b;
    size_t i;

    (void)state;
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    buf_init(&b, 0);
    assert_int_equal(buf_printf(&b, "%s=%d;", "short", 42), HW_OK);
    for (i = 0; i < 20; i++)
        assert_int_equal(buf_printf(&b, "[%s]", big), HW_OK); /* past the 256-byte fast path */
    assert_int_equal(b.len, 9 + 20 * 1001);
    assert_int_equal(strlen((char *)b.data), b.len);
    assert_memory_equal(b.data, "short=42;[qqq", 13);
    assert_memory_equal(b.data + b.len - 4, "qqq]", 4);
    /* Exactly 255 and 256 characters: either side of the short buffer. */
    b.len = 0;
    assert_int_equal(buf_printf(&b, "%.*s", 255, big), HW_OK);
    assert_int_equal(b.len, 255);
    assert_int_equal(buf_printf(&b, "%.*s", 256, big), HW_OK);
    assert_int_equal(b.len, 511);
    assert_int_equal(b.data[511], '\0');
    buf_reset(&b);
}

static void
test_printf_long_past_cap(void **state)
{
    char big[600];
    struct buf b;

    (void)state;
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    buf_init(&b, 500);
    assert_int_equal(buf_puts(&b, "head"), HW_OK);
    assert_int_equal(buf_printf(&b, "%s", big), HW_TOOBIG);
    assert_int_equal(b.len, 4);
    assert_string_equal((char *)b.data, "head");
    buf_reset(&b);
}

static void
test_steal(void **state)
{
    struct buf b;
    unsigned char *p;
    size_t len = 0;

    (void)state;
    buf_init(&b, 50);
    buf_puts(&b, "taken");
    p = buf_steal(&b, &len);
    assert_int_equal(len, 5);
    assert_string_equal((char *)p, "taken");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.max, 50);
    free(p);
    buf_reset(&b);
}

/* A temporary file holding n bytes of a known pattern, rewound. */
static FILE *
pattern_file(size_t n)
{
    FILE *f = tmpfile();
    size_t i;

    assert_non_null(f);
    for (i = 0; i < n; i++)
        fputc((int)(i * 7 % 251), f);
    rewind(f);
    return f;
}

static void
check_pattern(const struct buf *b, size_t n)
{
    size_t i;

    assert_int_equal(b->len, n);
    for (i = 0; i < n; i++)
        if (b->data[i] != (unsigned char)(i * 7 % 251))
            fail_msg("byte %zu differs", i);
    assert_int_equal(b->data[n], '\0');
}

static void
read_at_cap(size_t n)
{
    struct buf b;
    FILE *f = pattern_file(n);

    buf_init(&b, n);
    assert_int_equal(buf_read_file(&b, f), HW_OK);
    check_pattern(&b, n);
    fclose(f);
    buf_reset(&b);
}

static void
read_one_over(size_t n)
{
    struct buf b;
    FILE *f = pattern_file(n + 1);

    buf_init(&b, n);
    assert_int_equal(buf_read_file(&b, f), HW_TOOBIG);
    assert_true(b.len <= n);
    fclose(f);
    buf_reset(&b);
}

static void
test_read_file_exactly_cap(void **state)
{
    (void)state;
    read_at_cap(1);
    read_at_cap(10);
    read_at_cap(65536);
    read_at_cap(65537);
    read_at_cap(200000);
}

static void
test_read_file_one_over_cap(void **state)
{
    (void)state;
    read_one_over(1);
    read_one_over(10);
    read_one_over(65536);
    read_one_over(65537);
    read_one_over(200000);
}

static void
test_read_file_unlimited_and_appends(void **state)
{
    struct buf b;
    FILE *f = pattern_file(300000);

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(buf_read_file(&b, f), HW_OK);
    check_pattern(&b, 300000);
    fclose(f);
    /* Reading appends after what is there. */
    f = pattern_file(3);
    b.len = 0;
    buf_puts(&b, "ab");
    assert_int_equal(buf_read_file(&b, f), HW_OK);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, "ab\0\a\x0e", 5);
    fclose(f);
    buf_reset(&b);
}

static void
test_read_file_empty(void **state)
{
    struct buf b;
    FILE *f = pattern_file(0);

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(buf_read_file(&b, f), HW_OK);
    assert_int_equal(b.len, 0);
    fclose(f);
    buf_reset(&b);
}

/* Nothing was refused, so the buffer must not claim it was: buf_is_full documents
 * "an append was refused on the cap". */
static void
test_read_file_under_cap_not_full(void **state)
{
    struct buf b;
    FILE *f = pattern_file(10);
    enum hw_err err;
    int full;

    (void)state;
    buf_init(&b, 100);
    err = buf_read_file(&b, f);
    full = buf_is_full(&b);
    fclose(f);
    buf_reset(&b);
    assert_int_equal(err, HW_OK);
    assert_false(full);
}

static void
test_read_file_error_is_io(void **state)
{
    struct buf b;
    FILE *f;

    (void)state;
    f = fopen("/", "r"); /* opening a directory works; reading it fails (EISDIR) */
    if (f == NULL)
        skip();
    buf_init(&b, 0);
    assert_int_equal(buf_read_file(&b, f), HW_IO);
    fclose(f);
    buf_reset(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_is_empty),
        cmocka_unit_test(test_append_keeps_nul),
        cmocka_unit_test(test_cap_respected),
        cmocka_unit_test(test_huge_append_refused_before_malloc),
        cmocka_unit_test(test_reserve_keeps_len),
        cmocka_unit_test(test_printf_growth),
        cmocka_unit_test(test_printf_long_past_cap),
        cmocka_unit_test(test_steal),
        cmocka_unit_test(test_read_file_exactly_cap),
        cmocka_unit_test(test_read_file_one_over_cap),
        cmocka_unit_test(test_read_file_unlimited_and_appends),
        cmocka_unit_test(test_read_file_empty),
        cmocka_unit_test(test_read_file_under_cap_not_full),
        cmocka_unit_test(test_read_file_error_is_io),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

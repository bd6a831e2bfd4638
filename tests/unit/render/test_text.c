/* test_text.c - names made safe (UTF-8 repair, control characters), XML and JSON
 * escaping, Go name shortening, and label fitting with the font's real advances. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "text.h"

#define R "\xef\xbf\xbd" /* U+FFFD */

static void
test_sanitize(void **state)
{
    static const struct {
        const char *in, *want;
    } c[] = {
        {"main.main", "main.main"},
        {"caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x94\xa5", "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x94\xa5"},
        {"a\xff"
         "b",
         "a" R "b"},
        {"\xc0\xaf", R R},             /* overlong '/' */
        {"\xed\xa0\x80", R R R},       /* a surrogate */
        {"\xf4\x90\x80\x80", R R R R}, /* past U+10FFFF */
        {"\xe6\x97", R R},             /* truncated */
        {"a\nb\tc\x1b[0m\x7f", "a" R "b" R "c" R "[0m" R},
        {"\xc2\x85", R},          /* C1 control NEL */
        {"\xc2\xa0", "\xc2\xa0"}, /* no-break space is fine */
        {"a\xef\xbf\xbf"
         "b\xef\xbf\xbe",
         "a" R "b" R},                                            /* not XML characters */
        {"\xef\xbf\xbd\xee\x80\x80", "\xef\xbf\xbd\xee\x80\x80"}, /* U+FFFD, U+E000 */
    };
    struct arena *a = arena_new(0);
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        const char *got = text_sanitize(a, c[i].in);
        if (strcmp(got, c[i].want) != 0)
            fail_msg("case %zu: got \"%s\"", i, got);
    }
    /* Clean names are not copied. */
    assert_true(text_sanitize(a, c[0].in) == c[0].in);
    arena_free(a);
}

static void
test_escape(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(text_xml(&b, "</text><script>alert('x')</script> & \"q\""), HW_OK);
    assert_string_equal((char *)b.data,
                        "&lt;/text&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; "
                        "&amp; &quot;q&quot;");
    buf_reset(&b);
    assert_int_equal(text_json(&b, "a\"b\\c</script>&\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xa6\x01\n"),
                     HW_OK);
    assert_string_equal((char *)b.data, "\"a\\\"b\\\\c\\u003c/script\\u003e\\u0026\\u2028\\u2029"
                                        "\xe2\x80\xa6\\u0001\\u000a\"");
    buf_reset(&b);
    buf_init(&b, 4);
    assert_int_equal(text_xml(&b, "<<<<"), HW_TOOBIG);
    buf_reset(&b);
}

static void
test_short_name(void **state)
{
    (void)state;
    assert_string_equal(text_short_name("github.com/acme/shop/cart.(*Cart).Add"),
                        "cart.(*Cart).Add");
    assert_string_equal(text_short_name("runtime.mallocgc"), "runtime.mallocgc");
    assert_string_equal(text_short_name("main.main.func1"), "main.main.func1");
    /* A '/' inside type arguments or after a space (file:line) is not the package. */
    assert_string_equal(text_short_name("x/y.F[go.shape.struct { a/b.T }]"),
                        "y.F[go.shape.struct { a/b.T }]");
    assert_string_equal(text_short_name("main.f /src/x.go:12"), "main.f /src/x.go:12");
    assert_string_equal(text_short_name("trailing/"), "trailing/");
}

static void
test_metrics(void **state)
{
    struct text_metrics m;

    (void)state;
    assert_int_equal(text_metrics_init(&m, 12), HW_OK);
    /* DejaVu Sans is proportional: 'i' is narrow, 'W' wide, and digits share a width. */
    assert_true(m.adv['i' - TEXT_FIRST] < m.adv['W' - TEXT_FIRST]);
    assert_true(m.adv['0' - TEXT_FIRST] == m.adv['7' - TEXT_FIRST]);
    assert_true(m.adv['W' - TEXT_FIRST] > 5 && m.adv['W' - TEXT_FIRST] < 15);
    assert_true(m.other >= m.adv['W' - TEXT_FIRST]);
    assert_true(text_width(&m, "iii", 3) < text_width(&m, "WWW", 3));
    assert_true(text_width(&m, "\xe6\x97\xa5", 3) == m.other);
}

static void
test_fit(void **state)
{
    struct text_metrics m;
    struct arena *a = arena_new(0);
    const char *name = "github.com/acme/shop/cart.(*Cart).Add", *l;
    double full, shortw;

    (void)state;
    assert_int_equal(text_metrics_init(&m, 12), HW_OK);
    full = text_width(&m, name, strlen(name));
    shortw =
        text_width(&m, "\xe2\x80\xa6/cart.(*Cart).Add", strlen("\xe2\x80\xa6/cart.(*Cart).Add"));
    assert_true(text_fit(a, &m, name, full, false) == name);
    assert_string_equal(text_fit(a, &m, name, full - 1, false), "\xe2\x80\xa6/cart.(*Cart).Add");
    assert_string_equal(text_fit(a, &m, name, shortw, false), "\xe2\x80\xa6/cart.(*Cart).Add");
    /* Narrower still: the short name cut, the function's package first. */
    l = text_fit(a, &m, name, shortw - 1, false);
    assert_int_equal(strncmp(l, "cart.(*Cart", 11), 0);
    assert_string_equal(l + strlen(l) - 2, "..");
    assert_true(text_width(&m, l, strlen(l)) <= shortw - 1);
    /* With full names, the start of the path. */
    l = text_fit(a, &m, name, full - 1, true);
    assert_int_equal(strncmp(l, "github.com/acme/shop/cart.(*Cart).A", 30), 0);
    /* Two characters and ".." or nothing. */
    assert_string_equal(text_fit(a, &m, "abcdef", text_width(&m, "ab..", 4), false), "ab..");
    assert_string_equal(text_fit(a, &m, "abcdef", text_width(&m, "ab..", 4) - 0.01, false), "");
    assert_string_equal(text_fit(a, &m, "abcdef", -5, false), "");
    /* Multibyte characters are never cut in half. */
    l = text_fit(a, &m, "\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5",
                 2 * m.other + text_width(&m, "..", 2), false);
    assert_string_equal(l, "\xe6\x97\xa5\xe6\x97\xa5..");
    arena_free(a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sanitize),   cmocka_unit_test(test_escape),
        cmocka_unit_test(test_short_name), cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_fit),
    };

    int failed = cmocka_run_group_tests(tests, NULL, NULL);

    text_fonts_release();
    return failed;
}

/* test_palette.c - colours are a fixed function of the whole name (these values must
 * never change: graphs made on different days and machines are compared by eye), the
 * by-package palette keeps one hue per package, and diff colours scale with the change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "palette.h"

static void
assert_rgb(struct rgb c, unsigned r, unsigned g, unsigned b)
{
    if (c.r != r || c.g != g || c.b != b)
        fail_msg("got rgb(%u,%u,%u), want rgb(%u,%u,%u)", c.r, c.g, c.b, r, g, b);
}

static void
test_fixed_values(void **state)
{
    (void)state;
    /* Pinned: a change here changes every graph anyone has saved. */
    assert_rgb(palette_color(PALETTE_HOT, "all"), 235, 186, 10);
    assert_rgb(palette_color(PALETTE_HOT, "a"), 248, 72, 54);
}

static void
test_ranges_and_whole_name(void **state)
{
    static const char *const names[] = {
        "github.com/acme/shop/internal/cart.(*Cart).AddItem",
        "github.com/acme/shop/internal/cart.(*Cart).Remove",
        "github.com/acme/shop/internal/store.(*Store).Load",
        "runtime.mallocgc",
        "",
    };
    size_t i, j, same = 0;

    (void)state;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct rgb h = palette_color(PALETTE_HOT, names[i]),
                   m = palette_color(PALETTE_MEM, names[i]);

        assert_true(h.r >= 205 && h.g <= 230 && h.b <= 55);
        assert_true(m.r <= 40 && m.g >= 190 && m.b >= 100 && m.b <= 230);
        for (j = 0; j < i; j++) {
            struct rgb o = palette_color(PALETTE_HOT, names[j]);
            same += o.r == h.r && o.g == h.g && o.b == h.b;
        }
    }
    /* Names sharing a long "github.com/..." prefix still differ (flamegraph.pl's
     * --hash gives them one colour). */
    assert_int_equal(same, 0);
}

static void
test_package_palette(void **state)
{
    size_t n;
    struct rgb a = palette_color(PALETTE_PKG, "github.com/acme/shop/cart.(*Cart).Add");
    struct rgb b = palette_color(PALETTE_PKG, "github.com/acme/shop/cart.New");
    struct rgb c = palette_color(PALETTE_PKG, "github.com/acme/shop/store.New");
    int ha = a.r > a.g ? (a.r > a.b ? 0 : 2) : (a.g > a.b ? 1 : 2);
    int hb = b.r > b.g ? (b.r > b.b ? 0 : 2) : (b.g > b.b ? 1 : 2);

    (void)state;
    assert_string_equal(palette_package("github.com/acme/shop/cart.(*Cart).Add", &n) + 0,
                        "github.com/acme/shop/cart.(*Cart).Add");
    assert_int_equal(n, strlen("github.com/acme/shop/cart"));
    palette_package("runtime.mallocgc", &n);
    assert_int_equal(n, 7);
    palette_package("main.(*T).M", &n);
    assert_int_equal(n, 4);
    palette_package("nodots", &n);
    assert_int_equal(n, 6);
    palette_package("gopkg.in/yaml.v3.(*decoder).unmarshal", &n);
    assert_int_equal(n, strlen("gopkg.in/yaml"));
    /* One package, one dominant channel; another package differs somewhere. */
    assert_int_equal(ha, hb);
    assert_false(a.r == c.r && a.g == c.g && a.b == c.b);
}

static void
test_diff_colors(void **state)
{
    struct rgb grey = palette_diff(0, 100), small = palette_diff(1, 1000000);
    struct rgb big = palette_diff(1000000, 1000000), shrink = palette_diff(-500, 1000);

    (void)state;
    assert_rgb(grey, 235, 235, 235);
    assert_rgb(palette_diff(5, 0), 235, 235, 235);
    /* The smallest change is still visibly red, the largest stops short of pure red. */
    assert_true(small.r == 255 && small.g < 200 && small.g == small.b);
    assert_true(big.r == 255 && big.g > 0 && big.g < 50);
    assert_true(shrink.b == 255 && shrink.r < 200 && shrink.r == shrink.g);
    /* Monotonic in |delta|. */
    assert_true(palette_diff(10, 100).g > palette_diff(50, 100).g);
    assert_true(palette_diff(50, 100).g >= palette_diff(100, 100).g);
    /* No overflow at the extremes. */
    assert_true(palette_diff(INT64_MAX, INT64_MAX).r == 255);
    assert_true(palette_diff(INT64_MIN + 1, INT64_MAX).b == 255);
}

static void
test_parse(void **state)
{
    enum palette p;

    (void)state;
    assert_int_equal(palette_parse("mem", &p), HW_OK);
    assert_int_equal(p, PALETTE_MEM);
    assert_int_equal(palette_parse("pkg", &p), HW_OK);
    assert_string_equal(palette_name(p), "pkg");
    assert_int_equal(palette_parse("rainbow", &p), HW_USAGE);
    assert_int_equal(palette_default("inuse_space", "bytes"), PALETTE_MEM);
    assert_int_equal(palette_default("alloc_objects", "count"), PALETTE_MEM);
    assert_int_equal(palette_default("cpu", "nanoseconds"), PALETTE_HOT);
    assert_int_equal(palette_default("samples", "count"), PALETTE_HOT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_values),    cmocka_unit_test(test_ranges_and_whole_name),
        cmocka_unit_test(test_package_palette), cmocka_unit_test(test_diff_colors),
        cmocka_unit_test(test_parse),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_flame.c - the flame layout: merging by frame name (never splitting a frame
 * around a sibling whose name extends it), sibling order, orientation, reverse,
 * minwidth elision, diffs, negative values, determinism, and the structure of a big
 * generated graph. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flame_test.h"

static void
test_merge_by_name(void **state)
{
    /* Sorted as whole lines (flamegraph.pl, inferno) "main.handle;x" and
     * "main.handle;z" are separated by "main.handle.func2;y" and main.handle is drawn
     * twice. Here it is one frame. */
    static const char text[] = "main;main.handle;x 1\nmain;main.handle.func2;y 1\n"
                               "main;main.handle;z 1\nmain;main.handle 2\n";
    struct arena *a;
    struct flame *fl;
    char order[512];

    (void)state;
    fl = ft_layout(&a, text, NULL);
    assert_string_equal(ft_order(fl, order, sizeof(order)),
                        "main,main;main.handle,main;main.handle;x,main;main.handle;z,"
                        "main;main.handle.func2,main;main.handle.func2;y");
    assert_int_equal(ft_frame(fl, "main;main.handle")->value, 4);
    assert_int_equal(ft_frame(fl, "main;main.handle.func2")->value, 1);
    assert_int_equal(flame_info(fl)->total, 5);
    ft_check_structure(fl);
    /* Children start at the parent's left edge; the parent's self value is a gap at
     * the right. */
    assert_true(ft_frame(fl, "main;main.handle;x")->x == ft_frame(fl, "main;main.handle")->x);
    flame_free(fl);
    arena_free(a);
}

static void
test_sort_by_weight(void **state)
{
    static const char text[] = "r;a 1\nr;b 5\nr;c 3\nr;c;x 1\nr;c;y 2\nr;d 3\n";
    struct flame_opts o;
    struct arena *a;
    struct flame *fl;
    char order[256];

    (void)state;
    flame_opts_init(&o);
    fl = ft_layout(&a, text, &o);
    assert_string_equal(ft_order(fl, order, sizeof(order)), "r,r;a,r;b,r;c,r;c;x,r;c;y,r;d");
    flame_free(fl);
    arena_free(a);

    o.sort = FLAME_SORT_WEIGHT;
    fl = ft_layout(&a, text, &o);
    /* c (6) before b (5), d (3) before a (1); y (2) before x (1). */
    assert_string_equal(ft_order(fl, order, sizeof(order)), "r,r;c,r;c;y,r;c;x,r;b,r;d,r;a");
    ft_check_structure(fl);
    assert_true(ft_frame(fl, "r;c")->x == FLAME_PAD);
    assert_true(ft_frame(fl, "r;c;y")->x == FLAME_PAD);
    flame_free(fl);
    arena_free(a);
}

static void
test_orientation(void **state)
{
    static const char text[] = "a;b;c 1\na;d 1\n";
    struct flame_opts o;
    struct arena *a;
    struct flame *fl;

    (void)state;
    flame_opts_init(&o);
    fl = ft_layout(&a, text, &o);
    /* Flame: the root at the bottom, the deepest row at the top of the frame area. */
    assert_true(flame_y(fl, 0) == FLAME_TOP + 3 * FLAME_FRAME_HEIGHT);
    assert_true(flame_y(fl, 3) == FLAME_TOP);
    assert_int_equal(flame_info(fl)->maxdepth, 3);
    assert_int_equal(flame_info(fl)->height, FLAME_TOP + 4 * FLAME_FRAME_HEIGHT + FLAME_BOTTOM);
    assert_string_equal(flame_info(fl)->title, "Flame Graph");
    flame_free(fl);
    arena_free(a);

    o.inverted = true;
    fl = ft_layout(&a, text, &o);
    assert_true(flame_y(fl, 0) == FLAME_TOP);
    assert_true(flame_y(fl, 3) == FLAME_TOP + 3 * FLAME_FRAME_HEIGHT);
    assert_string_equal(flame_info(fl)->title, "Icicle Graph");
    flame_free(fl);
    arena_free(a);
}

static void
test_reverse(void **state)
{
    /* Bottom-up: who calls the allocator? */
    static const char text[] = "main;a;malloc 3\nmain;b;malloc 2\nmain;b 4\n";
    struct flame_opts o;
    struct arena *a;
    struct flame *fl;
    char order[256];

    (void)state;
    flame_opts_init(&o);
    o.reverse = true;
    fl = ft_layout(&a, text, &o);
    assert_string_equal(ft_order(fl, order, sizeof(order)),
                        "b,b;main,malloc,malloc;a,malloc;a;main,malloc;b,malloc;b;main");
    assert_int_equal(ft_frame(fl, "malloc")->value, 5);
    assert_int_equal(ft_frame(fl, "malloc;b")->value, 2);
    assert_int_equal(ft_frame(fl, "b")->value, 4);
    ft_check_structure(fl);
    flame_free(fl);
    arena_free(a);
}

static void
test_minwidth(void **state)
{
    /* At 1200 px (1180 drawn) and a total of 10000, 0.5 px is about 4.24. */
    static const char text[] = "r;big 9000\nr;big;tiny 4\nr;small 5\nr;small;kid 5\nr;t1 3\n"
                               "r;t2 1\nr;z 982\n";
    struct flame_opts o;
    struct arena *a;
    struct flame *fl;
    char order[256];

    (void)state;
    flame_opts_init(&o);
    fl = ft_layout(&a, text, &o);
    assert_string_equal(ft_order(fl, order, sizeof(order)), "r,r;big,r;small,r;small;kid,r;z");
    assert_int_equal(flame_info(fl)->elided, 3); /* tiny, t1, t2 */
    assert_int_equal(ft_frame(fl, "r")->value, 10000);
    assert_int_equal(ft_frame(fl, "r;big")->value, 9004); /* tiny's value stays */
    /* z starts after the gap where t1 and t2 would be. */
    assert_true(ft_frame(fl, "r;z")->start == 9004 + 10 + 3 + 1);
    ft_check_structure(fl);
    flame_free(fl);
    arena_free(a);

    assert_int_equal(flame_parse_minwidth("1%", &o), HW_OK);
    assert_true(o.minwidth_pct);
    fl = ft_layout(&a, text, &o);
    assert_string_equal(ft_order(fl, order, sizeof(order)), "r,r;big,r;z");
    flame_free(fl);
    arena_free(a);

    assert_int_equal(flame_parse_minwidth("0", &o), HW_OK);
    fl = ft_layout(&a, text, &o);
    assert_int_equal(flame_info(fl)->elided, 0);
    assert_int_equal(flame_info(fl)->nframes, 9);
    flame_free(fl);
    arena_free(a);

    assert_int_equal(flame_parse_minwidth("-1", &o), HW_USAGE);
    assert_int_equal(flame_parse_minwidth("1px", &o), HW_USAGE);
    assert_int_equal(flame_parse_minwidth("101%", &o), HW_USAGE);
    assert_int_equal(flame_parse_minwidth("", &o), HW_USAGE);
    assert_int_equal(flame_parse_minwidth("nan", &o), HW_USAGE);
}

static void
test_diff(void **state)
{
    /* base, new per line */
    static const char text[] = "a;b;c 4 2\na;b;d 2 4\na;e 0 2\na;f 2 0\na 0 2\n";
    struct flame_opts o;
    struct arena *a, *b;
    struct flame *fl;
    const struct flame_frame *fr;
    char order[256];

    (void)state;
    flame_opts_init(&o);
    fl = ft_diff(&a, &b, text, &o);
    assert_true(flame_info(fl)->diff);
    assert_string_equal(flame_info(fl)->title, "Differential Flame Graph");
    assert_int_equal(flame_info(fl)->cur_total, 10);
    assert_int_equal(flame_info(fl)->base_total, 8);
    /* f vanished: no width without negate, and it is absent, not narrow. */
    assert_string_equal(ft_order(fl, order, sizeof(order)), "a,a;b,a;b;c,a;b;d,a;e");
    assert_int_equal(flame_info(fl)->absent, 1);
    assert_int_equal(flame_info(fl)->elided, 0);
    fr = ft_frame(fl, "a;b");
    assert_int_equal(fr->cur, 6);
    assert_int_equal(fr->base, 6);
    assert_int_equal(fr->color.r, 235); /* unchanged inclusive value: grey */
    fr = ft_frame(fl, "a;b;c");
    assert_int_equal(fr->cur - fr->base, -2);
    assert_true(fr->color.b == 255 && fr->color.r < 235); /* shrank: blue */
    fr = ft_frame(fl, "a;b;d");
    assert_true(fr->color.r == 255 && fr->color.g < 235); /* grew: red */
    assert_int_equal(ft_frame(fl, "a;e")->flags, FLAME_NEW);
    assert_int_equal(ft_frame(fl, "a")->cur, 10);
    ft_check_structure(fl);
    flame_free(fl);
    arena_free(a);
    arena_free(b);

    o.negate = true;
    fl = ft_diff(&a, &b, text, &o);
    assert_string_equal(ft_order(fl, order, sizeof(order)), "a,a;b,a;b;c,a;b;d,a;f");
    assert_int_equal(flame_info(fl)->total, 8);
    assert_int_equal(ft_frame(fl, "a;f")->flags, FLAME_GONE);
    assert_int_equal(ft_frame(fl, "a;b;c")->value, 4);
    ft_check_structure(fl);
    flame_free(fl);
    arena_free(a);
    arena_free(b);
}

/* The base may come from another profile: its names are other strings. */
static void
test_diff_separate_profiles(void **state)
{
    struct arena *a, *b;
    struct folded *cur = ft_fold(&a, "m;x 5\nm;y 1\n", 0), *base = ft_fold(&b, "m;x 3\nm;z 2\n", 0);
    struct flame_opts o;
    struct flame *fl = NULL;
    struct errbuf eb = {{0}};
    char order[128];

    (void)state;
    flame_opts_init(&o);
    assert_int_equal(flame_build(cur, base, &o, &fl, &eb), HW_OK);
    assert_string_equal(ft_order(fl, order, sizeof(order)), "m,m;x,m;y");
    assert_int_equal(ft_frame(fl, "m;x")->base, 3);
    assert_int_equal(ft_frame(fl, "m;x")->cur, 5);
    assert_int_equal(ft_frame(fl, "m")->base, 5);
    flame_free(fl);
    arena_free(a);
    arena_free(b);
}

static void
test_negative_and_empty(void **state)
{
    struct arena *a;
    struct flame *fl = ft_layout(&a, "a;b 5\na;c -3\n 2\n", NULL);

    (void)state;
    assert_int_equal(flame_info(fl)->negative, 1);
    assert_int_equal(flame_info(fl)->total, 7); /* the empty stack counts in the root */
    assert_int_equal(flame_info(fl)->nframes, 3);
    ft_check_structure(fl);
    flame_free(fl);
    arena_free(a);

    /* Nothing positive at all: just the root, still the full width. */
    fl = ft_layout(&a, "a;b -5\n", NULL);
    assert_int_equal(flame_info(fl)->nframes, 1);
    assert_int_equal(flame_info(fl)->total, 0);
    assert_true(flame_frames(fl)[0].w == 1200 - 2 * FLAME_PAD);
    flame_free(fl);
    arena_free(a);
}

static void
test_labels_and_names(void **state)
{
    static const char text[] =
        "github.com/acme/shop/internal/cart.(*Cart).AddItem 1000\nx\xff\x01y 1\n";
    struct flame_opts o;
    struct arena *a;
    struct flame *fl;
    const struct flame_frame *fr;

    (void)state;
    flame_opts_init(&o);
    o.width = 300;
    assert_int_equal(flame_parse_minwidth("0", &o), HW_OK);
    fl = ft_layout(&a, text, &o);
    fr = ft_frame(fl, "github.com/acme/shop/internal/cart.(*Cart).AddItem");
    assert_string_equal(fr->label, "\xe2\x80\xa6/cart.(*Cart).AddItem");
    /* Invalid UTF-8 and control characters are replaced in names. */
    assert_true(ft_find(fl, "x\xef\xbf\xbd\xef\xbf\xbdy") > 0);
    flame_free(fl);
    arena_free(a);

    o.fullnames = true;
    fl = ft_layout(&a, text, &o);
    fr = ft_frame(fl, "github.com/acme/shop/internal/cart.(*Cart).AddItem");
    assert_int_equal(strncmp(fr->label, "github.com/acme/", 16), 0);
    assert_string_equal(fr->label + strlen(fr->label) - 2, "..");
    flame_free(fl);
    arena_free(a);
}

static void
test_bad_options(void **state)
{
    struct arena *a;
    struct folded *f = ft_fold(&a, "a 1\n", 0);
    struct flame_opts o;
    struct flame *fl = (struct flame *)&o;
    struct errbuf eb = {{0}};

    (void)state;
    flame_opts_init(&o);
    o.width = 10;
    assert_int_equal(flame_build(f, NULL, &o, &fl, &eb), HW_USAGE);
    assert_null(fl);
    assert_non_null(strstr(eb.msg, "width"));
    flame_free(NULL);
    arena_free(a);
}

/* Deterministic: the same stacks in any input order give the same layout. */
static void
test_deterministic(void **state)
{
    static const char one[] = "m;b;x 3\nm;a 2\nm;b 1\nm;c;d 4\n";
    static const char two[] = "m;c;d 4\nm;b 1\nm;a 2\nm;b;x 3\n";
    struct arena *a, *b;
    struct flame *f1 = ft_layout(&a, one, NULL), *f2 = ft_layout(&b, two, NULL);
    size_t i;

    (void)state;
    assert_int_equal(flame_info(f1)->nframes, flame_info(f2)->nframes);
    for (i = 0; i < flame_info(f1)->nframes; i++) {
        const struct flame_frame *x = &flame_frames(f1)[i], *y = &flame_frames(f2)[i];
        assert_string_equal(x->name, y->name);
        assert_true(x->x == y->x && x->w == y->w && x->value == y->value);
        assert_memory_equal(&x->color, &y->color, sizeof(x->color));
    }
    flame_free(f1);
    flame_free(f2);
    arena_free(a);
    arena_free(b);
}

/* A generated profile of 20000 stacks with a heavy tail: structure, totals, elision. */
static void
test_big_structure(void **state)
{
    size_t cap = 4 << 20, n = 0, i, k;
    char *text = malloc(cap);
    uint64_t r = 0x9e3779b97f4a7c15ull, total = 0;
    struct flame_opts o;
    struct arena *a;
    struct flame *fl;

    (void)state;
    assert_non_null(text);
    for (i = 0; i < 20000; i++) {
        size_t depth;
        uint64_t v;

        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        depth = 1 + r % 40;
        n += (size_t)snprintf(text + n, cap - n, "main");
        for (k = 0; k < depth; k++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            n += (size_t)snprintf(text + n, cap - n, ";pkg%u.f%u", (unsigned)(r % 7),
                                  (unsigned)(r >> 20) % (k < 3 ? 4 : 50));
        }
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        v = 1 + (r % 1000 == 0 ? r % 1000000 : r % 100);
        total += v;
        n += (size_t)snprintf(text + n, cap - n, " %llu\n", (unsigned long long)v);
        assert_true(n < cap - 1024);
    }
    flame_opts_init(&o);
    fl = ft_layout(&a, text, &o);
    assert_int_equal(flame_info(fl)->total, (int64_t)total);
    assert_true(flame_info(fl)->elided > 0);
    ft_check_structure(fl);
    flame_free(fl);
    arena_free(a);

    o.sort = FLAME_SORT_WEIGHT;
    o.reverse = true;
    fl = ft_layout(&a, text, &o);
    assert_int_equal(flame_info(fl)->total, (int64_t)total);
    ft_check_structure(fl);
    flame_free(fl);
    arena_free(a);
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_by_name),
        cmocka_unit_test(test_sort_by_weight),
        cmocka_unit_test(test_orientation),
        cmocka_unit_test(test_reverse),
        cmocka_unit_test(test_minwidth),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_diff_separate_profiles),
        cmocka_unit_test(test_negative_and_empty),
        cmocka_unit_test(test_labels_and_names),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_big_structure),
    };

    int failed = cmocka_run_group_tests(tests, NULL, NULL);

    text_fonts_release();
    return failed;
}

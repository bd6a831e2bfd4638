/* test_svg.c - the outputs: SVG (well-formed, frame titles and counts against golden
 * files, hostile names inert, geometry equal to the layout, byte-for-byte
 * reproducible), PNG (decodes, expected size), and d3-flame-graph JSON (golden). The
 * golden files are tests/data/flame/NAME.titles and NAME.json; the tests run from the
 * repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cairo.h>

#include "flame_test.h"
#include "flamejson.h"
#include "png.h"
#include "svg.h"
#include "pngread.h"

#define DATA "tests/data/flame/"

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *d = NULL;
    long n;

    if (f == NULL)
        fail_msg("cannot open %s (tests run from the repository root)", path);
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (d = malloc((size_t)n + 1)) != NULL && fread(d, 1, (size_t)n, f) == (size_t)n)
        d[n] = '\0';
    fclose(f);
    assert_non_null(d);
    return d;
}

/* --- a small XML well-formedness checker, enough for what we write ------------- */

static size_t
utf8_char(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf && (s[1] & 0xc0) == 0x80)
        return 2;
    if (s[0] >= 0xe0 && s[0] <= 0xef && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80)
        return 3;
    if (s[0] >= 0xf0 && s[0] <= 0xf4 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80 &&
        (s[3] & 0xc0) == 0x80)
        return 4;
    return 0;
}

/* Text or an attribute value up to stop: valid UTF-8, XML characters, entities. */
static const char *
xml_text(const char *s, char stop)
{
    while (*s != stop && *s != '\0') {
        size_t k = utf8_char((const unsigned char *)s);

        if (k == 0)
            fail_msg("invalid UTF-8 at \"%.20s\"", s);
        if (k == 1 && (unsigned char)*s < 0x20 && *s != '\n' && *s != '\t' && *s != '\r')
            fail_msg("control character 0x%02x in XML", *s);
        if (k == 3 && strncmp(s, "\xef\xbf", 2) == 0 && (unsigned char)s[2] >= 0xbe)
            fail_msg("U+FFFE or U+FFFF in XML");
        if (*s == '<' && stop != '<')
            fail_msg("raw '<' in an attribute: \"%.20s\"", s);
        if (*s == '&') {
            static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#10;"};
            size_t i;
            for (i = 0; i < 6 && strncmp(s, ents[i], strlen(ents[i])) != 0; i++)
                ;
            if (i == 6)
                fail_msg("bad entity at \"%.20s\"", s);
        }
        s += k;
    }
    return s;
}

static const char *
xml_name(const char *s, char *out, size_t cap)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:.");

    if (n == 0 || n >= cap)
        fail_msg("bad name at \"%.20s\"", s);
    memcpy(out, s, n);
    out[n] = '\0';
    return s + n;
}

/* Checks that s is one well-formed element, with valid UTF-8 and entities. */
static void
xml_check(const char *s)
{
    char stack[64][32], name[32], attr[32];
    int depth = 0, roots = 0;

    if (strncmp(s, "<?xml ", 6) == 0)
        s = strstr(s, "?>") + 2;
    for (;;) {
        s = xml_text(s, '<');
        if (*s == '\0')
            break;
        if (strncmp(s, "<!--", 4) == 0) {
            s = strstr(s, "-->");
            assert_non_null(s);
            s += 3;
        } else if (strncmp(s, "<![CDATA[", 9) == 0) {
            s = strstr(s, "]]>");
            assert_non_null(s);
            s += 3;
        } else if (s[1] == '/') {
            s = xml_name(s + 2, name, sizeof(name));
            if (depth == 0 || strcmp(stack[depth - 1], name) != 0)
                fail_msg("</%s> closes <%s>", name, depth ? stack[depth - 1] : "nothing");
            depth--;
            assert_true(*s++ == '>');
        } else {
            s = xml_name(s + 1, name, sizeof(name));
            for (;;) {
                s += strspn(s, " \n\t");
                if (*s == '>' || (s[0] == '/' && s[1] == '>'))
                    break;
                s = xml_name(s, attr, sizeof(attr));
                if (s[0] != '=' || s[1] != '"')
                    fail_msg("attribute without a quoted value at \"%.20s\"", s);
                s = xml_text(s + 2, '"');
                assert_true(*s++ == '"');
            }
            if (depth == 0)
                roots++;
            if (*s == '>') {
                assert_true(depth < 64);
                xml_name(name, stack[depth++], 32);
                s++;
            } else {
                s += 2;
            }
        }
    }
    assert_int_equal(depth, 0);
    assert_int_equal(roots, 1);
}

/* --- helpers ---------------------------------------------------------------------- */

static void
render_svg(const struct flame *fl, struct buf *out)
{
    buf_init(out, 0);
    assert_int_equal(svg_render(fl, out), HW_OK);
}

/* The text of every frame's <title>, one per line, with "\n" inside titles as " | ". */
static char *
titles(const char *svg)
{
    size_t cap = strlen(svg) + 1, n = 0;
    char *out = malloc(cap);
    const char *p = strstr(svg, "<g id=\"frames\">");

    assert_non_null(out);
    assert_non_null(p);
    while ((p = strstr(p, "<title>")) != NULL) {
        const char *e = strstr(p, "</title>");
        for (p += 7; p < e; p++) {
            if (*p == '\n') {
                memcpy(out + n, " | ", 3);
                n += 3;
            } else {
                out[n++] = *p;
            }
        }
        out[n++] = '\n';
    }
    out[n] = '\0';
    return out;
}

static size_t
count(const char *s, const char *what)
{
    size_t n = 0;

    while ((s = strstr(s, what)) != NULL) {
        n++;
        s += strlen(what);
    }
    return n;
}

/* --- the tests -------------------------------------------------------------------- */

static void
check_golden(const char *name, bool diff)
{
    char path[256];
    char *text, *want, *got;
    struct arena *a, *b = NULL;
    struct flame_opts o;
    struct flame *fl;
    struct buf out;

    snprintf(path, sizeof(path), DATA "%s.folded", name);
    text = slurp(path);
    flame_opts_init(&o);
    fl = diff ? ft_diff(&a, &b, text, &o) : ft_layout(&a, text, &o);
    render_svg(fl, &out);
    xml_check((char *)out.data);
    got = titles((char *)out.data);
    snprintf(path, sizeof(path), DATA "%s.titles", name);
    want = slurp(path);
    if (strcmp(got, want) != 0)
        fail_msg("%s: frame titles differ from %s:\n%s", name, path, got);
    assert_int_equal(count((char *)out.data, "<rect x=") - 1, flame_info(fl)->nframes);
    buf_reset(&out);

    buf_init(&out, 0);
    assert_int_equal(flamejson_render(fl, &out), HW_OK);
    snprintf(path, sizeof(path), DATA "%s.json", name);
    free(want);
    want = slurp(path);
    if (strcmp((char *)out.data, want) != 0)
        fail_msg("%s: JSON differs from %s:\n%s", name, path, (char *)out.data);
    buf_reset(&out);
    free(want);
    free(got);
    free(text);
    flame_free(fl);
    arena_free(a);
    arena_free(b);
}

static void
test_golden_simple(void **state)
{
    (void)state;
    check_golden("simple", false);
}

static void
test_golden_diff(void **state)
{
    (void)state;
    check_golden("diff", true);
}

static void
test_hostile_names(void **state)
{
    char *text = slurp(DATA "hostile.folded");
    struct arena *a;
    struct flame *fl = ft_layout(&a, text, NULL);
    struct buf out;
    const char *svg;

    (void)state;
    render_svg(fl, &out);
    svg = (char *)out.data;
    xml_check(svg);
    /* Our one script element, and the name as text. */
    assert_int_equal(count(svg, "<script"), 1);
    assert_int_equal(count(svg, "hwPwned=1</script>"), 0);
    assert_true(count(svg, "&lt;/text&gt;&lt;script&gt;window.hwPwned=1&lt;/script&gt;") >= 1);
    assert_true(count(svg, "main.(*T).&lt;b&gt;&quot;q&quot;&lt;/b&gt;&amp;amp") >= 1);
    assert_int_equal(count(svg, "]]><!--"), 0);
    assert_true(count(svg, "bad\xef\xbf\xbd\xef\xbf\xbdutf8") >= 1);
    assert_true(count(svg, "\x1b") == 0 && count(svg, "\x01") == 0 && count(svg, "\x7f") == 0);
    buf_reset(&out);

    buf_init(&out, 0);
    assert_int_equal(flamejson_render(fl, &out), HW_OK);
    assert_int_equal(count((char *)out.data, "<"), 0);
    assert_true(count((char *)out.data, "\\u003c/text\\u003e") >= 1);
    buf_reset(&out);
    flame_free(fl);
    arena_free(a);
    free(text);
}

/* A title or subtitle from the command line is input too. */
static void
test_hostile_title(void **state)
{
    struct arena *a;
    struct flame_opts o;
    struct flame *fl;
    struct buf out;

    (void)state;
    flame_opts_init(&o);
    o.title = "<script>x</script>";
    o.subtitle = "a\xff&b";
    fl = ft_layout(&a, "a 1\n", &o);
    render_svg(fl, &out);
    xml_check((char *)out.data);
    assert_true(count((char *)out.data, ">&lt;script&gt;x&lt;/script&gt;</text>") == 1);
    assert_true(count((char *)out.data, ">a\xef\xbf\xbd&amp;b</text>") == 1);
    buf_reset(&out);
    flame_free(fl);
    arena_free(a);
}

/* The sample type and unit come from the profile too. */
static void
test_hostile_type(void **state)
{
    const char *frames[] = {"main"};
    struct fold_stack st = {(const char **)frames, 1, 1234567};
    struct folded f = {&st, 1, 1234567, "</title><script>\xff", "bytes</title>"};
    struct flame_opts o;
    struct flame *fl = NULL;
    struct errbuf eb = {{0}};
    struct buf out;

    (void)state;
    flame_opts_init(&o);
    assert_int_equal(flame_build(&f, NULL, &o, &fl, &eb), HW_OK);
    render_svg(fl, &out);
    xml_check((char *)out.data);
    assert_int_equal(count((char *)out.data, "<script"), 1);
    assert_true(count((char *)out.data, "&lt;/title&gt;&lt;script&gt;\xef\xbf\xbd") >= 1);
    /* An unknown unit is never printed (values are not scaled), a known one is safe. */
    assert_int_equal(count((char *)out.data, "</title>"), count((char *)out.data, "<title>"));
    buf_reset(&out);
    flame_free(fl);
}

/* Every <rect> of the frames is where the layout put it, to the hundredth. */
static void
test_geometry_matches_layout(void **state)
{
    char *text = slurp(DATA "go.folded");
    struct arena *a;
    struct flame *fl = ft_layout(&a, text, NULL);
    const struct flame_frame *fr = flame_frames(fl);
    struct buf out;
    const char *p;
    size_t i = 0;

    (void)state;
    render_svg(fl, &out);
    p = strstr((char *)out.data, "<g id=\"frames\">");
    while ((p = strstr(p, "<rect x=\"")) != NULL) {
        double x, y, w;

        assert_int_equal(sscanf(p, "<rect x=\"%lf\" y=\"%lf\" width=\"%lf\"", &x, &y, &w), 3);
        assert_true(i < flame_info(fl)->nframes);
        if (x < fr[i].x - 0.0051 || x > fr[i].x + 0.0051 || w < fr[i].w - 0.0051 ||
            w > fr[i].w + 0.0051 || y != flame_y(fl, fr[i].depth))
            fail_msg("frame %zu: rect (%f, %f, %f), layout (%f, %f, %f)", i, x, y, w, fr[i].x,
                     flame_y(fl, fr[i].depth), fr[i].w);
        i++;
        p++;
    }
    assert_int_equal(i, flame_info(fl)->nframes);
    buf_reset(&out);
    flame_free(fl);
    arena_free(a);
    free(text);
}

static void
test_reproducible(void **state)
{
    char *text = slurp(DATA "go.folded");
    struct arena *a, *b;
    struct flame *f1 = ft_layout(&a, text, NULL), *f2 = ft_layout(&b, text, NULL);
    struct buf o1, o2;

    (void)state;
    render_svg(f1, &o1);
    render_svg(f2, &o2);
    assert_int_equal(o1.len, o2.len);
    assert_memory_equal(o1.data, o2.data, o1.len);
    buf_reset(&o1);
    buf_reset(&o2);
    buf_init(&o1, 0);
    buf_init(&o2, 0);
    assert_int_equal(png_render(f1, &o1, NULL), HW_OK);
    assert_int_equal(png_render(f2, &o2, NULL), HW_OK);
    assert_int_equal(o1.len, o2.len);
    assert_memory_equal(o1.data, o2.data, o1.len);
    buf_reset(&o1);
    buf_reset(&o2);
    flame_free(f1);
    flame_free(f2);
    arena_free(a);
    arena_free(b);
    free(text);
}

static void
test_png(void **state)
{
    char *text = slurp(DATA "go.folded");
    struct arena *a;
    struct flame_opts o;
    struct flame *fl;
    struct buf out;
    cairo_surface_t *s;
    struct errbuf eb = {{0}};

    (void)state;
    flame_opts_init(&o);
    o.width = 640;
    fl = ft_layout(&a, text, &o);
    buf_init(&out, 0);
    assert_int_equal(png_render(fl, &out, &eb), HW_OK);
    assert_memory_equal(out.data, "\x89PNG\r\n\x1a\n", 8);
    s = pngread_decode(out.data, out.len);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_image_surface_get_width(s), 640);
    assert_int_equal(cairo_image_surface_get_height(s), (int)flame_info(fl)->height);
    cairo_surface_destroy(s);
    buf_reset(&out);

    /* A capped output fails cleanly. */
    buf_init(&out, 100);
    assert_int_equal(png_render(fl, &out, &eb), HW_TOOBIG);
    buf_reset(&out);
    buf_init(&out, 100);
    assert_int_equal(svg_render(fl, &out), HW_TOOBIG);
    buf_reset(&out);
    buf_init(&out, 10);
    assert_int_equal(flamejson_render(fl, &out), HW_TOOBIG);
    buf_reset(&out);
    flame_free(fl);
    arena_free(a);
    free(text);
}

/* Deeper than a PNG can be: an error, not a crash; the SVG still works. */
static void
test_png_too_tall(void **state)
{
    size_t depth = PNG_MAX_HEIGHT / FLAME_FRAME_HEIGHT + 10, i;
    char *text = malloc(depth * 2 + 8);
    struct arena *a;
    struct flame *fl;
    struct buf out;
    struct errbuf eb = {{0}};

    (void)state;
    assert_non_null(text);
    for (i = 0; i < depth; i++)
        memcpy(text + 2 * i, "f;", 2);
    memcpy(text + 2 * depth - 1, " 1\n", 4);
    fl = ft_layout(&a, text, NULL);
    buf_init(&out, 0);
    assert_int_equal(png_render(fl, &out, &eb), HW_TOOBIG);
    assert_non_null(strstr(eb.msg, "PNG"));
    buf_reset(&out);
    render_svg(fl, &out);
    xml_check((char *)out.data);
    buf_reset(&out);
    flame_free(fl);
    arena_free(a);
    free(text);
}

static void
test_elided_note(void **state)
{
    struct arena *a;
    struct flame *fl = ft_layout(&a, "r;big 100000\nr;tiny 1\nr;neg -4\n", NULL);
    struct buf out;

    (void)state;
    render_svg(fl, &out);
    assert_non_null(strstr((char *)out.data, "1 frames narrower than 0.5 px are not drawn"));
    assert_non_null(strstr((char *)out.data, "1 stacks with negative values left out"));
    buf_reset(&out);
    flame_free(fl);
    arena_free(a);

    /* A long title is cut to the width. */
    {
        struct flame_opts o;

        flame_opts_init(&o);
        o.width = 300;
        o.title = "a title far too long for three hundred pixels at seventeen pixels a line";
        fl = ft_layout(&a, "a 1\n", &o);
        assert_string_equal(flame_info(fl)->title + strlen(flame_info(fl)->title) - 2, "..");
        render_svg(fl, &out);
    }
    buf_reset(&out);
    flame_free(fl);
    arena_free(a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_simple), cmocka_unit_test(test_golden_diff),
        cmocka_unit_test(test_hostile_names), cmocka_unit_test(test_hostile_title),
        cmocka_unit_test(test_hostile_type),  cmocka_unit_test(test_geometry_matches_layout),
        cmocka_unit_test(test_reproducible),  cmocka_unit_test(test_png),
        cmocka_unit_test(test_png_too_tall),  cmocka_unit_test(test_elided_note),
    };

    int failed = cmocka_run_group_tests(tests, NULL, NULL);

    text_fonts_release();
    return failed;
}

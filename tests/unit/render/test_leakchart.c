/* test_leakchart.c - the leak chart: SVG that xmllint parses, with the verdict and
 * every drawn series in its <title> and <desc>; PNG that decodes at the asked size;
 * hostile site names (markup, quotes, control bytes, invalid UTF-8) inert in both;
 * an empty report; non-finite points; byte-for-byte reproducible output; bad sizes
 * and a capped output failing cleanly. Reports are built by hand: the chart only
 * reads them. xmllint is skipped when absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakchart.h"
#include "text.h"
#include "pngread.h"

#define T0 1795428900000LL /* 2026-11-23T10:15:00Z */
#define NPTS 20

static struct leak_point total_pts[NPTS], site_pts[3][NPTS];
static const char *frames[] = {"main.main", "main.serve", "main.recordRequest"};

static const char *hostile_site =
    "main.<script>alert(\"x\")</script>&amp;'\x01\x1b[31m\xff\xfe /src/a&b<c>.go:12";

/* A leaking heap: the total grows by 1 MiB per 1 s scrape, three suspects. */
static void
leaky_report(struct leak_report *r, struct leak_suspect *s)
{
    static const char *ev[] = {"total inuse grows 60MB/min", "top suspect <explains> 90%"};
    size_t i, k;

    memset(r, 0, sizeof(*r));
    memset(s, 0, 3 * sizeof(*s));
    for (i = 0; i < NPTS; i++) {
        total_pts[i] = (struct leak_point){T0 + 1000 * (int64_t)i, 4e6 + 1048576.0 * (double)i};
        for (k = 0; k < 3; k++)
            site_pts[k][i] = (struct leak_point){T0 + 1000 * (int64_t)i,
                                                 (900000.0 - 300000.0 * (double)k) * (double)i};
    }
    r->kind = LEAK_KIND_HEAP;
    r->kind_name = "heap";
    r->unit = "bytes";
    r->verdict = LEAK_LEAK;
    r->verdict_name = "leak";
    r->first_ms = T0;
    r->last_ms = T0 + 1000 * (NPTS - 1);
    r->nscrapes = NPTS;
    r->evidence = ev;
    r->nevidence = 2;
    r->value = total_pts[NPTS - 1].value;
    r->total.slope = 60 * 1048576.0;
    r->points = total_pts;
    r->npoints = NPTS;
    r->suspects = s;
    r->nsuspects = 3;
    for (k = 0; k < 3; k++) {
        s[k].frames = frames;
        s[k].nframes = 3;
        s[k].site = k == 0   ? "main.recordRequest /home/u/src/unboundedmap/main.go:31"
                    : k == 1 ? hostile_site
                             : "github.com/x/y/pkg.(*T).M /y/t.go:9";
        s[k].value = site_pts[k][NPTS - 1].value;
        s[k].growth_per_min = 60 * (900000.0 - 300000.0 * (double)k);
        s[k].share = 0.8 - 0.3 * (double)k;
        s[k].points = site_pts[k];
        s[k].npoints = NPTS;
    }
}

static void
render(const struct leak_report *r, unsigned w, unsigned h, enum leakchart_format f,
       struct buf *out)
{
    struct leakchart_opts o;
    struct errbuf eb = {{0}};
    enum hw_err err;

    leakchart_opts_init(&o);
    o.width = w;
    o.height = h;
    o.title = "api (heap)";
    buf_init(out, 0);
    err = leakchart_render(r, &o, f, out, &eb);
    if (err != HW_OK)
        fail_msg("leakchart_render: %s", errbuf_msg(&eb, err));
}

/* xmllint --noout on the bytes: 1 parsed, 0 did not, -1 no xmllint here. */
static int
xmllint_ok(const struct buf *b)
{
    char path[] = "/tmp/test_leakchart.XXXXXX", cmd[128];
    int fd, rc;

    if (system("command -v xmllint >/dev/null 2>&1") != 0)
        return -1;
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b->data, b->len), (ssize_t)b->len);
    close(fd);
    snprintf(cmd, sizeof(cmd), "xmllint --noout %s", path);
    rc = system(cmd);
    unlink(path);
    return rc == 0;
}

static void
assert_xml(const struct buf *b)
{
    int ok = xmllint_ok(b);

    if (ok == 0)
        fail_msg("xmllint rejects the SVG");
}

static void
assert_png(const struct buf *b, int w, int h)
{
    cairo_surface_t *s;

    assert_true(b->len > 8);
    assert_memory_equal(b->data, "\x89PNG\r\n\x1a\n", 8);
    s = pngread_decode(b->data, b->len);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_image_surface_get_width(s), w);
    assert_int_equal(cairo_image_surface_get_height(s), h);
    cairo_surface_destroy(s);
}

static void
test_svg(void **state)
{
    struct leak_report r;
    struct leak_suspect s[3];
    struct buf out;
    const char *svg;

    (void)state;
    leaky_report(&r, s);
    render(&r, 800, 400, LEAKCHART_SVG, &out);
    svg = (const char *)out.data;
    assert_non_null(strstr(svg, "<svg"));
    assert_non_null(strstr(svg, "width=\"800px\""));
    assert_non_null(strstr(svg, "<title>api (heap): leak</title>"));
    assert_non_null(
        strstr(svg, "main.recordRequest /home/u/src/unboundedmap/main.go:31: +51.50MB/min, 80%"));
    assert_non_null(strstr(svg, "#3 github.com/x/y/pkg.(*T).M /y/t.go:9"));
    assert_non_null(strstr(svg, "top suspect &lt;explains&gt; 90%"));
    assert_non_null(strstr(svg, "<g id=\"chart\""));
    assert_null(strstr(svg, "id=\"surface"));
    assert_xml(&out);
    buf_reset(&out);
}

static void
test_png(void **state)
{
    struct leak_report r;
    struct leak_suspect s[3];
    struct buf out;

    (void)state;
    leaky_report(&r, s);
    render(&r, 640, 300, LEAKCHART_PNG, &out);
    assert_png(&out, 640, 300);
    buf_reset(&out);
    /* The smallest size drops the legend but still draws. */
    render(&r, LEAKCHART_MIN_WIDTH, LEAKCHART_MIN_HEIGHT, LEAKCHART_PNG, &out);
    assert_png(&out, LEAKCHART_MIN_WIDTH, LEAKCHART_MIN_HEIGHT);
    buf_reset(&out);
}

static void
test_hostile_names(void **state)
{
    struct leak_report r;
    struct leak_suspect s[3];
    struct buf out;
    const char *svg;

    (void)state;
    leaky_report(&r, s);
    r.evidence = (const char *[]){"evidence <b>\x02\xc3"};
    r.nevidence = 1;
    render(&r, 900, 420, LEAKCHART_SVG, &out);
    svg = (const char *)out.data;
    assert_null(strstr(svg, "<script"));
    assert_null(strstr(svg, "<b>"));
    assert_null(memchr(svg, '\x01', out.len));
    assert_null(memchr(svg, '\x1b', out.len));
    assert_null(memchr(svg, '\xff', out.len));
    assert_non_null(
        strstr(svg, "main.&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;amp;&#39;"));
    assert_xml(&out);
    buf_reset(&out);
    render(&r, 900, 420, LEAKCHART_PNG, &out);
    assert_png(&out, 900, 420);
    buf_reset(&out);
    /* A hostile title too. */
    {
        struct leakchart_opts o;
        struct errbuf eb = {{0}};

        leakchart_opts_init(&o);
        o.title = "job=\"</title><script>\xc0\xaf\"";
        buf_init(&out, 0);
        assert_int_equal(leakchart_render(&r, &o, LEAKCHART_SVG, &out, &eb), HW_OK);
        assert_null(strstr((const char *)out.data, "<script"));
        assert_xml(&out);
        buf_reset(&out);
    }
}

static void
test_empty_report(void **state)
{
    struct leak_report r;
    struct buf out;

    (void)state;
    memset(&r, 0, sizeof(r));
    r.kind_name = "none";
    r.unit = "bytes";
    r.verdict_name = "not enough data";
    render(&r, 800, 400, LEAKCHART_SVG, &out);
    assert_non_null(strstr((const char *)out.data, "<title>api (heap): not enough data</title>"));
    assert_non_null(strstr((const char *)out.data, "no scrape yet"));
    assert_xml(&out);
    buf_reset(&out);
    render(&r, 800, 400, LEAKCHART_PNG, &out);
    assert_png(&out, 800, 400);
    buf_reset(&out);
}

/* One point, flat zeros, NaN, infinities, absurd values and times: nothing divides by
 * zero, overflows or draws wild (UBSan watches the sanitized build). */
static void
test_odd_points(void **state)
{
    struct leak_point one[] = {{T0, 5}};
    struct leak_point odd[] = {
        {INT64_MIN, 3},     {T0, 0},        {T0 + 500, NAN}, {T0 + 1000, INFINITY},
        {T0 + 1500, 1e300}, {T0 + 2000, 0}, {INT64_MAX, 7}};
    struct leak_report r;
    struct buf out;

    (void)state;
    memset(&r, 0, sizeof(r));
    r.kind = LEAK_KIND_GOROUTINE;
    r.kind_name = "goroutine";
    r.unit = "count";
    r.verdict_name = "not enough data";
    r.nscrapes = 1;
    r.points = one;
    r.npoints = 1;
    r.total.slope = NAN;
    render(&r, 400, 200, LEAKCHART_SVG, &out);
    assert_xml(&out);
    buf_reset(&out);
    r.points = odd;
    r.npoints = sizeof(odd) / sizeof(odd[0]);
    render(&r, 400, 200, LEAKCHART_PNG, &out);
    assert_png(&out, 400, 200);
    buf_reset(&out);
    /* Nothing usable at all, and a window at the ends of time. */
    r.npoints = 1;
    r.points = &odd[2];
    r.first_ms = INT64_MIN;
    r.last_ms = INT64_MAX;
    render(&r, 400, 200, LEAKCHART_SVG, &out);
    assert_xml(&out);
    buf_reset(&out);
}

static void
test_reproducible(void **state)
{
    struct leak_report r;
    struct leak_suspect s[3];
    struct buf a, b;
    int f;

    (void)state;
    leaky_report(&r, s);
    for (f = LEAKCHART_SVG; f <= LEAKCHART_PNG; f++) {
        render(&r, 700, 350, (enum leakchart_format)f, &a);
        render(&r, 700, 350, (enum leakchart_format)f, &b);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
        buf_reset(&a);
        buf_reset(&b);
    }
}

static void
test_bad_size(void **state)
{
    struct leak_report r;
    struct leak_suspect s[3];
    struct leakchart_opts o;
    struct errbuf eb = {{0}};
    struct buf out;

    (void)state;
    leaky_report(&r, s);
    leakchart_opts_init(&o);
    buf_init(&out, 0);
    o.width = LEAKCHART_MIN_WIDTH - 1;
    assert_int_equal(leakchart_render(&r, &o, LEAKCHART_PNG, &out, &eb), HW_USAGE);
    o.width = 800;
    o.height = LEAKCHART_MAX_HEIGHT + 1;
    assert_int_equal(leakchart_render(&r, &o, LEAKCHART_SVG, &out, &eb), HW_USAGE);
    assert_int_equal(out.len, 0);
    buf_reset(&out);
}

/* Walks the output cap up: every step renders or says HW_TOOBIG, and nothing leaks. */
static void
test_output_cap(void **state)
{
    struct leak_report r;
    struct leak_suspect s[3];
    struct leakchart_opts o;
    struct buf out;
    size_t cap, full[2];
    int f;

    (void)state;
    leaky_report(&r, s);
    leakchart_opts_init(&o);
    o.title = "api (heap)"; /* as render() draws it */
    for (f = LEAKCHART_SVG; f <= LEAKCHART_PNG; f++) {
        render(&r, o.width, o.height, (enum leakchart_format)f, &out);
        full[f] = out.len;
        buf_reset(&out);
        for (cap = 1; cap < full[f] + 4096; cap += full[f] / 7 + 1) {
            struct errbuf eb = {{0}};
            enum hw_err err;

            buf_init(&out, cap);
            err = leakchart_render(&r, &o, (enum leakchart_format)f, &out, &eb);
            if (err != (cap >= full[f] ? HW_OK : HW_TOOBIG))
                fail_msg("format %d, cap %zu of %zu: %s", f, cap, full[f], errbuf_msg(&eb, err));
            buf_reset(&out);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_svg),           cmocka_unit_test(test_png),
        cmocka_unit_test(test_hostile_names), cmocka_unit_test(test_empty_report),
        cmocka_unit_test(test_odd_points),    cmocka_unit_test(test_reproducible),
        cmocka_unit_test(test_bad_size),      cmocka_unit_test(test_output_cap),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);

    text_fonts_release();
    return failed;
}

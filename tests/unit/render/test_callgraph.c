/* test_callgraph.c - the call graph's DOT text and its graphviz rendering. Profiles
 * are built with protobuf-c, packed and decoded as a real input would be, among
 * them one whose function names try to break out of DOT strings and SVG markup.
 * The comparison with go tool pprof -dot on real profiles is in the e2e tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cairo.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "callgraph.h"
#include "decode.h"
#include "dotgraph.h"
#include "graph.h"
#include "profile.h"
#include "profile.pb-c.h"
#include "pngread.h"

#define HOSTILE "</text><script>alert(1)</script>"
#define QUOTED "main.\"quoted\\name\""

/* A profile with one value type (inuse_space/bytes) and the given stacks, root
 * first, by function name; each sample has a "bytes" label. Packed into out. */
struct spec {
    const char *stack[4];
    int64_t value;
};

static size_t
pack_profile(const struct spec *specs, size_t n, uint8_t **out)
{
    Perftools__Profiles__Profile p = PERFTOOLS__PROFILES__PROFILE__INIT;
    Perftools__Profiles__ValueType vt = PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
    Perftools__Profiles__ValueType *vts[1] = {&vt};
    char *strs[64];
    Perftools__Profiles__Function fns[32], *pfns[32];
    Perftools__Profiles__Location locs[32], *plocs[32];
    Perftools__Profiles__Line lines[32], *plines[32];
    Perftools__Profiles__Sample samples[16], *psamples[16];
    Perftools__Profiles__Label labels[16], *plabels[16];
    uint64_t ids[16][4];
    int64_t values[16];
    size_t nstr = 0, nfn = 0, i, j, len;

    strs[nstr++] = "";
    strs[nstr++] = "inuse_space";
    strs[nstr++] = "bytes";
    vt.type = 1;
    vt.unit = 2;
    for (i = 0; i < n; i++) {
        for (j = 0; j < 4 && specs[i].stack[j] != NULL; j++) {
            size_t k;

            for (k = 0; k < nfn && strcmp(strs[fns[k].name], specs[i].stack[j]) != 0; k++)
                ;
            if (k == nfn) {
                perftools__profiles__function__init(&fns[k]);
                fns[k].id = k + 1;
                strs[nstr] = (char *)(uintptr_t)specs[i].stack[j];
                fns[k].name = (int64_t)nstr++;
                pfns[k] = &fns[k];
                perftools__profiles__line__init(&lines[k]);
                lines[k].function_id = k + 1;
                plines[k] = &lines[k];
                perftools__profiles__location__init(&locs[k]);
                locs[k].id = k + 1;
                locs[k].address = 0x1000 + k;
                locs[k].n_line = 1;
                locs[k].line = &plines[k];
                plocs[k] = &locs[k];
                nfn++;
            }
            ids[i][j] = k + 1;
        }
        perftools__profiles__sample__init(&samples[i]);
        samples[i].n_location_id = j;
        { /* the profile lists the leaf first */
            size_t m;
            uint64_t tmp[4];

            for (m = 0; m < j; m++)
                tmp[m] = ids[i][j - 1 - m];
            memcpy(ids[i], tmp, j * sizeof(*tmp));
        }
        samples[i].location_id = ids[i];
        samples[i].n_value = 1;
        values[i] = specs[i].value;
        samples[i].value = &values[i];
        perftools__profiles__label__init(&labels[i]);
        labels[i].key = 2; /* "bytes" */
        labels[i].num = 1024 * (int64_t)(i + 1);
        plabels[i] = &labels[i];
        samples[i].n_label = 1;
        samples[i].label = &plabels[i];
        psamples[i] = &samples[i];
    }
    p.n_sample_type = 1;
    p.sample_type = vts;
    p.n_sample = n;
    p.sample = psamples;
    p.n_location = nfn;
    p.location = plocs;
    p.n_function = nfn;
    p.function = pfns;
    p.n_string_table = nstr;
    p.string_table = strs;
    len = perftools__profiles__profile__get_packed_size(&p);
    *out = malloc(len + 1);
    assert_non_null(*out);
    assert_int_equal(perftools__profiles__profile__pack(&p, *out), len);
    return len;
}

static const struct spec hostile[] = {
    {{"main.main", "main.run", HOSTILE}, 4096},
    {{"main.main", "main.run", QUOTED}, 2048},
    {{"main.main", "github.com/x/y/v2/pkg.(*T).Load"}, 1024},
};

/* Decodes specs, builds the visual graph and its DOT into dot. */
static struct graph *
build_dot(struct arena **a, const struct spec *specs, size_t n, struct buf *dot)
{
    struct profile *p;
    struct graph *g;
    struct graph_opts o;
    struct dot_legend l;
    struct errbuf eb = {{0}};
    uint8_t *data;
    size_t len = pack_profile(specs, n, &data);

    *a = arena_new(0);
    assert_non_null(*a);
    if (profile_decode_in(*a, data, len, &p, &eb) != HW_OK)
        fail_msg("decode: %s", eb.msg);
    free(data);
    graph_opts_init(&o);
    o.visual = true;
    o.node_count = 80;
    assert_int_equal(graph_build(*a, p, &o, &g, &eb), HW_OK);
    assert_int_equal(dotgraph_legend(*a, p, g, NULL, 0, &l), HW_OK);
    buf_init(dot, 0);
    assert_int_equal(dotgraph_write(g, &l, dot), HW_OK);
    return g;
}

static size_t
count(const char *hay, const char *needle)
{
    size_t n = 0;

    while ((hay = strstr(hay, needle)) != NULL) {
        n++;
        hay++;
    }
    return n;
}

static void
test_dot_escapes_names(void **state)
{
    struct arena *a;
    struct buf dot;
    const char *d;

    (void)state;
    build_dot(&a, hostile, 3, &dot);
    d = (const char *)dot.data;
    /* Quotes and backslashes are escaped in labels and tooltips; nothing ends a
     * quoted string early. */
    assert_non_null(strstr(d, "tooltip=\"main.\\\"quoted\\\\name\\\" (2kB)\""));
    assert_null(strstr(d, "\"quoted\\name\""));
    assert_non_null(strstr(d, "label=\"main\\n\\\"quoted\\\\name\\\"\\n2kB (28.57%)\""));
    /* The Go module path and version are shortened as pprof does. */
    assert_non_null(strstr(d, "label=\"pkg\\n(*T)\\nLoad\\n1kB (14.29%)\""));
    buf_reset(&dot);
    arena_free(a);
}

static void
test_svg_escapes_markup(void **state)
{
    struct arena *a;
    struct buf dot, svg;
    struct errbuf eb = {{0}};
    struct graph *g;
    const char *s;
    char path[] = "/tmp/hw-callgraph-XXXXXX";
    int fd;

    (void)state;
    g = build_dot(&a, hostile, 3, &dot);
    buf_init(&svg, 0);
    assert_int_equal(callgraph_render((const char *)dot.data, g, CALLGRAPH_SVG, &svg, &eb), HW_OK);
    s = (const char *)svg.data;
    assert_null(strstr(s, "<script>alert"));
    assert_null(strstr(s, "</text><script"));
    assert_int_equal(count(s, "<script"), 1); /* ours: pan and zoom */
    assert_non_null(strstr(s, "data-function=\"&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""));
    assert_non_null(strstr(s, "data-function=\"main.&quot;quoted\\name&quot;\""));
    assert_non_null(strstr(s, "<g id=\"viewport\">"));
    assert_non_null(strstr(s, "<g id=\"legend\" class=\"node\">"));
    /* Well-formed XML, when xmllint is there to say so. */
    if (system("command -v xmllint >/dev/null 2>&1") == 0) {
        char cmd[128];

        assert_true((fd = mkstemp(path)) >= 0);
        assert_int_equal(write(fd, svg.data, svg.len), (ssize_t)svg.len);
        close(fd);
        snprintf(cmd, sizeof(cmd), "xmllint --noout %s", path);
        assert_int_equal(system(cmd), 0);
        unlink(path);
    }
    buf_reset(&svg);
    buf_reset(&dot);
    arena_free(a);
}

static void
test_png_decodes(void **state)
{
    struct arena *a;
    struct buf dot, png;
    struct errbuf eb = {{0}};
    struct graph *g;
    cairo_surface_t *s;

    (void)state;
    g = build_dot(&a, hostile, 3, &dot);
    buf_init(&png, 0);
    assert_int_equal(callgraph_render((const char *)dot.data, g, CALLGRAPH_PNG, &png, &eb), HW_OK);
    s = pngread_decode(png.data, png.len);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    assert_true(cairo_image_surface_get_width(s) > 100);
    assert_true(cairo_image_surface_get_height(s) > 100);
    cairo_surface_destroy(s);
    buf_reset(&png);
    buf_reset(&dot);
    arena_free(a);
}

static void
test_bad_dot_is_baddata(void **state)
{
    struct buf out;
    struct errbuf eb = {{0}};
    struct graph g = {0};

    (void)state;
    buf_init(&out, 0);
    assert_int_equal(callgraph_render("digraph { a -> ", &g, CALLGRAPH_SVG, &out, &eb), HW_BADDATA);
    assert_non_null(strstr(eb.msg, "graphviz"));
    buf_reset(&out);
}

static void
test_output_cap_is_toobig(void **state)
{
    struct arena *a;
    struct buf dot, svg;
    struct errbuf eb = {{0}};
    struct graph *g;

    (void)state;
    g = build_dot(&a, hostile, 3, &dot);
    buf_init(&svg, 512);
    assert_int_equal(callgraph_render((const char *)dot.data, g, CALLGRAPH_SVG, &svg, &eb), HW_TOOBIG);
    buf_reset(&svg);
    buf_reset(&dot);
    arena_free(a);
}

/* Concurrent renders (as the service does them) all succeed and agree. */
struct job {
    const char *dot;
    const struct graph *g;
    struct buf out;
    enum hw_err err;
};

static void *
render_job(void *arg)
{
    struct job *j = arg;
    struct errbuf eb = {{0}};

    buf_init(&j->out, 0);
    j->err = callgraph_render(j->dot, j->g, CALLGRAPH_SVG, &j->out, &eb);
    return NULL;
}

static void
test_concurrent_renders_agree(void **state)
{
    struct arena *a;
    struct buf dot;
    struct graph *g;
    struct job jobs[6];
    pthread_t t[6];
    size_t i;

    (void)state;
    g = build_dot(&a, hostile, 3, &dot);
    for (i = 0; i < 6; i++) {
        jobs[i].dot = (const char *)dot.data;
        jobs[i].g = g;
        assert_int_equal(pthread_create(&t[i], NULL, render_job, &jobs[i]), 0);
    }
    for (i = 0; i < 6; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (i = 0; i < 6; i++) {
        assert_int_equal(jobs[i].err, HW_OK);
        assert_int_equal(jobs[i].out.len, jobs[0].out.len);
        assert_memory_equal(jobs[i].out.data, jobs[0].out.data, jobs[0].out.len);
    }
    for (i = 0; i < 6; i++)
        buf_reset(&jobs[i].out);
    buf_reset(&dot);
    arena_free(a);
}

static void
test_shorten_like_pprof(void **state)
{
    static const char *const cases[][2] = {
        {"github.com/google/pprof/internal/graph.(*Graph).SortNodes", "graph.(*Graph).SortNodes"},
        {"example.com/mod/v2/pkg.F", "pkg.F"},
        {"gopkg.in/yaml.v3.(*parser).node", "yaml.v3.(*parser).node"},
        {"com.google.Foo.bar(int)", "Foo.bar"},
        {"std::foo::Bar::baz<int>", "Bar::baz<int>"},
        {"(anonymous namespace)::Foo::bar", "Foo::bar"},
        {"main.main", "main.main"},
        {"a/b/v10", "v10"},
        {HOSTILE, HOSTILE},
        {"x/v2.F", "x.F"},
        {"net/http.(*conn).serve", "http.(*conn).serve"},
        {"Foo$1.run$2", "Foo$1.run$2"},
    };
    struct arena *a = arena_new(0);
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_string_equal(dotgraph_shorten(a, cases[i][0]), cases[i][1]);
    arena_free(a);
}

static void
test_format_of(void **state)
{
    (void)state;
    assert_int_equal(callgraph_format_of("x.svg"), CALLGRAPH_SVG);
    assert_int_equal(callgraph_format_of("dir.d/x.png"), CALLGRAPH_PNG);
    assert_int_equal(callgraph_format_of("x.dot"), CALLGRAPH_DOT);
    assert_int_equal(callgraph_format_of("x.gv"), CALLGRAPH_DOT);
    assert_int_equal(callgraph_format_of("x.jpeg"), -1);
    assert_int_equal(callgraph_format_of("svg"), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dot_escapes_names),
        cmocka_unit_test(test_svg_escapes_markup),
        cmocka_unit_test(test_png_decodes),
        cmocka_unit_test(test_bad_dot_is_baddata),
        cmocka_unit_test(test_output_cap_is_toobig),
        cmocka_unit_test(test_concurrent_renders_agree),
        cmocka_unit_test(test_shorten_like_pprof),
        cmocka_unit_test(test_format_of),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

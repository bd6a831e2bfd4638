/* test_folded.c - folded_parse: line endings, encodings, comments, one and two count
 * columns, bad lines named by number, inputs it must not claim, the arena limit, and
 * the public folded files from ../shared/testdata when they are there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "fold.h"

struct parsed {
    struct arena *a;
    struct profile *p;
    struct errbuf eb;
    bool recognized;
    enum hw_err err;
};

static void
parse_n(struct parsed *r, const void *data, size_t len)
{
    memset(r, 0, sizeof(*r));
    r->a = arena_new(0);
    assert_non_null(r->a);
    r->err = folded_parse(r->a, data, len, &r->p, &r->recognized, &r->eb);
}

static void
parse(struct parsed *r, const char *text)
{
    parse_n(r, text, strlen(text));
}

/* The stack of sample i, root first, as "a;b;c". */
static const char *
stack_of(const struct profile *p, size_t i, char *out, size_t cap)
{
    const struct sample *s = &p->samples[i];
    size_t k, n = 0;

    out[0] = '\0';
    for (k = s->nlocs; k-- > 0;)
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s", k + 1 < s->nlocs ? ";" : "",
                              s->locs[k]->lines[0].fn->name);
    return out;
}

/* Folds column col and writes it, for comparing whole results. */
static void
folded_text(const struct profile *p, size_t col, char *out, size_t cap)
{
    struct folded *f;
    struct errbuf eb = {{0}};
    struct buf b;

    assert_int_equal(fold_profile(p->arena, p, col, GRAN_FUNCTIONS, &f, &eb), HW_OK);
    fold_sort(f);
    buf_init(&b, 0);
    assert_int_equal(fold_write(f, &b), HW_OK);
    assert_true(b.len < cap);
    memcpy(out, b.data, b.len + 1);
    buf_reset(&b);
}

static void
test_simple(void **state)
{
    struct parsed r;
    char s[256];

    (void)state;
    parse(&r, "a;b;c 1\na;b;c 1\na;b;d 4\na;b;c 3\na;b 5");
    assert_int_equal(r.err, HW_OK);
    assert_true(r.recognized);
    assert_int_equal(r.p->format, PROFILE_FOLDED);
    assert_int_equal(r.p->ntypes, 1);
    assert_string_equal(r.p->sample_types[0].type, "samples");
    assert_string_equal(r.p->sample_types[0].unit, "count");
    assert_int_equal(r.p->nsamples, 5);
    assert_int_equal(r.p->nlocations, 4); /* one per distinct name */
    assert_int_equal(r.p->nfunctions, 4);
    assert_string_equal(stack_of(r.p, 2, s, sizeof(s)), "a;b;d");
    assert_int_equal(r.p->samples[2].values[0], 4);
    assert_string_equal(r.p->samples[2].locs[0]->lines[0].fn->name, "d"); /* leaf first */
    assert_int_equal(r.p->samples[4].nlocs, 2);
    assert_int_equal(profile_check(r.p, &r.eb), HW_OK);
    folded_text(r.p, 0, s, sizeof(s));
    assert_string_equal(s, "a;b 5\na;b;c 5\na;b;d 4\n");
    arena_free(r.a);
}

static void
test_line_endings_and_comments(void **state)
{
    static const char *const inputs[] = {
        "a;b 5\r\na;b;c 5\r\na;b;d 4\r\n",
        "# comment\n\n  # indented comment\na;b 5\n\t\na;b;c 5\na;b;d 4",
        "\xef\xbb\xbf"
        "a;b 5\na;b;c 2\na;b;c 3\na;b;d 4\n",
        "a;b 5\ra;b;c 5\ra;b;d 4\r", /* old Mac: CR only */
        "a;b   5  \na;b;c\t5\na;b;d 4\n",
    };
    char s[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        struct parsed r;

        parse(&r, inputs[i]);
        if (r.err != HW_OK)
            fail_msg("input %zu: %s", i, errbuf_msg(&r.eb, r.err));
        folded_text(r.p, 0, s, sizeof(s));
        if (strcmp(s, "a;b 5\na;b;c 5\na;b;d 4\n") != 0)
            fail_msg("input %zu: got %s", i, s);
        arena_free(r.a);
    }
}

/* Encodes text (ASCII plus the UTF-8 of U+00E9 and U+1F525) as UTF-16 with a BOM. */
static size_t
to_utf16(const char *text, bool be, unsigned char *out)
{
    size_t n = 0;
    const unsigned char *u = (const unsigned char *)text;

    out[n++] = be ? 0xfe : 0xff;
    out[n++] = be ? 0xff : 0xfe;
    while (*u) {
        uint32_t c;
        if (u[0] < 0x80) {
            c = *u++;
        } else if ((u[0] & 0xe0) == 0xc0) {
            c = (uint32_t)(u[0] & 0x1f) << 6 | (u[1] & 0x3f);
            u += 2;
        } else {
            c = (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3f) << 12 |
                (uint32_t)(u[2] & 0x3f) << 6 | (u[3] & 0x3f);
            u += 4;
        }
        if (c >= 0x10000) {
            uint32_t hi = 0xd800 + ((c - 0x10000) >> 10), lo = 0xdc00 + ((c - 0x10000) & 0x3ff);
            out[n++] = (unsigned char)(be ? hi >> 8 : hi & 0xff);
            out[n++] = (unsigned char)(be ? hi & 0xff : hi >> 8);
            c = lo;
        }
        out[n++] = (unsigned char)(be ? c >> 8 : c & 0xff);
        out[n++] = (unsigned char)(be ? c & 0xff : c >> 8);
    }
    return n;
}

static void
test_utf16(void **state)
{
    const char *text = "caf\xc3\xa9;\xf0\x9f\x94\xa5 3\r\ncaf\xc3\xa9 2";
    unsigned char buf[256];
    char s[256];
    int be;

    (void)state;
    for (be = 0; be <= 1; be++) {
        struct parsed r;

        parse_n(&r, buf, to_utf16(text, be, buf));
        assert_int_equal(r.err, HW_OK);
        folded_text(r.p, 0, s, sizeof(s));
        assert_string_equal(s, "caf\xc3\xa9 2\ncaf\xc3\xa9;\xf0\x9f\x94\xa5 3\n");
        arena_free(r.a);
    }
}

static void
test_two_columns(void **state)
{
    struct parsed r;
    char s[256];

    (void)state;
    parse(&r, "a;b;c 4 2\na;b;d 2 4\na;e 0 2\n");
    assert_int_equal(r.err, HW_OK);
    assert_int_equal(r.p->ntypes, 2);
    assert_string_equal(r.p->sample_types[0].type, "base");
    assert_string_equal(r.p->sample_types[1].type, "samples");
    folded_text(r.p, 0, s, sizeof(s));
    assert_string_equal(s, "a;b;c 4\na;b;d 2\n");
    folded_text(r.p, 1, s, sizeof(s));
    assert_string_equal(s, "a;b;c 2\na;b;d 4\na;e 2\n");
    arena_free(r.a);

    /* One line without two counts: the file has one column, and "c 4" is a frame. */
    parse(&r, "a;b;c 4 2\na;b;d 2\n");
    assert_int_equal(r.err, HW_OK);
    assert_int_equal(r.p->ntypes, 1);
    folded_text(r.p, 0, s, sizeof(s));
    assert_string_equal(s, "a;b;c 4 2\na;b;d 2\n");
    arena_free(r.a);
}

static void
test_odd_stacks(void **state)
{
    struct parsed r;
    char s[256];

    (void)state;
    /* Empty frames, a trailing ';', a stack of nothing but a count after a space,
     * negative counts (heapwatch fold -base writes them), names with spaces. */
    parse(&r, "a;;b 1\na;b; 2\n 3\nmain.f x.go:12;g 4\nneg -5\n");
    assert_int_equal(r.err, HW_OK);
    assert_int_equal(r.p->nsamples, 5);
    assert_int_equal(r.p->samples[0].nlocs, 3);
    assert_string_equal(r.p->samples[0].locs[1]->lines[0].fn->name, "");
    assert_int_equal(r.p->samples[1].nlocs, 3);
    assert_int_equal(r.p->samples[2].nlocs, 0);
    assert_int_equal(r.p->samples[2].values[0], 3);
    assert_string_equal(stack_of(r.p, 3, s, sizeof(s)), "main.f x.go:12;g");
    assert_int_equal(r.p->samples[4].values[0], -5);
    arena_free(r.a);
}

/* Sorted input lets stacks reuse the frames of the line before; the result must not
 * depend on that. */
static void
test_prefix_reuse(void **state)
{
    static const char sorted[] = "aa;bb;cc 1\naa;bb;cc;dd 2\naa;bb;ccc 3\naa;bb 4\naa;bbb;cc 5\n"
                                 "aaaaaaaaaaaa;bbbbbbbbbbbb;c 6\naaaaaaaaaaaa;bbbbbbbbbbbb;cd 7\n"
                                 "aaaaaaaaaaaa;bbbbbbbbbbbb 8\naa;bb;cc 9\n";
    struct parsed r;
    char s[64];
    size_t i;
    static const char *const want[] = {"aa;bb;cc",
                                       "aa;bb;cc;dd",
                                       "aa;bb;ccc",
                                       "aa;bb",
                                       "aa;bbb;cc",
                                       "aaaaaaaaaaaa;bbbbbbbbbbbb;c",
                                       "aaaaaaaaaaaa;bbbbbbbbbbbb;cd",
                                       "aaaaaaaaaaaa;bbbbbbbbbbbb",
                                       "aa;bb;cc"};

    (void)state;
    parse(&r, sorted);
    assert_int_equal(r.err, HW_OK);
    for (i = 0; i < 9; i++)
        assert_string_equal(stack_of(r.p, i, s, sizeof(s)), want[i]);
    assert_int_equal(r.p->nlocations, 10);
    arena_free(r.a);
}

static void
test_bad_lines(void **state)
{
    static const struct {
        const char *text, *want;
    } c[] = {
        {"a;b 1\nnot a stack\na 2\n", "line 2: the line does not end in a count"},
        {"a;b 1\n# ok\n\na;b 1.5\n", "line 4: the count is not an integer"},
        {"a;b 1\r\n42\r\n", "line 2: the line has a count but no stack"},
        {"a 1\nb 99999999999999999999\n", "line 2: the count is out of range"},
        {"a 1\nb x1\n", "line 2: the count must follow a space"},
        {"a 1\nb 9223372036854775808\n", "line 2: the count is out of range"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct parsed r;

        parse(&r, c[i].text);
        assert_int_equal(r.err, HW_BADDATA);
        assert_true(r.recognized);
        assert_null(r.p);
        if (strncmp(r.eb.msg, c[i].want, strlen(c[i].want)) != 0)
            fail_msg("case %zu: \"%s\" does not start with \"%s\"", i, r.eb.msg, c[i].want);
        arena_free(r.a);
    }
}

static void
test_not_recognized(void **state)
{
    static const unsigned char proto[] = {0x0a, 0x04, 0x08, 0x01, 0x10, 0x02, 0x12, 0x00, 0x32};
    static const char *const texts[] = {
        "{\"name\": \"all\", \"value\": 3}",
        "<html><body>404</body></html>\n",
        "# only comments\n\n# here\n",
        "hello world\nthis is text\n",
        "",
    };
    struct parsed r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        parse(&r, texts[i]);
        assert_int_not_equal(r.err, HW_OK);
        if (r.recognized)
            fail_msg("claimed %s", texts[i]);
        arena_free(r.a);
    }
    parse_n(&r, proto, sizeof(proto));
    assert_int_not_equal(r.err, HW_OK);
    assert_false(r.recognized);
    arena_free(r.a);
}

/* A NUL in a frame name past the sniffed start is an error naming the line. */
static void
test_nul_in_name(void **state)
{
    size_t n = 8192, i;
    char *d = malloc(n + 16);
    struct parsed r;

    (void)state;
    assert_non_null(d);
    for (i = 0; i + 4 <= n; i += 4)
        memcpy(d + i, "a 1\n", 4);
    memcpy(d + n, "b\0c 1\n", 6);
    parse_n(&r, d, n + 6);
    assert_int_equal(r.err, HW_BADDATA);
    assert_true(r.recognized);
    assert_non_null(strstr(r.eb.msg, "line 2049"));
    arena_free(r.a);
    free(d);
}

/* Every limit either works or fails with HW_TOOBIG, and nothing leaks (ASan). */
static void
test_arena_limit_walk(void **state)
{
    static const char text[] = "main;work;alloc 10\nmain;work 5\nmain;other;alloc 7 \n";
    size_t limit;

    (void)state;
    for (limit = 0; limit < 1 << 16; limit += 64) {
        struct arena *a = arena_new(limit ? limit : 1);
        struct profile *p = NULL;
        struct errbuf eb = {{0}};
        bool rec;
        enum hw_err err =
            folded_parse(a, (const unsigned char *)text, sizeof(text) - 1, &p, &rec, &eb);

        assert_true(rec);
        if (err == HW_OK) {
            assert_int_equal(p->nsamples, 3);
            arena_free(a);
            return;
        }
        assert_int_equal(err, HW_TOOBIG);
        assert_null(p);
        arena_free(a);
    }
    fail_msg("never parsed within 64 KiB");
}

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *d;
    long n;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    d = malloc((size_t)n + 1);
    if (d != NULL && fread(d, 1, (size_t)n, f) != (size_t)n) {
        free(d);
        d = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return d;
}

/* The public folded files (speedscope's test inputs). */
static void
test_shared_testdata(void **state)
{
    static const struct {
        const char *file, *want;
    } c[] = {
        {"simple.txt", "a;b 5\na;b;c 5\na;b;d 4\n"},
        {"simple-crlf.txt", "a;b 5\na;b;c 5\na;b;d 4\n"},
        {"simple-utf16-le.txt", "a;b 5\na;b;c 5\na;b;d 4\n"},
        {"simple-utf16-be.txt", "a;b 5\na;b;c 5\na;b;d 4\n"},
        {"tall.txt", "a;b;c;d;e;f;g;h;i;j;k;l;m;n;o;p;q;r;s;t;u;v;w;x;y;z 1\n"},
        {"alternating.txt", "a;b 91\nc;d 91\n"},
        {"recursion.txt",
         "a;a 1\na;b 1\na;b;a;b 2\na;b;a;b;a;b 1\na;b;a;b;c 2\na;b;a;c 2\nb;b 1\n"},
        {"simple-with-invalids.txt", NULL}, /* "// some other comment" is line 2 */
    };
    char path[256], s[512];
    size_t i, len;

    (void)state;
    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct parsed r;
        char *d;

        snprintf(path, sizeof(path), "../shared/testdata/folded/%s", c[i].file);
        if ((d = slurp(path, &len)) == NULL) {
            skip();
            return;
        }
        parse_n(&r, d, len);
        if (c[i].want == NULL) {
            assert_int_equal(r.err, HW_BADDATA);
            assert_non_null(strstr(r.eb.msg, "line 2:"));
            assert_non_null(strstr(r.eb.msg, "// some other comment"));
        } else {
            if (r.err != HW_OK)
                fail_msg("%s: %s", c[i].file, errbuf_msg(&r.eb, r.err));
            folded_text(r.p, 0, s, sizeof(s));
            if (strcmp(s, c[i].want) != 0)
                fail_msg("%s: got %s", c[i].file, s);
        }
        arena_free(r.a);
        free(d);
    }
}


/* ---- folded_fold_fd: the streamed path must fold exactly as the general one ---- */

/* data in a temporary file, its descriptor positioned at the start. */
static FILE *
temp_with(const void *data, size_t len)
{
    FILE *f = tmpfile();

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fflush(f), 0);
    rewind(f);
    return f;
}

/* Folds data both ways; the sorted folded texts, totals and errors must agree. */
static void
both_ways(const void *data, size_t len, struct buf *general, struct buf *streamed)
{
    struct arena *a = arena_new(0);
    struct folded *f = NULL;
    struct errbuf eb = {{0}}, eb2 = {{0}};
    struct parsed r;
    bool recognized;
    enum hw_err err;
    FILE *file = temp_with(data, len);

    assert_non_null(a);
    err = folded_fold_fd(a, fileno(file), &f, &recognized, &eb);
    fclose(file);
    assert_true(recognized);
    parse_n(&r, data, len);
    assert_true(r.recognized);
    assert_int_equal(err, r.err);
    if (err != HW_OK) {
        assert_string_equal(errbuf_msg(&eb, err), errbuf_msg(&r.eb, r.err));
    } else {
        struct folded *g;

        assert_int_equal(fold_profile(r.a, r.p, 0, GRAN_FUNCTIONS, &g, &eb2), HW_OK);
        assert_int_equal(f->total, g->total);
        assert_int_equal(f->nstacks, g->nstacks);
        assert_string_equal(f->type, g->type);
        assert_string_equal(f->unit, g->unit);
        fold_sort(f);
        fold_sort(g);
        assert_int_equal(fold_write(g, general), HW_OK);
        assert_int_equal(fold_write(f, streamed), HW_OK);
        assert_int_equal(general->len, streamed->len);
        assert_memory_equal(general->data, streamed->data, general->len);
    }
    arena_free(r.a);
    arena_free(a);
}

static void
same_both_ways(const char *text)
{
    struct buf g, s;

    buf_init(&g, 0);
    buf_init(&s, 0);
    both_ways(text, strlen(text), &g, &s);
    buf_reset(&g);
    buf_reset(&s);
}

static void
test_stream_small_inputs(void **state)
{
    static const char *const inputs[] = {
        "a;b;c 1\na;b;d 2\n",
        "a;b 5\nc 1\na;b -3\n",                   /* equal paths add up */
        "x 3\nx -3\ny;z 0\nw 1\n",                /* a zero sum and a zero count go */
        "a;;b 1\n;a 2\n<unknown>;a 3\n",          /* nameless frames are <unknown> */
        "# comment\r\n\r\na;b 1\r\n  c;d 2\r\n",  /* CRLF, comments, leading space */
        "\xef\xbb\xbf" "a;b 1\nb 2",              /* BOM, no final newline */
        "a;b 9223372036854775807\na;b 1\n",       /* the sum wraps as in fold */
        "main.f;runtime.mallocgc 7\n",            /* no frame is dropped */
        "a 1\nb c 2\nd 3 4\n",                    /* later lines may hold spaces and numbers */
        "a;b 1\na;b;c x\n",                       /* a bad line: the same message */
        "a;b 1\na\001;b 2\n",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
        same_both_ways(inputs[i]);
}

/* A few MB of sorted stacks with shared prefixes, duplicates and a bad line near the
 * end, so that lines and the previous stack straddle the reads; and one line longer
 * than the read buffer. */
static void
test_stream_big_inputs(void **state)
{
    struct buf in, g, s;
    size_t i, j;

    (void)state;
    buf_init(&in, 0);
    for (i = 0; i < 120000; i++) {
        assert_int_equal(buf_printf(&in, "runtime.main;main.main;github.com/acme/svc/pkg%zu.Handler",
                                    i / 1000), HW_OK);
        for (j = 0; j < i % 7; j++)
            assert_int_equal(buf_printf(&in, ";pkg%zu.f%zu", j, (i / 7) % 50), HW_OK);
        assert_int_equal(buf_printf(&in, " %zu\n", i % 13), HW_OK);
    }
    buf_init(&g, 0);
    buf_init(&s, 0);
    both_ways(in.data, in.len, &g, &s);
    assert_true(g.len > 1000000);
    for (i = 0; i < 9000000; i += 10)
        assert_int_equal(buf_append(&in, "0123456789", 10), HW_OK);
    assert_int_equal(buf_printf(&in, ";leaf 5\nshort 1\n"), HW_OK);
    g.len = s.len = 0;
    both_ways(in.data, in.len, &g, &s);
    assert_int_equal(buf_printf(&in, "a;b 1 x\n"), HW_OK);
    both_ways(in.data, in.len, &g, &s);
    buf_reset(&g);
    buf_reset(&s);
    buf_reset(&in);
}

/* What the general path must read: nothing is reported, nothing is left allocated. */
static void
test_stream_declines(void **state)
{
    static const struct {
        const char *data;
        size_t len;
    } inputs[] = {
        {"", 0},
        {"\x1f\x8b\x08\x00", 4},
        {"\xff\xfe" "a\0 \0" "1\0\n\0", 10},
        {"a;b 1 2\nc 3 4\n", 14},                          /* two columns */
        {"a;b 1\rc 2\r", 10},                              /* old Mac line ends */
        {"heap profile: 1: 2 [3: 4] @ heap/1048576\n1: 2 [3: 4] @ 0x1\n", 59},
        {"\x0a\x04\x08\x01\x10\x02", 6},                   /* protobuf */
        {"not; a stack\n", 13},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        struct arena *a = arena_new(0);
        struct folded *f = (struct folded *)1;
        struct errbuf eb = {{0}};
        bool recognized = true;
        FILE *file = temp_with(inputs[i].data, inputs[i].len);

        assert_int_equal(folded_fold_fd(a, fileno(file), &f, &recognized, &eb), HW_OK);
        assert_false(recognized);
        assert_null(f);
        assert_string_equal(eb.msg, "");
        assert_int_equal(arena_used(a), 0);
        fclose(file);
        arena_free(a);
    }
}

/* Up from a limit of 0: each step folds or fails with HW_TOOBIG, and the smallest
 * limit that works is far below the input's size. */
static void
test_stream_arena_limit_walk(void **state)
{
    struct buf in;
    size_t limit, i, works = 0;

    (void)state;
    buf_init(&in, 0);
    for (i = 0; i < 3000; i++)
        assert_int_equal(buf_printf(&in, "root;mid%zu;leaf%zu %zu\n", i % 10, i, i + 1), HW_OK);
    for (limit = 0; limit < ((size_t)16 << 20) && works == 0; limit += 4096) {
        struct arena *a = arena_new(limit ? limit : 1);
        struct folded *f = NULL;
        struct errbuf eb = {{0}};
        bool recognized;
        FILE *file = temp_with(in.data, in.len);
        enum hw_err err = folded_fold_fd(a, fileno(file), &f, &recognized, &eb);

        fclose(file);
        assert_true(recognized);
        if (err == HW_OK) {
            assert_int_equal(f->nstacks, 3000);
            works = limit;
        } else {
            assert_int_equal(err, HW_TOOBIG);
            assert_null(f);
        }
        arena_free(a);
    }
    assert_true(works > 0);
    buf_reset(&in);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple),          cmocka_unit_test(test_line_endings_and_comments),
        cmocka_unit_test(test_utf16),           cmocka_unit_test(test_two_columns),
        cmocka_unit_test(test_odd_stacks),      cmocka_unit_test(test_prefix_reuse),
        cmocka_unit_test(test_bad_lines),       cmocka_unit_test(test_not_recognized),
        cmocka_unit_test(test_nul_in_name),     cmocka_unit_test(test_arena_limit_walk),
        cmocka_unit_test(test_shared_testdata),  cmocka_unit_test(test_stream_small_inputs),
        cmocka_unit_test(test_stream_big_inputs), cmocka_unit_test(test_stream_declines),
        cmocka_unit_test(test_stream_arena_limit_walk),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

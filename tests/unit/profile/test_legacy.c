/* test_legacy.c - the legacy formats against pprof's own reading of them. Each
 * fixture in tests/data/legacy has a .expected file that mkexpected.sh made from
 * `go tool pprof -raw`; the parse is rendered here in the same form (samples merged
 * as pprof's driver merges them) and must match byte for byte. Then what heapwatch
 * adds (names from Go's symbol comments, the MemStats trailer), the errors and their
 * line numbers, input that is no legacy profile, hostile input (every truncation,
 * garbage, overflow, arena limits) and Go's arithmetic (math.Exp, strconv). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../profile/legacy.c"

#define DATA "tests/data/legacy/"
#define SHARED "../shared/testdata/profiles/"

/* ---- helpers ---- */

static struct str
S(const char *s) {
    return str_make(s, strlen(s));
}

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *d = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (d = malloc((size_t)n + 1)) != NULL) {
        *len = fread(d, 1, (size_t)n, f);
        d[*len] = '\0';
    }
    fclose(f);
    return d;
}

static char *
must_slurp(const char *path, size_t *len)
{
    char *d = slurp(path, len);

    if (d == NULL)
        fail_msg("cannot read %s (tests run from the repository root)", path);
    return d;
}

struct parsed {
    struct arena *a;
    struct profile *p;
    struct errbuf eb;
    bool recognized;
    enum hw_err err;
};

static void
parse_in(struct parsed *r, size_t limit, const void *data, size_t len)
{
    memset(r, 0, sizeof(*r));
    r->a = arena_new(limit);
    assert_non_null(r->a);
    r->err = legacy_parse(r->a, data, len, &r->p, &r->recognized, &r->eb);
}

static void
parse_str(struct parsed *r, const char *text)
{
    parse_in(r, 0, text, strlen(text));
}

/* Parses text that must be a valid legacy profile. */
static struct profile *
parse_ok(struct parsed *r, const void *data, size_t len)
{
    struct errbuf eb = {{0}};

    parse_in(r, 0, data, len);
    if (r->err != HW_OK)
        fail_msg("%s", errbuf_msg(&r->eb, r->err));
    assert_true(r->recognized);
    assert_int_equal(profile_check(r->p, &eb), HW_OK);
    return r->p;
}

static void
parsed_free(struct parsed *r)
{
    arena_free(r->a);
}

static struct profile *
parse_ok_str(struct parsed *r, const char *text)
{
    return parse_ok(r, text, strlen(text));
}

/* Parses text that must be rejected with a message containing want. */
static void
expect_error(const char *text, const char *want)
{
    struct parsed r;

    parse_str(&r, text);
    if (r.err != HW_BADDATA || strstr(r.eb.msg, want) == NULL)
        fail_msg("%s: got %s \"%s\", want \"%s\"", text, hw_strerror(r.err), r.eb.msg, want);
    assert_true(r.recognized);
    assert_null(r.p);
    parsed_free(&r);
}

struct text {
    char *s;
    size_t n, cap;
};

static void
put(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(t->s + t->n, t->cap - t->n, fmt, ap);
        va_end(ap);
        assert_true(n >= 0);
        if ((size_t)n < t->cap - t->n)
            break;
        t->cap = (t->cap + (size_t)n) * 2;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
    t->n += (size_t)n;
}

struct merged {
    char *key; /* " @ 0x.. 0x.. | bytes=N" */
    int64_t *vals;
};

static char *
sample_key(const struct sample *s)
{
    struct text k = {NULL, 0, 0};
    size_t i;

    put(&k, " @");
    for (i = 0; i < s->nlocs; i++)
        put(&k, " 0x%" PRIx64, s->locs[i]->address);
    if (s->nlabels > 0)
        put(&k, " |");
    for (i = 0; i < s->nlabels; i++)
        put(&k, " %s=%" PRId64, s->labels[i].key, s->labels[i].num);
    return k.s;
}

static bool
all_zero(const int64_t *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (v[i] != 0)
            return false;
    return true;
}

/* pprof's profile.Merge of one profile: all-zero samples are dropped, equal stacks
 * with equal labels add up, first appearance first. Frameless samples are left out,
 * as -raw shows none. */
static size_t
merge_samples(const struct profile *p, struct merged *m)
{
    size_t i, j, k, n = 0;
    char *key;

    for (i = 0; i < p->nsamples; i++) {
        const struct sample *s = &p->samples[i];

        if (s->nlocs == 0 || all_zero(s->values, p->ntypes))
            continue;
        key = sample_key(s);
        for (j = 0; j < n && strcmp(m[j].key, key) != 0; j++)
            ;
        if (j == n) {
            m[n].key = key;
            m[n].vals = calloc(p->ntypes, sizeof(int64_t));
            n++;
        } else {
            free(key);
        }
        for (k = 0; k < p->ntypes; k++)
            m[j].vals[k] = u2i((uint64_t)m[j].vals[k] + (uint64_t)s->values[k]);
    }
    return n;
}

static int
by_address(const void *a, const void *b)
{
    uint64_t x = (*(const struct location *const *)a)->address;
    uint64_t y = (*(const struct location *const *)b)->address;

    return x < y ? -1 : x > y;
}

/* The locations of the samples -raw shows, by address, with their mappings. */
static void
render_locations(struct text *t, const struct profile *p)
{
    const struct location **locs;
    size_t i, k, n = 0;

    for (i = 0; i < p->nsamples; i++)
        n += p->samples[i].nlocs;
    locs = calloc(n + 1, sizeof(*locs));
    assert_non_null(locs);
    for (i = n = 0; i < p->nsamples; i++)
        for (k = 0; !all_zero(p->samples[i].values, p->ntypes) && k < p->samples[i].nlocs; k++)
            locs[n++] = p->samples[i].locs[k];
    qsort(locs, n, sizeof(*locs), by_address);
    for (i = 0; i < n; i++) {
        const struct mapping *mp = locs[i]->mapping;

        if (i > 0 && locs[i - 1] == locs[i])
            continue;
        put(t, "location %016" PRIx64 " ", locs[i]->address);
        if (mp == NULL)
            put(t, "none\n");
        else
            put(t, "0x%" PRIx64 "/0x%" PRIx64 "/0x%" PRIx64 " file=%s id=%s\n", mp->start,
                mp->limit, mp->offset, mp->file, mp->build_id);
    }
    free(locs);
}

/* The profile in mkexpected.sh's form. */
static char *
render(const struct profile *p)
{
    struct text t = {NULL, 0, 0};
    struct merged *m = calloc(p->nsamples + 1, sizeof(*m));
    size_t i, j, n;

    assert_non_null(m);
    put(&t, "period_type %s %s\nperiod %" PRId64 "\ntypes", p->period_type.type,
        p->period_type.unit, p->period);
    for (i = 0; i < p->ntypes; i++)
        put(&t, " %s/%s", p->sample_types[i].type, p->sample_types[i].unit);
    put(&t, "\n");
    n = merge_samples(p, m);
    for (i = 0; i < n; i++) {
        if (all_zero(m[i].vals, p->ntypes))
            continue;
        put(&t, "sample");
        for (j = 0; j < p->ntypes; j++)
            put(&t, " %" PRId64, m[i].vals[j]);
        put(&t, "%s\n", m[i].key);
    }
    render_locations(&t, p);
    for (i = 0; i < n; i++) {
        free(m[i].key);
        free(m[i].vals);
    }
    free(m);
    return t.s;
}

/* Parses path and compares it with path's .expected file. */
static void
compare_with_pprof(const char *path, const char *expected_path)
{
    struct parsed r;
    size_t len, elen;
    char *data = slurp(path, &len), *want, *got;

    if (data == NULL) {
        skip();
        return;
    }
    want = must_slurp(expected_path, &elen);
    got = render(parse_ok(&r, data, len));
    if (strcmp(got, want) != 0)
        fail_msg("%s differs from pprof's reading:\n--- ours\n%s--- pprof\n%s", path, got, want);
    free(got);
    free(want);
    free(data);
    parsed_free(&r);
}

static void
check_fixture(const char *name)
{
    char path[256], exp[256];
    const char *dot = strrchr(name, '.');

    snprintf(path, sizeof(path), DATA "%s", name);
    snprintf(exp, sizeof(exp), DATA "%.*s.expected", (int)(dot - name), name);
    compare_with_pprof(path, exp);
}

static const struct location *
loc_at(const struct profile *p, uint64_t addr)
{
    size_t i;

    for (i = 0; i < p->nlocations; i++)
        if (p->locations[i].address == addr)
            return &p->locations[i];
    fail_msg("no location at 0x%" PRIx64, addr);
    return NULL;
}

/* The location at addr has these lines, innermost first ("name file:line"). */
static void
assert_lines(const struct profile *p, uint64_t addr, const char *const *want, size_t n)
{
    const struct location *l = loc_at(p, addr);
    char buf[512];
    size_t i;

    assert_int_equal(l->nlines, n);
    for (i = 0; i < n; i++) {
        snprintf(buf, sizeof(buf), "%s %s:%" PRId64, l->lines[i].fn->name, l->lines[i].fn->filename,
                 l->lines[i].line);
        assert_string_equal(buf, want[i]);
    }
}

static const struct memstat *
memstat(const struct profile *p, const char *name)
{
    size_t i;

    for (i = 0; i < p->nmemstats; i++)
        if (strcmp(p->memstats[i].name, name) == 0)
            return &p->memstats[i];
    fail_msg("no memstat %s", name);
    return NULL;
}

/* ---- each format, against pprof ---- */

static void
test_go_heap(void **state)
{
    static const char *const big[] = {"main.big /src/app/main.go:33"};
    static const char *const recursion[] = {
        "runtime.doInit /usr/local/go/src/runtime/proc.go:6306"};
    static const char *const goexit[] = {"runtime.goexit :0"};
    static const char *const hidden[] = {"runtime.(hidden) :0"};
    struct parsed r;
    struct profile *p;
    char *d;
    size_t len, i;

    (void)state;
    check_fixture("go-heap.txt");
    d = must_slurp(DATA "go-heap.txt", &len);
    p = parse_ok(&r, d, len);
    assert_int_equal(p->format, PROFILE_LEGACY_HEAP);
    assert_string_equal(p->default_sample_type, "");
    assert_ptr_equal(p->drop_frames, alloc_rx);
    assert_ptr_equal(p->keep_frames, alloc_skip_rx);
    assert_string_equal(p->samples[0].labels[0].key, "bytes");
    assert_lines(p, 0x4b526b, big, 1);
    /* runtime.doInit calls itself: four comments, one location, one line. */
    assert_lines(p, 0x444610, recursion, 1);
    /* Frames Go never writes a comment for: goexit at the root, runtime at the leaf. */
    assert_lines(p, 0x461480, goexit, 1);
    assert_lines(p, 0x40d7cd, hidden, 1);
    for (i = 0; i < p->nfunctions; i++)
        assert_int_equal(p->functions[i].id, i + 1);
    assert_int_equal(p->nmemstats, 27);
    parsed_free(&r);
    free(d);
}

static void
test_go_heap_inlined(void **state)
{
    static const char *const inl[] = {"main.newBuffer /src/app/buf.go:12",
                                      "main.(*Server).handle /src/app/server.go:88"};
    static const char *const entry[] = {"main.entry /src/app/entry.go:5"};
    struct parsed r;
    struct profile *p;
    char *d;
    size_t len, i, mains = 0;

    (void)state;
    check_fixture("go-heap-inline.txt");
    d = must_slurp(DATA "go-heap-inline.txt", &len);
    p = parse_ok(&r, d, len);
    /* One PC, two frames: Go >= 1.21 writes inlined calls this way. */
    assert_lines(p, 0x4a1f34, inl, 2);
    /* A PC at a function's entry is listed as is, not less one. */
    assert_lines(p, 0x4a2fff, entry, 1);
    /* "#\t0x4a4000" alone: Go had no name for it, and neither do we. */
    assert_lines(p, 0x4a4000, NULL, 0);
    for (i = 0; i < p->nfunctions; i++)
        mains += strcmp(p->functions[i].name, "main.main") == 0;
    assert_int_equal(mains, 1);
    assert_int_equal(p->nmemstats, 0);
    parsed_free(&r);
    free(d);
}

static void
test_go_count(void **state)
{
    static const char *const f1[] = {"main.main.func1 /src/app/main.go:85"};
    struct parsed r;
    struct profile *p;
    char *d;
    size_t len;

    (void)state;
    check_fixture("go-goroutine.txt");
    check_fixture("go-threadcreate.txt");
    d = must_slurp(DATA "go-goroutine.txt", &len);
    p = parse_ok(&r, d, len);
    assert_int_equal(p->format, PROFILE_LEGACY_GOROUTINE);
    assert_string_equal(p->sample_types[0].type, "goroutine");
    assert_string_equal(p->period_type.type, "goroutine");
    assert_ptr_equal(p->drop_frames, cpu_rx);
    assert_string_equal(p->keep_frames, "");
    assert_lines(p, 0x4b5b5e, f1, 1);
    parsed_free(&r);
    free(d);
}

static void
test_go_contention(void **state)
{
    static const char *const unlock[] = {
        "sync.(*Mutex).Unlock /usr/local/go/src/sync/mutex.go:223"};
    struct parsed r;
    struct profile *p;
    char *d;
    size_t len;

    (void)state;
    check_fixture("go-mutex.txt");
    check_fixture("go-block.txt");
    d = must_slurp(DATA "go-mutex.txt", &len);
    p = parse_ok(&r, d, len);
    assert_int_equal(p->format, PROFILE_LEGACY_OTHER);
    assert_ptr_equal(p->drop_frames, lock_rx);
    assert_lines(p, 0x4b55fe, unlock, 1);
    parsed_free(&r);
    free(d);
}

static void
test_cpp_heapz(void **state)
{
    struct parsed r;
    struct profile *p;
    char *d;
    size_t len;

    (void)state;
    check_fixture("cpp-heapz.txt");
    d = must_slurp(DATA "cpp-heapz.txt", &len);
    p = parse_ok(&r, d, len);
    /* Executable entries only; libc's two halves merged; the binary first, "$build"
     * substituted, the glog prefix and "(deleted)" gone. */
    assert_int_equal(p->nmappings, 3);
    assert_string_equal(p->mappings[0].file, "/opt/svc/bin/server");
    assert_int_equal(p->mappings[1].limit, 0x7f3c1a19a000);
    assert_string_equal(p->mappings[2].file, "[vdso]");
    assert_int_equal(p->nfunctions, 0);
    parsed_free(&r);
    free(d);
}

static void
test_cpp_growthz_contentionz_threadz(void **state)
{
    struct parsed r;
    struct profile *p;
    char *d;
    size_t len;

    (void)state;
    check_fixture("cpp-growthz.txt");
    check_fixture("cpp-contentionz.txt");
    check_fixture("threadz.txt");
    d = must_slurp(DATA "cpp-contentionz.txt", &len);
    p = parse_ok(&r, d, len);
    assert_int_equal(p->duration_nanos, INT64_C(93000) * 1000 * 1000);
    assert_string_equal(p->mappings[0].file, "server_main");
    parsed_free(&r);
    free(d);
}

static void
test_cpu_binary(void **state)
{
    struct parsed r;
    struct profile *p;
    char *d;
    size_t len;

    (void)state;
    check_fixture("cpu-le32.bin");
    check_fixture("cpu-be64.bin");
    d = must_slurp(DATA "cpu-le32.bin", &len);
    p = parse_ok(&r, d, len);
    assert_int_equal(p->period, 10000000);
    assert_string_equal(p->sample_types[1].type, "cpu");
    assert_ptr_equal(p->drop_frames, cpu_rx);
    /* The signal trampoline every sample had second went; so did a doubled leaf. */
    assert_int_equal(p->samples[1].nlocs, 3);
    parsed_free(&r);
    free(d);
}

static void
test_shared_profiles(void **state)
{
    static const char *const files[] = {
        "pprof-cppbench.heap.txt",         "pprof-cppbench.growth.txt",
        "pprof-cppbench.contention.txt",   "pprof-gobench.heap.txt",
        "pprof-godoc.thread.txt",          "pprof-legacy-binary.cpu",
        "pprof-legacy-binary-gobench.cpu",
    };
    char path[256], exp[256];
    size_t i, len;
    char *d;
    struct parsed r;

    (void)state;
    if ((d = slurp(SHARED "pprof-fuzz-must-reject.txt", &len)) == NULL) {
        skip();
        return;
    }
    parse_in(&r, 0, d, len);
    assert_int_equal(r.err, HW_BADDATA);
    assert_true(r.recognized);
    assert_string_equal(r.eb.msg, "line 1: Java profiles are not supported");
    parsed_free(&r);
    free(d);
    d = must_slurp(SHARED "pprof-gobench.heap.expected-raw.txt", &len);
    parse_in(&r, 0, d, len);
    assert_int_equal(r.err, HW_BADDATA);
    assert_false(r.recognized);
    parsed_free(&r);
    free(d);
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), SHARED "%s", files[i]);
        snprintf(exp, sizeof(exp), DATA "shared/%s.expected", files[i]);
        compare_with_pprof(path, exp);
    }
}

/* ---- heapwatch's reading of what pprof skips ---- */

static void
test_memstats(void **state)
{
    static const char text[] = "heap profile: 1: 8 [1: 8] @ heap/2\n"
                               "1: 8 [1: 8] @ 0x401001\n"
                               "#\t0x401000\tmain.f+0x10\t/a.go:3\n"
                               "# Alloc = 99\n"
                               "\n"
                               "# runtime.MemStats\n"
                               "# Alloc = 1695024\n"
                               "# Stack = 229376 / 229376\n"
                               "# PauseNs = [160729 28914 0]\n"
                               "# GCCPUFraction = 0.006102713863462665\n"
                               "# LastGC = -5\n"
                               "# Huge = 99999999999999999999\n"
                               "# DebugGC = false\n"
                               "# no equals sign here\n"
                               "\n"
                               "#\n"
                               "#\t0x401000\tmain.g+0x10\t/a.go:4\n";
    struct parsed r;
    struct profile *p = parse_ok(&r, text, strlen(text));

    (void)state;
    /* Before the trailer a "# x = y" line is no stat; in it a symbol line is none. */
    assert_int_equal(p->nmemstats, 7);
    assert_string_equal(p->memstats[0].name, "Alloc");
    assert_string_equal(p->memstats[0].text, "1695024");
    assert_true(p->memstats[0].numeric);
    assert_int_equal(p->memstats[0].value, 1695024);
    assert_false(memstat(p, "Stack")->numeric);
    assert_string_equal(memstat(p, "Stack")->text, "229376 / 229376");
    assert_string_equal(memstat(p, "PauseNs")->text, "[160729 28914 0]");
    assert_false(memstat(p, "GCCPUFraction")->numeric);
    assert_int_equal(memstat(p, "LastGC")->value, -5);
    assert_false(memstat(p, "Huge")->numeric);
    assert_int_equal(memstat(p, "Huge")->value, 0);
    assert_string_equal(memstat(p, "DebugGC")->text, "false");
    assert_string_equal(loc_at(p, 0x401000)->lines[0].fn->name, "main.f");
    parsed_free(&r);
}

static void
test_symbol_lines(void **state)
{
    static const char text[] =
        "goroutine profile: total 3\n"
        "1 @ 0x10a1 0x20b1 0x30c1\n"
        "#  0x10a0 pkg.(*T).Method+0x20 /home/me/my project/t.go:77\n" /* spaces, no tabs */
        "#\t0x20b0\ttype..eq.[2]interface {}+0x3f\t\t/x.go:1\n"        /* a space in a name */
        "#\t0x30c0\tpkg.f+0x1\t/c:/win/path.go:12\textra\n"            /* the file is last */
        "\n"
        "2 @ 0x10a1 0x40d1\n"
        "#\t0x10a0\tpkg.other+0x20\t/t.go:1\n" /* named once: the first name stays */
        "#\t0x40d0\tpkg.nofile+0x5\n"
        "# labels: {\"a\":\"b\"}\n";
    static const char *const m[] = {"pkg.(*T).Method /home/me/my project/t.go:77"};
    static const char *const eq[] = {"type..eq.[2]interface {} /x.go:1"};
    static const char *const nf[] = {"pkg.nofile :0"};
    struct parsed r;
    struct profile *p = parse_ok(&r, text, strlen(text));

    (void)state;
    assert_lines(p, 0x10a0, m, 1);
    assert_lines(p, 0x20b0, eq, 1);
    assert_string_equal(loc_at(p, 0x30c0)->lines[0].fn->filename, "extra");
    assert_lines(p, 0x40d0, nf, 1);
    parsed_free(&r);
}

/* Without symbol comments nothing is named, hidden frames included. */
static void
test_unsymbolized_stays_so(void **state)
{
    static const char text[] = "goroutine profile: total 2\n2 @ 0x401001 0x402001\n";
    struct parsed r;
    struct profile *p = parse_ok(&r, text, strlen(text));

    (void)state;
    assert_int_equal(p->nfunctions, 0);
    assert_int_equal(p->locations[1].nlines, 0);
    parsed_free(&r);
}

/* ---- what is not a legacy profile, and what is a broken one ---- */

static void
test_not_legacy(void **state)
{
    static const char *const texts[] = {
        "",
        "main;foo;bar 12\n",
        "{\"samples\": []}",
        "\x0a\x04\x08\x01\x10\x02",
        "# only a comment\n",
        "goroutine profile: total x\n",
        " goroutine profile: total 1\n",
        "--- heapz 1 ---", /* Java wants a second line */
        "--- contentionz1 ---\n",
        "\0\0\0\0\3\0\0\0\0\0\0\0\0\0\0\0", /* a CPU header without a period */
    };
    static const size_t lens[] = {0, 16, 15, 6, 17, 27, 28, 15, 21, 16};
    struct parsed r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        parse_in(&r, 0, texts[i], lens[i]);
        if (r.err != HW_BADDATA || r.recognized)
            fail_msg("input %zu was taken for a legacy profile", i);
        assert_null(r.p);
        parsed_free(&r);
    }
}

static void
test_errors_name_the_line(void **state)
{
    static const char *const cases[][2] = {
        {"heap profile: 1: 2 [3: 4] @ heap/2\n1: 2 [3: 4] @ 0x1\nbogus line\n",
         "line 3: not a heap sample: bogus line"},
        {"heap profile: 1: 2 [3: 4] @ heap/2\n99999999999999999999: 2 [3: 4] @ 0x1\n",
         "line 2: inuse count 99999999999999999999 is out of range"},
        {"heap profile: 1: 2 [3: 4] @ heap/2\n0: 5 [3: 4] @ 0x1\n",
         "line 2: inuse count is 0 but inuse bytes is 5"},
        {"heap profile: 1: 2 [3: 4] @ heap/2\n1: 5 [0: 4] @ 0x1\n",
         "line 2: allocation count is 0 but allocation bytes is 4"},
        {"heap profile: 1: 2 [3: 4] @ heap/2\n1: 2 [3: 4] @ 0x10000000000000000\n",
         "line 2: address 0x10000000000000000 does not fit 64 bits"},
        {"x heap profile: 1: 2 [3: 4] @ heapz/5\n", "line 1: unknown heap profile kind heapz"},
        {"heap profile: 1: 2 [3: 4] @ heapy\n", "line 1: unknown heap profile kind heapy"},
        {"heap profile: 1: 2 [3: 4] @ heap/99999999999999999999\n",
         "line 1: sampling period 99999999999999999999 is out of range"},
        {"goroutine profile: total 1\n1 @ 0x1 \n", "line 2: not a count and stack: 1 @ 0x1 "},
        {"goroutine profile: total 1\n\n1 @\n", "line 3: not a count and stack"},
        {"goroutine profile: total 1\n08 @ 0x1\n", "line 2: bad count 08"},
        {"goroutine profile: total 1\n1 @ 0x1ffffffffffffffff\n", "line 2: address"},
        {"--- mutex:\ncycles/second=abc\n", "line 2: bad cycles/second value abc"},
        {"--- mutex:\nweird = 1\n", "line 2: unknown contention profile attribute weird"},
        {"--- contentionz 1 ---\nformat = java\n", "line 2: Java contention profiles"},
        {"--- mutex:\ncycles/second=100\n\nnot a sample\n", "line 4: not a contention sample"},
        {"--- contention:\n99999999999999999999 1 @ 0x1\n", "line 2: a value is out of range"},
        {"--- threadz 1 ---\n--- Thread 1 (name: a/1) stack: ---\n  0x1\n",
         "line 3: expected \"--- Thread ...\" or a memory map, not: 0x1"},
        {"--- Thread 1 (name: a/1) stack: ---\n 0x1ffffffffffffffff\n", "line 2: an address"},
        {"--- heapz 1 ---\n0 0 @ 0\n", "line 1: Java profiles are not supported"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_error(cases[i][0], cases[i][1]);
}

static void
test_cpu_binary_errors(void **state)
{
    static const uint32_t truncated[] = {0, 3, 0, 100, 0, 4, 9, 0x1000, 0x2001};
    static const uint32_t java[] = {0, 3, 1, 100, 0, 0, 1, 0};
    static const uint32_t tail[] = {0, 3, 0, 100, 0, 1, 1, 0x1000};
    struct parsed r;

    (void)state;
    parse_in(&r, 0, truncated, sizeof(truncated));
    assert_int_equal(r.err, HW_BADDATA);
    assert_true(r.recognized);
    assert_string_equal(r.eb.msg, "cpu profile: sample at byte 20 runs past the end");
    parsed_free(&r);
    parse_in(&r, 0, java, sizeof(java));
    assert_string_equal(r.eb.msg, "line 1: Java profiles are not supported");
    parsed_free(&r);
    /* Two stray bytes after the last sample: pprof's reader runs dry on them. */
    parse_in(&r, 0, tail, sizeof(tail) + 0);
    assert_int_equal(r.err, HW_OK);
    parsed_free(&r);
    {
        unsigned char buf[sizeof(tail) + 2];

        memcpy(buf, tail, sizeof(tail));
        buf[sizeof(tail)] = buf[sizeof(tail) + 1] = 7;
        parse_in(&r, 0, buf, sizeof(buf));
        assert_int_equal(r.err, HW_BADDATA);
        assert_string_equal(r.eb.msg, "cpu profile: sample at byte 32 runs past the end");
        parsed_free(&r);
    }
}

/* A threadz profile must end in a memory map, as pprof wants. */
static void
test_threadz_needs_memory_map(void **state)
{
    static const char text[] = "--- threadz 1 ---\n"
                               "--- Thread 1 (name: a/1) stack: ---\n"
                               "  0x1000\n";
    struct parsed r;
    char *d;
    size_t len;

    (void)state;
    parse_str(&r, text);
    assert_int_equal(r.err, HW_BADDATA);
    assert_string_equal(r.eb.msg,
                        "line 3: expected \"--- Thread ...\" or a memory map, not: 0x1000");
    parsed_free(&r);
    d = must_slurp(DATA "threadz.txt", &len);
    parse_ok(&r, d, len);
    parsed_free(&r);
    free(d);
}

/* ---- pprof's quirks, kept ---- */

static void
test_pprof_quirks(void **state)
{
    struct parsed r;
    struct profile *p;

    (void)state;
    /* Go count profiles read counts in base 0: 010 is eight. */
    p = parse_ok_str(&r, "goroutine profile: total 8\n010 @ 0x1001\n");
    assert_int_equal(p->samples[0].values[0], 8);
    parsed_free(&r);
    /* Equal inuse and alloc figures in the header: only two sample types. */
    p = parse_ok_str(&r, "heap profile: 1: 2 [1: 2] @ heap/2\n1: 2 [1: 2] @ 0x1\n");
    assert_int_equal(p->ntypes, 2);
    assert_string_equal(p->sample_types[1].type, "space");
    parsed_free(&r);
    /* The header is searched for anywhere in the first line, samples anywhere in
     * theirs; "12 @" is two numbers. */
    p = parse_ok_str(&r, "junk heap profile:1:2[3:4]@heapprofile\nx 5: 10 [6: 12] @ 0x1001\n");
    assert_int_equal(p->period, 1);
    assert_int_equal(p->samples[0].values[3], 10);
    parsed_free(&r);
    p = parse_ok_str(&r, "--- contention:\nsampling period = 0\n12 @ 0x1001\n");
    assert_int_equal(p->samples[0].values[0], 2);
    assert_int_equal(p->samples[0].values[1], 1);
    parsed_free(&r);
    /* Un-sampling that divides by zero: Go's int64(+Inf) is INT64_MIN on amd64. */
    p = parse_ok_str(
        &r, "heap profile: 1: 1 [1: 1] @ heap_v2/9223372036854775807\n1: 1 [1: 1] @ 0x1\n");
    assert_int_equal(p->samples[0].values[0], INT64_MIN);
    parsed_free(&r);
    /* Address 0 is 0xffffffffffffffff once adjusted; 0x1 is 0, which gets no mapping. */
    p = parse_ok_str(&r, "goroutine profile: total 1\n1 @ 0x1 0x0\n");
    assert_null(loc_at(p, 0)->mapping);
    assert_non_null(loc_at(p, UINT64_MAX)->mapping);
    parsed_free(&r);
}

/* ---- hostile input ---- */

static const char *const fixtures[] = {
    "go-heap.txt",         "go-heap-inline.txt", "go-goroutine.txt", "go-threadcreate.txt",
    "go-mutex.txt",        "go-block.txt",       "cpp-heapz.txt",    "cpp-growthz.txt",
    "cpp-contentionz.txt", "threadz.txt",        "cpu-le32.bin",     "cpu-be64.bin",
};

/* Whatever the input, an answer: a valid profile, or HW_BADDATA with a message when
 * the format was recognized. */
static void
check_sane(const void *data, size_t len)
{
    struct errbuf eb = {{0}};
    struct parsed r;

    parse_in(&r, 0, data, len);
    if (r.err == HW_OK) {
        assert_true(r.recognized);
        assert_int_equal(profile_check(r.p, &eb), HW_OK);
    } else {
        assert_int_equal(r.err, HW_BADDATA);
        assert_null(r.p);
        assert_true(!r.recognized || r.eb.msg[0] != '\0');
    }
    parsed_free(&r);
}

static void
test_every_truncation(void **state)
{
    char path[256], *d;
    size_t i, n, len;

    (void)state;
    for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
        snprintf(path, sizeof(path), DATA "%s", fixtures[i]);
        d = must_slurp(path, &len);
        for (n = 0; n <= len; n++)
            check_sane(d, n);
        free(d);
    }
}

static uint64_t
rnd(uint64_t *s)
{
    *s = *s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return *s >> 33;
}

/* Each fixture with bytes overwritten (NULs, digits, newlines, anything). */
static void
test_corrupted_fixtures(void **state)
{
    static const char pool[] = "\0\n\r\t 0123456789x:[]@#-=$abcdef\xc2\xa0\xff";
    char path[256], *d, *c;
    size_t i, k, j, len;
    uint64_t seed = 42;

    (void)state;
    for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
        snprintf(path, sizeof(path), DATA "%s", fixtures[i]);
        d = must_slurp(path, &len);
        c = malloc(len + 1);
        assert_non_null(c);
        for (k = 0; k < 300; k++) {
            memcpy(c, d, len);
            for (j = 0; j < 1 + rnd(&seed) % 4; j++) {
                size_t at = rnd(&seed) % len;

                c[at] = (rnd(&seed) % 2) ? pool[rnd(&seed) % (sizeof(pool) - 1)] : (char)rnd(&seed);
            }
            check_sane(c, len);
        }
        free(c);
        free(d);
    }
}

static void
test_garbage(void **state)
{
    size_t n, i;
    uint64_t seed = 7;
    unsigned char *g = malloc(1 << 16);

    (void)state;
    assert_non_null(g);
    for (n = 0; n < 400; n++) {
        size_t len = rnd(&seed) % (1 << 16);

        for (i = 0; i < len; i++)
            g[i] = (unsigned char)rnd(&seed);
        if (n % 4 == 0 && len >= 20) /* a valid CPU header in front of noise */
            memcpy(g, "\0\0\0\0\3\0\0\0\0\0\0\0\x10\0\0\0\0\0\0\0", 20);
        check_sane(g, len);
    }
    free(g);
}

/* Lines of any length, and stacks of any depth. */
static void
test_huge_lines(void **state)
{
    size_t n = (size_t)1 << 20, i, len;
    char *t = malloc(n * 4 + 256);
    struct parsed r;
    struct profile *p;

    (void)state;
    assert_non_null(t);
    len = (size_t)sprintf(t, "heap profile: 1: 2 [3: 4] @ heap/2\n");
    for (i = 0; i < n; i++)
        t[len++] = '7';
    t[len++] = '\n';
    check_sane(t, len);
    len = (size_t)sprintf(t, "goroutine profile: total 1\n1 @");
    for (i = 0; i < n / 8; i++)
        len += (size_t)sprintf(t + len, " 0x%zx", i % 5000 + 1);
    t[len++] = '\n';
    p = parse_ok(&r, t, len);
    assert_int_equal(p->samples[0].nlocs, n / 8);
    assert_int_equal(p->nlocations, 5000);
    parsed_free(&r);
    /* Memory map lines of hex digits (a megabyte, and the most pprof reads) and
     * of spaces, which a backtracking matcher would take hours over. */
    len = (size_t)sprintf(t, "goroutine profile: total 1\n1 @ 0x1001\n--- Memory map: ---\n");
    for (i = 0; i < n; i++)
        t[len++] = "0123456789abcdef"[i % 16];
    t[len++] = '\n';
    for (i = 0; i < MAP_LINE_MAX; i++)
        t[len++] = "0123456789abcdef"[i % 16];
    t[len++] = '\n';
    for (i = 0; i < MAP_LINE_MAX; i++)
        t[len++] = (i == MAP_LINE_MAX / 2) ? '1' : ' ';
    t[len++] = '\n';
    p = parse_ok(&r, t, len);
    assert_int_equal(p->nmappings, 1); /* only the catch-all */
    parsed_free(&r);
    free(t);
}

/* "$name" substitutions that double the line each time stop at pprof's line limit;
 * a glog prefix goes before substitution. ("a0=x" would be a mapping from 0xa to
 * 0x0 for pprof, so the names start with no hex digit.) */
static void
test_memory_map_attributes(void **state)
{
    char t[4096];
    size_t len, i;
    struct parsed r;
    struct profile *p;

    (void)state;
    len = (size_t)sprintf(t, "goroutine profile: total 1\n1 @ 0x401001\n--- Memory map: ---\n"
                             "q0=xxxxxxxx\n");
    for (i = 1; i < 60; i++)
        len += (size_t)sprintf(t + len, "q%zu=$q%zu$q%zu\n", i, i - 1, i - 1);
    len +=
        (size_t)sprintf(t + len, "where = /srv\n"
                                 "I0102 15:04:05.000000 1234 f.cc:42] 400000-500000 r-xp 0 1:2 3 "
                                 "$where/bin $nowhere\n");
    p = parse_ok(&r, t, len);
    assert_int_equal(p->nmappings, 1);
    assert_string_equal(p->mappings[0].file, "/srv/bin");
    parsed_free(&r);
}

/* pprof's mapping patterns pick their groups as Go's regexp does; these are Go's. */
static void
test_mapping_patterns(void **state)
{
    static const struct {
        const char *line;
        long proc[10], brief[12]; /* group offsets, -1 unset; [0] == -2: no match */
    } c[] = {
        {"00400000-00410000 r-xp 00000000 08:01 1 /app",
         {0, 8, 9, 17, 18, 22, 23, 31, 40, 44},
         {0, 8, 9, 17, 18, 22, 23, 31, -1, -1, 32, 34}},
        {"0x800000 0x900000 /other (@100) deadbeef",
         {-2},
         {2, 8, 11, 17, -1, -1, 18, 24, 27, 30, 32, 40}},
        {"0xFdeadbeef  08:01\f9",
         {2, 10, 10, 11, -1, -1, -1, -1, -1, -1},
         {2, 11, 13, 15, -1, -1, -1, -1, -1, -1, -1, -1}},
        {"1\ff[vdso]rw-pg\t[vdso]", {-2}, {0, 1, 2, 3, -1, -1, -1, -1, -1, -1, -1, -1}},
        {"\f004000000\v(@ff)", {-2}, {1, 9, 9, 10, -1, -1, -1, -1, -1, -1, -1, -1}},
        {"deadbeef\xc2\xa0"
         "1",
         {-2},
         {0, 7, 7, 8, -1, -1, -1, -1, -1, -1, -1, -1}},
        {"1", {-2}, {-2}},
        {"x1 2", {-2}, {-2}},
    };
    struct mapper *m = calloc(1, sizeof(*m));
    size_t i, j;

    (void)state;
    assert_non_null(m);
    re_compile(&m->proc, proc_maps_re);
    re_compile(&m->brief, brief_maps_re);
    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct str line = S(c[i].line);

        if (!re_match(&m->proc, m->lists, line, m->cap)) {
            assert_int_equal(c[i].proc[0], -2);
        } else {
            for (j = 0; j < 10; j++)
                assert_int_equal(m->cap[j] == SIZE_MAX ? -1 : (long)m->cap[j], c[i].proc[j]);
        }
        if (!re_match(&m->brief, m->lists, line, m->cap)) {
            assert_int_equal(c[i].brief[0], -2);
        } else {
            for (j = 0; j < 12; j++)
                assert_int_equal(m->cap[j] == SIZE_MAX ? -1 : (long)m->cap[j], c[i].brief[j]);
        }
    }
    free(m);
}

/* Every limit either parses or gives HW_TOOBIG, never more than the limit is used,
 * and ASan checks that nothing leaks. Byte by byte on a small profile; in steps on
 * one with a memory map, whose regular expressions need more. */
static void
walk_limits(const char *name, size_t step)
{
    char path[256], *d;
    size_t len, limit, need;
    struct parsed r;

    snprintf(path, sizeof(path), DATA "%s", name);
    d = must_slurp(path, &len);
    parse_ok(&r, d, len);
    need = arena_used(r.a);
    parsed_free(&r);
    for (limit = 1; limit <= need + step; limit += step) {
        parse_in(&r, limit, d, len);
        if (r.err == HW_OK) {
            assert_true(limit >= need);
        } else {
            if (r.err != HW_TOOBIG)
                fail_msg("%s, limit %zu: %s: %s", name, limit, hw_strerror(r.err), r.eb.msg);
            assert_true(limit < need);
            assert_null(r.p);
        }
        assert_true(arena_used(r.a) <= limit);
        parsed_free(&r);
    }
    free(d);
}

static void
test_arena_limit_walk(void **state)
{
    (void)state;
    walk_limits("go-heap-inline.txt", 1);
    walk_limits("cpp-heapz.txt", 61);
    walk_limits("cpu-le32.bin", 29);
}

/* ---- Go's arithmetic ---- */

static void
test_go_exp(void **state)
{
    /* x, math.Exp(x) with FMA, without (GODEBUG=cpu.fma=off), from Go 1.19 on amd64. */
    static const uint64_t t[][3] = {
        {0xc04260ba54bad430, 0x3c9f66bd430087bf, 0x3c9f66bd430087bf},
        {0xc0228544552a4d35, 0x3f18efeefe1f9433, 0x3f18efeefe1f9433},
        {0x4082017f10fce52d, 0x73e33053f78544bc, 0x73e33053f78544bc},
        {0xc017628c31ffef52, 0x3f67ae59b5f94133, 0x3f67ae59b5f94132},
        {0xbfec7f113474d1e0, 0x3fda44bee83721e3, 0x3fda44bee83721e2},
        {0xc06b87d8160deb62, 0x2c1312a4855ba037, 0x2c1312a4855ba037},
        {0xc07bff925952e2ad, 0x178a32077589c217, 0x178a32077589c217},
        {0xc08749999999999a, 0x0000000000000000, 0x0000000000000000}, /* -745.2 */
        {0xc086240000000000, 0x000e6cf6d08897ac, 0x000e6cf6d08897ac}, /* subnormal */
        {0x40862d999999999a, 0x7ff0000000000000, 0x7ff0000000000000}, /* 709.7 */
        {0xfe37e43c8800759c, 0x0000000000000000, 0x0000000000000000}, /* -1e300 */
        {0x0000000000000000, 0x3ff0000000000000, 0x3ff0000000000000},
        {0xfff0000000000000, 0x0000000000000000, 0x0000000000000000}, /* -Inf */
    };
    size_t i;
    uint64_t got;
    double d;

    (void)state;
#if !defined(__x86_64__)
    skip();
#endif
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        d = go_exp_path(bits_double(t[i][0]), true);
        memcpy(&got, &d, sizeof(got));
        assert_int_equal(got, t[i][1]);
        d = go_exp_path(bits_double(t[i][0]), false);
        memcpy(&got, &d, sizeof(got));
        assert_int_equal(got, t[i][2]);
    }
    assert_int_equal(go_f2i(-1.9), -1);
    assert_int_equal(go_f2i(9223372036854775808.0), INT64_MIN);
    assert_int_equal(go_f2i(NAN), INT64_MIN);
}

static void
test_go_strconv(void **state)
{
    static const struct {
        const char *s;
        int base;
        bool ok;
        int64_t v;
    } c[] = {
        {"0x1F", 0, true, 31},
        {"0X1f", 0, true, 31},
        {"0o17", 0, true, 15},
        {"0b101", 0, true, 5},
        {"017", 0, true, 15},
        {"0", 0, true, 0},
        {"08", 0, false, 0},
        {"1_000", 0, true, 1000},
        {"0x_1", 0, true, 1},
        {"1__0", 0, false, 0},
        {"_1", 0, false, 0},
        {"1_", 0, false, 0},
        {"1_000", 10, false, 0},
        {"0x", 0, false, 0},
        {"+5", 10, true, 5},
        {"-0x10", 0, true, -16},
        {"", 10, false, 0},
        {"-", 10, false, 0},
        {"9223372036854775807", 10, true, INT64_MAX},
        {"9223372036854775808", 10, false, 0},
        {"-9223372036854775808", 10, true, INT64_MIN},
        {"-9223372036854775809", 10, false, 0},
        {"12a", 10, false, 0},
    };
    uint64_t u;
    int64_t v;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        v = 0;
        if (go_parse_int(S(c[i].s), c[i].base, &v) != c[i].ok)
            fail_msg("ParseInt(\"%s\", %d)", c[i].s, c[i].base);
        assert_int_equal(v, c[i].v);
    }
    assert_true(go_parse_uint(S("18446744073709551615"), 10, &u));
    assert_int_equal(u, UINT64_MAX);
    assert_false(go_parse_uint(S("18446744073709551616"), 10, &u));
    assert_true(go_parse_uint(S("0x00000000000000000ffffffffffffffff"), 0, &u));
    assert_false(go_parse_uint(S("-1"), 10, &u));
    assert_true(go_parse_uint(S("FFfe"), 16, &u));
    assert_int_equal(u, 0xfffe);
}

static void
test_go_trim_space(void **state)
{
    struct str s;

    (void)state;
    s = go_trim(S("\xc2\xa0\xe3\x80\x80 \t# x\xe2\x80\x8a\xc2\x85\r"));
    assert_int_equal(s.n, 3);
    assert_memory_equal(s.p, "# x", 3);
    s = go_trim(S("\xe2\x80\x8b# zero width space is no space"));
    assert_int_equal(s.p[0], '\xe2');
    assert_true(blank_or_comment(S("\xe2\x80\xaf\v#")));
    assert_false(blank_or_comment(S("\xc2 #")));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_go_heap),
        cmocka_unit_test(test_go_heap_inlined),
        cmocka_unit_test(test_go_count),
        cmocka_unit_test(test_go_contention),
        cmocka_unit_test(test_cpp_heapz),
        cmocka_unit_test(test_cpp_growthz_contentionz_threadz),
        cmocka_unit_test(test_cpu_binary),
        cmocka_unit_test(test_shared_profiles),
        cmocka_unit_test(test_memstats),
        cmocka_unit_test(test_symbol_lines),
        cmocka_unit_test(test_unsymbolized_stays_so),
        cmocka_unit_test(test_not_legacy),
        cmocka_unit_test(test_errors_name_the_line),
        cmocka_unit_test(test_cpu_binary_errors),
        cmocka_unit_test(test_threadz_needs_memory_map),
        cmocka_unit_test(test_pprof_quirks),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_corrupted_fixtures),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_huge_lines),
        cmocka_unit_test(test_memory_map_attributes),
        cmocka_unit_test(test_mapping_patterns),
        cmocka_unit_test(test_arena_limit_walk),
        cmocka_unit_test(test_go_exp),
        cmocka_unit_test(test_go_strconv),
        cmocka_unit_test(test_go_trim_space),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_inflate.c - gzip input and profile_decode's sniffing: gzip'd and concatenated
 * members decode like the plain bytes, a gzip bomb stops at the limit, corrupt or
 * truncated gzip is HW_BADDATA with zlib's reason, and every failure leaves nothing
 * allocated (ASan checks). Compressed inputs are made here with zlib. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "arena.h"
#include "buf.h"
#include "decode.h"
#include "profile.h"
#include "profile.pb-c.h"
#include "pbb.h"

/* gzip of len bytes of data (or of zeros when data is NULL) as one member, appended
 * to out (malloc'd by the caller or NULL). */
static unsigned char *
gzip_append(unsigned char *out, size_t *outlen, const void *data, size_t len)
{
    static const unsigned char zeros[1 << 16];
    unsigned char chunk[1 << 16];
    z_stream zs;
    size_t done = 0;
    int rc;

    memset(&zs, 0, sizeof(zs));
    assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY), Z_OK);
    do {
        size_t n = len - done < sizeof(zeros) ? len - done : sizeof(zeros);

        zs.next_in =
            data ? (unsigned char *)(uintptr_t)data + done : (unsigned char *)(uintptr_t)zeros;
        zs.avail_in = (uInt)n;
        done += n;
        do {
            zs.next_out = chunk;
            zs.avail_out = sizeof(chunk);
            rc = deflate(&zs, done == len ? Z_FINISH : Z_NO_FLUSH);
            assert_true(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR);
            out = realloc(out, *outlen + sizeof(chunk) - zs.avail_out + 1);
            assert_non_null(out);
            memcpy(out + *outlen, chunk, sizeof(chunk) - zs.avail_out);
            *outlen += sizeof(chunk) - zs.avail_out;
        } while (zs.avail_out == 0);
    } while (done < len);
    assert_int_equal(rc, Z_STREAM_END);
    deflateEnd(&zs);
    return out;
}

static unsigned char *
gzip(const void *data, size_t len, size_t *outlen)
{
    *outlen = 0;
    return gzip_append(NULL, outlen, data, len);
}

/* A small heap profile's protobuf bytes, in a. */
static unsigned char *
heap_bytes(struct arena *a, size_t *len)
{
    struct pbb *b = pbb_heap(a);

    SAMPLE(b, "main.main;main.alloc", 3, 3072, 1, 1024);
    SAMPLE(b, "main.main;main.worker;bytes.growSlice", 5, 40960, 5, 40960);
    SAMPLE(b, "runtime.main;main.init", 1, 64, 1, 64);
    return pbb_pack(b, len);
}

static void
check_heap(const struct profile *p)
{
    assert_non_null(p);
    assert_int_equal(p->format, PROFILE_PROTO);
    assert_int_equal(p->ntypes, 4);
    assert_int_equal(p->nsamples, 3);
    assert_int_equal(p->samples[1].values[3], 40960);
    assert_string_equal(p->samples[1].locs[0]->lines[0].fn->name, "bytes.growSlice");
}

/* The fixture tests/data/unit/name (tests run from the repository root) into out;
 * false when it is not there. */
static bool
read_fixture(const char *name, struct buf *out)
{
    char path[256];
    FILE *f;
    enum hw_err err;

    snprintf(path, sizeof(path), "tests/data/unit/%s", name);
    if ((f = fopen(path, "rb")) == NULL)
        return false;
    buf_init(out, 0);
    err = buf_read_file(out, f);
    fclose(f);
    assert_int_equal(err, HW_OK);
    return true;
}

static void
test_plain_protobuf(void **state)
{
    struct arena *a = arena_new(0);
    struct errbuf eb = {{0}};
    struct profile *p;
    unsigned char *data;
    size_t len;

    (void)state;
    data = heap_bytes(a, &len);
    assert_int_equal(profile_decode(data, len, 0, &p, &eb), HW_OK);
    check_heap(p);
    assert_int_equal(arena_limit(p->arena), DECODE_DEFAULT_LIMIT);
    arena_free(p->arena);
    arena_free(a);
}

static void
test_gzip_profile(void **state)
{
    struct arena *a = arena_new(0);
    struct errbuf eb = {{0}};
    struct profile *p;
    unsigned char *data, *gz;
    size_t len, gzlen;

    (void)state;
    data = heap_bytes(a, &len);
    gz = gzip(data, len, &gzlen);
    assert_int_equal(gz[0], 0x1f);
    assert_int_equal(profile_decode(gz, gzlen, 1 << 20, &p, &eb), HW_OK);
    check_heap(p);
    assert_int_equal(arena_limit(p->arena), 1 << 20);
    arena_free(p->arena);
    free(gz);
    arena_free(a);
}

static void
test_inflate_roundtrip(void **state)
{
    static const char text[] = "heap profile bytes, compressed and back";
    struct errbuf eb = {{0}};
    struct buf out;
    unsigned char *gz;
    size_t gzlen;

    (void)state;
    gz = gzip(text, sizeof(text) - 1, &gzlen);
    buf_init(&out, 0);
    assert_int_equal(inflate_gzip(gz, gzlen, &out, &eb), HW_OK);
    assert_int_equal(out.len, sizeof(text) - 1);
    assert_string_equal((char *)out.data, text);
    buf_reset(&out);
    /* A cap of exactly the inflated size is enough. */
    buf_init(&out, sizeof(text) - 1);
    assert_int_equal(inflate_gzip(gz, gzlen, &out, &eb), HW_OK);
    assert_int_equal(out.len, sizeof(text) - 1);
    buf_reset(&out);
    free(gz);
}

/* `cat a.gz b.gz` holds two members; gzip -dc reads both, and so do we. */
static void
test_concatenated_members(void **state)
{
    struct arena *a = arena_new(0);
    struct errbuf eb = {{0}};
    struct profile *p;
    struct buf out;
    unsigned char *data, *gz;
    size_t len, gzlen = 0, half;

    (void)state;
    data = heap_bytes(a, &len);
    half = len / 2;
    gz = gzip_append(NULL, &gzlen, data, half);
    gz = gzip_append(gz, &gzlen, data + half, 0); /* an empty member in between */
    gz = gzip_append(gz, &gzlen, data + half, len - half);
    buf_init(&out, 0);
    assert_int_equal(inflate_gzip(gz, gzlen, &out, &eb), HW_OK);
    assert_int_equal(out.len, len);
    assert_memory_equal(out.data, data, len);
    buf_reset(&out);
    assert_int_equal(profile_decode(gz, gzlen, 0, &p, &eb), HW_OK);
    check_heap(p);
    arena_free(p->arena);
    free(gz);
    arena_free(a);
}

static void
test_trailing_zeros_ignored(void **state)
{
    struct errbuf eb = {{0}};
    struct buf out;
    unsigned char *gz;
    size_t gzlen;

    (void)state;
    gz = gzip("abc", 3, &gzlen);
    gz = realloc(gz, gzlen + 16);
    memset(gz + gzlen, 0, 16);
    buf_init(&out, 0);
    assert_int_equal(inflate_gzip(gz, gzlen + 16, &out, &eb), HW_OK);
    assert_int_equal(out.len, 3);
    buf_reset(&out);
    free(gz);
}

/* 64 MiB of zeros compress to about 64 KiB; against a 1 MiB limit decoding stops at
 * the limit and says which it was. */
static void
test_gzip_bomb(void **state)
{
    struct errbuf eb = {{0}};
    struct profile *p = NULL;
    struct buf out;
    unsigned char *gz;
    size_t gzlen;

    (void)state;
    gz = gzip(NULL, (size_t)64 << 20, &gzlen);
    assert_true(gzlen < (size_t)1 << 20);
    assert_int_equal(profile_decode(gz, gzlen, 1 << 20, &p, &eb), HW_TOOBIG);
    assert_null(p);
    assert_non_null(strstr(eb.msg, "1048576"));
    assert_string_equal(eb.msg, "decompressed profile exceeds the limit of 1048576 bytes");
    buf_init(&out, 1 << 20);
    errbuf_clear(&eb);
    assert_int_equal(inflate_gzip(gz, gzlen, &out, &eb), HW_TOOBIG);
    assert_true(out.len <= (size_t)1 << 20);
    assert_true(buf_is_full(&out));
    assert_string_equal(eb.msg, "decompressed profile exceeds the limit of 1048576 bytes");
    buf_reset(&out);
    free(gz);
}

static void
expect_bad_gzip(const unsigned char *gz, size_t len, const char *want)
{
    struct errbuf eb = {{0}};
    struct profile *p = (struct profile *)1;
    enum hw_err err = profile_decode(gz, len, 0, &p, &eb);

    assert_int_equal(err, HW_BADDATA);
    assert_null(p);
    if (strncmp(eb.msg, want, strlen(want)) != 0)
        fail_msg("message \"%s\" does not start with \"%s\"", eb.msg, want);
}

static void
test_corrupt_gzip(void **state)
{
    static const unsigned char header_only[] = {0x1f, 0x8b};
    struct arena *a = arena_new(0);
    unsigned char *data, *gz;
    size_t len, gzlen, i;

    (void)state;
    data = heap_bytes(a, &len);
    gz = gzip(data, len, &gzlen);
    /* The deflate stream garbled. */
    for (i = 12; i < gzlen - 8; i++)
        gz[i] ^= 0x5a;
    expect_bad_gzip(gz, gzlen, "decompressing gzip: ");
    free(gz);
    /* A wrong CRC in the trailer. */
    gz = gzip(data, len, &gzlen);
    gz[gzlen - 8] ^= 0xff;
    expect_bad_gzip(gz, gzlen, "decompressing gzip: incorrect data check");
    /* Cut short. */
    expect_bad_gzip(gz, gzlen / 2, "decompressing gzip: unexpected end of data");
    expect_bad_gzip(header_only, sizeof(header_only), "decompressing gzip: ");
    /* A bad compression method in the header. */
    gz[2] = 7;
    expect_bad_gzip(gz, gzlen, "decompressing gzip: unknown compression method");
    free(gz);
    arena_free(a);
}

/* Every prefix of a gzip'd profile fails cleanly (or decodes, for the whole). */
static void
test_every_gzip_truncation(void **state)
{
    struct arena *a = arena_new(0);
    unsigned char *data, *gz;
    size_t len, gzlen, n;

    (void)state;
    data = heap_bytes(a, &len);
    gz = gzip(data, len, &gzlen);
    for (n = 0; n <= gzlen; n++) {
        struct errbuf eb = {{0}};
        struct profile *p = NULL;
        unsigned char *copy = malloc(n ? n : 1);
        enum hw_err err;

        memcpy(copy, gz, n);
        err = profile_decode(copy, n, 0, &p, &eb);
        if (n == gzlen) {
            assert_int_equal(err, HW_OK);
            check_heap(p);
            arena_free(p->arena);
        } else {
            if (err != HW_BADDATA)
                fail_msg("prefix %zu of %zu: %s (%s)", n, gzlen, hw_strerror(err), eb.msg);
            assert_null(p);
            assert_true(eb.msg[0] != '\0');
        }
        free(copy);
    }
    free(gz);
    arena_free(a);
}

/* Walks the limit up: each step decodes or gives HW_TOOBIG with a message that names
 * the limit. The walk goes on past a bad message so that ASan sees every step. */
static void
test_gzip_limit_walk(void **state)
{
    struct arena *a = arena_new(0);
    unsigned char *data, *gz;
    size_t len, gzlen, limit, bad_limit = 0;
    char bad_msg[sizeof(((struct errbuf *)0)->msg)] = "";
    int ok = 0;

    (void)state;
    data = heap_bytes(a, &len);
    gz = gzip(data, len, &gzlen);
    for (limit = 1; limit < 64 * 1024 && !ok; limit++) {
        struct errbuf eb = {{0}};
        struct profile *p = NULL;
        enum hw_err err = profile_decode(gz, gzlen, limit, &p, &eb);
        char num[32];

        if (err == HW_OK) {
            check_heap(p);
            assert_true(arena_used(p->arena) <= limit);
            arena_free(p->arena);
            ok = 1;
            continue;
        }
        if (err != HW_TOOBIG)
            fail_msg("limit %zu: %s (%s)", limit, hw_strerror(err), eb.msg);
        assert_null(p);
        snprintf(num, sizeof(num), "%zu", limit);
        if (strstr(eb.msg, num) == NULL && bad_limit == 0) {
            bad_limit = limit;
            snprintf(bad_msg, sizeof(bad_msg), "%s", eb.msg);
        }
    }
    free(gz);
    arena_free(a);
    assert_true(ok);
    if (bad_limit != 0)
        fail_msg("limit %zu: message \"%s\" does not name the limit", bad_limit, bad_msg);
}

static void
test_empty_input(void **state)
{
    static const unsigned char nothing[1];
    struct errbuf eb = {{0}};
    struct profile *p = (struct profile *)1;
    unsigned char *gz;
    size_t gzlen;

    (void)state;
    assert_int_equal(profile_decode(nothing, 0, 0, &p, &eb), HW_BADDATA);
    assert_null(p);
    assert_string_equal(eb.msg, "empty input");
    /* A gzip member holding nothing is empty input too. */
    gz = gzip("", 0, &gzlen);
    errbuf_clear(&eb);
    assert_int_equal(profile_decode(gz, gzlen, 0, &p, &eb), HW_BADDATA);
    assert_string_equal(eb.msg, "empty input");
    free(gz);
}

static void
test_not_a_profile(void **state)
{
    static const char html[] = "<html><body>404 page not found</body></html>\n";
    static const char json[] = "{\"error\": \"no profile\"}\n";
    struct errbuf eb = {{0}};
    struct profile *p;

    (void)state;
    assert_int_equal(profile_decode((const unsigned char *)html, sizeof(html) - 1, 0, &p, &eb),
                     HW_BADDATA);
    assert_string_equal(eb.msg, "unrecognized profile format (looks like HTML/XML, not a profile)");
    errbuf_clear(&eb);
    assert_int_equal(profile_decode((const unsigned char *)json, sizeof(json) - 1, 0, &p, &eb),
                     HW_BADDATA);
    assert_string_equal(eb.msg, "unrecognized profile format (looks like JSON, not a profile)");
}

/* A base profile can be decoded into the arena of the profile it goes with. */
static void
test_decode_in_shared_arena(void **state)
{
    struct arena *src = arena_new(0), *a = arena_new(1 << 20);
    struct errbuf eb = {{0}};
    struct profile *p1, *p2;
    unsigned char *data, *gz;
    size_t len, gzlen, used;

    (void)state;
    data = heap_bytes(src, &len);
    gz = gzip(data, len, &gzlen);
    assert_int_equal(profile_decode_in(a, data, len, &p1, &eb), HW_OK);
    used = arena_used(a);
    assert_int_equal(profile_decode_in(a, gz, gzlen, &p2, &eb), HW_OK);
    assert_ptr_equal(p1->arena, a);
    assert_ptr_equal(p2->arena, a);
    assert_true(arena_used(a) > used);
    check_heap(p1);
    check_heap(p2);
    free(gz);
    arena_free(a);
    arena_free(src);
}

/* heap.pb.gz was written by the gzip tool (gzip -9 -N), whose header carries the
 * file name: it decodes to the same profile as heap.pb beside it. */
static void
test_gzip_tool_fixture(void **state)
{
    struct errbuf eb = {{0}};
    struct profile *pz, *pp;
    struct buf gz, plain;
    size_t i, j;

    (void)state;
    if (!read_fixture("heap.pb.gz", &gz))
        skip();
    assert_true(read_fixture("heap.pb", &plain));
    assert_int_equal(gz.data[3] & 0x08, 0x08); /* FNAME is set */
    assert_int_equal(profile_decode(gz.data, gz.len, 0, &pz, &eb), HW_OK);
    assert_int_equal(profile_decode(plain.data, plain.len, 0, &pp, &eb), HW_OK);
    check_heap(pz);
    assert_int_equal(pz->nsamples, pp->nsamples);
    for (i = 0; i < pz->nsamples; i++)
        for (j = 0; j < pz->ntypes; j++)
            assert_int_equal(pz->samples[i].values[j], pp->samples[i].values[j]);
    arena_free(pz->arena);
    arena_free(pp->arena);
    buf_reset(&gz);
    buf_reset(&plain);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_protobuf),
        cmocka_unit_test(test_gzip_profile),
        cmocka_unit_test(test_inflate_roundtrip),
        cmocka_unit_test(test_concatenated_members),
        cmocka_unit_test(test_trailing_zeros_ignored),
        cmocka_unit_test(test_gzip_bomb),
        cmocka_unit_test(test_corrupt_gzip),
        cmocka_unit_test(test_every_gzip_truncation),
        cmocka_unit_test(test_gzip_limit_walk),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_not_a_profile),
        cmocka_unit_test(test_decode_in_shared_arena),
        cmocka_unit_test(test_gzip_tool_fixture),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

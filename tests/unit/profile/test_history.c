/* test_history.c - stored scrapes: round trips, file names, the index log rebuilt after
 * crashes (simulated by hand and by SIGKILL), retention, hostile target names and
 * concurrent writers and readers. Profiles are built with pbb.h so that recovered
 * totals can be checked against known sums. */
#include "pbb.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "history.h"

#define T0 INT64_C(1763892900123) /* 2025-11-23T10:15:00.123Z */

static const struct history_limits nolimits = {0, 0, 0, 0};

static int
setup(void **state)
{
    return pbb_dir_setup(state, "test_history");
}

#define HTEST(t) cmocka_unit_test_setup_teardown(t, setup, pbb_dir_teardown)

/* A heap profile whose four totals are k + 1, 100k + 2, k + 3, 50k + 4. */
static unsigned char *
heap_bytes(struct arena *a, int64_t k, size_t *len)
{
    struct pbb *b = pbb_heap(a);

    SAMPLE(b, "main;alloc", k, 100 * k, k, 50 * k);
    SAMPLE(b, "main;other", 1, 2, 3, 4);
    return pbb_pack(b, len);
}

static unsigned char *
gzip_bytes(const unsigned char *data, size_t len, size_t *outlen)
{
    uLong cap = compressBound((uLong)len) + 64;
    unsigned char *out = malloc(cap);
    z_stream zs;

    assert_non_null(out);
    memset(&zs, 0, sizeof(zs));
    assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (unsigned char *)(uintptr_t)data;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *outlen = zs.total_out;
    deflateEnd(&zs);
    return out;
}

static void
data_dir(const struct fixture *f, char *out)
{
    snprintf(out, PATH_MAX, "%s/data", f->dir);
}

static struct history *
hopen(const struct fixture *f, const struct history_limits *lim)
{
    char dir[PATH_MAX];
    struct errbuf eb = {{0}};
    struct history *h = NULL;

    data_dir(f, dir);
    if (history_open(dir, lim, &h, &eb) != HW_OK)
        fail_msg("history_open: %s", eb.msg);
    return h;
}

/* Stores data with the totals of the profile it holds (when it decodes). */
static struct hist_entry
store(struct history *h, const char *target, const char *type, int64_t id, const void *data,
      size_t len)
{
    struct hist_entry e;
    struct errbuf eb = {{0}};
    struct profile *p;

    memset(&e, 0, sizeof(e));
    e.id = id;
    if (profile_decode(data, len, 0, &p, NULL) == HW_OK) {
        history_totals(p, &e);
        arena_free(p->arena);
    }
    if (history_store(h, target, type, data, len, &e, &eb) != HW_OK)
        fail_msg("history_store: %s", eb.msg);
    return e;
}

static struct hist_entry
store_heap(struct fixture *f, struct history *h, const char *target, int64_t id, int64_t k)
{
    size_t len;
    unsigned char *data = heap_bytes(f->a, k, &len);

    return store(h, target, "heap", id, data, len);
}

/* The directory of a stored scrape, from its path. */
static void
series_dir(struct history *h, const char *target, const char *type, int64_t id, char *out)
{
    char *path = history_path(h, target, type, id);

    assert_non_null(path);
    snprintf(out, PATH_MAX, "%s", path);
    *strrchr(out, '/') = '\0';
    free(path);
}

/* dir/name into out (PATH_MAX bytes). */
static void
join(char *out, const char *dir, const char *name)
{
    assert_true(snprintf(out, PATH_MAX, "%s/%s", dir, name) < PATH_MAX);
}

static void
write_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");

    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static void
append_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "ab");

    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

static bool
exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

static size_t
count_lines(const char *path)
{
    FILE *fp = fopen(path, "r");
    size_t n = 0;
    int c;

    if (fp == NULL)
        return 0;
    while ((c = fgetc(fp)) != EOF)
        n += c == '\n';
    fclose(fp);
    return n;
}

/* Counts files below dir whose names start with prefix. */
static size_t
count_named(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;

    if (d == NULL)
        return 0;
    while ((de = readdir(d)) != NULL) {
        char sub[PATH_MAX];
        struct stat st;

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
        snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            n += count_named(sub, prefix);
    }
    closedir(d);
    return n;
}

static void
assert_entry_equal(const struct hist_entry *a, const struct hist_entry *b)
{
    size_t i;

    assert_int_equal(a->id, b->id);
    assert_int_equal(a->size, b->size);
    assert_int_equal(a->ntotals, b->ntotals);
    assert_int_equal(a->flags, b->flags);
    for (i = 0; i < a->ntotals; i++)
        assert_int_equal(a->totals[i], b->totals[i]);
    assert_int_equal(a->delta[0], b->delta[0]);
    assert_int_equal(a->delta[1], b->delta[1]);
}

static void
assert_heap_totals(const struct hist_entry *e, int64_t k)
{
    assert_int_equal(e->ntotals, 4);
    assert_int_equal(e->totals[0], k + 1);
    assert_int_equal(e->totals[1], 100 * k + 2);
    assert_int_equal(e->totals[2], k + 3);
    assert_int_equal(e->totals[3], 50 * k + 4);
}

static void
assert_reads_back(struct history *h, const char *target, const char *type, int64_t id,
                  const void *data, size_t len)
{
    struct errbuf eb = {{0}};
    struct buf b;

    buf_init(&b, 0);
    if (history_read(h, target, type, id, &b, &eb) != HW_OK)
        fail_msg("history_read: %s", eb.msg);
    assert_int_equal(b.len, len);
    assert_memory_equal(b.data, data, len);
    buf_reset(&b);
}

static void
test_store_list_read_roundtrip(void **state)
{
    struct fixture *f = *state;
    struct history *h = hopen(f, &nolimits);
    unsigned char *data[3];
    size_t len[3], n, nfiles;
    struct hist_entry *list, e;
    int64_t nbytes = 0;
    int k;

    for (k = 0; k < 3; k++) {
        data[k] = heap_bytes(f->a, k, &len[k]);
        e = store(h, "web-1", "heap", T0 + 15000 * k, data[k], len[k]);
        assert_int_equal(e.id, T0 + 15000 * k);
        assert_int_equal(e.size, (int64_t)len[k]);
        assert_heap_totals(&e, k);
        nbytes += (int64_t)len[k];
    }
    assert_int_equal(history_list(h, "web-1", "heap", &list, &n), HW_OK);
    assert_int_equal(n, 3);
    for (k = 0; k < 3; k++) {
        assert_int_equal(list[k].id, T0 + 15000 * k);
        assert_heap_totals(&list[k], k);
        assert_reads_back(h, "web-1", "heap", list[k].id, data[k], len[k]);
    }
    free(list);
    history_stats(h, &nfiles, &nbytes);
    assert_int_equal(nfiles, 3);
    assert_int_equal(history_list(h, "web-1", "allocs", &list, &n), HW_OK);
    assert_int_equal(n, 0);
    assert_null(list);
    assert_int_equal(history_list(h, "nobody", "heap", &list, &n), HW_OK);
    assert_int_equal(n, 0);
    history_close(h);
}

static void
test_file_name_from_id(void **state)
{
    struct fixture *f = *state;
    struct history *h = hopen(f, &nolimits);
    char *path;

    store_heap(f, h, "web", T0, 1);
    path = history_path(h, "web", "heap", T0);
    assert_non_null(path);
    assert_non_null(strstr(path, "/data/web/heap/20251123T101500.123Z.pb"));
    assert_true(exists(path));
    free(path);
    assert_null(history_path(h, "web", "heap", T0 + 1));
    history_close(h);
}

static void
test_colliding_ids_move_forward(void **state)
{
    struct fixture *f = *state;
    struct history *h = hopen(f, &nolimits);
    struct hist_entry e;

    assert_int_equal(store_heap(f, h, "t", T0, 1).id, T0);
    assert_int_equal(store_heap(f, h, "t", T0, 2).id, T0 + 1);
    assert_int_equal(store_heap(f, h, "t", T0, 3).id, T0 + 2);
    assert_int_equal(store_heap(f, h, "t", T0 + 1, 4).id, T0 + 3);
    /* Another type or target has ids of its own. */
    assert_int_equal(store(h, "t", "allocs", T0, "x", 1).id, T0);
    assert_int_equal(store_heap(f, h, "u", T0, 1).id, T0);
    assert_int_equal(history_get(h, "t", "heap", T0 + 2, &e), HW_OK);
    assert_heap_totals(&e, 3);
    history_close(h);
}

static void
assert_suffix(struct history *h, const char *type, int64_t id, const char *suffix)
{
    char *path = history_path(h, "t", type, id);

    assert_non_null(path);
    assert_string_equal(path + strlen(path) - strlen(suffix), suffix);
    assert_true(exists(path));
    free(path);
}

static void
test_extension_by_content(void **state)
{
    struct fixture *f = *state;
    struct history *h = hopen(f, &nolimits);
    const char *legacy = "heap profile: 1: 2 [3: 4] @ heap/1048576\n";
    const char *gor = "goroutine profile: total 4\n";
    unsigned char *pb, *gz;
    size_t len, gzlen;

    pb = heap_bytes(f->a, 7, &len);
    gz = gzip_bytes(pb, len, &gzlen);
    store(h, "t", "heap", T0, pb, len);
    store(h, "t", "heap", T0 + 1, gz, gzlen);
    store(h, "t", "heap", T0 + 2, legacy, strlen(legacy));
    store(h, "t", "goroutine", T0, gor, strlen(gor));
    store(h, "t", "heap", T0 + 3, "a;b;c 42\n", 9);
    store(h, "t", "heap", T0 + 4, "\x0a\x02\x08\x01", 4);
    assert_suffix(h, "heap", T0, "Z.pb");
    assert_suffix(h, "heap", T0 + 1, "Z.pb.gz");
    assert_suffix(h, "heap", T0 + 2, "Z.txt");
    assert_suffix(h, "goroutine", T0, "Z.txt");
    assert_suffix(h, "heap", T0 + 3, "Z.txt");
    assert_suffix(h, "heap", T0 + 4, "Z.pb");
    assert_reads_back(h, "t", "heap", T0 + 1, gz, gzlen);
    history_close(h);
    /* The extension comes back from the name on open. */
    h = hopen(f, &nolimits);
    assert_suffix(h, "heap", T0 + 1, "Z.pb.gz");
    assert_suffix(h, "heap", T0 + 2, "Z.txt");
    assert_reads_back(h, "t", "heap", T0 + 1, gz, gzlen);
    history_close(h);
    free(gz);
}

/* Opening again gives the same entries, flags and deltas included, without
 * rewriting the log. */
static void
test_reopen_rebuilds_same_index(void **state)
{
    struct fixture *f = *state;
    struct history *h = hopen(f, &nolimits);
    struct hist_entry *a, *b, e;
    char dir[PATH_MAX], index[PATH_MAX];
    size_t na, nb, i, len;
    unsigned char *data = heap_bytes(f->a, 5, &len);
    struct stat st1, st2;

    for (i = 0; i < 20; i++) {
        memset(&e, 0, sizeof(e));
        e.id = T0 + 1000 * (int64_t)i;
        e.ntotals = 2;
        e.totals[0] = (int64_t)i;
        e.totals[1] = -(int64_t)i * 3;
        e.flags = (uint8_t)(i % 4);
        e.delta[0] = (int64_t)i * 7;
        e.delta[1] = INT64_MAX - (int64_t)i;
        assert_int_equal(history_store(h, "svc", "heap", data, len, &e, NULL), HW_OK);
        assert_int_equal(e.flags, i % 4);
    }
    store(h, "svc", "allocs", T0, data, len);
    assert_int_equal(history_list(h, "svc", "heap", &a, &na), HW_OK);
    series_dir(h, "svc", "heap", T0, dir);
    join(index, dir, "index");
    assert_int_equal(stat(index, &st1), 0);
    history_close(h);

    h = hopen(f, &nolimits);
    assert_int_equal(history_open_warnings(h), 0);
    assert_string_equal(history_open_message(h), "");
    assert_int_equal(history_list(h, "svc", "heap", &b, &nb), HW_OK);
    assert_int_equal(na, 20);
    assert_int_equal(nb, na);
    for (i = 0; i < na; i++)
        assert_entry_equal(&a[i], &b[i]);
    assert_int_equal(stat(index, &st2), 0);
    assert_int_equal(st1.st_ino, st2.st_ino); /* nothing to fix, nothing rewritten */
    assert_int_equal(count_lines(index), 20);
    free(a);
    free(b);
    history_close(h);
}

/* A crash between the rename and the log append: the file is there, its line is not. */
static void
test_file_without_index_line_is_recovered(void **state)
{
    struct fixture *f = *state;
    struct history *h = hopen(f, &nolimits);
    char dir[PATH_MAX], path[PATH_MAX], index[PATH_MAX];
    unsigned char *pb, *gz;
    size_t len, gzlen, n;
    struct hist_entry *list;

    store_heap(f, h, "t", T0, 1);
    store_heap(f, h, "t", T0 + 1000, 2);
    series_dir(h, "t", "heap", T0, dir);
    history_close(h);
    pb = heap_bytes(f->a, 9, &len);
    join(path, dir, "20251123T101502.123Z.pb");
    write_file(path, pb, len);
    gz = gzip_bytes(heap_bytes(f->a, 11, &len), len, &gzlen);
    join(path, dir, "20251123T101503.123Z.pb.gz");
    write_file(path, gz, gzlen);
    free(gz);

    h = hopen(f, &nolimits);
    assert_int_equal(history_list(h, "t", "heap", &list, &n), HW_OK);
    assert_int_equal(n, 4);
    assert_heap_totals(&list[0], 1);
    assert_heap_totals(&list[1], 2);
    assert_int_equal(list[2].id, T0 + 2000);
    assert_heap_totals(&list[2], 9);
    assert_int_equal(list[2].size, (int64_t)len);
    assert_int_equal(list[3].id, T0 + 3000);
    assert_heap_totals(&list[3], 11);
    assert_int_equal(list[3].size, (int64_t)gzlen);
    free(list);
    /* The log was fixed up: all four lines are there. */
    join(index, dir, "index");
    assert_int_equal(count_lines(index), 4);
    history_close(h);
}

static void
test_torn_and_garbled_lines(void **state)
{
    struct fixture *f = *state;
    struct history *h = hopen(f, &nolimits);
    char dir[PATH_MAX], index[PATH_MAX];
    struct hist_entry *list;
    size_t n;
    FILE *fp;
    int c;

    store_heap(f, h, "t", T0, 1);
    store_heap(f, h, "t", T0 + 1000, 2);
    store_heap(f, h, "t", T0 + 2000, 3);
    series_dir(h, "t", "heap", T0, dir);
    history_close(h);
    join(index, dir, "index");
    /* Garble one digit of the first line's totals: its checksum fails. */
    fp = fopen(index, "r+");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 30, SEEK_SET), 0);
    c = fgetc(fp);
    assert_int_equal(fseek(fp, 30, SEEK_SET), 0);
    fputc(c == '7' ? '8' : '7', fp);
    fclose(fp);
    append_file(index, "v1 1763892903123 4"); /* a torn last line, no newline */

    h = hopen(f, &nolimits);
    assert_int_equal(history_open_warnings(h), 0);
    assert_int_equal(history_list(h, "t", "heap", &list, &n), HW_OK);
    assert_int_equal(n, 3);
    assert_heap_totals(&list[0], 1); /* recovered by decoding the file */
    assert_heap_totals(&list[2], 3);
    free(list);
    assert_int_equal(count_lines(index), 3);
    /* The torn tail is gone, so the next line appended is whole. */
    store_heap(f, h, "t", T0 + 3000, 4);
    history_close(h);
    h = hopen(f, &nolimits);
    assert_int_equal(history_list(h, "t", "heap", &list, &n), HW_OK);
    assert_int_equal(n, 4);
    assert_heap_totals(&list[3], 4);
    free(list);
    assert_int_equal(count_lines(index), 4);
    history_close(h);
}

static void
test_leftover_temp_files_removed(void **state)
{
    struct fixture *f = *state;
    struct history *h = hopen(f, &nolimits);
    char dir[PATH_MAX], path[PATH_MAX], tdir[PATH_MAX], top[PATH_MAX];
    struct hist_entry *list;
    size_t n;

    store_heap(f, h, "t", T0, 1);
    series_dir(h, "t", "heap", T0, dir);
    history_close(h);
    join(path, dir, ".tmp-1763892901123-999-abcdef");
    write_file(path, "half a profile", 14);
    snprintf(tdir, sizeof(tdir), "%s", dir);
    *strrchr(tdir, '/') = '\0';
    strcat(tdir, "/.tmp-target-999-1234");
    write_file(tdir, "{", 1);
    data_dir(f, top);
    strcat(top, "/.tmp-dir-999-55");
    assert_int_equal(mkdir(top, 0755), 0);
    strcat(top, "/target.json");
    write_file(top, "{}", 2);
    assert_int_equal(count_named(f->dir, ".tmp-"), 3);

    h = hopen(f, &nolimits);
    assert_int_equal(count_named(f->dir, ".tmp-"), 0);
    assert_int_equal(history_list(h, "t", "heap", &list, &n), HW_OK);
    assert_int_equal(n, 1);
    free(list);
    history_close(h);
}

static void
test_corrupt_file_moved_aside(void **state)
{
    struct fixture *f = *state;
    struct history *h = hopen(f, &nolimits);
    char dir[PATH_MAX], path[PATH_MAX], moved[PATH_MAX];
    struct errbuf eb = {{0}};
    struct hist_entry *list;
    size_t n;

    store_heap(f, h, "t", T0, 1);
    series_dir(h, "t", "heap", T0, dir);
    history_close(h);
    join(path, dir, "20251123T101509.000Z.pb");
    write_file(path, "\x0a\xff\xff\xff\xff\x0f\x01", 7);
    /* Names that are not ours are left alone and not indexed. */
    join(moved, dir, "notes.txt");
    write_file(moved, "hello", 5);
    join(moved, dir, "20251131T101509.000Z.pb");
    write_file(moved, "\x0a\x00", 2);

    data_dir(f, path);
    assert_int_equal(history_open(path, &nolimits, &h, &eb), HW_OK);
    assert_int_equal(history_open_warnings(h), 1);
    assert_non_null(strstr(history_open_message(h), "20251123T101509.000Z.pb"));
    assert_non_null(strstr(history_open_message(h), "corrupt/"));
    assert_non_null(strstr(eb.msg, "20251123T101509.000Z.pb"));
    assert_int_equal(history_list(h, "t", "heap", &list, &n), HW_OK);
    assert_int_equal(n, 1);
    free(list);
    join(path, dir, "20251123T101509.000Z.pb");
    assert_false(exists(path));
    join(path, dir, "corrupt/20251123T101509.000Z.pb");
    assert_true(exists(path));
    join(path, dir, "notes.txt");
    assert_true(exists(path));
    assert_true(exists(moved));
    history_close(h);
    /* Once aside, it is no longer reported. */
    h = hopen(f, &nolimits);
    assert_int_equal(history_open_warnings(h), 0);
    history_close(h);
}

static void
test_deleted_files_dropped(void **state)
{
    struct fixture *f = *state;
    struct history *h = hopen(f, &nolimits);
    char dir[PATH_MAX], index[PATH_MAX], *path;
    struct hist_entry *list;
    size_t n;
    int k;

    for (k = 0; k < 4; k++)
        store_heap(f, h, "t", T0 + 1000 * k, k);
    series_dir(h, "t", "heap", T0, dir);
    path = history_path(h, "t", "heap", T0 + 1000);
    assert_int_equal(unlink(path), 0);
    free(path);
    path = history_path(h, "t", "heap", T0 + 3000);
    assert_int_equal(unlink(path), 0);
    free(path);
    history_close(h);

    h = hopen(f, &nolimits);
    assert_int_equal(history_list(h, "t", "heap", &list, &n), HW_OK);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].id, T0);
    assert_int_equal(list[1].id, T0 + 2000);
    assert_heap_totals(&list[1], 2);
    free(list);
    join(index, dir, "index");
    assert_int_equal(count_lines(index), 2); /* compacted on open */
    history_close(h);
}

static void
assert_ids(struct history *h, const char *target, const int64_t *ids, size_t nids)
{
    struct hist_entry *list;
    size_t n, i;

    assert_int_equal(history_list(h, target, "heap", &list, &n), HW_OK);
    assert_int_equal(n, nids);
    for (i = 0; i < n; i++) {
        char *path = history_path(h, target, "heap", ids[i]);

        assert_int_equal(list[i].id, ids[i]);
        assert_non_null(path);
        assert_true(exists(path));
        free(path);
    }
    free(list);
}

static void
test_retention_by_count(void **state)
{
    struct fixture *f = *state;
    struct history_limits lim = {.retention_count = 3};
    struct history *h = hopen(f, &lim);
    char dir[PATH_MAX], path[PATH_MAX];
    size_t nfiles;
    int64_t nbytes;
    int k;

    for (k = 0; k < 6; k++)
        store_heap(f, h, "t", T0 + 1000 * k, k);
    series_dir(h, "t", "heap", T0 + 5000, dir);
    assert_ids(h, "t", (const int64_t[]){T0 + 3000, T0 + 4000, T0 + 5000}, 3);
    join(path, dir, "20251123T101500.123Z.pb");
    assert_false(exists(path));
    history_stats(h, &nfiles, &nbytes);
    assert_int_equal(nfiles, 3);
    /* An older scrape stored late is kept; the oldest others go. */
    store_heap(f, h, "t", T0 + 500, 9);
    assert_ids(h, "t", (const int64_t[]){T0 + 500, T0 + 4000, T0 + 5000}, 3);
    history_close(h);
    h = hopen(f, &lim);
    assert_ids(h, "t", (const int64_t[]){T0 + 500, T0 + 4000, T0 + 5000}, 3);
    history_close(h);
}

static ino_t
inode_of(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return st.st_ino;
}

/* Retention's first dropped file becomes the spare that the next store writes into;
 * a file with another hard link is unlinked instead, and keeps its bytes. */
static void
test_retention_recycles_files(void **state)
{
    struct fixture *f = *state;
    struct history_limits lim = {.retention_count = 2};
    struct history *h = hopen(f, &lim);
    char dir[PATH_MAX], other[PATH_MAX], *path, *p4;
    struct buf b, kept;
    struct hist_entry e;
    ino_t first;

    store_heap(f, h, "t", T0, 0);
    path = history_path(h, "t", "heap", T0);
    first = inode_of(path);
    free(path);
    store_heap(f, h, "t", T0 + 1000, 1);
    series_dir(h, "t", "heap", T0, dir);
    assert_int_equal(count_named(dir, ".tmp-"), 0);
    store_heap(f, h, "t", T0 + 2000, 2); /* drops T0: the spare */
    assert_int_equal(count_named(dir, ".tmp-"), 1);
    e = store_heap(f, h, "t", T0 + 3000, 3); /* written into the spare; drops T0 + 1000 */
    path = history_path(h, "t", "heap", T0 + 3000);
    assert_int_equal(inode_of(path), first);
    free(path);
    assert_int_equal(e.totals[0], 4);
    buf_init(&b, 1 << 20);
    assert_int_equal(history_read(h, "t", "heap", T0 + 3000, &b, NULL), HW_OK);
    {
        struct profile *p;

        assert_int_equal(profile_decode(b.data, b.len, 0, &p, NULL), HW_OK);
        arena_free(p->arena);
    }
    buf_reset(&b);

    /* T0 + 2000 gets a second link before retention drops it. */
    p4 = history_path(h, "t", "heap", T0 + 2000);
    join(other, f->dir, "kept.pb");
    assert_int_equal(link(p4, other), 0);
    buf_init(&kept, 1 << 20);
    assert_int_equal(history_read(h, "t", "heap", T0 + 2000, &kept, NULL), HW_OK);
    store_heap(f, h, "t", T0 + 4000, 4); /* uses the spare from T0 + 1000, drops T0 + 2000 */
    assert_false(exists(p4));
    store_heap(f, h, "t", T0 + 5000, 5); /* no spare: a new file */
    store_heap(f, h, "t", T0 + 6000, 6);
    buf_init(&b, 1 << 20);
    {
        FILE *fp = fopen(other, "rb");

        assert_non_null(fp);
        assert_int_equal(buf_read_file(&b, fp), HW_OK);
        fclose(fp);
        assert_int_equal(b.len, kept.len);
        assert_memory_equal(b.data, kept.data, kept.len);
    }
    buf_reset(&b);
    buf_reset(&kept);
    free(p4);
    assert_ids(h, "t", (const int64_t[]){T0 + 5000, T0 + 6000}, 2);
    history_close(h);
    assert_int_equal(count_named(dir, ".tmp-"), 0); /* the spare goes with close */
}

static void
test_retention_by_bytes(void **state)
{
    struct fixture *f = *state;
    struct history_limits lim = {.retention_bytes = 250};
    struct history *h = hopen(f, &lim);
    char big[300];
    size_t nfiles;
    int64_t nbytes;

    memset(big, 'x', sizeof(big));
    store(h, "t", "heap", T0, big, 100);
    store(h, "t", "heap", T0 + 1, big, 100);
    assert_ids(h, "t", (const int64_t[]){T0, T0 + 1}, 2);
    store(h, "t", "heap", T0 + 2, big, 100); /* 300 > 250: the oldest goes */
    assert_ids(h, "t", (const int64_t[]){T0 + 1, T0 + 2}, 2);
    store(h, "t", "heap", T0 + 3, big, 300); /* over the limit alone, but never dropped */
    assert_ids(h, "t", (const int64_t[]){T0 + 3}, 1);
    history_stats(h, &nfiles, &nbytes);
    assert_int_equal(nfiles, 1);
    assert_int_equal(nbytes, 300);
    history_close(h);
}

static void
test_retention_by_age(void **state)
{
    struct fixture *f = *state;
    struct history_limits lim = {.retention_ms = 60000};
    struct history *h = hopen(f, &lim);

    store_heap(f, h, "t", T0, 0);
    store_heap(f, h, "t", T0 + 30000, 1);
    store_heap(f, h, "t", T0 + 60000, 2); /* exactly at the limit: kept */
    assert_ids(h, "t", (const int64_t[]){T0, T0 + 30000, T0 + 60000}, 3);
    store_heap(f, h, "t", T0 + 95000, 3);
    assert_ids(h, "t", (const int64_t[]){T0 + 60000, T0 + 95000}, 2);
    store_heap(f, h, "t", T0 + 1000000, 4);
    assert_ids(h, "t", (const int64_t[]){T0 + 1000000}, 1);
    history_close(h);
}

/* Names that must stay inside the data directory and never share one. */
/* Names that must stay inside the data directory and never share one. */
/* clang-format off */
static const char *const hostile[] = {
    "..", ".", "", "../../etc", "a/b", "/abs", "a b", "a_b", "a\nb", "\xc3\xbc\xe2\x82\xac",
    "bad\xff\xfeutf8", ".tmp-x", "index", "-", "con", "x/../..", "a\\b", "..."};
/* clang-format on */

/* The directory of target name (malloc'd), checked to be a plain name one level below
 * the data directory. */
static char *
target_dir(struct history *h, const char *data, const char *name)
{
    char *dir = history_path(h, name, "heap", T0), *base;

    assert_non_null(dir);
    *strrchr(dir, '/') = '\0';
    *strrchr(dir, '/') = '\0';
    assert_int_equal(strncmp(dir, data, strlen(data)), 0);
    base = dir + strlen(data) + 1;
    assert_null(strchr(base, '/'));
    assert_true(base[0] != '.' && base[0] != '\0');
    return dir;
}

static void
test_hostile_target_names(void **state)
{
    struct fixture *f = *state;
    size_t nh = sizeof(hostile) / sizeof(hostile[0]), i, j, n;
    char long_name[1001], data[PATH_MAX], *dirs[32], **names;
    struct history *h = hopen(f, &nolimits);
    const char *all[32];

    memset(long_name, 'L', 1000);
    long_name[1000] = '\0';
    memcpy(all, hostile, sizeof(hostile));
    all[nh++] = long_name;
    all[nh++] = NULL; /* below: "a b"'s escaped directory, as a literal name */
    data_dir(f, data);
    for (i = 0; i < nh; i++) {
        if (all[i] == NULL)
            all[i] = strrchr(dirs[6], '/') + 1; /* "a b" -> "a_b-xxxxxxxx" */
        store_heap(f, h, all[i], T0, (int64_t)i);
        dirs[i] = target_dir(h, data, all[i]);
        for (j = 0; j < i; j++)
            assert_string_not_equal(dirs[i], dirs[j]);
    }
    history_close(h);
    /* Nothing was written outside the data directory. */
    assert_int_equal(count_named(f->dir, "data") + count_named(data, ""), count_named(f->dir, ""));
    h = hopen(f, &nolimits);
    assert_int_equal(history_open_warnings(h), 0);
    assert_int_equal(history_targets(h, &names, &n), HW_OK);
    assert_int_equal(n, nh);
    for (i = 0; i < nh; i++) {
        struct hist_entry e;

        assert_int_equal(history_find(h, all[i], "heap", INT64_MAX, &e), HW_OK);
        assert_heap_totals(&e, (int64_t)i);
    }
    for (i = 1; i < n; i++)
        assert_true(strcmp(names[i - 1], names[i]) < 0);
    history_names_free(names, n);
    for (i = 0; i < nh; i++)
        free(dirs[i]);
    history_close(h);
}

static void
test_bad_types_refused(void **state)
{
    struct fixture *f = *state;
    struct history *h = hopen(f, &nolimits);
    const char *bad[] = {"", "..", "../x", "a/b", "heap.x", "target.json", "a b", "corrupt\n"};
    struct hist_entry e;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&e, 0, sizeof(e));
        e.id = T0;
        assert_int_equal(history_store(h, "t", bad[i], "x", 1, &e, NULL), HW_USAGE);
    }
    e.ntotals = HIST_MAX_TOTALS + 1;
    assert_int_equal(history_store(h, "t", "heap", "x", 1, &e, NULL), HW_USAGE);
    e.ntotals = 0;
    e.id = -1;
    assert_int_equal(history_store(h, "t", "heap", "x", 1, &e, NULL), HW_USAGE);
    history_close(h);
}

static void
test_compaction(void **state)
{
    struct fixture *f = *state;
    struct history_limits lim = {.retention_count = 4};
    struct history *h = hopen(f, &lim);
    char dir[PATH_MAX], index[PATH_MAX];
    size_t max = 0;
    int k;

    store_heap(f, h, "t", T0, 0);
    series_dir(h, "t", "heap", T0, dir);
    join(index, dir, "index");
    for (k = 1; k < 50; k++) {
        size_t lines;

        store_heap(f, h, "t", T0 + 1000 * k, k);
        lines = count_lines(index);
        assert_true(lines <= 2 * 4);
        assert_true(lines >= (k + 1 < 4 ? (size_t)k + 1 : 4));
        max = lines > max ? lines : max;
    }
    assert_int_equal(max, 8);
    assert_int_equal(count_named(dir, "2025"), 4);
    history_close(h);
    h = hopen(f, &lim);
    assert_ids(h, "t", (const int64_t[]){T0 + 46000, T0 + 47000, T0 + 48000, T0 + 49000}, 4);
    history_close(h);
}

static void
test_find_and_get(void **state)
{
    struct fixture *f = *state;
    struct history *h = hopen(f, &nolimits);
    struct hist_entry e;

    assert_int_equal(history_find(h, "t", "heap", INT64_MAX, &e), HW_USAGE);
    store_heap(f, h, "t", 1000, 1);
    store_heap(f, h, "t", 3000, 3);
    store_heap(f, h, "t", 2000, 2); /* out of order, still sorted */
    assert_int_equal(history_find(h, "t", "heap", 999, &e), HW_USAGE);
    assert_int_equal(history_find(h, "t", "heap", INT64_MIN, &e), HW_USAGE);
    assert_int_equal(history_find(h, "t", "heap", 1000, &e), HW_OK);
    assert_int_equal(e.id, 1000);
    assert_int_equal(history_find(h, "t", "heap", 2500, &e), HW_OK);
    assert_int_equal(e.id, 2000);
    assert_heap_totals(&e, 2);
    assert_int_equal(history_find(h, "t", "heap", 3000, &e), HW_OK);
    assert_int_equal(e.id, 3000);
    assert_int_equal(history_find(h, "t", "heap", INT64_MAX, &e), HW_OK);
    assert_int_equal(e.id, 3000);
    assert_int_equal(history_find(h, "t", "allocs", INT64_MAX, &e), HW_USAGE);
    assert_int_equal(history_find(h, "u", "heap", INT64_MAX, &e), HW_USAGE);
    assert_int_equal(history_get(h, "t", "heap", 2000, &e), HW_OK);
    assert_heap_totals(&e, 2);
    assert_int_equal(history_get(h, "t", "heap", 2001, &e), HW_USAGE);
    history_close(h);
}

static void
test_read_limits_and_missing(void **state)
{
    struct fixture *f = *state;
    struct history *h = hopen(f, &nolimits);
    struct errbuf eb = {{0}};
    size_t len;
    unsigned char *data = heap_bytes(f->a, 3, &len);
    struct buf b;
    char *path;

    store(h, "t", "heap", T0, data, len);
    buf_init(&b, len - 1);
    assert_int_equal(history_read(h, "t", "heap", T0, &b, &eb), HW_TOOBIG);
    buf_reset(&b);
    buf_init(&b, len);
    assert_int_equal(history_read(h, "t", "heap", T0, &b, NULL), HW_OK);
    assert_memory_equal(b.data, data, len);
    buf_reset(&b);
    assert_int_equal(history_read(h, "t", "heap", T0 + 1, &b, NULL), HW_USAGE);
    path = history_path(h, "t", "heap", T0);
    unlink(path);
    free(path);
    assert_int_equal(history_read(h, "t", "heap", T0, &b, NULL), HW_USAGE);
    buf_reset(&b);
    history_close(h);
}

static void
test_targets_types_and_labels(void **state)
{
    struct fixture *f = *state;
    struct history *h = hopen(f, &nolimits);
    const char *keys[] = {"env", "zone"}, *values[] = {"prod", "eu-1"};
    const char *values2[] = {"prod", "eu-2"};
    char tdir[PATH_MAX], json[PATH_MAX], **names;
    struct stat st1, st2;
    size_t n;

    assert_int_equal(history_set_target(h, "api server", keys, values, 2, NULL), HW_OK);
    store_heap(f, h, "api server", T0, 1);
    store(h, "api server", "allocs", T0, "x", 1);
    store(h, "api server", "goroutine", T0, "goroutine profile: total 1\n", 27);
    series_dir(h, "api server", "heap", T0, tdir);
    *strrchr(tdir, '/') = '\0';
    join(json, tdir, "target.json");
    assert_int_equal(stat(json, &st1), 0);
    /* Unchanged (labels in another order): not rewritten. */
    assert_int_equal(history_set_target(h, "api server", (const char *[]){"zone", "env"},
                                        (const char *[]){"eu-1", "prod"}, 2, NULL),
                     HW_OK);
    assert_int_equal(stat(json, &st2), 0);
    assert_int_equal(st1.st_ino, st2.st_ino);
    assert_int_equal(history_set_target(h, "api server", keys, values2, 2, NULL), HW_OK);
    assert_int_equal(stat(json, &st2), 0);
    assert_true(st1.st_ino != st2.st_ino);
    assert_int_equal(history_set_target(h, "idle", NULL, NULL, 0, NULL), HW_OK);
    assert_int_equal(history_types(h, "api server", &names, &n), HW_OK);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "allocs");
    assert_string_equal(names[1], "goroutine");
    assert_string_equal(names[2], "heap");
    history_names_free(names, n);
    history_close(h);

    h = hopen(f, &nolimits);
    assert_int_equal(history_targets(h, &names, &n), HW_OK);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "api server");
    assert_string_equal(names[1], "idle");
    history_names_free(names, n);
    /* Read back, the same labels are no change. */
    assert_int_equal(stat(json, &st1), 0);
    assert_int_equal(history_set_target(h, "api server", keys, values2, 2, NULL), HW_OK);
    assert_int_equal(stat(json, &st2), 0);
    assert_int_equal(st1.st_ino, st2.st_ino);
    assert_int_equal(history_types(h, "nobody", &names, &n), HW_OK);
    assert_int_equal(n, 0);
    history_names_free(names, n);
    history_close(h);
}

/* A directory made by hand, without target.json, is a target named after it. */
static void
test_directory_without_target_json(void **state)
{
    struct fixture *f = *state;
    char path[PATH_MAX];
    struct history *h = hopen(f, &nolimits);
    struct hist_entry e;
    size_t len;
    unsigned char *data = heap_bytes(f->a, 4, &len);

    history_close(h);
    data_dir(f, path);
    strcat(path, "/legacy-host");
    assert_int_equal(mkdir(path, 0755), 0);
    strcat(path, "/heap");
    assert_int_equal(mkdir(path, 0755), 0);
    strcat(path, "/20251123T101500.123Z.pb");
    write_file(path, data, len);
    h = hopen(f, &nolimits);
    assert_int_equal(history_find(h, "legacy-host", "heap", INT64_MAX, &e), HW_OK);
    assert_heap_totals(&e, 4);
    assert_int_equal(store_heap(f, h, "legacy-host", T0, 5).id, T0 + 1);
    history_close(h);
}

/* ---- threads ---- */

struct shared {
    struct history *h;
    struct fixture *f;
    unsigned char *data;
    size_t len;
    atomic_int writers_left;
    atomic_int errors;
    int index;
};

static void *
writer(void *arg)
{
    struct shared *sh = arg;
    int me = __atomic_fetch_add(&sh->index, 1, __ATOMIC_SEQ_CST), k;
    char name[16];

    snprintf(name, sizeof(name), "target-%d", me);
    for (k = 0; k < 40; k++) {
        struct hist_entry e;

        memset(&e, 0, sizeof(e));
        e.id = T0 + 1000 * k;
        e.ntotals = 1;
        e.totals[0] = k;
        if (history_store(sh->h, name, k % 2 ? "heap" : "allocs", sh->data, sh->len, &e, NULL) !=
            HW_OK)
            atomic_fetch_add(&sh->errors, 1);
    }
    atomic_fetch_sub(&sh->writers_left, 1);
    return NULL;
}

static void
reader_pass(struct shared *sh)
{
    char **names;
    size_t n, i, m, nfiles;
    int64_t nbytes;

    if (history_targets(sh->h, &names, &n) != HW_OK)
        atomic_fetch_add(&sh->errors, 1);
    for (i = 0; i < n; i++) {
        struct hist_entry *list, e;
        struct buf b;

        if (history_list(sh->h, names[i], "heap", &list, &m) != HW_OK)
            atomic_fetch_add(&sh->errors, 1);
        free(list);
        if (history_find(sh->h, names[i], "heap", INT64_MAX, &e) != HW_OK)
            continue;
        buf_init(&b, 0);
        /* Retention may remove it meanwhile; what is read must be whole. */
        if (history_read(sh->h, names[i], "heap", e.id, &b, NULL) == HW_OK &&
            (b.len != sh->len || memcmp(b.data, sh->data, b.len) != 0))
            atomic_fetch_add(&sh->errors, 1);
        buf_reset(&b);
    }
    history_names_free(names, n);
    history_stats(sh->h, &nfiles, &nbytes);
    if ((int64_t)nfiles * (int64_t)sh->len != nbytes)
        atomic_fetch_add(&sh->errors, 1);
}

static void *
reader(void *arg)
{
    struct shared *sh = arg;

    while (atomic_load(&sh->writers_left) > 0)
        reader_pass(sh);
    reader_pass(sh);
    return NULL;
}

static void
test_concurrent_stores_and_reads(void **state)
{
    struct fixture *f = *state;
    struct history_limits lim = {.retention_count = 8};
    struct shared sh = {.f = f};
    pthread_t th[6];
    size_t nfiles, n;
    int64_t nbytes;
    char **names;
    int i;

    sh.h = hopen(f, &lim);
    sh.data = heap_bytes(f->a, 3, &sh.len);
    atomic_init(&sh.writers_left, 4);
    atomic_init(&sh.errors, 0);
    for (i = 0; i < 6; i++)
        assert_int_equal(pthread_create(&th[i], NULL, i < 4 ? writer : reader, &sh), 0);
    for (i = 0; i < 6; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&sh.errors), 0);
    history_stats(sh.h, &nfiles, &nbytes);
    assert_int_equal(nfiles, 4 * 2 * 8);
    assert_int_equal(nbytes, (int64_t)(4 * 2 * 8 * sh.len));
    history_close(sh.h);
    sh.h = hopen(f, &lim);
    assert_int_equal(history_targets(sh.h, &names, &n), HW_OK);
    assert_int_equal(n, 4);
    history_names_free(names, n);
    history_stats(sh.h, &nfiles, &nbytes);
    assert_int_equal(nfiles, 4 * 2 * 8);
    assert_int_equal(count_named(f->dir, ".tmp-"), 0);
    history_close(sh.h);
}

/* ---- SIGKILL at random moments ---- */

static void
child_store_forever(const char *dir, int run)
{
    struct history_limits lim = {.retention_count = 6};
    struct arena *a = arena_new(0);
    struct history *h;
    int64_t k;

    if (a == NULL || history_open(dir, &lim, &h, NULL) != HW_OK)
        _exit(2);
    for (k = 0; k < 100000; k++) {
        struct hist_entry e;
        size_t len, gzlen;
        unsigned char *data = heap_bytes(a, k % 97, &len), *gz = NULL;
        struct profile *p;

        memset(&e, 0, sizeof(e));
        e.id = T0 + run * INT64_C(10000000) + k;
        if (profile_decode(data, len, 0, &p, NULL) != HW_OK)
            _exit(3);
        history_totals(p, &e);
        arena_free(p->arena);
        if (k % 3 == 0)
            data = gz = gzip_bytes(data, len, &gzlen), len = gzlen;
        if (history_store(h, k % 2 ? "one" : "two/../x", k % 5 ? "heap" : "allocs", data, len, &e,
                          NULL) != HW_OK)
            _exit(4);
        free(gz);
    }
    _exit(0);
}

static void
check_everything_reads(struct history *h)
{
    char **targets;
    size_t nt, i, total = 0;

    assert_int_equal(history_targets(h, &targets, &nt), HW_OK);
    for (i = 0; i < nt; i++) {
        const char *types[] = {"heap", "allocs"};
        size_t j, k, n;

        for (j = 0; j < 2; j++) {
            struct hist_entry *list, e;

            assert_int_equal(history_list(h, targets[i], types[j], &list, &n), HW_OK);
            for (k = 0; k < n; k++) {
                struct profile *p;
                struct buf b;

                buf_init(&b, 0);
                assert_int_equal(history_read(h, targets[i], types[j], list[k].id, &b, NULL),
                                 HW_OK);
                assert_int_equal(b.len, list[k].size);
                assert_int_equal(profile_decode(b.data, b.len, 0, &p, NULL), HW_OK);
                memset(&e, 0, sizeof(e));
                history_totals(p, &e);
                assert_int_equal(e.ntotals, list[k].ntotals);
                assert_memory_equal(e.totals, list[k].totals, sizeof(e.totals));
                arena_free(p->arena);
                buf_reset(&b);
            }
            total += n;
            free(list);
        }
    }
    history_names_free(targets, nt);
    assert_true(total > 0);
}

static void
test_sigkill_at_random_moments(void **state)
{
    struct fixture *f = *state;
    char dir[PATH_MAX];
    struct history *h;
    int run, status;

    data_dir(f, dir);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    for (run = 0; run < 8; run++) {
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0)
            child_store_forever(dir, run);
        usleep(10000 + (useconds_t)(rand() % 80000));
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status)); /* still storing when killed */
    }
    h = hopen(f, &nolimits);
    assert_int_equal(history_open_warnings(h), 0);
    assert_int_equal(count_named(f->dir, ".tmp-"), 0);
    check_everything_reads(h);
    history_close(h);
    /* A second open finds nothing left to fix. */
    h = hopen(f, &nolimits);
    assert_int_equal(history_open_warnings(h), 0);
    check_everything_reads(h);
    history_close(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        HTEST(test_store_list_read_roundtrip),
        HTEST(test_file_name_from_id),
        HTEST(test_colliding_ids_move_forward),
        HTEST(test_extension_by_content),
        HTEST(test_reopen_rebuilds_same_index),
        HTEST(test_file_without_index_line_is_recovered),
        HTEST(test_torn_and_garbled_lines),
        HTEST(test_leftover_temp_files_removed),
        HTEST(test_corrupt_file_moved_aside),
        HTEST(test_deleted_files_dropped),
        HTEST(test_retention_by_count),
        HTEST(test_retention_recycles_files),
        HTEST(test_retention_by_bytes),
        HTEST(test_retention_by_age),
        HTEST(test_hostile_target_names),
        HTEST(test_bad_types_refused),
        HTEST(test_compaction),
        HTEST(test_find_and_get),
        HTEST(test_read_limits_and_missing),
        HTEST(test_targets_types_and_labels),
        HTEST(test_directory_without_target_json),
        HTEST(test_concurrent_stores_and_reads),
        HTEST(test_sigkill_at_random_moments),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* history.c - stored scrapes on disk with an in-memory index. Each (target, type) is a
 * series: a directory of scrape files named by their id, an append-only index log of
 * their totals, and in memory a growable array of struct hist_entry sorted by id.
 *
 * Durability comes from the files, not the log: a scrape is renamed into place (and
 * its directory fsynced) before its log line is appended, so the log may lag behind
 * the files but never names a file that was not complete. Open trusts a log line only
 * when its checksum holds and its file exists, and decodes any file the log misses.
 * The log is not fsynced: a lost line costs one decode on the next open.
 *
 * Locks: h->mu guards the in-memory index and is never held across file I/O, so a
 * reader never waits behind an fsync. A store holds its series' mutex (one writer per
 * series; different series write and fsync in parallel), and creating a target's
 * directory or writing its target.json holds the target's. Order: series, target,
 * h->mu. Targets and series are never freed before history_close, so their pointers
 * stay valid once h->mu is dropped.
 *
 * A file's extension lives in two private flag bits (EXT_MASK), masked off before an
 * entry leaves this file.
 *
 * Retention recycles: the first file it drops is renamed to a temporary name (the
 * series' spare) instead of unlinked, and the series' next store truncates and
 * writes that file instead of creating one. In steady state a series then allocates
 * and frees no inodes; on ext4 without a journal, where allocating an inode skips
 * every one freed in the last minutes, that was the largest single cost of a store.
 * Only a file with one link becomes a spare, so a hard link kept elsewhere is never
 * overwritten; anyone still reading the dropped file has until the next scrape of
 * the series (one interval) before its bytes change. */
#include "history.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "arena.h"
#include "decode.h"
#include "profile.h"

#define PUBLIC_FLAGS 0x3f
#define EXT_SHIFT 6
#define EXT_MASK 0xc0
enum { EXT_PB, EXT_PBGZ, EXT_TXT, EXT_COUNT };
static const char *const ext_suffix[EXT_COUNT] = {".pb", ".pb.gz", ".txt"};

#define STAMP_LEN 20                    /* 20261123T101500.123Z */
#define FILE_NAME_MAX 32                /* a stamp and the longest suffix */
#define MAX_ID INT64_C(253402300799999) /* 9999-12-31T23:59:59.999Z */
#define DIRNAME_MAX 100                 /* characters kept of a target name, before the hash */
#define TYPE_MAX 64
#define DIR_MAX (PATH_MAX - 512) /* room below the data directory for our names */
#define LINE_MAX_LEN 512
#define TMP_PREFIX ".tmp-"

struct series {
    pthread_mutex_t mu; /* one writer at a time */
    char *type;
    char *dir; /* DIR/<target>/<type> */
    bool on_disk;
    struct hist_entry *e; /* sorted by id; h->mu */
    size_t n, cap;        /* h->mu */
    int64_t bytes;        /* h->mu */
    size_t loglines;      /* lines in the index log, live or dead; s->mu */
    bool log_stale;       /* an append failed: rewrite the log; s->mu */
    char *spare;          /* a dropped file renamed to a temporary name, or NULL; s->mu */
};

struct target {
    pthread_mutex_t mu; /* directory creation and target.json */
    char *name;
    char *dir;              /* DIR/<dirname> */
    const char *dirname;    /* the last component of dir */
    bool on_disk;           /* t->mu */
    char *json;             /* target.json as written or read, NULL when absent; t->mu */
    struct series **series; /* h->mu */
    size_t nseries;
};

struct history {
    pthread_mutex_t mu;
    char *dir;
    struct history_limits lim;
    struct target **targets; /* sorted by name */
    size_t ntargets, cap;
    size_t nfiles;
    int64_t nbytes;
    _Atomic uint64_t tmpseq;
    size_t nwarnings; /* problems open worked around; the first is in warning */
    struct errbuf warning;
};

struct victim {
    int64_t id;
    uint8_t ext;
};

static void history_warn(struct history *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
history_warn(struct history *h, const char *fmt, ...)
{
    va_list ap;

    h->nwarnings++;
    if (h->warning.msg[0] != '\0')
        return;
    va_start(ap, fmt);
    vsnprintf(h->warning.msg, sizeof(h->warning.msg), fmt, ap);
    va_end(ap);
}

/* ---- names ---- */

static uint32_t
fnv1a(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

static bool
name_char_ok(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

/* The directory name of a target (out holds DIRNAME_MAX + 10). Besides the header's
 * rule, a leading '.' is replaced (so ".", ".." and our ".tmp-" names cannot occur)
 * and a name past DIRNAME_MAX is cut; both count as a change, so the hash keeps
 * distinct names apart. */
static void
target_dirname(const char *name, char *out)
{
    bool changed = false;
    size_t n = 0;

    for (; name[n] != '\0'; n++) {
        unsigned char c = (unsigned char)name[n];

        if (n == DIRNAME_MAX) {
            changed = true;
            break;
        }
        if (!name_char_ok(c) || (n == 0 && c == '.')) {
            c = '_';
            changed = true;
        }
        out[n] = (char)c;
    }
    if (n == 0) {
        out[n++] = '_';
        changed = true;
    }
    out[n] = '\0';
    if (changed)
        snprintf(out + n, 10, "-%08" PRIx32, fnv1a(name));
}

/* Types come from configuration ("heap", "allocs"), so they are checked rather than
 * escaped: their directory name is the type itself. */
static bool
type_ok(const char *type)
{
    size_t n;

    for (n = 0; type[n] != '\0'; n++)
        if (n == TYPE_MAX || type[n] == '.' || !name_char_ok((unsigned char)type[n]))
            return false;
    return n > 0;
}

static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "20261123T101500.123Z" for id (0 <= id <= MAX_ID); out holds STAMP_LEN + 1. */
static void
stamp_format(int64_t id, char *out)
{
    time_t secs = (time_t)(id / 1000);
    struct tm tm;

    char tmp[64];

    gmtime_r(&secs, &tm);
    snprintf(tmp, sizeof(tmp), "%04d%02d%02dT%02d%02d%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(id % 1000));
    memcpy(out, tmp, STAMP_LEN + 1);
}

static void
file_name(int64_t id, unsigned ext, char *out)
{
    stamp_format(id, out);
    strcpy(out + STAMP_LEN, ext_suffix[ext]);
}

static int64_t
digits(const char *s, size_t n)
{
    int64_t v = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Reads a scrape file name back into its id and extension. Formatting the id again
 * must give the same stamp, which rejects out-of-range fields (a 31st of February). */
static bool
file_name_parse(const char *name, int64_t *id, uint8_t *ext)
{
    char again[STAMP_LEN + 1];
    int64_t y, mo, d, hh, mi, ss, ms;
    unsigned i;

    if (strlen(name) <= STAMP_LEN || name[8] != 'T' || name[15] != '.' || name[19] != 'Z')
        return false;
    y = digits(name, 4), mo = digits(name + 4, 2), d = digits(name + 6, 2);
    hh = digits(name + 9, 2), mi = digits(name + 11, 2), ss = digits(name + 13, 2);
    ms = digits(name + 16, 3);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || hh < 0 || mi < 0 || ss < 0 || ms < 0 || y < 1970)
        return false;
    *id = ((days_from_civil(y, mo, d) * 24 + hh) * 60 + mi) * 60 * 1000 + ss * 1000 + ms;
    stamp_format(*id, again);
    if (memcmp(again, name, STAMP_LEN) != 0)
        return false;
    for (i = 0; i < EXT_COUNT; i++)
        if (strcmp(name + STAMP_LEN, ext_suffix[i]) == 0) {
            *ext = (uint8_t)i;
            return true;
        }
    return false;
}

/* The extension by content: gzip, text (a known legacy header, or printable ASCII
 * throughout the first bytes), else binary protobuf. */
static unsigned
sniff_ext(const unsigned char *p, size_t len)
{
    static const char *const heads[] = {"heap profile:", "goroutine profile:", "---"};
    size_t i, n = len < 256 ? len : 256;

    if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
        return EXT_PBGZ;
    for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
        if (len >= strlen(heads[i]) && memcmp(p, heads[i], strlen(heads[i])) == 0)
            return EXT_TXT;
    for (i = 0; i < n; i++)
        if ((p[i] < 0x20 || p[i] > 0x7e) && p[i] != '\n' && p[i] != '\r' && p[i] != '\t')
            return EXT_PB;
    return len > 0 ? EXT_TXT : EXT_PB;
}

/* ---- files ---- */

/* dir/name into out (PATH_MAX bytes). The data directory is at most DIR_MAX long and
 * every name below it is bounded, so the path always fits. */
static void
path_join(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

    assert(n > 0 && n < PATH_MAX);
    (void)n;
}

static int
fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* Creates directory path if needed; a new directory is made durable by fsyncing its
 * parent. */
static enum hw_err
mkdir_synced(const char *path, struct errbuf *eb)
{
    char parent[PATH_MAX];
    char *slash;

    if (mkdir(path, 0755) != 0) {
        struct stat st;

        if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return HW_OK;
        return errbuf_set(eb, HW_IO, "mkdir %s: %s", path, strerror(errno));
    }
    snprintf(parent, sizeof(parent), "%s", path);
    slash = strrchr(parent, '/');
    if (slash == parent)
        slash[1] = '\0';
    else if (slash != NULL)
        *slash = '\0';
    else
        strcpy(parent, ".");
    if (fsync_dir(parent) != 0)
        return errbuf_set(eb, HW_IO, "fsync %s: %s", parent, strerror(errno));
    return HW_OK;
}

static enum hw_err
mkdir_parents(const char *dir, struct errbuf *eb)
{
    char path[PATH_MAX];
    enum hw_err err;
    size_t i;

    snprintf(path, sizeof(path), "%s", dir);
    for (i = 1; path[i] != '\0'; i++) {
        if (path[i] != '/' || path[i - 1] == '/')
            continue;
        path[i] = '\0';
        err = mkdir_synced(path, eb);
        path[i] = '/';
        if (err != HW_OK)
            return err;
    }
    return mkdir_synced(path, eb);
}

static int
write_all(int fd, const void *data, size_t len)
{
    const unsigned char *p = data;

    while (len > 0) {
        ssize_t w = write(fd, p, len);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* A temporary name unique among live processes: the pid, a per-history counter and
 * the clock, so it is also recognisable as ours on the next open. */
static void
tmp_name(struct history *h, const char *tag, char *out, size_t n)
{
    struct timespec ts;
    uint64_t r;

    clock_gettime(CLOCK_REALTIME, &ts);
    r = (atomic_fetch_add(&h->tmpseq, 1) + 1) * UINT64_C(0x9e3779b97f4a7c15);
    r ^= (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30);
    snprintf(out, n, TMP_PREFIX "%s-%ld-%016" PRIx64, tag, (long)getpid(), r);
}

static int
tmp_create(struct history *h, const char *dir, const char *tag, char *path)
{
    char name[96];
    int fd = -1, tries;

    for (tries = 0; tries < 4 && fd < 0; tries++) {
        tmp_name(h, tag, name, sizeof(name));
        path_join(path, dir, name);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    return fd;
}

/* Writes dir/name atomically: a temporary file in dir, fsync, rename, fsync dir. The
 * temporary file is *spare (taken: freed and NULLed) when spare is not NULL, there is
 * one and it opens. */
static enum hw_err
write_atomic(struct history *h, const char *dir, const char *tag, const char *name,
             const void *data, size_t len, char **spare, struct errbuf *eb)
{
    char tmp[PATH_MAX], dst[PATH_MAX];
    int fd = -1, bad;

    if (spare != NULL && *spare != NULL) {
        /* drop_file made the name with path_join, so it fits. Not O_TRUNC: writing
         * over the old blocks and cutting the tail after keeps the blocks a
         * same-sized scrape needs instead of freeing and allocating them again. */
        snprintf(tmp, sizeof(tmp), "%s", *spare);
        if ((fd = open(tmp, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
            unlink(tmp);
        free(*spare);
        *spare = NULL;
    }
    if (fd < 0 && (fd = tmp_create(h, dir, tag, tmp)) < 0)
        return errbuf_set(eb, HW_IO, "create %s: %s", tmp, strerror(errno));
    bad = write_all(fd, data, len) != 0 || ftruncate(fd, (off_t)len) != 0 || fsync(fd) != 0;
    if (close(fd) != 0 || bad) {
        errbuf_set(eb, HW_IO, "write %s: %s", tmp, strerror(errno));
        unlink(tmp);
        return HW_IO;
    }
    path_join(dst, dir, name);
    if (rename(tmp, dst) != 0) {
        errbuf_set(eb, HW_IO, "rename %s: %s", dst, strerror(errno));
        unlink(tmp);
        return HW_IO;
    }
    if (fsync_dir(dir) != 0)
        return errbuf_set(eb, HW_IO, "fsync %s: %s", dir, strerror(errno));
    return HW_OK;
}

/* Drops a file retention removed: the first one with a single link becomes the
 * series' spare, the rest are unlinked. Called with s->mu held. */
static void
drop_file(struct history *h, struct series *s, const char *path)
{
    char spare[PATH_MAX], name[96];
    struct stat st;

    if (s->spare == NULL && lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1) {
        tmp_name(h, "spare", name, sizeof(name));
        path_join(spare, s->dir, name);
        if (rename(path, spare) == 0) {
            if ((s->spare = strdup(spare)) == NULL)
                unlink(spare);
            return;
        }
    }
    unlink(path);
}

/* Reads path into out, refusing more than out->max bytes. HW_USAGE when it is gone. */
static enum hw_err
file_read(const char *path, struct buf *out, struct errbuf *eb)
{
    struct stat st;
    enum hw_err err;
    FILE *f;

    if ((f = fopen(path, "rbe")) == NULL)
        return errbuf_set(eb, errno == ENOENT ? HW_USAGE : HW_IO, "open %s: %s", path,
                          strerror(errno));
    if (fstat(fileno(f), &st) == 0 && st.st_size > 0) {
        if (out->max != 0 && (uint64_t)st.st_size > out->max - out->len)
            err = HW_TOOBIG;
        else
            err = buf_reserve(out, (size_t)st.st_size);
        if (err != HW_OK) {
            fclose(f);
            return errbuf_set(eb, err, "read %s: %s", path, hw_strerror(err));
        }
    }
    err = buf_read_file(out, f);
    fclose(f);
    if (err != HW_OK)
        return errbuf_set(eb, err, "read %s: %s", path, hw_strerror(err));
    return HW_OK;
}

/* The entries of a directory but "." and "..", sorted. */
static enum hw_err
dir_list(const char *path, char ***names, size_t *n, struct errbuf *eb)
{
    struct dirent **ents;
    int i, k;

    *names = NULL;
    *n = 0;
    if ((k = scandir(path, &ents, NULL, alphasort)) < 0)
        return errbuf_set(eb, HW_IO, "scan %s: %s", path, strerror(errno));
    if ((*names = calloc((size_t)k + 1, sizeof(**names))) == NULL) {
        for (i = 0; i < k; i++)
            free(ents[i]);
        free(ents);
        return HW_NOMEM;
    }
    for (i = 0; i < k; i++) {
        const char *d = ents[i]->d_name;

        if (strcmp(d, ".") != 0 && strcmp(d, "..") != 0 && *names != NULL) {
            if (((*names)[*n] = strdup(d)) != NULL)
                (*n)++;
        }
        free(ents[i]);
    }
    free(ents);
    return HW_OK;
}

/* Removes a stray temporary file, or a temporary target directory with its files. */
static void
remove_tmp(const char *path)
{
    char **names, sub[PATH_MAX];
    size_t n, i;
    struct stat st;

    if (lstat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    if (dir_list(path, &names, &n, NULL) != HW_OK)
        return;
    for (i = 0; i < n; i++) {
        path_join(sub, path, names[i]);
        unlink(sub);
    }
    history_names_free(names, n);
    rmdir(path);
}

static bool
is_dir(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- the index log ---- */

/* "v1 <id> <size> <flags> <ntotals> <totals...> <delta0> <delta1> <crc32>\n"; the
 * checksum covers everything before the space that precedes it. */
static size_t
index_format(const struct hist_entry *e, char *line)
{
    size_t n, i;

    n = (size_t)snprintf(line, LINE_MAX_LEN, "v1 %" PRId64 " %" PRId64 " %u %u", e->id, e->size,
                         (unsigned)(e->flags & PUBLIC_FLAGS), (unsigned)e->ntotals);
    for (i = 0; i < e->ntotals; i++)
        n += (size_t)snprintf(line + n, LINE_MAX_LEN - n, " %" PRId64, e->totals[i]);
    n += (size_t)snprintf(line + n, LINE_MAX_LEN - n, " %" PRId64 " %" PRId64, e->delta[0],
                          e->delta[1]);
    n += (size_t)snprintf(line + n, LINE_MAX_LEN - n, " %08lx\n",
                          crc32(0L, (const Bytef *)line, (uInt)n));
    return n;
}

/* The next space-separated integer of *p, advancing past it. */
static bool
next_i64(char **p, int64_t *v)
{
    char *end;

    if (**p != ' ' || (*p)[1] == ' ' || (*p)[1] == '\0')
        return false;
    errno = 0;
    *v = strtoll(*p + 1, &end, 10);
    if (errno != 0 || end == *p + 1 || (*end != ' ' && *end != '\0'))
        return false;
    *p = end;
    return true;
}

/* Parses one line (its newline removed) into e; false when it is not ours or torn. */
static bool
index_parse(char *line, struct hist_entry *e)
{
    char *sp = strrchr(line, ' '), *p = line + 2, *end;
    int64_t v[5 + HIST_MAX_TOTALS];
    unsigned long crc;
    size_t i;

    if (sp == NULL || strncmp(line, "v1 ", 3) != 0 || strlen(sp + 1) != 8)
        return false;
    crc = strtoul(sp + 1, &end, 16);
    if (*end != '\0' || crc != crc32(0L, (const Bytef *)line, (uInt)(sp - line)))
        return false;
    *sp = '\0';
    for (i = 0; i < 4; i++)
        if (!next_i64(&p, &v[i]))
            return false;
    if (v[3] < 0 || v[3] > HIST_MAX_TOTALS || v[2] < 0 || v[2] > PUBLIC_FLAGS)
        return false;
    memset(e, 0, sizeof(*e));
    e->id = v[0], e->size = v[1], e->flags = (uint8_t)v[2], e->ntotals = (uint8_t)v[3];
    for (i = 0; i < e->ntotals; i++)
        if (!next_i64(&p, &e->totals[i]))
            return false;
    if (!next_i64(&p, &e->delta[0]) || !next_i64(&p, &e->delta[1]))
        return false;
    return *p == '\0' && e->id >= 0 && e->id <= MAX_ID;
}

static enum hw_err
index_append(const struct series *s, const struct hist_entry *e, struct errbuf *eb)
{
    char path[PATH_MAX], line[LINE_MAX_LEN];
    size_t n = index_format(e, line);
    int fd, bad;

    path_join(path, s->dir, "index");
    if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
        return errbuf_set(eb, HW_IO, "open %s: %s", path, strerror(errno));
    /* One write per line: with O_APPEND a line is torn only by a crash, and the
     * checksum catches that. */
    bad = write_all(fd, line, n) != 0;
    if (close(fd) != 0 || bad)
        return errbuf_set(eb, HW_IO, "append %s: %s", path, strerror(errno));
    return HW_OK;
}

static enum hw_err
index_rewrite(struct history *h, const char *dir, const struct hist_entry *e, size_t n,
              struct errbuf *eb)
{
    char line[LINE_MAX_LEN];
    struct buf b;
    enum hw_err err = HW_OK;
    size_t i;

    buf_init(&b, 0);
    for (i = 0; i < n && err == HW_OK; i++)
        err = buf_append(&b, line, index_format(&e[i], line));
    if (err == HW_OK)
        err = write_atomic(h, dir, "index", "index", b.data ? (void *)b.data : "", b.len, NULL,
                           eb);
    buf_reset(&b);
    return err;
}

/* ---- the in-memory index ---- */

/* The position of the first entry with id >= id. */
static size_t
series_lower(const struct series *s, int64_t id)
{
    size_t lo = 0, hi = s->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (s->e[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const struct hist_entry *
series_get(const struct series *s, int64_t id)
{
    size_t i = series_lower(s, id);

    return i < s->n && s->e[i].id == id ? &s->e[i] : NULL;
}

static enum hw_err
series_insert(struct history *h, struct series *s, const struct hist_entry *e)
{
    size_t i;

    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct hist_entry *p = realloc(s->e, cap * sizeof(*p));

        if (p == NULL)
            return HW_NOMEM;
        s->e = p;
        s->cap = cap;
    }
    /* Scrapes arrive in time order, so this is nearly always an append. */
    i = s->n > 0 && s->e[s->n - 1].id < e->id ? s->n : series_lower(s, e->id);
    memmove(&s->e[i + 1], &s->e[i], (s->n - i) * sizeof(*s->e));
    s->e[i] = *e;
    s->n++;
    s->bytes += e->size;
    h->nfiles++;
    h->nbytes += e->size;
    return HW_OK;
}

static bool
over_limits(const struct history_limits *lim, size_t count, int64_t bytes, int64_t age)
{
    return (lim->retention_count > 0 && (int64_t)count > lim->retention_count) ||
           (lim->retention_bytes > 0 && bytes > lim->retention_bytes) ||
           (lim->retention_ms > 0 && age > lim->retention_ms);
}

/* Drops the oldest entries while the series is over a limit, never the one with id
 * keep (whose id is also "now" for the age limit). The dropped ones go to *out
 * (caller frees) for their files to be removed outside the lock. */
static enum hw_err
series_retain(struct history *h, struct series *s, int64_t keep, struct victim **out, size_t *nout)
{
    size_t i, k = 0, count = s->n;
    int64_t bytes = s->bytes;

    *out = NULL;
    *nout = 0;
    for (i = 0; i < s->n; i++) {
        if (s->e[i].id == keep)
            continue;
        if (!over_limits(&h->lim, count, bytes, keep - s->e[i].id))
            break;
        if (*out == NULL && (*out = malloc(s->n * sizeof(**out))) == NULL)
            return HW_NOMEM;
        (*out)[k].id = s->e[i].id;
        (*out)[k++].ext = (uint8_t)(s->e[i].flags >> EXT_SHIFT);
        count--;
        bytes -= s->e[i].size;
        h->nfiles--;
        h->nbytes -= s->e[i].size;
    }
    /* The dropped entries are the first i, except keep if it was among them. */
    for (size_t j = 0, w = 0; j < s->n; j++)
        if (j >= i || s->e[j].id == keep)
            s->e[w++] = s->e[j];
    s->n = count;
    s->bytes = bytes;
    *nout = k;
    return HW_OK;
}

static struct target *
target_find(const struct history *h, const char *name, size_t *pos)
{
    size_t lo = 0, hi = h->ntargets;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(h->targets[mid]->name, name);

        if (c == 0)
            return h->targets[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (pos != NULL)
        *pos = lo;
    return NULL;
}

static struct series *
series_find(const struct target *t, const char *type)
{
    size_t i;

    for (i = 0; i < t->nseries; i++)
        if (strcmp(t->series[i]->type, type) == 0)
            return t->series[i];
    return NULL;
}

static void
series_free(struct series *s)
{
    if (s == NULL)
        return;
    pthread_mutex_destroy(&s->mu);
    if (s->spare != NULL)
        unlink(s->spare);
    free(s->spare);
    free(s->type);
    free(s->dir);
    free(s->e);
    free(s);
}

static void
target_free(struct target *t)
{
    size_t i;

    if (t == NULL)
        return;
    for (i = 0; i < t->nseries; i++)
        series_free(t->series[i]);
    pthread_mutex_destroy(&t->mu);
    free(t->series);
    free(t->name);
    free(t->dir);
    free(t->json);
    free(t);
}

static struct target *
target_new(const struct history *h, const char *name, const char *dirname)
{
    struct target *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return NULL;
    pthread_mutex_init(&t->mu, NULL);
    t->name = strdup(name);
    if ((t->dir = malloc(strlen(h->dir) + strlen(dirname) + 2)) == NULL || t->name == NULL) {
        target_free(t);
        return NULL;
    }
    sprintf(t->dir, "%s/%s", h->dir, dirname);
    t->dirname = t->dir + strlen(h->dir) + 1;
    return t;
}

static enum hw_err
target_insert(struct history *h, struct target *t)
{
    size_t pos = 0;

    if (target_find(h, t->name, &pos) != NULL)
        return HW_USAGE;
    if (h->ntargets == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        struct target **p = realloc(h->targets, cap * sizeof(*p));

        if (p == NULL)
            return HW_NOMEM;
        h->targets = p;
        h->cap = cap;
    }
    memmove(&h->targets[pos + 1], &h->targets[pos], (h->ntargets - pos) * sizeof(*h->targets));
    h->targets[pos] = t;
    h->ntargets++;
    return HW_OK;
}

static struct series *
series_add(struct target *t, const char *type)
{
    struct series *s = calloc(1, sizeof(*s));
    struct series **p = realloc(t->series, (t->nseries + 1) * sizeof(*p));

    if (p != NULL)
        t->series = p;
    if (s == NULL || p == NULL)
        goto fail;
    pthread_mutex_init(&s->mu, NULL);
    s->type = strdup(type);
    if (s->type == NULL || (s->dir = malloc(strlen(t->dir) + strlen(type) + 2)) == NULL)
        goto fail;
    sprintf(s->dir, "%s/%s", t->dir, type);
    t->series[t->nseries++] = s;
    return s;
fail:
    if (s != NULL) {
        free(s->type);
        free(s);
    }
    return NULL;
}

static bool
dirname_taken(const struct history *h, const char *dirname)
{
    char path[PATH_MAX];
    struct stat st;
    size_t i;

    for (i = 0; i < h->ntargets; i++)
        if (strcmp(h->targets[i]->dirname, dirname) == 0)
            return true;
    path_join(path, h->dir, dirname);
    return lstat(path, &st) == 0 || errno != ENOENT;
}

/* A new target, in memory only; its directory is made by target_ensure. The name
 * becomes its directory unless another target (or anything on disk) has that
 * directory already: then "-2", "-3"... is appended, and target.json tells the
 * name on the next open. Called with h->mu held. */
static enum hw_err
target_add(struct history *h, const char *name, struct target **out)
{
    char base[DIRNAME_MAX + 10], dirname[DIRNAME_MAX + 32];
    unsigned k;
    enum hw_err err;

    target_dirname(name, base);
    snprintf(dirname, sizeof(dirname), "%s", base);
    for (k = 2; dirname_taken(h, dirname); k++)
        snprintf(dirname, sizeof(dirname), "%s-%u", base, k);
    if ((*out = target_new(h, name, dirname)) == NULL)
        return HW_NOMEM;
    if ((err = target_insert(h, *out)) != HW_OK) {
        target_free(*out);
        *out = NULL;
    }
    return err;
}

/* Finds (or with create, adds) the target and, when type is not NULL, its series. */
static enum hw_err
history_series(struct history *h, const char *target, const char *type, bool create,
               struct target **t, struct series **s)
{
    enum hw_err err = HW_OK;

    pthread_mutex_lock(&h->mu);
    *s = NULL;
    if ((*t = target_find(h, target, NULL)) == NULL)
        err = create ? target_add(h, target, t) : HW_USAGE;
    if (err == HW_OK && type != NULL && (*s = series_find(*t, type)) == NULL)
        err = !create ? HW_USAGE : (*s = series_add(*t, type)) == NULL ? HW_NOMEM : HW_OK;
    pthread_mutex_unlock(&h->mu);
    return err;
}

/* ---- target.json ---- */

/* s when it is valid UTF-8, else a copy with every non-ASCII byte turned into '?'
 * (labels are for people; a name that is not UTF-8 is kept exactly as name_hex). */
static json_t *
json_string_lossy(const char *s, char **keycopy)
{
    json_t *j = json_string(s);
    char *copy;
    size_t i;

    if (j != NULL || (copy = strdup(s)) == NULL)
        return j;
    for (i = 0; copy[i] != '\0'; i++)
        if ((unsigned char)copy[i] >= 0x80)
            copy[i] = '?';
    j = json_string(copy);
    if (keycopy != NULL)
        *keycopy = copy;
    else
        free(copy);
    return j;
}

static json_t *
json_hex(const char *name)
{
    json_t *j;
    char *hex;
    size_t i, n = strlen(name);

    if ((hex = malloc(2 * n + 1)) == NULL)
        return NULL;
    for (i = 0; i < n; i++)
        sprintf(hex + 2 * i, "%02x", (unsigned char)name[i]);
    hex[2 * n] = '\0';
    j = json_string(hex);
    free(hex);
    return j;
}

static int
json_set_label(json_t *labels, const char *key, const char *value)
{
    char *keycopy = NULL;
    json_t *k = json_string_lossy(key, &keycopy);
    int rc = -1;

    if (k != NULL)
        rc = json_object_set_new(labels, json_string_value(k), json_string_lossy(value, NULL));
    json_decref(k);
    free(keycopy);
    return rc;
}

/* root as target.json holds it: sorted keys, so that equal targets give equal text. */
static char *
json_text(const json_t *root)
{
    char *text = json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2)), *p;
    size_t n;

    if (text == NULL)
        return NULL;
    n = strlen(text);
    if ((p = realloc(text, n + 2)) == NULL) {
        free(text);
        return NULL;
    }
    p[n] = '\n';
    p[n + 1] = '\0';
    return p;
}

/* The canonical text of target.json, so that an unchanged target compares equal. */
static char *
target_json(const char *name, const char *const *keys, const char *const *values, size_t nlabels)
{
    json_t *root = json_object(), *labels = json_object(), *jn = json_string(name);
    const char *key = "name";
    char *text = NULL;
    size_t i;
    int bad;

    if (jn == NULL) {
        jn = json_hex(name);
        key = "name_hex";
    }
    if (root == NULL || labels == NULL)
        json_decref(jn);
    bad = root == NULL || labels == NULL || json_object_set_new(root, key, jn) != 0;
    for (i = 0; i < nlabels && !bad; i++)
        bad = json_set_label(labels, keys[i], values[i]) != 0;
    if (!bad && json_object_set(root, "labels", labels) == 0)
        text = json_text(root);
    json_decref(labels);
    json_decref(root);
    return text;
}

static int
hex_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* name_hex back to the name; NULL when malformed or holding a NUL byte. */
static char *
hex_decode(const char *hex)
{
    size_t i, n = strlen(hex);
    char *out;

    if (n % 2 != 0 || (out = malloc(n / 2 + 1)) == NULL)
        return NULL;
    for (i = 0; i < n / 2; i++) {
        int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);

        if (hi < 0 || lo < 0 || (hi | lo) == 0) {
            free(out);
            return NULL;
        }
        out[i] = (char)(hi << 4 | lo);
    }
    out[n / 2] = '\0';
    return out;
}

/* The target name target.json in dir gives (malloc'd), with the file's canonical
 * text in *json; NULL when there is none or it does not say. */
static char *
target_json_read(const char *dir, char **json, bool *present)
{
    char path[PATH_MAX], *name = NULL;
    json_error_t jerr;
    json_t *root, *v;

    path_join(path, dir, "target.json");
    *json = NULL;
    *present = access(path, F_OK) == 0;
    if ((root = json_load_file(path, 0, &jerr)) == NULL)
        return NULL;
    v = json_object_get(root, "name");
    if (json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v))
        name = strdup(json_string_value(v));
    else if (json_is_string(v = json_object_get(root, "name_hex")))
        name = hex_decode(json_string_value(v));
    if (name != NULL)
        *json = json_text(root);
    json_decref(root);
    return name;
}

/* Makes the target's directory with its target.json in one step: both are written
 * into a temporary directory that is then renamed into place, so a directory never
 * exists without the name that maps it back. Called with t->mu held. */
static enum hw_err
target_create(struct history *h, struct target *t, const char *json, struct errbuf *eb)
{
    char tmp[PATH_MAX], name[96];
    enum hw_err err;

    tmp_name(h, "dir", name, sizeof(name));
    path_join(tmp, h->dir, name);
    if (mkdir(tmp, 0755) != 0)
        return errbuf_set(eb, HW_IO, "mkdir %s: %s", tmp, strerror(errno));
    err = write_atomic(h, tmp, "target", "target.json", json, strlen(json), NULL, eb);
    if (err == HW_OK && rename(tmp, t->dir) != 0)
        err = errbuf_set(eb, HW_IO, "rename %s: %s", t->dir, strerror(errno));
    if (err != HW_OK) {
        remove_tmp(tmp);
        return err;
    }
    if (fsync_dir(h->dir) != 0)
        return errbuf_set(eb, HW_IO, "fsync %s: %s", h->dir, strerror(errno));
    t->on_disk = true;
    return HW_OK;
}

static enum hw_err
target_ensure(struct history *h, struct target *t, struct errbuf *eb)
{
    enum hw_err err = HW_OK;
    char *json;

    pthread_mutex_lock(&t->mu);
    if (!t->on_disk) {
        if ((json = target_json(t->name, NULL, NULL, 0)) == NULL)
            err = errbuf_set(eb, HW_NOMEM, "target.json: %s", hw_strerror(HW_NOMEM));
        else if ((err = target_create(h, t, json, eb)) == HW_OK)
            t->json = json, json = NULL;
        free(json);
    }
    pthread_mutex_unlock(&t->mu);
    return err;
}

static enum hw_err
series_ensure(struct target *t, struct series *s, struct errbuf *eb)
{
    enum hw_err err = HW_OK;

    pthread_mutex_lock(&t->mu);
    if (!s->on_disk && (err = mkdir_synced(s->dir, eb)) == HW_OK)
        s->on_disk = true;
    pthread_mutex_unlock(&t->mu);
    return err;
}

/* ---- open: rebuilding the index from the directory ---- */

struct found {
    int64_t id, size;
    uint8_t ext;
};

static int
found_cmp(const void *a, const void *b)
{
    const struct found *x = a, *y = b;

    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return (int)x->ext - (int)y->ext;
}

static int
entry_cmp(const void *a, const void *b)
{
    const struct hist_entry *x = a, *y = b;

    return x->id < y->id ? -1 : x->id > y->id;
}

static int
id_entry_cmp(const void *key, const void *elem)
{
    int64_t id = *(const int64_t *)key;
    const struct hist_entry *e = elem;

    return id < e->id ? -1 : id > e->id;
}

static enum hw_err
entries_push(struct hist_entry **v, size_t *n, size_t *cap, const struct hist_entry *e)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        struct hist_entry *p = realloc(*v, c * sizeof(*p));

        if (p == NULL)
            return HW_NOMEM;
        *v = p;
        *cap = c;
    }
    (*v)[(*n)++] = *e;
    return HW_OK;
}

/* Reads the index log's good lines, sorted by id, and counts them in s->loglines;
 * *dirty when a line was torn, garbled or repeated, so that the log gets rewritten. */
static enum hw_err
index_read(struct series *s, struct hist_entry **out, size_t *n, bool *dirty, struct errbuf *eb)
{
    char path[PATH_MAX], *line = NULL;
    size_t cap = 0, linecap = 0, i;
    enum hw_err err = HW_OK;
    struct hist_entry e;
    ssize_t len;
    FILE *f;

    path_join(path, s->dir, "index");
    if ((f = fopen(path, "re")) == NULL)
        return errno == ENOENT ? HW_OK
                               : errbuf_set(eb, HW_IO, "open %s: %s", path, strerror(errno));
    while (err == HW_OK && (len = getline(&line, &linecap, f)) > 0) {
        bool whole = line[len - 1] == '\n';

        line[len - 1] = '\0';
        if (whole && index_parse(line, &e))
            err = entries_push(out, n, &cap, &e);
        else
            *dirty = true;
    }
    if (err == HW_OK && ferror(f))
        err = errbuf_set(eb, HW_IO, "read %s: %s", path, strerror(errno));
    free(line);
    fclose(f);
    s->loglines = *n;
    if (*n > 1)
        qsort(*out, *n, sizeof(**out), entry_cmp);
    for (i = 1; i < *n; i++)
        *dirty = *dirty || (*out)[i - 1].id == (*out)[i].id;
    return err;
}

/* Sums each sample type's values, as the index keeps them. */
void
history_totals(const struct profile *p, struct hist_entry *e)
{
    size_t nt = p->ntypes < HIST_MAX_TOTALS ? p->ntypes : HIST_MAX_TOTALS, i, j;
    uint64_t sum[HIST_MAX_TOTALS] = {0};

    /* Unsigned sums wrap instead of overflowing on a hostile profile. */
    for (i = 0; i < p->nsamples; i++)
        for (j = 0; j < nt; j++)
            sum[j] += (uint64_t)p->samples[i].values[j];
    for (j = 0; j < HIST_MAX_TOTALS; j++)
        e->totals[j] = j < nt ? (int64_t)sum[j] : 0;
    e->ntotals = (uint8_t)nt;
}

static enum hw_err
move_corrupt(struct history *h, const struct series *s, const char *name, const char *why)
{
    char dir[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
    struct errbuf eb = {{0}};

    path_join(dir, s->dir, "corrupt");
    path_join(from, s->dir, name);
    path_join(to, dir, name);
    if (mkdir_synced(dir, &eb) != HW_OK || rename(from, to) != 0) {
        history_warn(h, "%s does not decode (%s) and was not moved aside: %s", from, why,
                     eb.msg[0] != '\0' ? eb.msg : strerror(errno));
        return HW_BADDATA;
    }
    fsync_dir(s->dir);
    history_warn(h, "%s does not decode (%s); moved to %s", from, why, to);
    return HW_BADDATA;
}

/* An entry for a scrape file the log does not cover, its totals recovered by decoding
 * it. HW_BADDATA when the file is not to be indexed (it was moved aside or is gone). */
static enum hw_err
entry_recover(struct history *h, const struct series *s, const struct found *f,
              struct hist_entry *e)
{
    char path[PATH_MAX], name[FILE_NAME_MAX];
    struct errbuf why = {{0}};
    struct profile *p = NULL;
    enum hw_err err;
    struct buf b;

    file_name(f->id, f->ext, name);
    path_join(path, s->dir, name);
    memset(e, 0, sizeof(*e));
    e->id = f->id;
    buf_init(&b, h->lim.max_decoded_bytes);
    err = file_read(path, &b, &why);
    if (err == HW_OK)
        err = profile_decode(b.data != NULL ? b.data : (const unsigned char *)"", b.len,
                             h->lim.max_decoded_bytes, &p, &why);
    buf_reset(&b);
    if (err == HW_OK) {
        history_totals(p, e);
        arena_free(p->arena);
        return HW_OK;
    }
    if (err == HW_BADDATA)
        return move_corrupt(h, s, name, errbuf_msg(&why, err));
    if (err == HW_NOMEM || err == HW_USAGE)
        return err == HW_USAGE ? HW_BADDATA : err;
    /* Too big to decode under the limit is no sign of damage: keep it, without totals. */
    history_warn(h, "%s: %s; indexed without totals", path, errbuf_msg(&why, err));
    return HW_OK;
}

/* Indexes one scrape file found on disk, from its log line when there is one. */
static enum hw_err
series_take(struct history *h, struct series *s, const struct found *f,
            const struct hist_entry *log, size_t nlog, size_t *matched, bool *dirty)
{
    const struct hist_entry *l =
        nlog ? bsearch(&f->id, log, nlog, sizeof(*log), id_entry_cmp) : NULL;
    struct hist_entry e;
    enum hw_err err;

    if (l != NULL) {
        e = *l;
        (*matched)++;
    } else {
        *dirty = true;
        if ((err = entry_recover(h, s, f, &e)) != HW_OK)
            return err == HW_BADDATA ? HW_OK : err;
    }
    e.size = f->size;
    e.flags = (uint8_t)((e.flags & PUBLIC_FLAGS) | f->ext << EXT_SHIFT);
    return series_insert(h, s, &e);
}

static enum hw_err
found_push(struct found **v, size_t *n, size_t *cap, const struct found *f)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        struct found *p = realloc(*v, c * sizeof(*p));

        if (p == NULL)
            return HW_NOMEM;
        *v = p;
        *cap = c;
    }
    (*v)[(*n)++] = *f;
    return HW_OK;
}

/* The scrape files of a series directory, sorted by id; stray temporary files go.
 * Names that are not ours are left alone. */
static enum hw_err
series_scan(const struct series *s, struct found **out, size_t *nout, struct errbuf *eb)
{
    char **names, path[PATH_MAX];
    size_t n, i, cap = 0;
    enum hw_err err;
    struct stat st;
    struct found f;

    *out = NULL;
    *nout = 0;
    if ((err = dir_list(s->dir, &names, &n, eb)) != HW_OK)
        return err;
    for (i = 0; i < n && err == HW_OK; i++) {
        path_join(path, s->dir, names[i]);
        if (strncmp(names[i], TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
            remove_tmp(path);
            continue;
        }
        if (!file_name_parse(names[i], &f.id, &f.ext) || lstat(path, &st) != 0 ||
            !S_ISREG(st.st_mode))
            continue;
        f.size = (int64_t)st.st_size;
        err = found_push(out, nout, &cap, &f);
    }
    history_names_free(names, n);
    if (*nout > 1)
        qsort(*out, *nout, sizeof(**out), found_cmp);
    return err;
}

/* Loads one series: the files decide what exists, the log supplies their totals.
 * When the two disagreed the log is rewritten from what was loaded. */
static enum hw_err
series_load(struct history *h, struct target *t, const char *type, struct errbuf *eb)
{
    struct series *s = series_add(t, type);
    struct hist_entry *log = NULL;
    struct found *files = NULL;
    size_t nlog = 0, nfiles = 0, matched = 0, i;
    bool dirty = false;
    enum hw_err err;

    if (s == NULL)
        return HW_NOMEM;
    s->on_disk = true;
    if ((err = index_read(s, &log, &nlog, &dirty, eb)) == HW_OK)
        err = series_scan(s, &files, &nfiles, eb);
    for (i = 0; i < nfiles && err == HW_OK; i++) {
        /* Two files with one id (a hand-made copy under another extension): the
         * first is indexed, the other left alone. */
        if (i > 0 && files[i].id == files[i - 1].id)
            continue;
        err = series_take(h, s, &files[i], log, nlog, &matched, &dirty);
    }
    if (err == HW_OK && (dirty || matched != nlog) &&
        (err = index_rewrite(h, s->dir, s->e, s->n, eb)) == HW_OK)
        s->loglines = s->n;
    free(log);
    free(files);
    return err;
}

static enum hw_err
target_load_series(struct history *h, struct target *t, struct errbuf *eb)
{
    char **names, path[PATH_MAX];
    enum hw_err err;
    size_t n, i;

    if ((err = dir_list(t->dir, &names, &n, eb)) != HW_OK)
        return err;
    for (i = 0; i < n && err == HW_OK; i++) {
        path_join(path, t->dir, names[i]);
        if (strncmp(names[i], TMP_PREFIX, strlen(TMP_PREFIX)) == 0)
            remove_tmp(path);
        else if (type_ok(names[i]) && is_dir(path))
            err = series_load(h, t, names[i], eb);
    }
    history_names_free(names, n);
    return err;
}

/* A target directory: target.json names it (else the directory name does), and each
 * subdirectory with a valid type name is a series. */
static enum hw_err
target_load(struct history *h, const char *dirname, struct errbuf *eb)
{
    char dir[PATH_MAX], *json = NULL, *name;
    struct target *t = NULL;
    enum hw_err err = HW_OK;
    const char *tname;
    bool present;

    path_join(dir, h->dir, dirname);
    name = target_json_read(dir, &json, &present);
    tname = name != NULL ? name : dirname;
    if (name == NULL && present)
        history_warn(h, "%s/target.json does not name the target; using %s", dir, dirname);
    if (target_find(h, tname, NULL) != NULL) {
        history_warn(h, "%s: its target is already loaded from another directory; skipped", dir);
    } else if ((t = target_new(h, tname, dirname)) == NULL) {
        err = HW_NOMEM;
    } else {
        t->on_disk = true;
        t->json = json;
        json = NULL;
        if ((err = target_insert(h, t)) != HW_OK) {
            target_free(t);
            t = NULL;
        }
    }
    free(name);
    free(json);
    return t != NULL ? target_load_series(h, t, eb) : err;
}

static enum hw_err
history_load(struct history *h, struct errbuf *eb)
{
    char **names, path[PATH_MAX];
    enum hw_err err;
    size_t n, i;

    if ((err = dir_list(h->dir, &names, &n, eb)) != HW_OK)
        return err;
    for (i = 0; i < n && err == HW_OK; i++) {
        path_join(path, h->dir, names[i]);
        if (strncmp(names[i], TMP_PREFIX, strlen(TMP_PREFIX)) == 0)
            remove_tmp(path);
        else if (names[i][0] != '.' && is_dir(path))
            err = target_load(h, names[i], eb);
    }
    history_names_free(names, n);
    return err;
}

enum hw_err
history_open(const char *dir, const struct history_limits *lim, struct history **out,
             struct errbuf *eb)
{
    struct history *h;
    enum hw_err err;
    size_t n;

    *out = NULL;
    if ((n = strlen(dir)) == 0 || n > DIR_MAX)
        return errbuf_set(eb, HW_USAGE, "data directory \"%.64s\": empty or too long", dir);
    if ((h = calloc(1, sizeof(*h))) == NULL || (h->dir = strdup(dir)) == NULL) {
        free(h);
        return errbuf_set(eb, HW_NOMEM, "%s: %s", dir, hw_strerror(HW_NOMEM));
    }
    while (n > 1 && h->dir[n - 1] == '/')
        h->dir[--n] = '\0';
    pthread_mutex_init(&h->mu, NULL);
    atomic_init(&h->tmpseq, 0);
    h->lim = *lim;
    if ((err = mkdir_parents(h->dir, eb)) == HW_OK)
        err = history_load(h, eb);
    if (err != HW_OK) {
        errbuf_set(eb, err, "%s: %s", h->dir, hw_strerror(err));
        history_close(h);
        return err;
    }
    if (h->nwarnings > 0)
        errbuf_set(eb, HW_OK, "%s", h->warning.msg);
    *out = h;
    return HW_OK;
}

size_t
history_open_warnings(const struct history *h)
{
    return h->nwarnings;
}

const char *
history_open_message(const struct history *h)
{
    return h->warning.msg;
}

void
history_close(struct history *h)
{
    size_t i;

    if (h == NULL)
        return;
    for (i = 0; i < h->ntargets; i++)
        target_free(h->targets[i]);
    pthread_mutex_destroy(&h->mu);
    free(h->targets);
    free(h->dir);
    free(h);
}

enum hw_err
history_set_target(struct history *h, const char *target, const char *const *keys,
                   const char *const *values, size_t nlabels, struct errbuf *eb)
{
    char *json = target_json(target, keys, values, nlabels);
    struct target *t;
    struct series *s;
    enum hw_err err;

    err = json == NULL ? HW_NOMEM : history_series(h, target, NULL, true, &t, &s);
    if (err != HW_OK) {
        free(json);
        return errbuf_set(eb, err, "target %s: %s", target, hw_strerror(err));
    }
    pthread_mutex_lock(&t->mu);
    if (t->json == NULL || strcmp(t->json, json) != 0) {
        if (t->on_disk)
            err = write_atomic(h, t->dir, "target", "target.json", json, strlen(json), NULL, eb);
        else
            err = target_create(h, t, json, eb);
        if (err == HW_OK) {
            free(t->json);
            t->json = json;
            json = NULL;
        }
    }
    pthread_mutex_unlock(&t->mu);
    free(json);
    return err;
}

/* Writes the scrape's file and appends its log line. */
static enum hw_err
store_file(struct history *h, struct series *s, const struct hist_entry *e, const void *data,
           size_t len, struct errbuf *eb)
{
    char name[FILE_NAME_MAX], tag[24];
    enum hw_err err;

    file_name(e->id, (unsigned)e->flags >> EXT_SHIFT, name);
    snprintf(tag, sizeof(tag), "%" PRId64, e->id);
    if ((err = write_atomic(h, s->dir, tag, name, data, len, &s->spare, eb)) != HW_OK)
        return err;
    /* The scrape is durable now and a missing log line only costs a decode on the next
     * open, so a failed append marks the log for rewriting instead of failing the store. */
    if (index_append(s, e, NULL) == HW_OK)
        s->loglines++;
    else
        s->log_stale = true;
    return HW_OK;
}

/* Adds the stored entry to the index, applies retention and, when the log holds more
 * than twice the live entries, rewrites it. Files and log are written outside h->mu. */
static enum hw_err
store_commit(struct history *h, struct series *s, const struct hist_entry *e)
{
    char path[PATH_MAX], name[FILE_NAME_MAX];
    struct hist_entry *snap = NULL;
    struct victim *v = NULL;
    size_t nv = 0, nsnap = 0, i;
    enum hw_err err;

    pthread_mutex_lock(&h->mu);
    if ((err = series_insert(h, s, e)) == HW_OK)
        err = series_retain(h, s, e->id, &v, &nv);
    if (err == HW_OK && (s->log_stale || s->loglines > 2 * s->n)) {
        if ((snap = malloc(s->n * sizeof(*snap))) != NULL)
            memcpy(snap, s->e, (nsnap = s->n) * sizeof(*snap));
    }
    pthread_mutex_unlock(&h->mu);
    for (i = 0; i < nv; i++) {
        file_name(v[i].id, v[i].ext, name);
        path_join(path, s->dir, name);
        drop_file(h, s, path);
    }
    /* A failed rewrite leaves the old log in place, which is still right (dead lines
     * are dropped on open); the next store tries again. */
    if (snap != NULL && index_rewrite(h, s->dir, snap, nsnap, NULL) == HW_OK) {
        s->loglines = nsnap;
        s->log_stale = false;
    }
    free(snap);
    free(v);
    return err;
}

/* Called with s->mu held: the one writer of this series. */
static enum hw_err
store_locked(struct history *h, struct target *t, struct series *s, const void *data, size_t len,
             struct hist_entry *e, struct errbuf *eb)
{
    struct hist_entry ent = *e;
    enum hw_err err;
    size_t i;

    if ((err = target_ensure(h, t, eb)) != HW_OK || (err = series_ensure(t, s, eb)) != HW_OK)
        return err;
    pthread_mutex_lock(&h->mu);
    while (series_get(s, ent.id) != NULL)
        ent.id++;
    pthread_mutex_unlock(&h->mu);
    if (ent.id > MAX_ID)
        return errbuf_set(eb, HW_USAGE, "scrape id %" PRId64 ": out of range", ent.id);
    ent.size = (int64_t)len;
    ent.flags = (uint8_t)((e->flags & PUBLIC_FLAGS) | sniff_ext(data, len) << EXT_SHIFT);
    for (i = ent.ntotals; i < HIST_MAX_TOTALS; i++)
        ent.totals[i] = 0;
    if ((err = store_file(h, s, &ent, data, len, eb)) != HW_OK)
        return err;
    if ((err = store_commit(h, s, &ent)) != HW_OK)
        return errbuf_set(eb, err, "%s: %s", s->dir, hw_strerror(err));
    *e = ent;
    e->flags &= PUBLIC_FLAGS;
    return HW_OK;
}

enum hw_err
history_store(struct history *h, const char *target, const char *type, const void *data, size_t len,
              struct hist_entry *e, struct errbuf *eb)
{
    struct target *t;
    struct series *s;
    enum hw_err err;

    if (!type_ok(type))
        return errbuf_set(eb, HW_USAGE, "profile type \"%.64s\": want [A-Za-z0-9_-]{1,%d}", type,
                          TYPE_MAX);
    if (e->ntotals > HIST_MAX_TOTALS || e->id < 0 || e->id > MAX_ID)
        return errbuf_set(eb, HW_USAGE, "scrape %" PRId64 ": bad id or %u totals", e->id,
                          (unsigned)e->ntotals);
    if ((err = history_series(h, target, type, true, &t, &s)) != HW_OK)
        return errbuf_set(eb, err, "target %s: %s", target, hw_strerror(err));
    pthread_mutex_lock(&s->mu);
    err = store_locked(h, t, s, data != NULL ? data : "", len, e, eb);
    pthread_mutex_unlock(&s->mu);
    return err;
}

/* ---- reading ---- */

/* Called with h->mu held. */
static const struct series *
series_lookup(const struct history *h, const char *target, const char *type)
{
    const struct target *t = target_find(h, target, NULL);

    return t != NULL ? series_find(t, type) : NULL;
}

enum hw_err
history_list(struct history *h, const char *target, const char *type, struct hist_entry **out,
             size_t *n)
{
    const struct series *s;
    enum hw_err err = HW_OK;
    size_t i;

    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&h->mu);
    if ((s = series_lookup(h, target, type)) != NULL && s->n > 0) {
        if ((*out = malloc(s->n * sizeof(**out))) == NULL)
            err = HW_NOMEM;
        for (i = 0; *out != NULL && i < s->n; i++) {
            (*out)[i] = s->e[i];
            (*out)[i].flags &= PUBLIC_FLAGS;
        }
        *n = *out != NULL ? s->n : 0;
    }
    pthread_mutex_unlock(&h->mu);
    return err;
}

size_t
history_count(struct history *h, const char *target, const char *type,
              struct hist_entry *latest)
{
    const struct series *s;
    size_t n = 0;

    pthread_mutex_lock(&h->mu);
    if ((s = series_lookup(h, target, type)) != NULL && (n = s->n) > 0 && latest != NULL) {
        *latest = s->e[n - 1];
        latest->flags &= PUBLIC_FLAGS;
    }
    pthread_mutex_unlock(&h->mu);
    return n;
}

enum hw_err
history_get(struct history *h, const char *target, const char *type, int64_t id,
            struct hist_entry *out)
{
    const struct series *s;
    const struct hist_entry *e = NULL;

    pthread_mutex_lock(&h->mu);
    if ((s = series_lookup(h, target, type)) != NULL && (e = series_get(s, id)) != NULL) {
        *out = *e;
        out->flags &= PUBLIC_FLAGS;
    }
    pthread_mutex_unlock(&h->mu);
    return e != NULL ? HW_OK : HW_USAGE;
}

enum hw_err
history_find(struct history *h, const char *target, const char *type, int64_t at_ms,
             struct hist_entry *out)
{
    const struct series *s;
    size_t i = 0;

    pthread_mutex_lock(&h->mu);
    /* The newest entry at or before at_ms is the one before the first entry after it. */
    if ((s = series_lookup(h, target, type)) != NULL)
        i = at_ms == INT64_MAX ? s->n : series_lower(s, at_ms + 1);
    if (i > 0) {
        *out = s->e[i - 1];
        out->flags &= PUBLIC_FLAGS;
    }
    pthread_mutex_unlock(&h->mu);
    return i > 0 ? HW_OK : HW_USAGE;
}

char *
history_path(struct history *h, const char *target, const char *type, int64_t id)
{
    char name[FILE_NAME_MAX], *path = NULL;
    const struct hist_entry *e;
    const struct series *s;

    pthread_mutex_lock(&h->mu);
    if ((s = series_lookup(h, target, type)) != NULL && (e = series_get(s, id)) != NULL &&
        (path = malloc(strlen(s->dir) + 1 + FILE_NAME_MAX)) != NULL) {
        file_name(e->id, (unsigned)e->flags >> EXT_SHIFT, name);
        sprintf(path, "%s/%s", s->dir, name);
    }
    pthread_mutex_unlock(&h->mu);
    return path;
}

enum hw_err
history_read(struct history *h, const char *target, const char *type, int64_t id, struct buf *out,
             struct errbuf *eb)
{
    char *path = history_path(h, target, type, id);
    enum hw_err err;

    /* A scrape that retention removes while it is read gives HW_USAGE, as if it had
     * gone a moment earlier. */
    if (path == NULL)
        return errbuf_set(eb, HW_USAGE, "no scrape %" PRId64 " of %s/%s", id, target, type);
    err = file_read(path, out, eb);
    free(path);
    return err;
}

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

enum hw_err
history_targets(struct history *h, char ***names, size_t *n)
{
    enum hw_err err = HW_OK;
    size_t i;

    pthread_mutex_lock(&h->mu);
    *n = 0;
    if ((*names = calloc(h->ntargets + 1, sizeof(**names))) == NULL)
        err = HW_NOMEM;
    for (i = 0; err == HW_OK && i < h->ntargets; i++)
        if (((*names)[(*n)++] = strdup(h->targets[i]->name)) == NULL)
            err = HW_NOMEM;
    pthread_mutex_unlock(&h->mu);
    if (err != HW_OK) {
        history_names_free(*names, *n);
        *names = NULL;
        *n = 0;
    }
    return err;
}

enum hw_err
history_types(struct history *h, const char *target, char ***names, size_t *n)
{
    const struct target *t;
    enum hw_err err = HW_OK;
    size_t i, k;

    pthread_mutex_lock(&h->mu);
    *n = 0;
    k = (t = target_find(h, target, NULL)) != NULL ? t->nseries : 0;
    if ((*names = calloc(k + 1, sizeof(**names))) == NULL)
        err = HW_NOMEM;
    for (i = 0; err == HW_OK && i < k; i++)
        if (((*names)[(*n)++] = strdup(t->series[i]->type)) == NULL)
            err = HW_NOMEM;
    pthread_mutex_unlock(&h->mu);
    if (err != HW_OK) {
        history_names_free(*names, *n);
        *names = NULL;
        *n = 0;
    } else if (*n > 1) {
        qsort(*names, *n, sizeof(**names), name_cmp);
    }
    return err;
}

void
history_names_free(char **names, size_t n)
{
    size_t i;

    if (names == NULL)
        return;
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

void
history_stats(struct history *h, size_t *nfiles, int64_t *nbytes)
{
    pthread_mutex_lock(&h->mu);
    *nfiles = h->nfiles;
    *nbytes = h->nbytes;
    pthread_mutex_unlock(&h->mu);
}

/* nodeinfo.c - frame identity and naming shared by folding and the pprof graph. The
 * rules follow pprof's Aggregate (which fields a granularity keeps) and its nodeInfo
 * (objfile only for frames without a function name). */
#include "nodeinfo.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

uint64_t
hash_str(uint64_t h, const char *s)
{
    while (*s != '\0') {
        h ^= (unsigned char)*s++;
        h *= 0x100000001b3ull;
    }
    return h * 0x100000001b3ull;
}

static int
path_is_clean(const char *s)
{
    size_t n = strlen(s);

    if (n == 0)
        return 0;
    if (n > 1 && s[n - 1] == '/')
        return 0;
    if (strstr(s, "//") || strstr(s, "/./") || strstr(s, "/../"))
        return 0;
    if (strcmp(s, ".") != 0 && (strncmp(s, "./", 2) == 0 || strcmp(s + (n >= 2 ? n - 2 : 0), "/.") == 0))
        return 0;
    if (strncmp(s, "../", 3) == 0 || strcmp(s, "..") == 0 || (n >= 3 && strcmp(s + n - 3, "/..") == 0))
        return 0;
    return 1;
}

/* Lexical clean as Go's path/filepath.Clean on Unix. */
const char *
path_clean(struct arena *a, const char *s)
{
    size_t n = strlen(s), r = 0, w = 0, dotdot = 0;
    int rooted = s[0] == '/';
    char *out;

    if (path_is_clean(s))
        return s;
    if (n == 0)
        return ".";
    if ((out = arena_alloc(a, n + 2)) == NULL)
        return NULL;
    if (rooted) {
        out[w++] = '/';
        r = dotdot = 1;
    }
    while (r < n) {
        if (s[r] == '/') {
            r++;
        } else if (s[r] == '.' && (r + 1 == n || s[r + 1] == '/')) {
            r++;
        } else if (s[r] == '.' && s[r + 1] == '.' && (r + 2 == n || s[r + 2] == '/')) {
            r += 2;
            if (w > dotdot) {
                w--;
                while (w > dotdot && out[w] != '/')
                    w--;
            } else if (!rooted) {
                if (w > 0)
                    out[w++] = '/';
                out[w++] = '.';
                out[w++] = '.';
                dotdot = w;
            }
        } else {
            if ((rooted && w != 1) || (!rooted && w != 0))
                out[w++] = '/';
            for (; r < n && s[r] != '/'; r++)
                out[w++] = s[r];
        }
    }
    if (w == 0)
        out[w++] = '.';
    out[w] = '\0';
    return out;
}

enum hw_err
nodeinfo_make(struct arena *a, const struct location *l, const struct line *ln,
              enum granularity g, struct nodeinfo *ni)
{
    bool keep_fn = g == GRAN_FUNCTIONS || g == GRAN_FILEFUNCTIONS || g == GRAN_LINES ||
                   g == GRAN_ADDRESSES;
    bool keep_file = g != GRAN_FUNCTIONS;
    bool keep_line = g == GRAN_LINES || g == GRAN_ADDRESSES;
    const char *objfile = l->mapping != NULL ? l->mapping->file : "";

    memset(ni, 0, sizeof(*ni));
    ni->name = ni->file = ni->objfile = "";
    ni->address = g == GRAN_ADDRESSES ? l->address : 0;
    if (ln == NULL) {
        ni->objfile = objfile;
        return HW_OK;
    }
    if (keep_fn)
        ni->name = ln->fn->name;
    if (keep_line)
        ni->lineno = ln->line;
    if (keep_file && ln->fn->filename[0] != '\0' &&
        (ni->file = path_clean(a, ln->fn->filename)) == NULL)
        return arena_error(a);
    /* pprof keeps the binary's name only for frames that have no function name. */
    if (ni->name[0] == '\0') {
        ni->objfile = objfile;
        ni->start_line = ln->fn->start_line;
    }
    return HW_OK;
}

/* Go's filepath.Base for a non-empty path without trailing slashes. */
static const char *
path_base(const char *s)
{
    const char *b = strrchr(s, '/');

    return b != NULL && b[1] != '\0' ? b + 1 : s;
}

const char *
nodeinfo_printable(struct arena *a, const struct nodeinfo *ni)
{
    char num[32];
    const char *last = NULL, *pre = "", *post = "";
    size_t n;
    char *out;

    if (ni->lineno != 0) {
        last = ni->file;
        snprintf(num, sizeof(num), ":%" PRId64, ni->lineno);
        post = num;
    } else if (ni->file[0] != '\0') {
        last = ni->file;
    } else if (ni->name[0] != '\0') {
        last = NULL;
    } else if (ni->objfile[0] != '\0') {
        last = path_base(ni->objfile);
        pre = "[";
        post = "]";
    } else {
        last = "<unknown>";
    }
    if (ni->address == 0 && last == NULL)
        return ni->name;
    if (ni->address == 0 && ni->name[0] == '\0' && pre[0] == '\0' && post[0] == '\0')
        return last;
    n = 17 + strlen(ni->name) + 1 + strlen(last ? last : "") + strlen(post) + 4;
    if ((out = arena_alloc(a, n)) == NULL)
        return NULL;
    out[0] = '\0';
    if (ni->address != 0)
        snprintf(out, n, "%016" PRIx64, ni->address);
    if (ni->name[0] != '\0') {
        if (out[0] != '\0')
            strcat(out, " ");
        strcat(out, ni->name);
    }
    if (last != NULL) {
        if (out[0] != '\0')
            strcat(out, " ");
        strcat(out, pre);
        strcat(out, last);
        strcat(out, post);
    }
    return out;
}

uint64_t
nodeinfo_hash(const struct nodeinfo *ni)
{
    uint64_t h = 0xcbf29ce484222325ull;

    h = hash_str(h, ni->name);
    h = hash_str(h, ni->file);
    h = hash_str(h, ni->objfile);
    h ^= ni->address * 0x9e3779b97f4a7c15ull;
    h ^= (uint64_t)ni->lineno * 0xc2b2ae3d27d4eb4full + (uint64_t)ni->start_line;
    return h * 0x100000001b3ull;
}

int
nodeinfo_equal(const struct nodeinfo *x, const struct nodeinfo *y)
{
    return x->address == y->address && x->lineno == y->lineno && x->start_line == y->start_line &&
           strcmp(x->name, y->name) == 0 && strcmp(x->file, y->file) == 0 &&
           strcmp(x->objfile, y->objfile) == 0;
}

int
nodeinfo_compare_sprint(const struct nodeinfo *x, const struct nodeinfo *y)
{
    char bx[64], by[64];
    int c;

    /* Go prints {Name OrigName Address File StartLine Lineno Objfile}; OrigName is
     * always empty here. Compare piecewise as the concatenated text would. */
    if ((c = strcmp(x->name, y->name)) != 0)
        return c;
    snprintf(bx, sizeof(bx), "  %" PRIu64 " ", x->address);
    snprintf(by, sizeof(by), "  %" PRIu64 " ", y->address);
    if ((c = strcmp(bx, by)) != 0)
        return c;
    if ((c = strcmp(x->file, y->file)) != 0)
        return c;
    snprintf(bx, sizeof(bx), " %" PRId64 " %" PRId64 " ", x->start_line, x->lineno);
    snprintf(by, sizeof(by), " %" PRId64 " %" PRId64 " ", y->start_line, y->lineno);
    if ((c = strcmp(bx, by)) != 0)
        return c;
    return strcmp(x->objfile, y->objfile);
}

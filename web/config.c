/* config.c - the service's configuration. The YAML is read with libyaml into a small
 * tree first (aliases rejected, nesting capped, map keys checked for duplicates),
 * then walked with one table of keys per section, so that every key is known, known
 * and ignored, or an error naming its line. Defaults that depend on other keys
 * (timeouts on intervals, profile types on overrides) are settled at the end of each
 * job. Service discovery files are read by config_expand, never at parse time, so a
 * config stays valid while a target file is briefly missing; they go through the same
 * tree and the same static_configs walk (JSON is turned into a tree too).
 *
 * config_print writes every value explicitly, strings always double-quoted with
 * escapes, so that what it prints parses back to the same config. */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <jansson.h>
#include <yaml.h>

/* Label, parameter and profile type names are printed as YAML keys, which libyaml
 * caps at 1024 characters: 200 bytes stay below even when each needs a 4-character
 * escape. A scrape config needs 7 levels of nesting; files are config and targets. */
#define CFG_MAX_NAME 200
#define CFG_MAX_DEPTH 64
#define CFG_MAX_FILE (16u << 20)
#define CFG_SECRET "<secret>"
#define FLAG_JOB "heapwatch"
#define MS_SECOND 1000L
#define MS_MINUTE (60 * MS_SECOND)
#define MS_HOUR (60 * MS_MINUTE)
#define MS_DAY (24 * MS_HOUR)
#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the YAML tree ------------------------------------------------------------ */

enum ykind { YN_SCALAR, YN_SEQ, YN_MAP };

struct ynode {
    enum ykind kind;
    size_t line;        /* 1-based; 0 when unknown (JSON) */
    bool plain;         /* an unquoted, untagged scalar, which may spell null */
    char *str;          /* the scalar's text */
    struct ynode **kid; /* sequence items, or map keys and values alternating */
    size_t n, cap;
};

/* Where the walk is, for messages: the file and "scrape_configs[0].tls_config". */
struct pctx {
    const char *file;
    struct errbuf *eb;
    struct config *c;
    char where[256];
};

/* A user string made safe for a one-line message: printable ASCII kept, anything else
 * '?', long ones cut. Returned by value so that two can appear in one message. */
struct shown {
    char s[72];
};

static struct shown
show(const char *s)
{
    struct shown r;
    size_t i;

    for (i = 0; s[i] != '\0' && i < sizeof(r.s) - 4; i++)
        r.s[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    if (s[i] != '\0') {
        memcpy(r.s + i, "...", 3);
        i += 3;
    }
    r.s[i] = '\0';
    return r;
}

static enum hw_err perr(struct pctx *pc, const struct ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes "FILE:LINE: message" (the first message wins) and returns HW_BADDATA. */
static enum hw_err
perr(struct pctx *pc, const struct ynode *at, const char *fmt, ...)
{
    char msg[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (at != NULL && at->line > 0)
        return errbuf_set(pc->eb, HW_BADDATA, "%s:%zu: %s", pc->file, at->line, msg);
    return errbuf_set(pc->eb, HW_BADDATA, "%s: %s", pc->file, msg);
}

static const char *
where(const struct pctx *pc)
{
    return pc->where[0] != '\0' ? pc->where : "the top level";
}

/* Appends ".key" (or "key" at the top) to where; returns what where_pop restores. */
static size_t
where_key(struct pctx *pc, const char *key)
{
    size_t old = strlen(pc->where);

    snprintf(pc->where + old, sizeof(pc->where) - old, "%s%s", old > 0 ? "." : "", show(key).s);
    return old;
}

static size_t
where_index(struct pctx *pc, size_t i)
{
    size_t old = strlen(pc->where);

    snprintf(pc->where + old, sizeof(pc->where) - old, "[%zu]", i);
    return old;
}

static void
where_pop(struct pctx *pc, size_t old)
{
    pc->where[old] = '\0';
}

static void
yn_free(struct ynode *y)
{
    size_t i;

    if (y == NULL)
        return;
    for (i = 0; i < y->n; i++)
        yn_free(y->kid[i]);
    free(y->kid);
    free(y->str);
    free(y);
}

static struct ynode *
yn_new(enum ykind kind, size_t line)
{
    struct ynode *y = calloc(1, sizeof(*y));

    if (y != NULL) {
        y->kind = kind;
        y->line = line;
    }
    return y;
}

/* Appends kid to parent, which takes it over even when this fails. */
static enum hw_err
yn_add(struct ynode *parent, struct ynode *kid)
{
    struct ynode **k;
    size_t cap;

    if (parent->n == parent->cap) {
        cap = parent->cap == 0 ? 4 : parent->cap * 2;
        if ((k = realloc(parent->kid, cap * sizeof(*k))) == NULL) {
            yn_free(kid);
            return HW_NOMEM;
        }
        parent->kid = k;
        parent->cap = cap;
    }
    parent->kid[parent->n++] = kid;
    return HW_OK;
}

static const char *
kind_name(const struct ynode *y)
{
    return y->kind == YN_MAP ? "a map" : y->kind == YN_SEQ ? "a list" : "a single value";
}

/* YAML's null: an empty or ~/null plain scalar (a missing node counts too). */
static bool
yn_null(const struct ynode *y)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    size_t i;

    if (y == NULL)
        return true;
    if (y->kind != YN_SCALAR || !y->plain)
        return false;
    for (i = 0; i < NELEMS(nulls); i++)
        if (strcmp(y->str, nulls[i]) == 0)
            return true;
    return false;
}

/* The value under key in map y, NULL when absent (or y is not a map). */
static const struct ynode *
yn_get(const struct ynode *y, const char *key)
{
    size_t i;

    if (y == NULL || y->kind != YN_MAP)
        return NULL;
    for (i = 0; i + 1 < y->n; i += 2)
        if (strcmp(y->kid[i]->str, key) == 0)
            return y->kid[i + 1];
    return NULL;
}

static int
cmp_keynode(const void *a, const void *b)
{
    const struct ynode *const *x = a, *const *y = b;

    return strcmp((*x)->str, (*y)->str);
}

/* Every key of map y must be a single value and appear once. Sorting a copy keeps a
 * hostile map with many keys linear-logarithmic. */
static enum hw_err
yn_check_keys(struct pctx *pc, const struct ynode *y)
{
    const struct ynode **keys;
    size_t i, nk = y->n / 2;
    enum hw_err err = HW_OK;

    for (i = 0; i < y->n; i += 2)
        if (y->kid[i]->kind != YN_SCALAR)
            return perr(pc, y->kid[i], "a map key must be a single value, not %s",
                        kind_name(y->kid[i]));
    if (nk < 2)
        return HW_OK;
    if ((keys = malloc(nk * sizeof(*keys))) == NULL)
        return HW_NOMEM;
    for (i = 0; i < nk; i++)
        keys[i] = y->kid[2 * i];
    qsort(keys, nk, sizeof(*keys), cmp_keynode);
    for (i = 1; i < nk && err == HW_OK; i++)
        if (strcmp(keys[i - 1]->str, keys[i]->str) == 0)
            err = perr(pc, keys[i]->line > keys[i - 1]->line ? keys[i] : keys[i - 1],
                       "duplicate key \"%s\"", show(keys[i]->str).s);
    free(keys);
    return err;
}

/* ---- YAML events into the tree ------------------------------------------------- */

struct builder {
    struct pctx *pc;
    struct ynode *root;
    struct ynode *stack[CFG_MAX_DEPTH];
    size_t depth;
    int ndocs;
};

/* Hangs a new node under the open collection (or makes it the root). */
static enum hw_err
build_attach(struct builder *b, struct ynode *y)
{
    if (b->depth == 0) {
        if (b->root != NULL) {
            yn_free(y);
            return perr(b->pc, NULL, "more than one YAML document");
        }
        b->root = y;
        return HW_OK;
    }
    return yn_add(b->stack[b->depth - 1], y);
}

static enum hw_err
build_scalar(struct builder *b, const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    struct ynode *y;
    size_t line = ev->start_mark.line + 1;

    if (strlen(v) != ev->data.scalar.length)
        return perr(b->pc, &(struct ynode){.line = line}, "a NUL character in a value");
    if ((y = yn_new(YN_SCALAR, line)) == NULL || (y->str = strdup(v)) == NULL) {
        yn_free(y);
        return HW_NOMEM;
    }
    y->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev->data.scalar.tag == NULL;
    return build_attach(b, y);
}

static enum hw_err
build_open(struct builder *b, enum ykind kind, size_t line)
{
    struct ynode *y;
    enum hw_err err;

    if (b->depth == CFG_MAX_DEPTH)
        return perr(b->pc, &(struct ynode){.line = line}, "nested more than %d levels deep",
                    CFG_MAX_DEPTH);
    if ((y = yn_new(kind, line)) == NULL)
        return HW_NOMEM;
    if ((err = build_attach(b, y)) != HW_OK)
        return err;
    b->stack[b->depth++] = y;
    return HW_OK;
}

static enum hw_err
build_event(struct builder *b, const yaml_event_t *ev)
{
    size_t line = ev->start_mark.line + 1;
    struct ynode *y;

    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++b->ndocs > 1)
            return perr(b->pc, &(struct ynode){.line = line}, "more than one YAML document");
        return HW_OK;
    case YAML_ALIAS_EVENT:
        return perr(b->pc, &(struct ynode){.line = line},
                    "aliases (*%s) are not supported; write the value out",
                    show((const char *)ev->data.alias.anchor).s);
    case YAML_SCALAR_EVENT:
        return build_scalar(b, ev);
    case YAML_SEQUENCE_START_EVENT:
        return build_open(b, YN_SEQ, line);
    case YAML_MAPPING_START_EVENT:
        return build_open(b, YN_MAP, line);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        y = b->stack[--b->depth];
        return y->kind == YN_MAP ? yn_check_keys(b->pc, y) : HW_OK;
    default:
        return HW_OK;
    }
}

/* libyaml's own complaint, with a line: reader errors (bad UTF-8, control characters)
 * only give a byte offset, so their line is counted here. */
static enum hw_err
build_yaml_error(struct pctx *pc, const yaml_parser_t *p, const char *text, size_t len)
{
    size_t line = p->problem_mark.line + 1, i;
    const char *problem = p->problem != NULL ? p->problem : "malformed YAML";

    if (p->error == YAML_MEMORY_ERROR)
        return HW_NOMEM;
    if (p->error == YAML_READER_ERROR)
        for (line = 1, i = 0; i < p->problem_offset && i < len; i++)
            line += text[i] == '\n';
    if (p->context != NULL)
        return perr(pc, &(struct ynode){.line = line}, "YAML: %s %s", problem, p->context);
    return perr(pc, &(struct ynode){.line = line}, "YAML: %s", problem);
}

/* The tree of one YAML document; *root is NULL for an empty stream. */
static enum hw_err
tree_parse(struct pctx *pc, const char *text, size_t len, struct ynode **root)
{
    struct builder b;
    yaml_parser_t p;
    yaml_event_t ev;
    enum hw_err err = HW_OK;
    bool done = false;

    memset(&b, 0, sizeof(b));
    b.pc = pc;
    *root = NULL;
    if (!yaml_parser_initialize(&p))
        return HW_NOMEM;
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    while (err == HW_OK && !done) {
        if (!yaml_parser_parse(&p, &ev)) {
            err = build_yaml_error(pc, &p, text, len);
            break;
        }
        err = build_event(&b, &ev);
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    if (err != HW_OK)
        yn_free(b.root);
    else
        *root = b.root;
    return err;
}

/* ---- JSON into the same tree ---------------------------------------------------- */

static enum hw_err json_to_tree(struct pctx *pc, json_t *v, int depth, struct ynode **out);

static enum hw_err
json_scalar(json_t *v, struct ynode **out)
{
    char num[64];
    const char *s = num;
    bool plain = true;

    switch (json_typeof(v)) {
    case JSON_STRING:
        s = json_string_value(v);
        plain = false;
        break;
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        snprintf(num, sizeof(num), "%.17g", json_real_value(v));
        break;
    default:
        s = json_is_true(v) ? "true" : json_is_false(v) ? "false" : "";
        break;
    }
    if ((*out = yn_new(YN_SCALAR, 0)) == NULL || ((*out)->str = strdup(s)) == NULL)
        return HW_NOMEM;
    (*out)->plain = plain;
    return HW_OK;
}

static enum hw_err
json_object_tree(struct pctx *pc, json_t *v, int depth, struct ynode *y)
{
    const char *key;
    json_t *val;
    struct ynode *k, *kid;
    enum hw_err err;

    json_object_foreach(v, key, val)
    {
        if ((k = yn_new(YN_SCALAR, 0)) == NULL)
            return HW_NOMEM;
        if ((err = yn_add(y, k)) != HW_OK)
            return err;
        if ((k->str = strdup(key)) == NULL)
            return HW_NOMEM;
        kid = NULL;
        err = json_to_tree(pc, val, depth + 1, &kid);
        if (kid != NULL && yn_add(y, kid) != HW_OK)
            return HW_NOMEM;
        if (err != HW_OK)
            return err;
    }
    return HW_OK;
}

/* *out may be set even on failure; the caller frees it. */
static enum hw_err
json_to_tree(struct pctx *pc, json_t *v, int depth, struct ynode **out)
{
    struct ynode *kid;
    enum hw_err err;
    size_t i;

    if (depth >= CFG_MAX_DEPTH)
        return perr(pc, NULL, "nested more than %d levels deep", CFG_MAX_DEPTH);
    if (!json_is_object(v) && !json_is_array(v))
        return json_scalar(v, out);
    if ((*out = yn_new(json_is_object(v) ? YN_MAP : YN_SEQ, 0)) == NULL)
        return HW_NOMEM;
    if (json_is_object(v))
        return json_object_tree(pc, v, depth, *out);
    for (i = 0; i < json_array_size(v); i++) {
        kid = NULL;
        err = json_to_tree(pc, json_array_get(v, i), depth + 1, &kid);
        if (kid != NULL && yn_add(*out, kid) != HW_OK)
            return HW_NOMEM;
        if (err != HW_OK)
            return err;
    }
    return HW_OK;
}

static enum hw_err
json_parse_tree(struct pctx *pc, const char *text, size_t len, struct ynode **root)
{
    json_error_t je;
    json_t *v;
    enum hw_err err;

    *root = NULL;
    if ((v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) == NULL)
        return perr(pc, &(struct ynode){.line = je.line > 0 ? (size_t)je.line : 0}, "JSON: %s",
                    show(je.text).s);
    err = json_to_tree(pc, v, 0, root);
    json_decref(v);
    if (err != HW_OK) {
        yn_free(*root);
        *root = NULL;
    }
    return err;
}

/* ---- values ------------------------------------------------------------------- */

static bool
is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool
is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Reads the decimal digits at *p into *v; false when there are none or they overflow. */
static bool
read_uint(const char **p, int64_t *v)
{
    const char *s = *p;

    *v = 0;
    if (!is_digit(*s))
        return false;
    for (; is_digit(*s); s++) {
        if (*v > (INT64_MAX - (*s - '0')) / 10)
            return false;
        *v = *v * 10 + (*s - '0');
    }
    *p = s;
    return true;
}

static const struct {
    const char *unit;
    int64_t ms;
} dur_units[] = {
    {"y", 365 * (int64_t)MS_DAY},
    {"w", 7 * (int64_t)MS_DAY},
    {"d", MS_DAY},
    {"h", MS_HOUR},
    {"m", MS_MINUTE},
    {"s", MS_SECOND},
    {"ms", 1},
};

/* Prometheus's syntax: units from y down to ms, each at most once and in that order. */
enum hw_err
config_parse_duration(const char *s, int64_t *ms)
{
    int64_t total = 0, n;
    size_t next = 0, k, ul;

    if (s == NULL || *s == '\0')
        return HW_BADDATA;
    if (strcmp(s, "0") == 0) {
        *ms = 0;
        return HW_OK;
    }
    while (*s != '\0') {
        if (!read_uint(&s, &n))
            return HW_BADDATA;
        for (k = next; k < NELEMS(dur_units); k++) {
            ul = strlen(dur_units[k].unit);
            if (strncmp(s, dur_units[k].unit, ul) == 0 && (s[ul] == '\0' || is_digit(s[ul])))
                break;
        }
        if (k == NELEMS(dur_units) || n > (INT64_MAX - total) / dur_units[k].ms)
            return HW_BADDATA;
        total += n * dur_units[k].ms;
        s += ul;
        next = k + 1;
    }
    *ms = total;
    return HW_OK;
}

static const struct {
    const char *unit;
    int64_t mult;
} size_units[] = {
    {"", 1},
    {"B", 1},
    {"kB", 1000},
    {"KB", 1000},
    {"MB", 1000 * 1000},
    {"GB", 1000 * 1000 * 1000},
    {"TB", (int64_t)1000 * 1000 * 1000 * 1000},
    {"KiB", (int64_t)1 << 10},
    {"MiB", (int64_t)1 << 20},
    {"GiB", (int64_t)1 << 30},
    {"TiB", (int64_t)1 << 40},
};

enum hw_err
config_parse_size(const char *s, int64_t *bytes)
{
    int64_t n;
    size_t k;

    if (s == NULL || !read_uint(&s, &n))
        return HW_BADDATA;
    for (k = 0; k < NELEMS(size_units); k++)
        if (strcmp(s, size_units[k].unit) == 0)
            break;
    if (k == NELEMS(size_units) || n > INT64_MAX / size_units[k].mult)
        return HW_BADDATA;
    *bytes = n * size_units[k].mult;
    return HW_OK;
}

/* The shortest spelling config_parse_duration reads back: "1m30s", "0s". */
static void
fmt_duration(int64_t ms, char *out, size_t cap)
{
    size_t k, n = 0;

    out[0] = '\0';
    if (ms <= 0) {
        snprintf(out, cap, "%llds", (long long)ms);
        return;
    }
    for (k = 0; k < NELEMS(dur_units) && n < cap; k++) {
        if (ms / dur_units[k].ms == 0)
            continue;
        n += (size_t)snprintf(out + n, cap - n, "%lld%s", (long long)(ms / dur_units[k].ms),
                              dur_units[k].unit);
        ms %= dur_units[k].ms;
    }
}

/* Bytes in the largest binary unit that divides them exactly. */
static void
fmt_size(uint64_t b, char *out, size_t cap)
{
    static const char *const units[] = {"TiB", "GiB", "MiB", "KiB"};
    size_t k;

    for (k = 0; b != 0 && k < NELEMS(units); k++) {
        uint64_t m = (uint64_t)1 << (10 * (NELEMS(units) - k));

        if (b % m == 0) {
            snprintf(out, cap, "%llu%s", (unsigned long long)(b / m), units[k]);
            return;
        }
    }
    snprintf(out, cap, "%llu", (unsigned long long)b);
}

static bool
port_ok(const char *s)
{
    int64_t v;

    return read_uint(&s, &v) && *s == '\0' && v >= 1 && v <= 65535;
}

/* "host:port" with a host name, IPv4 or bracketed IPv6 address ("[::1]:6060"). */
static bool
addr_ok(const char *s, bool empty_host)
{
    const char *end, *p;

    if (s[0] == '[') {
        if ((end = strchr(s, ']')) == NULL || end == s + 1 || end[1] != ':')
            return false;
        for (p = s + 1; p < end; p++)
            if (!is_digit(*p) && !is_alpha(*p) && *p != ':' && *p != '.' && *p != '%')
                return false;
        return port_ok(end + 2);
    }
    if ((end = strrchr(s, ':')) == NULL || (end == s && !empty_host) || end - s > 253)
        return false;
    for (p = s; p < end; p++)
        if (!is_digit(*p) && !is_alpha(*p) && *p != '.' && *p != '-' && *p != '_')
            return false;
    return port_ok(end + 1);
}

/* A listen address: as addr_ok, with port 0 allowed. */
static bool
listen_ok(const char *s)
{
    size_t n = strlen(s);

    if (n >= 2 && strcmp(s + n - 2, ":0") == 0) {
        char tmp[300];

        if (n >= sizeof(tmp))
            return false;
        memcpy(tmp, s, n - 1);
        tmp[n - 1] = '1';
        tmp[n] = '\0';
        return addr_ok(tmp, true);
    }
    return addr_ok(s, true);
}

/* Prometheus's label names: [a-zA-Z_][a-zA-Z0-9_]*. */
static bool
label_name_ok(const char *s)
{
    size_t i;

    if (!is_alpha(s[0]) && s[0] != '_')
        return false;
    for (i = 1; s[i] != '\0'; i++)
        if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '_')
            return false;
    return i <= CFG_MAX_NAME;
}

/* Profile type names end up in file names: letters, digits, '_' and '-'. */
static bool
ptype_name_ok(const char *s)
{
    size_t i;

    for (i = 0; s[i] != '\0'; i++)
        if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '_' && s[i] != '-')
            return false;
    return i > 0 && i <= 64;
}

/* A URL path: "/" then printable ASCII without spaces or '#'; '?' only if query. */
static bool
path_ok(const char *s, bool query)
{
    size_t i;

    if (s[0] != '/')
        return false;
    for (i = 1; s[i] != '\0'; i++)
        if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '#' || (s[i] == '?' && !query))
            return false;
    return true;
}

/* A path prefix: "" or a path, trailing slashes dropped so that "/svc/" + "/debug/..."
 * gives one slash. */
static bool
prefix_fix(char *s)
{
    size_t n = strlen(s);

    while (n > 0 && s[n - 1] == '/')
        s[--n] = '\0';
    return n == 0 || path_ok(s, false);
}

static bool
scheme_ok(const char *s)
{
    return strcmp(s, "http") == 0 || strcmp(s, "https") == 0;
}

static enum hw_err
set_str(char **dst, const char *s)
{
    char *d = strdup(s);

    if (d == NULL)
        return HW_NOMEM;
    free(*dst);
    *dst = d;
    return HW_OK;
}

void
kvlist_clear(struct kvlist *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].value);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static const char *
kvlist_get(const struct kvlist *l, const char *key)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        if (strcmp(l->v[i].key, key) == 0)
            return l->v[i].value;
    return NULL;
}

/* Sets v[n] (room for it was made by the caller) and counts it. */
static enum hw_err
kvlist_put(struct kvlist *l, const char *key, const char *value)
{
    struct kv *kv = &l->v[l->n];

    kv->key = strdup(key);
    kv->value = strdup(value);
    if (kv->key == NULL || kv->value == NULL) {
        free(kv->key);
        free(kv->value);
        return HW_NOMEM;
    }
    l->n++;
    return HW_OK;
}

enum hw_err
kvlist_copy(struct kvlist *dst, const struct kvlist *src)
{
    size_t i;
    enum hw_err err;

    dst->n = 0;
    if ((dst->v = calloc(src->n ? src->n : 1, sizeof(*dst->v))) == NULL)
        return HW_NOMEM;
    for (i = 0; i < src->n; i++)
        if ((err = kvlist_put(dst, src->v[i].key, src->v[i].value)) != HW_OK) {
            kvlist_clear(dst);
            return err;
        }
    return HW_OK;
}

/* ---- freeing ------------------------------------------------------------------ */

static void
static_clear(struct static_cfg *s)
{
    size_t i;

    for (i = 0; i < s->ntargets; i++)
        free(s->targets[i]);
    free(s->targets);
    kvlist_clear(&s->labels);
}

static void
statics_free(struct static_cfg *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        static_clear(&v[i]);
    free(v);
}

static void
auth_tls_clear(struct auth_cfg *a, struct tls_cfg *t)
{
    free(a->username);
    free(a->password);
    free(a->password_file);
    free(a->auth_type);
    free(a->credentials);
    free(a->credentials_file);
    free(t->ca_file);
    free(t->cert_file);
    free(t->key_file);
    free(t->server_name);
}

static void
job_clear(struct job_cfg *j)
{
    size_t i, k;

    free(j->name);
    free(j->scheme);
    free(j->path_prefix);
    kvlist_clear(&j->params);
    statics_free(j->statics, j->nstatics);
    for (i = 0; i < j->nfile_sds; i++) {
        for (k = 0; k < j->file_sds[i].nfiles; k++)
            free(j->file_sds[i].files[k]);
        free(j->file_sds[i].files);
    }
    free(j->file_sds);
    auth_tls_clear(&j->auth, &j->tls);
    for (i = 0; i < j->nptypes; i++) {
        free(j->ptypes[i].name);
        free(j->ptypes[i].path);
    }
    free(j->ptypes);
}

void
config_free(struct config *c)
{
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; i < c->njobs; i++)
        job_clear(&c->jobs[i]);
    free(c->jobs);
    free(c->path);
    free(c->listen);
    free(c->storage.path);
    free(c);
}

struct config *
config_new(void)
{
    struct config *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->listen = strdup("127.0.0.1:7070");
    c->storage.path = strdup("./data");
    if (c->listen == NULL || c->storage.path == NULL) {
        config_free(c);
        return NULL;
    }
    c->storage.retention_ms = MS_DAY;
    c->limits.max_body_bytes = (size_t)64 << 20;
    c->limits.max_decoded_bytes = (size_t)512 << 20;
    c->global.interval_ms = 15 * MS_SECOND;
    c->global.timeout_ms = 10 * MS_SECOND;
    return c;
}

/* ---- walking the tree with key tables --------------------------------------------- */

enum ftype {
    F_STR,    /* char *, strdup'd */
    F_BOOL,   /* bool */
    F_DUR,    /* int64_t ms */
    F_LDUR,   /* long ms */
    F_SIZE,   /* int64_t bytes */
    F_ZSIZE,  /* size_t bytes */
    F_COUNT,  /* int64_t, plain digits */
    F_SUB,    /* a nested map with its own table, at off */
    F_FUNC,   /* fn(pc, value, obj) */
    F_IGNORE, /* a Prometheus or Parca key that means nothing here */
};

struct field {
    const char *key;
    enum ftype type;
    size_t off;
    enum hw_err (*fn)(struct pctx *pc, const struct ynode *y, void *obj);
    const struct field *sub;
    size_t nsub;
};

/* clang-format off */
#define FIELD(k, t, s, m) {k, t, offsetof(s, m), NULL, NULL, 0}
#define FUNC(k, f) {k, F_FUNC, 0, f, NULL, 0}
#define SUB(k, s, m, tab) {k, F_SUB, offsetof(s, m), NULL, tab, NELEMS(tab)}
#define IGNORE(k) {k, F_IGNORE, 0, NULL, NULL, 0}
/* clang-format on */

static enum hw_err walk_map(struct pctx *pc, const struct ynode *y, const struct field *f,
                            size_t nf, void *obj);

static enum hw_err
parse_bool(struct pctx *pc, const struct ynode *y, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
    size_t i;

    for (i = 0; i < NELEMS(yes); i++) {
        if (strcasecmp(y->str, yes[i]) == 0)
            return *out = true, HW_OK;
        if (strcasecmp(y->str, no[i]) == 0)
            return *out = false, HW_OK;
    }
    return perr(pc, y, "%s must be true or false, not \"%s\"", where(pc), show(y->str).s);
}

static enum hw_err
set_number(struct pctx *pc, enum ftype t, const struct ynode *y, void *at)
{
    int64_t v;
    const char *s = y->str;

    if (t == F_DUR || t == F_LDUR) {
        if (config_parse_duration(s, &v) != HW_OK || (t == F_LDUR && v > LONG_MAX))
            return perr(pc, y, "bad duration \"%s\" in %s (like 15s, 1m30s, 500ms)", show(s).s,
                        where(pc));
    } else if (t == F_SIZE || t == F_ZSIZE) {
        if (config_parse_size(s, &v) != HW_OK || (uint64_t)v > SIZE_MAX)
            return perr(pc, y, "bad size \"%s\" in %s (like 1048576, 64MiB, 1GB)", show(s).s,
                        where(pc));
    } else if (!read_uint(&s, &v) || *s != '\0') {
        return perr(pc, y, "bad count \"%s\" in %s (a whole number)", show(y->str).s, where(pc));
    }
    if (t == F_LDUR)
        *(long *)at = (long)v;
    else if (t == F_ZSIZE)
        *(size_t *)at = (size_t)v;
    else
        *(int64_t *)at = v;
    return HW_OK;
}

static enum hw_err
set_field(struct pctx *pc, const struct field *f, const struct ynode *y, void *obj)
{
    void *at = (char *)obj + f->off;

    switch (f->type) {
    case F_IGNORE:
        return HW_OK;
    case F_FUNC:
        return f->fn(pc, y, obj);
    case F_SUB:
        return walk_map(pc, y, f->sub, f->nsub, at);
    default:
        break;
    }
    if (yn_null(y))
        return HW_OK; /* unset: the default stays */
    if (y->kind != YN_SCALAR)
        return perr(pc, y, "%s must be a single value, not %s", where(pc), kind_name(y));
    if (f->type == F_STR)
        return set_str(at, y->str);
    if (f->type == F_BOOL)
        return parse_bool(pc, y, at);
    return set_number(pc, f->type, y, at);
}

static enum hw_err
walk_map(struct pctx *pc, const struct ynode *y, const struct field *f, size_t nf, void *obj)
{
    size_t i, k, old;
    enum hw_err err;

    if (yn_null(y))
        return HW_OK;
    if (y->kind != YN_MAP)
        return perr(pc, y, "%s must be a map, not %s", where(pc), kind_name(y));
    for (i = 0; i + 1 < y->n; i += 2) {
        for (k = 0; k < nf && strcmp(f[k].key, y->kid[i]->str) != 0; k++)
            ;
        if (k == nf)
            return perr(pc, y->kid[i], "unknown key \"%s\" in %s", show(y->kid[i]->str).s,
                        where(pc));
        old = where_key(pc, f[k].key);
        err = set_field(pc, &f[k], y->kid[i + 1], obj);
        where_pop(pc, old);
        if (err != HW_OK)
            return err;
    }
    return HW_OK;
}

/* A list node (null: empty). Checks the kind and says so. */
static enum hw_err
want_list(struct pctx *pc, const struct ynode *y)
{
    if (y->kind != YN_SEQ)
        return perr(pc, y, "%s must be a list, not %s", where(pc), kind_name(y));
    return HW_OK;
}

/* The scalars of list y (or the one scalar y) as strdup'd strings in *out. */
static enum hw_err
parse_strings(struct pctx *pc, const struct ynode *y, char ***out, size_t *n)
{
    const struct ynode *const *items = &y;
    size_t i, count = 1;

    if (yn_null(y))
        return HW_OK;
    if (y->kind == YN_SEQ) {
        items = (const struct ynode *const *)y->kid;
        count = y->n;
    } else if (y->kind != YN_SCALAR) {
        return perr(pc, y, "%s must be a list, not %s", where(pc), kind_name(y));
    }
    if ((*out = calloc(count ? count : 1, sizeof(**out))) == NULL)
        return HW_NOMEM;
    for (i = 0; i < count; i++) {
        if (items[i]->kind != YN_SCALAR)
            return perr(pc, items[i], "%s[%zu] must be a single value, not %s", where(pc), i,
                        kind_name(items[i]));
        if (((*out)[i] = strdup(items[i]->str)) == NULL)
            return HW_NOMEM;
        (*n)++;
    }
    return HW_OK;
}

/* ---- static_configs (also the shape of file_sd files) --------------------------------- */

static enum hw_err
parse_targets(struct pctx *pc, const struct ynode *y, void *obj)
{
    struct static_cfg *s = obj;
    enum hw_err err;
    size_t i;

    if ((err = parse_strings(pc, y, &s->targets, &s->ntargets)) != HW_OK)
        return err;
    for (i = 0; i < s->ntargets; i++)
        if (!addr_ok(s->targets[i], false))
            return perr(pc, y->kind == YN_SEQ ? y->kid[i] : y,
                        "bad target \"%s\" in %s: want host:port", show(s->targets[i]).s,
                        where(pc));
    return HW_OK;
}

/* Meta labels are checked here, so that expand can trust them. */
static enum hw_err
check_label(struct pctx *pc, const struct ynode *key, struct kv *kv)
{
    if (!label_name_ok(kv->key))
        return perr(pc, key, "bad label name \"%s\" in %s", show(kv->key).s, where(pc));
    if (strcmp(kv->key, "__scheme__") == 0 && !scheme_ok(kv->value))
        return perr(pc, key, "__scheme__ in %s must be http or https, not \"%s\"", where(pc),
                    show(kv->value).s);
    if (strcmp(kv->key, "__path_prefix__") == 0 && !prefix_fix(kv->value))
        return perr(pc, key, "bad __path_prefix__ \"%s\" in %s", show(kv->value).s, where(pc));
    return HW_OK;
}

/* A map of label name to value (null: ""), kept in the file's order. */
static enum hw_err
parse_labels(struct pctx *pc, const struct ynode *y, struct kvlist *l)
{
    const struct ynode *k, *v;
    enum hw_err err;
    size_t i;

    if (yn_null(y))
        return HW_OK;
    if (y->kind != YN_MAP)
        return perr(pc, y, "%s must be a map, not %s", where(pc), kind_name(y));
    if ((l->v = calloc(y->n / 2 + 1, sizeof(*l->v))) == NULL)
        return HW_NOMEM;
    for (i = 0; i + 1 < y->n; i += 2) {
        k = y->kid[i];
        v = y->kid[i + 1];
        if (v->kind != YN_SCALAR)
            return perr(pc, v, "label %s in %s must be a single value, not %s", show(k->str).s,
                        where(pc), kind_name(v));
        if ((err = kvlist_put(l, k->str, yn_null(v) ? "" : v->str)) != HW_OK ||
            (err = check_label(pc, k, &l->v[l->n - 1])) != HW_OK)
            return err;
    }
    return HW_OK;
}

static enum hw_err
parse_static_labels(struct pctx *pc, const struct ynode *y, void *obj)
{
    return parse_labels(pc, y, &((struct static_cfg *)obj)->labels);
}

static const struct field static_fields[] = {
    FUNC("targets", parse_targets),
    FUNC("labels", parse_static_labels),
};

/* Parses list y into a new array of y->n elements of size bytes, one item each with
 * its index on the "where" path. *n counts the elements handed to one, so that the
 * owner frees exactly those when one fails. */
static enum hw_err
parse_list(struct pctx *pc, const struct ynode *y, size_t size, void **out, size_t *n,
           enum hw_err (*one)(struct pctx *pc, const struct ynode *y, void *obj))
{
    enum hw_err err;
    size_t i, old;

    if (yn_null(y))
        return HW_OK;
    if ((err = want_list(pc, y)) != HW_OK)
        return err;
    if ((*out = calloc(y->n ? y->n : 1, size)) == NULL)
        return HW_NOMEM;
    for (i = 0; i < y->n; i++) {
        old = where_index(pc, i);
        (*n)++;
        err = one(pc, y->kid[i], (char *)*out + i * size);
        where_pop(pc, old);
        if (err != HW_OK)
            return err;
    }
    return HW_OK;
}

static enum hw_err
parse_static(struct pctx *pc, const struct ynode *y, void *obj)
{
    return walk_map(pc, y, static_fields, NELEMS(static_fields), obj);
}

static enum hw_err
parse_statics(struct pctx *pc, const struct ynode *y, struct static_cfg **out, size_t *n)
{
    return parse_list(pc, y, sizeof(**out), (void **)out, n, parse_static);
}

static enum hw_err
parse_job_statics(struct pctx *pc, const struct ynode *y, void *obj)
{
    struct job_cfg *j = obj;

    return parse_statics(pc, y, &j->statics, &j->nstatics);
}

/* ---- file_sd_configs ---------------------------------------------------------- */

static bool
sd_ext_ok(const char *f)
{
    size_t n = strlen(f);

    return (n > 5 && strcmp(f + n - 5, ".json") == 0) ||
           (n > 4 && strcmp(f + n - 4, ".yml") == 0) || (n > 5 && strcmp(f + n - 5, ".yaml") == 0);
}

static enum hw_err
parse_sd_files(struct pctx *pc, const struct ynode *y, void *obj)
{
    struct file_sd_cfg *f = obj;
    enum hw_err err;
    size_t i;

    if ((err = parse_strings(pc, y, &f->files, &f->nfiles)) != HW_OK)
        return err;
    for (i = 0; i < f->nfiles; i++)
        if (!sd_ext_ok(f->files[i]))
            return perr(pc, y->kind == YN_SEQ ? y->kid[i] : y,
                        "file \"%s\" in %s must end in .json, .yml or .yaml", show(f->files[i]).s,
                        where(pc));
    return HW_OK;
}

static const struct field file_sd_fields[] = {
    FUNC("files", parse_sd_files),
    FIELD("refresh_interval", F_LDUR, struct file_sd_cfg, refresh_ms),
};

static enum hw_err
parse_file_sd(struct pctx *pc, const struct ynode *y, void *obj)
{
    struct file_sd_cfg *f = obj;
    enum hw_err err;

    f->refresh_ms = -1;
    if (y->kind != YN_MAP)
        return perr(pc, y, "%s must be a map, not %s", where(pc), kind_name(y));
    if ((err = walk_map(pc, y, file_sd_fields, NELEMS(file_sd_fields), f)) != HW_OK)
        return err;
    if (f->nfiles == 0)
        return perr(pc, y, "%s has no files", where(pc));
    if (f->refresh_ms == 0)
        return perr(pc, yn_get(y, "refresh_interval"), "refresh_interval in %s must be above 0",
                    where(pc));
    if (f->refresh_ms < 0)
        f->refresh_ms = 5 * MS_MINUTE;
    return HW_OK;
}

static enum hw_err
parse_job_file_sds(struct pctx *pc, const struct ynode *y, void *obj)
{
    struct job_cfg *j = obj;

    return parse_list(pc, y, sizeof(*j->file_sds), (void **)&j->file_sds, &j->nfile_sds,
                      parse_file_sd);
}

/* ---- params ------------------------------------------------------------------- */

/* params: {name: [values]} or {name: value}, kept in order as repeated keys. */
static enum hw_err
parse_params(struct pctx *pc, const struct ynode *y, void *obj)
{
    struct kvlist *l = &((struct job_cfg *)obj)->params;
    const struct ynode *k, *v;
    size_t i, m, count = 0;
    enum hw_err err;

    if (yn_null(y))
        return HW_OK;
    if (y->kind != YN_MAP)
        return perr(pc, y, "%s must be a map, not %s", where(pc), kind_name(y));
    for (i = 1; i < y->n; i += 2)
        count += y->kid[i]->kind == YN_SEQ ? y->kid[i]->n : 1;
    if ((l->v = calloc(count + 1, sizeof(*l->v))) == NULL)
        return HW_NOMEM;
    for (i = 0; i + 1 < y->n; i += 2) {
        k = y->kid[i];
        if (k->str[0] == '\0' || strlen(k->str) > CFG_MAX_NAME)
            return perr(pc, k, "bad parameter name \"%s\" in %s", show(k->str).s, where(pc));
        for (m = 0; m < (y->kid[i + 1]->kind == YN_SEQ ? y->kid[i + 1]->n : 1); m++) {
            v = y->kid[i + 1]->kind == YN_SEQ ? y->kid[i + 1]->kid[m] : y->kid[i + 1];
            if (v->kind != YN_SCALAR)
                return perr(pc, v, "parameter %s in %s: values must be single values, not %s",
                            show(k->str).s, where(pc), kind_name(v));
            if ((err = kvlist_put(l, k->str, yn_null(v) ? "" : v->str)) != HW_OK)
                return err;
        }
    }
    return HW_OK;
}

/* ---- profiling_config --------------------------------------------------------- */

static const struct {
    const char *name, *path;
    bool dflt; /* scraped unless the job says otherwise */
} known_ptypes[] = {
    {"heap", "/debug/pprof/heap", true},
    {"allocs", "/debug/pprof/allocs", true},
    {"goroutine", "/debug/pprof/goroutine", true},
    {"block", "/debug/pprof/block", false},
    {"mutex", "/debug/pprof/mutex", false},
    {"threadcreate", "/debug/pprof/threadcreate", false},
    {"memory", "/debug/pprof/allocs", false}, /* Parca's name */
};

static const char *
known_path(const char *name)
{
    size_t i;

    for (i = 0; i < NELEMS(known_ptypes); i++)
        if (strcmp(known_ptypes[i].name, name) == 0)
            return known_ptypes[i].path;
    return NULL;
}

/* The default types, with room for extra more. */
static enum hw_err
ptypes_defaults(struct job_cfg *j, size_t extra)
{
    size_t i;

    if ((j->ptypes = calloc(NELEMS(known_ptypes) + extra, sizeof(*j->ptypes))) == NULL)
        return HW_NOMEM;
    for (i = 0; i < NELEMS(known_ptypes); i++) {
        struct ptype_cfg *pt = &j->ptypes[j->nptypes];

        if (!known_ptypes[i].dflt)
            continue;
        pt->name = strdup(known_ptypes[i].name);
        pt->path = strdup(known_ptypes[i].path);
        pt->enabled = true;
        j->nptypes++;
        if (pt->name == NULL || pt->path == NULL)
            return HW_NOMEM;
    }
    return HW_OK;
}

static const struct field ptype_fields[] = {
    FIELD("enabled", F_BOOL, struct ptype_cfg, enabled),
    FIELD("path", F_STR, struct ptype_cfg, path),
    FIELD("scrape_interval", F_LDUR, struct ptype_cfg, interval_ms), /* heapwatch's own */
    IGNORE("delta"),
    IGNORE("normalized_addresses"),
};

/* One pprof_config entry: a default overridden, or a new type appended. */
static enum hw_err
parse_ptype(struct pctx *pc, struct job_cfg *j, const struct ynode *k, const struct ynode *v)
{
    struct ptype_cfg *pt = NULL;
    enum hw_err err;
    size_t i;

    if (!ptype_name_ok(k->str))
        return perr(pc, k, "bad profile type name \"%s\" in %s", show(k->str).s, where(pc));
    /* Keys are unique, so only a default can already be there: the search stays short
     * however many types a hostile file lists. */
    for (i = 0; i < j->nptypes && i < NELEMS(known_ptypes) && pt == NULL; i++)
        if (strcmp(j->ptypes[i].name, k->str) == 0)
            pt = &j->ptypes[i];
    if (pt == NULL) {
        pt = &j->ptypes[j->nptypes++];
        pt->enabled = true;
        if ((pt->name = strdup(k->str)) == NULL)
            return HW_NOMEM;
        if (known_path(k->str) != NULL && (pt->path = strdup(known_path(k->str))) == NULL)
            return HW_NOMEM;
    }
    if ((err = walk_map(pc, v, ptype_fields, NELEMS(ptype_fields), pt)) != HW_OK)
        return err;
    if (pt->path == NULL)
        return perr(pc, k, "profile type \"%s\" in %s needs a path", show(k->str).s, where(pc));
    if (!path_ok(pt->path, true))
        return perr(pc, yn_get(v, "path"), "bad path \"%s\" in %s", show(pt->path).s, where(pc));
    return HW_OK;
}

static enum hw_err
parse_pprof_config(struct pctx *pc, const struct ynode *y, void *obj)
{
    struct job_cfg *j = obj;
    enum hw_err err;
    size_t i, old;

    if (yn_null(y))
        return HW_OK;
    if (y->kind != YN_MAP)
        return perr(pc, y, "%s must be a map, not %s", where(pc), kind_name(y));
    if ((err = ptypes_defaults(j, y->n / 2)) != HW_OK)
        return err;
    for (i = 0; i + 1 < y->n; i += 2) {
        old = where_key(pc, y->kid[i]->str);
        err = parse_ptype(pc, j, y->kid[i], y->kid[i + 1]);
        where_pop(pc, old);
        if (err != HW_OK)
            return err;
    }
    return HW_OK;
}

static const struct field profiling_fields[] = {
    FIELD("path_prefix", F_STR, struct job_cfg, path_prefix),
    FUNC("pprof_config", parse_pprof_config),
};

/* ---- jobs --------------------------------------------------------------------- */

static const struct field basic_auth_fields[] = {
    FIELD("username", F_STR, struct auth_cfg, username),
    FIELD("password", F_STR, struct auth_cfg, password),
    FIELD("password_file", F_STR, struct auth_cfg, password_file),
};

static const struct field authorization_fields[] = {
    FIELD("type", F_STR, struct auth_cfg, auth_type),
    FIELD("credentials", F_STR, struct auth_cfg, credentials),
    FIELD("credentials_file", F_STR, struct auth_cfg, credentials_file),
};

static const struct field tls_fields[] = {
    FIELD("ca_file", F_STR, struct tls_cfg, ca_file),
    FIELD("cert_file", F_STR, struct tls_cfg, cert_file),
    FIELD("key_file", F_STR, struct tls_cfg, key_file),
    FIELD("server_name", F_STR, struct tls_cfg, server_name),
    FIELD("insecure_skip_verify", F_BOOL, struct tls_cfg, insecure_skip_verify),
};

static const struct field job_fields[] = {
    FIELD("job_name", F_STR, struct job_cfg, name),
    FIELD("scrape_interval", F_LDUR, struct job_cfg, interval_ms),
    FIELD("scrape_timeout", F_LDUR, struct job_cfg, timeout_ms),
    FIELD("scheme", F_STR, struct job_cfg, scheme),
    FUNC("params", parse_params),
    SUB("basic_auth", struct job_cfg, auth, basic_auth_fields),
    SUB("authorization", struct job_cfg, auth, authorization_fields),
    FIELD("bearer_token", F_STR, struct job_cfg, auth.credentials),
    FIELD("bearer_token_file", F_STR, struct job_cfg, auth.credentials_file),
    SUB("tls_config", struct job_cfg, tls, tls_fields),
    FUNC("static_configs", parse_job_statics),
    FUNC("file_sd_configs", parse_job_file_sds),
    /* profiling_config's keys are the job's own fields: its table walks the job. */
    {"profiling_config", F_SUB, 0, NULL, profiling_fields, NELEMS(profiling_fields)},
    /* Prometheus and Parca keys that mean nothing to heapwatch but come with pasted
     * configs: the path is per profile type here, labels are not rewritten, redirects
     * are followed by libcurl's defaults and HTTP/2 is negotiated as curl sees fit. */
    IGNORE("metrics_path"),
    IGNORE("honor_labels"),
    IGNORE("relabel_configs"),
    IGNORE("follow_redirects"),
    IGNORE("enable_http2"),
};

static long
min_long(long a, long b)
{
    return a < b ? a : b;
}

/* Job interval and timeout from the job's own keys, else the global ones. */
static enum hw_err
job_times(struct pctx *pc, const struct ynode *y, struct job_cfg *j)
{
    const struct ynode *iv = yn_get(y, "scrape_interval"), *to = yn_get(y, "scrape_timeout");
    char a[64], b[64];
    size_t i;

    if (j->interval_ms == 0 || j->timeout_ms == 0)
        return perr(pc, j->interval_ms == 0 ? iv : to, "%s in %s must be above 0",
                    j->interval_ms == 0 ? "scrape_interval" : "scrape_timeout", where(pc));
    if (j->interval_ms < 0)
        j->interval_ms = pc->c->global.interval_ms;
    if (j->timeout_ms < 0)
        j->timeout_ms = min_long(pc->c->global.timeout_ms, j->interval_ms);
    if (j->timeout_ms > j->interval_ms) {
        fmt_duration(j->timeout_ms, a, sizeof(a));
        fmt_duration(j->interval_ms, b, sizeof(b));
        return perr(pc, to, "scrape_timeout %s is above scrape_interval %s in %s", a, b, where(pc));
    }
    for (i = 0; i < j->nptypes; i++)
        if (j->ptypes[i].interval_ms != 0 && j->ptypes[i].interval_ms < j->timeout_ms)
            return perr(pc, yn_get(y, "profiling_config"),
                        "scrape_interval of profile type %s in %s is below scrape_timeout",
                        show(j->ptypes[i].name).s, where(pc));
    return HW_OK;
}

/* One way to authenticate, each with its secret given once. */
static enum hw_err
job_auth(struct pctx *pc, const struct ynode *y, struct job_cfg *j)
{
    struct auth_cfg *a = &j->auth;
    const struct ynode *authz = yn_get(y, "authorization");
    const struct ynode *bearer = yn_get(y, "bearer_token");

    if (bearer == NULL)
        bearer = yn_get(y, "bearer_token_file");
    if (!yn_null(yn_get(y, "basic_auth")) && (!yn_null(authz) || !yn_null(bearer)))
        return perr(pc, y, "%s: basic_auth and authorization (or bearer_token) exclude each other",
                    where(pc));
    if (!yn_null(authz) && !yn_null(bearer))
        return perr(pc, bearer, "%s: authorization and bearer_token exclude each other", where(pc));
    if (a->password != NULL && a->password_file != NULL)
        return perr(pc, y, "%s: basic_auth has both password and password_file", where(pc));
    if (a->credentials != NULL && a->credentials_file != NULL)
        return perr(pc, y, "%s: both credentials and credentials_file are set", where(pc));
    if (a->auth_type != NULL && strcasecmp(a->auth_type, "basic") == 0)
        return perr(pc, authz, "%s: authorization type Basic: use basic_auth instead", where(pc));
    if (a->auth_type == NULL && (a->credentials != NULL || a->credentials_file != NULL) &&
        (a->auth_type = strdup("Bearer")) == NULL)
        return HW_NOMEM;
    return HW_OK;
}

static enum hw_err
job_check(struct pctx *pc, const struct ynode *y, struct job_cfg *j)
{
    if (j->name == NULL || j->name[0] == '\0')
        return perr(pc, y, "%s has no job_name", where(pc));
    if (j->scheme == NULL && (j->scheme = strdup("http")) == NULL)
        return HW_NOMEM;
    if (!scheme_ok(j->scheme))
        return perr(pc, yn_get(y, "scheme"), "scheme in %s must be http or https, not \"%s\"",
                    where(pc), show(j->scheme).s);
    if (j->path_prefix == NULL && (j->path_prefix = strdup("")) == NULL)
        return HW_NOMEM;
    if (!prefix_fix(j->path_prefix))
        return perr(pc, yn_get(yn_get(y, "profiling_config"), "path_prefix"),
                    "bad path_prefix \"%s\" in %s", show(j->path_prefix).s, where(pc));
    if ((j->tls.cert_file == NULL) != (j->tls.key_file == NULL))
        return perr(pc, yn_get(y, "tls_config"), "%s: cert_file and key_file go together",
                    where(pc));
    if (j->ptypes == NULL)
        return ptypes_defaults(j, 0);
    return HW_OK;
}

static enum hw_err
parse_job(struct pctx *pc, const struct ynode *y, void *obj)
{
    struct job_cfg *j = obj;
    enum hw_err err;

    j->interval_ms = j->timeout_ms = -1;
    if (y->kind != YN_MAP)
        return perr(pc, y, "%s must be a map, not %s", where(pc), kind_name(y));
    if ((err = walk_map(pc, y, job_fields, NELEMS(job_fields), j)) != HW_OK ||
        (err = job_check(pc, y, j)) != HW_OK || (err = job_auth(pc, y, j)) != HW_OK)
        return err;
    return job_times(pc, y, j);
}

static int
cmp_job_ptr(const void *a, const void *b)
{
    const struct job_cfg *const *x = a, *const *y = b;
    int d = strcmp((*x)->name, (*y)->name);

    return d != 0 ? d : *x < *y ? -1 : *x > *y;
}

/* Job names are unique; sorting keeps many jobs fast. The later one is named. */
static enum hw_err
jobs_unique(struct pctx *pc, const struct ynode *y, struct config *c)
{
    const struct job_cfg **v;
    enum hw_err err = HW_OK;
    size_t i;

    if (c->njobs < 2)
        return HW_OK;
    if ((v = malloc(c->njobs * sizeof(*v))) == NULL)
        return HW_NOMEM;
    for (i = 0; i < c->njobs; i++)
        v[i] = &c->jobs[i];
    qsort(v, c->njobs, sizeof(*v), cmp_job_ptr);
    for (i = 1; i < c->njobs && err == HW_OK; i++)
        if (strcmp(v[i - 1]->name, v[i]->name) == 0)
            err = perr(pc, yn_get(y->kid[v[i] - c->jobs], "job_name"), "duplicate job_name \"%s\"",
                       show(v[i]->name).s);
    free(v);
    return err;
}

static enum hw_err
parse_jobs(struct pctx *pc, const struct ynode *y, void *obj)
{
    struct config *c = obj;
    enum hw_err err;

    err = parse_list(pc, y, sizeof(*c->jobs), (void **)&c->jobs, &c->njobs, parse_job);
    return err != HW_OK ? err : jobs_unique(pc, y, c);
}

/* ---- the top level ------------------------------------------------------------ */

static const struct field global_fields[] = {
    FIELD("scrape_interval", F_LDUR, struct global_cfg, interval_ms),
    FIELD("scrape_timeout", F_LDUR, struct global_cfg, timeout_ms),
    IGNORE("evaluation_interval"), /* Prometheus's rules */
    IGNORE("external_labels"),     /* Prometheus's remote write */
};

/* global goes first whatever its place in the file, as jobs take their defaults from it. */
static enum hw_err
parse_global(struct pctx *pc, const struct ynode *y, struct global_cfg *g)
{
    struct global_cfg v = {-1, -1};
    enum hw_err err;
    size_t old = where_key(pc, "global");

    err = walk_map(pc, y, global_fields, NELEMS(global_fields), &v);
    if (err == HW_OK && (v.interval_ms == 0 || v.timeout_ms == 0))
        err = perr(pc, y, "global scrape_interval and scrape_timeout must be above 0");
    where_pop(pc, old);
    if (err != HW_OK)
        return err;
    g->interval_ms = v.interval_ms > 0 ? v.interval_ms : g->interval_ms;
    g->timeout_ms = v.timeout_ms > 0 ? v.timeout_ms : min_long(g->timeout_ms, g->interval_ms);
    if (g->timeout_ms > g->interval_ms)
        return perr(pc, yn_get(y, "scrape_timeout"),
                    "global scrape_timeout is above global scrape_interval (15s by default)");
    return HW_OK;
}

static const struct field storage_fields[] = {
    FIELD("path", F_STR, struct storage_cfg, path),
    FIELD("retention_time", F_DUR, struct storage_cfg, retention_ms),
    FIELD("retention_count", F_COUNT, struct storage_cfg, retention_count),
    FIELD("retention_bytes", F_SIZE, struct storage_cfg, retention_bytes),
};

static const struct field limits_fields[] = {
    FIELD("max_body_bytes", F_ZSIZE, struct limits_cfg, max_body_bytes),
    FIELD("max_decoded_bytes", F_ZSIZE, struct limits_cfg, max_decoded_bytes),
};

static const struct field top_fields[] = {
    IGNORE("global"), /* read first, by parse_global */
    FIELD("listen", F_STR, struct config, listen),
    SUB("storage", struct config, storage, storage_fields),
    SUB("limits", struct config, limits, limits_fields),
    FUNC("scrape_configs", parse_jobs),
};

static enum hw_err
parse_top(struct pctx *pc, const struct ynode *root, struct config *c)
{
    enum hw_err err;

    if (yn_null(root))
        return HW_OK; /* an empty file: every default */
    if (root->kind != YN_MAP)
        return perr(pc, root, "the top level must be a map, not %s", kind_name(root));
    if ((err = parse_global(pc, yn_get(root, "global"), &c->global)) != HW_OK ||
        (err = walk_map(pc, root, top_fields, NELEMS(top_fields), c)) != HW_OK)
        return err;
    /* "none" runs without the HTTP server; port 0 lets the system pick one (tests). */
    if (strcmp(c->listen, "none") != 0 && !listen_ok(c->listen))
        return perr(pc, yn_get(root, "listen"), "bad listen address \"%s\": want host:port",
                    show(c->listen).s);
    if (c->storage.path[0] == '\0')
        return perr(pc, yn_get(root, "storage"), "storage path is empty");
    return HW_OK;
}

enum hw_err
config_parse(const char *text, size_t len, const char *name, struct config **out, struct errbuf *eb)
{
    struct pctx pc;
    struct ynode *root = NULL;
    enum hw_err err;

    *out = NULL;
    if (text == NULL)
        text = ""; /* libyaml asserts on a NULL input, even an empty one */
    memset(&pc, 0, sizeof(pc));
    pc.file = name != NULL ? name : "config";
    pc.eb = eb;
    if ((pc.c = config_new()) == NULL)
        return HW_NOMEM;
    if ((err = tree_parse(&pc, text, len, &root)) == HW_OK)
        err = parse_top(&pc, root, pc.c);
    yn_free(root);
    if (err != HW_OK) {
        config_free(pc.c);
        return err;
    }
    *out = pc.c;
    return HW_OK;
}

/* Reads a whole file of at most CFG_MAX_FILE bytes into b. */
static enum hw_err
read_small_file(const char *path, struct buf *b, struct errbuf *eb)
{
    FILE *f;
    enum hw_err err;

    buf_init(b, CFG_MAX_FILE);
    if ((f = fopen(path, "rb")) == NULL)
        return errbuf_set(eb, HW_IO, "%s: %s", path, strerror(errno));
    err = buf_read_file(b, f);
    fclose(f);
    if (err == HW_TOOBIG)
        return errbuf_set(eb, err, "%s: larger than %u MiB", path, CFG_MAX_FILE >> 20);
    if (err != HW_OK)
        return errbuf_set(eb, err, "%s: %s", path, hw_strerror(err));
    return HW_OK;
}

enum hw_err
config_load(const char *path, struct config **out, struct errbuf *eb)
{
    struct buf b;
    enum hw_err err;

    *out = NULL;
    if ((err = read_small_file(path, &b, eb)) == HW_OK)
        err = config_parse(b.data != NULL ? (const char *)b.data : "", b.len, path, out, eb);
    buf_reset(&b);
    if (err == HW_OK && ((*out)->path = strdup(path)) == NULL) {
        config_free(*out);
        *out = NULL;
        return HW_NOMEM;
    }
    return err;
}

/* ---- printing ----------------------------------------------------------------- */

struct printer {
    struct buf *b;
    enum hw_err err;
    bool secrets; /* print secrets as they are (config_dup), not as CFG_SECRET */
};

static void
pr_put(struct printer *p, const char *s)
{
    if (p->err == HW_OK)
        p->err = buf_puts(p->b, s);
}

static void pr_fmt(struct printer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* For short pieces only: numbers, durations, fixed keys. Strings go through pr_quote. */
static void
pr_fmt(struct printer *p, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    pr_put(p, tmp);
}

/* Decodes the UTF-8 character at s into *cp; its length, or 0 when s is not UTF-8. */
static size_t
utf8_next(const unsigned char *s, uint32_t *cp)
{
    size_t n, i;
    uint32_t min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0)
        n = 2, min = 0x80, *cp = s[0] & 0x1f;
    else if ((s[0] & 0xf0) == 0xe0)
        n = 3, min = 0x800, *cp = s[0] & 0x0f;
    else if ((s[0] & 0xf8) == 0xf0)
        n = 4, min = 0x10000, *cp = s[0] & 0x07;
    else
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0; /* a NUL stops here too */
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
        return 0;
    return n;
}

/* What libyaml reads back as itself inside double quotes: printable characters that
 * are neither quote, backslash nor one of YAML 1.1's line breaks (NEL, LS, PS), which
 * it would fold. */
static bool
yaml_literal_char(uint32_t c)
{
    if (c == '"' || c == '\\' || c == 0x2028 || c == 0x2029)
        return false;
    return (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) ||
           (c >= 0xe000 && c <= 0xfffd && c != 0xfeff) || (c >= 0x10000 && c <= 0x10ffff);
}

static void
pr_escape(struct printer *p, const unsigned char *u, size_t n, uint32_t cp)
{
    char esc[16];

    if (n == 0)
        snprintf(esc, sizeof(esc), "\\x%02X", u[0]); /* not UTF-8: the byte as U+00XX */
    else if (cp == '"' || cp == '\\')
        snprintf(esc, sizeof(esc), "\\%c", (char)cp);
    else if (cp == '\n' || cp == '\t')
        snprintf(esc, sizeof(esc), "\\%c", cp == '\n' ? 'n' : 't');
    else if (cp <= 0xff)
        snprintf(esc, sizeof(esc), "\\x%02X", (unsigned)cp);
    else if (cp <= 0xffff)
        snprintf(esc, sizeof(esc), "\\u%04X", (unsigned)cp);
    else
        snprintf(esc, sizeof(esc), "\\U%08X", (unsigned)cp);
    pr_put(p, esc);
}

/* s double-quoted, in runs of characters that need no escape. */
static void
pr_quote(struct printer *p, const char *s)
{
    const unsigned char *u = (const unsigned char *)(s != NULL ? s : ""), *run;
    uint32_t cp = 0;
    size_t n;

    pr_put(p, "\"");
    while (*u != '\0' && p->err == HW_OK) {
        for (run = u; *u != '\0' && (n = utf8_next(u, &cp)) > 0 && yaml_literal_char(cp);)
            u += n;
        if (u > run)
            p->err = buf_append(p->b, run, (size_t)(u - run));
        if (*u == '\0')
            break;
        n = utf8_next(u, &cp);
        pr_escape(p, u, n, cp);
        u += n > 0 ? n : 1;
    }
    pr_put(p, "\"");
}

/* indent key: "value"\n */
static void
pr_str(struct printer *p, const char *indent, const char *key, const char *value)
{
    pr_fmt(p, "%s%s: ", indent, key);
    pr_quote(p, value);
    pr_put(p, "\n");
}

static void
pr_secret(struct printer *p, const char *indent, const char *key, const char *value)
{
    if (value != NULL)
        pr_str(p, indent, key, p->secrets ? value : CFG_SECRET);
}

static void
pr_opt(struct printer *p, const char *indent, const char *key, const char *value)
{
    if (value != NULL)
        pr_str(p, indent, key, value);
}

static void
pr_dur(struct printer *p, const char *indent, const char *key, int64_t ms)
{
    char d[64];

    fmt_duration(ms, d, sizeof(d));
    pr_fmt(p, "%s%s: %s\n", indent, key, d);
}

/* ["a", "b"] */
static void
pr_list(struct printer *p, char *const *v, size_t n)
{
    size_t i;

    pr_put(p, "[");
    for (i = 0; i < n; i++) {
        pr_put(p, i > 0 ? ", " : "");
        pr_quote(p, v[i]);
    }
    pr_put(p, "]\n");
}

/* Values of one name are consecutive (parse_params keeps them so): one key each. */
static void
print_params(struct printer *p, const struct kvlist *l)
{
    size_t i;

    if (l->n == 0)
        return;
    pr_put(p, "    params:\n");
    for (i = 0; i < l->n; i++) {
        bool first = i == 0 || strcmp(l->v[i - 1].key, l->v[i].key) != 0;
        bool last = i + 1 == l->n || strcmp(l->v[i + 1].key, l->v[i].key) != 0;

        if (first) {
            pr_put(p, "      ");
            pr_quote(p, l->v[i].key);
            pr_put(p, ": [");
        }
        pr_put(p, first ? "" : ", ");
        pr_quote(p, l->v[i].value);
        pr_put(p, last ? "]\n" : "");
    }
}

static void
print_auth_tls(struct printer *p, const struct auth_cfg *a, const struct tls_cfg *t)
{
    if (a->username != NULL || a->password != NULL || a->password_file != NULL) {
        pr_put(p, "    basic_auth:\n");
        pr_opt(p, "      ", "username", a->username);
        pr_secret(p, "      ", "password", a->password);
        pr_opt(p, "      ", "password_file", a->password_file);
    }
    if (a->auth_type != NULL || a->credentials != NULL || a->credentials_file != NULL) {
        pr_put(p, "    authorization:\n");
        pr_opt(p, "      ", "type", a->auth_type);
        pr_secret(p, "      ", "credentials", a->credentials);
        pr_opt(p, "      ", "credentials_file", a->credentials_file);
    }
    if (t->ca_file == NULL && t->cert_file == NULL && t->key_file == NULL &&
        t->server_name == NULL && !t->insecure_skip_verify)
        return;
    pr_put(p, "    tls_config:\n");
    pr_opt(p, "      ", "ca_file", t->ca_file);
    pr_opt(p, "      ", "cert_file", t->cert_file);
    pr_opt(p, "      ", "key_file", t->key_file);
    pr_opt(p, "      ", "server_name", t->server_name);
    if (t->insecure_skip_verify)
        pr_put(p, "      insecure_skip_verify: true\n");
}

static void
print_discovery(struct printer *p, const struct job_cfg *j)
{
    size_t i, k;

    if (j->nstatics > 0)
        pr_put(p, "    static_configs:\n");
    for (i = 0; i < j->nstatics; i++) {
        pr_put(p, "      - targets: ");
        pr_list(p, j->statics[i].targets, j->statics[i].ntargets);
        if (j->statics[i].labels.n > 0)
            pr_put(p, "        labels:\n");
        for (k = 0; k < j->statics[i].labels.n; k++) {
            pr_put(p, "          ");
            pr_quote(p, j->statics[i].labels.v[k].key);
            pr_put(p, ": ");
            pr_quote(p, j->statics[i].labels.v[k].value);
            pr_put(p, "\n");
        }
    }
    if (j->nfile_sds > 0)
        pr_put(p, "    file_sd_configs:\n");
    for (i = 0; i < j->nfile_sds; i++) {
        pr_put(p, "      - files: ");
        pr_list(p, j->file_sds[i].files, j->file_sds[i].nfiles);
        pr_dur(p, "        ", "refresh_interval", j->file_sds[i].refresh_ms);
    }
}

static void
print_profiling(struct printer *p, const struct job_cfg *j)
{
    char d[64];
    size_t i;

    pr_put(p, "    profiling_config:\n");
    pr_str(p, "      ", "path_prefix", j->path_prefix != NULL ? j->path_prefix : "");
    pr_put(p, j->nptypes > 0 ? "      pprof_config:\n" : "      pprof_config: {}\n");
    for (i = 0; i < j->nptypes; i++) {
        const struct ptype_cfg *pt = &j->ptypes[i];

        pr_put(p, "        ");
        pr_quote(p, pt->name);
        pr_fmt(p, ": {enabled: %s, path: ", pt->enabled ? "true" : "false");
        pr_quote(p, pt->path);
        if (pt->interval_ms > 0) {
            fmt_duration(pt->interval_ms, d, sizeof(d));
            pr_fmt(p, ", scrape_interval: %s", d);
        }
        pr_put(p, "}\n");
    }
}

static void
print_job(struct printer *p, const struct job_cfg *j)
{
    pr_str(p, "  - ", "job_name", j->name);
    pr_dur(p, "    ", "scrape_interval", j->interval_ms);
    pr_dur(p, "    ", "scrape_timeout", j->timeout_ms);
    pr_str(p, "    ", "scheme", j->scheme != NULL ? j->scheme : "http");
    print_params(p, &j->params);
    print_auth_tls(p, &j->auth, &j->tls);
    print_discovery(p, j);
    print_profiling(p, j);
}

static void
print_config(struct printer *p, const struct config *c)
{
    char s[64];
    size_t i;

    pr_put(p, "# heapwatch: the effective configuration\nglobal:\n");
    pr_dur(p, "  ", "scrape_interval", c->global.interval_ms);
    pr_dur(p, "  ", "scrape_timeout", c->global.timeout_ms);
    pr_str(p, "", "listen", c->listen);
    pr_put(p, "storage:\n");
    pr_str(p, "  ", "path", c->storage.path);
    pr_dur(p, "  ", "retention_time", c->storage.retention_ms);
    pr_fmt(p, "  retention_count: %lld\n", (long long)c->storage.retention_count);
    fmt_size((uint64_t)c->storage.retention_bytes, s, sizeof(s));
    pr_fmt(p, "  retention_bytes: %s\nlimits:\n", s);
    fmt_size(c->limits.max_body_bytes, s, sizeof(s));
    pr_fmt(p, "  max_body_bytes: %s\n", s);
    fmt_size(c->limits.max_decoded_bytes, s, sizeof(s));
    pr_fmt(p, "  max_decoded_bytes: %s\n", s);
    pr_put(p, c->njobs > 0 ? "scrape_configs:\n" : "scrape_configs: []\n");
    for (i = 0; i < c->njobs; i++)
        print_job(p, &c->jobs[i]);
}

enum hw_err
config_print(const struct config *c, struct buf *out)
{
    struct printer p = {out, HW_OK, false};

    print_config(&p, c);
    return p.err;
}

struct config *
config_dup(const struct config *c)
{
    struct printer p;
    struct buf b;
    struct config *d = NULL;

    buf_init(&b, 0);
    p.b = &b;
    p.err = HW_OK;
    p.secrets = true;
    print_config(&p, c);
    if (p.err == HW_OK &&
        config_parse((const char *)b.data, b.len, "config_dup", &d, NULL) == HW_OK &&
        c->path != NULL && (d->path = strdup(c->path)) == NULL) {
        config_free(d);
        d = NULL;
    }
    buf_reset(&b);
    return d;
}

/* ---- flag targets ------------------------------------------------------------- */

struct flag_url {
    const char *scheme;
    char *address; /* host:port */
    char *prefix;  /* what precedes /debug/pprof */
};

/* The path prefix of a URL path: "/svc/debug/pprof/heap" gives "/svc". */
static char *
flag_prefix(const char *path)
{
    const char *p = NULL, *q;
    char *prefix;

    for (q = strstr(path, "/debug/pprof"); q != NULL; q = strstr(q + 1, "/debug/pprof"))
        p = q;
    if (p != NULL && (p[12] == '\0' || (p[12] == '/' && strchr(p + 13, '/') == NULL)))
        prefix = strndup(path, (size_t)(p - path));
    else
        prefix = strdup(path);
    return prefix;
}

static enum hw_err
flag_split_url(const char *url, struct flag_url *fu, struct errbuf *eb)
{
    const char *rest, *dport, *end;
    char *auth;
    bool port;

    if (strncasecmp(url, "http://", 7) == 0)
        fu->scheme = "http", rest = url + 7, dport = "80";
    else if (strncasecmp(url, "https://", 8) == 0)
        fu->scheme = "https", rest = url + 8, dport = "443";
    else
        return errbuf_set(eb, HW_USAGE, "\"%s\" is not an http:// or https:// URL", show(url).s);
    if (strpbrk(rest, "?#@") != NULL)
        return errbuf_set(eb, HW_USAGE,
                          "\"%s\": user names, queries and fragments are not supported",
                          show(url).s);
    end = rest + strcspn(rest, "/");
    if ((auth = strndup(rest, (size_t)(end - rest))) == NULL)
        return HW_NOMEM;
    port = auth[0] == '[' ? strstr(auth, "]:") != NULL : strchr(auth, ':') != NULL;
    if ((fu->address = malloc(strlen(auth) + 5)) == NULL) {
        free(auth);
        return HW_NOMEM;
    }
    snprintf(fu->address, strlen(auth) + 5, "%s%s%s", auth, port ? "" : ":", port ? "" : dport);
    free(auth);
    if (!addr_ok(fu->address, false))
        return errbuf_set(eb, HW_USAGE, "\"%s\": no host:port in the URL", show(url).s);
    if ((fu->prefix = flag_prefix(end)) == NULL)
        return HW_NOMEM;
    if (!prefix_fix(fu->prefix))
        return errbuf_set(eb, HW_USAGE, "\"%s\": bad path", show(url).s);
    return HW_OK;
}

/* The job flag targets go to, made with the global defaults on first use. */
static enum hw_err
flag_job(struct config *c, struct job_cfg **out)
{
    struct job_cfg *v, *j;
    size_t i;

    for (i = 0; i < c->njobs; i++)
        if (c->jobs[i].name != NULL && strcmp(c->jobs[i].name, FLAG_JOB) == 0)
            return *out = &c->jobs[i], HW_OK;
    if ((v = realloc(c->jobs, (c->njobs + 1) * sizeof(*v))) == NULL)
        return HW_NOMEM;
    c->jobs = v;
    j = &v[c->njobs++];
    memset(j, 0, sizeof(*j));
    j->interval_ms = c->global.interval_ms;
    j->timeout_ms = min_long(c->global.timeout_ms, j->interval_ms);
    j->name = strdup(FLAG_JOB);
    j->scheme = strdup("http");
    j->path_prefix = strdup("");
    if (j->name == NULL || j->scheme == NULL || j->path_prefix == NULL)
        return HW_NOMEM;
    *out = j;
    return ptypes_defaults(j, 0);
}

/* One static_configs entry per flag target; what differs from the job goes into meta
 * labels, so that config_print shows it and config_parse reads it back. */
static enum hw_err
flag_static(struct job_cfg *j, const char *name, const struct flag_url *fu)
{
    struct static_cfg *v, *s;
    enum hw_err err;

    if ((v = realloc(j->statics, (j->nstatics + 1) * sizeof(*v))) == NULL)
        return HW_NOMEM;
    j->statics = v;
    s = &v[j->nstatics++];
    memset(s, 0, sizeof(*s));
    if ((s->targets = calloc(1, sizeof(*s->targets))) == NULL ||
        (s->targets[0] = strdup(fu->address)) == NULL)
        return HW_NOMEM;
    s->ntargets = 1;
    if ((s->labels.v = calloc(3, sizeof(*s->labels.v))) == NULL ||
        (err = kvlist_put(&s->labels, "__name__", name)) != HW_OK)
        return HW_NOMEM;
    if (strcmp(fu->prefix, j->path_prefix) != 0 &&
        (err = kvlist_put(&s->labels, "__path_prefix__", fu->prefix)) != HW_OK)
        return err;
    if (strcmp(fu->scheme, j->scheme) != 0)
        return kvlist_put(&s->labels, "__scheme__", fu->scheme);
    return HW_OK;
}

static bool
flag_name_ok(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e)
            return false;
    return n > 0 && n <= CFG_MAX_NAME;
}

enum hw_err
config_add_flag_target(struct config *c, const char *spec, struct errbuf *eb)
{
    const char *eq = strchr(spec, '='), *sep = strstr(spec, "://"), *url = spec;
    struct flag_url fu = {NULL, NULL, NULL};
    struct job_cfg *j;
    char *name = NULL;
    enum hw_err err;
    size_t i;

    if (eq != NULL && (sep == NULL || eq < sep)) {
        if (!flag_name_ok(spec, (size_t)(eq - spec)))
            return errbuf_set(eb, HW_USAGE, "bad target name in \"%s\"", show(spec).s);
        url = eq + 1;
        if ((name = strndup(spec, (size_t)(eq - spec))) == NULL)
            return HW_NOMEM;
    }
    if ((err = flag_split_url(url, &fu, eb)) != HW_OK)
        goto out;
    if (name == NULL && (name = strdup(fu.address)) == NULL) {
        err = HW_NOMEM;
        goto out;
    }
    if ((err = flag_job(c, &j)) != HW_OK)
        goto out;
    for (i = 0; i < j->nstatics; i++) {
        const char *other = kvlist_get(&j->statics[i].labels, "__name__");

        if (other != NULL && strcmp(other, name) == 0) {
            err = errbuf_set(eb, HW_USAGE, "target name \"%s\" given twice", show(name).s);
            goto out;
        }
    }
    err = flag_static(j, name, &fu);
out:
    free(name);
    free(fu.address);
    free(fu.prefix);
    return err;
}

/* ---- service discovery --------------------------------------------------------- */

struct expander {
    const struct config *c;
    struct target_set *out;
    size_t cap;
    size_t nwarn;
    struct errbuf *eb;
};

static void
target_clear(struct target_def *t)
{
    free(t->name);
    free(t->address);
    free(t->scheme);
    free(t->path_prefix);
    kvlist_clear(&t->labels);
}

void
target_set_free(struct target_set *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->n; i++)
        target_clear(&s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

static int
cmp_kv(const void *a, const void *b)
{
    return strcmp(((const struct kv *)a)->key, ((const struct kv *)b)->key);
}

/* job and instance, then the group's labels (which may override them, as in
 * Prometheus), meta labels left out; sorted by name. */
static enum hw_err
target_labels(struct kvlist *l, const struct job_cfg *j, const char *addr,
              const struct kvlist *group)
{
    enum hw_err err;
    char *v;
    size_t i;

    if ((l->v = calloc(group->n + 2, sizeof(*l->v))) == NULL)
        return HW_NOMEM;
    if ((err = kvlist_put(l, "instance", addr)) != HW_OK ||
        (err = kvlist_put(l, "job", j->name != NULL ? j->name : "")) != HW_OK)
        return err;
    for (i = 0; i < group->n; i++) {
        const struct kv *kv = &group->v[i];
        size_t at = strcmp(kv->key, "instance") == 0 ? 0 : strcmp(kv->key, "job") == 0 ? 1 : 2;

        if (strncmp(kv->key, "__", 2) == 0)
            continue;
        if (at == 2) {
            if ((err = kvlist_put(l, kv->key, kv->value)) != HW_OK)
                return err;
        } else {
            if ((v = strdup(kv->value)) == NULL)
                return HW_NOMEM;
            free(l->v[at].value);
            l->v[at].value = v;
        }
    }
    qsort(l->v, l->n, sizeof(*l->v), cmp_kv);
    return HW_OK;
}

static char *
join3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);

    if (s != NULL)
        snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

static enum hw_err
add_target(struct expander *x, const struct job_cfg *j, const char *addr,
           const struct kvlist *group)
{
    const char *name = kvlist_get(group, "__name__"), *scheme = kvlist_get(group, "__scheme__");
    const char *prefix = kvlist_get(group, "__path_prefix__");
    struct target_def *t, *v;
    size_t cap;

    if (x->out->n == x->cap) {
        cap = x->cap == 0 ? 16 : x->cap * 2;
        if ((v = realloc(x->out->v, cap * sizeof(*v))) == NULL)
            return HW_NOMEM;
        x->out->v = v;
        x->cap = cap;
    }
    t = &x->out->v[x->out->n++];
    memset(t, 0, sizeof(*t));
    t->job = j;
    t->address = strdup(addr);
    t->name = name != NULL ? strdup(name) : join3(j->name != NULL ? j->name : "", "/", addr);
    t->scheme = strdup(scheme != NULL ? scheme : j->scheme != NULL ? j->scheme : "http");
    t->path_prefix = strdup(prefix != NULL ? prefix : j->path_prefix != NULL ? j->path_prefix : "");
    if (t->address == NULL || t->name == NULL || t->scheme == NULL || t->path_prefix == NULL)
        return HW_NOMEM;
    return target_labels(&t->labels, j, addr, group);
}

static enum hw_err
add_groups(struct expander *x, const struct job_cfg *j, const struct static_cfg *v, size_t n)
{
    enum hw_err err;
    size_t i, k;

    for (i = 0; i < n; i++)
        for (k = 0; k < v[i].ntargets; k++)
            if ((err = add_target(x, j, v[i].targets[k], &v[i].labels)) != HW_OK)
                return err;
    return HW_OK;
}

static bool
is_json(const char *path)
{
    size_t n = strlen(path);

    return n >= 5 && strcmp(path + n - 5, ".json") == 0;
}

/* Relative file_sd paths are relative to the config file's directory. */
static char *
sd_resolve(const struct config *c, const char *pattern)
{
    const char *slash = c->path != NULL ? strrchr(c->path, '/') : NULL;
    size_t dn, n;
    char *s;

    if (pattern[0] == '/' || slash == NULL)
        return strdup(pattern);
    dn = (size_t)(slash - c->path) + 1;
    n = dn + strlen(pattern) + 1;
    if ((s = malloc(n)) != NULL)
        snprintf(s, n, "%.*s%s", (int)dn, c->path, pattern);
    return s;
}

/* Reads one target file; a bad one is counted and reported, not fatal. */
static enum hw_err
exp_file(struct expander *x, const struct job_cfg *j, const char *path)
{
    struct errbuf feb = {{0}};
    struct pctx pc;
    struct buf b;
    struct ynode *root = NULL;
    struct static_cfg *groups = NULL;
    size_t ngroups = 0;
    enum hw_err err;

    memset(&pc, 0, sizeof(pc));
    pc.file = path;
    pc.eb = &feb;
    if ((err = read_small_file(path, &b, &feb)) == HW_OK) {
        const char *text = b.data != NULL ? (const char *)b.data : "";

        err = is_json(path) ? json_parse_tree(&pc, text, b.len, &root)
                            : tree_parse(&pc, text, b.len, &root);
    }
    buf_reset(&b);
    if (err == HW_OK)
        err = parse_statics(&pc, root, &groups, &ngroups);
    yn_free(root);
    if (err == HW_OK)
        err = add_groups(x, j, groups, ngroups);
    else if (err != HW_NOMEM) {
        x->nwarn++;
        errbuf_set(x->eb, err, "file_sd: %s", errbuf_msg(&feb, err));
        err = HW_OK;
    }
    statics_free(groups, ngroups);
    return err;
}

static enum hw_err
exp_pattern(struct expander *x, const struct job_cfg *j, const char *pattern)
{
    char *path = sd_resolve(x->c, pattern);
    enum hw_err err = HW_OK;
    glob_t g;
    size_t i;
    int rc;

    if (path == NULL)
        return HW_NOMEM;
    memset(&g, 0, sizeof(g));
    rc = glob(path, 0, NULL, &g);
    if (rc == GLOB_NOSPACE)
        err = HW_NOMEM;
    else if ((rc == GLOB_NOMATCH && strpbrk(pattern, "*?[") == NULL) || rc == GLOB_ABORTED) {
        x->nwarn++;
        errbuf_set(x->eb, HW_IO, "file_sd: %s: %s", path,
                   rc == GLOB_ABORTED ? "cannot read the directory" : "no such file");
    }
    for (i = 0; rc == 0 && err == HW_OK && i < g.gl_pathc; i++)
        err = exp_file(x, j, g.gl_pathv[i]);
    globfree(&g);
    free(path);
    return err;
}

static int
cmp_target_ptr(const void *a, const void *b)
{
    const struct target_def *const *x = a, *const *y = b;
    int d = strcmp((*x)->name, (*y)->name);

    return d != 0 ? d : *x < *y ? -1 : *x > *y;
}

/* Sorts by name; of equal names the first in config order stays. */
static enum hw_err
exp_sort(struct target_set *s)
{
    struct target_def **p, *v;
    size_t i, n = 0;

    if (s->n == 0)
        return HW_OK;
    p = malloc(s->n * sizeof(*p));
    v = malloc(s->n * sizeof(*v));
    if (p == NULL || v == NULL) {
        free(p);
        free(v);
        return HW_NOMEM;
    }
    for (i = 0; i < s->n; i++)
        p[i] = &s->v[i];
    qsort(p, s->n, sizeof(*p), cmp_target_ptr);
    for (i = 0; i < s->n; i++) {
        if (n > 0 && strcmp(v[n - 1].name, p[i]->name) == 0)
            target_clear(p[i]);
        else
            v[n++] = *p[i];
    }
    free(p);
    free(s->v);
    s->v = v;
    s->n = n;
    return HW_OK;
}

enum hw_err
config_expand(const struct config *c, struct target_set *out, size_t *nwarnings, struct errbuf *eb)
{
    struct expander x = {c, out, 0, 0, eb};
    enum hw_err err = HW_OK;
    size_t i, k, f;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < c->njobs && err == HW_OK; i++) {
        const struct job_cfg *j = &c->jobs[i];

        err = add_groups(&x, j, j->statics, j->nstatics);
        for (k = 0; k < j->nfile_sds && err == HW_OK; k++)
            for (f = 0; f < j->file_sds[k].nfiles && err == HW_OK; f++)
                err = exp_pattern(&x, j, j->file_sds[k].files[f]);
    }
    if (err == HW_OK)
        err = exp_sort(out);
    if (nwarnings != NULL)
        *nwarnings = x.nwarn;
    if (err != HW_OK)
        target_set_free(out);
    return err;
}

/* ---- URLs and mtimes ------------------------------------------------------------ */

/* RFC 3986: everything but the unreserved characters is %XX. */
static enum hw_err
pct_encode(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    enum hw_err err = HW_OK;
    char e[3];

    for (; *s != '\0' && err == HW_OK; s++) {
        unsigned char c = (unsigned char)*s;

        if (is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            err = buf_append(b, s, 1);
            continue;
        }
        e[0] = '%';
        e[1] = hex[c >> 4];
        e[2] = hex[c & 15];
        err = buf_append(b, e, 3);
    }
    return err;
}

char *
config_target_url(const struct target_def *t, const struct ptype_cfg *pt)
{
    const struct job_cfg *j = t->job;
    const char *scheme = t->scheme ? t->scheme : j && j->scheme ? j->scheme : "http";
    const char *prefix = t->path_prefix        ? t->path_prefix
                         : j && j->path_prefix ? j->path_prefix
                                               : "";
    const char *path = pt->path != NULL ? pt->path : "";
    char sep = strchr(path, '?') != NULL ? '&' : '?';
    enum hw_err err;
    struct buf b;
    size_t i;

    buf_init(&b, 0);
    err = buf_printf(&b, "%s://%s%s%s", scheme, t->address, prefix, path);
    for (i = 0; j != NULL && err == HW_OK && i < j->params.n; i++, sep = '&')
        if ((err = buf_append(&b, &sep, 1)) != HW_OK ||
            (err = pct_encode(&b, j->params.v[i].key)) != HW_OK ||
            (err = buf_append(&b, "=", 1)) != HW_OK)
            break;
        else
            err = pct_encode(&b, j->params.v[i].value);
    if (err != HW_OK) {
        buf_reset(&b);
        return NULL;
    }
    return (char *)buf_steal(&b, NULL);
}

static int64_t
mtime_ms(const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return 0;
    return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

static int64_t
max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* The newest mtime of the files a pattern matches and of their directory. */
static int64_t
pattern_mtime(const struct config *c, const char *pattern)
{
    char *path = sd_resolve(c, pattern), *slash;
    int64_t newest = 0;
    glob_t g;
    size_t i;

    if (path == NULL)
        return 0;
    memset(&g, 0, sizeof(g));
    if (glob(path, 0, NULL, &g) == 0)
        for (i = 0; i < g.gl_pathc; i++)
            newest = max64(newest, mtime_ms(g.gl_pathv[i]));
    globfree(&g);
    if ((slash = strrchr(path, '/')) != NULL) {
        slash[slash == path ? 1 : 0] = '\0';
        newest = max64(newest, mtime_ms(path));
    } else {
        newest = max64(newest, mtime_ms("."));
    }
    free(path);
    return newest;
}

int64_t
config_sd_mtime(const struct config *c)
{
    int64_t newest = 0;
    size_t i, k, f;

    for (i = 0; i < c->njobs; i++)
        for (k = 0; k < c->jobs[i].nfile_sds; k++)
            for (f = 0; f < c->jobs[i].file_sds[k].nfiles; f++)
                newest = max64(newest, pattern_mtime(c, c->jobs[i].file_sds[k].files[f]));
    return newest;
}

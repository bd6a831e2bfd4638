/* folded.c - Brendan Gregg's folded stacks ("root;...;leaf COUNT" per line, or "...
 * BASE COUNT" as difffolded.pl writes them) read into the profile model: one function
 * and one location per distinct frame name, one sample per line, leaf first.
 *
 * Inputs reach a gigabyte, so the work per byte is kept small: a first pass only counts
 * newlines and semicolons (eight bytes at a time) to size the arrays, and one more pass
 * validates each line and interns its frames, scanning for ';' and hashing in the same
 * eight-byte steps. Frame names are interned through an open-addressing table; the
 * table and the UTF-16 conversion are temporary (malloc) and freed before returning,
 * and everything the profile keeps lives in the caller's arena. */
#include "decode.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fold.h"

/* How much of the start of the input must look like text, and how many of the first
 * content lines are tried, before we claim the input as folded stacks. */
#define SNIFF_BYTES 4096
#define SNIFF_LINES 16

struct fline {
    const char *stack; /* root;...;leaf, without the counts */
    size_t stack_len;
    int64_t count;      /* the last number on the line */
    const char *stack2; /* the stack when the line is read as two counts */
    size_t stack2_len;
    int64_t count2; /* the number before the last one */
    bool two;       /* the line can be read as two counts */
};

struct name_ent {
    uint64_t hash;
    const char *name; /* NUL-terminated copy in the arena */
    size_t len;
};

struct names {
    uint32_t *slots; /* index + 1 into ents, 0 when empty */
    size_t mask;
    struct name_ent *ents;
    size_t n, cap;
};

struct lines {
    const char *p, *end;
    char sep;      /* '\n', or '\r' for old Mac files that have no '\n' at all */
    size_t lineno; /* of the line last returned, 1-based */
};

static void
lines_init(struct lines *ls, const char *d, size_t len)
{
    ls->p = d;
    ls->end = d + len;
    ls->lineno = 0;
    ls->sep = memchr(d, '\n', len) == NULL && memchr(d, '\r', len) != NULL ? '\r' : '\n';
}

/* The next line without its terminator (a CR before the LF included). */
static bool
lines_next(struct lines *ls, const char **line, size_t *n)
{
    const char *nl;

    if (ls->p >= ls->end)
        return false;
    nl = memchr(ls->p, ls->sep, (size_t)(ls->end - ls->p));
    *line = ls->p;
    *n = (size_t)((nl ? nl : ls->end) - ls->p);
    if (*n > 0 && ls->p[*n - 1] == '\r')
        (*n)--;
    ls->p = nl ? nl + 1 : ls->end;
    ls->lineno++;
    return true;
}

static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Reads the number that ends s[0..n) and is preceded by white space (or starts s).
 * Sets *start to where the number begins. */
static bool
count_at_end(const char *s, size_t n, int64_t *v, size_t *start, const char **why)
{
    size_t i = n, j;
    uint64_t u = 0;
    bool neg = false;

    while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
        i--;
    if (i == n) {
        *why = "the line does not end in a count";
        return false;
    }
    j = i;
    if (i > 0 && (s[i - 1] == '-' || s[i - 1] == '+')) {
        neg = s[i - 1] == '-';
        i--;
    }
    if (i > 0 && !is_space(s[i - 1])) {
        *why = s[i - 1] == '.' ? "the count is not an integer" : "the count must follow a space";
        return false;
    }
    for (; j < n; j++) {
        unsigned d = (unsigned)(s[j] - '0');

        if (u > (UINT64_C(1) << 63) / 10 || u * 10 + d > (UINT64_C(1) << 63) - !neg) {
            *why = "the count is out of range";
            return false;
        }
        u = u * 10 + d;
    }
    *v = neg ? (int64_t)(0 - u) : (int64_t)u;
    *start = i;
    return true;
}

static size_t
trim_end(const char *s, size_t n)
{
    while (n > 0 && is_space(s[n - 1]))
        n--;
    return n;
}

/* 0: blank or comment, 1: a stack, -1: malformed (*why says how). */
static int
fline_parse(const char *s, size_t n, struct fline *fl, const char **why)
{
    size_t i = 0, start, start2;

    while (i < n && is_space(s[i]))
        i++;
    if (i == n || s[i] == '#')
        return 0;
    n = trim_end(s, n);
    if (!count_at_end(s, n, &fl->count, &start, why))
        return -1;
    if (start == 0) {
        *why = "the line has a count but no stack";
        return -1;
    }
    fl->stack = s;
    fl->stack_len = trim_end(s, start);
    fl->two = false;
    if (count_at_end(s, fl->stack_len, &fl->count2, &start2, why)) {
        fl->two = true;
        fl->stack2 = s;
        fl->stack2_len = trim_end(s, start2);
    }
    return 1;
}

/* Up to 48 bytes of the line, with anything a terminal could act on replaced. */
static void
excerpt(const char *s, size_t n, char *out, size_t cap)
{
    size_t i, k = 0;

    for (i = 0; i < n && k + 4 < cap && i < 48; i++) {
        unsigned char c = (unsigned char)s[i];
        out[k++] = c < 0x20 || c >= 0x7f || c == '"' ? '?' : (char)c;
    }
    if (i < n && k + 4 < cap) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
}

static enum hw_err
bad_line(struct errbuf *eb, size_t lineno, const char *s, size_t n, const char *why)
{
    char ex[64];

    excerpt(s, n, ex, sizeof(ex));
    return errbuf_set(eb, HW_BADDATA,
                      "line %zu: %s (\"%s\"); folded stacks are "
                      "\"frame;frame;leaf COUNT\"",
                      lineno, why, ex);
}

static void
utf8_put(unsigned char **o, uint32_t c)
{
    unsigned char *p = *o;

    if (c < 0x80) {
        *p++ = (unsigned char)c;
    } else if (c < 0x800) {
        *p++ = (unsigned char)(0xc0 | (c >> 6));
        *p++ = (unsigned char)(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
        *p++ = (unsigned char)(0xe0 | (c >> 12));
        *p++ = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
        *p++ = (unsigned char)(0x80 | (c & 0x3f));
    } else {
        *p++ = (unsigned char)(0xf0 | (c >> 18));
        *p++ = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
        *p++ = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
        *p++ = (unsigned char)(0x80 | (c & 0x3f));
    }
    *o = p;
}

/* UTF-16 (after the BOM) to UTF-8 in a new malloc'd buffer. Unpaired surrogates and
 * NUL become U+FFFD; an odd last byte is dropped. Each code unit needs at most three
 * bytes, a pair at most four. */
static unsigned char *
utf16_to_utf8(const unsigned char *d, size_t len, bool be, size_t *outlen)
{
    unsigned char *out = malloc(len / 2 * 3 + 1), *o = out;
    size_t i;

    if (out == NULL)
        return NULL;
    for (i = 0; i + 1 < len; i += 2) {
        uint32_t c = be ? (uint32_t)(d[i] << 8 | d[i + 1]) : (uint32_t)(d[i + 1] << 8 | d[i]);

        if (c >= 0xd800 && c < 0xdc00 && i + 3 < len) {
            uint32_t c2 =
                be ? (uint32_t)(d[i + 2] << 8 | d[i + 3]) : (uint32_t)(d[i + 3] << 8 | d[i + 2]);
            if (c2 >= 0xdc00 && c2 < 0xe000) {
                utf8_put(&o, 0x10000 + ((c - 0xd800) << 10) + (c2 - 0xdc00));
                i += 2;
                continue;
            }
        }
        if (c == 0 || (c >= 0xd800 && c < 0xe000))
            c = 0xfffd;
        utf8_put(&o, c);
    }
    *outlen = (size_t)(o - out);
    return out;
}

/* Text, not a binary format: no NUL and few control bytes near the start, and at
 * least one of the first content lines reads as a stack. */
static bool
looks_folded(const char *d, size_t len)
{
    struct lines ls;
    struct fline fl;
    const char *line, *why;
    size_t i, n, tried = 0, ctl = 0;

    /* Names may hold the odd control character, binary data is full of them. */
    for (i = 0; i < len && i < SNIFF_BYTES; i++) {
        unsigned char c = (unsigned char)d[i];
        if (c == 0)
            return false;
        ctl += c < 0x20 && c != '\n' && c != '\r' && c != '\t';
    }
    if (ctl * 8 > i)
        return false;
    lines_init(&ls, d, len);
    while (tried < SNIFF_LINES && lines_next(&ls, &line, &n)) {
        int r = fline_parse(line, n, &fl, &why);

        if (r > 0)
            return true;
        tried += r < 0;
    }
    return false;
}

/* Doubles an open-addressing table of indices + 1 (1024 slots to begin with) and
 * puts entries 0..n-1 back, entry i's hash found at byte i * stride from hash0. Both
 * the name table and the path table of the streamed fold grow so. */
static enum hw_err
slots_grow(uint32_t **slots_io, size_t *mask, const uint64_t *hash0, size_t stride, size_t n)
{
    size_t i, cap = *mask ? (*mask + 1) * 2 : 1024;
    uint32_t *slots = calloc(cap, sizeof(*slots));

    if (slots == NULL)
        return HW_NOMEM;
    for (i = 0; i < n; i++) {
        uint64_t hash = *(const uint64_t *)(const void *)((const char *)hash0 + i * stride);
        size_t h = (size_t)hash & (cap - 1);

        while (slots[h] != 0)
            h = (h + 1) & (cap - 1);
        slots[h] = (uint32_t)(i + 1);
    }
    free(*slots_io);
    *slots_io = slots;
    *mask = cap - 1;
    return HW_OK;
}

static enum hw_err
names_grow(struct names *t)
{
    return slots_grow(&t->slots, &t->mask, t->ents ? &t->ents[0].hash : NULL, sizeof(*t->ents),
                      t->n);
}

/* The index of the name s[0..n) whose hash is hash, copied into the arena the first
 * time it is seen. */
static enum hw_err
names_intern(struct arena *a, struct names *t, const char *s, size_t n, uint64_t hash,
             uint32_t *idx)
{
    size_t h = (size_t)hash & t->mask;
    uint32_t k;

    while ((k = t->slots[h]) != 0) {
        const struct name_ent *e = &t->ents[k - 1];
        if (e->hash == hash && e->len == n && memcmp(e->name, s, n) == 0) {
            *idx = k - 1;
            return HW_OK;
        }
        h = (h + 1) & t->mask;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        struct name_ent *ents;

        if (cap >= UINT32_MAX || (ents = realloc(t->ents, cap * sizeof(*ents))) == NULL)
            return HW_NOMEM;
        t->ents = ents;
        t->cap = cap;
    }
    if ((t->ents[t->n].name = arena_strndup(a, s, n)) == NULL)
        return arena_error(a);
    t->ents[t->n].hash = hash;
    t->ents[t->n].len = n;
    t->slots[h] = (uint32_t)(t->n + 1);
    *idx = (uint32_t)t->n++;
    if ((t->n + 1) * 2 > t->mask + 1)
        return names_grow(t);
    return HW_OK;
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
#define SEMIS (ONES * ';')

/* Eight bytes as a little-endian number, whatever the machine's byte order, so that
 * the hash of a name does not depend on where a word boundary falls. */
static uint64_t
load64(const char *s)
{
    uint64_t w;

    memcpy(&w, s, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

/* Nonzero when some byte of w is zero. */
static uint64_t
has_zero(uint64_t w)
{
    return (w - ONES) & ~w & HIGHS;
}

/* The number of bytes of w equal to c8 (c repeated in every byte), exactly: each such
 * byte leaves a 1 in its low bit, and the multiplication adds the eight bytes up in the
 * top one (no popcount instruction is assumed). */
static unsigned
count_eq(uint64_t w, uint64_t c8)
{
    uint64_t x = w ^ c8, t = ((x & ~HIGHS) + ~HIGHS) | x;

    return (unsigned)((((~t & HIGHS) >> 7) * ONES) >> 56);
}

static uint64_t
mix(uint64_t h, uint64_t w)
{
    h = (h ^ w) * UINT64_C(0xff51afd7ed558ccd);
    return h ^ (h >> 32);
}

/* Counts line separators and semicolons: upper bounds for samples and frames. */
static void
count_bytes(const char *d, size_t len, char sep, size_t *nsep, size_t *nsemi)
{
    uint64_t sep8 = ONES * (unsigned char)sep;
    size_t i = 0, a = 0, b = 0;

    for (; i + 8 <= len; i += 8) {
        uint64_t w = load64(d + i);
        a += count_eq(w, sep8);
        b += count_eq(w, SEMIS);
    }
    for (; i < len; i++) {
        a += d[i] == sep;
        b += d[i] == ';';
    }
    *nsep = a;
    *nsemi = b;
}

/* Scans the frame name at s up to the next ';' or end, returning where it stopped,
 * with the name's hash. Whole words are hashed as they are scanned; a word holding a
 * ';' or NUL, and the tail, go byte by byte, in the same little-endian packing. */
static const char *
frame_scan(const char *s, const char *end, uint64_t *hash, bool *nul)
{
    const char *start = s;
    uint64_t h = UINT64_C(0x9e3779b97f4a7c15), tail = 0;
    unsigned k = 0;

    while (end - s >= 8) {
        uint64_t w = load64(s);

        if ((has_zero(w) | has_zero(w ^ SEMIS)) != 0)
            break;
        h = mix(h, w);
        s += 8;
    }
    for (; s < end && *s != ';'; s++) {
        *nul = *nul || *s == '\0';
        tail |= (uint64_t)(unsigned char)*s << (8 * k);
        if (++k == 8) {
            h = mix(h, tail);
            tail = 0;
            k = 0;
        }
    }
    *hash = mix(h, tail ^ ((uint64_t)(s - start) << 56)) * UINT64_C(0xc4ceb9fe1a85ec53);
    return s;
}

/* One function and one location per distinct name, ids from 1 in order of first use. */
static enum hw_err
make_locations(struct arena *a, struct profile *p, const struct names *t)
{
    struct line *lines = arena_calloc(a, t->n + 1, sizeof(*lines));
    size_t i;

    p->functions = arena_calloc(a, t->n + 1, sizeof(*p->functions));
    p->locations = arena_calloc(a, t->n + 1, sizeof(*p->locations));
    if (p->functions == NULL || p->locations == NULL || lines == NULL)
        return arena_error(a);
    for (i = 0; i < t->n; i++) {
        struct function *f = &p->functions[i];
        struct location *l = &p->locations[i];

        f->id = i + 1;
        f->name = f->system_name = t->ents[i].name;
        f->filename = "";
        lines[i].fn = f;
        l->id = i + 1;
        l->lines = &lines[i];
        l->nlines = 1;
    }
    p->nfunctions = p->nlocations = t->n;
    return HW_OK;
}

static enum hw_err
set_types(struct arena *a, struct profile *p, bool two)
{
    p->ntypes = two ? 2 : 1;
    if ((p->sample_types = arena_calloc(a, p->ntypes, sizeof(*p->sample_types))) == NULL)
        return arena_error(a);
    p->sample_types[0].type = two ? "base" : "samples";
    p->sample_types[p->ntypes - 1].type = "samples";
    p->sample_types[0].unit = p->sample_types[p->ntypes - 1].unit = "count";
    return HW_OK;
}

/* The frames of one stack, root first: where each ends (offset of its ';', or the
 * stack's length) and its name index. */
struct framelist {
    size_t *end;
    uint32_t *idx;
    size_t n, cap;
};

/* What reading stacks needs, whether into a profile or straight into folded stacks. */
struct lexer {
    struct arena *a;
    struct names t;
    struct framelist fl[2]; /* the current stack's frames (fl[0], after lexer_stack) and
                             * the one before's */
    const char *prev;       /* the previous stack's text */
    size_t prev_len;
};

struct parser {
    struct lexer lx;
    struct profile *p;
    struct location **locs; /* room for maxframes pointers */
    uint32_t *idx;          /* frame name indices, in the upper half of locs */
    size_t maxframes, maxsamples, nframes;
};

static enum hw_err
framelist_push(struct framelist *l, size_t end, uint32_t idx)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        size_t *e = realloc(l->end, cap * sizeof(*e));
        uint32_t *x;

        if (e == NULL)
            return HW_NOMEM;
        l->end = e;
        if ((x = realloc(l->idx, cap * sizeof(*x))) == NULL)
            return HW_NOMEM;
        l->idx = x;
        l->cap = cap;
    }
    l->end[l->n] = end;
    l->idx[l->n++] = idx;
    return HW_OK;
}

/* The length of the common prefix of a[0..na) and b[0..nb). */
static size_t
common_prefix(const char *a, size_t na, const char *b, size_t nb)
{
    size_t n = na < nb ? na : nb, i = 0;

    while (i + 8 <= n && load64(a + i) == load64(b + i))
        i += 8;
    while (i < n && a[i] == b[i])
        i++;
    return i;
}

/* Interns the frames of one stack into lx->fl[0], root first. Folded files are
 * usually sorted (stackcollapse scripts and `heapwatch fold` write them so), so a
 * stack tends to start with the frames of the one before: those whose text and ';'
 * lie within the two stacks' common prefix keep their indices without being hashed. */
static enum hw_err
lexer_stack(struct lexer *lx, const char *s, size_t n, size_t lineno, struct errbuf *eb)
{
    struct framelist *prev = &lx->fl[0], *cur = &lx->fl[1], tmp;
    size_t same = lx->prev ? common_prefix(s, n, lx->prev, lx->prev_len) : 0, off = 0, k;
    enum hw_err err = HW_OK;
    bool nul = false;

    cur->n = 0;
    for (k = 0; k < prev->n && prev->end[k] < same && prev->end[k] < lx->prev_len; k++)
        if ((err = framelist_push(cur, prev->end[k], prev->idx[k])) != HW_OK)
            goto fail;
    if (cur->n > 0)
        off = cur->end[cur->n - 1] + 1;
    while (n > 0 && off <= n) {
        uint64_t hash;
        const char *stop = frame_scan(s + off, s + n, &hash, &nul);
        uint32_t idx = 0;

        if (nul)
            return errbuf_set(eb, HW_BADDATA, "line %zu: a frame name holds a NUL byte", lineno);
        if ((err = names_intern(lx->a, &lx->t, s + off, (size_t)(stop - (s + off)), hash, &idx)) !=
                HW_OK ||
            (err = framelist_push(cur, (size_t)(stop - s), idx)) != HW_OK)
            goto fail;
        off = (size_t)(stop - s) + 1;
    }
    tmp = *prev;
    *prev = *cur;
    *cur = tmp;
    lx->prev = s;
    lx->prev_len = n;
    return HW_OK;
fail:
    return errbuf_set(eb, err, "line %zu: %s", lineno, hw_strerror(err));
}

static void
lexer_free(struct lexer *lx)
{
    size_t i;

    free(lx->t.slots);
    free(lx->t.ents);
    for (i = 0; i < 2; i++) {
        free(lx->fl[i].end);
        free(lx->fl[i].idx);
    }
}

/* Stores the frames of one stack as name indices, leaf first. */
static enum hw_err
parse_frames(struct parser *pr, const char *s, size_t n, size_t lineno, struct errbuf *eb)
{
    const struct framelist *cur = &pr->lx.fl[0];
    enum hw_err err;
    size_t k;

    if ((err = lexer_stack(&pr->lx, s, n, lineno, eb)) != HW_OK)
        return err;
    if (cur->n > pr->maxframes - pr->nframes) /* the count pass makes this impossible */
        return errbuf_set(eb, HW_BADDATA, "line %zu: more frames than counted", lineno);
    for (k = 0; k < cur->n; k++)
        pr->idx[pr->nframes + k] = cur->idx[cur->n - 1 - k];
    pr->nframes += cur->n;
    return HW_OK;
}

/* Reads every line, reading each as two counts when two is set. HW_OK with *retry set
 * when a line has only one count although two was asked for. */
static enum hw_err
parse_lines(struct parser *pr, const char *d, size_t len, bool two, bool *retry, struct errbuf *eb)
{
    struct profile *p = pr->p;
    struct lines ls;
    struct fline fl;
    const char *line, *why;
    size_t n;
    enum hw_err err;

    *retry = false;
    lines_init(&ls, d, len);
    while (lines_next(&ls, &line, &n)) {
        struct sample *s = &p->samples[p->nsamples];
        size_t first = pr->nframes;
        int r = fline_parse(line, n, &fl, &why);

        if (r < 0)
            return bad_line(eb, ls.lineno, line, n, why);
        if (r == 0)
            continue;
        if (two && !fl.two) {
            *retry = true;
            return HW_OK;
        }
        if (p->nsamples == pr->maxsamples)
            return errbuf_set(eb, HW_BADDATA, "line %zu: more lines than counted", ls.lineno);
        err = two ? parse_frames(pr, fl.stack2, fl.stack2_len, ls.lineno, eb)
                  : parse_frames(pr, fl.stack, fl.stack_len, ls.lineno, eb);
        if (err != HW_OK)
            return err;
        s->nlocs = pr->nframes - first;
        s->values[0] = two ? fl.count2 : fl.count;
        s->values[p->ntypes - 1] = fl.count;
        p->nsamples++;
    }
    return HW_OK;
}

/* While lines are read, frames are name indices (uint32) kept in the upper half of
 * the pointer array that will hold the locations; they become pointers front to back
 * once the location array exists. The pointer written at slot i ends at byte 8(i+1),
 * which never reaches index j > i at byte 4m + 4j (m slots), so no index is overwritten
 * before it is read. This saves four bytes per frame: 80 MB on a million-line input. */
static enum hw_err
link_locations(struct parser *pr)
{
    struct profile *p = pr->p;
    size_t i, off = 0;
    enum hw_err err;

    if ((err = make_locations(pr->lx.a, p, &pr->lx.t)) != HW_OK)
        return err;
    for (i = 0; i < pr->nframes; i++) {
        uint32_t k = pr->idx[i];
        pr->locs[i] = &p->locations[k];
    }
    for (i = 0; i < p->nsamples; i++) {
        p->samples[i].locs = pr->locs + off;
        off += p->samples[i].nlocs;
    }
    return HW_OK;
}

static enum hw_err
parse_text(struct arena *a, const char *d, size_t len, struct profile **out, struct errbuf *eb)
{
    struct parser pr = {0};
    struct lines ls;
    struct fline fl;
    const char *line, *why;
    size_t n, nsep, nsemi, i;
    int64_t *values;
    enum hw_err err = HW_NOMEM;
    bool two = false, retry;

    lines_init(&ls, d, len);
    count_bytes(d, len, ls.sep, &nsep, &nsemi);
    /* Two counts per line only if the first stack has them; a later line without
     * them makes us start again with one. */
    while (lines_next(&ls, &line, &n))
        if (fline_parse(line, n, &fl, &why) > 0) {
            two = fl.two;
            break;
        }
    pr.lx.a = a;
    pr.maxsamples = nsep + 1;
    pr.maxframes = nsemi + nsep + 1;
    if ((pr.p = profile_new(a)) == NULL ||
        (pr.p->samples = arena_calloc(a, pr.maxsamples, sizeof(*pr.p->samples))) == NULL ||
        (values = arena_calloc(a, pr.maxsamples * 2, sizeof(*values))) == NULL ||
        (pr.locs = arena_alloc(a, pr.maxframes * sizeof(*pr.locs))) == NULL) {
        err = arena_error(a);
        goto out;
    }
    pr.idx = (uint32_t *)(void *)((unsigned char *)pr.locs +
                                  pr.maxframes * (sizeof(*pr.locs) - sizeof(uint32_t)));
    pr.p->format = PROFILE_FOLDED;
    do {
        free(pr.lx.t.slots);
        pr.lx.t.slots = NULL;
        pr.lx.t.mask = pr.lx.t.n = pr.nframes = pr.p->nsamples = 0;
        pr.lx.fl[0].n = 0;
        pr.lx.prev = NULL;
        if ((err = names_grow(&pr.lx.t)) != HW_OK || (err = set_types(a, pr.p, two)) != HW_OK)
            goto out;
        for (i = 0; i < pr.maxsamples; i++)
            pr.p->samples[i].values = values + i * pr.p->ntypes;
        if ((err = parse_lines(&pr, d, len, two, &retry, eb)) != HW_OK)
            goto out;
        two = false;
    } while (retry);
    if ((err = link_locations(&pr)) != HW_OK)
        goto out;
    *out = pr.p;
out:
    lexer_free(&pr.lx);
    if (err != HW_OK)
        errbuf_set(eb, err, "reading folded stacks: %s", hw_strerror(err));
    return err;
}

enum hw_err
folded_parse(struct arena *a, const unsigned char *data, size_t len, struct profile **out,
             bool *recognized, struct errbuf *eb)
{
    unsigned char *conv = NULL;
    const char *d = (const char *)data;
    enum hw_err err;

    *out = NULL;
    *recognized = false;
    if (len >= 2 &&
        ((data[0] == 0xff && data[1] == 0xfe) || (data[0] == 0xfe && data[1] == 0xff))) {
        if ((conv = utf16_to_utf8(data + 2, len - 2, data[0] == 0xfe, &len)) == NULL)
            return errbuf_set(eb, HW_NOMEM, "out of memory converting UTF-16");
        d = (const char *)conv;
    } else if (len >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf) {
        d += 3;
        len -= 3;
    }
    if (!looks_folded(d, len)) {
        free(conv);
        return errbuf_set(eb, HW_BADDATA, "not folded stacks");
    }
    *recognized = true;
    err = parse_text(a, d, len, out, eb);
    free(conv);
    return err;
}

/* ---- single-column folded stacks from a file, straight to folded paths ---- */

#define STREAM_CHUNK ((size_t)1 << 20) /* bytes read at a time */
#define STREAM_SNIFF ((size_t)64 << 10) /* bytes looked at before claiming the input */
/* Frame pointers per arena block: with the arena's 32-byte chunk header a block is
 * exactly 2 MiB, one huge page (see arena_pages), and nothing of it is wasted. */
#define FRAME_BLOCK (((size_t)2 << 20) / sizeof(const char *) - 4)
#define SPLIT_MIN ((uint64_t)8 << 20)    /* files this big are read by two threads */
#define SPLIT_SEARCH ((size_t)1 << 20)   /* how far past the middle a line end is looked for */

/* The stacks folded so far: each distinct path once, found again through an
 * open-addressing table of indices, its frames in blocks of the arena. */
struct sfold {
    struct fold_stack *stacks; /* malloc'd; copied into the arena at the end */
    uint64_t *hashes;          /* per stack, for growing the table */
    size_t n, cap;
    uint32_t *slots; /* index + 1, 0 when empty */
    size_t mask;
    const char **block; /* where the next stack's frames go */
    size_t room;        /* pointers left in block */
    uint32_t unknown; /* name index of "<unknown>", pprof's name for a frame without one */
    /* The second half of a split input stores name indices in the frame slots, not
     * pointers: the names are not the final ones until the halves are joined. */
    bool by_index;
};

struct stream {
    struct lexer lx;
    struct sfold f;
    int fd;
    uint64_t off, end; /* file offset of the next read; where to stop (UINT64_MAX: EOF) */
    char *buf;
    size_t cap, len, pos; /* buf[pos..len) is not read yet */
    bool eof;
    size_t lineno;
};

/* The second half of a split input, read on a thread of its own into an arena of its
 * own, from the line that starts after the middle. */
struct half {
    struct stream st;
    pthread_t thread;
    enum hw_err err;
    struct errbuf eb;
};

/* Reads more input after buf[len], first moving what is still needed (the line being
 * read, and the previous stack, which lexer_stack compares with) to the front. */
static enum hw_err
stream_fill(struct stream *st, struct errbuf *eb)
{
    size_t keep = st->pos, prev = 0;
    ssize_t r;
    size_t want;

    if (st->lx.prev != NULL) {
        prev = (size_t)(st->lx.prev - st->buf);
        if (prev < keep)
            keep = prev;
    }
    if (keep > 0) {
        memmove(st->buf, st->buf + keep, st->len - keep);
        st->len -= keep;
        st->pos -= keep;
        prev -= keep;
    }
    if (st->cap - st->len < STREAM_CHUNK / 2) {
        size_t cap = st->cap ? st->cap * 2 : STREAM_CHUNK;
        char *b = realloc(st->buf, cap);

        if (b == NULL)
            return errbuf_set(eb, HW_NOMEM, "out of memory reading folded stacks");
        st->buf = b;
        st->cap = cap;
    }
    if (st->lx.prev != NULL)
        st->lx.prev = st->buf + prev;
    want = st->cap - st->len;
    if (st->end - st->off < want)
        want = (size_t)(st->end - st->off);
    r = 0;
    if (want > 0)
        do
            r = pread(st->fd, st->buf + st->len, want, (off_t)st->off);
        while (r < 0 && errno == EINTR);
    if (r < 0)
        return errbuf_set(eb, HW_IO, "reading: %s", strerror(errno));
    st->len += (size_t)r;
    st->off += (uint64_t)r;
    st->eof = r == 0;
    return HW_OK;
}

static uint64_t
frames_hash(const char *const *f, size_t n)
{
    uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ n;
    size_t i;

    for (i = 0; i < n; i++)
        h = mix(h, (uint64_t)(uintptr_t)f[i]);
    return h;
}

static enum hw_err
sfold_grow(struct sfold *f)
{
    return slots_grow(&f->slots, &f->mask, f->hashes, sizeof(*f->hashes), f->n);
}

/* Adds v to the path frames[0..n), which becomes a new stack (pointing at frames)
 * when it is not there yet; *added says which. */
static enum hw_err
sfold_put(struct sfold *f, const char **frames, size_t n, int64_t v, bool *added)
{
    uint64_t hash = frames_hash(frames, n);
    size_t h;
    uint32_t k;

    *added = false;
    for (h = (size_t)hash & f->mask; (k = f->slots[h]) != 0; h = (h + 1) & f->mask) {
        struct fold_stack *s = &f->stacks[k - 1];

        if (f->hashes[k - 1] == hash && s->nframes == n &&
            (n == 0 || memcmp(s->frames, frames, n * sizeof(*frames)) == 0)) {
            s->value = (int64_t)((uint64_t)s->value + (uint64_t)v);
            return HW_OK;
        }
    }
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 1024;
        struct fold_stack *s;
        uint64_t *hs;

        if (cap >= UINT32_MAX || (s = realloc(f->stacks, cap * sizeof(*s))) == NULL)
            return HW_NOMEM;
        f->stacks = s;
        if ((hs = realloc(f->hashes, cap * sizeof(*hs))) == NULL)
            return HW_NOMEM;
        f->hashes = hs;
        f->cap = cap;
    }
    f->stacks[f->n] = (struct fold_stack){.frames = frames, .nframes = n, .value = v};
    f->hashes[f->n] = hash;
    f->slots[h] = (uint32_t)(f->n + 1);
    *added = true;
    if (++f->n * 2 > f->mask + 1)
        return sfold_grow(f);
    return HW_OK;
}

/* Adds v to the path of the current stack (lx->fl[0]), a new one if not seen yet. Its
 * frames are written where the next new stack's go, and kept only if it is new. */
static enum hw_err
sfold_add(struct arena *a, struct sfold *f, const struct lexer *lx, int64_t v)
{
    const struct framelist *cur = &lx->fl[0];
    size_t n = cur->n, i;
    enum hw_err err;
    bool added;

    if (n > f->room) {
        size_t want = n > FRAME_BLOCK ? n : FRAME_BLOCK;

        if ((f->block = arena_alloc(a, want * sizeof(*f->block))) == NULL)
            return arena_error(a);
        f->room = want;
    }
    for (i = 0; i < n; i++) {
        uint32_t k = lx->t.ents[cur->idx[i]].len ? cur->idx[i] : f->unknown;

        f->block[i] = f->by_index ? (const char *)(uintptr_t)k : lx->t.ents[k].name;
    }
    if ((err = sfold_put(f, f->block, n, v, &added)) != HW_OK || !added)
        return err;
    f->block += n;
    f->room -= n;
    return HW_OK;
}


/* One line of input. */
static enum hw_err
stream_line(struct stream *st, const char *line, size_t n, struct errbuf *eb)
{
    struct fline fl;
    const char *why;
    enum hw_err err;
    int r = fline_parse(line, n, &fl, &why);

    if (r < 0)
        return bad_line(eb, st->lineno, line, n, why);
    if (r == 0)
        return HW_OK;
    /* A stack whose count is 0 adds nothing, but its frames are still checked. */
    if ((err = lexer_stack(&st->lx, fl.stack, fl.stack_len, st->lineno, eb)) != HW_OK ||
        fl.count == 0)
        return err;
    if ((err = sfold_add(st->lx.a, &st->f, &st->lx, fl.count)) != HW_OK)
        return errbuf_set(eb, err, "line %zu: %s", st->lineno, hw_strerror(err));
    return HW_OK;
}

/* Whether the input is single-column folded text that folded_parse would read with '\n'
 * line ends, as far as its first complete lines tell; decode_plain's order of trying
 * is kept (a legacy format claims the input first). Skips a UTF-8 BOM. */
static bool
stream_claims(struct stream *st)
{
    const char *d = st->buf, *why, *line;
    size_t len = st->len, n;
    struct lines ls;
    struct fline fl;
    struct arena *scratch;
    struct profile *p;
    struct errbuf eb = {{0}};
    bool legacy = false;

    if (len == 0 || (len >= 2 && (((unsigned char)d[0] == 0x1f && (unsigned char)d[1] == 0x8b) ||
                                  ((unsigned char)d[0] == 0xff && (unsigned char)d[1] == 0xfe) ||
                                  ((unsigned char)d[0] == 0xfe && (unsigned char)d[1] == 0xff))))
        return false;
    if (len >= 3 && memcmp(d, "\xef\xbb\xbf", 3) == 0)
        st->pos = 3;
    d += st->pos;
    len -= st->pos;
    if ((scratch = arena_new(0)) == NULL)
        return false;
    legacy_parse(scratch, (const unsigned char *)d, len, &p, &legacy, &eb);
    arena_free(scratch);
    if (legacy)
        return false;
    /* Only whole lines count, unless the whole input is here. */
    if (!st->eof) {
        const char *nl = d + len;

        while (nl > d && nl[-1] != '\n')
            nl--;
        len = (size_t)(nl - d);
    }
    lines_init(&ls, d, len);
    if (ls.sep != '\n' || !looks_folded(d, len))
        return false;
    while (lines_next(&ls, &line, &n))
        if (fline_parse(line, n, &fl, &why) > 0)
            return !fl.two;
    return false;
}

static enum hw_err
stream_lines(struct stream *st, struct errbuf *eb)
{
    enum hw_err err;

    for (;;) {
        const char *line, *nl = NULL;
        size_t n;

        if (st->pos < st->len) /* a half starts with no buffer at all */
            nl = memchr(st->buf + st->pos, '\n', st->len - st->pos);
        if (nl == NULL && !st->eof) {
            if ((err = stream_fill(st, eb)) != HW_OK)
                return err;
            continue;
        }
        if (nl == NULL && st->pos == st->len)
            return HW_OK;
        line = st->buf + st->pos;
        n = (size_t)((nl ? nl : st->buf + st->len) - line);
        st->pos += n + (nl != NULL);
        if (n > 0 && line[n - 1] == '\r')
            n--;
        st->lineno++;
        if ((err = stream_line(st, line, n, eb)) != HW_OK)
            return err;
    }
}

static enum hw_err
sfold_finish(struct arena *a, struct sfold *f, struct folded **out)
{
    struct folded *r = arena_calloc(a, 1, sizeof(*r));
    size_t i, k = 0;

    if (r == NULL || (r->stacks = arena_alloc(a, (f->n + 1) * sizeof(*r->stacks))) == NULL)
        return arena_error(a);
    for (i = 0; i < f->n; i++) {
        if (f->stacks[i].value == 0)
            continue;
        r->stacks[k++] = f->stacks[i];
        r->total = (int64_t)((uint64_t)r->total + (uint64_t)f->stacks[i].value);
    }
    r->nstacks = k;
    r->type = "samples";
    r->unit = "count";
    *out = r;
    return HW_OK;
}

/* Starts a stream's tables, "<unknown>" among the names; it reads fd to the end. */
static enum hw_err
stream_start(struct stream *st, struct arena *a, int fd)
{
    uint64_t hash;
    uint32_t idx;
    bool nul = false;
    enum hw_err err;

    st->fd = fd;
    st->lx.a = a;
    st->end = UINT64_MAX;
    frame_scan("<unknown>", "<unknown>" + 9, &hash, &nul);
    if ((err = names_grow(&st->lx.t)) != HW_OK || (err = sfold_grow(&st->f)) != HW_OK ||
        (err = names_intern(a, &st->lx.t, "<unknown>", 9, hash, &idx)) != HW_OK)
        return err;
    st->f.unknown = idx;
    return HW_OK;
}

static void
stream_free(struct stream *st)
{
    lexer_free(&st->lx);
    free(st->f.stacks);
    free(st->f.hashes);
    free(st->f.slots);
    free(st->buf);
}

/* Where a second thread should start reading a file of size bytes: just after the
 * first line end past the middle. 0 for no split: a small file, one core, or no line
 * end near the middle. */
static uint64_t
split_point(int fd, uint64_t size)
{
    char buf[16384];
    uint64_t at = size / 2, stop = size / 2 + SPLIT_SEARCH;

    if (size < SPLIT_MIN || sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return 0;
    while (at < stop && at < size) {
        ssize_t r = pread(fd, buf, sizeof(buf), (off_t)at);
        const char *nl;

        if (r <= 0)
            return 0;
        if ((nl = memchr(buf, '\n', (size_t)r)) != NULL) {
            at += (uint64_t)(nl - buf) + 1;
            return at < size ? at : 0;
        }
        at += (uint64_t)r;
    }
    return 0;
}

static void *
half_run(void *arg)
{
    struct half *h = arg;

    h->err = stream_lines(&h->st, &h->eb);
    return NULL;
}

/* Starts reading from split on a thread; NULL (and the caller reads it all) when that
 * cannot be set up. */
static struct half *
half_start(struct arena *a, int fd, uint64_t split)
{
    struct half *h = calloc(1, sizeof(*h));
    struct arena *ha = h ? arena_new(arena_limit(a)) : NULL;

    if (ha == NULL || stream_start(&h->st, ha, fd) != HW_OK)
        goto fail;
    h->st.f.by_index = true;
    h->st.off = split;
    if (pthread_create(&h->thread, NULL, half_run, h) == 0)
        return h;
fail:
    if (h != NULL)
        stream_free(&h->st);
    arena_free(ha);
    free(h);
    return NULL;
}

/* Joins the second half into the first: its names are interned with the first's, its
 * frame slots turned from indices into those names, its paths merged with the
 * first's, and its arena adopted (its frames stay where they are). */
static enum hw_err
half_join(struct stream *st, struct half *h)
{
    const struct names *t = &h->st.lx.t;
    const char **map = malloc((t->n + 1) * sizeof(*map));
    enum hw_err err = map ? HW_OK : HW_NOMEM, adopt;
    size_t i, j;

    for (i = 0; i < t->n && err == HW_OK; i++) {
        uint32_t idx;

        err = names_intern(st->lx.a, &st->lx.t, t->ents[i].name, t->ents[i].len, t->ents[i].hash,
                           &idx);
        if (err == HW_OK)
            map[i] = st->lx.t.ents[idx].name;
    }
    for (i = 0; i < h->st.f.n && err == HW_OK; i++) {
        struct fold_stack *s = &h->st.f.stacks[i];
        bool added;

        for (j = 0; j < s->nframes; j++)
            s->frames[j] = map[(uintptr_t)s->frames[j]];
        err = sfold_put(&st->f, s->frames, s->nframes, s->value, &added);
    }
    free(map);
    adopt = arena_adopt(st->lx.a, h->st.lx.a);
    h->st.lx.a = NULL;
    return err != HW_OK ? err : adopt;
}

/* Frees the second half after its thread has ended (its arena too, unless joined). */
static void
half_end(struct half *h)
{
    stream_free(&h->st);
    arena_free(h->st.lx.a);
    free(h);
}

/* Reads the lines of st, and with a second half h (may be NULL) running, joins it. If
 * the second half failed, its lines are read again here after the first half's, so
 * that an error names its line as counted from the start of the file. */
static enum hw_err
stream_all(struct stream *st, struct half *h, struct errbuf *eb)
{
    enum hw_err err = stream_lines(st, eb);

    if (h == NULL)
        return err;
    pthread_join(h->thread, NULL);
    if (err == HW_OK && h->err == HW_OK) {
        err = half_join(st, h);
    } else if (err == HW_OK) {
        st->end = UINT64_MAX;
        st->eof = false;
        err = stream_lines(st, eb);
    }
    half_end(h);
    return err;
}

enum hw_err
folded_fold_fd(struct arena *a, int fd, struct folded **out, bool *recognized, struct errbuf *eb)
{
    struct stream st;
    struct half *h = NULL;
    struct stat sb;
    uint64_t split;
    enum hw_err err;

    memset(&st, 0, sizeof(st));
    *out = NULL;
    *recognized = false;
    st.fd = fd;
    st.end = UINT64_MAX;
    do
        err = stream_fill(&st, eb);
    while (err == HW_OK && !st.eof && st.len < STREAM_SNIFF);
    if (err != HW_OK || !stream_claims(&st))
        goto out;
    *recognized = true;
    if ((err = stream_start(&st, a, fd)) != HW_OK)
        goto out;
    /* Nothing has moved in the buffer yet: it holds the file from offset 0. */
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
        (split = split_point(fd, (uint64_t)sb.st_size)) > st.pos &&
        (h = half_start(a, fd, split)) != NULL) {
        if (st.len > split)
            st.len = (size_t)split;
        st.off = st.len;
        st.end = split;
        st.eof = false;
    }
    if ((err = stream_all(&st, h, eb)) == HW_OK)
        err = sfold_finish(a, &st.f, out);
out:
    if (err != HW_OK)
        errbuf_set(eb, err, "reading folded stacks: %s", hw_strerror(err));
    stream_free(&st);
    return err;
}

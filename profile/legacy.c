/* legacy.c - the legacy formats pprof still reads, into the profile model: gperftools'
 * binary CPU profile, heap profiles (Go's "heap profile: ... @ heap/N" text and C++
 * heapz, heapprofile, growthz, fragmentationz), Go count profiles (goroutine,
 * threadcreate), threadz, and contention/mutex/block profiles. Each parser follows
 * pprof's (profile/legacy_profile.go) closely enough that the numbers agree bit for
 * bit: the same regular-expression matches (a Pike VM, like Go's regexp, for the
 * memory map patterns), Go's strconv rules (base-0 octal included), int64
 * wrap-around, Go's int64(float64) truncation and Go's own math.Exp
 * on amd64, whose last bits differ from libm's in one call out of ten.
 *
 * One deliberate addition: the "#\t0x4a5b6c\tmain.foo+0x1c\t/src/a.go:42" comments
 * Go writes after each stack are read as symbols, one function per distinct name,
 * so frames have names without the binary. pprof ignores them.
 *
 * Work tables (address index, stacks, values, symbol lines) are malloc'd and freed
 * before returning; what the profile keeps is built in the caller's arena at the end,
 * in pprof's order (locations by first use, the main binary's mapping first). */
#include "decode.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A byte range of the input: lines are not NUL-terminated and may hold NULs. */
struct str {
    const char *p;
    size_t n;
};

static struct str
str_make(const char *p, size_t n)
{
    struct str s;

    s.p = p;
    s.n = n;
    return s;
}

static struct str
str_from(struct str s, size_t i)
{
    return str_make(s.p + i, s.n - i);
}

static bool
str_prefix(struct str s, const char *pre)
{
    size_t n = strlen(pre);

    return s.n >= n && memcmp(s.p, pre, n) == 0;
}

static bool
str_at(struct str s, size_t i, const char *lit)
{
    return i <= s.n && str_prefix(str_from(s, i), lit);
}

static bool
str_eq(struct str s, const char *lit)
{
    return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

static bool
str_same(struct str a, struct str b)
{
    return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

/* The offset of the first needle in s at or after from, or SIZE_MAX. */
static size_t
str_find(struct str s, size_t from, const char *needle)
{
    size_t n = strlen(needle);
    const char *q;

    while (n <= s.n && from <= s.n - n) {
        if ((q = memchr(s.p + from, needle[0], s.n - n + 1 - from)) == NULL)
            return SIZE_MAX;
        from = (size_t)(q - s.p);
        if (memcmp(q, needle, n) == 0)
            return from;
        from++;
    }
    return SIZE_MAX;
}

/* A printable excerpt of s for an error message. */
static const char *
excerpt(struct str s, char buf[48])
{
    size_t i, n = s.n < 40 ? s.n : 40;

    for (i = 0; i < n; i++)
        buf[i] = (s.p[i] >= 0x20 && s.p[i] < 0x7f) ? s.p[i] : '?';
    if (n < s.n)
        buf[n - 3] = buf[n - 2] = buf[n - 1] = '.';
    buf[n] = '\0';
    return buf;
}

/* Character classes as Go's regexp spells them: \s is [\t\n\f\r ], \d is [0-9]. */
static bool
re_space(char c)
{
    return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_lhex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f');
}

static bool
is_xdigit(char c)
{
    return is_lhex(c) || (c >= 'A' && c <= 'F');
}

static size_t
skip_blanks(struct str s, size_t i)
{
    while (i < s.n && s.p[i] == ' ')
        i++;
    return i;
}

static size_t
skip_digits(struct str s, size_t i)
{
    while (i < s.n && is_digit(s.p[i]))
        i++;
    return i;
}

/* The length of the white-space character (Go's unicode.IsSpace) at p, 0 if none. */
static size_t
space_at(const unsigned char *p, size_t n)
{
    if (n >= 1 && (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r')))
        return 1;
    if (n >= 2 && p[0] == 0xC2 && (p[1] == 0x85 || p[1] == 0xA0))
        return 2;
    if (n < 3)
        return 0;
    if ((p[0] == 0xE1 && p[1] == 0x9A && p[2] == 0x80) ||
        (p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0x80 && p[2] <= 0x8A) ||
        (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9 || p[2] == 0xAF)) ||
        (p[0] == 0xE2 && p[1] == 0x81 && p[2] == 0x9F) ||
        (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80))
        return 3;
    return 0;
}

/* Go's strings.TrimSpace, Unicode spaces included. */
static struct str
go_trim(struct str s)
{
    const unsigned char *u;
    size_t k;

    while (s.n > 0 && (k = space_at((const unsigned char *)s.p, s.n)) > 0)
        s = str_from(s, k);
    while (s.n > 0) {
        u = (const unsigned char *)s.p;
        for (k = 1; k <= 3 && k <= s.n; k++)
            if (space_at(u + (s.n - k), k) == k)
                break;
        if (k > 3 || k > s.n)
            break;
        s.n -= k;
    }
    return s;
}

/* pprof's isSpaceOrComment. */
static bool
blank_or_comment(struct str line)
{
    line = go_trim(line);
    return line.n == 0 || line.p[0] == '#';
}

static bool
is_sentinel(struct str line)
{
    return str_find(line, 0, "--- Memory map: ---") != SIZE_MAX ||
           str_find(line, 0, "MAPPED_LIBRARIES:") != SIZE_MAX;
}

/* ---- Go's numbers ---- */

static char
lower(char c)
{
    return (char)(c | 0x20);
}

/* strconv's underscoreOK: base-0 numbers may separate digits with '_'. */
static bool
underscore_ok(struct str s)
{
    char saw = '^';
    bool hex = false;
    size_t i = 0;

    if (s.n >= 1 && (s.p[0] == '-' || s.p[0] == '+'))
        s = str_from(s, 1);
    if (s.n >= 2 && s.p[0] == '0' &&
        (lower(s.p[1]) == 'b' || lower(s.p[1]) == 'o' || lower(s.p[1]) == 'x')) {
        i = 2;
        saw = '0';
        hex = lower(s.p[1]) == 'x';
    }
    for (; i < s.n; i++) {
        if (is_digit(s.p[i]) || (hex && lower(s.p[i]) >= 'a' && lower(s.p[i]) <= 'f')) {
            saw = '0';
        } else if (s.p[i] == '_') {
            if (saw != '0')
                return false;
            saw = '_';
        } else {
            if (saw == '_')
                return false;
            saw = '!';
        }
    }
    return saw != '_';
}

/* strconv.ParseUint(s, base, 64) for base 0 (the prefix decides: 0x, 0o, 0b, and a
 * bare leading 0 means octal), 10 or 16. False on any error, as pprof treats them. */
static bool
go_parse_uint(struct str s, int base, uint64_t *out)
{
    struct str s0 = s;
    bool base0 = base == 0, unders = false;
    uint64_t n = 0, cutoff;
    unsigned d;
    size_t i;

    if (s.n == 0)
        return false;
    if (base0) {
        base = 10;
        if (s.p[0] == '0' && s.n >= 3 && lower(s.p[1]) == 'b')
            base = 2;
        else if (s.p[0] == '0' && s.n >= 3 && lower(s.p[1]) == 'o')
            base = 8;
        else if (s.p[0] == '0' && s.n >= 3 && lower(s.p[1]) == 'x')
            base = 16;
        else if (s.p[0] == '0')
            base = 1; /* a bare leading 0: octal, only the 0 is skipped */
        s = str_from(s, base == 10 ? 0 : base == 1 ? 1 : 2);
        base = base == 1 ? 8 : base;
    }
    cutoff = UINT64_MAX / (uint64_t)base + 1;
    for (i = 0; i < s.n; i++) {
        if (s.p[i] == '_' && base0) {
            unders = true;
            continue;
        }
        if (is_digit(s.p[i]))
            d = (unsigned)(s.p[i] - '0');
        else if (lower(s.p[i]) >= 'a' && lower(s.p[i]) <= 'z')
            d = (unsigned)(lower(s.p[i]) - 'a') + 10;
        else
            return false;
        if (d >= (unsigned)base || n >= cutoff || n * (uint64_t)base + d < n * (uint64_t)base)
            return false;
        n = n * (uint64_t)base + d;
    }
    if (unders && !underscore_ok(s0))
        return false;
    *out = n;
    return true;
}

/* strconv.ParseInt(s, base, 64). */
static bool
go_parse_int(struct str s, int base, int64_t *out)
{
    bool neg = false;
    uint64_t u;

    if (s.n == 0)
        return false;
    if (s.p[0] == '+' || s.p[0] == '-') {
        neg = s.p[0] == '-';
        s = str_from(s, 1);
    }
    if (!go_parse_uint(s, base, &u) || u > (uint64_t)INT64_MAX + neg)
        return false;
    if (neg)
        *out = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
    else
        *out = (int64_t)u;
    return true;
}

/* Go's int64(u) and int64 arithmetic: two's complement wrap-around. */
static int64_t
u2i(uint64_t u)
{
    return u <= (uint64_t)INT64_MAX ? (int64_t)u
                                    : (int64_t)(u - (uint64_t)INT64_MAX - 1) + INT64_MIN;
}

static int64_t
wrap_mul(int64_t a, int64_t b)
{
    return u2i((uint64_t)a * (uint64_t)b);
}

/* Go's int64(f) on amd64 (CVTTSD2SQ): truncation, and INT64_MIN for NaN and for
 * values out of range. */
static int64_t
go_f2i(double f)
{
    if (f >= -9223372036854775808.0 && f < 9223372036854775808.0)
        return (int64_t)f;
    return INT64_MIN;
}

static double
bits_double(uint64_t u)
{
    double d;

    memcpy(&d, &u, sizeof(d));
    return d;
}

static bool
have_fma(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    return __builtin_cpu_supports("avx") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

/* The polynomial and squarings of Go's amd64 math.Exp (Shibata's method, from
 * SLEEF), in its FMA form or its plain form: pprof's un-sampling goes through it, and
 * the product is truncated, so every rounding has to be Go's. */
static double
go_exp_reduced(double x, double fe, bool fma_path)
{
    static const double c[] = {2.4801587301587301587e-5,
                               1.9841269841269841270e-4,
                               1.3888888888888888889e-3,
                               8.3333333333333333333e-3,
                               4.1666666666666666667e-2,
                               1.6666666666666666667e-1,
                               0.5,
                               1.0};
    const double ln2u = 0.69314718055966295651160180568695068359375;
    const double ln2l = 0.28235290563031577122588448175013436025525412068e-12;
    double p = c[0], t;
    int i;

    if (fma_path) {
        x = fma(-fe, ln2u, x);
        x = fma(-fe, ln2l, x);
    } else {
        t = ln2u * fe;
        x = x - t;
        t = ln2l * fe;
        x = x - t;
    }
    x = x * 0.0625;
    for (i = 1; i < 8; i++) {
        if (fma_path) {
            p = fma(p, x, c[i]);
        } else {
            p = p * x;
            p = p + c[i];
        }
    }
    x = x * p;
    for (i = 0; i < 3; i++) {
        t = x + 2.0;
        x = x * t;
    }
    t = x + 2.0;
    if (fma_path)
        return fma(t, x, 1.0);
    x = x * t;
    return x + 1.0;
}

/* Go's math.Exp as compiled for amd64, by its FMA path or its plain one. (Go on
 * other machines has other code; this is as close to it as libm would be.) */
static double
go_exp_path(double x, bool fma_path)
{
    const double log2e = 1.4426950408889634073599246810018920;
    uint64_t bits;
    int64_t e;
    double r;

    memcpy(&bits, &x, sizeof(bits));
    if ((bits & ~(UINT64_C(1) << 63)) >= UINT64_C(0x7FF0000000000000))
        return bits == UINT64_C(0xFFF0000000000000) ? 0 : x;
    if (x > 7.09782712893384e+02)
        return HUGE_VAL;
    r = rint(log2e * x); /* CVTSD2SL: nearest even, INT32_MIN when out of range */
    e = (r >= -2147483648.0 && r <= 2147483647.0) ? (int64_t)r : INT32_MIN;
    x = go_exp_reduced(x, (double)e, fma_path);
    e += 0x3FF;
    if (e <= 0) {
        if (e < -52)
            return 0;
        x = x * bits_double((uint64_t)(e + 0x3FE) << 52);
        e = 1;
    } else if (e >= 0x7FF) {
        return HUGE_VAL;
    }
    return x * bits_double((uint64_t)e << 52);
}

/* Go picks the FMA path when the CPU has AVX and FMA, as pprof on this machine does. */
static double
go_exp(double x)
{
    return go_exp_path(x, have_fma());
}

/* pprof's scaleHeapSample: a heapz v2 sample of average size S was taken with
 * probability 1-exp(-S/rate); divide by it. */
static void
scale_heap(int64_t *count, int64_t *size, int64_t rate)
{
    double avg, scale;

    if (*count == 0 || *size == 0) {
        *count = *size = 0;
        return;
    }
    if (rate <= 1)
        return;
    avg = (double)*size / (double)*count;
    scale = 1 / (1 - go_exp(-avg / (double)rate));
    *count = go_f2i((double)*count * scale);
    *size = go_f2i((double)*size * scale);
}

/* ---- Lines, as bufio.Scanner splits them ---- */

struct scan {
    const char *p, *end;
    struct str line; /* the current line without "\n" or "\r\n"; empty past the end */
    size_t lineno;   /* of the current line, 1-based */
};

static void
scan_init(struct scan *s, const char *p, size_t n)
{
    s->p = p;
    s->end = p + n;
    s->line = str_make(p, 0);
    s->lineno = 0;
}

static bool
scan_next(struct scan *s)
{
    const char *nl;
    size_t n;

    if (s->p >= s->end) {
        s->line = str_make(s->end, 0);
        return false;
    }
    nl = memchr(s->p, '\n', (size_t)(s->end - s->p));
    n = nl != NULL ? (size_t)(nl - s->p) : (size_t)(s->end - s->p);
    s->line = str_make(s->p, n > 0 && s->p[n - 1] == '\r' ? n - 1 : n);
    s->p += nl != NULL ? n + 1 : n;
    s->lineno++;
    return true;
}

/* ---- The profile under construction ---- */

struct lloc {
    uint64_t addr;
    size_t sym0, nsym; /* its symbol lines, syms[sym0 .. sym0+nsym), innermost first */
    size_t final;      /* 1-based position in the finished profile, 0 while unused */
    size_t map;        /* 1-based index into maps, 0 for none */
    bool seen;         /* a symbol comment gave its PC, with or without a name */
};

struct lsym {
    size_t fn;
    int64_t line;
};

struct lfn {
    const char *name, *file; /* arena copies */
    size_t len;              /* of name, which may hold NULs */
    size_t final;
};

struct lsample {
    size_t off, n;   /* its frames, stk[off .. off+n), leaf first */
    int64_t block;   /* pprof's "bytes" label on heap samples */
    bool symbolized; /* symbol comments followed it */
};

struct lb {
    struct arena *a;
    struct profile *p; /* header fields are set on it directly */
    size_t ntypes;
    bool block_label;
    struct lloc *locs;
    size_t nlocs, locs_cap;
    size_t *loc_slots, loc_mask; /* address -> index + 1 */
    size_t *stk;
    size_t nstk, stk_cap;
    struct lsample *smp;
    size_t nsmp, smp_cap;
    int64_t *vals; /* ntypes per sample */
    size_t nvals, vals_cap;
    struct lsym *syms;
    size_t nsyms, syms_cap;
    struct lfn *fns;
    size_t nfns, fns_cap;
    size_t *fn_slots, fn_mask; /* name -> index + 1 */
    struct mapping *maps;
    size_t nmaps, maps_cap;
    struct memstat *stats;
    size_t nstats, stats_cap;
    uint64_t *tmp; /* a thread's addresses before it is known to be a sample */
    size_t ntmp, tmp_cap;
    size_t *order; /* final position -> index into locs */
    size_t nfinal;
    bool sym_run; /* the previous line was a symbol line for sym_pc */
    uint64_t sym_pc;
    size_t sym_loc;        /* 1-based location that run names, 0 when it names none */
    struct lsym sym_first; /* the first frame of that run */
};

/* Room for element n of the malloc'd array p of *cap elements; NULL when out of memory
 * (p is then left alone). */
static void *
grow(void *p, size_t *cap, size_t n, size_t size)
{
    size_t c = *cap ? *cap : 16;
    void *q;

    if (n < *cap)
        return p;
    while (c <= n) {
        if (c > SIZE_MAX / 2 / size)
            return NULL;
        c *= 2;
    }
    if ((q = realloc(p, c * size)) != NULL)
        *cap = c;
    return q;
}

static void
lb_free(struct lb *b)
{
    free(b->locs);
    free(b->loc_slots);
    free(b->stk);
    free(b->smp);
    free(b->vals);
    free(b->syms);
    free(b->fns);
    free(b->fn_slots);
    free(b->maps);
    free(b->stats);
    free(b->tmp);
    free(b->order);
}

static size_t
hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return (size_t)x;
}

static size_t *
loc_slot(const struct lb *b, uint64_t addr)
{
    size_t i = hash64(addr) & b->loc_mask;

    while (b->loc_slots[i] != 0 && b->locs[b->loc_slots[i] - 1].addr != addr)
        i = (i + 1) & b->loc_mask;
    return &b->loc_slots[i];
}

/* The 1-based location at addr, 0 if there is none. */
static size_t
lb_find(const struct lb *b, uint64_t addr)
{
    return b->loc_slots != NULL ? *loc_slot(b, addr) : 0;
}

static enum hw_err
loc_rehash(struct lb *b)
{
    size_t n = b->loc_slots != NULL ? (b->loc_mask + 1) * 2 : 64, i;
    size_t *slots;

    if (n > SIZE_MAX / sizeof(*slots) || (slots = calloc(n, sizeof(*slots))) == NULL)
        return HW_NOMEM;
    free(b->loc_slots);
    b->loc_slots = slots;
    b->loc_mask = n - 1;
    for (i = 0; i < b->nlocs; i++)
        *loc_slot(b, b->locs[i].addr) = i + 1;
    return HW_OK;
}

/* The location at addr, made on first sight: one per distinct address, in order of
 * first appearance, as pprof's parsers make them. */
static enum hw_err
lb_loc(struct lb *b, uint64_t addr, size_t *idx)
{
    struct lloc *q;
    size_t *slot;
    enum hw_err err;

    if (b->loc_slots == NULL || (b->nlocs + 1) * 2 > b->loc_mask + 1)
        if ((err = loc_rehash(b)) != HW_OK)
            return err;
    slot = loc_slot(b, addr);
    if (*slot == 0) {
        if ((q = grow(b->locs, &b->locs_cap, b->nlocs, sizeof(*q))) == NULL)
            return HW_NOMEM;
        b->locs = q;
        memset(&q[b->nlocs], 0, sizeof(*q));
        q[b->nlocs].addr = addr;
        *slot = ++b->nlocs;
    }
    *idx = *slot - 1;
    return HW_OK;
}

/* Starts a sample with ntypes values and no frames yet. */
static enum hw_err
lb_sample(struct lb *b, const int64_t *vals, int64_t block)
{
    struct lsample *q;
    int64_t *v;

    if ((q = grow(b->smp, &b->smp_cap, b->nsmp, sizeof(*q))) == NULL)
        return HW_NOMEM;
    b->smp = q;
    if ((v = grow(b->vals, &b->vals_cap, b->nvals + b->ntypes - 1, sizeof(*v))) == NULL)
        return HW_NOMEM;
    b->vals = v;
    memcpy(&v[b->nvals], vals, b->ntypes * sizeof(*v));
    b->nvals += b->ntypes;
    q[b->nsmp].off = b->nstk;
    q[b->nsmp].n = 0;
    q[b->nsmp].block = block;
    q[b->nsmp].symbolized = false;
    b->nsmp++;
    b->sym_run = false;
    return HW_OK;
}

/* Adds the frame at addr to the latest sample (its root end). */
static enum hw_err
lb_frame(struct lb *b, uint64_t addr)
{
    size_t idx, *q;
    enum hw_err err;

    if ((err = lb_loc(b, addr, &idx)) != HW_OK)
        return err;
    if ((q = grow(b->stk, &b->stk_cap, b->nstk, sizeof(*q))) == NULL)
        return HW_NOMEM;
    b->stk = q;
    q[b->nstk++] = idx;
    b->smp[b->nsmp - 1].n++;
    return HW_OK;
}

/* ---- Go's symbol comments ---- */

static size_t
hash_bytes(struct str s)
{
    uint64_t h = UINT64_C(14695981039346656037);
    size_t i;

    for (i = 0; i < s.n; i++)
        h = (h ^ (unsigned char)s.p[i]) * UINT64_C(1099511628211);
    return hash64(h);
}

static size_t *
fn_slot(const struct lb *b, struct str name)
{
    size_t i = hash_bytes(name) & b->fn_mask;
    const struct lfn *f;

    while (b->fn_slots[i] != 0) {
        f = &b->fns[b->fn_slots[i] - 1];
        if (f->len == name.n && memcmp(f->name, name.p, name.n) == 0)
            break;
        i = (i + 1) & b->fn_mask;
    }
    return &b->fn_slots[i];
}

static enum hw_err
fn_rehash(struct lb *b)
{
    size_t n = b->fn_slots != NULL ? (b->fn_mask + 1) * 2 : 64, i;
    size_t *slots;

    if (n > SIZE_MAX / sizeof(*slots) || (slots = calloc(n, sizeof(*slots))) == NULL)
        return HW_NOMEM;
    free(b->fn_slots);
    b->fn_slots = slots;
    b->fn_mask = n - 1;
    for (i = 0; i < b->nfns; i++)
        *fn_slot(b, str_make(b->fns[i].name, b->fns[i].len)) = i + 1;
    return HW_OK;
}

/* The function called name, made on first sight with file as its file name. */
static enum hw_err
lb_fn(struct lb *b, struct str name, struct str file, size_t *idx)
{
    struct lfn *q;
    size_t *slot;
    enum hw_err err;

    if (b->fn_slots == NULL || (b->nfns + 1) * 2 > b->fn_mask + 1)
        if ((err = fn_rehash(b)) != HW_OK)
            return err;
    slot = fn_slot(b, name);
    if (*slot == 0) {
        if ((q = grow(b->fns, &b->fns_cap, b->nfns, sizeof(*q))) == NULL)
            return HW_NOMEM;
        b->fns = q;
        q += b->nfns;
        q->name = arena_strndup(b->a, name.p, name.n);
        q->file = arena_strndup(b->a, file.p, file.n);
        if (q->name == NULL || q->file == NULL)
            return arena_error(b->a);
        q->len = name.n;
        q->final = 0;
        *slot = ++b->nfns;
    }
    *idx = *slot - 1;
    return HW_OK;
}

/* The next field of s separated by runs of sep (tabwriter pads with several tabs). */
static bool
next_field(struct str *s, char sep, struct str *field)
{
    size_t i = 0, j;

    while (i < s->n && (s->p[i] == sep || s->p[i] == ' ' || s->p[i] == '\t'))
        i++;
    if (i == s->n)
        return false;
    for (j = i; j < s->n && s->p[j] != sep; j++)
        ;
    *field = go_trim(str_make(s->p + i, j - i));
    *s = str_from(*s, j);
    return true;
}

struct symline {
    uint64_t pc;
    struct str name, file; /* name is empty for a PC Go could not name */
    int64_t line;
};

/* "main.foo+0x1c" names main.foo; "/src/a.go:42" is file and line. */
static void
sym_name_file(struct str name, struct str file, struct symline *sl)
{
    size_t i, at = SIZE_MAX;
    uint64_t u;

    for (i = 0; (i = str_find(name, i, "+0x")) != SIZE_MAX; i++)
        at = i;
    if (at != SIZE_MAX && go_parse_uint(str_make(name.p + at + 1, name.n - at - 1), 0, &u))
        name.n = at;
    sl->name = name;
    sl->file = file;
    sl->line = 0;
    for (i = file.n; i > 0 && file.p[i - 1] != ':'; i--)
        ;
    if (i > 0 && i < file.n && skip_digits(file, i) == file.n &&
        go_parse_int(str_from(file, i), 10, &sl->line))
        sl->file.n = i - 1;
}

/* Reads "#\t0x4a5b6c\tmain.foo+0x1c\t/src/a.go:42": fields split by tabs, the file
 * being the last; or, in a line without tabs, by spaces, the file being the rest of
 * the line. False for any other comment. */
static bool
sym_parse(struct str t, struct symline *sl)
{
    struct str rest, f[3], extra;
    char sep;
    int n = 0;

    if (t.n < 2 || t.p[0] != '#' || (t.p[1] != '\t' && t.p[1] != ' '))
        return false;
    rest = str_from(t, 1);
    sep = memchr(rest.p, '\t', rest.n) != NULL ? '\t' : ' ';
    while (n < 2 && next_field(&rest, sep, &f[n]))
        n++;
    f[2] = str_make(rest.p, 0);
    if (n == 2 && sep == ' ' && (f[2] = go_trim(rest)).n > 0)
        n++;
    while (n >= 2 && sep == '\t' && next_field(&rest, sep, &extra)) {
        f[2] = extra;
        n = 3;
    }
    if (n == 0 || !str_prefix(f[0], "0x") || !go_parse_uint(f[0], 0, &sl->pc))
        return false;
    if (n == 1)
        f[1] = str_make(f[0].p, 0);
    sym_name_file(f[1], f[2], sl);
    return true;
}

/* The location a run of symbol comments for pc names: pc is the call's address
 * (one less than the return address the stack lists, as pprof adjusts locations)
 * or, at a function's entry, the listed address itself. 0 when there is none or it
 * is named already. */
static size_t
sym_target(struct lb *b, uint64_t pc)
{
    size_t i = lb_find(b, pc);

    if (i == 0 && pc > 0)
        i = lb_find(b, pc - 1);
    if (i == 0)
        return 0;
    b->locs[i - 1].seen = true;
    return b->locs[i - 1].nsym == 0 ? i : 0;
}

/* Attaches a symbol comment to the location it names. Consecutive comments with one
 * PC are that location's inlined frames, innermost first, unless they repeat the
 * run's first frame: then the stack holds the PC several times (recursion). A
 * location is named once. */
static enum hw_err
lb_symbol(struct lb *b, struct str t)
{
    struct symline sl;
    struct lloc *l;
    struct lsym *q;
    size_t fn = 0;
    enum hw_err err;

    if (b->nsmp == 0 || !sym_parse(t, &sl)) {
        b->sym_run = false;
        return HW_OK;
    }
    b->smp[b->nsmp - 1].symbolized = true;
    if (!b->sym_run || sl.pc != b->sym_pc) {
        b->sym_run = true;
        b->sym_pc = sl.pc;
        b->sym_loc = sym_target(b, sl.pc);
        b->sym_first.fn = SIZE_MAX;
    }
    if (b->sym_loc == 0 || sl.name.n == 0)
        return HW_OK;
    if ((err = lb_fn(b, sl.name, sl.file, &fn)) != HW_OK)
        return err;
    l = &b->locs[b->sym_loc - 1];
    if ((fn == b->sym_first.fn && sl.line == b->sym_first.line) ||
        (l->nsym != 0 && l->sym0 + l->nsym != b->nsyms)) {
        b->sym_loc = 0;
        return HW_OK;
    }
    if ((q = grow(b->syms, &b->syms_cap, b->nsyms, sizeof(*q))) == NULL)
        return HW_NOMEM;
    b->syms = q;
    if (l->nsym++ == 0) {
        l->sym0 = b->nsyms;
        b->sym_first.fn = fn;
        b->sym_first.line = sl.line;
    }
    q[b->nsyms].fn = fn;
    q[b->nsyms++].line = sl.line;
    return HW_OK;
}

/* Names the location at index i after fn, a frame without a symbol comment. */
static enum hw_err
lb_name(struct lb *b, size_t i, const char *fn)
{
    struct lloc *l = &b->locs[i];
    struct lsym *q;
    size_t f;
    enum hw_err err;

    if (l->nsym != 0)
        return HW_OK;
    if ((err = lb_fn(b, str_make(fn, strlen(fn)), str_make(fn, 0), &f)) != HW_OK)
        return err;
    if ((q = grow(b->syms, &b->syms_cap, b->nsyms, sizeof(*q))) == NULL)
        return HW_NOMEM;
    b->syms = q;
    l->sym0 = b->nsyms;
    l->nsym = 1;
    q[b->nsyms].fn = f;
    q[b->nsyms++].line = 0;
    return HW_OK;
}

/* Go's runtime writes no symbol comment for runtime.goexit, the root of every
 * goroutine, nor for the runtime frames that start a stack (runtime/pprof's
 * printStackRecord), so in a symbolized stack a frame without one is known to be
 * one of those. Naming them as what they are keeps pprof's frame filters working as
 * they do with the binary at hand: left nameless, goexit would count as a user frame
 * and runtime\..* would prune every frame below runtime.main. */
static enum hw_err
name_hidden_frames(struct lb *b)
{
    const struct lsample *s;
    const struct lloc *l;
    size_t i, j, *f;
    bool any;
    enum hw_err err;

    for (i = 0; i < b->nsmp; i++) {
        s = &b->smp[i];
        if (!s->symbolized || s->n == 0)
            continue;
        f = b->stk + s->off;
        for (j = 0, any = false; j < s->n; j++)
            any = any || b->locs[f[j]].seen;
        if (!any)
            continue;
        l = &b->locs[f[s->n - 1]];
        if (!l->seen && (err = lb_name(b, f[s->n - 1], "runtime.goexit")) != HW_OK)
            return err;
        for (j = 0; j + 1 < s->n && !b->locs[f[j]].seen; j++)
            if ((err = lb_name(b, f[j], "runtime.(hidden)")) != HW_OK)
                return err;
    }
    return HW_OK;
}

/* One "# Name = value" line of the "# runtime.MemStats" trailer. */
static enum hw_err
lb_memstat(struct lb *b, struct str t)
{
    struct str name, value;
    struct memstat *q;
    size_t eq;

    t = go_trim(str_from(t, 1));
    if ((eq = str_find(t, 0, "=")) == SIZE_MAX)
        return HW_OK;
    name = go_trim(str_make(t.p, eq));
    value = go_trim(str_from(t, eq + 1));
    if (name.n == 0)
        return HW_OK;
    if ((q = grow(b->stats, &b->stats_cap, b->nstats, sizeof(*q))) == NULL)
        return HW_NOMEM;
    b->stats = q;
    q += b->nstats;
    q->name = arena_strndup(b->a, name.p, name.n);
    q->text = arena_strndup(b->a, value.p, value.n);
    if (q->name == NULL || q->text == NULL)
        return arena_error(b->a);
    q->value = 0;
    q->numeric = go_parse_int(value, 10, &q->value);
    if (!q->numeric)
        q->value = 0;
    b->nstats++;
    return HW_OK;
}

/* A comment line inside a text profile: a symbol, or a MemStats entry once the
 * trailer has started (heap profiles only). */
static enum hw_err
lb_comment(struct lb *b, struct str t, bool *trailer)
{
    if (t.n == 0 || t.p[0] != '#') { /* a blank line ends a run of symbols */
        b->sym_run = false;
        return HW_OK;
    }
    if (trailer != NULL && str_eq(t, "# runtime.MemStats")) {
        *trailer = true;
        return HW_OK;
    }
    if (trailer != NULL && *trailer)
        return lb_memstat(b, t);
    return lb_symbol(b, t);
}

/* Every hex number ("0x" and lowercase digits) in s, as pprof's parseHexAddresses
 * finds them, each less one (the call, not the return address) as a frame of the
 * latest sample. False (with *bad set) when one does not fit 64 bits. */
static enum hw_err
lb_hex_frames(struct lb *b, struct str s, struct str *bad)
{
    size_t i = 0, j;
    uint64_t addr;
    enum hw_err err;

    while ((i = str_find(s, i, "0x")) != SIZE_MAX) {
        for (j = i + 2; j < s.n && is_lhex(s.p[j]); j++)
            ;
        if (j == i + 2) {
            i++;
            continue;
        }
        if (!go_parse_uint(str_make(s.p + i, j - i), 0, &addr)) {
            *bad = str_make(s.p + i, j - i);
            return HW_BADDATA;
        }
        if ((err = lb_frame(b, addr - 1)) != HW_OK)
            return err;
        i = j;
    }
    return HW_OK;
}

/* ---- A regular-expression engine for pprof's mapping patterns ---- */

/* Go's regexp finds the leftmost-first match (Perl's submatches) in linear time, and
 * pprof's mapping patterns need both: their groups can split a run of hex digits in
 * many ways, which a backtracking engine tries one by one (seconds on a long line).
 * This is the Pike VM Go's regexp falls back to, for the syntax those patterns use:
 * literals, [classes] with ranges and [:xdigit:]/[:digit:], \s \S (Go's \s is
 * [\t\n\f\r ]), groups (capturing and (?:)), greedy ? * +, and a leading ^. */
enum re_op { RE_CLASS, RE_SPLIT, RE_JMP, RE_SAVE, RE_MATCH };

struct re_inst {
    enum re_op op;
    int x, y; /* CLASS: class; SPLIT: preferred, other; JMP: target; SAVE: slot */
};

#define RE_INSTS 96
#define RE_CLASSES 32
#define RE_SLOTS 12 /* two per group, six groups */

struct re {
    struct re_inst in[RE_INSTS];
    unsigned char cls[RE_CLASSES][32];
    int n, ncls, nslots;
};

struct re_thread {
    int pc;
    size_t cap[RE_SLOTS];
};

struct re_list {
    struct re_thread t[RE_INSTS];
    unsigned char on[RE_INSTS];
    int n;
};

static void
re_emit(struct re *r, enum re_op op, int x, int y)
{
    assert(r->n < RE_INSTS);
    r->in[r->n].op = op;
    r->in[r->n].x = x;
    r->in[r->n].y = y;
    r->n++;
}

/* Makes room for an instruction at `at`, moving what follows and its targets. */
static void
re_open(struct re *r, int at)
{
    int i;

    assert(r->n < RE_INSTS);
    memmove(&r->in[at + 1], &r->in[at], (size_t)(r->n - at) * sizeof(r->in[0]));
    r->n++;
    for (i = at + 1; i < r->n; i++) {
        if ((r->in[i].op == RE_SPLIT || r->in[i].op == RE_JMP) && r->in[i].x >= at)
            r->in[i].x++;
        if (r->in[i].op == RE_SPLIT && r->in[i].y >= at)
            r->in[i].y++;
    }
}

static void
re_set(struct re *r, int c, int lo, int hi)
{
    for (; lo <= hi; lo++)
        r->cls[c][lo / 8] |= (unsigned char)(1u << (lo % 8));
}

static void
re_set_space(struct re *r, int c)
{
    re_set(r, c, '\t', '\n');
    re_set(r, c, '\f', '\r');
    re_set(r, c, ' ', ' ');
}

static void
re_negate(struct re *r, int c)
{
    int i;

    for (i = 0; i < 32; i++)
        r->cls[c][i] = (unsigned char)~r->cls[c][i];
}

/* The inside of [...] from p; returns what follows the ']'. */
static const char *
re_bracket(struct re *r, int c, const char *p)
{
    bool neg = *p == '^';
    int lo;

    p += neg;
    while (*p != ']') {
        assert(*p != '\0');
        if (strncmp(p, "[:xdigit:]", 10) == 0) {
            re_set(r, c, '0', '9');
            re_set(r, c, 'a', 'f');
            re_set(r, c, 'A', 'F');
            p += 10;
        } else if (strncmp(p, "[:digit:]", 9) == 0) {
            re_set(r, c, '0', '9');
            p += 9;
        } else if (p[0] == '\\' && p[1] == 's') {
            re_set_space(r, c);
            p += 2;
        } else {
            p += *p == '\\';
            lo = (unsigned char)*p++;
            if (p[0] == '-' && p[1] != ']') {
                re_set(r, c, lo, (unsigned char)p[1]);
                p += 2;
            } else {
                re_set(r, c, lo, lo);
            }
        }
    }
    if (neg)
        re_negate(r, c);
    return p + 1;
}

static const char *re_seq(struct re *r, const char *p);

static const char *
re_atom(struct re *r, const char *p)
{
    int c, slot;

    if (*p == '(') {
        if (p[1] == '?' && p[2] == ':')
            return re_seq(r, p + 3) + 1;
        slot = r->nslots;
        r->nslots += 2;
        assert(r->nslots <= RE_SLOTS);
        re_emit(r, RE_SAVE, slot, 0);
        p = re_seq(r, p + 1);
        re_emit(r, RE_SAVE, slot + 1, 0);
        return p + 1;
    }
    assert(r->ncls < RE_CLASSES);
    c = r->ncls++;
    memset(r->cls[c], 0, sizeof(r->cls[c]));
    if (*p == '[') {
        p = re_bracket(r, c, p + 1);
    } else if (p[0] == '\\' && (p[1] == 's' || p[1] == 'S')) {
        re_set_space(r, c);
        if (p[1] == 'S')
            re_negate(r, c);
        p += 2;
    } else {
        p += *p == '\\';
        re_set(r, c, (unsigned char)*p, (unsigned char)*p);
        p++;
    }
    re_emit(r, RE_CLASS, c, 0);
    return p;
}

/* A sequence up to ')' or the end, each atom with its quantifier. */
static const char *
re_seq(struct re *r, const char *p)
{
    int at;

    while (*p != '\0' && *p != ')') {
        if (*p == '^') { /* every match here is anchored */
            p++;
            continue;
        }
        at = r->n;
        p = re_atom(r, p);
        if (*p == '?' || *p == '*') {
            re_open(r, at);
            if (*p == '*')
                re_emit(r, RE_JMP, at, 0);
            r->in[at].op = RE_SPLIT;
            r->in[at].x = at + 1;
            r->in[at].y = r->n;
            p++;
        } else if (*p == '+') {
            re_emit(r, RE_SPLIT, at, r->n + 1);
            p++;
        }
    }
    return p;
}

static void
re_compile(struct re *r, const char *pattern)
{
    memset(r, 0, sizeof(*r));
    pattern = re_seq(r, pattern);
    assert(*pattern == '\0');
    re_emit(r, RE_MATCH, 0, 0);
}

/* Follows the empty moves from pc, in priority order, onto l. */
static void
re_add(const struct re *r, struct re_list *l, int pc, size_t pos, const size_t *cap)
{
    size_t c2[RE_SLOTS];
    struct re_thread *t;

    if (l->on[pc])
        return;
    l->on[pc] = 1;
    switch (r->in[pc].op) {
    case RE_JMP:
        re_add(r, l, r->in[pc].x, pos, cap);
        return;
    case RE_SPLIT:
        re_add(r, l, r->in[pc].x, pos, cap);
        re_add(r, l, r->in[pc].y, pos, cap);
        return;
    case RE_SAVE:
        memcpy(c2, cap, sizeof(c2));
        c2[r->in[pc].x] = pos;
        re_add(r, l, pc + 1, pos, c2);
        return;
    case RE_CLASS:
    case RE_MATCH:
        break;
    }
    t = &l->t[l->n++];
    t->pc = pc;
    memcpy(t->cap, cap, sizeof(t->cap));
}

static bool
re_has(const struct re *r, int c, unsigned char ch)
{
    return (r->cls[c][ch / 8] >> (ch % 8)) & 1;
}

/* Matches s from its start, leftmost-first as Go does; cap receives the groups'
 * offsets (SIZE_MAX for a group that took no part). lists is scratch. */
static bool
re_match(const struct re *r, struct re_list lists[2], struct str s, size_t *cap)
{
    struct re_list *cl = &lists[0], *nl = &lists[1], *t;
    size_t init[RE_SLOTS], pos;
    const struct re_inst *in;
    bool matched = false;
    int i;

    for (i = 0; i < RE_SLOTS; i++)
        init[i] = SIZE_MAX;
    cl->n = 0;
    memset(cl->on, 0, sizeof(cl->on));
    re_add(r, cl, 0, 0, init);
    for (pos = 0; cl->n > 0; pos++) {
        nl->n = 0;
        memset(nl->on, 0, sizeof(nl->on));
        for (i = 0; i < cl->n; i++) {
            in = &r->in[cl->t[i].pc];
            if (in->op == RE_MATCH) { /* lower-priority threads are cut off */
                memcpy(cap, cl->t[i].cap, sizeof(init));
                matched = true;
                break;
            }
            if (pos < s.n && re_has(r, in->x, (unsigned char)s.p[pos]))
                re_add(r, nl, cl->t[i].pc + 1, pos + 1, cl->t[i].cap);
        }
        t = cl;
        cl = nl;
        nl = t;
    }
    return matched;
}

/* ---- Memory maps ---- */

/* pprof's two patterns for a mapping line, /proc/self/maps and a brief "start-end
 * file (@offset) buildid", as its legacy_profile.go spells them. */
#define MAP_RANGE                                                                                  \
    "^\\s*(?:0x)?([[:xdigit:]]+)[\\s-]?\\s*(?:0x)?([[:xdigit:]]+):?(?:\\s+([-rwxp]+))?"
static const char proc_maps_re[] = MAP_RANGE "(?:\\s+([[:xdigit:]]+))?\\s+[[:xdigit:]]+:"
                                             "[[:xdigit:]]+\\s+[[:digit:]]+(?:\\s+(\\S+))?";
static const char brief_maps_re[] =
    MAP_RANGE "(?:\\s+(\\S+))?(?:\\s+\\(@([[:xdigit:]]+)\\))?(?:\\s+([[:xdigit:]]+))?";

/* pprof reads lines with a bufio.Scanner, which gives up on lines past 64 KiB; such a
 * line (or one that long after substitution) is no mapping and no attribute here. */
#define MAP_LINE_MAX 65536
/* Bound on the work of "$name" substitution, which is quadratic in the worst case. */
#define MAP_SUBST_WORK ((size_t)1 << 31)

struct attr {
    struct str key, val; /* key includes the '$'; both in the arena */
};

struct mapper {
    struct lb *b;
    struct re proc, brief;
    struct re_list lists[2];
    size_t cap[RE_SLOTS];
    struct attr *attrs;
    size_t nattrs, attrs_cap;
    char buf[MAP_LINE_MAX]; /* the line after substitution */
    size_t work;
};

/* pprof's removeLoggingInfo: drops a glog prefix, `^[^\[\]]+:[0-9]+]\s`. */
static struct str
strip_log_prefix(struct str s)
{
    size_t k, j;

    for (k = 0; k < s.n && s.p[k] != '[' && s.p[k] != ']'; k++)
        ;
    if (k + 1 >= s.n || s.p[k] != ']' || !re_space(s.p[k + 1]))
        return s;
    for (j = k; j > 0 && is_digit(s.p[j - 1]); j--)
        ;
    if (j == k || j < 2 || s.p[j - 1] != ':')
        return s;
    return str_from(s, k + 2);
}

/* Replaces each "$name" defined by an earlier "name=value" line, as pprof's
 * strings.Replacer does: left to right, the earliest definition winning. *out is
 * empty with *toolong set past MAP_LINE_MAX. */
static enum hw_err
subst(struct mapper *m, struct str in, struct str *out, bool *toolong)
{
    size_t i = 0, len = 0, k, n;
    const struct attr *at;
    const char *d, *from;

    *out = in;
    *toolong = in.n > MAP_LINE_MAX;
    if (m->nattrs == 0 || *toolong)
        return HW_OK;
    while (i < in.n) {
        d = memchr(in.p + i, '$', in.n - i);
        n = (d != NULL ? (size_t)(d - in.p) : in.n) - i;
        from = in.p + i;
        for (k = 0; d != NULL && n == 0 && k < m->nattrs; k++) {
            at = &m->attrs[k];
            m->work += 1 + at->key.n;
            if (at->key.n <= in.n - i && memcmp(in.p + i, at->key.p, at->key.n) == 0)
                break;
        }
        if (m->work > MAP_SUBST_WORK)
            return HW_BADDATA;
        if (n == 0 && k < m->nattrs) { /* "$name" at i */
            from = m->attrs[k].val.p;
            n = m->attrs[k].val.n;
            i += m->attrs[k].key.n;
        } else {
            n += n == 0; /* a '$' that names nothing stays */
            i += n;
        }
        if (n > MAP_LINE_MAX - len) {
            *toolong = true;
            return HW_OK;
        }
        memcpy(m->buf + len, from, n);
        len += n;
    }
    *out = str_make(m->buf, len);
    return HW_OK;
}

/* A "name=value" line: later lines may say "$name". */
static enum hw_err
add_attr(struct mapper *m, struct str line)
{
    size_t eq = str_find(line, 0, "=");
    struct str key, val;
    struct attr *q;
    char *k, *v;

    if (eq == SIZE_MAX)
        return HW_OK;
    key = go_trim(str_make(line.p, eq));
    val = go_trim(str_from(line, eq + 1));
    if ((q = grow(m->attrs, &m->attrs_cap, m->nattrs, sizeof(*q))) == NULL)
        return HW_NOMEM;
    m->attrs = q;
    if ((k = arena_alloc(m->b->a, key.n + 1)) == NULL ||
        (v = arena_strndup(m->b->a, val.p, val.n)) == NULL)
        return arena_error(m->b->a);
    k[0] = '$';
    memcpy(k + 1, key.p, key.n);
    q[m->nattrs].key = str_make(k, key.n + 1);
    q[m->nattrs++].val = str_make(v, val.n);
    return HW_OK;
}

static struct str
group(const struct mapper *m, struct str line, int g)
{
    size_t a = m->cap[2 * (g - 1)], z = m->cap[2 * (g - 1) + 1];

    if (a == SIZE_MAX || z == SIZE_MAX)
        return str_make(line.p, 0);
    return str_make(line.p + a, z - a);
}

/* pprof's parseMappingEntry. *known is false for a line that is no mapping (it may
 * then define an attribute); executable entries are added to the profile. */
static enum hw_err
map_entry(struct mapper *m, struct str line, bool *known)
{
    struct str start, end, perm, file, offset, id = {line.p, 0};
    struct mapping mp;
    struct mapping *q;
    int g_file = 5, g_offset = 4;

    *known = false;
    if (!re_match(&m->proc, m->lists, line, m->cap)) {
        if (!re_match(&m->brief, m->lists, line, m->cap))
            return HW_OK;
        g_file = 4;
        g_offset = 5;
        id = group(m, line, 6);
    }
    start = group(m, line, 1);
    end = group(m, line, 2);
    perm = group(m, line, 3);
    file = group(m, line, g_file);
    offset = group(m, line, g_offset);
    if (perm.n != 0 && memchr(perm.p, 'x', perm.n) == NULL) {
        *known = true; /* not executable: skipped */
        return HW_OK;
    }
    memset(&mp, 0, sizeof(mp));
    if (!go_parse_uint(start, 16, &mp.start) || !go_parse_uint(end, 16, &mp.limit) ||
        (offset.n != 0 && !go_parse_uint(offset, 16, &mp.offset)))
        return HW_OK;
    *known = true;
    mp.file = arena_strndup(m->b->a, file.p, file.n);
    mp.build_id = arena_strndup(m->b->a, id.p, id.n);
    if (mp.file == NULL || mp.build_id == NULL)
        return arena_error(m->b->a);
    if ((q = grow(m->b->maps, &m->b->maps_cap, m->b->nmaps, sizeof(*q))) == NULL)
        return HW_NOMEM;
    m->b->maps = q;
    q[m->b->nmaps++] = mp;
    return HW_OK;
}

static enum hw_err
maps_line(struct mapper *m, struct str raw)
{
    struct str line;
    bool known, toolong;
    enum hw_err err;

    if ((err = subst(m, strip_log_prefix(raw), &line, &toolong)) != HW_OK || toolong)
        return err;
    if ((err = map_entry(m, line, &known)) != HW_OK || known)
        return err;
    return add_attr(m, line);
}

/* pprof's parseProcMapsFromScanner over every line left in s. */
static enum hw_err
maps_read(struct lb *b, struct scan *s, struct errbuf *eb)
{
    struct mapper *m;
    enum hw_err err = HW_OK;

    if (s->p >= s->end)
        return HW_OK;
    if ((m = calloc(1, sizeof(*m))) == NULL)
        return HW_NOMEM;
    m->b = b;
    re_compile(&m->proc, proc_maps_re);
    re_compile(&m->brief, brief_maps_re);
    while (err == HW_OK && scan_next(s))
        err = maps_line(m, s->line);
    if (err == HW_BADDATA)
        errbuf_set(eb, err, "line %zu: memory map substitutions are too costly", s->lineno);
    free(m->attrs);
    free(m);
    return err;
}

/* pprof's parseAdditionalSections: the mappings after the memory map sentinel, from
 * the current line on. */
static enum hw_err
maps_section(struct lb *b, struct scan *s, struct errbuf *eb)
{
    while (!is_sentinel(s->line) && scan_next(s))
        ;
    return maps_read(b, s, eb);
}

/* pprof's adjacent(): two halves of one mapping split in the map. */
static bool
maps_adjacent(const struct mapping *m1, const struct mapping *m2)
{
    if (m1->file[0] != '\0' && m2->file[0] != '\0' && strcmp(m1->file, m2->file) != 0)
        return false;
    if (m1->build_id[0] != '\0' && m2->build_id[0] != '\0' &&
        strcmp(m1->build_id, m2->build_id) != 0)
        return false;
    if (m1->limit != m2->start)
        return false;
    if (m1->offset != 0 && m2->offset != 0 && m1->offset + (m1->limit - m1->start) != m2->offset)
        return false;
    return true;
}

/* pprof's libRx, `([.]so$|[.]so[._][0-9]+)`: a shared library's file name. */
static bool
is_library(struct str f)
{
    size_t i = 0;

    while ((i = str_find(f, i, ".so")) != SIZE_MAX) {
        if (i + 3 == f.n ||
            ((f.p[i + 3] == '.' || f.p[i + 3] == '_') && i + 4 < f.n && is_digit(f.p[i + 4])))
            return true;
        i++;
    }
    return false;
}

/* Whether pprof's massageMappings takes file for the main binary: what is left
 * after removing "(deleted)" and spaces is no library and not "[vdso]"-like. */
static enum hw_err
is_main_binary(const char *file, bool *yes)
{
    size_t n = strlen(file), i = 0, k = 0;
    struct str t;
    char *s;

    if ((s = malloc(n + 1)) == NULL)
        return HW_NOMEM;
    while (i < n) {
        if (strncmp(file + i, "(deleted)", 9) == 0)
            i += 9;
        else
            s[k++] = file[i++];
    }
    t = go_trim(str_make(s, k));
    *yes = t.n != 0 && !is_library(t) && t.p[0] != '[';
    free(s);
    return HW_OK;
}

/* pprof's massageMappings: merges split halves, then moves the main binary first. */
static enum hw_err
maps_massage(struct lb *b)
{
    struct mapping *last, tmp;
    size_t i, kept = b->nmaps > 0;
    bool yes = false;
    enum hw_err err;

    for (i = 1; i < b->nmaps; i++) {
        last = &b->maps[kept - 1];
        if (maps_adjacent(last, &b->maps[i])) {
            last->limit = b->maps[i].limit;
            if (b->maps[i].file[0] != '\0')
                last->file = b->maps[i].file;
            if (b->maps[i].build_id[0] != '\0')
                last->build_id = b->maps[i].build_id;
        } else {
            b->maps[kept++] = b->maps[i];
        }
    }
    b->nmaps = kept;
    for (i = 0; i < b->nmaps; i++) {
        if ((err = is_main_binary(b->maps[i].file, &yes)) != HW_OK)
            return err;
        if (yes) {
            tmp = b->maps[0];
            b->maps[0] = b->maps[i];
            b->maps[i] = tmp;
            break;
        }
    }
    return HW_OK;
}

/* pprof's remapLocationIDs: the locations samples use, in order of first use. */
static enum hw_err
order_locations(struct lb *b)
{
    size_t i, j;
    struct lloc *l;

    if (b->nlocs > 0 && (b->order = calloc(b->nlocs, sizeof(*b->order))) == NULL)
        return HW_NOMEM;
    for (i = 0; i < b->nsmp; i++)
        for (j = 0; j < b->smp[i].n; j++) {
            l = &b->locs[b->stk[b->smp[i].off + j]];
            if (l->final == 0) {
                b->order[b->nfinal++] = (size_t)(l - b->locs);
                l->final = b->nfinal;
            }
        }
    return HW_OK;
}

/* Gives the location at a the mapping pprof's remapMappingIDs gives it: the one that
 * covers it, else one whose offset says it starts lower, else a catch-all. */
static enum hw_err
map_location(struct lb *b, struct lloc *l, size_t *fake)
{
    struct mapping *m, *q;
    uint64_t a = l->addr;
    size_t i;

    for (i = 0; i < b->nmaps; i++)
        if (b->maps[i].start <= a && a < b->maps[i].limit) {
            l->map = i + 1;
            return HW_OK;
        }
    for (i = 0; i < b->nmaps; i++) {
        m = &b->maps[i];
        if (m->offset != 0 && m->start - m->offset <= a && a < m->start) {
            m->start -= m->offset;
            m->offset = 0;
            l->map = i + 1;
            return HW_OK;
        }
    }
    if (*fake == 0) {
        if ((q = grow(b->maps, &b->maps_cap, b->nmaps, sizeof(*q))) == NULL)
            return HW_NOMEM;
        b->maps = q;
        memset(&q[b->nmaps], 0, sizeof(*q));
        q[b->nmaps].limit = UINT64_MAX;
        q[b->nmaps].file = q[b->nmaps].build_id = "";
        *fake = ++b->nmaps;
    }
    l->map = *fake;
    return HW_OK;
}

/* pprof's remapMappingIDs, after its two fixes for the main binary's mapping. */
static enum hw_err
map_locations(struct lb *b)
{
    struct mapping *m0 = b->maps;
    size_t i, fake = 0;
    enum hw_err err;

    if (b->nmaps > 1 && strncmp(m0->file, "/anon_hugepage", 14) == 0 &&
        m0->limit == b->maps[1].start) {
        memmove(b->maps, b->maps + 1, (b->nmaps - 1) * sizeof(*b->maps));
        b->nmaps--;
    }
    if (b->nmaps > 0 && m0->start - m0->offset == 0x400000) {
        m0->start = 0x400000;
        m0->offset = 0;
    }
    for (i = 0; i < b->nfinal; i++)
        if (b->locs[b->order[i]].addr != 0 &&
            (err = map_location(b, &b->locs[b->order[i]], &fake)) != HW_OK)
            return err;
    return HW_OK;
}

/* pprof's cleanupDuplicateLocations: the CPU profiler may record the leaf twice, from
 * the signal context and (adjusted by -1) from unwinding; the copy goes. */
static void
drop_duplicate_leaves(struct lb *b)
{
    struct lsample *s;
    size_t i, *f;

    for (i = 0; i < b->nsmp; i++) {
        s = &b->smp[i];
        if (s->n < 2)
            continue;
        f = b->stk + s->off;
        if (b->locs[f[0]].addr == b->locs[f[1]].addr + 1) {
            memmove(f + 1, f + 2, (s->n - 2) * sizeof(*f));
            s->n--;
        }
    }
}

/* ---- Building the profile in the arena ---- */

static enum hw_err
build_mappings(struct lb *b)
{
    struct profile *p = b->p;
    size_t i;

    if ((p->mappings = arena_calloc(b->a, b->nmaps, sizeof(*p->mappings))) == NULL)
        return arena_error(b->a);
    for (i = 0; i < b->nmaps; i++) {
        p->mappings[i] = b->maps[i];
        p->mappings[i].id = i + 1;
    }
    p->nmappings = b->nmaps;
    return HW_OK;
}

/* Functions in order of first use by the locations, as pprof's remapFunctionIDs. */
static enum hw_err
build_functions(struct lb *b)
{
    struct profile *p = b->p;
    const struct lloc *l;
    struct lfn *f;
    size_t i, j, n = 0;

    for (i = 0; i < b->nfinal; i++) {
        l = &b->locs[b->order[i]];
        for (j = 0; j < l->nsym; j++) {
            f = &b->fns[b->syms[l->sym0 + j].fn];
            if (f->final == 0)
                f->final = ++n;
        }
    }
    if ((p->functions = arena_calloc(b->a, n, sizeof(*p->functions))) == NULL)
        return arena_error(b->a);
    for (i = 0; i < b->nfns; i++) {
        f = &b->fns[i];
        if (f->final == 0)
            continue;
        p->functions[f->final - 1].id = f->final;
        p->functions[f->final - 1].name = p->functions[f->final - 1].system_name = f->name;
        p->functions[f->final - 1].filename = f->file;
    }
    p->nfunctions = n;
    return HW_OK;
}

static enum hw_err
build_locations(struct lb *b)
{
    struct profile *p = b->p;
    struct location *loc;
    const struct lloc *l;
    struct line *lines;
    size_t i, j, nlines = 0;

    for (i = 0; i < b->nfinal; i++)
        nlines += b->locs[b->order[i]].nsym;
    if ((p->locations = arena_calloc(b->a, b->nfinal, sizeof(*p->locations))) == NULL ||
        (lines = arena_calloc(b->a, nlines, sizeof(*lines))) == NULL)
        return arena_error(b->a);
    for (i = 0; i < b->nfinal; i++) {
        l = &b->locs[b->order[i]];
        loc = &p->locations[i];
        loc->id = i + 1;
        loc->address = l->addr;
        loc->mapping = l->map != 0 ? &p->mappings[l->map - 1] : NULL;
        loc->lines = lines;
        loc->nlines = l->nsym;
        for (j = 0; j < l->nsym; j++) {
            lines[j].fn = &p->functions[b->fns[b->syms[l->sym0 + j].fn].final - 1];
            lines[j].line = b->syms[l->sym0 + j].line;
        }
        lines += l->nsym;
    }
    p->nlocations = b->nfinal;
    return HW_OK;
}

static enum hw_err
build_samples(struct lb *b)
{
    struct profile *p = b->p;
    struct location **locs;
    struct label *labels = NULL;
    struct sample *s;
    int64_t *vals;
    size_t i, j, nframes = 0;

    for (i = 0; i < b->nsmp; i++)
        nframes += b->smp[i].n;
    if ((p->samples = arena_calloc(b->a, b->nsmp, sizeof(*p->samples))) == NULL ||
        (vals = arena_calloc(b->a, b->nvals, sizeof(*vals))) == NULL ||
        (locs = arena_calloc(b->a, nframes, sizeof(*locs))) == NULL ||
        (b->block_label && (labels = arena_calloc(b->a, b->nsmp, sizeof(*labels))) == NULL))
        return arena_error(b->a);
    if (b->nvals > 0)
        memcpy(vals, b->vals, b->nvals * sizeof(*vals));
    for (i = 0; i < b->nsmp; i++) {
        s = &p->samples[i];
        s->values = vals + i * b->ntypes;
        s->locs = locs;
        s->nlocs = b->smp[i].n;
        for (j = 0; j < s->nlocs; j++)
            locs[j] = &p->locations[b->locs[b->stk[b->smp[i].off + j]].final - 1];
        locs += s->nlocs;
        if (labels != NULL) {
            labels[i].key = "bytes";
            labels[i].num = b->smp[i].block;
            labels[i].unit = "";
            s->labels = &labels[i];
            s->nlabels = 1;
        }
    }
    p->nsamples = b->nsmp;
    return HW_OK;
}

static enum hw_err
build_memstats(struct lb *b)
{
    struct profile *p = b->p;

    if (b->nstats == 0)
        return HW_OK;
    if ((p->memstats = arena_calloc(b->a, b->nstats, sizeof(*p->memstats))) == NULL)
        return arena_error(b->a);
    memcpy(p->memstats, b->stats, b->nstats * sizeof(*p->memstats));
    p->nmemstats = b->nstats;
    return HW_OK;
}

/* What pprof does after parsing (ParseMemoryMapFromScanner, then for CPU and threadz
 * profiles cleanupDuplicateLocations), then the profile in the arena. */
static enum hw_err
lb_finish(struct lb *b, bool dup_leaves)
{
    enum hw_err err;

    if ((err = maps_massage(b)) != HW_OK || (err = order_locations(b)) != HW_OK ||
        (err = map_locations(b)) != HW_OK)
        return err;
    if (dup_leaves)
        drop_duplicate_leaves(b);
    if ((err = name_hidden_frames(b)) != HW_OK || (err = build_mappings(b)) != HW_OK ||
        (err = build_functions(b)) != HW_OK || (err = build_locations(b)) != HW_OK ||
        (err = build_samples(b)) != HW_OK)
        return err;
    return build_memstats(b);
}

/* The sample types, all at once: pprof keeps them in this order. */
static enum hw_err
lb_types(struct lb *b, const char *const *names, size_t n)
{
    struct profile *p = b->p;
    size_t i;

    if ((p->sample_types = arena_calloc(b->a, n, sizeof(*p->sample_types))) == NULL)
        return arena_error(b->a);
    for (i = 0; i < n; i++) {
        p->sample_types[i].type = names[2 * i];
        p->sample_types[i].unit = names[2 * i + 1];
    }
    p->ntypes = b->ntypes = n;
    return HW_OK;
}

/* ---- pprof's frame filters (addLegacyFrameInfo) ---- */

static const char alloc_rx[] =
    "calloc|cfree|malloc|free|memalign|do_memalign|(__)?posix_memalign|pvalloc|valloc|realloc|"
    "tcmalloc::.*|tc_calloc|tc_cfree|tc_malloc|tc_free|tc_memalign|tc_posix_memalign|"
    "tc_pvalloc|tc_valloc|tc_realloc|tc_new|tc_delete|tc_newarray|tc_deletearray|"
    "tc_new_nothrow|tc_newarray_nothrow|malloc_zone_malloc|malloc_zone_calloc|"
    "malloc_zone_valloc|malloc_zone_realloc|malloc_zone_memalign|malloc_zone_free|"
    "runtime\\..*|BaseArena::.*|(::)?do_malloc_no_errno|(::)?do_malloc_pages|(::)?do_malloc|"
    "DoSampledAllocation|MallocedMemBlock::MallocedMemBlock|_M_allocate|"
    "__builtin_(vec_)?delete|__builtin_(vec_)?new|__gnu_cxx::new_allocator::allocate|"
    "__libc_malloc|__malloc_alloc_template::allocate|allocate|cpp_alloc|"
    "operator new(\\[\\])?|simple_alloc::allocate";
static const char alloc_skip_rx[] = "runtime\\.panic|runtime\\.reflectcall|runtime\\.call[0-9]*";
static const char cpu_rx[] = "ProfileData::Add|ProfileData::prof_handler|"
                             "CpuProfiler::prof_handler|__pthread_sighandler|__restore";
static const char lock_rx[] =
    "RecordLockProfileData|(base::)?RecordLockProfileData.*|(base::)?SubmitMutexProfileData.*|"
    "(base::)?SubmitSpinLockProfileData.*|(base::Mutex::)?AwaitCommon.*|"
    "(base::Mutex::)?Unlock.*|(base::Mutex::)?UnlockSlow.*|(base::Mutex::)?ReaderUnlock.*|"
    "(base::MutexLock::)?~MutexLock.*|(Mutex::)?AwaitCommon.*|(Mutex::)?Unlock.*|"
    "(Mutex::)?UnlockSlow.*|(Mutex::)?ReaderUnlock.*|(MutexLock::)?~MutexLock.*|"
    "(SpinLock::)?Unlock.*|(SpinLock::)?SlowUnlock.*|(SpinLockHolder::)?~SpinLockHolder.*";

static bool
types_are(const struct profile *p, const char *const *names)
{
    size_t i;

    for (i = 0; i < p->ntypes && names[i] != NULL; i++)
        if (strcmp(p->sample_types[i].type, names[i]) != 0)
            return false;
    return i == p->ntypes && names[i] == NULL;
}

static void
set_frame_filters(struct profile *p)
{
    static const char *const heapz[][5] = {
        {"allocations", "size", NULL},
        {"objects", "space", NULL},
        {"inuse_objects", "inuse_space", NULL},
        {"alloc_objects", "alloc_space", NULL},
        {"alloc_objects", "alloc_space", "inuse_objects", "inuse_space", NULL},
    };
    static const char *const contentionz[] = {"contentions", "delay", NULL};
    size_t i;

    p->drop_frames = cpu_rx;
    p->keep_frames = "";
    for (i = 0; i < sizeof(heapz) / sizeof(heapz[0]); i++)
        if (types_are(p, heapz[i])) {
            p->drop_frames = alloc_rx;
            p->keep_frames = alloc_skip_rx;
            return;
        }
    if (types_are(p, contentionz))
        p->drop_frames = lock_rx;
}

/* ---- gperftools' binary CPU profile ---- */

/* Native-endian words of 4 or 8 bytes. Past the end a read gives 0 and the stream is
 * spent, as pprof's get32l & co. return a nil slice. */
struct words {
    const unsigned char *p;
    size_t n, pos;
    unsigned size;
    bool big, spent;
};

static uint64_t
word(struct words *w)
{
    uint64_t v = 0;
    unsigned i;

    if (w->spent || w->n - w->pos < w->size) {
        w->spent = true;
        return 0;
    }
    for (i = 0; i < w->size; i++)
        v |= (uint64_t)w->p[w->pos + (w->big ? w->size - 1 - i : i)] << (8 * i);
    w->pos += w->size;
    return v;
}

/* pprof's parseCPU header: words 0, 3, 0 (C++; 1 is Java), period, 0, tried as 32-bit
 * little, 32-bit big, 64-bit little, 64-bit big endian. */
static bool
cpu_header(const unsigned char *data, size_t len, struct words *w, uint64_t *period, bool *java)
{
    static const struct {
        unsigned size;
        bool big;
    } enc[] = {{4, false}, {4, true}, {8, false}, {8, true}};
    uint64_t h[5];
    size_t i, j;

    for (i = 0; i < sizeof(enc) / sizeof(enc[0]); i++) {
        memset(w, 0, sizeof(*w));
        w->p = data;
        w->n = len;
        w->size = enc[i].size;
        w->big = enc[i].big;
        for (j = 0; j < 5; j++)
            h[j] = word(w);
        if (!w->spent && h[0] == 0 && h[1] == 3 && (h[2] == 0 || h[2] == 1) && h[3] > 0 &&
            h[4] == 0) {
            *period = h[3];
            *java = h[2] == 1;
            return true;
        }
    }
    return false;
}

/* pprof's heuristic: when nearly every sample has the same second frame, it is the
 * signal handler's, and goes (up to twice). */
static enum hw_err
cpu_strip_handler(struct lb *b)
{
    size_t *count, iter, i, margin = b->nsmp / 32, hit;
    struct lsample *s;

    if (b->nlocs == 0)
        return HW_OK;
    if ((count = malloc(b->nlocs * sizeof(*count))) == NULL)
        return HW_NOMEM;
    for (iter = 0; iter < 2; iter++) {
        memset(count, 0, b->nlocs * sizeof(*count));
        hit = SIZE_MAX;
        for (i = 0; i < b->nsmp; i++)
            if (b->smp[i].n > 1 && ++count[b->stk[b->smp[i].off + 1]] >= b->nsmp - margin)
                hit = b->stk[b->smp[i].off + 1];
        for (i = 0; hit != SIZE_MAX && i < b->nsmp; i++) {
            s = &b->smp[i];
            if (s->n > 1 && b->stk[s->off + 1] == hit) {
                memmove(b->stk + s->off + 1, b->stk + s->off + 2, (s->n - 2) * sizeof(*b->stk));
                s->n--;
            }
        }
    }
    free(count);
    return HW_OK;
}

/* One sample: count, depth, then the addresses; the leaf as recorded, callers less
 * one. 0, 1, 0 ends the samples. *done at that marker or at the end of the data. */
static enum hw_err
cpu_sample(struct lb *b, struct words *w, bool *done, struct errbuf *eb)
{
    size_t at = w->pos, i;
    uint64_t count, depth, addr;
    int64_t v[2];
    enum hw_err err;

    count = word(w);
    depth = word(w);
    if (w->spent || depth > (w->n - w->pos) / 4)
        return errbuf_set(eb, HW_BADDATA, "cpu profile: sample at byte %zu runs past the end", at);
    addr = depth > 0 ? word(w) : 0;
    if (count == 0 && depth == 1 && addr == 0) {
        *done = true;
        return HW_OK;
    }
    v[0] = u2i(count);
    v[1] = wrap_mul(v[0], b->p->period);
    if ((err = lb_sample(b, v, 0)) != HW_OK)
        return err;
    for (i = 0; i < depth; i++) {
        if (i > 0)
            addr = word(w) - 1;
        if ((err = lb_frame(b, addr)) != HW_OK)
            return err;
    }
    *done = w->spent || w->pos == w->n;
    return HW_OK;
}

static enum hw_err
parse_cpu(struct lb *b, struct words *w, uint64_t period, struct errbuf *eb)
{
    static const char *const types[] = {"samples", "count", "cpu", "nanoseconds"};
    struct profile *p = b->p;
    struct scan s;
    bool done = w->pos == w->n;
    enum hw_err err;

    p->format = PROFILE_LEGACY_OTHER;
    p->period = wrap_mul(u2i(period), 1000);
    p->period_type.type = "cpu";
    p->period_type.unit = "nanoseconds";
    if ((err = lb_types(b, types, 2)) != HW_OK)
        return err;
    while (!done)
        if ((err = cpu_sample(b, w, &done, eb)) != HW_OK)
            return err;
    if ((err = cpu_strip_handler(b)) != HW_OK)
        return err;
    scan_init(&s, (const char *)w->p + w->pos, w->spent ? 0 : w->n - w->pos);
    if ((err = maps_read(b, &s, eb)) != HW_OK)
        return err;
    return lb_finish(b, true);
}

/* ---- Heap profiles ---- */

enum heap_kind { HEAP_NONE, HEAP_SAMPLED, HEAP_GROWTH };

struct heap_hdr {
    struct str c[4];      /* inuse objects, inuse bytes, alloc objects, alloc bytes */
    struct str kind, per; /* "heap", "heapz_v2", ...; the digits after '/' */
};

/* `heap profile: *(\d+): *(\d+) *\[ *(\d+): *(\d+) *\]` at s[i], the start of
 * every heap header pattern; the offset after ']' or SIZE_MAX. */
static size_t
heap_counts(struct str s, size_t i, struct str c[4])
{
    static const char after[] = ":[:]";
    size_t k, j;

    if (!str_at(s, i, "heap profile:"))
        return SIZE_MAX;
    i += 13;
    for (k = 0; k < 4; k++) {
        j = skip_blanks(s, i);
        i = skip_digits(s, j);
        if (i == j)
            return SIZE_MAX;
        c[k] = str_make(s.p + j, i - j);
        if (k % 2 == 1)
            i = skip_blanks(s, i);
        if (i >= s.n || s.p[i] != after[k])
            return SIZE_MAX;
        i++;
    }
    return i;
}

/* heapHeaderRE's tail, ` *@ *(heap[_a-z0-9]*)/?(\d*)`. */
static bool
heap_tail(struct str s, size_t i, struct heap_hdr *h)
{
    size_t j;

    i = skip_blanks(s, i);
    if (i >= s.n || s.p[i] != '@')
        return false;
    i = skip_blanks(s, i + 1);
    if (!str_at(s, i, "heap"))
        return false;
    for (j = i + 4;
         j < s.n && (s.p[j] == '_' || is_digit(s.p[j]) || (s.p[j] >= 'a' && s.p[j] <= 'z')); j++)
        ;
    h->kind = str_make(s.p + i, j - i);
    if (j < s.n && s.p[j] == '/')
        j++;
    h->per = str_make(s.p + j, skip_digits(s, j) - j);
    return true;
}

/* The first line of a heap profile: heapHeaderRE, else growthHeaderRE or
 * fragmentationHeaderRE, each searched anywhere in the line as pprof does. */
static enum heap_kind
heap_header(struct str line, struct heap_hdr *h)
{
    size_t i, e;

    for (i = 0; (i = str_find(line, i, "heap profile:")) != SIZE_MAX; i++)
        if ((e = heap_counts(line, i, h->c)) != SIZE_MAX && heap_tail(line, e, h))
            return HEAP_SAMPLED;
    for (i = 0; (i = str_find(line, i, "heap profile:")) != SIZE_MAX; i++)
        if ((e = heap_counts(line, i, h->c)) != SIZE_MAX && str_at(line, e, " @ growth"))
            return HEAP_GROWTH;
    for (i = 0; (i = str_find(line, i, "heap profile:")) != SIZE_MAX; i++)
        if ((e = heap_counts(line, i, h->c)) != SIZE_MAX && str_at(line, e, " @ fragmentation"))
            return HEAP_GROWTH;
    return HEAP_NONE;
}

/* A number of heapSampleRE at s[*i]: `-?\d+` when minus, else `\d+`. */
static bool
heap_num(struct str s, size_t *i, bool minus, struct str *out)
{
    size_t j = *i, k;

    if (minus && j + 1 < s.n && s.p[j] == '-' && is_digit(s.p[j + 1]))
        j++;
    k = skip_digits(s, j);
    if (k == j)
        return false;
    *out = str_make(s.p + *i, k - *i);
    *i = k;
    return true;
}

static bool
heap_char(struct str s, size_t *i, char c, bool blanks_before)
{
    if (blanks_before)
        *i = skip_blanks(s, *i);
    if (*i >= s.n || s.p[*i] != c)
        return false;
    (*i)++;
    return true;
}

/* heapSampleRE, `(-?\d+): *(-?\d+) *\[ *(\d+): *(\d+) *] @([ x0-9a-f]*)`, at s[i]. */
static bool
heap_sample_at(struct str s, size_t i, struct str v[4], struct str *addrs)
{
    size_t j;

    if (!heap_num(s, &i, true, &v[0]) || !heap_char(s, &i, ':', false))
        return false;
    i = skip_blanks(s, i);
    if (!heap_num(s, &i, true, &v[1]) || !heap_char(s, &i, '[', true))
        return false;
    i = skip_blanks(s, i);
    if (!heap_num(s, &i, false, &v[2]) || !heap_char(s, &i, ':', false))
        return false;
    i = skip_blanks(s, i);
    if (!heap_num(s, &i, false, &v[3]) || !heap_char(s, &i, ']', true) || !str_at(s, i, " @"))
        return false;
    i += 2;
    for (j = i; j < s.n && (s.p[j] == ' ' || s.p[j] == 'x' || is_lhex(s.p[j])); j++)
        ;
    *addrs = str_make(s.p + i, j - i);
    return true;
}

/* heapSampleRE searched anywhere in s, leftmost match first. A failed start fails
 * anywhere in the same run of digits too, so runs are skipped whole. */
static bool
heap_sample_match(struct str s, struct str v[4], struct str *addrs)
{
    size_t i = 0;

    while (i < s.n) {
        if ((s.p[i] == '-' || is_digit(s.p[i])) && heap_sample_at(s, i, v, addrs))
            return true;
        i = is_digit(s.p[i]) ? skip_digits(s, i) : i + 1;
    }
    return false;
}

struct heap_ctx {
    int64_t rate;
    bool v2, alloc;
};

/* pprof's addValues: one count/bytes pair, un-sampled for v2 profiles; *block is
 * the average object size, pprof's "bytes" label. */
static enum hw_err
heap_pair(struct str cs, struct str ss, const struct heap_ctx *h, int64_t *out, int64_t *block,
          const char *what, size_t lineno, struct errbuf *eb)
{
    char buf[48];
    int64_t count, size;

    if (!go_parse_int(cs, 10, &count))
        return errbuf_set(eb, HW_BADDATA, "line %zu: %s count %s is out of range", lineno, what,
                          excerpt(cs, buf));
    if (!go_parse_int(ss, 10, &size))
        return errbuf_set(eb, HW_BADDATA, "line %zu: %s bytes %s is out of range", lineno, what,
                          excerpt(ss, buf));
    if (count == 0 && size != 0)
        return errbuf_set(eb, HW_BADDATA, "line %zu: %s count is 0 but %s bytes is %lld", lineno,
                          what, what, (long long)size);
    if (count != 0) {
        *block = count == -1 ? u2i(0 - (uint64_t)size) : size / count;
        if (h->v2)
            scale_heap(&count, &size, h->rate);
    }
    out[0] = count;
    out[1] = size;
    return HW_OK;
}

static enum hw_err
heap_line(struct lb *b, struct str t, const struct heap_ctx *h, size_t lineno, struct errbuf *eb)
{
    struct str v[4], addrs, bad;
    int64_t vals[4], block = 0;
    char buf[48];
    enum hw_err err;

    if (!heap_sample_match(t, v, &addrs))
        return errbuf_set(eb, HW_BADDATA, "line %zu: not a heap sample: %s", lineno,
                          excerpt(t, buf));
    if (h->alloc &&
        (err = heap_pair(v[2], v[3], h, vals, &block, "allocation", lineno, eb)) != HW_OK)
        return err;
    if ((err = heap_pair(v[0], v[1], h, vals + 2 * h->alloc, &block, "inuse", lineno, eb)) != HW_OK)
        return err;
    if ((err = lb_sample(b, vals, block)) != HW_OK)
        return err;
    if ((err = lb_hex_frames(b, addrs, &bad)) == HW_BADDATA)
        return errbuf_set(eb, err, "line %zu: address %s does not fit 64 bits", lineno,
                          excerpt(bad, buf));
    return err;
}

/* pprof's parseHeapHeader: the sampling scheme from the header's kind. */
static enum hw_err
heap_setup(struct lb *b, const struct heap_hdr *hd, enum heap_kind k, struct heap_ctx *h,
           struct errbuf *eb)
{
    static const char *const four[] = {"alloc_objects", "count", "alloc_space", "bytes",
                                       "inuse_objects", "count", "inuse_space", "bytes"};
    static const char *const two[] = {"objects", "count", "space", "bytes"};
    struct profile *p = b->p;
    int64_t period = 0;
    char buf[48];

    memset(h, 0, sizeof(*h));
    p->format = k == HEAP_GROWTH ? PROFILE_LEGACY_OTHER : PROFILE_LEGACY_HEAP;
    p->period_type.type = "space";
    p->period_type.unit = "bytes";
    p->period = 1;
    if (k == HEAP_SAMPLED) {
        if (hd->per.n != 0 && !go_parse_int(hd->per, 10, &period))
            return errbuf_set(eb, HW_BADDATA, "line 1: sampling period %s is out of range",
                              excerpt(hd->per, buf));
        h->alloc = (!str_same(hd->c[2], hd->c[0]) && !str_eq(hd->c[2], "0")) ||
                   (!str_same(hd->c[3], hd->c[1]) && !str_eq(hd->c[3], "0"));
        h->v2 = !str_eq(hd->kind, "heapprofile");
        if (str_eq(hd->kind, "heapz_v2") || str_eq(hd->kind, "heap_v2"))
            p->period = period;
        else if (str_eq(hd->kind, "heap"))
            p->period = period / 2;
        else if (h->v2)
            return errbuf_set(eb, HW_BADDATA, "line 1: unknown heap profile kind %s",
                              excerpt(hd->kind, buf));
    }
    h->rate = p->period;
    b->block_label = true;
    return h->alloc ? lb_types(b, four, 4) : lb_types(b, two, 2);
}

static enum hw_err
parse_heap(struct lb *b, const char *data, size_t len, struct errbuf *eb)
{
    struct heap_hdr hd;
    struct heap_ctx h;
    struct scan s;
    struct str t;
    bool trailer = false;
    enum hw_err err;

    scan_init(&s, data, len);
    scan_next(&s);
    if ((err = heap_setup(b, &hd, heap_header(s.line, &hd), &h, eb)) != HW_OK)
        return err;
    while (scan_next(&s)) {
        t = go_trim(s.line);
        if (t.n == 0 || t.p[0] == '#') {
            if ((err = lb_comment(b, t, &trailer)) != HW_OK)
                return err;
            continue;
        }
        if (is_sentinel(t))
            break;
        if ((err = heap_line(b, t, &h, s.lineno, eb)) != HW_OK)
            return err;
    }
    if ((err = maps_section(b, &s, eb)) != HW_OK)
        return err;
    return lb_finish(b, false);
}

/* ---- Go count profiles (goroutine, threadcreate, ...) ---- */

/* countStartRE, `\A(\S+) profile: total \d+\z`; *type is the (\S+). */
static bool
count_header(struct str line, struct str *type)
{
    size_t i = 0;

    while (i < line.n && !re_space(line.p[i]))
        i++;
    if (i == 0 || !str_at(line, i, " profile: total "))
        return false;
    *type = str_make(line.p, i);
    i += 16;
    return i < line.n && skip_digits(line, i) == line.n;
}

/* The first line that is not blank or a comment, as count and threadz profiles
 * look for their header; false when there is none. */
static bool
first_content_line(struct scan *s)
{
    while (scan_next(s))
        if (!blank_or_comment(s->line))
            return true;
    return false;
}

/* countRE, `\A(\d+) @(( 0x[0-9a-f]+)+)\z`: a count and its stack. */
static enum hw_err
count_line(struct lb *b, struct str line, size_t lineno, struct errbuf *eb)
{
    size_t i = skip_digits(line, 0), j = i + 2, k;
    struct str bad;
    int64_t n;
    char buf[48];
    enum hw_err err;

    while (i > 0 && str_at(line, i, " @") && str_at(line, j, " 0x")) {
        for (k = j + 3; k < line.n && is_lhex(line.p[k]); k++)
            ;
        if (k == j + 3)
            break;
        j = k;
    }
    if (i == 0 || j != line.n || j == i + 2)
        return errbuf_set(eb, HW_BADDATA, "line %zu: not a count and stack: %s", lineno,
                          excerpt(line, buf));
    if (!go_parse_int(str_make(line.p, i), 0, &n))
        return errbuf_set(eb, HW_BADDATA, "line %zu: bad count %s", lineno,
                          excerpt(str_make(line.p, i), buf));
    if ((err = lb_sample(b, &n, 0)) != HW_OK)
        return err;
    if ((err = lb_hex_frames(b, str_from(line, i), &bad)) == HW_BADDATA)
        return errbuf_set(eb, err, "line %zu: address %s does not fit 64 bits", lineno,
                          excerpt(bad, buf));
    return err;
}

static enum hw_err
parse_count(struct lb *b, const char *data, size_t len, struct errbuf *eb)
{
    struct profile *p = b->p;
    const char *names[2];
    struct scan s;
    struct str type;
    enum hw_err err;

    scan_init(&s, data, len);
    first_content_line(&s);
    count_header(s.line, &type);
    p->format = PROFILE_LEGACY_GOROUTINE;
    if ((names[0] = arena_strndup(b->a, type.p, type.n)) == NULL)
        return arena_error(b->a);
    names[1] = "count";
    p->period_type.type = names[0];
    p->period_type.unit = names[1];
    p->period = 1;
    if ((err = lb_types(b, names, 1)) != HW_OK)
        return err;
    while (scan_next(&s)) {
        if (blank_or_comment(s.line)) {
            if ((err = lb_comment(b, go_trim(s.line), NULL)) != HW_OK)
                return err;
            continue;
        }
        if (str_prefix(s.line, "---"))
            break;
        if ((err = count_line(b, s.line, s.lineno, eb)) != HW_OK)
            return err;
    }
    if ((err = maps_section(b, &s, eb)) != HW_OK)
        return err;
    return lb_finish(b, false);
}

/* ---- threadz ---- */

/* threadzStartRE, `--- threadz \d+ ---`, anywhere in the line. */
static bool
threadz_header(struct str line)
{
    size_t i, j;

    for (i = 0; (i = str_find(line, i, "--- threadz ")) != SIZE_MAX; i++) {
        j = skip_digits(line, i + 12);
        if (j > i + 12 && str_at(line, j, " ---"))
            return true;
    }
    return false;
}

/* threadStartRE, `--- Thread ([[:xdigit:]]+) \(name: (.*)/(\d+)\) stack: ---`,
 * anywhere in the line: a header whose name is followed, somewhere, by "/digits)
 * stack: ---". */
static bool
thread_header(struct str line)
{
    size_t i, j, last = 0;
    bool any = false;

    for (i = 0; (i = str_find(line, i, ") stack: ---")) != SIZE_MAX; i++) {
        j = i;
        while (j > 0 && is_digit(line.p[j - 1]))
            j--;
        if (j < i && j > 0 && line.p[j - 1] == '/') {
            last = j - 1;
            any = true;
        }
    }
    for (i = 0; any && (i = str_find(line, i, "--- Thread ")) != SIZE_MAX; i++) {
        for (j = i + 11; j < line.n && is_xdigit(line.p[j]); j++)
            ;
        if (j > i + 11 && str_at(line, j, " (name: ") && j + 8 <= last)
            return true;
    }
    return false;
}

/* pprof's parseThreadSample: the addresses up to the next "---" line, none when the
 * thread is the "same as previous thread". *line is the line that stopped it. */
static enum hw_err
thread_stack(struct lb *b, struct scan *s, struct str *line, bool *same)
{
    size_t i, j;
    uint64_t *q;

    b->ntmp = 0;
    *same = false;
    *line = str_make(s->end, 0);
    while (scan_next(s)) {
        *line = go_trim(s->line);
        if (line->n == 0)
            continue;
        if (str_prefix(*line, "---"))
            break;
        if (str_find(*line, 0, "same as previous thread") != SIZE_MAX) {
            *same = true;
            continue;
        }
        for (i = 0; (i = str_find(*line, i, "0x")) != SIZE_MAX;) {
            for (j = i + 2; j < line->n && is_lhex(line->p[j]); j++)
                ;
            if (j > i + 2) {
                if ((q = grow(b->tmp, &b->tmp_cap, b->ntmp, sizeof(*q))) == NULL)
                    return HW_NOMEM;
                b->tmp = q;
                if (!go_parse_uint(str_make(line->p + i, j - i), 0, &q[b->ntmp++]))
                    return HW_BADDATA;
            }
            i = j > i + 2 ? j : i + 1;
        }
    }
    return HW_OK;
}

static enum hw_err
thread_sample(struct lb *b)
{
    int64_t one = 1;
    size_t i;
    enum hw_err err;

    if (b->ntmp == 0) {
        if (b->nsmp > 0)
            b->vals[b->nsmp - 1]++;
        return HW_OK;
    }
    if ((err = lb_sample(b, &one, 0)) != HW_OK)
        return err;
    for (i = 0; i < b->ntmp; i++)
        if ((err = lb_frame(b, b->tmp[i] - (i > 0))) != HW_OK)
            return err;
    return HW_OK;
}

/* The threads, each "--- Thread ..." with its stack, up to the memory map, which a
 * threadz profile must have (pprof rejects one without). */
static enum hw_err
thread_list(struct lb *b, struct scan *s, struct str line, struct errbuf *eb)
{
    char buf[48];
    bool same;
    enum hw_err err;

    while (!is_sentinel(line)) {
        if (str_prefix(line, "---- no stack trace for"))
            break;
        if (!thread_header(line))
            return errbuf_set(eb, HW_BADDATA,
                              "line %zu: expected \"--- Thread ...\" or a memory map, not: %s",
                              s->lineno, excerpt(line, buf));
        if ((err = thread_stack(b, s, &line, &same)) == HW_BADDATA)
            return errbuf_set(eb, err, "line %zu: an address does not fit 64 bits", s->lineno);
        if (err != HW_OK)
            return err;
        if (same)
            b->ntmp = 0;
        if ((err = thread_sample(b)) != HW_OK)
            return err;
    }
    return HW_OK;
}

static enum hw_err
parse_thread(struct lb *b, const char *data, size_t len, struct errbuf *eb)
{
    static const char *const types[] = {"thread", "count"};
    struct profile *p = b->p;
    struct scan s;
    struct str line;
    enum hw_err err;

    scan_init(&s, data, len);
    first_content_line(&s);
    line = s.line;
    p->format = PROFILE_LEGACY_OTHER;
    p->period_type.type = "thread";
    p->period_type.unit = "count";
    p->period = 1;
    if ((err = lb_types(b, types, 1)) != HW_OK)
        return err;
    if (threadz_header(line))
        while (scan_next(&s)) {
            line = s.line;
            if (is_sentinel(line) || str_prefix(line, "-"))
                break;
        }
    if ((err = thread_list(b, &s, line, eb)) != HW_OK || (err = maps_section(b, &s, eb)) != HW_OK)
        return err;
    return lb_finish(b, true);
}

/* ---- Contention, mutex and block profiles ---- */

static bool
contention_header(struct str line)
{
    return str_prefix(line, "--- contentionz ") || str_prefix(line, "--- mutex:") ||
           str_prefix(line, "--- contention:");
}

struct contention {
    int64_t cpu_hz;
};

/* The "key = value" lines before the samples; false at the first other line. */
static enum hw_err
contention_attr(struct lb *b, struct str t, struct contention *c, size_t lineno, bool *more,
                struct errbuf *eb)
{
    size_t eq = str_find(t, 0, "=");
    struct str key, val;
    int64_t ms, *dst = NULL;
    char buf[48], buf2[48];

    *more = eq != SIZE_MAX;
    if (!*more)
        return HW_OK;
    key = go_trim(str_make(t.p, eq));
    val = go_trim(str_from(t, eq + 1));
    if (str_eq(key, "cycles/second"))
        dst = &c->cpu_hz;
    else if (str_eq(key, "sampling period"))
        dst = &b->p->period;
    else if (str_eq(key, "ms since reset"))
        dst = &ms;
    else if (str_eq(key, "format") || str_eq(key, "resolution"))
        return errbuf_set(eb, HW_BADDATA, "line %zu: Java contention profiles are not supported",
                          lineno);
    else if (!str_eq(key, "discarded samples"))
        return errbuf_set(eb, HW_BADDATA, "line %zu: unknown contention profile attribute %s",
                          lineno, excerpt(key, buf));
    if (dst != NULL && !go_parse_int(val, 0, dst))
        return errbuf_set(eb, HW_BADDATA, "line %zu: bad %s value %s", lineno, excerpt(key, buf),
                          excerpt(val, buf2));
    if (dst == &ms)
        b->p->duration_nanos = wrap_mul(wrap_mul(ms, 1000), 1000);
    return HW_OK;
}

/* contentionSampleRE, `(\d+) *(\d+) @([ x0-9a-f]*)`, anywhere in s. The first number
 * is greedy, so "12 @" reads as 1 and 2. */
static bool
contention_match(struct str s, struct str *v1, struct str *v2, struct str *addrs)
{
    size_t i = 0, e, j, k, a = 0;

    while (i < s.n) {
        if (!is_digit(s.p[i])) {
            i++;
            continue;
        }
        e = skip_digits(s, i);
        j = skip_blanks(s, e);
        k = skip_digits(s, j);
        if (k > j && str_at(s, k, " @")) {
            *v1 = str_make(s.p + i, e - i);
            *v2 = str_make(s.p + j, k - j);
            a = k + 2;
        } else if (e - i >= 2 && str_at(s, e, " @")) {
            *v1 = str_make(s.p + i, e - 1 - i);
            *v2 = str_make(s.p + (e - 1), 1);
            a = e + 2;
        } else {
            i = e;
            continue;
        }
        for (k = a; k < s.n && (s.p[k] == ' ' || s.p[k] == 'x' || is_lhex(s.p[k])); k++)
            ;
        *addrs = str_make(s.p + a, k - a);
        return true;
    }
    return false;
}

/* pprof's parseContentionSample: delay is scaled from cycles to nanoseconds and both
 * values by the sampling period. */
static enum hw_err
contention_line(struct lb *b, struct str t, const struct contention *c, size_t lineno,
                struct errbuf *eb)
{
    struct str v1, v2, addrs, bad;
    int64_t cycles, count, vals[2], period = b->p->period;
    char buf[48];
    enum hw_err err;

    if (!contention_match(t, &v1, &v2, &addrs))
        return errbuf_set(eb, HW_BADDATA, "line %zu: not a contention sample: %s", lineno,
                          excerpt(t, buf));
    if (!go_parse_int(v1, 10, &cycles) || !go_parse_int(v2, 10, &count))
        return errbuf_set(eb, HW_BADDATA, "line %zu: a value is out of range: %s", lineno,
                          excerpt(t, buf));
    if (period > 0) {
        if (c->cpu_hz > 0)
            cycles = go_f2i((double)cycles * (double)period / ((double)c->cpu_hz / 1e9));
        count = wrap_mul(count, period);
    }
    vals[0] = count;
    vals[1] = cycles;
    if ((err = lb_sample(b, vals, 0)) != HW_OK)
        return err;
    if ((err = lb_hex_frames(b, addrs, &bad)) == HW_BADDATA)
        return errbuf_set(eb, err, "line %zu: address %s does not fit 64 bits", lineno,
                          excerpt(bad, buf));
    return err;
}

static enum hw_err
parse_contention(struct lb *b, const char *data, size_t len, struct errbuf *eb)
{
    static const char *const types[] = {"contentions", "count", "delay", "nanoseconds"};
    struct contention c = {0};
    struct scan s;
    struct str t;
    bool more = true;
    enum hw_err err;

    scan_init(&s, data, len);
    scan_next(&s);
    b->p->format = PROFILE_LEGACY_OTHER;
    b->p->period_type.type = "contentions";
    b->p->period_type.unit = "count";
    b->p->period = 1;
    if ((err = lb_types(b, types, 2)) != HW_OK)
        return err;
    while (more && scan_next(&s)) {
        t = go_trim(s.line);
        if (blank_or_comment(t))
            continue;
        if (str_prefix(t, "---"))
            break;
        if ((err = contention_attr(b, t, &c, s.lineno, &more, eb)) != HW_OK)
            return err;
    }
    for (;;) {
        t = go_trim(s.line);
        if (str_prefix(t, "---"))
            break;
        if (!blank_or_comment(t))
            err = contention_line(b, t, &c, s.lineno, eb);
        else
            err = lb_comment(b, t, NULL);
        if (err != HW_OK)
            return err;
        if (!scan_next(&s))
            break;
    }
    if ((err = maps_section(b, &s, eb)) != HW_OK)
        return err;
    return lb_finish(b, false);
}

/* ---- Which format ---- */

enum legacy_kind {
    LEGACY_NONE,
    LEGACY_CPU,
    LEGACY_JAVA,
    LEGACY_HEAP,
    LEGACY_COUNT,
    LEGACY_THREAD,
    LEGACY_CONTENTION
};

/* pprof's order of trying: parseCPU, parseHeap, parseGoCount, parseThread,
 * parseContention, then the Java formats, which heapwatch only names. */
static enum legacy_kind
sniff(const char *data, size_t len, struct words *w, uint64_t *period)
{
    struct heap_hdr hd;
    struct scan s;
    struct str type;
    bool java = false;

    if (cpu_header((const unsigned char *)data, len, w, period, &java))
        return java ? LEGACY_JAVA : LEGACY_CPU;
    scan_init(&s, data, len);
    if (scan_next(&s) && heap_header(s.line, &hd) != HEAP_NONE)
        return LEGACY_HEAP;
    scan_init(&s, data, len);
    if (first_content_line(&s) && count_header(s.line, &type))
        return LEGACY_COUNT;
    if (threadz_header(s.line) || thread_header(s.line))
        return LEGACY_THREAD;
    scan_init(&s, data, len);
    if (scan_next(&s) && contention_header(s.line))
        return LEGACY_CONTENTION;
    scan_init(&s, data, len);
    if (scan_next(&s) && memchr(data, '\n', len) != NULL &&
        str_eq(go_trim(s.line), "--- heapz 1 ---"))
        return LEGACY_JAVA;
    return LEGACY_NONE;
}

static enum hw_err
parse_kind(struct lb *b, enum legacy_kind k, const char *data, size_t len, struct words *w,
           uint64_t period, struct errbuf *eb)
{
    switch (k) {
    case LEGACY_CPU:
        return parse_cpu(b, w, period, eb);
    case LEGACY_HEAP:
        return parse_heap(b, data, len, eb);
    case LEGACY_COUNT:
        return parse_count(b, data, len, eb);
    case LEGACY_THREAD:
        return parse_thread(b, data, len, eb);
    case LEGACY_CONTENTION:
        return parse_contention(b, data, len, eb);
    case LEGACY_JAVA:
        return errbuf_set(eb, HW_BADDATA, "line 1: Java profiles are not supported");
    case LEGACY_NONE:
        break;
    }
    return errbuf_set(eb, HW_BADDATA, "not a legacy profile");
}

enum hw_err
legacy_parse(struct arena *a, const unsigned char *data, size_t len, struct profile **out,
             bool *recognized, struct errbuf *eb)
{
    const char *text = data != NULL ? (const char *)data : "";
    enum legacy_kind k;
    struct words w;
    uint64_t period = 0;
    struct lb b;
    enum hw_err err;

    *out = NULL;
    memset(&b, 0, sizeof(b));
    b.a = a;
    k = sniff(text, len, &w, &period);
    *recognized = k != LEGACY_NONE;
    if (k == LEGACY_NONE || k == LEGACY_JAVA) {
        err = parse_kind(&b, k, text, len, &w, period, eb);
        goto out;
    }
    if ((b.p = profile_new(a)) == NULL) {
        err = arena_error(a);
        goto out;
    }
    if ((err = parse_kind(&b, k, text, len, &w, period, eb)) != HW_OK)
        goto out;
    set_frame_filters(b.p);
    *out = b.p;
out:
    lb_free(&b);
    return err;
}

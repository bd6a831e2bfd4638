/* palette.c - deterministic colours. flamegraph.pl's --hash looks at the first
 * characters only, so every "github.com/..." frame ends up the same colour; here
 * every byte of the name goes into the hash, and the three channels take different
 * bits of it. Arithmetic is integer wherever a result becomes a colour, so that no
 * rounding mode or floating-point contraction can change a pixel between machines. */
#include "palette.h"

#include <string.h>

static uint64_t
fnv1a(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    /* FNV's low bits mix poorly for short names; fold the high half in. */
    return h ^ (h >> 29) ^ (h >> 47);
}

enum hw_err
palette_parse(const char *s, enum palette *out)
{
    if (strcmp(s, "mem") == 0)
        *out = PALETTE_MEM;
    else if (strcmp(s, "hot") == 0)
        *out = PALETTE_HOT;
    else if (strcmp(s, "pkg") == 0)
        *out = PALETTE_PKG;
    else
        return HW_USAGE;
    return HW_OK;
}

const char *
palette_name(enum palette p)
{
    return p == PALETTE_MEM ? "mem" : p == PALETTE_HOT ? "hot" : "pkg";
}

enum palette
palette_default(const char *type, const char *unit)
{
    if (strstr(type, "space") != NULL || strstr(type, "objects") != NULL ||
        strstr(type, "alloc") != NULL || strstr(type, "inuse") != NULL ||
        strncmp(unit, "byte", 4) == 0)
        return PALETTE_MEM;
    return PALETTE_HOT;
}

const char *
palette_package(const char *name, size_t *len)
{
    size_t end = strcspn(name, "([ "), i, slash = 0, dot;

    for (i = 0; i < end; i++)
        if (name[i] == '/')
            slash = i + 1;
    dot = slash + strcspn(name + slash, ".");
    *len = dot < end ? dot : end;
    return name;
}

/* HSL to RGB in integers: h in degrees [0, 360), s and l in per mille. */
static struct rgb
hsl(unsigned h, unsigned s, unsigned l)
{
    unsigned c = (1000 - (2 * l > 1000 ? 2 * l - 1000 : 1000 - 2 * l)) * s / 1000;
    unsigned hp = h % 360, sector = hp / 60, rem = hp % 120;
    unsigned x = c * (60 - (rem > 60 ? rem - 60 : 60 - rem)) / 60;
    unsigned m = l - c / 2, r = 0, g = 0, b = 0;
    struct rgb out;

    switch (sector) {
    case 0:
        r = c, g = x;
        break;
    case 1:
        r = x, g = c;
        break;
    case 2:
        g = c, b = x;
        break;
    case 3:
        g = x, b = c;
        break;
    case 4:
        r = x, b = c;
        break;
    default:
        r = c, b = x;
        break;
    }
    out.r = (uint8_t)(((r + m) * 255 + 500) / 1000);
    out.g = (uint8_t)(((g + m) * 255 + 500) / 1000);
    out.b = (uint8_t)(((b + m) * 255 + 500) / 1000);
    return out;
}

struct rgb
palette_color(enum palette p, const char *name)
{
    uint64_t h = fnv1a(name, strlen(name));
    unsigned v1 = (unsigned)(h & 0xffff), v2 = (unsigned)((h >> 16) & 0xffff);
    unsigned v3 = (unsigned)((h >> 32) & 0xffff);
    struct rgb c;
    size_t plen;

    switch (p) {
    case PALETTE_HOT:
        c.r = (uint8_t)(205 + 50 * v3 / 65535);
        c.g = (uint8_t)(230 * v1 / 65535);
        c.b = (uint8_t)(55 * v2 / 65535);
        return c;
    case PALETTE_PKG:
        palette_package(name, &plen);
        return hsl((unsigned)(fnv1a(name, plen) % 360), 600, 620 + 110 * v1 / 65535);
    default:
        c.r = (uint8_t)(40 * v3 / 65535);
        c.g = (uint8_t)(190 + 50 * v2 / 65535);
        c.b = (uint8_t)(100 + 130 * v1 / 65535);
        return c;
    }
}

/* The integer square root of n (floor). */
static unsigned
isqrt(unsigned n)
{
    unsigned r = 0, bit = 1u << 30;

    while (bit > n)
        bit >>= 2;
    while (bit != 0) {
        if (n >= r + bit) {
            n -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return r;
}

struct rgb
palette_diff(int64_t delta, int64_t maxabs)
{
    struct rgb c = {235, 235, 235};
    uint64_t ad, am, ratio;
    unsigned i, fade;

    if (delta == 0 || maxabs == 0)
        return c;
    ad = delta < 0 ? 0 - (uint64_t)delta : (uint64_t)delta;
    am = maxabs < 0 ? 0 - (uint64_t)maxabs : (uint64_t)maxabs;
    if (ad > am)
        ad = am;
    /* |delta|/maxabs in millionths, without overflow for any int64. */
    ratio = am <= UINT64_MAX / 1000000 ? ad * 1000000 / am : ad / (am / 1000000 + 1);
    if (ratio > 1000000)
        ratio = 1000000;
    /* Intensity in per mille: 200 for the smallest change, 850 for the largest. */
    i = 200 + 650 * isqrt((unsigned)ratio) / 1000;
    fade = 235 * (1000 - i) / 1000;
    if (delta > 0)
        c.r = 255, c.g = c.b = (uint8_t)fade;
    else
        c.b = 255, c.r = c.g = (uint8_t)fade;
    return c;
}

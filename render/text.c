/* text.c - sanitizing, escaping and measuring names. Measuring sums per-character
 * advances taken from cairo's toy text API, which does not kern, so the sum equals
 * what cairo_text_extents reports for the whole string and the PNG draws exactly what
 * was measured. Characters outside printable ASCII get one conservative advance (the
 * widest of "M", "W" and "…"): Go names are ASCII, and the SVG's script uses the same
 * table, so a label refitted after a zoom matches one fitted here. */
#include "text.h"

#include <cairo.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ELLIPSIS "\xe2\x80\xa6"    /* U+2026 */
#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

/* Advances are rounded to thousandths of a pixel: the SVG's script gets them as
 * three-decimal numbers, which parse back to exactly these doubles, so both sides sum
 * the same values in the same order. */
static double
thousandths(double v)
{
    return (double)(long)(v * 1000 + 0.5) / 1000;
}

enum hw_err
text_metrics_init(struct text_metrics *m, double size)
{
    static const char *const wide[] = {"M", "W", ELLIPSIS};
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *cr = cairo_create(s); /* on failure both are inert error objects */
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_text_extents_t ext;
    enum hw_err err = HW_NOMEM;
    char ch[2] = {0, 0};
    size_t i;

    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS ||
        cairo_font_options_status(fo) != CAIRO_STATUS_SUCCESS)
        goto out;
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_set_font_options(cr, fo);
    cairo_select_font_face(cr, TEXT_FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    m->size = size;
    for (i = 0; i < TEXT_NADV; i++) {
        ch[0] = (char)(TEXT_FIRST + i);
        cairo_text_extents(cr, ch, &ext);
        m->adv[i] = thousandths(ext.x_advance);
    }
    m->other = 0;
    for (i = 0; i < sizeof(wide) / sizeof(wide[0]); i++) {
        cairo_text_extents(cr, wide[i], &ext);
        if (thousandths(ext.x_advance) > m->other)
            m->other = thousandths(ext.x_advance);
    }
    if (cairo_status(cr) == CAIRO_STATUS_SUCCESS)
        err = HW_OK;
out:
    cairo_font_options_destroy(fo);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    return err;
}

void
text_fonts_release(void)
{
    void *self = dlopen(NULL, RTLD_LAZY);
    void (*fc_fini)(void) = NULL;

    cairo_debug_reset_static_data();
    /* fontconfig comes in through cairo, but we do not link it ourselves (cairo's
     * pkg-config names it only for static links), so its FcFini is looked up. */
    if (self != NULL) {
        *(void **)&fc_fini = dlsym(self, "FcFini");
        if (fc_fini != NULL)
            fc_fini();
        dlclose(self);
    }
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid.
 * Overlong forms, surrogates and code points past U+10FFFF are invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0))
            return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

/* Whether the character of k bytes at s may be shown: not a C0 or C1 control, not DEL,
 * and not U+FFFE or U+FFFF, which XML does not allow even as a reference. */
static bool
printable(const unsigned char *s, size_t k)
{
    if (k == 1)
        return s[0] >= 0x20 && s[0] != 0x7f;
    if (k == 2)
        return !(s[0] == 0xc2 && s[1] < 0xa0);
    return !(k == 3 && s[0] == 0xef && s[1] == 0xbf && s[2] >= 0xbe);
}

double
text_width(const struct text_metrics *m, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    double w = 0;
    size_t i = 0;

    while (i < n) {
        if (u[i] >= TEXT_FIRST && u[i] <= TEXT_LAST) {
            w += m->adv[u[i] - TEXT_FIRST];
            i++;
        } else {
            size_t k = utf8_len(u + i, n - i);
            w += m->other;
            i += k ? k : 1;
        }
    }
    return w;
}

const char *
text_sanitize(struct arena *a, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i, k, n = strlen(s), extra = 0;
    char *out, *o;

    for (i = 0; i < n; i += k ? k : 1) {
        k = utf8_len(u + i, n - i);
        if (k == 0 || !printable(u + i, k))
            extra += 3;
    }
    if (extra == 0)
        return s;
    if ((out = arena_alloc(a, n + extra + 1)) == NULL)
        return NULL;
    for (i = 0, o = out; i < n; i += k ? k : 1) {
        k = utf8_len(u + i, n - i);
        if (k == 0 || !printable(u + i, k)) {
            memcpy(o, REPLACEMENT, 3);
            o += 3;
        } else {
            memcpy(o, s + i, k);
            o += k;
        }
    }
    *o = '\0';
    return out;
}

enum hw_err
text_xml(struct buf *b, const char *s)
{
    enum hw_err err;
    size_t n;

    for (;;) {
        n = strcspn(s, "&<>\"'");
        if (n > 0 && (err = buf_append(b, s, n)) != HW_OK)
            return err;
        s += n;
        switch (*s) {
        case '\0':
            return HW_OK;
        case '&':
            err = buf_append(b, "&amp;", 5);
            break;
        case '<':
            err = buf_append(b, "&lt;", 4);
            break;
        case '>':
            err = buf_append(b, "&gt;", 4);
            break;
        case '"':
            err = buf_append(b, "&quot;", 6);
            break;
        default:
            err = buf_append(b, "&#39;", 5);
            break;
        }
        if (err != HW_OK)
            return err;
        s++;
    }
}

enum hw_err
text_json(struct buf *b, const char *s)
{
    enum hw_err err;
    size_t n;

    if ((err = buf_append(b, "\"", 1)) != HW_OK)
        return err;
    for (;;) {
        const char *esc = NULL;
        char tmp[8];

        n = strcspn(s, "\"\\<>&\xe2\x01\x02\x03\x04\x05\x06\x07\x08\t\n\v\f\r\x0e\x0f\x10\x11"
                       "\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f");
        if (n > 0 && (err = buf_append(b, s, n)) != HW_OK)
            return err;
        s += n;
        if (*s == '\0')
            return buf_append(b, "\"", 1);
        if (*s == '"' || *s == '\\') {
            tmp[0] = '\\';
            tmp[1] = *s;
            tmp[2] = '\0';
            esc = tmp;
        } else if ((unsigned char)*s == 0xe2) {
            /* U+2028 and U+2029 end a line in JavaScript source. */
            if ((unsigned char)s[1] == 0x80 &&
                ((unsigned char)s[2] == 0xa8 || (unsigned char)s[2] == 0xa9)) {
                esc = (unsigned char)s[2] == 0xa8 ? "\\u2028" : "\\u2029";
                s += 2;
            } else {
                tmp[0] = *s;
                tmp[1] = '\0';
                esc = tmp;
            }
        } else {
            snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned)(unsigned char)*s);
            esc = tmp;
        }
        if ((err = buf_puts(b, esc)) != HW_OK)
            return err;
        s++;
    }
}

const char *
text_short_name(const char *name)
{
    size_t end = strcspn(name, "([ ");
    const char *slash = NULL, *p;

    for (p = name; p < name + end; p++)
        if (*p == '/')
            slash = p;
    return slash && slash[1] != '\0' ? slash + 1 : name;
}

/* The byte length of the longest prefix of s (at least two characters) that fits in
 * avail pixels, 0 if not even two characters fit. */
static size_t
fit_prefix(const struct text_metrics *m, const char *s, double avail)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, n = strlen(s), chars = 0, best = 0;
    double w = 0;

    while (i < n) {
        size_t k = u[i] < 0x80 ? 1 : utf8_len(u + i, n - i);

        k = k ? k : 1;
        w += text_width(m, s + i, k);
        if (w > avail)
            break;
        i += k;
        if (++chars >= 2)
            best = i;
    }
    return best;
}

const char *
text_fit(struct arena *a, const struct text_metrics *m, const char *name, double avail,
         bool fullnames)
{
    const char *shortn = fullnames ? name : text_short_name(name);
    const char *base = name;
    char *out;
    size_t n;

    if (text_width(m, name, strlen(name)) <= avail)
        return name;
    if (shortn != name) {
        size_t sl = strlen(shortn);
        char *cand = arena_alloc(a, sl + sizeof(ELLIPSIS "/"));

        if (cand == NULL)
            return NULL;
        memcpy(cand, ELLIPSIS "/", sizeof(ELLIPSIS "/") - 1);
        memcpy(cand + sizeof(ELLIPSIS "/") - 1, shortn, sl + 1);
        if (text_width(m, cand, strlen(cand)) <= avail)
            return cand;
        /* Cut down further, the function matters more than the "…/" marker. */
        base = shortn;
    }
    n = fit_prefix(m, base, avail - text_width(m, "..", 2));
    if (n == 0)
        return "";
    if ((out = arena_alloc(a, n + 3)) == NULL)
        return NULL;
    memcpy(out, base, n);
    memcpy(out + n, "..", 3);
    return out;
}

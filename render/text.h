/* text.h - text from profiles made safe to show, and measured for labels. Names come
 * from untrusted input: they are made valid UTF-8 without control characters before
 * anything else sees them, then escaped for the output (XML or JSON). Label widths
 * use the advance widths of the font we draw with (DejaVu Sans), read from cairo once
 * per render, so the SVG, the PNG and the SVG's own script all fit labels the same. */
#ifndef HW_TEXT_H
#define HW_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "buf.h"
#include "hw_err.h"

#define TEXT_FONT "DejaVu Sans"
#define TEXT_FIRST 32 /* the advance table covers printable ASCII */
#define TEXT_LAST 126
#define TEXT_NADV (TEXT_LAST - TEXT_FIRST + 1)

struct text_metrics {
    double size;           /* font size in pixels */
    double adv[TEXT_NADV]; /* advance of each printable ASCII character */
    double other;          /* advance assumed for any other character */
};

/* Reads the advances of TEXT_FONT at size pixels from cairo (unhinted, so that they do
 * not depend on the screen). HW_NOMEM when cairo cannot make a surface. */
enum hw_err text_metrics_init(struct text_metrics *m, double size);

/* Releases the font caches that cairo and fontconfig keep for the whole process, which
 * LeakSanitizer would otherwise report at exit. Call it once, when nothing will draw or
 * measure text any more (at the end of a command, or when a server stops). */
void text_fonts_release(void);

/* The width of the n bytes of UTF-8 at s. */
double text_width(const struct text_metrics *m, const char *s, size_t n);

/* s as valid UTF-8 with invalid bytes, C0/C1 control characters, DEL and the
 * noncharacters U+FFFE/U+FFFF (not allowed in XML) replaced by U+FFFD: s itself when
 * nothing needs replacing, else a copy in a. NULL on no memory. */
const char *text_sanitize(struct arena *a, const char *s);

/* Appends s (sanitized) with &, <, >, " and ' escaped for XML text and attributes. */
enum hw_err text_xml(struct buf *b, const char *s);

/* Appends s (sanitized) as a JSON string, quotes included; <, >, &, U+2028 and U+2029
 * are escaped too so that the JSON can be pasted into a <script>. */
enum hw_err text_json(struct buf *b, const char *s);

/* Where the short form of a Go name starts: after the last '/' of the package path
 * ("github.com/x/pkg.(*T).M" gives "pkg.(*T).M"); name itself when there is no path. */
const char *text_short_name(const char *name);

/* The label for name in avail pixels: the name if it fits; else, unless fullnames,
 * "…/" and the short name if that fits; else the longest prefix (of the short name
 * unless fullnames) of at least two characters followed by "..", or "" when not even
 * that fits. The result is name itself or a string in a; NULL on no memory. */
const char *text_fit(struct arena *a, const struct text_metrics *m, const char *name, double avail,
                     bool fullnames);

#endif

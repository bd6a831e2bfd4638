/* leakchart.h - a leak report (profile/leaks.h) as a line chart, drawn with cairo as
 * SVG or PNG: the total (inuse bytes, or goroutines) over the report's window and the
 * series of its top suspects, on one time axis (UTC clock times) and one value axis
 * (pprof's units), with a legend naming each suspect's site and growth and the
 * verdict in the title. Names from the profile are made valid UTF-8 without control
 * characters before cairo sees them; the SVG draws text as glyph outlines and
 * carries the same words, XML-escaped, in its <title> and <desc>. The same report and
 * options give the same bytes. */
#ifndef HW_LEAKCHART_H
#define HW_LEAKCHART_H

#include <stddef.h>

#include "buf.h"
#include "hw_err.h"
#include "leaks.h"

#define LEAKCHART_MIN_WIDTH 200
#define LEAKCHART_MAX_WIDTH 4000 /* an RGB image of 4000 x 3000 is 48 MB */
#define LEAKCHART_MIN_HEIGHT 120
#define LEAKCHART_MAX_HEIGHT 3000
#define LEAKCHART_MAX_SUSPECTS 5 /* more lines than this no one can tell apart */

enum leakchart_format {
    LEAKCHART_SVG,
    LEAKCHART_PNG,
};

struct leakchart_opts {
    unsigned width, height; /* pixels; 800 x 400 */
    const char *title;      /* what the report is of (a target's name); NULL: none */
    size_t max_suspects;    /* suspects drawn, at most LEAKCHART_MAX_SUSPECTS; 5 */
};

/* The defaults listed in struct leakchart_opts. */
void leakchart_opts_init(struct leakchart_opts *o);

/* Appends the chart of r to out. A report without points (no scrape yet) gives an
 * empty chart that says so. HW_USAGE when the size is out of range, HW_TOOBIG when
 * out's cap is reached, HW_NOMEM when cairo or memory fails; eb says which. */
enum hw_err leakchart_render(const struct leak_report *r, const struct leakchart_opts *o,
                             enum leakchart_format fmt, struct buf *out, struct errbuf *eb);

#endif

/* png.h - a laid-out flame graph drawn with cairo: the same layout, colours and labels
 * as the SVG, for dashboards that cannot embed SVG. */
#ifndef HW_PNG_H
#define HW_PNG_H

#include "buf.h"
#include "flame.h"
#include "hw_err.h"

/* The tallest image cairo can draw; deeper graphs fail with HW_TOOBIG. */
#define PNG_MAX_HEIGHT 32767

/* Appends the PNG for f to out. HW_TOOBIG when the image is too tall or out's cap is
 * reached (eb says which). */
enum hw_err png_render(const struct flame *f, struct buf *out, struct errbuf *eb);

#endif

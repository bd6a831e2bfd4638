/* svg.h - a laid-out flame graph as one self-contained, interactive SVG document. */
#ifndef HW_SVG_H
#define HW_SVG_H

#include "buf.h"
#include "flame.h"
#include "hw_err.h"

/* Appends the SVG for f to out. HW_TOOBIG when out's cap is reached. */
enum hw_err svg_render(const struct flame *f, struct buf *out);

#endif

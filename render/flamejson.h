/* flamejson.h - a laid-out flame graph as d3-flame-graph's JSON: nested
 * {"name", "value", "children"} objects with inclusive values, for dashboards that
 * draw client-side. Diffs add "delta" (new minus base), as d3-flame-graph's diff mode
 * reads it. Frames the layout left out are absent; their values stay in the parent. */
#ifndef HW_FLAMEJSON_H
#define HW_FLAMEJSON_H

#include "buf.h"
#include "flame.h"
#include "hw_err.h"

enum hw_err flamejson_render(const struct flame *f, struct buf *out);

#endif

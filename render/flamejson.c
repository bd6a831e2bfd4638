/* flamejson.c - the frame array is depth first, so the nesting is written in one pass:
 * a frame opens "children" when the next frame is one deeper, and closes one level per
 * step the next frame climbs. Written by hand rather than through jansson so that a
 * big graph is streamed into the buffer without a tree of allocations, and so that
 * "<", ">" and "&" are escaped (see text_json). */
#include "flamejson.h"

#include <inttypes.h>

static enum hw_err
put_node(struct buf *b, const struct flame_info *in, const struct flame_frame *fr)
{
    enum hw_err err;

    if ((err = buf_puts(b, "{\"name\":")) != HW_OK || (err = text_json(b, fr->name)) != HW_OK ||
        (err = buf_printf(b, ",\"value\":%" PRId64, fr->value)) != HW_OK)
        return err;
    if (in->diff)
        return buf_printf(b, ",\"delta\":%" PRId64, fr->cur - fr->base);
    return HW_OK;
}

enum hw_err
flamejson_render(const struct flame *f, struct buf *out)
{
    const struct flame_info *in = flame_info(f);
    const struct flame_frame *fr = flame_frames(f);
    size_t i, n = in->nframes;
    enum hw_err err;

    for (i = 0; i < n; i++) {
        uint32_t d = fr[i].depth, next = i + 1 < n ? fr[i + 1].depth : 0;

        if ((err = put_node(out, in, &fr[i])) != HW_OK)
            return err;
        if (i + 1 < n && next == d + 1) {
            if ((err = buf_puts(out, ",\"children\":[")) != HW_OK)
                return err;
            continue;
        }
        if ((err = buf_puts(out, "}")) != HW_OK)
            return err;
        for (; d > next; d--)
            if ((err = buf_puts(out, "]}")) != HW_OK)
                return err;
        if (i + 1 < n && (err = buf_puts(out, ",")) != HW_OK)
            return err;
    }
    return buf_puts(out, "\n");
}

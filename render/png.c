/* png.c - the flame graph through cairo's image surface. Text uses the font and font
 * options the labels were measured with (unhinted metrics), so every label fits its
 * frame exactly as in the SVG. Everything cairo allocates is released here. */
#include "png.h"

#include <cairo.h>
#include <stdio.h>

static cairo_status_t
png_write(void *closure, const unsigned char *data, unsigned int len)
{
    return buf_append(closure, data, len) == HW_OK ? CAIRO_STATUS_SUCCESS
                                                   : CAIRO_STATUS_WRITE_ERROR;
}

static void
set_rgb(cairo_t *cr, struct rgb c)
{
    cairo_set_source_rgb(cr, c.r / 255.0, c.g / 255.0, c.b / 255.0);
}

static void
centered(cairo_t *cr, double cx, double y, const char *s)
{
    cairo_text_extents_t ext;

    cairo_text_extents(cr, s, &ext);
    cairo_move_to(cr, cx - ext.x_advance / 2, y);
    cairo_show_text(cr, s);
}

static void
draw_header(cairo_t *cr, const struct flame *f)
{
    const struct flame_info *in = flame_info(f);
    char note[FLAME_NOTE_MAX];

    cairo_set_source_rgb(cr, 0xf6 / 255.0, 0xf6 / 255.0, 0xf2 / 255.0);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_font_size(cr, FLAME_TITLE_SIZE);
    centered(cr, in->width / 2.0, 24, in->title);
    cairo_set_font_size(cr, FLAME_FONT_SIZE);
    cairo_set_source_rgb(cr, 0x44 / 255.0, 0x44 / 255.0, 0x44 / 255.0);
    centered(cr, in->width / 2.0, 42, in->subtitle);
    flame_note(f, note, sizeof(note));
    centered(cr, in->width / 2.0, 58, note);
}

static void
draw_frames(cairo_t *cr, const struct flame *f)
{
    const struct flame_frame *fr = flame_frames(f);
    size_t i, n = flame_info(f)->nframes;
    static const double dash[] = {3, 2};

    for (i = 0; i < n; i++) {
        double y = flame_y(f, fr[i].depth);

        set_rgb(cr, fr[i].color);
        cairo_rectangle(cr, fr[i].x, y, fr[i].w, FLAME_FRAME_HEIGHT - 1);
        cairo_fill(cr);
        if (fr[i].flags != 0 && fr[i].w >= FLAME_MARK_MIN) {
            cairo_set_source_rgb(cr, 0, 0, 0);
            cairo_set_line_width(cr, 1);
            cairo_set_dash(cr, dash, 2, 0);
            cairo_rectangle(cr, fr[i].x + 0.5, y + 0.5, fr[i].w - 1, FLAME_FRAME_HEIGHT - 2);
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0);
        }
        if (fr[i].label[0] != '\0') {
            cairo_set_source_rgb(cr, 0, 0, 0);
            cairo_move_to(cr, fr[i].x + FLAME_LABEL_PAD, y + FLAME_FRAME_HEIGHT - 4);
            cairo_show_text(cr, fr[i].label);
        }
    }
}

enum hw_err
png_render(const struct flame *f, struct buf *out, struct errbuf *eb)
{
    const struct flame_info *in = flame_info(f);
    cairo_surface_t *s;
    cairo_font_options_t *fo;
    cairo_t *cr;
    enum hw_err err = HW_NOMEM;

    if (in->height > PNG_MAX_HEIGHT)
        return errbuf_set(eb, HW_TOOBIG,
                          "a graph %u frames deep is %u pixels tall, more than "
                          "a PNG can be drawn (%d); use SVG",
                          in->maxdepth + 1, in->height, PNG_MAX_HEIGHT);
    s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)in->width, (int)in->height);
    cr = cairo_create(s); /* on failure both are inert error objects */
    fo = cairo_font_options_create();
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS ||
        cairo_font_options_status(fo) != CAIRO_STATUS_SUCCESS) {
        errbuf_set(eb, err, "cairo cannot make a %ux%u image", in->width, in->height);
        goto out;
    }
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_set_font_options(cr, fo);
    cairo_select_font_face(cr, TEXT_FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    draw_header(cr, f);
    draw_frames(cr, f);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        errbuf_set(eb, err, "drawing: %s", cairo_status_to_string(cairo_status(cr)));
        goto out;
    }
    err = HW_OK;
    if (cairo_surface_write_to_png_stream(s, png_write, out) != CAIRO_STATUS_SUCCESS) {
        err = buf_is_full(out) ? HW_TOOBIG : HW_IO;
        errbuf_set(eb, err, "writing the PNG: %s",
                   buf_is_full(out) ? "output limit reached" : "cairo failed");
    }
out:
    cairo_font_options_destroy(fo);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    return err;
}

/* pngread.h - decoding a PNG held in memory with cairo, for the render tests that
 * check what png_render, callgraph_render and leakchart_render wrote. */
#ifndef HW_PNGREAD_H
#define HW_PNGREAD_H

#include <cairo.h>
#include <string.h>

struct pngread {
    const unsigned char *p;
    size_t left;
};

static cairo_status_t
pngread_chunk(void *closure, unsigned char *data, unsigned int len)
{
    struct pngread *r = closure;

    if (len > r->left)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, r->p, len);
    r->p += len;
    r->left -= len;
    return CAIRO_STATUS_SUCCESS;
}

/* The decoded image (check cairo_surface_status; destroy it afterwards). */
static __attribute__((unused)) cairo_surface_t *
pngread_decode(const unsigned char *data, size_t len)
{
    struct pngread r = {data, len};

    return cairo_image_surface_create_from_png_stream(pngread_chunk, &r);
}
#endif

/* buf.h - a growable byte buffer with a hard cap, for fetched, inflated and rendered
 * bytes. Appending past the cap fails with HW_TOOBIG and leaves the buffer as it was. */
#ifndef HW_BUF_H
#define HW_BUF_H

#include <stdio.h>
#include <stddef.h>

#include "hw_err.h"

struct buf {
    unsigned char *data; /* NUL-terminated for convenience (not counted in len) */
    size_t len, cap;
    size_t max; /* 0: no cap */
    int full;   /* an append was refused on the cap */
};

/* The caller owns the struct; buf_init sets it up empty with the given cap. */
void buf_init(struct buf *b, size_t max);
/* Frees the storage and leaves b empty (cap kept). */
void buf_reset(struct buf *b);

enum hw_err buf_append(struct buf *b, const void *p, size_t n);
enum hw_err buf_puts(struct buf *b, const char *s);
enum hw_err buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Makes room for n more bytes without changing len. */
enum hw_err buf_reserve(struct buf *b, size_t n);
int buf_is_full(const struct buf *b);

/* Appends everything readable from f (until EOF). HW_IO on a read error. */
enum hw_err buf_read_file(struct buf *b, FILE *f);

/* Hands the storage to the caller (free() it) and leaves b empty. */
unsigned char *buf_steal(struct buf *b, size_t *len);

#endif

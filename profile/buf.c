/* buf.c - capped growable bytes. Growth doubles; the cap is checked before any
 * allocation so a hostile length never reaches malloc. */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void
buf_init(struct buf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
}

void
buf_reset(struct buf *b)
{
    size_t max = b->max;

    free(b->data);
    buf_init(b, max);
}

enum hw_err
buf_reserve(struct buf *b, size_t n)
{
    size_t want, cap;
    unsigned char *p;

    if (n > SIZE_MAX - 1 - b->len)
        return HW_NOMEM;
    want = b->len + n;
    if (b->max != 0 && want > b->max) {
        b->full = 1;
        return HW_TOOBIG;
    }
    if (want + 1 <= b->cap)
        return HW_OK;
    /* Doubling keeps appends amortised; a larger request is taken as it is. */
    cap = b->cap == 0 ? 256 : b->cap > SIZE_MAX / 2 ? SIZE_MAX : b->cap * 2;
    if (cap < want + 1)
        cap = want + 1;
    if ((p = realloc(b->data, cap)) == NULL)
        return HW_NOMEM;
    b->data = p;
    b->cap = cap;
    return HW_OK;
}

enum hw_err
buf_append(struct buf *b, const void *p, size_t n)
{
    enum hw_err err;

    if ((err = buf_reserve(b, n)) != HW_OK)
        return err;
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return HW_OK;
}

enum hw_err
buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

enum hw_err
buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    int n;
    enum hw_err err;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return HW_BADDATA;
    if ((size_t)n < sizeof(small))
        return buf_append(b, small, (size_t)n);
    if ((err = buf_reserve(b, (size_t)n)) != HW_OK)
        return err;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return HW_OK;
}

int
buf_is_full(const struct buf *b)
{
    return b->full;
}

static enum hw_err buf_read_all(struct buf *b, FILE *f);

enum hw_err
buf_read_file(struct buf *b, FILE *f)
{
    enum hw_err err;
    int was_full = b->full;

    err = buf_read_all(b, f);
    if (err != HW_TOOBIG)
        b->full = was_full; /* a refused read-ahead is not a refused byte */
    return err;
}

/* Reads into the room the buffer has (a caller that knows the size reserves it
 * first), growing by 64 KiB steps otherwise; at the cap, one byte more tells whether
 * the input really was larger. */
static enum hw_err
buf_read_all(struct buf *b, FILE *f)
{
    enum hw_err err;
    size_t room, n;

    for (;;) {
        if (b->max != 0 && b->len >= b->max) {
            if (fgetc(f) == EOF)
                return ferror(f) ? HW_IO : HW_OK;
            b->full = 1;
            return HW_TOOBIG;
        }
        room = b->cap > b->len ? b->cap - b->len - 1 : 0;
        if (room < 4096) {
            size_t want = 65536, left = b->max - b->len;

            if (b->max != 0 && want > left)
                want = left;
            if ((err = buf_reserve(b, want)) != HW_OK)
                return err;
            room = b->cap - b->len - 1;
        }
        if (b->max != 0 && room > b->max - b->len)
            room = b->max - b->len;
        n = fread(b->data + b->len, 1, room, f);
        b->len += n;
        b->data[b->len] = '\0';
        if (n == 0)
            return ferror(f) ? HW_IO : HW_OK;
    }
}

unsigned char *
buf_steal(struct buf *b, size_t *len)
{
    unsigned char *p = b->data;

    if (len != NULL)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

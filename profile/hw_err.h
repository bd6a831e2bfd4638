/* hw_err.h - the one error type of heapwatch, and a one-line error message buffer.
 * Modules return an enum hw_err; when the caller will want to know why, they also
 * take a struct errbuf (may be NULL) and write one line naming what and where. */
#ifndef HW_ERR_H
#define HW_ERR_H

#include <stdarg.h>
#include <stddef.h>

enum hw_err {
    HW_OK = 0,
    HW_NOMEM,    /* allocation failed */
    HW_TOOBIG,   /* a configured byte limit was reached */
    HW_BADDATA,  /* the input is malformed */
    HW_IO,       /* reading or writing failed */
    HW_UPSTREAM, /* a remote source failed (HTTP status, connection, timeout) */
    HW_USAGE,    /* the caller asked for something that does not exist (bad option value) */
};

struct errbuf {
    char msg[512];
};

const char *hw_strerror(enum hw_err err);

/* Writes one line into eb (if eb is not NULL) and returns err, so that callers can
 * write `return errbuf_set(eb, HW_BADDATA, "sample %zu: ...", i);`. The first
 * message wins: a later call does not overwrite what an inner layer said. */
enum hw_err errbuf_set(struct errbuf *eb, enum hw_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears eb so that the next errbuf_set writes into it. */
void errbuf_clear(struct errbuf *eb);

/* The message in eb, or hw_strerror(err) when nothing was written. */
const char *errbuf_msg(const struct errbuf *eb, enum hw_err err);

#endif

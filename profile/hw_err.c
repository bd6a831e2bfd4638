/* hw_err.c - error names and the one-line error buffer. */
#include "hw_err.h"

#include <stdio.h>

const char *
hw_strerror(enum hw_err err)
{
    switch (err) {
    case HW_OK:
        return "success";
    case HW_NOMEM:
        return "out of memory";
    case HW_TOOBIG:
        return "input exceeds the size limit";
    case HW_BADDATA:
        return "malformed input";
    case HW_IO:
        return "input/output error";
    case HW_UPSTREAM:
        return "remote source failed";
    case HW_USAGE:
        return "invalid argument";
    }
    return "unknown error";
}

enum hw_err
errbuf_set(struct errbuf *eb, enum hw_err err, const char *fmt, ...)
{
    va_list ap;

    if (eb == NULL || eb->msg[0] != '\0')
        return err;
    va_start(ap, fmt);
    vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
    va_end(ap);
    return err;
}

void
errbuf_clear(struct errbuf *eb)
{
    if (eb != NULL)
        eb->msg[0] = '\0';
}

const char *
errbuf_msg(const struct errbuf *eb, enum hw_err err)
{
    if (eb != NULL && eb->msg[0] != '\0')
        return eb->msg;
    return hw_strerror(err);
}

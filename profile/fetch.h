/* fetch.h - reading a SOURCE: a file, "-" for stdin, or an http(s) URL fetched with
 * libcurl. Bodies are capped while they stream, so a huge answer costs at most the
 * cap; a non-200 answer is an error that quotes the start of its body. */
#ifndef HW_FETCH_H
#define HW_FETCH_H

#include "buf.h"
#include "hw_err.h"

struct fetch_opts {
    long timeout_ms;         /* whole transfer; 0: 60 s */
    long connect_timeout_ms; /* 0: 10 s */
    int max_redirects;       /* 0: 5; negative: none */
};

/* True when spec names an http:// or https:// URL. */
int fetch_is_url(const char *spec);

/* GETs url into out (whose max caps the body): HW_UPSTREAM for connection errors,
 * timeouts and non-200 statuses, HW_TOOBIG past out->max, with the reason in eb. */
enum hw_err fetch_url(const char *url, const struct fetch_opts *o, struct buf *out,
                      struct errbuf *eb);

/* Reads spec (file path, "-" or URL) into out. */
enum hw_err source_read(const char *spec, const struct fetch_opts *o, struct buf *out,
                        struct errbuf *eb);

#endif

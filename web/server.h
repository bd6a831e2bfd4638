/* server.h - the HTTP service (libmicrohttpd): a pool of threads answering the
 * routes of routes.c over the scraper's status and the history on disk. */
#ifndef HW_SERVER_H
#define HW_SERVER_H
#include "history.h"
#include "hw_err.h"
#include "scrape.h"

struct server; /* opaque */

/* Listens on addr ("127.0.0.1:7070", "[::1]:7070", ":7070" for every address).
 * s and h are not owned and must outlive the server. */
enum hw_err server_start(const char *addr, struct scraper *s, struct history *h,
                         struct server **out, struct errbuf *eb);
/* Stops accepting, finishes the requests in progress and frees. NULL is a no-op. */
void server_stop(struct server *srv);
#endif

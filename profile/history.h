/* history.h - stored scrapes on disk: every scrape's bytes exactly as received, one
 * file each, written atomically (temporary file, fsync, rename, fsync the directory),
 * with an in-memory index rebuilt from the directory on open. A crash at any moment
 * leaves every renamed file intact and loadable and nothing half-written visible.
 *
 * Layout (meant to be read by hand):
 *   DIR/<target>/target.json                    the target's name and labels
 *   DIR/<target>/<type>/20261123T101500.123Z.pb.gz  one scrape (.pb.gz, .pb or .txt by content)
 *   DIR/<target>/<type>/index                   append-only log of the scrapes' totals
 * <target> is the target name with anything but [A-Za-z0-9._-] replaced by '_' and,
 * when that changed the name, "-" and 8 hex digits of its hash appended (a leading '.'
 * is replaced too, and a name is cut at 100 characters; both count as a change). When
 * another target already has that directory, "-2", "-3"... is appended: target.json,
 * not the directory name, maps a directory back to its target. <type> is the type
 * itself, which must match [A-Za-z0-9_-]{1,64}.
 * index lines read "v1 <id> <size> <flags> <ntotals> <totals...> <delta0> <delta1>
 * <crc32 of the line before it, 8 hex digits>"; lines are appended after the rename
 * (not fsynced: a lost line costs a decode on the next open) and the log is rewritten
 * once it holds more than twice the live entries.
 *
 * All functions are safe to call from several threads (one lock per history). */
#ifndef HW_HISTORY_H
#define HW_HISTORY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "hw_err.h"

#define HIST_MAX_TOTALS 4

/* Entry flags. */
#define HIST_DELTA 0x1   /* delta[] holds the alloc delta since the previous scrape */
#define HIST_RESTART 0x2 /* the target restarted before this scrape: a new delta baseline */

/* One stored scrape, small enough to keep an hour of 1,000 targets in memory. */
struct hist_entry {
    int64_t id;       /* the scrape time in Unix milliseconds, unique per target and type */
    int64_t size;     /* bytes on disk */
    int64_t totals[HIST_MAX_TOTALS]; /* sum of each sample type's values, in profile order */
    int64_t delta[2];  /* alloc_objects, alloc_space since the previous scrape (HIST_DELTA) */
    uint8_t ntotals;
    uint8_t flags;
};

struct history_limits {
    int64_t retention_ms;    /* 0: no age limit */
    int64_t retention_count; /* 0: no count limit; per target and type */
    int64_t retention_bytes; /* 0: no size limit; per target and type */
    size_t max_decoded_bytes; /* for decoding a scrape whose index line is missing */
};

struct history; /* opaque */
struct profile;

/* Sets e->totals and e->ntotals from p: each sample type's values summed (at most
 * HIST_MAX_TOTALS types, in profile order), as history_open recovers them. */
void history_totals(const struct profile *p, struct hist_entry *e);

/* Opens (creating it if needed) the data directory dir: removes stray temporary
 * files, reads every index log, and for each scrape file the log does not cover
 * (a crash between rename and log append) decodes the file to recover its totals;
 * a file that does not decode is moved aside to DIR/<target>/<type>/corrupt/ and
 * reported, never loaded. Index lines naming missing files are dropped. Problems
 * worked around this way do not fail the open: it returns HW_OK, writes the first
 * into eb and leaves their count and first message to history_open_warnings and
 * history_open_message. */
enum hw_err history_open(const char *dir, const struct history_limits *lim, struct history **out,
                         struct errbuf *eb);
size_t history_open_warnings(const struct history *h);
const char *history_open_message(const struct history *h); /* "" when there were none */
void history_close(struct history *h);

/* Records the name and labels of a target (written to target.json when they change).
 * labels is NULL or an array of nlabels key/value pairs. */
enum hw_err history_set_target(struct history *h, const char *target, const char *const *keys,
                               const char *const *values, size_t nlabels, struct errbuf *eb);

/* Stores one scrape. e carries totals, delta and flags; e->id is the scrape time and
 * is moved forward by a millisecond at a time if that id is taken; e->size is set.
 * Retention for (target, type) is applied afterwards, oldest first (the new scrape is
 * never removed by it). On return *e is the stored entry. */
enum hw_err history_store(struct history *h, const char *target, const char *type,
                          const void *data, size_t len, struct hist_entry *e,
                          struct errbuf *eb);

/* Copies the entries of (target, type), oldest first, into a malloc'd array (caller
 * frees). *n = 0 and *out = NULL when there are none. */
enum hw_err history_list(struct history *h, const char *target, const char *type,
                         struct hist_entry **out, size_t *n);
/* How many scrapes of (target, type) are stored, without copying them; with latest
 * (may be NULL) also the newest entry when there is one. */
size_t history_count(struct history *h, const char *target, const char *type,
                     struct hist_entry *latest);
/* The entry with this id (HW_USAGE when there is none). */
enum hw_err history_get(struct history *h, const char *target, const char *type, int64_t id,
                        struct hist_entry *out);
/* The newest entry at or before at_ms (INT64_MAX: the latest); HW_USAGE when none. */
enum hw_err history_find(struct history *h, const char *target, const char *type,
                         int64_t at_ms, struct hist_entry *out);
/* Appends a stored scrape's bytes to out (whose max caps them: HW_TOOBIG); HW_USAGE
 * when there is no such scrape. */
enum hw_err history_read(struct history *h, const char *target, const char *type, int64_t id,
                         struct buf *out, struct errbuf *eb);
/* The path of a stored scrape, for logs and people. Caller frees; NULL if unknown. */
char *history_path(struct history *h, const char *target, const char *type, int64_t id);

/* Names of the targets and of the types of one target found on disk or stored since
 * open, sorted. Caller frees with history_names_free. */
enum hw_err history_targets(struct history *h, char ***names, size_t *n);
enum hw_err history_types(struct history *h, const char *target, char ***names, size_t *n);
void history_names_free(char **names, size_t n);

/* Counts for /metrics: stored scrapes and their bytes in all. */
void history_stats(struct history *h, size_t *nfiles, int64_t *nbytes);
#endif

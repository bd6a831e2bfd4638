/* decode.h - bytes to a profile. Input is sniffed, never trusted by name: gzip
 * (1f 8b) is inflated first; then Go's legacy text formats (heap, goroutine and other
 * count profiles, contention, threadz, growthz, C++ heapz) and the legacy binary CPU
 * format, folded stacks ("a;b;c 42"), and the pprof protobuf are tried in turn. */
#ifndef HW_DECODE_H
#define HW_DECODE_H

#include <stddef.h>

#include "buf.h"
#include "hw_err.h"
#include "profile.h"

#define DECODE_DEFAULT_LIMIT ((size_t)1 << 30) /* 1 GiB decoded */

/* Decodes data into a new profile whose arena refuses to grow past limit bytes (0:
 * DECODE_DEFAULT_LIMIT); inflated bytes count against the same limit. On success the
 * caller frees the profile with arena_free((*out)->arena). On failure nothing is left
 * allocated and eb says what and where. */
enum hw_err profile_decode(const unsigned char *data, size_t len, size_t limit,
                           struct profile **out, struct errbuf *eb);

/* Like profile_decode, but into an existing arena (whose limit applies), so that a
 * base profile can share the arena of the profile it is subtracted from. */
enum hw_err profile_decode_in(struct arena *a, const unsigned char *data, size_t len,
                              struct profile **out, struct errbuf *eb);

/* The individual decoders, for tests and fuzzers. Each builds into arena a. */
enum hw_err pprof_decode(struct arena *a, const unsigned char *data, size_t len,
                         struct profile **out, struct errbuf *eb);

/* Legacy formats. *recognized tells whether the data was one of them at all: when
 * false the caller should try another format, when true an error is final. */
enum hw_err legacy_parse(struct arena *a, const unsigned char *data, size_t len,
                         struct profile **out, bool *recognized, struct errbuf *eb);

/* Folded stacks: one "frame;frame;leaf COUNT" per line (Brendan Gregg's format), or
 * "... BASE COUNT" (two columns, as difffolded.pl writes them); UTF-8, or UTF-16 with
 * a BOM; LF or CRLF; '#' comment lines. Single-column input gives one sample type
 * ("samples", "count"); two-column input gives two ("base" first, then "samples"). */
enum hw_err folded_parse(struct arena *a, const unsigned char *data, size_t len,
                         struct profile **out, bool *recognized, struct errbuf *eb);

/* Single-column folded stacks read from fd to its end, a few MB at a time (a file
 * never has to fit in memory), and folded on the way: *out is what fold_profile would
 * make of folded_parse's profile at GRAN_FUNCTIONS (the same frame names, equal paths
 * merged, zero paths dropped, the same total), for callers that need nothing else of
 * the profile. When the start of the input is not that (gzip, UTF-16, a legacy or
 * binary format, two count columns, old Mac line ends, or no whole line in its first
 * 64 kB), *recognized is false, nothing is reported, and the caller should read the
 * input the general way. */
struct folded;
enum hw_err folded_fold_fd(struct arena *a, int fd, struct folded **out, bool *recognized,
                           struct errbuf *eb);

/* gzip (possibly several members) to out, refusing to write more than out->max. */
enum hw_err inflate_gzip(const unsigned char *data, size_t len, struct buf *out,
                         struct errbuf *eb);

#endif

/* profile.h - a profile as data: the pprof model (sample types, samples, locations
 * with inlined lines, functions, mappings) shared by every decoder (protobuf, Go's
 * legacy text formats, folded stacks) and every consumer (top, fold, flame, graph).
 * A profile and everything it points to lives in one arena; arena_free() drops it. */
#ifndef HW_PROFILE_H
#define HW_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "hw_err.h"

struct value_type {
    const char *type; /* "inuse_space", "alloc_objects", "cpu", ... never NULL */
    const char *unit; /* "bytes", "count", "nanoseconds", ... never NULL */
};

struct mapping {
    uint64_t id;
    uint64_t start, limit, offset;
    const char *file, *build_id;
    bool has_functions, has_filenames, has_line_numbers, has_inline_frames;
};

struct function {
    uint64_t id;
    const char *name, *system_name, *filename; /* never NULL, may be "" */
    int64_t start_line;
};

struct line {
    struct function *fn; /* never NULL */
    int64_t line;
};

struct location {
    uint64_t id;
    struct mapping *mapping; /* NULL when the location has none */
    uint64_t address;
    struct line *lines; /* innermost (inlined callee) first, caller last */
    size_t nlines;
    bool is_folded;
};

struct label {
    const char *key;
    const char *str;  /* a string label when not NULL, otherwise a numeric one */
    int64_t num;
    const char *unit; /* numeric labels: may be "" (pprof then guesses from the key) */
};

struct sample {
    struct location **locs; /* leaf first, root last, as in pprof; each points into
                             * profile->locations (consumers index by l - locations) */
    size_t nlocs;
    int64_t *values; /* one per sample type */
    struct label *labels;
    size_t nlabels;
};

/* A name/value pair from a legacy heap profile's "# runtime.MemStats" trailer. The
 * text is kept as written; value is its integer reading when it has one. */
struct memstat {
    const char *name, *text;
    int64_t value;
    bool numeric;
};

enum profile_format {
    PROFILE_PROTO,
    PROFILE_LEGACY_HEAP,      /* Go "heap profile: ... @ heap/N" text, and C++ heapz */
    PROFILE_LEGACY_GOROUTINE, /* "goroutine profile: total N" and other Go count profiles */
    PROFILE_LEGACY_OTHER,     /* contention, threadz, growthz, legacy binary CPU */
    PROFILE_FOLDED,
};

struct profile {
    struct arena *arena; /* owns everything below */
    enum profile_format format;
    struct value_type *sample_types;
    size_t ntypes;
    struct sample *samples;
    size_t nsamples;
    struct mapping *mappings;
    size_t nmappings;
    struct location *locations;
    size_t nlocations;
    struct function *functions;
    size_t nfunctions;
    const char *drop_frames, *keep_frames; /* "" when absent */
    int64_t time_nanos, duration_nanos;
    struct value_type period_type;
    int64_t period;
    const char **comments;
    size_t ncomments;
    const char *default_sample_type; /* "" when absent */
    struct memstat *memstats;
    size_t nmemstats;
};

/* An empty profile in a (all strings "", no types), for decoders to fill. */
struct profile *profile_new(struct arena *a);

/* Checks the invariants every consumer relies on: every sample has ntypes values,
 * location/function pointers are set, ids are unique and non-zero. Writes which
 * object is at fault to eb. */
enum hw_err profile_check(const struct profile *p, struct errbuf *eb);

/* pprof's -sample_index rules: "" picks default_sample_type, else the last type; a
 * number is an index; a name matches a type, also with "inuse_" removed (so
 * "inuse_space" selects a legacy "space"). HW_USAGE with the valid names in eb. */
enum hw_err profile_sample_index(const struct profile *p, const char *spec, size_t *out,
                                 struct errbuf *eb);

/* Applies drop_frames/keep_frames as pprof does before any report (its
 * RemoveUninteresting): frames from the leaf up to the last dropped one go. */
enum hw_err profile_remove_uninteresting(struct profile *p, struct errbuf *eb);

#endif

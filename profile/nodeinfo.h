/* nodeinfo.h - what identifies a frame at a granularity, as pprof's graph does: the
 * fields a frame keeps after pprof's aggregation (functions: the name; files: the
 * file; lines: name and file:line; addresses: everything), and the printable name
 * built from them ("main.f", "main.f x.go:12", "[binary]", "<unknown>"). */
#ifndef HW_NODEINFO_H
#define HW_NODEINFO_H

#include <stdint.h>

#include "fold.h"
#include "profile.h"

struct nodeinfo {
    const char *name;    /* "" when none */
    const char *file;    /* cleaned path, "" when none */
    uint64_t address;
    int64_t start_line, lineno;
    const char *objfile; /* "" unless the frame has no function name */
};

/* Fills ni for line ln of location l (ln NULL: the location has no lines). The file
 * path is cleaned into a when needed. NULL-free on success; HW_NOMEM/HW_TOOBIG from a. */
enum hw_err nodeinfo_make(struct arena *a, const struct location *l, const struct line *ln,
                          enum granularity g, struct nodeinfo *ni);

/* pprof's printable name ("%016x" address, name, file:line or file, [objfile] or
 * "<unknown>", joined by spaces), built in a; the name itself when that is all. */
const char *nodeinfo_printable(struct arena *a, const struct nodeinfo *ni);

/* A hash and an equality over all fields. */
uint64_t nodeinfo_hash(const struct nodeinfo *ni);
int nodeinfo_equal(const struct nodeinfo *x, const struct nodeinfo *y);

/* The order pprof falls back to when two nodes tie on everything else: the text of
 * Go's fmt.Sprint of its NodeInfo struct. */
int nodeinfo_compare_sprint(const struct nodeinfo *x, const struct nodeinfo *y);

/* Go's filepath.Clean of s, in a (or s itself when already clean). */
const char *path_clean(struct arena *a, const char *s);

/* 64-bit FNV-1a over a string, continuing from h. */
uint64_t hash_str(uint64_t h, const char *s);

#endif

/* fuzz.h - what every libFuzzer target shares: the input cap, the arena limit, and the
 * invariants a successfully decoded profile must keep. Each target is one .c linked
 * with the library sources, so these are static functions in a header. An invariant
 * that does not hold prints why and aborts, which libFuzzer reports as a crash. */
#ifndef HW_FUZZ_H
#define HW_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "decode.h"
#include "fold.h"

/* Inputs past this are skipped: decoders are linear, and bigger inputs only slow the
 * fuzzer down without reaching new code. */
#define FUZZ_MAX_INPUT ((size_t)1 << 20)
/* Small enough that a hostile size field hits HW_TOOBIG long before libFuzzer's
 * -rss_limit_mb, large enough that every seed decodes. */
#define FUZZ_ARENA_LIMIT ((size_t)64 << 20)

/* Not every target uses every helper. */
#define FUZZ_HELPER static __attribute__((unused))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

FUZZ_HELPER void
fuzz_fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz invariant broken: %s: %s\n", what, detail);
    abort();
}

/* An error from a decoder must be one the input can cause; malformed input must say
 * why (a limit needs no words from the decoder: profile_decode adds them). */
FUZZ_HELPER void
fuzz_check_error(enum hw_err err, const struct errbuf *eb)
{
    if (err != HW_BADDATA && err != HW_TOOBIG && err != HW_NOMEM)
        fuzz_fail("decoder error code", hw_strerror(err));
    if (err == HW_BADDATA && eb->msg[0] == '\0')
        fuzz_fail("decoder error", "HW_BADDATA without a message");
}

/* Folds column 0 at granularity g and compares the folded total with the samples'
 * own sum. The sum is taken in 128 bits, so it is exact; the comparison is skipped
 * when it does not fit int64, as fold's total is then undefined. */
FUZZ_HELPER void
fuzz_check_fold(const struct profile *p, enum granularity g, __int128 sum)
{
    struct errbuf eb = {{0}};
    struct folded *f = NULL;
    struct buf out;
    enum hw_err err;
    char detail[128];

    err = fold_profile(p->arena, p, 0, g, &f, &eb);
    if (err == HW_TOOBIG || err == HW_NOMEM)
        return; /* the arena limit is allowed to stop folding too */
    if (err != HW_OK)
        fuzz_fail("fold_profile", errbuf_msg(&eb, err));
    if (sum >= INT64_MIN && sum <= INT64_MAX && f->total != (int64_t)sum) {
        snprintf(detail, sizeof(detail), "granularity %d: folded total %lld, samples sum %lld",
                 (int)g, (long long)f->total, (long long)sum);
        fuzz_fail("folded total", detail);
    }
    fold_sort(f);
    buf_init(&out, (size_t)16 << 20);
    err = fold_write(f, &out);
    if (err != HW_OK && err != HW_TOOBIG)
        fuzz_fail("fold_write", hw_strerror(err));
    buf_reset(&out);
}

/* The invariants of a profile a decoder accepted. Folding is the costly part, so
 * besides functions only one other granularity is folded per input, picked by pick
 * (taken from the input, so that the fuzzer can steer it). */
FUZZ_HELPER void
fuzz_check_profile(const struct profile *p, unsigned pick)
{
    static const enum granularity other[] = {GRAN_FILEFUNCTIONS, GRAN_FILES, GRAN_LINES,
                                             GRAN_ADDRESSES};
    struct errbuf eb = {{0}};
    enum hw_err err;
    __int128 sum = 0;
    size_t i;

    if (p == NULL)
        fuzz_fail("decoder", "HW_OK without a profile");
    if ((err = profile_check(p, &eb)) != HW_OK)
        fuzz_fail("profile_check", errbuf_msg(&eb, err));
    if (p->ntypes == 0)
        return;
    for (i = 0; i < p->nsamples; i++)
        sum += p->samples[i].values[0];
    fuzz_check_fold(p, GRAN_FUNCTIONS, sum);
    fuzz_check_fold(p, other[pick % (sizeof(other) / sizeof(other[0]))], sum);
}

/* The granularity selector for fuzz_check_profile. */
FUZZ_HELPER unsigned
fuzz_pick(const uint8_t *data, size_t size)
{
    return size > 0 ? data[size - 1] : 0;
}

/* Runs a decoder that builds into an arena: a fresh arena per input, checked on
 * success, and released whatever happened. */
FUZZ_HELPER void
fuzz_run(enum hw_err (*decode)(struct arena *, const unsigned char *, size_t, struct profile **,
                               bool *, struct errbuf *),
         const uint8_t *data, size_t size)
{
    struct arena *a;
    struct profile *p = NULL;
    struct errbuf eb = {{0}};
    bool recognized = false;
    enum hw_err err;

    if (size > FUZZ_MAX_INPUT || (a = arena_new(FUZZ_ARENA_LIMIT)) == NULL)
        return;
    err = decode(a, data, size, &p, &recognized, &eb);
    if (err == HW_OK && !recognized)
        fuzz_fail("decoder", "HW_OK for input it did not recognise");
    if (err == HW_OK)
        fuzz_check_profile(p, fuzz_pick(data, size));
    else if (recognized)
        fuzz_check_error(err, &eb);
    arena_free(a);
}

#endif

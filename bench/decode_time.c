/* decode_time.c - how long decoding alone takes: reads a profile file once, then
 * decodes it (gzip, protobuf, model, checks: everything `heapwatch top` does before
 * building its report) RUNS times in this process and prints the best wall time in
 * seconds and the decoded profile's sample count. bench_top.sh compares it with
 * `gzip -dc` on the same file. Links build/libhw.a.
 *
 * Usage: decode_time FILE [RUNS] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "decode.h"

static double
now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    struct buf in;
    struct errbuf eb = {{0}};
    struct profile *p;
    double best = -1, t0, t;
    size_t nsamples = 0;
    int i, runs = argc > 2 ? atoi(argv[2]) : 5;
    FILE *f;

    if (argc < 2 || runs < 1 || (f = fopen(argv[1], "rb")) == NULL) {
        fprintf(stderr, "usage: decode_time FILE [RUNS]\n");
        return 2;
    }
    buf_init(&in, 0);
    if (buf_read_file(&in, f) != HW_OK) {
        fprintf(stderr, "decode_time: cannot read %s\n", argv[1]);
        return 1;
    }
    fclose(f);
    for (i = 0; i < runs; i++) {
        t0 = now();
        if (profile_decode(in.data, in.len, 0, &p, &eb) != HW_OK) {
            fprintf(stderr, "decode_time: %s\n", eb.msg);
            return 1;
        }
        t = now() - t0;
        nsamples = p->nsamples;
        arena_free(p->arena);
        if (best < 0 || t < best)
            best = t;
    }
    printf("%.6f %zu\n", best, nsamples);
    buf_reset(&in);
    return 0;
}

/* gen_folded.c - writes N lines of Go-like folded stacks for bench_flame.sh.
 *
 * usage: gen_folded LINES [SEED] > out.folded
 *
 * The output is a pure function of LINES and SEED (xorshift64*), so runs compare.
 * A pool of 6000 Go-like functions ("github.com/org/repo/pkg.(*Type).Method",
 * standard-library and runtime names, closures) is wired into a random call graph in
 * which each function calls a few others, more often shallow ones; a stack is a walk
 * from one of a few roots (runtime.main, net/http's conn.serve, goroutine entry
 * points) that ends in a runtime allocator (1 call in 40) or stops (1 frame in 50), so
 * depths are spread up to the cap of 60 (mean about 20). Counts are Pareto distributed (alpha 1.1,
 * like heap bytes: many small, a few huge). Lines are sorted, as stackcollapse-*.pl and `heapwatch
 * fold` write them, and not deduplicated. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NFUNCS 6000
#define MAXDEPTH 60
#define NCALLEES 6

static uint64_t rng_state;

static uint64_t
rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned
rnd_below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

/* Uniform in (0, 1]. */
static double
rnd_unit(void)
{
    return ((double)(rnd() >> 11) + 1.0) / 9007199254740992.0;
}

static const char *const orgs[] = {"acme", "cloudcorp", "kube-tools", "datastream", "payments"};
static const char *const repos[] = {"api", "shop", "ingest", "platform", "billing", "search"};
static const char *const pkgs[] = {"internal/cache", "internal/store", "internal/handlers",
                                   "pkg/codec",      "pkg/rpc/server", "pkg/metrics",
                                   "internal/queue", "pkg/auth",       "internal/index/btree",
                                   "pkg/util"};
static const char *const std[] = {"net/http",
                                  "encoding/json",
                                  "bufio",
                                  "bytes",
                                  "strings",
                                  "sync",
                                  "io",
                                  "compress/gzip",
                                  "crypto/tls",
                                  "reflect",
                                  "google.golang.org/grpc",
                                  "google.golang.org/protobuf/proto",
                                  "github.com/prometheus/client_golang/prometheus"};
static const char *const types[] = {"Server", "Client",  "Cache", "Store",   "Decoder", "Encoder",
                                    "Pool",   "Handler", "Queue", "Index",   "Conn",    "Reader",
                                    "Writer", "Buffer",  "Tree",  "Registry"};
static const char *const verbs[] = {"Get",     "Put",    "Load",     "Store",   "Serve",
                                    "Handle",  "Decode", "Encode",   "Read",    "Write",
                                    "Flush",   "grow",   "alloc",    "insert",  "lookup",
                                    "process", "run",    "dispatch", "marshal", "copy"};
static const char *const runtime[] = {"runtime.mallocgc",          "runtime.newobject",
                                      "runtime.makeslice",         "runtime.growslice",
                                      "runtime.makemap",           "runtime.mapassign",
                                      "runtime.concatstrings",     "runtime.rawstringtmp",
                                      "runtime.slicebytetostring", "runtime.convTstring"};
#define N(a) (sizeof(a) / sizeof((a)[0]))

static char *names[NFUNCS];
static unsigned callees[NFUNCS][NCALLEES];

static void
make_names(void)
{
    char buf[256];
    unsigned i;

    for (i = 0; i < NFUNCS; i++) {
        unsigned kind = rnd_below(10);

        if (i < N(runtime)) {
            snprintf(buf, sizeof(buf), "%s", runtime[i]);
        } else if (kind < 5) {
            snprintf(buf, sizeof(buf), "github.com/%s/%s/%s.(*%s).%s%u", orgs[rnd_below(N(orgs))],
                     repos[rnd_below(N(repos))], pkgs[rnd_below(N(pkgs))],
                     types[rnd_below(N(types))], verbs[rnd_below(N(verbs))], i);
        } else if (kind < 8) {
            snprintf(buf, sizeof(buf), "%s.(*%s).%s%u", std[rnd_below(N(std))],
                     types[rnd_below(N(types))], verbs[rnd_below(N(verbs))], i);
        } else {
            snprintf(buf, sizeof(buf), "github.com/%s/%s/%s.%s%u.func%u", orgs[rnd_below(N(orgs))],
                     repos[rnd_below(N(repos))], pkgs[rnd_below(N(pkgs))],
                     verbs[rnd_below(N(verbs))], i, 1 + rnd_below(3));
        }
        if ((names[i] = strdup(buf)) == NULL) {
            perror("gen_folded");
            exit(1);
        }
    }
    /* Callees: mostly functions further down the pool (deeper layers), sometimes a
     * runtime allocator, which is where heap stacks end. */
    for (i = 0; i < NFUNCS; i++) {
        unsigned k;

        for (k = 0; k < NCALLEES; k++) {
            unsigned span = NFUNCS - i > 400 ? 400 : NFUNCS - i;
            callees[i][k] =
                rnd_below(40) == 0 ? rnd_below(N(runtime)) : (i + 1 + rnd_below(span)) % NFUNCS;
        }
    }
}

static int
line_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

int
main(int argc, char **argv)
{
    static const char *const roots[] = {
        "runtime.main;main.main", "net/http.(*conn).serve",
        "runtime.goexit;google.golang.org/grpc.(*Server).serveStreams.func1",
        "runtime.goexit;github.com/acme/shop/internal/queue.(*Queue).worker"};
    long lines, l;
    char line[1 << 13], **all;

    if (argc < 2 || (lines = strtol(argv[1], NULL, 10)) <= 0 ||
        (all = malloc((size_t)lines * sizeof(*all))) == NULL) {
        fprintf(stderr, "usage: gen_folded LINES [SEED]\n");
        return 2;
    }
    rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) * 2654435761u + 1 : 88172645463325252ull;
    make_names();
    for (l = 0; l < lines; l++) {
        size_t n = 0;
        unsigned f = N(runtime) + rnd_below(NFUNCS / 4), d;
        /* Pareto with alpha 1.1, from 16 up: many small values, a few huge ones. */
        double count = 16.0 * pow(1.0 / rnd_unit(), 1 / 1.1);

        n += (size_t)snprintf(line, sizeof(line), "%s", roots[rnd_below(N(roots))]);
        for (d = 0; d < MAXDEPTH - 2; d++) {
            n += (size_t)snprintf(line + n, sizeof(line) - n, ";%s", names[f]);
            if (f < N(runtime) || rnd_below(50) == 0)
                break;
            f = callees[f][rnd_below(NCALLEES)];
        }
        snprintf(line + n, sizeof(line) - n, " %llu",
                 (unsigned long long)(count < 1e15 ? count : 1e15));
        if ((all[l] = strdup(line)) == NULL) {
            perror("gen_folded");
            return 1;
        }
    }
    qsort(all, (size_t)lines, sizeof(*all), line_cmp);
    for (l = 0; l < lines; l++)
        if (fputs(all[l], stdout) == EOF || fputc('\n', stdout) == EOF) {
            perror("gen_folded");
            return 1;
        }
    return fflush(stdout) == 0 ? 0 : 1;
}

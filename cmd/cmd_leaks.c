/* cmd_leaks.c - `heapwatch leaks`: feeds the SOURCEs, in the order given, to a leak
 * tracker and prints its verdict and ranked suspects. Each profile is loaded, added
 * and freed before the next, so any number of scrapes fits in the memory of one.
 * A profile's time is its time_nanos; without one, the file's modification time;
 * without that (standard input, a URL serving a legacy profile), the previous
 * profile's time plus -interval. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cmd.h"
#include "leakjson.h"
#include "leaks.h"

static const char leaks_help[] =
    "usage: heapwatch leaks [flags] SOURCE...\n\n"
    "Reads heap (or goroutine) profiles of one program in time order and says whether it\n"
    "leaks: verdict leak, growing, stable or not enough data, with the evidence and the\n"
    "allocation sites whose inuse memory (or goroutine count) keeps growing, most first.\n"
    "A profile's time is its own timestamp, else the file's modification time, else the\n"
    "previous profile's time plus -interval. Exit status 0 whatever the verdict.\n\n"
    "  -format=text|json      output (default text)\n"
    "  -interval=SECONDS      spacing of profiles without a time (default 15)\n"
    "  -min_scrapes=N         fewer scrapes: not enough data (default 5)\n"
    "  -min_window=SECONDS    shorter window: not enough data (default 5)\n"
    "  -p_value=P             Mann-Kendall p below which a series rises (default 0.01)\n"
    "  -min_tau=T             Kendall tau a rising series needs (default 0.5)\n"
    "  -min_rate=BYTES        growth floor per minute (default 65536; goroutines: 1)\n"
    "  -min_rate_frac=F       growth floor as a share of the total per minute (0.005)\n"
    "  -leak_share=F          share of growth the top suspect needs for leak (0.2)\n"
    "  -suspect_share=F       share of growth any suspect needs (0.05)\n"
    "  -max_suspects=N        suspects listed (default 10)\n"
    "  -focus=RE -ignore=RE -hide=RE -show=RE -show_from=RE -prune_from=RE\n"
    "  -tagfocus=... -tagignore=...   pprof's filters, applied to every profile\n"
    "  -max_bytes=N           cap on fetched and decoded bytes per profile (default 1 GiB)\n"
    "  -timeout=SECONDS       HTTP timeout (default 60)\n";

struct leaks_args {
    struct cli_common c;
    struct leak_opts o;
    bool json;
    double interval_s;
    const char **sources;
    int nsources;
};

/* Parses v as a number in [lo, hi]; prints why not. */
static int
number(const char *flag, const char *v, double lo, double hi, double *out)
{
    char *end;
    double d;

    errno = 0;
    d = strtod(v, &end);
    if (errno != 0 || end == v || *end != '\0' || !(d >= lo && d <= hi)) {
        fprintf(stderr, "heapwatch leaks: bad -%s=%s (want %g to %g)\n", flag, v, lo, hi);
        return -1;
    }
    *out = d;
    return 1;
}

/* The tracker's thresholds: 1 consumed, 0 not one of them, -1 bad value. */
static int
threshold_flag(struct leaks_args *a, int argc, char **argv, int *i)
{
    static const struct {
        const char *name;
        double lo, hi;
    } f[] = {
        {"min_scrapes", 2, 1e6},  {"min_window", 0, 1e9},    {"p_value", 0, 1},
        {"min_tau", -1, 1},       {"min_rate", 0, 1e18},     {"min_rate_frac", 0, 1e6},
        {"leak_share", 0, 1e6},   {"suspect_share", 0, 1e6}, {"max_suspects", 0, 1000},
        {"interval", 0.001, 1e9},
    };
    double *dst[] = {NULL,
                     NULL,
                     &a->o.p_value,
                     &a->o.min_tau,
                     NULL,
                     &a->o.min_rate_frac,
                     &a->o.leak_share,
                     &a->o.suspect_share,
                     NULL,
                     &a->interval_s};
    const char *v;
    double d;
    size_t k;
    int r;

    for (k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
        if ((r = cli_value_flag(argc, argv, i, f[k].name, &v)) == 0)
            continue;
        if (r < 0 || number(f[k].name, v, f[k].lo, f[k].hi, &d) < 0)
            return -1;
        if (dst[k] != NULL)
            *dst[k] = d;
        else if (k == 0)
            a->o.min_scrapes = (size_t)d;
        else if (k == 1)
            a->o.min_window_ms = (int64_t)(d * 1000);
        else if (k == 4)
            a->o.min_rate_bytes = a->o.min_rate_goroutines = d;
        else
            a->o.max_suspects = (size_t)d;
        return 1;
    }
    return 0;
}

static int
one_arg(struct leaks_args *a, int argc, char **argv, int *i)
{
    const char *v;
    int r;

    if ((r = cli_value_flag(argc, argv, i, "format", &v)) != 0) {
        if (r < 0 || (strcmp(v, "json") != 0 && strcmp(v, "text") != 0)) {
            fprintf(stderr, "heapwatch leaks: -format is text or json\n");
            return -1;
        }
        a->json = strcmp(v, "json") == 0;
        return 1;
    }
    if ((r = threshold_flag(a, argc, argv, i)) != 0 ||
        (r = cli_common_flag(&a->c, argc, argv, i)) != 0)
        return r;
    if (argv[*i][0] == '-' && argv[*i][1] != '\0') {
        fprintf(stderr, "heapwatch leaks: unknown flag %s\n", argv[*i]);
        return -1;
    }
    a->sources[a->nsources++] = argv[(*i)++];
    return 1;
}

static int
parse_args(int argc, char **argv, struct leaks_args *a)
{
    int i = 1;

    while (i < argc) {
        if (cli_is_help(argv[i])) {
            fputs(leaks_help, stdout);
            return -1;
        }
        if (one_arg(a, argc, argv, &i) < 0)
            return EXIT_USAGE;
    }
    if (a->c.base || a->c.diff_base || a->c.sample_index) {
        fprintf(stderr, "heapwatch leaks: -base, -diff_base and -sample_index do not apply\n");
        return EXIT_USAGE;
    }
    if (a->nsources == 0) {
        fputs(leaks_help, stderr);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* The profile's time in Unix milliseconds, see the top of the file. */
static int64_t
profile_time(const struct profile *p, const char *source, int64_t prev, double interval_s)
{
    struct stat st;

    if (p->time_nanos > 0)
        return p->time_nanos / 1000000;
    if (strcmp(source, "-") != 0 && strstr(source, "://") == NULL && stat(source, &st) == 0)
        return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    return prev + (int64_t)(interval_s * 1000);
}

static int
feed(struct leaks_args *a, struct leak_tracker *t)
{
    struct errbuf eb = {{0}};
    int64_t when = 0;
    enum hw_err err;
    struct profile *p;
    size_t col;
    int i, rc;

    for (i = 0; i < a->nsources; i++) {
        if ((rc = cli_load(&a->c, a->sources[i], &p, &col)) != EXIT_OK)
            return rc;
        when = profile_time(p, a->sources[i], when, a->interval_s);
        err = leak_tracker_add(t, when, p, &eb);
        arena_free(p->arena);
        if (err != HW_OK) {
            fprintf(stderr, "heapwatch: %s: %s\n", a->sources[i], errbuf_msg(&eb, err));
            return EXIT_BADINPUT;
        }
    }
    return EXIT_OK;
}

int
cmd_leaks(int argc, char **argv)
{
    struct leaks_args a = {.interval_s = 15};
    struct leak_tracker *t = NULL;
    struct leak_report *r = NULL;
    struct buf out;
    enum hw_err err;
    int rc;

    cli_common_init(&a.c);
    leak_opts_init(&a.o);
    if ((a.sources = calloc((size_t)argc + 1, sizeof(*a.sources))) == NULL)
        return fprintf(stderr, "heapwatch: out of memory\n"), EXIT_BADINPUT;
    buf_init(&out, 0);
    if ((rc = parse_args(argc, argv, &a)) != EXIT_OK) {
        rc = rc < 0 ? EXIT_OK : rc; /* -1: help was asked for */
        goto out;
    }
    rc = EXIT_BADINPUT;
    if ((t = leak_tracker_new(&a.o)) == NULL) {
        fprintf(stderr, "heapwatch: out of memory\n");
        goto out;
    }
    if ((rc = feed(&a, t)) != EXIT_OK)
        goto out;
    rc = EXIT_BADINPUT;
    if ((err = leak_tracker_report(t, &r)) != HW_OK ||
        (err = (a.json ? leakjson_render : leakjson_text)(r, &out)) != HW_OK) {
        fprintf(stderr, "heapwatch leaks: %s\n", hw_strerror(err));
        goto out;
    }
    rc = cli_write_stdout(out.data, out.len);
out:
    leak_report_free(r);
    leak_tracker_free(t);
    buf_reset(&out);
    free(a.sources);
    return rc;
}

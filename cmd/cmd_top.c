/* cmd_top.c - `heapwatch top`: pprof's -top report. The lines from "Showing nodes
 * accounting for" on are byte for byte what `go tool pprof -top` prints; the header
 * lines above them are ours. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "graph.h"
#include "report.h"

static const char top_help[] =
    "usage: heapwatch top [flags] SOURCE\n\n"
    "Prints the functions holding the most of the chosen sample type, as go tool pprof -top.\n\n"
    "  -sample_index=NAME|N   sample type (default: the profile's default, else the last)\n"
    "  -inuse_space -inuse_objects -alloc_space -alloc_objects   shortcuts for -sample_index\n"
    "  -cum                   sort by cumulative value\n"
    "  -nodecount=N           show at most N nodes\n"
    "  -nodefraction=F        hide nodes below F of the total (default 0.005)\n"
    "  -base=SOURCE           subtract a base profile\n"
    "  -diff_base=SOURCE      subtract a base profile; percentages of the base total\n"
    "  -functions -filefunctions -files -lines -addresses   granularity\n"
    "  -focus=RE -ignore=RE   keep only / drop samples with a frame matching RE\n"
    "  -hide=RE -show=RE      drop / keep only the frames matching RE\n"
    "  -show_from=RE          drop the frames above the highest one matching RE\n"
    "  -prune_from=RE         drop the frames below the first one matching RE\n"
    "  -tagfocus=[KEY=]RANGE|RE -tagignore=...   keep / drop samples by label (1kb:64kb)\n"
    "  -max_bytes=N           cap on fetched and decoded bytes (default 1 GiB)\n"
    "  -timeout=SECONDS       HTTP timeout (default 60)\n";

static int
parse_args(int argc, char **argv, struct cli_common *c, struct graph_opts *o,
           const char **source)
{
    const char *v;
    bool on;
    int i = 1, r;

    while (i < argc) {
        if (cli_is_help(argv[i])) {
            fputs(top_help, stdout);
            exit(EXIT_OK);
        }
        if ((r = cli_common_flag(c, argc, argv, &i)) != 0) {
            if (r < 0)
                return EXIT_USAGE;
        } else if (cli_bool_flag(argv, i, "cum", &on)) {
            o->cum_sort = on;
            i++;
        } else if (cli_bool_flag(argv, i, "flat", &on)) {
            o->cum_sort = !on;
            i++;
        } else if ((r = cli_value_flag(argc, argv, &i, "nodecount", &v)) != 0) {
            if (r < 0 || (o->node_count = atoi(v)) < 0 || strspn(v, "0123456789") != strlen(v))
                return fprintf(stderr, "heapwatch: bad -nodecount\n"), EXIT_USAGE;
        } else if ((r = cli_value_flag(argc, argv, &i, "nodefraction", &v)) != 0) {
            char *end;
            if (r < 0 || (o->node_fraction = strtod(v, &end), *end != '\0'))
                return fprintf(stderr, "heapwatch: bad -nodefraction\n"), EXIT_USAGE;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "heapwatch top: unknown flag %s\n", argv[i]);
            return EXIT_USAGE;
        } else if (*source == NULL) {
            *source = argv[i++];
        } else {
            fprintf(stderr, "heapwatch top: one SOURCE only\n");
            return EXIT_USAGE;
        }
    }
    if (*source == NULL) {
        fputs(top_help, stderr);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

int
cmd_top(int argc, char **argv)
{
    struct cli_common c;
    struct graph_opts o;
    const char *source = NULL;
    struct profile *p;
    struct errbuf eb = {{0}};
    struct buf out;
    enum hw_err err;
    int rc;

    cli_common_init(&c);
    graph_opts_init(&o);
    if ((rc = parse_args(argc, argv, &c, &o, &source)) != EXIT_OK)
        return rc;
    o.gran = c.gran;
    if ((rc = cli_load_report(&c, source, &p, &o.col, &o.total)) != EXIT_OK)
        return rc;
    o.has_total = true;
    buf_init(&out, 0);
    if ((err = report_top(p, &c.filters, &o, &out, &eb)) != HW_OK) {
        fprintf(stderr, "heapwatch: %s: %s\n", source, errbuf_msg(&eb, err));
        rc = EXIT_BADINPUT;
        goto out;
    }
    rc = cli_write_stdout(out.data, out.len);
out:
    buf_reset(&out);
    arena_free(p->arena);
    return rc;
}

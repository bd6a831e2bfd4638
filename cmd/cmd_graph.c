/* cmd_graph.c - `heapwatch graph`: pprof's weighted call graph (the one `go tool
 * pprof -svg` draws), built with pprof's visual-mode trimming, laid out in-process
 * by graphviz and written as SVG, PNG or DOT. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callgraph.h"
#include "cli.h"
#include "cmd.h"
#include "graph.h"
#include "report.h"

static const char graph_help[] =
    "usage: heapwatch graph [flags] SOURCE\n\n"
    "Draws the weighted call graph of the chosen sample type, as go tool pprof -svg.\n\n"
    "  -o FILE                write FILE; .svg, .png or .dot picks the format (default:\n"
    "                         SVG on standard output)\n"
    "  -format=svg|png|dot    the format regardless of the file name\n"
    "  -sample_index=NAME|N   sample type; also -inuse_space -inuse_objects -alloc_space\n"
    "                         -alloc_objects\n"
    "  -nodecount=N           show at most N nodes (default 80)\n"
    "  -nodefraction=F        drop nodes below F of the total (default 0.005)\n"
    "  -edgefraction=F        drop edges below F of the total (default 0.001)\n"
    "  -base=SOURCE -diff_base=SOURCE   subtract a base profile\n"
    "  -functions -filefunctions -files -lines -addresses   granularity\n"
    "  -focus=RE -ignore=RE -hide=RE -show=RE -show_from=RE -prune_from=RE\n"
    "  -tagfocus=[KEY=]RANGE|RE -tagignore=...   pprof's filters\n"
    "  -max_bytes=N  -timeout=SECONDS\n";

struct graph_args {
    const char *source, *output;
    int format;
};

static int
parse_fraction(const char *v, double *out, const char *name)
{
    char *end;

    errno = 0;
    *out = strtod(v, &end);
    if (errno != 0 || end == v || *end != '\0' || *out < 0) {
        fprintf(stderr, "heapwatch graph: bad -%s %s\n", name, v);
        return -1;
    }
    return 0;
}

static int
parse_format(const char *v)
{
    if (strcmp(v, "svg") == 0)
        return CALLGRAPH_SVG;
    if (strcmp(v, "png") == 0)
        return CALLGRAPH_PNG;
    if (strcmp(v, "dot") == 0)
        return CALLGRAPH_DOT;
    fprintf(stderr, "heapwatch graph: unknown -format %s (svg, png or dot)\n", v);
    return -1;
}

static int
parse_args(int argc, char **argv, struct cli_common *c, struct graph_opts *o,
           struct graph_args *ga)
{
    const char *v;
    int i = 1, r;

    while (i < argc) {
        if (cli_is_help(argv[i])) {
            fputs(graph_help, stdout);
            exit(EXIT_OK);
        }
        if ((r = cli_common_flag(c, argc, argv, &i)) != 0) {
            if (r < 0)
                return EXIT_USAGE;
        } else if ((r = cli_value_flag(argc, argv, &i, "o", &ga->output)) != 0 ||
                   (r = cli_value_flag(argc, argv, &i, "output", &ga->output)) != 0) {
            if (r < 0)
                return EXIT_USAGE;
        } else if ((r = cli_value_flag(argc, argv, &i, "format", &v)) != 0) {
            if (r < 0 || (ga->format = parse_format(v)) < 0)
                return EXIT_USAGE;
        } else if ((r = cli_value_flag(argc, argv, &i, "nodecount", &v)) != 0) {
            if (r < 0 || (o->node_count = atoi(v)) < 0 || strspn(v, "0123456789") != strlen(v))
                return fprintf(stderr, "heapwatch graph: bad -nodecount\n"), EXIT_USAGE;
        } else if ((r = cli_value_flag(argc, argv, &i, "nodefraction", &v)) != 0) {
            if (r < 0 || parse_fraction(v, &o->node_fraction, "nodefraction") < 0)
                return EXIT_USAGE;
        } else if ((r = cli_value_flag(argc, argv, &i, "edgefraction", &v)) != 0) {
            if (r < 0 || parse_fraction(v, &o->edge_fraction, "edgefraction") < 0)
                return EXIT_USAGE;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "heapwatch graph: unknown flag %s\n", argv[i]);
            return EXIT_USAGE;
        } else if (ga->source == NULL) {
            ga->source = argv[i++];
        } else {
            fprintf(stderr, "heapwatch graph: one SOURCE only\n");
            return EXIT_USAGE;
        }
    }
    if (ga->source == NULL) {
        fputs(graph_help, stderr);
        return EXIT_USAGE;
    }
    if (ga->format < 0)
        ga->format = ga->output != NULL && callgraph_format_of(ga->output) >= 0
                         ? callgraph_format_of(ga->output)
                         : CALLGRAPH_SVG;
    return EXIT_OK;
}

static int
write_output(const char *path, const struct buf *b)
{
    FILE *f;

    if (path == NULL || strcmp(path, "-") == 0)
        return cli_write_stdout(b->data, b->len);
    if ((f = fopen(path, "wb")) == NULL) {
        fprintf(stderr, "heapwatch: %s: %s\n", path, strerror(errno));
        return EXIT_BADINPUT;
    }
    if (fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0) {
        fprintf(stderr, "heapwatch: writing %s: %s\n", path, strerror(errno));
        return EXIT_BADINPUT;
    }
    return EXIT_OK;
}

int
cmd_graph(int argc, char **argv)
{
    struct graph_args ga = {NULL, NULL, -1};
    struct cli_common c;
    struct graph_opts o;
    struct profile *p;
    struct errbuf eb = {{0}};
    struct buf out;
    enum hw_err err;
    int rc;

    cli_common_init(&c);
    graph_opts_init(&o);
    o.node_count = 80;
    o.visual = true;
    if ((rc = parse_args(argc, argv, &c, &o, &ga)) != EXIT_OK)
        return rc;
    o.gran = c.gran;
    if ((rc = cli_load_report(&c, ga.source, &p, &o.col, &o.total)) != EXIT_OK)
        return rc;
    o.has_total = true;
    buf_init(&out, 0);
    if ((err = report_graph(p, &c.filters, &o, (enum callgraph_format)ga.format, &out, &eb)) !=
        HW_OK) {
        fprintf(stderr, "heapwatch: %s: %s\n", ga.source, errbuf_msg(&eb, err));
        rc = EXIT_BADINPUT;
        goto out;
    }
    rc = write_output(ga.output, &out);
out:
    buf_reset(&out);
    arena_free(p->arena);
    return rc;
}

/* cmd_fold.c - `heapwatch fold`: folded stacks, one sorted line per distinct call
 * path, "frame;frame;leaf VALUE"; the values add up to the profile's total. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "cmd.h"
#include "report.h"

static const char fold_help[] =
    "usage: heapwatch fold [flags] SOURCE\n\n"
    "Prints folded stacks (root first) with the value of the chosen sample type.\n\n"
    "  -sample_index=NAME|N   sample type; also -inuse_space -inuse_objects -alloc_space\n"
    "                         -alloc_objects\n"
    "  -base=SOURCE           subtract a base profile (values may be negative)\n"
    "  -diff_base=SOURCE      same, as pprof's -diff_base\n"
    "  -functions -filefunctions -files -lines -addresses   granularity\n"
    "  -max_bytes=N  -timeout=SECONDS\n";

int
cmd_fold(int argc, char **argv)
{
    struct cli_common c;
    const char *source = NULL;
    struct profile *p;
    struct errbuf eb = {{0}};
    struct buf out;
    enum hw_err err;
    size_t col;
    int i = 1, r, rc;

    cli_common_init(&c);
    while (i < argc) {
        if (cli_is_help(argv[i])) {
            fputs(fold_help, stdout);
            return EXIT_OK;
        }
        if ((r = cli_common_flag(&c, argc, argv, &i)) < 0)
            return EXIT_USAGE;
        if (r > 0)
            continue;
        if ((argv[i][0] == '-' && argv[i][1] != '\0') || source != NULL) {
            fprintf(stderr, "heapwatch fold: unexpected argument %s\n", argv[i]);
            return EXIT_USAGE;
        }
        source = argv[i++];
    }
    if (source == NULL) {
        fputs(fold_help, stderr);
        return EXIT_USAGE;
    }
    if ((rc = cli_load(&c, source, &p, &col)) != EXIT_OK)
        return rc;
    buf_init(&out, 0);
    err = report_folded(p, col, c.gran, &out, &eb);
    rc = err == HW_OK ? cli_write_stdout(out.data, out.len) : EXIT_BADINPUT;
    if (err != HW_OK)
        fprintf(stderr, "heapwatch: %s: %s\n", source, errbuf_msg(&eb, err));
    buf_reset(&out);
    arena_free(p->arena);
    return rc;
}

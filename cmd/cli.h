/* cli.h - what the subcommands share: pprof-style flags (one or two dashes, "-f=v" or
 * "-f v"), loading a SOURCE with its -base/-diff_base, and the exit codes. */
#ifndef HW_CLI_H
#define HW_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filter.h"
#include "fold.h"
#include "profile.h"

#define EXIT_OK 0
#define EXIT_BADINPUT 1
#define EXIT_USAGE 2

struct cli_common {
    const char *sample_index; /* NULL: pprof's default */
    const char *base;         /* -base SOURCE */
    const char *diff_base;    /* -diff_base SOURCE */
    enum granularity gran;
    size_t max_bytes;         /* -max_bytes: cap on fetched/inflated/decoded bytes */
    long timeout_ms;          /* -timeout (seconds on the command line) */
    struct filter_opts filters; /* -focus -ignore -hide -show -show_from -prune_from
                                 * -tagfocus -tagignore */
};

void cli_common_init(struct cli_common *c);

/* If argv[*i] is flag `name` (with one or two dashes), stores its value and advances
 * *i past it (the value may be "=v" or the next argument) and returns 1; returns 0
 * when it is another flag, -1 when the value is missing (message printed). */
int cli_value_flag(int argc, char **argv, int *i, const char *name, const char **val);

/* If argv[*i] is the boolean flag `name`, sets *on and returns 1 ("-f", "-f=true",
 * "-f=false"); 0 otherwise. */
int cli_bool_flag(char **argv, int i, const char *name, bool *on);

/* Consumes one of the common flags (-sample_index and its aliases -inuse_space,
 * -inuse_objects, -alloc_space, -alloc_objects, -base, -diff_base, -functions,
 * -filefunctions, -files, -lines, -addresses, -max_bytes, -timeout, and the filters
 * -focus -ignore -hide -show -show_from -prune_from -tagfocus -tagignore): 1 when consumed,
 * 0 when not a common flag, -1 on a bad value (message printed). */
int cli_common_flag(struct cli_common *c, int argc, char **argv, int *i);

/* True when argv[i] is -h, -help or --help. */
bool cli_is_help(const char *arg);

/* Loads source (file, URL or "-") and the base if any, subtracts it, drops
 * uninteresting frames, selects the sample column and applies the filters (warning
 * on stderr, as pprof does, about a filter that matched nothing). Returns EXIT_OK, or
 * prints "heapwatch: SOURCE: reason" to stderr and returns EXIT_BADINPUT (EXIT_USAGE
 * for a bad -sample_index or filter). The caller frees with arena_free((*out)->arena). */
int cli_load(const struct cli_common *c, const char *source, struct profile **out, size_t *col);

/* As cli_load, and stores pprof's report total of column *col taken before the
 * filters (pprof's percentages are of the whole profile, see profile_total). */
int cli_load_report(const struct cli_common *c, const char *source, struct profile **out,
                    size_t *col, int64_t *total);

/* The fast way for a plain file SOURCE that no flag changes (no base, filter,
 * -sample_index or granularity): single-column folded stacks are read a few MB at a
 * time and folded on the way (folded_fold_fd), so a gigabyte of them is never in
 * memory. EXIT_OK with *out in *a (the caller frees *a), EXIT_BADINPUT after printing
 * "heapwatch: SOURCE: reason", or -1 when SOURCE is not such a file and cli_load must
 * read it. */
int cli_load_folded(const struct cli_common *c, const char *source, struct arena **a,
                    struct folded **out);

/* Writes n bytes to stdout; EXIT_BADINPUT with a message when that fails. */
int cli_write_stdout(const void *data, size_t n);

#endif

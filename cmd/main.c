/* main.c - heapwatch's single binary: picks the subcommand from argv[1]. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *what;
} commands[] = {
    {"top", cmd_top, "print the top functions, as go tool pprof -top"},
    {"fold", cmd_fold, "print folded stacks (frame;frame;leaf VALUE)"},
    {"graph", cmd_graph, "draw the weighted call graph (SVG, PNG or DOT), as go tool pprof -svg"},
    {"flame", cmd_flame, "draw a flame graph (SVG, PNG or JSON), or a diff against -base"},
    {"leaks", cmd_leaks, "say whether profiles taken over time show a leak, and where"},
    {"serve", cmd_serve, "scrape Go targets on a schedule, keep their history, serve it over HTTP"},
};

static void
usage(FILE *f)
{
    size_t i;

    fprintf(f, "usage: heapwatch COMMAND [flags] SOURCE...\n\n"
               "SOURCE is a profile file, an http(s) URL, or - for standard input.\n\n"
               "commands:\n");
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-6s %s\n", commands[i].name, commands[i].what);
    fprintf(f, "\nRun 'heapwatch COMMAND --help' for the flags of a command.\n");
}

int
main(int argc, char **argv)
{
    size_t i;

    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "heapwatch: unknown command %s\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}

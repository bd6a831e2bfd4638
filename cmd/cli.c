/* cli.c - flag parsing shared by the subcommands and the one way a SOURCE becomes a
 * profile: read (file, URL, stdin), decode, subtract the base, prune as pprof does. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decode.h"
#include "fetch.h"
#include "prepare.h"

void
cli_common_init(struct cli_common *c)
{
    memset(c, 0, sizeof(*c));
    c->gran = GRAN_FUNCTIONS;
    c->max_bytes = DECODE_DEFAULT_LIMIT;
    c->timeout_ms = 60000;
}

/* The flag name in arg without its one or two dashes, and where "=value" starts. */
static const char *
flag_name(const char *arg, size_t *len)
{
    const char *eq;

    if (arg[0] != '-' || arg[1] == '\0')
        return NULL;
    arg += arg[1] == '-' ? 2 : 1;
    eq = strchr(arg, '=');
    *len = eq ? (size_t)(eq - arg) : strlen(arg);
    return arg;
}

int
cli_value_flag(int argc, char **argv, int *i, const char *name, const char **val)
{
    size_t len;
    const char *f = flag_name(argv[*i], &len);

    if (f == NULL || len != strlen(name) || strncmp(f, name, len) != 0)
        return 0;
    if (f[len] == '=') {
        *val = f + len + 1;
    } else if (*i + 1 < argc) {
        *val = argv[++*i];
    } else {
        fprintf(stderr, "heapwatch: flag -%s needs a value\n", name);
        return -1;
    }
    (*i)++;
    return 1;
}

int
cli_bool_flag(char **argv, int i, const char *name, bool *on)
{
    size_t len;
    const char *f = flag_name(argv[i], &len);

    if (f == NULL || len != strlen(name) || strncmp(f, name, len) != 0)
        return 0;
    *on = f[len] != '=' || strcmp(f + len + 1, "true") == 0 || strcmp(f + len + 1, "1") == 0;
    return 1;
}

bool
cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "-help") == 0 || strcmp(arg, "--help") == 0;
}

static int
parse_size(const char *v, size_t *out)
{
    char *end;
    unsigned long long n;

    errno = 0;
    n = strtoull(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n == 0) {
        fprintf(stderr, "heapwatch: bad byte count %s\n", v);
        return -1;
    }
    *out = (size_t)n;
    return 1;
}

int
cli_common_flag(struct cli_common *c, int argc, char **argv, int *i)
{
    static const char *aliases[] = {"inuse_space", "inuse_objects", "alloc_space", "alloc_objects"};
    static const struct { const char *name; enum granularity g; } grans[] = {
        {"functions", GRAN_FUNCTIONS}, {"filefunctions", GRAN_FILEFUNCTIONS}, {"files", GRAN_FILES},
        {"lines", GRAN_LINES},         {"addresses", GRAN_ADDRESSES},
    };
    const char *v;
    bool on;
    size_t k;
    int r;

    for (k = 0; k < 4; k++)
        if (cli_bool_flag(argv, *i, aliases[k], &on)) {
            c->sample_index = aliases[k];
            return (*i)++, 1;
        }
    for (k = 0; k < 5; k++)
        if (cli_bool_flag(argv, *i, grans[k].name, &on)) {
            c->gran = grans[k].g;
            return (*i)++, 1;
        }
    if ((r = cli_value_flag(argc, argv, i, "sample_index", &c->sample_index)) != 0 ||
        (r = cli_value_flag(argc, argv, i, "base", &c->base)) != 0 ||
        (r = cli_value_flag(argc, argv, i, "diff_base", &c->diff_base)) != 0)
        return r;
    if ((r = cli_value_flag(argc, argv, i, "focus", &c->filters.focus)) != 0 ||
        (r = cli_value_flag(argc, argv, i, "ignore", &c->filters.ignore)) != 0 ||
        (r = cli_value_flag(argc, argv, i, "hide", &c->filters.hide)) != 0 ||
        (r = cli_value_flag(argc, argv, i, "show", &c->filters.show)) != 0 ||
        (r = cli_value_flag(argc, argv, i, "show_from", &c->filters.show_from)) != 0 ||
        (r = cli_value_flag(argc, argv, i, "prune_from", &c->filters.prune_from)) != 0 ||
        (r = cli_value_flag(argc, argv, i, "tagfocus", &c->filters.tagfocus)) != 0 ||
        (r = cli_value_flag(argc, argv, i, "tagignore", &c->filters.tagignore)) != 0)
        return r;
    if ((r = cli_value_flag(argc, argv, i, "max_bytes", &v)) != 0)
        return r < 0 ? r : parse_size(v, &c->max_bytes);
    if ((r = cli_value_flag(argc, argv, i, "timeout", &v)) != 0) {
        size_t secs;
        if (r < 0 || parse_size(v, &secs) < 0)
            return -1;
        c->timeout_ms = (long)secs * 1000;
        return 1;
    }
    return 0;
}

/* Reads and decodes one SOURCE into arena a. */
static int
load_one(const struct cli_common *c, struct arena *a, const char *source, struct profile **out)
{
    struct fetch_opts fo = {.timeout_ms = c->timeout_ms};
    struct errbuf eb = {{0}};
    struct buf raw;
    enum hw_err err;

    buf_init(&raw, c->max_bytes);
    err = source_read(source, &fo, &raw, &eb);
    if (err != HW_OK && eb.msg[0] != '\0') {
        /* Reading errors already name the file or the (final) URL. */
        fprintf(stderr, "heapwatch: %s\n", eb.msg);
        buf_reset(&raw);
        return EXIT_BADINPUT;
    }
    if (err == HW_TOOBIG)
        errbuf_set(&eb, err, "input exceeds the limit of %zu bytes", c->max_bytes);
    if (err == HW_OK)
        err = profile_decode_in(a, raw.data, raw.len, out, &eb);
    buf_reset(&raw);
    if (err != HW_OK) {
        fprintf(stderr, "heapwatch: %s: %s\n", source, errbuf_msg(&eb, err));
        return EXIT_BADINPUT;
    }
    return EXIT_OK;
}

/* pprof's warnings about filters that changed nothing, on stderr. */
static void
warn_filters(const struct filter_opts *f, const struct filter_report *r)
{
    static const char *const none = "heapwatch: %s expression matched no samples\n";

    if (f->tagfocus && f->tagfocus[0] && r->tagfocus_range)
        fprintf(stderr, "heapwatch: tagfocus: interpreted '%s' as range, not regexp\n", f->tagfocus);
    if (f->tagignore && f->tagignore[0] && r->tagignore_range)
        fprintf(stderr, "heapwatch: tagignore: interpreted '%s' as range, not regexp\n",
                f->tagignore);
    if (f->focus && f->focus[0] && !r->focus)
        fprintf(stderr, none, "Focus");
    if (f->ignore && f->ignore[0] && !r->ignore)
        fprintf(stderr, none, "Ignore");
    if (f->hide && f->hide[0] && !r->hide)
        fprintf(stderr, none, "Hide");
    if (f->show && f->show[0] && !r->show)
        fprintf(stderr, none, "Show");
    if (f->show_from && f->show_from[0] && !r->show_from)
        fprintf(stderr, none, "ShowFrom");
    if (f->tagfocus && f->tagfocus[0] && !r->tagfocus)
        fprintf(stderr, none, "TagFocus");
    if (f->tagignore && f->tagignore[0] && !r->tagignore)
        fprintf(stderr, none, "TagIgnore");
}

int
cli_load(const struct cli_common *c, const char *source, struct profile **out, size_t *col)
{
    int64_t total;

    return cli_load_report(c, source, out, col, &total);
}

int
cli_load_report(const struct cli_common *c, const char *source, struct profile **out,
                size_t *col, int64_t *total)
{
    struct arena *a = arena_new(c->max_bytes);
    const char *base = c->diff_base ? c->diff_base : c->base;
    struct profile *p = NULL, *b = NULL;
    struct prepare_opts po;
    struct prepared pr;
    struct errbuf eb = {{0}};
    enum hw_err err;
    int rc;

    /* A bad filter is a usage error, reported before anything is fetched. */
    if ((err = filter_check(&c->filters, &eb)) != HW_OK) {
        fprintf(stderr, "heapwatch: %s\n", errbuf_msg(&eb, err));
        arena_free(a);
        return err == HW_USAGE ? EXIT_USAGE : EXIT_BADINPUT;
    }
    if (a == NULL) {
        fprintf(stderr, "heapwatch: out of memory\n");
        return EXIT_BADINPUT;
    }
    if ((rc = load_one(c, a, source, &p)) != EXIT_OK ||
        (base != NULL && (rc = load_one(c, a, base, &b)) != EXIT_OK))
        goto fail;
    prepare_opts_init(&po);
    po.sample_index = c->sample_index;
    po.diff_base = c->diff_base != NULL;
    po.filters = c->filters;
    if ((err = prepare_profile(p, b, &po, &pr, &eb)) != HW_OK) {
        /* A bad -sample_index or filter is usage; anything else is the input's fault. */
        rc = err == HW_USAGE ? EXIT_USAGE : EXIT_BADINPUT;
        fprintf(stderr, "heapwatch: %s: %s\n", source, errbuf_msg(&eb, err));
        goto fail;
    }
    warn_filters(&c->filters, &pr.fr);
    *out = pr.p;
    *col = pr.col;
    *total = pr.total;
    return EXIT_OK;
fail:
    arena_free(a);
    return rc;
}

int
cli_load_folded(const struct cli_common *c, const char *source, struct arena **a,
                struct folded **out)
{
    struct errbuf eb = {{0}};
    struct stat st;
    bool recognized = false;
    enum hw_err err;
    int fd;

    *a = NULL;
    *out = NULL;
    if (c->base != NULL || c->diff_base != NULL || c->sample_index != NULL ||
        c->gran != GRAN_FUNCTIONS || filter_active(&c->filters) || strcmp(source, "-") == 0 ||
        fetch_is_url(source))
        return -1;
    if ((fd = open(source, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (c->max_bytes != 0 && (uintmax_t)st.st_size > c->max_bytes) ||
        (*a = arena_new(c->max_bytes)) == NULL) {
        close(fd);
        return -1;
    }
    err = folded_fold_fd(*a, fd, out, &recognized, &eb);
    close(fd);
    if (err == HW_OK && recognized)
        return EXIT_OK;
    arena_free(*a);
    *a = NULL;
    if (!recognized)
        return -1;
    fprintf(stderr, "heapwatch: %s: %s\n", source, errbuf_msg(&eb, err));
    return EXIT_BADINPUT;
}

int
cli_write_stdout(const void *data, size_t n)
{
    /* An empty report may come with no buffer at all. */
    if ((n > 0 && fwrite(data, 1, n, stdout) != n) || fflush(stdout) != 0) {
        fprintf(stderr, "heapwatch: writing output: %s\n", strerror(errno));
        return EXIT_BADINPUT;
    }
    return EXIT_OK;
}

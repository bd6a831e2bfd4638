/* cmd_flame.c - `heapwatch flame`: a flame graph of any SOURCE `heapwatch fold` reads,
 * as interactive SVG, PNG or d3-flame-graph JSON. For a diff (-base/-diff_base, or a
 * folded file with two count columns) the new and the base profile are folded
 * separately and merged by path in the layout, so that both values of every frame are
 * known; cli_load's subtraction would leave only their difference. A plain folded file
 * that no flag changes skips the profile model (cli_load_folded): flame graphs of
 * stackcollapse output are the big inputs. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "cmd.h"
#include "flame.h"
#include "report.h"

static const char flame_help[] =
    "usage: heapwatch flame [flags] SOURCE\n\n"
    "Draws a flame graph of SOURCE (a profile, legacy heap text, folded stacks, a URL, or -).\n\n"
    "  -o FILE                write FILE; the format follows its extension (.svg .png .json)\n"
    "  -format=svg|png|json   the format (default svg, written to standard output)\n"
    "  -width=PIXELS          image width (default 1200)\n"
    "  -minwidth=PIXELS|N%    leave out frames narrower than this (default 0.5); their\n"
    "                         values stay in their parents\n"
    "  -sort=name|weight      sibling order (default name)\n"
    "  -inverted              icicle graph: root at the top\n"
    "  -reverse               merge stacks from the leaf (who allocates this)\n"
    "  -palette=mem|hot|pkg   colours (default mem for space/objects, hot otherwise)\n"
    "  -fullnames             labels keep Go package paths (default: shortened to .../pkg.F)\n"
    "  -title=TEXT -subtitle=TEXT\n"
    "  -base=SOURCE           diff against a base profile: widths are the new values, colours\n"
    "                         the change (red grew, blue shrank); also -diff_base. A folded\n"
    "                         file with two count columns (base, new) is a diff by itself\n"
    "  -negate                diff: widths from the base, so vanished frames show\n"
    "  -sample_index=NAME|N   sample type; also -inuse_space -inuse_objects -alloc_space\n"
    "                         -alloc_objects\n"
    "  -functions -filefunctions -files -lines -addresses   granularity\n"
    "  -max_bytes=N  -timeout=SECONDS\n";

struct flame_cmd {
    struct cli_common c;
    struct flame_opts o;
    const char *source, *output, *format;
    bool title_set, subtitle_set;
};

/* Prints one usage error line and returns -1. */
static int complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
complain(const char *fmt, ...)
{
    va_list ap;

    fputs("heapwatch flame: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return -1;
}

/* Consumes one flame flag: 1 consumed, 0 not ours, -1 bad (message printed). */
static int
flame_flag(struct flame_cmd *fc, int argc, char **argv, int *i)
{
    static const char *const bools[] = {"inverted", "reverse", "negate", "fullnames"};
    bool *targets[] = {&fc->o.inverted, &fc->o.reverse, &fc->o.negate, &fc->o.fullnames};
    const char *v;
    char *end;
    size_t k;
    int r;

    for (k = 0; k < sizeof(bools) / sizeof(bools[0]); k++)
        if (cli_bool_flag(argv, *i, bools[k], targets[k]))
            return (*i)++, 1;
    if ((r = cli_value_flag(argc, argv, i, "o", &fc->output)) != 0 ||
        (r = cli_value_flag(argc, argv, i, "output", &fc->output)) != 0 ||
        (r = cli_value_flag(argc, argv, i, "format", &fc->format)) != 0 ||
        (r = cli_value_flag(argc, argv, i, "title", &fc->o.title)) != 0 ||
        (r = cli_value_flag(argc, argv, i, "subtitle", &fc->o.subtitle)) != 0)
        return r;
    if ((r = cli_value_flag(argc, argv, i, "width", &v)) != 0) {
        unsigned long w;

        if (r < 0)
            return r;
        w = strtoul(v, &end, 10);
        if (end == v || *end != '\0' || w < FLAME_MIN_WIDTH || w > FLAME_MAX_WIDTH)
            return complain("-width must be %d..%d pixels, not %s", FLAME_MIN_WIDTH,
                            FLAME_MAX_WIDTH, v);
        fc->o.width = (unsigned)w;
        return 1;
    }
    if ((r = cli_value_flag(argc, argv, i, "minwidth", &v)) != 0) {
        if (r > 0 && flame_parse_minwidth(v, &fc->o) != HW_OK)
            return complain("-minwidth takes pixels (0.5) or a percentage (0.1%%), not %s", v);
        return r;
    }
    if ((r = cli_value_flag(argc, argv, i, "sort", &v)) != 0) {
        if (r > 0 && strcmp(v, "name") != 0 && strcmp(v, "weight") != 0)
            return complain("-sort is name or weight, not %s", v);
        if (r > 0)
            fc->o.sort = strcmp(v, "weight") == 0 ? FLAME_SORT_WEIGHT : FLAME_SORT_NAME;
        return r;
    }
    if ((r = cli_value_flag(argc, argv, i, "palette", &v)) != 0) {
        if (r > 0 && palette_parse(v, &fc->o.palette) != HW_OK)
            return complain("-palette is mem, hot or pkg, not %s", v);
        fc->o.palette_set = true;
        return r;
    }
    return 0;
}

static int
parse_args(struct flame_cmd *fc, int argc, char **argv, enum report_flame_format *fmt)
{
    const char *ext;
    int i = 1, r;

    while (i < argc) {
        if (cli_is_help(argv[i])) {
            fputs(flame_help, stdout);
            return -1;
        }
        if ((r = cli_common_flag(&fc->c, argc, argv, &i)) < 0 ||
            (r == 0 && (r = flame_flag(fc, argc, argv, &i)) < 0))
            return EXIT_USAGE;
        if (r > 0)
            continue;
        if ((argv[i][0] == '-' && argv[i][1] != '\0') || fc->source != NULL)
            return complain("unexpected argument %s", argv[i]), EXIT_USAGE;
        fc->source = argv[i++];
    }
    if (fc->source == NULL) {
        fputs(flame_help, stderr);
        return EXIT_USAGE;
    }
    ext = fc->format;
    if (ext == NULL && fc->output != NULL && strcmp(fc->output, "-") != 0) {
        ext = strrchr(fc->output, '.');
        if (ext == NULL || strchr(ext, '/') != NULL)
            return complain("cannot tell the format of %s from its name; use -format", fc->output),
                   EXIT_USAGE;
        ext++;
    }
    if (ext == NULL || strcasecmp(ext, "svg") == 0)
        *fmt = REPORT_FLAME_SVG;
    else if (strcasecmp(ext, "png") == 0)
        *fmt = REPORT_FLAME_PNG;
    else if (strcasecmp(ext, "json") == 0)
        *fmt = REPORT_FLAME_JSON;
    else
        return complain("unknown format %s (svg, png or json)", ext), EXIT_USAGE;
    return EXIT_OK;
}

/* A file by its base name (the directories only crowd the subtitle); URLs and "-"
 * as given. */
static const char *
display_name(const char *source)
{
    const char *slash = strrchr(source, '/');

    if (strstr(source, "://") != NULL || slash == NULL || slash[1] == '\0')
        return source;
    return slash + 1;
}

static int
write_output(const struct flame_cmd *fc, const struct buf *out)
{
    FILE *f;

    if (fc->output == NULL || strcmp(fc->output, "-") == 0)
        return cli_write_stdout(out->data, out->len);
    if ((f = fopen(fc->output, "wb")) == NULL) {
        perror(fc->output);
        return EXIT_BADINPUT;
    }
    if (fwrite(out->data, 1, out->len, f) != out->len || fclose(f) != 0) {
        perror(fc->output);
        return EXIT_BADINPUT;
    }
    return EXIT_OK;
}

int
cmd_flame(int argc, char **argv)
{
    struct flame_cmd fc;
    struct cli_common one;
    struct profile *p = NULL, *bp = NULL;
    struct folded *cur = NULL, *base = NULL;
    struct arena *fa = NULL;
    struct errbuf eb = {{0}};
    const char *base_name;
    char subtitle[1024];
    struct buf out;
    enum report_flame_format fmt;
    enum hw_err err;
    size_t col, bcol = 0;
    int rc;

    memset(&fc, 0, sizeof(fc));
    cli_common_init(&fc.c);
    flame_opts_init(&fc.o);
    if ((rc = parse_args(&fc, argc, argv, &fmt)) != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    base_name = fc.c.diff_base ? fc.c.diff_base : fc.c.base;
    one = fc.c;
    one.base = one.diff_base = NULL;
    buf_init(&out, 0);
    if (base_name == NULL && (rc = cli_load_folded(&fc.c, fc.source, &fa, &cur)) >= 0) {
        if (rc != EXIT_OK)
            goto out;
    } else if ((rc = cli_load(&one, fc.source, &p, &col)) != EXIT_OK ||
               (base_name != NULL && (rc = cli_load(&one, base_name, &bp, &bcol)) != EXIT_OK)) {
        goto out;
    }
    rc = EXIT_BADINPUT;
    if (p != NULL && (err = report_flame_fold(p, col, bp, bcol, fc.c.gran,
                                              fc.c.sample_index != NULL, &cur, &base, &eb)) != HW_OK)
        goto report;
    if (fc.o.negate && base == NULL) {
        complain("-negate needs a diff: -base, or a folded file with two count columns");
        rc = EXIT_USAGE;
        goto out;
    }
    if (fc.o.subtitle == NULL) {
        report_flame_subtitle(display_name(fc.source), base_name ? display_name(base_name) : NULL,
                              p ? p->time_nanos : 0, cur, base, fc.o.reverse, subtitle,
                              sizeof(subtitle));
        fc.o.subtitle = subtitle;
    }
    if ((err = report_flame(cur, base, &fc.o, fmt, &out, &eb)) != HW_OK) {
        if (err == HW_USAGE)
            rc = EXIT_USAGE;
        goto report;
    }
    rc = write_output(&fc, &out);
    goto out;
report:
    fprintf(stderr, "heapwatch: %s: %s\n", fc.source, errbuf_msg(&eb, err));
out:
    text_fonts_release();
    buf_reset(&out);
    if (bp != NULL)
        arena_free(bp->arena);
    if (p != NULL)
        arena_free(p->arena);
    arena_free(fa);
    return rc;
}

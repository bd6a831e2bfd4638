/* flame_test.h - what the render tests share: folded text to a struct folded (through
 * the real parser and fold), a layout with options, and a frame looked up by path.
 * Static functions in a header, as each test is one .c file. */
#ifndef HW_FLAME_TEST_H
#define HW_FLAME_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "flame.h"
#include "fold.h"

#define FT_HELPER static __attribute__((unused))

/* Parses folded text and folds column col; the result lives in *a. */
FT_HELPER struct folded *
ft_fold(struct arena **a, const char *text, size_t col)
{
    struct profile *p = NULL;
    struct folded *f = NULL;
    struct errbuf eb = {{0}};
    bool rec;

    *a = arena_new(0);
    assert_non_null(*a);
    if (folded_parse(*a, (const unsigned char *)text, strlen(text), &p, &rec, &eb) != HW_OK)
        fail_msg("folded_parse: %s", eb.msg);
    if (fold_profile(*a, p, col, GRAN_FUNCTIONS, &f, &eb) != HW_OK)
        fail_msg("fold_profile: %s", eb.msg);
    return f;
}

/* Lays out text (one column), or a diff when col is 2 (base 0, new 1). */
FT_HELPER struct flame *
ft_layout(struct arena **a, const char *text, const struct flame_opts *o)
{
    struct flame *fl = NULL;
    struct errbuf eb = {{0}};
    struct flame_opts def;
    struct folded *cur = ft_fold(a, text, 0);

    if (o == NULL) {
        flame_opts_init(&def);
        o = &def;
    }
    if (flame_build(cur, NULL, o, &fl, &eb) != HW_OK)
        fail_msg("flame_build: %s", eb.msg);
    return fl;
}

/* A two-column folded text laid out as a diff. */
FT_HELPER struct flame *
ft_diff(struct arena **a, struct arena **b, const char *text, const struct flame_opts *o)
{
    struct flame *fl = NULL;
    struct errbuf eb = {{0}};
    struct folded *base = ft_fold(b, text, 0), *cur = ft_fold(a, text, 1);

    if (flame_build(cur, base, o, &fl, &eb) != HW_OK)
        fail_msg("flame_build: %s", eb.msg);
    return fl;
}

/* The path of frame i, root excluded, as "a;b;c". */
FT_HELPER const char *
ft_path(const struct flame *fl, size_t i, char *out, size_t cap)
{
    const struct flame_frame *fr = flame_frames(fl);
    const char *names[256];
    size_t n = 0, k, len = 0;

    for (; i != 0 && n < 256; i = fr[i].parent)
        names[n++] = fr[i].name;
    out[0] = '\0';
    for (k = n; k-- > 0;)
        len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "%s%s", k + 1 < n ? ";" : "",
                                names[k]);
    return out;
}

/* The index of the frame at path ("" is the root), or -1. */
FT_HELPER long
ft_find(const struct flame *fl, const char *path)
{
    size_t i, n = flame_info(fl)->nframes;
    char buf[1024];

    for (i = 0; i < n; i++)
        if (strcmp(ft_path(fl, i, buf, sizeof(buf)), path) == 0)
            return (long)i;
    return -1;
}

FT_HELPER const struct flame_frame *
ft_frame(const struct flame *fl, const char *path)
{
    long i = ft_find(fl, path);

    if (i < 0)
        fail_msg("no frame %s", path);
    return &flame_frames(fl)[i];
}

/* All paths in frame order, joined by ",". */
FT_HELPER const char *
ft_order(const struct flame *fl, char *out, size_t cap)
{
    size_t i, n = flame_info(fl)->nframes, len = 0;
    char buf[1024];

    out[0] = '\0';
    for (i = 1; i < n; i++)
        len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "%s%s", i > 1 ? "," : "",
                                ft_path(fl, i, buf, sizeof(buf)));
    return out;
}

/* Checks the invariants of any layout: parents first, children inside their parent
 * and not overlapping, widths value x scale, the root the total. */
FT_HELPER void
ft_check_structure(const struct flame *fl)
{
    const struct flame_info *in = flame_info(fl);
    const struct flame_frame *fr = flame_frames(fl);
    double graph = (double)in->width - 2 * FLAME_PAD, eps = 1e-6 * graph;
    double *next = calloc(in->nframes, sizeof(*next));
    size_t i;

    assert_non_null(next);
    assert_true(in->nframes >= 1);
    assert_int_equal(fr[0].depth, 0);
    assert_int_equal(fr[0].value, in->total);
    assert_true(fr[0].parent == FLAME_NO_PARENT);
    for (i = 0; i < in->nframes; i++)
        next[i] = fr[i].x;
    for (i = 1; i < in->nframes; i++) {
        const struct flame_frame *f = &fr[i], *p = &fr[f->parent];

        if (f->parent >= i || f->depth != p->depth + 1)
            fail_msg("frame %zu: parent %u, depth %u", i, f->parent, f->depth);
        if (f->value <= 0 || f->value > p->value)
            fail_msg("frame %zu (%s): value %lld, parent %lld", i, f->name, (long long)f->value,
                     (long long)p->value);
        if (f->w < (double)f->value * in->scale - eps || f->w > (double)f->value * in->scale + eps)
            fail_msg("frame %zu: width %f for value %lld (scale %g)", i, f->w, (long long)f->value,
                     in->scale);
        if (f->x < p->x - eps || f->x + f->w > p->x + p->w + eps)
            fail_msg("frame %zu (%s): [%f, %f] outside its parent [%f, %f]", i, f->name, f->x,
                     f->x + f->w, p->x, p->x + p->w);
        if (f->x < next[f->parent] - eps)
            fail_msg("frame %zu (%s) overlaps a sibling", i, f->name);
        next[f->parent] = f->x + f->w;
    }
    free(next);
}

#endif

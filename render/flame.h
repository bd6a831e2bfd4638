/* flame.h - the flame graph layout every output shares (SVG, PNG, JSON, and later the
 * web service): folded stacks merged into a tree by frame name at each depth, laid out
 * in pixels, with fitted labels and colours. A diff merges two folded sets by path:
 * widths come from one (the new one, or the base with negate), colours from the change
 * of each frame's inclusive value. */
#ifndef HW_FLAME_H
#define HW_FLAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fold.h"
#include "hw_err.h"
#include "palette.h"
#include "text.h"

#define FLAME_DEFAULT_WIDTH 1200
#define FLAME_MIN_WIDTH 200
#define FLAME_MAX_WIDTH 100000
#define FLAME_DEFAULT_MINWIDTH 0.5 /* pixels */
#define FLAME_FRAME_HEIGHT 16
#define FLAME_FONT_SIZE 12
#define FLAME_TITLE_SIZE 17
#define FLAME_PAD 10      /* left and right margin */
#define FLAME_LABEL_PAD 3 /* between a frame's edge and its label */
#define FLAME_TOP 66      /* title, subtitle and note lines above the frames */
#define FLAME_BOTTOM 30   /* the details line below them */
#define FLAME_NO_PARENT UINT32_MAX
#define FLAME_MARK_MIN 3.0 /* frames narrower show no new/vanished outline, only its tooltip */

enum flame_sort {
    FLAME_SORT_NAME,   /* siblings in byte order of their names */
    FLAME_SORT_WEIGHT, /* heaviest first, ties by name */
};

struct flame_opts {
    unsigned width;  /* of the whole image, FLAME_MIN_WIDTH..FLAME_MAX_WIDTH */
    double minwidth; /* frames narrower are left out: pixels, or percent of the total */
    bool minwidth_pct;
    enum flame_sort sort;
    bool inverted;    /* icicle: root at the top */
    bool reverse;     /* merge from the leaf: who allocates this */
    bool negate;      /* diff: widths from the base, so vanished frames show */
    bool fullnames;   /* labels keep Go package paths */
    bool palette_set; /* else the default for the sample type */
    enum palette palette;
    const char *title;    /* NULL: "Flame Graph", "Icicle Graph" or "Differential ..." */
    const char *subtitle; /* NULL: none */
};

enum {
    FLAME_NEW = 1,  /* diff: absent from the base */
    FLAME_GONE = 2, /* diff: absent from the new profile (shown with negate) */
};

struct flame_frame {
    const char *name;  /* valid UTF-8, no control characters; the root is "all" */
    const char *label; /* fitted into the frame, "" when nothing fits */
    int64_t value;     /* inclusive value that sets the width */
    int64_t cur, base; /* inclusive new and base values (plain graphs: base 0) */
    int64_t start;     /* left edge, in value units from the root's left edge */
    double x, w;       /* pixels */
    uint32_t depth;    /* root 0 */
    uint32_t parent;   /* index in the frame array; FLAME_NO_PARENT for the root */
    struct rgb color;
    unsigned flags; /* FLAME_NEW, FLAME_GONE */
};

struct flame_info {
    const char *type, *unit;      /* of the sample type drawn, sanitized */
    const char *title, *subtitle; /* sanitized */
    bool diff;
    int64_t total; /* the root's value: the sum of the drawn stacks */
    int64_t cur_total, base_total;
    size_t nframes; /* frames drawn, root included */
    uint32_t maxdepth;
    size_t elided;          /* merged frames left out for being narrower than minwidth */
    size_t absent;          /* diff: frames only the side not drawn has (see negate) */
    size_t negative;        /* stacks left out for a negative value */
    double scale;           /* pixels per unit of value */
    unsigned width, height; /* of the image */
    enum palette palette;
};

struct flame; /* opaque */

void flame_opts_init(struct flame_opts *o);

/* Parses a -minwidth value: "0.5" (pixels) or "0.1%". HW_USAGE when malformed. */
enum hw_err flame_parse_minwidth(const char *s, struct flame_opts *o);

/* Lays out cur, or with base (not NULL) a diff of cur against base. Both folded sets
 * must outlive the flame, which points at their frame names. Stacks with a negative
 * value are left out and counted. On failure *out is NULL and eb says why. */
enum hw_err flame_build(const struct folded *cur, const struct folded *base,
                        const struct flame_opts *o, struct flame **out, struct errbuf *eb);

/* flame_free(NULL) is a no-op. */
void flame_free(struct flame *f);

const struct flame_info *flame_info(const struct flame *f);
const struct flame_opts *flame_opts(const struct flame *f);
const struct text_metrics *flame_metrics(const struct flame *f);

/* The frames in depth-first order, parents before children, siblings in order; the
 * root is frames[0]. */
const struct flame_frame *flame_frames(const struct flame *f);

#define FLAME_NOTE_MAX 512

/* The line under the subtitle: how many frames are not drawn and why ("" if none). */
void flame_note(const struct flame *f, char *out, size_t cap);

/* The y of the top of a frame at depth d. */
double flame_y(const struct flame *f, uint32_t d);

#endif

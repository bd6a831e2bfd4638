/* prepare.c - pprof's order of work before any report: the base is subtracted first
 * (so that frames it drops are judged on the difference), uninteresting runtime frames
 * go, the column is chosen, the total is taken before the filters (pprof's
 * percentages are of the whole profile), and the filters run last. */
#include "prepare.h"

#include <string.h>

#include "diff.h"

void
prepare_opts_init(struct prepare_opts *o)
{
    memset(o, 0, sizeof(*o));
}

enum hw_err
prepare_profile(struct profile *p, const struct profile *base, const struct prepare_opts *o,
                struct prepared *out, struct errbuf *eb)
{
    enum hw_err err;

    memset(out, 0, sizeof(*out));
    if (base != NULL && (err = profile_subtract(p->arena, p, base, o->diff_base, &p, eb)) != HW_OK)
        return err;
    if ((err = profile_remove_uninteresting(p, eb)) != HW_OK)
        return err;
    if ((err = profile_sample_index(p, o->sample_index, &out->col, eb)) != HW_OK)
        return err;
    out->total = profile_total(p, out->col);
    if ((err = filter_apply(p, &o->filters, &out->fr, eb)) != HW_OK)
        return err;
    out->p = p;
    return HW_OK;
}

/* diff.h - subtracting a base profile the way `go tool pprof -base` and `-diff_base`
 * do: the base's values are negated and merged into the profile sample by sample
 * (samples with the same stack and labels add up; negative results are kept). */
#ifndef HW_DIFF_H
#define HW_DIFF_H

#include <stdbool.h>

#include "hw_err.h"
#include "profile.h"

/* A new profile in arena a holding p minus base. With diff_base the base's samples
 * keep the label "pprof::base"="true" (so percentages can be taken against the base
 * total, see profile_total). HW_BADDATA when the sample types differ. */
enum hw_err profile_subtract(struct arena *a, const struct profile *p, const struct profile *base,
                             bool diff_base, struct profile **out, struct errbuf *eb);

/* True when s carries the pprof::base label. */
bool sample_is_diff_base(const struct sample *s);

/* pprof's report total for column col: the sum of |value| over all samples, or over
 * the base samples alone when there are any (-diff_base). */
int64_t profile_total(const struct profile *p, size_t col);

#endif

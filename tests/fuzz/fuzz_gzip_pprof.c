/* fuzz_gzip_pprof.c - profile_decode on arbitrary bytes, the path every source takes:
 * gzip sniffing and inflation under the limit, then legacy text, folded stacks or
 * protobuf. What the command line does next (drop_frames/keep_frames pruning, whose
 * regular expressions come from the input, and picking the sample column) runs too. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct profile *p = NULL;
    struct errbuf eb = {{0}};
    enum hw_err err;
    size_t col;

    if (size > FUZZ_MAX_INPUT)
        return 0;
    err = profile_decode(data, size, FUZZ_ARENA_LIMIT, &p, &eb);
    if (err != HW_OK) {
        if (p != NULL)
            fuzz_fail("profile_decode", "failed but left a profile");
        fuzz_check_error(err, &eb);
        if (eb.msg[0] == '\0')
            fuzz_fail("profile_decode", "failed without a message");
        return 0;
    }
    fuzz_check_profile(p, fuzz_pick(data, size));
    if (p->drop_frames[0] != '\0' || p->keep_frames[0] != '\0') {
        errbuf_clear(&eb);
        err = profile_remove_uninteresting(p, &eb);
        if (err == HW_OK)
            fuzz_check_profile(p, fuzz_pick(data, size));
        else
            fuzz_check_error(err, &eb);
    }
    errbuf_clear(&eb);
    err = profile_sample_index(p, "", &col, &eb);
    if (err == HW_OK && col >= p->ntypes)
        fuzz_fail("profile_sample_index", "column out of range");
    if (err != HW_OK && p->ntypes != 0)
        fuzz_fail("profile_sample_index", errbuf_msg(&eb, err));
    arena_free(p->arena);
    return 0;
}

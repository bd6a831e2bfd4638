/* fuzz_pprof.c - pprof_decode on arbitrary bytes taken as a plain (not gzipped)
 * profile.proto message: protobuf-c's unpacking with the arena allocator, then the
 * conversion to the model (string indices, ids, references between messages). */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena *a;
    struct profile *p = NULL;
    struct errbuf eb = {{0}};
    enum hw_err err;

    if (size > FUZZ_MAX_INPUT || (a = arena_new(FUZZ_ARENA_LIMIT)) == NULL)
        return 0;
    err = pprof_decode(a, data, size, &p, &eb);
    if (err == HW_OK)
        fuzz_check_profile(p, fuzz_pick(data, size));
    else
        fuzz_check_error(err, &eb);
    arena_free(a);
    return 0;
}

/* fuzz_legacy.c - legacy_parse on arbitrary bytes: Go's text heap, goroutine and
 * other count profiles, contention, threadz, growthz, C++ heapz, and the legacy
 * binary CPU format. Input it does not recognise must be declined, not accepted. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_run(legacy_parse, data, size);
    return 0;
}

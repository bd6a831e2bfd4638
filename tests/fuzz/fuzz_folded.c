/* fuzz_folded.c - folded_parse on arbitrary bytes: "a;b;c 42" lines, one or two
 * count columns, UTF-8 or UTF-16 with a BOM, LF or CRLF, '#' comments. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_run(folded_parse, data, size);
    return 0;
}

/* fuzz_arff.c: the ARFF reader of the bundled Titanic source must reject
 * malformed text with a message, never crash or leak. */
#include "offline.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bench_csv *t = NULL;
    if (offline_arff_parse(&t, (const char *)data, size, "fuzz.arff") == 0)
        otab_free(t);
    return 0;
}

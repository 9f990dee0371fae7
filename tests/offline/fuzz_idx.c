/* fuzz_idx.c: the IDX header check (Fashion-MNIST source) must refuse any
 * size that does not match the payload; accepted images go through the PNG
 * writer, whose output must start with the PNG signature. */
#include "offline.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const unsigned char *pix = NULL;
    uint32_t sz[3];
    for (int dims = 1; dims <= 3; dims++) {
        if (offline_idx_parse(&pix, sz, dims, data, size, "fuzz.idx") < 0)
            continue;
        if (dims == 3 && sz[0] > 0 && (uint64_t)sz[1] * sz[2] <= 4096) {
            unsigned char *png = NULL;
            size_t len = 0;
            offline_png_gray(&png, &len, pix, sz[2], sz[1]);
            if (len < 8 || memcmp(png, "\x89PNG", 4) != 0)
                abort();
            free(png);
        }
    }
    return 0;
}

/*
 * fuzz_review.c: llm_review_parse on arbitrary bytes, both as a reply's
 * text and (when they parse) as function arguments. It must return 0 or
 * < 0 and never crash, leak or read out of bounds.
 */
#include "llm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    llm_review r;
    if (llm_review_parse(&r, NULL, text) == 0)
        llm_review_free(&r);
    cJSON *args = cJSON_Parse(text);
    if (args && llm_review_parse(&r, args, "") == 0)
        llm_review_free(&r);
    cJSON_Delete(args);
    free(text);
    return 0;
}

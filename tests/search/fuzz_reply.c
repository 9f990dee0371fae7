/*
 * fuzz_reply.c: fuzz target for everything that reads model or script text:
 * search_parse_reply, search_plan_summary and search_parse_self_score.
 * Besides not crashing, it checks the promises those functions make: code
 * ends with one newline and has no CR before a newline, summaries respect
 * their bound.
 */
#include "search.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    char *plan = NULL, *code = NULL;
    if (search_parse_reply(text, &plan, &code) == 0) {
        size_t n = strlen(code);
        if (n == 0 || code[n - 1] != '\n' || strstr(code, "\r\n") || !plan)
            abort();
        char *s = search_plan_summary(plan, 72);
        if (strlen(s) > 72)
            abort();
        free(s);
    } else if (plan || code) {
        abort();
    }
    free(plan);
    free(code);
    size_t max = size % 17;
    char *s = search_plan_summary(text, max);
    if (strlen(s) > max)
        abort();
    free(s);
    double v;
    search_parse_self_score(text, &v);
    free(text);
    return 0;
}

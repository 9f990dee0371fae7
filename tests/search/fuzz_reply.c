/*
 * fuzz_reply.c: fuzz target for everything that reads model or script text:
 * search_parse_reply, search_plan_summary and search_parse_self_score.
 * Besides not crashing, it checks the promises those functions make: code
 * ends with one newline and has no CR before a newline, summaries respect
 * their bound.
 */
#include "search.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Says which promise broke, on which input (escaped), then aborts. */
static void broke(const char *what, const uint8_t *data, size_t size)
{
    fprintf(stderr, "fuzz_reply: %s on input \"", what);
    for (size_t i = 0; i < size; i++)
        fprintf(stderr, data[i] >= 32 && data[i] < 127 && data[i] != '"' ? "%c" : "\\x%02x",
                data[i]);
    fprintf(stderr, "\"\n");
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    char *plan = NULL, *code = NULL;
    if (search_parse_reply(text, &plan, &code) == 0) {
        size_t n = strlen(code);
        if (n == 0 || code[n - 1] != '\n')
            broke("code does not end with a newline", data, size);
        if (strstr(code, "\r\n"))
            broke("code keeps a CR before a newline", data, size);
        if (!plan)
            broke("no plan", data, size);
        char *s = search_plan_summary(plan, 72);
        if (strlen(s) > 72)
            broke("plan summary over 72", data, size);
        free(s);
    } else if (plan || code) {
        broke("failed parse left plan or code", data, size);
    }
    free(plan);
    free(code);
    size_t max = size % 17;
    char *s = search_plan_summary(text, max);
    if (strlen(s) > max)
        broke("summary over its bound", data, size);
    free(s);
    double v;
    search_parse_self_score(text, &v);
    free(text);
    return 0;
}

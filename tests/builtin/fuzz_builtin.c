/*
 * fuzz_builtin.c: fuzz target for the builtin coder's parsers of untrusted
 * text: the config line read back from parent and other code, the
 * "Detected columns:" line and traceback lines of a parent's output, and
 * review of a run's output. The input is split at the first NUL byte (or
 * the middle) into a code part and an output part; both are sent through
 * improve, debug and review requests. Any reply must be a python block (or,
 * for review, a JSON object); errors are fine, crashes and leaks are not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "util.h"

static void ask(const char *action, const char *code, const char *output)
{
    cJSON *ctx = cJSON_CreateObject();
    cJSON_AddStringToObject(ctx, "action", action);
    cJSON_AddNumberToObject(ctx, "node", 4);
    cJSON_AddNumberToObject(ctx, "parent", 2);
    cJSON_AddNumberToObject(ctx, "n_children", (double)(strlen(code) % 7));
    cJSON *comp = cJSON_AddObjectToObject(ctx, "competition");
    cJSON_AddStringToObject(comp, "task", strlen(output) % 2 ? "multiclass" : "regression");
    cJSON_AddStringToObject(comp, "metric", output);
    cJSON_AddStringToObject(comp, "label_col", code);
    cJSON_AddStringToObject(ctx, "parent_code", code);
    cJSON_AddStringToObject(ctx, "other_code", code);
    cJSON_AddStringToObject(ctx, "parent_output", output);
    cJSON_AddStringToObject(ctx, "code", code);
    cJSON_AddStringToObject(ctx, "output", output);
    llm_request req = {.context = ctx};
    char *text = NULL;
    if (builtin_reply(&req, 1, &text) == 0) {
        if (strcmp(action, "review") == 0) {
            cJSON *j = cJSON_Parse(text);
            if (!cJSON_IsObject(j))
                abort();
            cJSON_Delete(j);
        } else if (!strstr(text, "```python\n# grove-builtin: {")) {
            abort();
        }
    }
    free(text);
    cJSON_Delete(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t split = nul ? (size_t)(nul - data) : size / 2;
    char *code = xstrndup((const char *)data, split);
    char *output = xstrndup((const char *)data + (nul ? split + 1 : split),
                            size - split - (nul ? 1 : 0));
    ask("improve", code, output);
    ask("debug", code, output);
    ask("review", code, output);
    free(code);
    free(output);
    return 0;
}

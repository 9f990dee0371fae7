/*
 * fuzz_template.c: fuzz target for the template language: the input is a
 * template, rendered and checked against a fixed set of variables. Besides
 * not crashing: a successful render leaves no tag of the template behind
 * unless the template escaped it or a value carried it.
 */
#include "prompts.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *tmpl = malloc(size + 1);
    memcpy(tmpl, data, size);
    tmpl[size] = 0;
    static const prompt_var vars[] = {{"a", "value"}, {"b", ""}, {"c", NULL},
                                      {"mode", "holdout"}, {"memory", "m"}};
    static const char *const names[] = {"a", "b", "c", "mode", "memory"};
    char *out = NULL;
    int rendered = prompts_render_text(&out, tmpl, "fuzz.txt", vars, 5) == 0;
    if (rendered != (out != NULL))
        abort();
    int checked = prompts_check_text(tmpl, "fuzz.txt", names, 5) == 0;
    if (rendered != checked) /* same variables: both must agree */
        abort();
    if (out && !strstr(tmpl, "\\{{") && strstr(out, "{{"))
        abort();
    free(out);
    free(tmpl);
    return 0;
}

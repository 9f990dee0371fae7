/*
 * fuzz_traceback.c: exec_parse_traceback on arbitrary bytes. The input is
 * made a C string (the parser's contract); the results must be consistent:
 * a found exception has a non-empty type, and nothing leaks.
 */
#include "exec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    char *type, *msg;
    int line;
    int found = exec_parse_traceback(s, "solution.py", &type, &msg, &line);
    if (found && (!type || !*type))
        abort();
    if (!found && (type || msg))
        abort();
    if (line < 0)
        abort();
    free(type);
    free(msg);
    free(s);
    return 0;
}

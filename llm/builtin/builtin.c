/* builtin.c: placeholder for the offline builtin coder. */
#include "builtin.h"
#include "util.h"

int builtin_reply(const llm_request *req, unsigned long seed, char **text)
{
    (void)req;
    (void)seed;
    *text = NULL;
    return err_set("builtin coder: not yet available");
}

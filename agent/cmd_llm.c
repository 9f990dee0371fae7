/* cmd_llm.c: `grove llm` (placeholder until its module lands). */
#include "commands.h"
#include <stdio.h>

const char summary_llm[] = "(not yet available)";
const char usage_llm[] = "usage: grove llm\n\nNot yet available.\n";

int cmd_llm(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "grove llm: not yet available\n");
    return 1;
}

/* cmd_exec.c: `grove exec` (placeholder until its module lands). */
#include "commands.h"
#include <stdio.h>

const char summary_exec[] = "(not yet available)";
const char usage_exec[] = "usage: grove exec\n\nNot yet available.\n";

int cmd_exec(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "grove exec: not yet available\n");
    return 1;
}

/* cmd_run.c: `grove run` (placeholder until its module lands). */
#include "commands.h"
#include <stdio.h>

const char summary_run[] = "(not yet available)";
const char usage_run[] = "usage: grove run\n\nNot yet available.\n";

int cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "grove run: not yet available\n");
    return 1;
}

/* cmd_prepare.c: `grove prepare` (placeholder until its module lands). */
#include "commands.h"
#include <stdio.h>

const char summary_prepare[] = "(not yet available)";
const char usage_prepare[] = "usage: grove prepare\n\nNot yet available.\n";

int cmd_prepare(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "grove prepare: not yet available\n");
    return 1;
}

/* cmd_diff.c: `grove diff` (placeholder until its module lands). */
#include "commands.h"
#include <stdio.h>

const char summary_diff[] = "(not yet available)";
const char usage_diff[] = "usage: grove diff\n\nNot yet available.\n";

int cmd_diff(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "grove diff: not yet available\n");
    return 1;
}

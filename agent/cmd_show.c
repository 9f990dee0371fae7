/* cmd_show.c: `grove show` (placeholder until its module lands). */
#include "commands.h"
#include <stdio.h>

const char summary_show[] = "(not yet available)";
const char usage_show[] = "usage: grove show\n\nNot yet available.\n";

int cmd_show(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "grove show: not yet available\n");
    return 1;
}

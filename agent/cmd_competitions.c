/* cmd_competitions.c: `grove competitions` (placeholder until its module lands). */
#include "commands.h"
#include <stdio.h>

const char summary_competitions[] = "(not yet available)";
const char usage_competitions[] = "usage: grove competitions\n\nNot yet available.\n";

int cmd_competitions(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "grove competitions: not yet available\n");
    return 1;
}

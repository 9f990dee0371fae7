/* cmd_grade.c: `grove grade` (placeholder until its module lands). */
#include "commands.h"
#include <stdio.h>

const char summary_grade[] = "(not yet available)";
const char usage_grade[] = "usage: grove grade\n\nNot yet available.\n";

int cmd_grade(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "grove grade: not yet available\n");
    return 1;
}

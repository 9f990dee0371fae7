/* cmd_tree.c: `grove tree` (placeholder until its module lands). */
#include "commands.h"
#include <stdio.h>

const char summary_tree[] = "(not yet available)";
const char usage_tree[] = "usage: grove tree\n\nNot yet available.\n";

int cmd_tree(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "grove tree: not yet available\n");
    return 1;
}

/*
 * cmd_diff.c: `grove diff RUN A B`: what changed between two nodes.
 */
#include "commands.h"
#include "journal.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

const char summary_diff[] = "diff two nodes of a run (solution.py by default)";
const char usage_diff[] =
    "usage: grove diff RUN_DIR A B [--all]\n\n"
    "Unified diff of solution.py from node A to node B (node ids, or `best`).\n"
    "--all diffs every file of the two commits (plan, output, review, node.json).\n"
    "The same as `git -C RUN_DIR diff node/A node/B -- solution.py`.\n";

int cmd_diff(int argc, char **argv)
{
    const char *pos[3] = {NULL, NULL, NULL};
    int np = 0, all = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--all"))
            all = 1;
        else if (np < 3)
            pos[np++] = argv[i];
        else
            return cmd_usage("diff", 1);
    }
    if (np != 3)
        return cmd_usage("diff", 1);
    journal *j;
    if (journal_open_read(&j, pos[0]) < 0) {
        fprintf(stderr, "grove diff: %s\n", err_last());
        return 1;
    }
    int a, b, rc = 1;
    sb out = {0};
    if (journal_parse_node(j, pos[1], &a) < 0 || journal_parse_node(j, pos[2], &b) < 0 ||
        journal_diff(j, a, b, all ? NULL : "solution.py", &out) < 0) {
        fprintf(stderr, "grove diff: %s\n", err_last());
    } else {
        fputs(sb_str(&out), stdout);
        rc = 0;
    }
    sb_free(&out);
    journal_free(j);
    return rc;
}

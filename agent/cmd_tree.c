/*
 * cmd_tree.c: `grove tree RUN`: the search tree of a run, read from its git
 * journal (so it works on a finished, a running or a crashed run).
 */
#include "commands.h"
#include "run.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char summary_tree[] = "print a run's search tree";
const char usage_tree[] =
    "usage: grove tree RUN_DIR [--json]\n\n"
    "Prints the aligned tree of a run: node id, stage, score, buggy mark, best star,\n"
    "script time and the exception of buggy nodes; the final selection's finalists\n"
    "are noted with their hidden-holdout score, the final pick and why it won. --json prints the run's journal\n"
    "(every node with plan, code and scores) as one JSON document instead.\n";

int cmd_tree(int argc, char **argv)
{
    const char *dir = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!dir && argv[i][0] != '-')
            dir = argv[i];
        else
            return cmd_bad_arg("tree", argv[i]);
    }
    if (!dir)
        return cmd_usage("tree", 1);
    journal *j;
    search_tree *t;
    char *metric;
    if (run_open_view(dir, &j, &t, &metric) < 0) {
        fprintf(stderr, "grove tree: %s\n", err_last());
        return 1;
    }
    if (json) {
        char *tmp = xasprintf("/tmp/grove-tree-%d", (int)getpid());
        mkdir_p(tmp, 0700);
        char *text = NULL;
        char *path = path_join(tmp, "journal.json");
        if (node_export_journal(t, tmp) == 0 && file_read(path, &text, NULL) == 0)
            fputs(text, stdout);
        free(text);
        free(path);
        rm_rf(tmp);
        free(tmp);
    } else {
        tree_marks m;
        int has = tree_marks_load(&m, dir) == 0;
        char *reason = has ? tree_selection_text(dir, m.pick) : NULL;
        char *why = reason ? strstr(reason, "the final pick: ") : NULL;
        if (why)
            why[strcspn(why, "\n")] = 0;
        char *out = tree_render_marked(t, metric, has ? &m : NULL,
                                       why ? why + strlen("the final pick: ") : NULL);
        fputs(out, stdout);
        free(out);
        free(reason);
        if (has)
            tree_marks_free(&m);
    }
    free(metric);
    search_tree_free(t);
    journal_free(j);
    return 0;
}

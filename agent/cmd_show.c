/*
 * cmd_show.c: `grove show RUN NODE`: one node as the journal holds it.
 */
#include "audit.h"
#include "commands.h"
#include "journal.h"
#include "run.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

const char summary_show[] = "show one node of a run (plan, code, output, review)";
const char usage_show[] =
    "usage: grove show RUN_DIR NODE [FILE]\n"
    "       grove show RUN_DIR --audit\n\n"
    "Prints node NODE of a run from its git journal: node.json, plan.md,\n"
    "solution.py (an ensemble node: recipe.json), review.md and output.txt. With\n"
    "FILE (e.g. solution.py), only that file, byte for byte. NODE may be `best`\n"
    "or `task`. A finalist of the final selection also shows its search and\n"
    "hidden-holdout scores (and, for the pick, why it won; RUN_DIR/selection.json).\n\n"
    "--audit prints the run's audit log (RUN_DIR/audit.jsonl): every time grove's\n"
    "grader read private answers (the holdout's, the test answers), for which\n"
    "node and why, and any open of those files that was not the grader's\n"
    "(\"unexplained\": a script run with --no-sandbox, or someone outside grove).\n";

static int show_audit(const char *run_dir)
{
    int rc = audit_print(stdout, run_dir);
    if (rc == 1)
        fprintf(stderr, "grove show: %s has no audit log (audit.jsonl); runs made before "
                "grove kept one have none\n", run_dir);
    else if (rc < 0)
        fprintf(stderr, "grove show: %s\n", err_last());
    return rc == 0 ? 0 : 1;
}

int cmd_show(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[2], "--audit"))
        return show_audit(argv[1]);
    if (argc < 3 || argc > 4)
        return cmd_usage("show", 1);
    journal *j;
    if (journal_open_read(&j, argv[1]) < 0) {
        fprintf(stderr, "grove show: %s\n", err_last());
        return 1;
    }
    int id, rc = 0;
    if (journal_parse_node(j, argv[2], &id) < 0) {
        fprintf(stderr, "grove show: %s\n", err_last());
        journal_free(j);
        return 1;
    }
    /* a node has a script or, an ensemble, a recipe: whichever it lacks is
     * left out of the listing */
    static const char *const node_files[] = {"node.json", "plan.md", "solution.py", "recipe.json",
                                             "review.md", "output.txt"};
    static const char *const task_files[] = {"config.json", "description.md", "preview.md"};
    const char *const *files = id < 0 ? task_files : node_files;
    size_t n = id < 0 ? 3 : 6;
    for (size_t i = 0; i < n; i++) {
        if (argc == 4 && strcmp(argv[3], files[i]))
            continue;
        char *text = NULL;
        int either = id >= 0 && (i == 2 || i == 3);
        if (journal_read_file(j, id, files[i], &text) < 0 && either && argc == 3) {
            free(text);
            continue;
        }
        if (!text) {
            fprintf(stderr, "grove show: %s\n", err_last());
            rc = 1;
            continue;
        }
        if (argc == 4)
            fputs(text, stdout);
        else
            printf("==> %s <==\n%s%s\n", files[i], text,
                   *text && text[strlen(text) - 1] == '\n' ? "" : "\n");
        free(text);
    }
    char *sel = argc == 3 && id >= 0 ? tree_selection_text(argv[1], id) : NULL;
    if (sel)
        printf("==> final selection <==\n%s\n", sel);
    free(sel);
    if (argc == 4 && !rc) {
        int known = 0;
        for (size_t i = 0; i < n; i++)
            known |= !strcmp(argv[3], files[i]);
        if (!known) {
            fprintf(stderr, "grove show: %s has no file '%s' (files:", id < 0 ? "the task" : "a node",
                    argv[3]);
            for (size_t i = 0; i < n; i++)
                fprintf(stderr, "%s %s", i ? "," : "", files[i]);
            fputs(")\n", stderr);
            rc = 1;
        }
    }
    journal_free(j);
    return rc;
}

/*
 * cmd_report.c: `grove report RUN|BENCH --html -o FILE`: the self-contained
 * HTML page of a run or of a bench (report_html.h).
 */
#include "commands.h"
#include "report_html.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

const char summary_report[] = "write a run's or a bench's report (--html: one self-contained page)";
const char usage_report[] =
    "usage: grove report RUN_DIR|BENCH_DIR --html -o FILE\n\n"
    "--html writes one self-contained HTML page to FILE: nothing in it is fetched\n"
    "from the network, so it opens from file:// anywhere. For a run: the search\n"
    "tree (click a node, or use the arrow keys), each node's plan, code with its\n"
    "diff against the parent, output, review, scores, times, tokens and cost;\n"
    "score, cost and tokens over time, time per stage, the configuration, and\n"
    "where the run stopped and why. It reads the run folder and its git\n"
    "repository only, so it works on a finished, a running or a killed run.\n"
    "For a bench (its run folders in BENCH/runs/): the runs per split and\n"
    "competition with their final grade and selection, each run linking to its\n"
    "own page, written beside it as RUN/report.html.\n"
    "`grove run` keeps RUN/report.html up to date by itself while it works.\n";

int cmd_report(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL;
    int html = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--html"))
            html = 1;
        else if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (!dir && argv[i][0] != '-')
            dir = argv[i];
        else
            return cmd_usage("report", 1);
    }
    if (!dir || !html || !out) {
        fprintf(stderr, "grove report: %s\n\n", !dir ? "no run or bench folder given"
                                                : !html ? "only --html is supported here"
                                                        : "--html needs -o FILE");
        return cmd_usage("report", 1);
    }
    if (!dir_exists(dir)) {
        fprintf(stderr, "grove report: %s: no such folder\n", dir);
        return 1;
    }
    char *git = path_join(dir, ".git");
    int is_run = dir_exists(git);
    free(git);
    int rc = is_run ? report_html_run(dir, out) : report_html_bench(dir, out);
    if (rc < 0) {
        fprintf(stderr, "grove report: %s\n", err_last());
        return 1;
    }
    printf("%s\n", out);
    return 0;
}

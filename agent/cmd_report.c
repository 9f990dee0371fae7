/*
 * cmd_report.c: `grove report RUN|BENCH [--json | --html -o FILE]`: what a
 * run or a bench achieved, in MLE-bench's terms (bench_report.c builds it);
 * text for people, --json for tools, --html one self-contained page
 * (report_html.h).
 */
#include "bench_driver.h"
#include "commands.h"
#include "report_html.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char summary_report[] = "the medals of a run or a bench, as MLE-bench reports them";
const char usage_report[] =
    "usage: grove report RUN|BENCH [--json]\n"
    "       grove report RUN|BENCH --html -o FILE\n"
    "\n"
    "For a bench folder (grove bench): MLE-bench's summary over every run\n"
    "(total_runs, total_runs_with_submissions, total_valid_submissions, total_medals,\n"
    "total_gold/silver/bronze_medals, total_above_median, competition_reports), then\n"
    "per competition and per split the any-medal and above-median rates with mean,\n"
    "standard error and 95% interval over seeds, the mean score, the failures, and\n"
    "the selection analysis (oracle score of the top K nodes on the test answers,\n"
    "the final submission's, and the regret). A run that failed or did not finish\n"
    "counts as a run without a medal. For a run folder: its own report.\n"
    "Normalised scores are (score - median) / (silver - median): 1.0 is silver.\n"
    "\n"
    "  --json         the report as JSON, for tools\n"
    "  --html -o FILE one self-contained HTML page, nothing fetched from the network\n"
    "                 (opens from file:// anywhere). For a run: the search tree (click a\n"
    "                 node or use the arrow keys), each node's plan, code with its diff\n"
    "                 against the parent, output, review, scores, times, tokens and cost;\n"
    "                 score, cost and tokens over time, time per stage, the configuration\n"
    "                 and where the run stopped and why; it reads the run folder and its\n"
    "                 repository only, so a running or killed run works too. For a bench:\n"
    "                 the runs per split and competition, each linking to its own page,\n"
    "                 written beside it as RUN/report.html. `grove run` keeps\n"
    "                 RUN/report.html up to date by itself while it works.\n";

/* --html: the page of a run (a folder with a repository) or of a bench. */
static int report_html(const char *dir, const char *out)
{
    if (!dir_exists(dir)) {
        fprintf(stderr, "grove report: %s: no such folder\n", dir);
        return 1;
    }
    char *git = path_join(dir, ".git");
    int is_run = dir_exists(git);
    free(git);
    if ((is_run ? report_html_run(dir, out) : report_html_bench(dir, out)) < 0) {
        fprintf(stderr, "grove report: %s\n", err_last());
        return 1;
    }
    printf("%s\n", out);
    return 0;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* "mean ± sem [lo, hi]" of a bench_stats object, scaled. */
static void stat_text(char *buf, size_t n, const cJSON *s, double scale, int decimals)
{
    double m = num(s, "mean") * scale, e = num(s, "sem") * scale;
    if (isnan(m))
        snprintf(buf, n, "-");
    else if (isnan(e))
        snprintf(buf, n, "%.*f", decimals, m);
    else
        snprintf(buf, n, "%.*f +- %.*f [%.*f, %.*f]", decimals, m, decimals, e, decimals,
                 num(s, "ci95_low") * scale, decimals, num(s, "ci95_high") * scale);
}

static void print_totals(FILE *f, const cJSON *rep)
{
    fprintf(f, "runs %.0f: %.0f with a submission, %.0f valid, %.0f medals (gold %.0f, silver "
            "%.0f, bronze %.0f), %.0f above the median\n", num(rep, "total_runs"),
            num(rep, "total_runs_with_submissions"), num(rep, "total_valid_submissions"),
            num(rep, "total_medals"), num(rep, "total_gold_medals"),
            num(rep, "total_silver_medals"), num(rep, "total_bronze_medals"),
            num(rep, "total_above_median"));
}

static void print_competitions(FILE *f, const cJSON *comps)
{
    int w = 11;
    const cJSON *c;
    cJSON_ArrayForEach(c, comps) {
        int l = (int)strlen(cJSON_GetStringValue(cJSON_GetObjectItem(c, "competition_id")));
        w = l > w ? l : w;
    }
    fprintf(f, "\n%-*s  runs  %-26s %-26s %-12s %s\n", w, "competition", "any medal %",
            "above median %", "mean score", "regret (mean)");
    cJSON_ArrayForEach(c, comps) {
        char medal[64], median[64], score[64], regret[64];
        stat_text(medal, sizeof medal, cJSON_GetObjectItem(c, "any_medal"), 100, 0);
        stat_text(median, sizeof median, cJSON_GetObjectItem(c, "above_median"), 100, 0);
        snprintf(score, sizeof score, "%.5f", num(cJSON_GetObjectItem(c, "score"), "mean"));
        const cJSON *an = cJSON_GetObjectItem(c, "analysis");
        snprintf(regret, sizeof regret, "%.5f",
                 num(cJSON_GetObjectItem(an, "regret"), "mean"));
        fprintf(f, "%-*s  %.0f/%-2.0f  %-26s %-26s %-12s %s\n", w,
                cJSON_GetStringValue(cJSON_GetObjectItem(c, "competition_id")),
                num(c, "finished"), num(c, "runs"), medal, median,
                strcmp(score, "nan") ? score : "-", strcmp(regret, "nan") ? regret : "-");
    }
}

static void print_splits(FILE *f, const cJSON *splits)
{
    fprintf(f, "\n%-10s %5s %5s  %-30s %-30s %s\n", "split", "comps", "runs",
            "any medal % (mean +- SE [95%])", "above median %", "regret (normalised)");
    const cJSON *s;
    cJSON_ArrayForEach(s, splits) {
        char medal[64], median[64], regret[64];
        stat_text(medal, sizeof medal, cJSON_GetObjectItem(s, "any_medal_pct"), 1, 1);
        stat_text(median, sizeof median, cJSON_GetObjectItem(s, "above_median_pct"), 1, 1);
        stat_text(regret, sizeof regret, cJSON_GetObjectItem(cJSON_GetObjectItem(s, "analysis"),
                                                             "regret_normalised"), 1, 4);
        fprintf(f, "%-10s %5.0f %5.0f  %-30s %-30s %s\n",
                cJSON_GetStringValue(cJSON_GetObjectItem(s, "split")), num(s, "competitions"),
                num(s, "runs"), medal, median, regret);
    }
}

static void print_failures(FILE *f, const cJSON *reports)
{
    const cJSON *r;
    int n = 0;
    cJSON_ArrayForEach(r, reports) {
        const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(r, "failure"));
        if (!why)
            continue;
        if (!n++)
            fprintf(f, "\nfailures (each counts as a run without a medal):\n");
        fprintf(f, "  %s seed %.0f: %s\n",
                cJSON_GetStringValue(cJSON_GetObjectItem(r, "competition_id")),
                num(r, "seed"), why);
    }
}

/* The final selection (RUN/selection.json): each finalist's search and
 * hidden scores, the pick and its reason. */
static void print_selection(FILE *f, const cJSON *sel)
{
    if (!cJSON_IsObject(sel))
        return;
    const char *rule = cJSON_GetStringValue(cJSON_GetObjectItem(sel, "rule"));
    fprintf(f, "final selection (%s):\n", rule && !strcmp(rule, "hidden")
            ? "the top by search score, graded on the hidden holdout" : "best search score");
    const cJSON *n;
    cJSON_ArrayForEach(n, cJSON_GetObjectItem(sel, "finalists")) {
        fprintf(f, "  node %-4.0f search %-10.5f", num(n, "id"), num(n, "search_score"));
        if (cJSON_GetObjectItem(n, "hidden_score"))
            fprintf(f, " hidden %.5f", num(n, "hidden_score"));
        fprintf(f, "%s\n", num(n, "id") == num(sel, "pick") ? "  <- pick" : "");
    }
    const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(sel, "reason"));
    if (why)
        fprintf(f, "  %s\n", why);
}

static void print_run(FILE *f, const cJSON *r)
{
    double score = num(r, "score");
    fprintf(f, "%s seed %.0f: ", cJSON_GetStringValue(cJSON_GetObjectItem(r, "competition_id")),
            num(r, "seed"));
    if (isnan(score))
        fprintf(f, "no valid final submission\n");
    else
        fprintf(f, "test score %.5f%s%s\n", score,
                cJSON_IsTrue(cJSON_GetObjectItem(r, "gold_medal")) ? ", gold"
                : cJSON_IsTrue(cJSON_GetObjectItem(r, "silver_medal")) ? ", silver"
                : cJSON_IsTrue(cJSON_GetObjectItem(r, "bronze_medal")) ? ", bronze" : "",
                cJSON_IsTrue(cJSON_GetObjectItem(r, "above_median")) ? ", above the median" : "");
    print_selection(f, cJSON_GetObjectItem(r, "selection"));
    const cJSON *a = cJSON_GetObjectItem(r, "analysis");
    if (!cJSON_IsObject(a))
        return;
    fprintf(f, "selection analysis (top %.0f by search score, graded on the test answers):\n",
            num(a, "k"));
    const cJSON *n;
    cJSON_ArrayForEach(n, cJSON_GetObjectItem(a, "nodes"))
        fprintf(f, "  node %-4.0f search %-10.5f test %.5f\n", num(n, "id"),
                num(n, "search_score"), num(n, "test_score"));
    fprintf(f, "  oracle node %.0f %.5f, final node %.0f %.5f, regret %.5f (normalised %.4f)\n",
            num(a, "oracle_node"), num(a, "oracle_score"), num(a, "final_node"),
            num(a, "final_score"), num(a, "regret"), num(a, "regret_normalised"));
    if (cJSON_GetObjectItem(a, "search_pick_node"))
        fprintf(f, "  best search score: node %.0f %.5f, regret %.5f (normalised %.4f)\n",
                num(a, "search_pick_node"), num(a, "search_pick_score"),
                num(a, "search_pick_regret"), num(a, "search_pick_regret_normalised"));
}

void bench_report_print(FILE *f, const cJSON *rep)
{
    const cJSON *reports = cJSON_GetObjectItem(rep, "competition_reports");
    const char *bench = cJSON_GetStringValue(cJSON_GetObjectItem(rep, "bench"));
    if (bench)
        fprintf(f, "bench %s (%s, %.0f seeds)\n", bench,
                cJSON_GetStringValue(cJSON_GetObjectItem(rep, "list")), num(rep, "seeds"));
    else
        fprintf(f, "run %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(rep, "run")));
    print_totals(f, rep);
    if (bench) {
        print_competitions(f, cJSON_GetObjectItem(rep, "competitions"));
        print_splits(f, cJSON_GetObjectItem(rep, "splits"));
    } else {
        print_run(f, cJSON_GetArrayItem(reports, 0));
    }
    print_failures(f, reports);
}

int cmd_report(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL;
    int json = 0, html = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--html"))
            html = 1;
        else if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (argv[i][0] != '-' && !dir)
            dir = argv[i];
        else {
            fprintf(stderr, "grove report: unknown option '%s'\n\n", argv[i]);
            return cmd_usage("report", 1);
        }
    }
    if (!dir || (html && !out) || (out && !html) || (html && json)) {
        fprintf(stderr, "grove report: %s\n\n",
                !dir ? "no run or bench folder given"
                : html && json ? "--html and --json are two different reports: give one"
                : html ? "--html needs -o FILE" : "-o FILE goes with --html");
        return cmd_usage("report", 1);
    }
    if (html)
        return report_html(dir, out);
    char *plan = path_join(dir, "bench.json");
    cJSON *rep = NULL;
    int rc = file_exists(plan) ? bench_report_bench(&rep, dir) : bench_report_run(&rep, dir);
    free(plan);
    if (rc < 0) {
        fprintf(stderr, "grove report: %s\n", err_last());
        return 2;
    }
    if (json) {
        char *text = cJSON_Print(rep);
        printf("%s\n", text);
        cJSON_free(text);
    } else {
        bench_report_print(stdout, rep);
    }
    cJSON_Delete(rep);
    return 0;
}

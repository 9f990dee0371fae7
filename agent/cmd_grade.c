/*
 * cmd_grade.c: `grove grade`: grade one submission, a batch in MLE-bench's
 * JSONL format, or aggregate reports over seeds (medal rates per split).
 *
 * An invalid submission still gets its report (valid_submission false and
 * the reason in "error") but exits 3, so a script can tell; a competition
 * grove cannot grade, or missing answers, is a failure (exit 1).
 */
#include "bench.h"
#include "commands.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char summary_grade[] = "grade submissions like MLE-bench (one, a batch, or aggregate)";
const char usage_grade[] =
    "usage: grove grade --competition ID --submission FILE [--answers FILE]\n"
    "                   [--data-dir DIR] [--json]\n"
    "       grove grade --batch FILE.jsonl --output-dir DIR [--data-dir DIR]\n"
    "       grove grade --aggregate REPORT.json... --seeds N [--json]\n\n"
    "One submission: prints MLE-bench's report (score rounded to 5 decimals,\n"
    "medal thresholds, any/gold/silver/bronze_medal, above_median, ...) plus\n"
    "\"error\" saying why a submission is invalid. Answers are read from\n"
    "<data>/<id>/prepared/private/, data being --data-dir, $GROVE_DATA or\n"
    "~/.cache/grove/data.\n\n"
    "--batch: lines {\"competition_id\": ..., \"submission_path\": ...}; writes\n"
    "DIR/<timestamp>_grading_report.json with MLE-bench's totals.\n\n"
    "--aggregate: reads single or batch reports; the k-th report of a\n"
    "competition belongs to seed k. Prints, per split (lite, medium, hard,\n"
    "all), the any-medal rate per seed, its mean, standard error (ddof 1) and\n"
    "mean +/- 1.96 SEM. A missing run counts as no medal.\n\n"
    "exit status: 0 graded (one submission: a valid one), 3 the submission is\n"
    "invalid (missing, unreadable, wrong rows or columns; the report is still\n"
    "printed and says why), 1 grove cannot grade it (unknown competition, no\n"
    "answers), 2 bad usage. --batch exits 0 when every line was graded, valid or not.\n";

typedef struct grade_opts {
    const char *competition, *submission, *answers, *data_dir, *batch, *output_dir;
    int json, seeds;
    const char **reports;
    int n_reports;
} grade_opts;

static int parse_args(grade_opts *o, int argc, char **argv)
{
    o->reports = calloc((size_t)argc, sizeof *o->reports);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = !strcmp(a, "--competition") ? &o->competition
                          : !strcmp(a, "--submission") ? &o->submission
                          : !strcmp(a, "--answers") ? &o->answers
                          : !strcmp(a, "--data-dir") ? &o->data_dir
                          : !strcmp(a, "--batch") ? &o->batch
                          : !strcmp(a, "--output-dir") ? &o->output_dir : NULL;
        if (slot && i + 1 < argc)
            *slot = argv[++i];
        else if (!strcmp(a, "--json"))
            o->json = 1;
        else if (!strcmp(a, "--seeds") && i + 1 < argc)
            o->seeds = atoi(argv[++i]);
        else if (!strcmp(a, "--aggregate")) {
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2))
                o->reports[o->n_reports++] = argv[++i];
            if (!o->n_reports)
                return -1;
        } else
            return -1;
    }
    return 0;
}

static char *answers_path(const bench_competition *c, const char *data_dir)
{
    char *data = bench_data_dir(data_dir);
    char *p = xasprintf("%s/%s/prepared/private/%s", data, c->id, c->answers ? c->answers : "");
    free(data);
    return p;
}

/* Grade one; on failure *r still names the competition and says why. */
static int grade_one(bench_report *r, const char *id, const char *sub, const char *answers,
                     const char *data_dir)
{
    const bench_competition *c = bench_registry_find(id);
    if (!c) {
        memset(r, 0, sizeof *r);
        r->competition_id = xstrdup(id);
        r->submission_path = xstrdup(sub);
        r->score = r->gold_threshold = r->silver_threshold = NAN;
        r->bronze_threshold = r->median_threshold = NAN;
        r->error = xstrdup(err_last());
        return -1;
    }
    char *ans = answers ? xstrdup(answers) : answers_path(c, data_dir);
    int rc = bench_grade(r, c, sub, ans);
    free(ans);
    if (rc < 0 && !r->error)
        r->error = xstrdup(err_last());
    return rc;
}

static void print_num(const char *label, double v)
{
    if (isnan(v))
        printf("%-18s -\n", label);
    else
        printf("%-18s %.6g\n", label, v);
}

static void print_human(const bench_report *r)
{
    printf("%-18s %s\n", "competition", r->competition_id);
    print_num("score", r->valid_submission ? r->score : NAN);
    const char *medal = r->gold_medal ? "gold" : r->silver_medal ? "silver"
                      : r->bronze_medal ? "bronze" : "none";
    printf("%-18s %s%s\n", "medal", medal, r->above_median ? " (above median)" : "");
    print_num("gold threshold", r->gold_threshold);
    print_num("silver threshold", r->silver_threshold);
    print_num("bronze threshold", r->bronze_threshold);
    print_num("median", r->median_threshold);
    printf("%-18s %s\n", "direction", r->is_lower_better ? "lower is better" : "higher is better");
    printf("%-18s %s\n", "valid", r->valid_submission ? "yes" : "no");
    if (r->error)
        printf("%-18s %s\n", "error", r->error);
}

static int run_single(const grade_opts *o)
{
    bench_report r;
    int rc = grade_one(&r, o->competition, o->submission, o->answers, o->data_dir);
    if (rc < 0) {
        fprintf(stderr, "grove grade: %s\n", err_last());
        bench_report_free(&r);
        return 1;
    }
    if (o->json) {
        cJSON *j = bench_report_json(&r);
        char *text = cJSON_Print(j);
        printf("%s\n", text);
        free(text);
        cJSON_Delete(j);
    } else {
        print_human(&r);
    }
    int valid = r.valid_submission;
    bench_report_free(&r);
    return valid ? 0 : 3;
}

static void add_totals(cJSON *o, cJSON *list)
{
    int t[8] = {0};
    const char *keys[8] = {"total_runs", "total_runs_with_submissions",
                           "total_valid_submissions", "total_medals", "total_gold_medals",
                           "total_silver_medals", "total_bronze_medals", "total_above_median"};
    cJSON *r;
    cJSON_ArrayForEach(r, list) {
        int g = cJSON_IsTrue(cJSON_GetObjectItem(r, "gold_medal"));
        int s = cJSON_IsTrue(cJSON_GetObjectItem(r, "silver_medal"));
        int b = cJSON_IsTrue(cJSON_GetObjectItem(r, "bronze_medal"));
        t[0]++;
        t[1] += cJSON_IsTrue(cJSON_GetObjectItem(r, "submission_exists"));
        t[2] += cJSON_IsTrue(cJSON_GetObjectItem(r, "valid_submission"));
        t[3] += g + s + b;
        t[4] += g;
        t[5] += s;
        t[6] += b;
        t[7] += cJSON_IsTrue(cJSON_GetObjectItem(r, "above_median"));
    }
    for (int i = 0; i < 8; i++)
        cJSON_AddNumberToObject(o, keys[i], t[i]);
}

/* One JSONL line graded into list; < 0 when the line or the competition is bad. */
static int batch_line(cJSON *list, char *line, size_t lineno, const grade_opts *o)
{
    cJSON *j = cJSON_Parse(line);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(j, "competition_id"));
    const char *sub = cJSON_GetStringValue(cJSON_GetObjectItem(j, "submission_path"));
    int rc = 0;
    if (!id || !sub) {
        fprintf(stderr, "grove grade: %s: line %zu: want {\"competition_id\": ..., "
                "\"submission_path\": ...}\n", o->batch, lineno);
        rc = -1;
    } else {
        bench_report r;
        if (grade_one(&r, id, sub, NULL, o->data_dir) < 0) {
            fprintf(stderr, "grove grade: %s: line %zu: %s\n", o->batch, lineno, r.error);
            rc = -1;
        }
        cJSON_AddItemToArray(list, bench_report_json(&r));
        bench_report_free(&r);
    }
    cJSON_Delete(j);
    return rc;
}

static int run_batch(const grade_opts *o)
{
    char *text;
    if (file_read(o->batch, &text, NULL) < 0) {
        fprintf(stderr, "grove grade: %s\n", err_last());
        return 1;
    }
    cJSON *list = cJSON_CreateArray();
    int failed = 0;
    size_t lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        line += strspn(line, " \t\r");
        if (*line && *line != '#')
            failed |= batch_line(list, line, lineno, o) < 0;
    }
    free(text);
    cJSON *out = cJSON_CreateObject();
    add_totals(out, list);
    cJSON_AddItemToObject(out, "competition_reports", list);
    char stamp[64];
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H-%M-%S-UTC", gmtime(&now));
    char *path = xasprintf("%s/%s_grading_report.json", o->output_dir, stamp);
    char *json = cJSON_Print(out);
    int rc = mkdir_p(o->output_dir, 0755) < 0 || file_write_str(path, json) < 0;
    if (rc)
        fprintf(stderr, "grove grade: %s\n", err_last());
    else
        printf("%s\n", path);
    free(json);
    free(path);
    cJSON_Delete(out);
    return rc || failed;
}

static int grade_aggregate(const char **reports, int n_reports, int seeds, int json);

int cmd_grade(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv))
        return cmd_usage("grade", 0);
    grade_opts o = {0};
    int rc = 2;
    if (parse_args(&o, argc, argv) < 0)
        rc = cmd_usage("grade", 1);
    else if (o.n_reports && o.seeds > 0)
        rc = grade_aggregate(o.reports, o.n_reports, o.seeds, o.json);
    else if (o.batch && o.output_dir)
        rc = run_batch(&o);
    else if (o.competition && o.submission && !o.batch && !o.n_reports)
        rc = run_single(&o);
    else
        rc = cmd_usage("grade", 1);
    free(o.reports);
    return rc;
}

static void print_split(const char *name, const cJSON *s)
{
    double sem = cJSON_GetNumberValue(cJSON_GetObjectItem(s, "sem"));
    printf("%-7s %5d  %6.2f%%", name,
           (int)cJSON_GetNumberValue(cJSON_GetObjectItem(s, "n_competitions")),
           cJSON_GetNumberValue(cJSON_GetObjectItem(s, "mean")));
    if (isnan(sem))
        printf("  (one seed: no SEM)\n");
    else
        printf(" +/- %5.2f  [%.2f, %.2f]\n", sem,
               cJSON_GetNumberValue(cJSON_GetObjectItem(s, "ci95_low")),
               cJSON_GetNumberValue(cJSON_GetObjectItem(s, "ci95_high")));
}

static int grade_aggregate(const char **reports, int n_reports, int seeds, int json)
{
    cJSON **docs = xcalloc((size_t)n_reports, sizeof *docs);
    int rc = 0;
    for (int i = 0; i < n_reports && rc == 0; i++) {
        char *text;
        if (file_read(reports[i], &text, NULL) < 0) {
            rc = -1;
            break;
        }
        docs[i] = cJSON_Parse(text);
        free(text);
        if (!docs[i])
            rc = err_set("%s: not valid JSON", reports[i]);
    }
    cJSON *out = NULL;
    if (rc == 0)
        rc = bench_aggregate(&out, docs, (size_t)n_reports, seeds);
    for (int i = 0; i < n_reports; i++)
        cJSON_Delete(docs[i]);
    free(docs);
    if (rc < 0) {
        fprintf(stderr, "grove grade: %s\n", err_last());
        return 1;
    }
    if (json) {
        char *text = cJSON_Print(out);
        printf("%s\n", text);
        free(text);
    } else {
        const cJSON *splits = cJSON_GetObjectItem(out, "splits"), *s;
        printf("%-7s %5s  %s (%d seeds)\n", "split", "comps", "any medal, mean +/- SEM [95%]",
               seeds);
        cJSON_ArrayForEach(s, splits)
            print_split(s->string, s);
    }
    cJSON_Delete(out);
    return 0;
}

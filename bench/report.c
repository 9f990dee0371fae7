/*
 * report.c: a grading report with MLE-bench's semantics, the data folder, and
 * bench_metric over tables already in memory.
 *
 * MLE-bench rounds the score to 5 decimals (Python's round(), correctly
 * rounded from the binary value: printf("%.5f") rounds the same way), then
 * compares with the raw leaderboard thresholds: a medal is won on a tie, only
 * the best medal counts, above_median is strict. An invalid submission keeps
 * the thresholds and has every flag false.
 */
#include "bench.h"
#include "grade.h"
#include "grade_data.h"
#include "metrics.h"
#include "util.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static double round5(double x)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.5f", x);
    return strtod(buf, NULL);
}

static int at_least(double score, double threshold, int lower_better)
{
    return lower_better ? score <= threshold : score >= threshold;
}

static void rank(bench_report *r)
{
    double s = r->score;
    int lb = r->is_lower_better;
    if (!r->valid_submission || isnan(s))
        return;
    r->gold_medal = at_least(s, r->gold_threshold, lb);
    r->silver_medal = !r->gold_medal && at_least(s, r->silver_threshold, lb);
    r->bronze_medal = !r->gold_medal && !r->silver_medal && at_least(s, r->bronze_threshold, lb);
    r->any_medal = r->gold_medal || r->silver_medal || r->bronze_medal;
    r->above_median = lb ? s < r->median_threshold : s > r->median_threshold;
}

static int is_csv_name(const char *path)
{
    size_t n = strlen(path);
    return n >= 4 && path[n - 4] == '.' && tolower((unsigned char)path[n - 3]) == 'c' &&
           tolower((unsigned char)path[n - 2]) == 's' &&
           tolower((unsigned char)path[n - 1]) == 'v';
}

/* The time now as MLE-bench writes it: Python's datetime.now().isoformat(),
 * local time with no zone, microseconds unless there are none; so its
 * CompetitionReport.from_dict (datetime.fromisoformat) reads grove's reports
 * on every Python version. */
static void created_now(char *buf, size_t n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    size_t len = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
    long us = ts.tv_nsec / 1000;
    if (us && len + 8 <= n)
        snprintf(buf + len, n - len, ".%06ld", us);
}

static void report_init(bench_report *out, const bench_competition *comp, const char *sub)
{
    memset(out, 0, sizeof *out);
    out->competition_id = xstrdup(comp->id);
    out->score = out->score_raw = NAN;
    out->gold_threshold = comp->gold;
    out->silver_threshold = comp->silver;
    out->bronze_threshold = comp->bronze;
    out->median_threshold = comp->median;
    out->is_lower_better = comp->lower_is_better;
    char ts[40];
    created_now(ts, sizeof ts);
    out->created_at = xstrdup(ts);
    out->submission_path = xstrdup(sub);
}

static char *default_answers(const bench_competition *comp)
{
    char *data = bench_data_dir(NULL);
    char *path = xasprintf("%s/%s/prepared/private/%s", data, comp->id, comp->answers);
    free(data);
    return path;
}

/* A submission holds a row per answer, with predictions a few times longer
 * than the answers' values at most (probabilities for one-hot labels, extra
 * boxes). One far larger than that is not read at all: the grader's memory
 * grows with a submission's rows and their length, and a candidate script
 * writes whatever it likes (a sparse file of gigabytes costs it nothing). */
enum { SUB_RATIO = 64 };
#define SUB_SLACK ((long long)256 << 20)

static int too_large(bench_report *out, const char *sub, const char *answers)
{
    struct stat ss, as;
    if (stat(sub, &ss) < 0 || stat(answers, &as) < 0 || !S_ISREG(as.st_mode))
        return 0;
    long long max = SUB_SLACK + SUB_RATIO * (long long)as.st_size;
    if ((long long)ss.st_size <= max)
        return 0;
    out->error = xasprintf("submission %s is larger than any submission for these answers "
                           "can be (%lld bytes; at most %lld: %d times the answers' size and "
                           "%lld MiB): not read", sub, (long long)ss.st_size, max, SUB_RATIO,
                           SUB_SLACK >> 20);
    return 1;
}

int bench_grade(bench_report *out, const bench_competition *comp,
                const char *submission_path, const char *answers_path)
{
    report_init(out, comp, submission_path);
    if (!comp->graded)
        return err_set("%s: not graded by grove yet: %s", comp->id,
                       comp->not_yet_reason ? comp->not_yet_reason : "no reason given");
    char *owned = answers_path ? NULL : default_answers(comp);
    const char *answers = answers_path ? answers_path : owned;
    if (!file_exists(answers)) {
        err_set("%s: answers not found at %s (prepare the competition, or pass "
                "--data-dir / set GROVE_DATA)", comp->id, answers);
        free(owned);
        return -1;
    }
    out->submission_exists = file_exists(submission_path) && is_csv_name(submission_path);
    int rc = 0;
    if (!out->submission_exists) {
        out->error = xasprintf("submission %s %s", submission_path,
                               file_exists(submission_path) ? "is not a .csv file"
                                                            : "does not exist");
        goto done;
    }
    if (too_large(out, submission_path, answers))
        goto done;
    grade_data g;
    rc = grade_load(&g, comp, submission_path, answers);
    double score = NAN;
    if (rc == 0 && !g.why)
        rc = grade_score(&score, &g);
    if (rc == 0 && g.why)
        out->error = xstrdup(g.why);
    else if (rc == 0) {
        out->valid_submission = 1;
        out->score = round5(score);
        out->score_raw = score;
    }
    grade_free(&g);
    rank(out);
done:
    free(owned);
    return rc;
}

static void add_num(cJSON *o, const char *key, double v)
{
    if (isnan(v))
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddNumberToObject(o, key, v);
}

cJSON *bench_report_json(const bench_report *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "competition_id", r->competition_id ? r->competition_id : "");
    add_num(o, "score", r->valid_submission ? r->score : NAN);
    add_num(o, "gold_threshold", r->gold_threshold);
    add_num(o, "silver_threshold", r->silver_threshold);
    add_num(o, "bronze_threshold", r->bronze_threshold);
    add_num(o, "median_threshold", r->median_threshold);
    const struct {
        const char *key;
        int on;
    } flags[] = {{"any_medal", r->any_medal}, {"gold_medal", r->gold_medal},
                 {"silver_medal", r->silver_medal}, {"bronze_medal", r->bronze_medal},
                 {"above_median", r->above_median}, {"submission_exists", r->submission_exists},
                 {"valid_submission", r->valid_submission},
                 {"is_lower_better", r->is_lower_better}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        cJSON_AddBoolToObject(o, flags[i].key, flags[i].on);
    cJSON_AddStringToObject(o, "created_at", r->created_at ? r->created_at : "");
    /* a path or a quoted cell may hold any bytes; JSON text is UTF-8 */
    char *path = utf8_dup(r->submission_path ? r->submission_path : ""),
         *error = utf8_dup(r->error);
    cJSON_AddStringToObject(o, "submission_path", path);
    if (error)
        cJSON_AddStringToObject(o, "error", error);
    else
        cJSON_AddNullToObject(o, "error");
    free(path);
    free(error);
    return o;
}

void bench_report_free(bench_report *r)
{
    free(r->competition_id);
    free(r->created_at);
    free(r->submission_path);
    free(r->error);
    memset(r, 0, sizeof *r);
}

char *bench_data_dir(const char *flag)
{
    if (flag && *flag)
        return xstrdup(flag);
    const char *env = getenv("GROVE_DATA");
    if (env && *env)
        return xstrdup(env);
    const char *home = getenv("HOME");
    return xasprintf("%s/.cache/grove/data", home && *home ? home : ".");
}

/* ---- bench_metric over tables ------------------------------------------- */

static int table_column(const bench_csv *t, const char *name, const char *which)
{
    int c = bench_csv_col(t, name);
    if (c < 0)
        err_set("%s table lacks the column '%s'", which, name);
    return c;
}

/* nan_ok (k flags, or NULL): columns where an empty cell reads as NaN. */
static int table_values(double *dst, const bench_csv *t, const int *cols, size_t k,
                        const unsigned char *nan_ok, const char *which)
{
    for (size_t i = 0; i < t->n_rows; i++)
        for (size_t j = 0; j < k; j++) {
            if (cols[j] < 0) { /* a submission-only column, in the answers */
                dst[i * k + j] = NAN;
                continue;
            }
            const char *cell = bench_csv_cell(t, i, (size_t)cols[j]);
            char *end;
            double v = strtod(cell, &end);
            if (!*cell && nan_ok && nan_ok[j]) {
                dst[i * k + j] = NAN;
                continue;
            }
            if (!*cell || *end || !isfinite(v))
                return err_set("%s line %zu, column '%s': '%s' is not a finite number",
                               which, t->row_line[i], t->header[cols[j]], cell);
            dst[i * k + j] = v;
        }
    return 0;
}

/* Is name one of the comma-separated names in list (with the marker
 * character mark before it, or none when mark is 0)? */
static int in_list(const char *list, const char *name, char mark)
{
    size_t len = strlen(name);
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        /* "?name" is a plain target whose answers may be empty */
        int skip = *p && strchr("+-=?", *p);
        if ((mark ? *p == mark : !skip || *p == '?') && n - skip == len &&
            !strncmp(p + skip, name, len))
            return 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

int bench_metric(double *out, const char *metric, const bench_competition *comp,
                 const bench_csv *answers, const bench_csv *submission)
{
    *out = NAN;
    int flags = metric_flags(metric);
    if (!flags)
        return err_set("unknown metric '%s'", metric);
    if (answers->n_rows != submission->n_rows)
        return err_set("metric %s: %zu answer rows but %zu submission rows", metric,
                       answers->n_rows, submission->n_rows);
    size_t k = 0, n = answers->n_rows, width = 2 * answers->n_cols + submission->n_cols + 1;
    int *ac = xmalloc(width * sizeof *ac);
    int *sc = xmalloc(width * sizeof *sc);
    unsigned char *sub_only = xcalloc(width, 1), *ans_nan = xcalloc(width, 1);
    const char **names = xmalloc(width * sizeof *names);
    const char **group = NULL;
    const char *spec = comp && comp->target_cols ? comp->target_cols : "*";
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < answers->n_cols; i++) {
        const char *name = answers->header[i];
        int is_id = comp && comp->id_col && !strcmp(name, comp->id_col);
        if (!group && strcmp(spec, "*") && in_list(spec, name, '=')) {
            group = xmalloc((n + 1) * sizeof *group);
            for (size_t r = 0; r < n; r++)
                group[r] = bench_csv_cell(answers, r, i);
        }
        if (!strcmp(spec, "*") ? is_id : !in_list(spec, name, 0))
            continue;
        ac[k] = (int)i;
        names[k] = name;
        ans_nan[k] = in_list(spec, name, '?');
        sc[k] = table_column(submission, name, "submission");
        rc = sc[k++] < 0 ? -1 : 0;
    }
    for (size_t i = 0; rc == 0 && strcmp(spec, "*") && i < answers->n_cols; i++) {
        if (!in_list(spec, answers->header[i], '-'))
            continue;
        ac[k] = (int)i; /* "-name": the answers' only */
        sc[k] = -1;
        ans_nan[k] = 1;
        names[k++] = answers->header[i];
    }
    for (size_t i = 0; rc == 0 && strcmp(spec, "*") && i < submission->n_cols; i++) {
        if (!in_list(spec, submission->header[i], '+'))
            continue;
        ac[k] = -1; /* "+name": the submission's only (see bench.h) */
        sc[k] = (int)i;
        sub_only[k] = 1;
        names[k++] = submission->header[i];
    }
    double *y = NULL, *p = NULL;
    if (rc == 0 && !k)
        rc = err_set("metric %s: no target columns", metric);
    if (rc == 0 && (flags & METRIC_STRING)) {
        /* string metrics read one column: gather it into row arrays */
        const char **ys = xmalloc(n * sizeof *ys), **ps = xmalloc(n * sizeof *ps);
        for (size_t i = 0; i < n; i++) {
            ys[i] = bench_csv_cell(answers, i, (size_t)ac[0]);
            ps[i] = bench_csv_cell(submission, i, (size_t)sc[0]);
        }
        metric_input in = {.n = n, .k = 1, .ys = ys, .ps = ps, .cols = names,
                           .lines = submission->row_line, .group = group};
        rc = metric_compute(out, metric, &in);
        free(ys);
        free(ps);
    } else if (rc == 0) {
        y = xmalloc(n * k * sizeof *y);
        p = xmalloc(n * k * sizeof *p);
        rc = table_values(y, answers, ac, k, ans_nan, "answers");
        if (rc == 0)
            rc = table_values(p, submission, sc, k, sub_only, "submission");
        metric_input in = {.n = n, .k = k, .y = y, .p = p, .cols = names, .group = group};
        if (rc == 0)
            rc = metric_compute(out, metric, &in);
    }
    free(group);
    free(sub_only);
    free(ans_nan);
    free(y);
    free(p);
    free(ac);
    free(sc);
    free(names);
    return rc > 0 ? -1 : rc; /* 1: the submission's values are rejected */
}

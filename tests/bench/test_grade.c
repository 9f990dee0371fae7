/*
 * test_grade.c: the registry (all of split75, thresholds against values
 * worked out by hand from the leaderboards), medal rules (ties win, strict
 * above_median, only the best medal, rounding to 5 decimals), reports for
 * invalid submissions, not-yet competitions, the data folder, aggregation.
 */
#include "bench.h"
#include "check.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/grove_test_grade_XXXXXX";

static char *put(const char *name, const char *text)
{
    char *p = path_join(dir, name);
    file_write_str(p, text);
    return p;
}

static void test_registry(void)
{
    size_t n, in75 = 0, lite_graded = 0;
    const bench_competition *all = bench_registry_all(&n);
    for (size_t i = 0; i < n; i++) {
        const char *s = all[i].split;
        int member = !strcmp(s, "lite") || !strcmp(s, "medium") || !strcmp(s, "hard");
        in75 += member;
        lite_graded += !strcmp(s, "lite") && all[i].graded;
        if (member && !all[i].graded)
            CHECK_MSG(all[i].not_yet_reason && all[i].not_yet_reason[0], "%s", all[i].id);
    }
    CHECK(in75 == 75);
    CHECK(lite_graded == 22);
    /* by hand: 50 teams -> gold at int(0.1*50)=5, silver 10, bronze 20, median
     * (pos 25 + pos 26) / 2 = (0.77897 + 0.77787) / 2 */
    const bench_competition *c = bench_registry_find("detecting-insults-in-social-commentary");
    CHECK(c && c->n_teams == 50);
    if (c) {
        CHECK_NEAR(c->gold, 0.83321, 1e-12);
        CHECK_NEAR(c->silver, 0.82307, 1e-12);
        CHECK_NEAR(c->bronze, 0.79111, 1e-12);
        CHECK_NEAR(c->median, 0.77842, 1e-12);
        CHECK(!c->lower_is_better);
    }
    /* 162 teams -> gold pos 10, silver int(32.4)=32, bronze int(64.8)=64,
     * median (pos 81 + pos 82) / 2; RMSE: lower is better */
    c = bench_registry_find("denoising-dirty-documents");
    CHECK(c && c->n_teams == 162 && c->lower_is_better);
    if (c) {
        CHECK_NEAR(c->gold, 0.01794, 1e-12);
        CHECK_NEAR(c->silver, 0.02609, 1e-12);
        CHECK_NEAR(c->bronze, 0.04517, 1e-12);
        CHECK_NEAR(c->median, (0.07300 + 0.07350) / 2, 1e-12);
    }
    CHECK(bench_registry_find("no-such-competition") == NULL);
    CHECK(strstr(err_last(), "unknown competition 'no-such-competition'") != NULL);
}

static void test_medals(void)
{
    const bench_competition *c = bench_registry_find("detecting-insults-in-social-commentary");
    bench_competition t = *c;
    t.gold = 1.0; /* a perfect AUC ties gold: ties win */
    t.silver = 0.9;
    t.bronze = 0.8;
    t.median = 1.0;
    char *a = put("answers.csv", "Comment,Insult\n\"you, there\",1\nhi,0\nhi,0\nbye,1\n");
    char *s = put("sub.csv", "Comment,Insult\nhi,0.2\nbye,0.9\n\"you, there\",0.8\nhi,0.1\n");
    bench_report r;
    CHECK(bench_grade(&r, &t, s, a) == 0);
    CHECK(r.valid_submission && r.submission_exists);
    CHECK(r.score == 1.0 && r.gold_medal && r.any_medal && !r.silver_medal);
    CHECK(!r.above_median); /* strict */
    cJSON *j = bench_report_json(&r);
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "error")));
    CHECK(cJSON_GetObjectItem(j, "created_at") != NULL);
    cJSON_Delete(j);
    bench_report_free(&r);
    /* rounding to 5 decimals before comparing: 2/3 -> 0.66667 */
    char *a2 = put("a2.csv", "Comment,Insult\na,1\nb,0\nc,1\nd,0\ne,1\nf,0\n");
    char *s2 = put("s2.csv", "Comment,Insult\na,0.9\nb,0.8\nc,0.25\nd,0.2\ne,0.7\nf,0.3\n");
    t.gold = 0.7;
    t.silver = 0.66667;
    CHECK(bench_grade(&r, &t, s2, a2) == 0);
    CHECK_NEAR(r.score, 0.66667, 1e-15);
    CHECK(r.silver_medal && !r.gold_medal && !r.bronze_medal);
    bench_report_free(&r);
    /* invalid: score null, flags false, thresholds kept, reason given */
    char *bad = put("bad.csv", "Comment,Insult\nhi,x\n");
    CHECK(bench_grade(&r, &t, bad, a) == 0);
    CHECK(!r.valid_submission && !r.any_medal && r.error);
    CHECK(strstr(r.error, "line 2, column 'Insult'") != NULL);
    j = bench_report_json(&r);
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "score")));
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "silver_threshold")) == 0.66667);
    cJSON_Delete(j);
    bench_report_free(&r);
    char *missing = path_join(dir, "nope.csv");
    CHECK(bench_grade(&r, &t, missing, a) == 0);
    CHECK(!r.submission_exists && !r.valid_submission);
    bench_report_free(&r);
    free(missing);
    free(bad);
    free(a2);
    free(s2);
    free(a);
    free(s);
}

/* A submission far larger than its answers could justify is refused before
 * it is read: a script's sparse file of a gigabyte (one "row" of NULs, no
 * disk used) made the grader grow its window and row buffer to the whole
 * file, two gigabytes of memory; with the 8 GB file limit, more. */
static void test_huge_submission(void)
{
    const bench_competition *c = bench_registry_find("detecting-insults-in-social-commentary");
    char *a = put("ha.csv", "Comment,Insult\nhi,0\nbye,1\n");
    char *s = put("hs.csv", "Comment,Insult\nhi,0.2\nbye,0.9\n");
    CHECK(truncate(s, (off_t)1 << 30) == 0);
    bench_report r;
    double t0 = clock_mono();
    CHECK(bench_grade(&r, c, s, a) == 0);
    CHECK(r.submission_exists && !r.valid_submission);
    CHECK_MSG(r.error && strstr(r.error, "larger than"), "%s", r.error ? r.error : "(no error)");
    CHECK(clock_mono() - t0 < 1);
    bench_report_free(&r);
    free(a);
    free(s);
}

static void test_not_yet(void)
{
    /* every competition of split75 is graded today; one that is not must be
     * refused with its reason, never scored */
    const bench_competition *c = bench_registry_find("aerial-cactus-identification");
    bench_competition not_yet = *c;
    not_yet.graded = 0;
    not_yet.not_yet_reason = "its grader is not reproduced";
    bench_report r;
    CHECK(bench_grade(&r, &not_yet, "x.csv", "y.csv") < 0);
    CHECK_MSG(strstr(err_last(), "not graded by grove yet: its grader is not reproduced"),
              "%s", err_last());
    bench_report_free(&r);
    /* graded without a leaderboard: thresholds unknown, the metric's direction */
    const bench_competition *v = bench_registry_find("ventilator-pressure-prediction");
    CHECK(v && v->graded && v->n_teams == 0 && isnan(v->gold) && isnan(v->median) &&
          v->lower_is_better && !strcmp(v->thresholds_kind, "none"));
    setenv("GROVE_DATA", dir, 1);
    CHECK(bench_grade(&r, c, "x.csv", NULL) < 0);
    CHECK_MSG(strstr(err_last(), "prepared/private/test.csv") != NULL, "%s", err_last());
    bench_report_free(&r);
    char *d = bench_data_dir("/flag");
    CHECK_STR(d, "/flag");
    free(d);
    d = bench_data_dir(NULL);
    CHECK_STR(d, dir);
    free(d);
}

static void test_aggregate(void)
{
    /* 2 seeds; seed 0: 2 lite medals, seed 1: 1 of 22 */
    const char *text = "{\"competition_reports\": ["
        "{\"competition_id\": \"aerial-cactus-identification\", \"any_medal\": true},"
        "{\"competition_id\": \"leaf-classification\", \"any_medal\": true},"
        "{\"competition_id\": \"aerial-cactus-identification\", \"any_medal\": true},"
        "{\"competition_id\": \"leaf-classification\", \"any_medal\": false}]}";
    cJSON *doc = cJSON_Parse(text), *out = NULL;
    CHECK(bench_aggregate(&out, &doc, 1, 2) == 0);
    cJSON *lite = cJSON_GetObjectItem(cJSON_GetObjectItem(out, "splits"), "lite");
    double a = 200.0 / 22, b = 100.0 / 22, mean = (a + b) / 2;
    double sem = sqrt(((a - mean) * (a - mean) + (b - mean) * (b - mean)) / 1) / sqrt(2);
    CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(lite, "mean")), mean, 1e-12);
    CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(lite, "sem")), sem, 1e-12);
    CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(lite, "ci95_low")), mean - 1.96 * sem,
               1e-12);
    cJSON *all = cJSON_GetObjectItem(cJSON_GetObjectItem(out, "splits"), "all");
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(all, "n_competitions")) == 75);
    cJSON_Delete(out);
    cJSON_Delete(doc);
    cJSON *junk = cJSON_Parse("{\"x\": 1}");
    CHECK(bench_aggregate(&out, &junk, 1, 2) < 0);
    cJSON_Delete(junk);
}

/* Grade 100 rows listed in reverse (so the id hash and the batched lookups
 * are used) with the faults given as (line, text) replacing those lines;
 * the report must name the first fault in file order. */
static void expect_first_fault(const bench_competition *c, const int *lines,
                               const char *const *texts, size_t n_faults, const char *want)
{
    sb a = {0}, s = {0};
    sb_puts(&a, "id,has_cactus\n");
    sb_puts(&s, "id,has_cactus\n");
    for (int i = 0; i < 100; i++)
        sb_printf(&a, "r%03d,%d\n", i, i % 3 == 0);
    for (int i = 99, line = 2; i >= 0; i--, line++) {
        const char *text = NULL;
        for (size_t f = 0; f < n_faults; f++)
            if (lines[f] == line)
                text = texts[f];
        if (text)
            sb_printf(&s, "%s\n", text);
        else
            sb_printf(&s, "r%03d,0.%d\n", i, i);
    }
    char *ap = put("batch_answers.csv", sb_str(&a)), *sp = put("batch_sub.csv", sb_str(&s));
    bench_report r;
    CHECK(bench_grade(&r, c, sp, ap) == 0);
    CHECK_MSG(!r.valid_submission && r.error && strstr(r.error, want), "%s: %s", want,
              r.error ? r.error : "(valid)");
    bench_report_free(&r);
    free(ap);
    free(sp);
    sb_free(&a);
    sb_free(&s);
}

static void test_batched_matching(void)
{
    const bench_competition *c = bench_registry_find("aerial-cactus-identification");
    bench_report r;
    char *a = put("batch_answers.csv", "id,has_cactus\nr1,1\nr0,0\n");
    char *s = put("batch_sub.csv", "id,has_cactus\nr0,0.25\nr1,0.75\n");
    CHECK(bench_grade(&r, c, s, a) == 0 && r.valid_submission && r.score == 1.0);
    bench_report_free(&r);
    free(a);
    free(s);
    /* faults across batch boundaries: the earliest line wins */
    int l1[] = {41, 51, 71};
    const char *t1[] = {"zzz,0.5", "r050,x", "r099,0.5"};
    expect_first_fault(c, l1, t1, 3, "line 41, column 'id': id 'zzz' is not in the answers");
    expect_first_fault(c, l1 + 1, t1 + 1, 2, "line 51, column 'has_cactus': 'x' is not a");
    expect_first_fault(c, l1 + 2, t1 + 2, 1, "line 71, column 'id': id 'r099' appears more");
    int l2[] = {60, 80};
    const char *t2[] = {"r039,2", "r020,\"0.5"};
    expect_first_fault(c, l2, t2, 2, "line 60, column 'has_cactus': '2' is not a probability");
    expect_first_fault(c, l2 + 1, t2 + 1, 1, "line 80: unterminated quoted field");
    int l3[] = {99};
    const char *t3[] = {"r001,0.1,7"};
    expect_first_fault(c, l3, t3, 1, "line 99: 3 fields, but the header has 2");
}

/* A binary AUC's answers must hold exactly two labels: an error naming the
 * column, never a score. */
static void expect_auc_error(const char *answers, const char *sub, const char *want)
{
    const bench_competition *c = bench_registry_find("aerial-cactus-identification");
    char *a = put("auc_answers.csv", answers), *s = put("auc_sub.csv", sub);
    bench_report r;
    CHECK(bench_grade(&r, c, s, a) < 0);
    CHECK_MSG(strstr(err_last(), want) != NULL, "%s: %s", want, err_last());
    bench_report_free(&r);
    free(a);
    free(s);
}

static void test_auc_labels(void)
{
    expect_auc_error("id,has_cactus\na,1\nb,1\n", "id,has_cactus\nb,0.5\na,0.5\n",
                     "column 'has_cactus': only one class present in the answers");
    expect_auc_error("id,has_cactus\na,1\nb,0\nc,1\nd,2\ne,3\n",
                     "id,has_cactus\ne,0.5\nd,0.5\nc,0.5\nb,0.5\na,0.5\n",
                     "more than two classes in the answers (1, 0, 2)");
    /* the larger label is the positive class, whichever comes first */
    const bench_competition *c = bench_registry_find("aerial-cactus-identification");
    char *a = put("auc_answers.csv", "id,has_cactus\nx1,5\nx22,2\nx333,5\nx4,2\n");
    char *s = put("auc_sub.csv", "id,has_cactus\nx4,0.3\nx333,0.9\nx22,0.3\nx1,0.3\n");
    bench_report r;
    CHECK(bench_grade(&r, c, s, a) == 0 && r.valid_submission);
    CHECK_NEAR(r.score, 0.75, 1e-12); /* x1 ties both negatives: (0.5 + 0.5 + 1 + 1) / 4 */
    bench_report_free(&r);
    free(a);
    free(s);
}

/* A multi-class log loss submission of several reader windows (1 MiB) with
 * rows wider than the reader keeps ahead of itself (64 KiB), CRLF line ends
 * and rows in reverse order: the in-place fast path must hand every row the
 * window cuts to the general reader, and score it all. */
static void test_logloss_windows(void)
{
    const bench_competition *c = bench_registry_find("dog-breed-identification");
    enum { K = 12000, N = 40 };
    sb a = {0}, s = {0};
    sb_puts(&a, "id");
    sb_puts(&s, "id");
    for (int j = 0; j < K; j++) {
        sb_printf(&a, ",c%05d", j);
        sb_printf(&s, ",c%05d", j);
    }
    sb_puts(&a, "\n");
    sb_puts(&s, "\r\n");
    for (int i = 0; i < N; i++) {
        sb_printf(&a, "row%03d", i);
        for (int j = 0; j < K; j++)
            sb_puts(&a, j == i * 7 ? ",1" : ",0");
        sb_puts(&a, "\n");
    }
    for (int i = N - 1; i >= 0; i--) {
        sb_printf(&s, "row%03d", i);
        for (int j = 0; j < K; j++) /* the answer's class gets 0.505 */
            sb_printf(&s, ",%.17g", j == i * 7 ? 0.505 : 0.495 / (K - 1));
        sb_puts(&s, "\r\n");
    }
    CHECK(s.len > ((size_t)2 << 20));
    char *ap = put("ll_answers.csv", sb_str(&a)), *sp = put("ll_sub.csv", sb_str(&s));
    bench_report r;
    CHECK(bench_grade(&r, c, sp, ap) == 0);
    CHECK_MSG(r.valid_submission, "%s", r.error ? r.error : "");
    CHECK_NEAR(r.score_raw, -log(0.505), 1e-9);
    bench_report_free(&r);
    free(ap);
    free(sp);
    sb_free(&a);
    sb_free(&s);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    test_registry();
    test_medals();
    test_batched_matching();
    test_auc_labels();
    test_logloss_windows();
    test_not_yet();
    test_huge_submission();
    test_aggregate();
    rm_rf(dir);
    return check_done("test_grade");
}

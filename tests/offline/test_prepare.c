/*
 * test_prepare.c: `grove prepare` for one bundled competition (argv[1]).
 *
 * Exits 77 (skipped) when the competition's Debian source is not installed.
 * Otherwise prepares it into a temp data folder and checks the layout: ids
 * unique, train and test disjoint, test without the label, sample submission
 * and answers for exactly the test ids in the same order, multi-class
 * answers one-hot over the sample's columns, images present where named,
 * idempotence (a second call says "already"), determinism (a second prepare
 * with the same seed is byte-identical; another seed differs), and that
 * the grader accepts the sample submission.
 */
#include "bench.h"
#include "check.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bench_csv *load(const char *dir, const char *rel)
{
    char *p = path_join(dir, rel);
    bench_csv *t = NULL;
    CHECK_MSG(bench_csv_read(&t, p) == 0, "%s", err_last());
    free(p);
    return t;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* No id repeats within train+test. */
static void check_ids(const bench_csv *tr, const bench_csv *te)
{
    size_t n = tr->n_rows + te->n_rows, k = 0;
    const char **ids = xmalloc(n * sizeof *ids);
    for (size_t r = 0; r < tr->n_rows; r++)
        ids[k++] = bench_csv_cell(tr, r, 0);
    for (size_t r = 0; r < te->n_rows; r++)
        ids[k++] = bench_csv_cell(te, r, 0);
    qsort(ids, n, sizeof *ids, cmp_str);
    size_t dups = 0;
    for (size_t i = 1; i < n; i++)
        dups += !strcmp(ids[i - 1], ids[i]);
    CHECK_MSG(dups == 0, "%zu duplicate ids across train and test", dups);
    free(ids);
}

static void check_layout(const bench_competition *c, const char *prep)
{
    char *pub = path_join(prep, "public"), *priv = path_join(prep, "private");
    bench_csv *tr = load(pub, "train.csv"), *te = load(pub, "test.csv");
    bench_csv *sam = load(pub, "sample_submission.csv"), *ans = load(priv, c->answers);
    if (!tr || !te || !sam || !ans)
        goto out;
    CHECK(tr->n_rows > 100 && te->n_rows > 50);
    CHECK(!strcmp(tr->header[0], "id") && !strcmp(te->header[0], "id"));
    CHECK(bench_csv_col(tr, c->label_col) >= 0);
    CHECK(bench_csv_col(te, c->label_col) < 0);
    CHECK(te->n_cols + 1 == tr->n_cols);
    check_ids(tr, te);
    CHECK(sam->n_rows == te->n_rows && ans->n_rows == te->n_rows);
    CHECK(sam->n_cols == ans->n_cols);
    for (size_t k = 0; k < sam->n_cols && k < ans->n_cols; k++)
        CHECK_STR(sam->header[k], ans->header[k]);
    for (size_t r = 0; r < te->n_rows && r < sam->n_rows && r < ans->n_rows; r++) {
        CHECK_STR(bench_csv_cell(te, r, 0), bench_csv_cell(sam, r, 0));
        CHECK_STR(bench_csv_cell(te, r, 0), bench_csv_cell(ans, r, 0));
        if (c->task == TASK_MULTICLASS) {
            int ones = 0;
            for (size_t k = 1; k < ans->n_cols; k++)
                ones += !strcmp(bench_csv_cell(ans, r, k), "1");
            CHECK(ones == 1);
        }
    }
    int img = bench_csv_col(te, "image");
    for (size_t r = 0; img >= 0 && r < te->n_rows; r += 97) {
        char *p = path_join(pub, bench_csv_cell(te, r, (size_t)img));
        CHECK_MSG(file_exists(p), "%s missing", p);
        free(p);
    }
    char *desc = path_join(pub, "description.md");
    CHECK(file_exists(desc));
    free(desc);
out:
    bench_csv_free(tr), bench_csv_free(te), bench_csv_free(sam), bench_csv_free(ans);
    free(pub), free(priv);
}

static void check_grade(const bench_competition *c, const char *prep)
{
    char *sample = xasprintf("%s/public/%s", prep, c->sample_submission);
    char *answers = xasprintf("%s/private/%s", prep, c->answers);
    bench_report rep;
    memset(&rep, 0, sizeof rep);
    int rc = bench_grade(&rep, c, sample, answers);
    CHECK_MSG(rc == 0, "%s", err_last());
    CHECK_MSG(rc < 0 || rep.valid_submission, "sample invalid: %s",
              rep.error ? rep.error : "?");
    CHECK(rc < 0 || rep.score == rep.score); /* not NaN */
    if (rc == 0)
        bench_report_free(&rep);
    free(sample), free(answers);
}

static int same_file(const char *a, const char *b)
{
    char *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    int same = file_read(a, &x, &nx) == 0 && file_read(b, &y, &ny) == 0 && nx == ny &&
               memcmp(x, y, nx) == 0;
    free(x), free(y);
    return same;
}

/* Same seed: byte-identical; another seed: another split. */
static void check_determinism(const char *id, const char *d1, const char *prep1)
{
    char *d2 = xasprintf("%s-again", d1), *d3 = xasprintf("%s-other", d1);
    int already = 0;
    CHECK(bench_prepare(&already, id, d2, BENCH_PREPARE_SEED, 0) == 0);
    CHECK(bench_prepare(&already, id, d3, 7, 0) == 0);
    const char *files[] = {"public/train.csv", "public/test.csv",
                           "public/sample_submission.csv", "private/answers.csv"};
    for (int i = 0; i < 4; i++) {
        char *a = xasprintf("%s/%s", prep1, files[i]);
        char *b = xasprintf("%s/%s/prepared/%s", d2, id, files[i]);
        char *c = xasprintf("%s/%s/prepared/%s", d3, id, files[i]);
        CHECK_MSG(same_file(a, b), "%s differs with the same seed", files[i]);
        if (i != 2) /* the sample's constants may coincide */
            CHECK_MSG(!same_file(a, c), "%s equal under another seed", files[i]);
        free(a), free(b), free(c);
    }
    rm_rf(d2), rm_rf(d3);
    free(d2), free(d3);
}

int main(int argc, char **argv)
{
    const char *id = argc > 1 ? argv[1] : "grove-titanic";
    int determinism = argc > 2 && !strcmp(argv[2], "--determinism");
    const bench_competition *c = bench_registry_find(id);
    if (!c) {
        fprintf(stderr, "%s\n", err_last());
        return 1;
    }
    if (bench_prepare_check(id) == BENCH_ENOSRC) {
        printf("skipped: %s\n", err_last());
        return 77;
    }
    CHECK(!strcmp(c->split, "bundled") && !strcmp(c->thresholds_kind, "reference"));
    /* measured references (bench/offline/reference.tsv): a constant predictor
     * below two baselines, the stronger one the silver bar, no gold */
    double sign = c->lower_is_better ? -1 : 1;
    CHECK_MSG(!isnan(c->median) && !isnan(c->bronze) && !isnan(c->silver) && isnan(c->gold),
              "%s thresholds: median %g bronze %g silver %g", id, c->median, c->bronze,
              c->silver);
    CHECK(sign * c->bronze > sign * c->median && sign * c->silver >= sign * c->bronze);
    char tmpl[] = "/tmp/grove-prepare-XXXXXX";
    char *root = mkdtemp(tmpl);
    if (!root)
        return 1;
    int already = -1;
    double t0 = clock_mono();
    CHECK_MSG(bench_prepare(&already, id, root, BENCH_PREPARE_SEED, 0) == 0, "%s",
              err_last());
    printf("%s prepared in %.2f s\n", id, clock_mono() - t0);
    CHECK(already == 0);
    char *prep = xasprintf("%s/%s/prepared", root, id);
    check_layout(c, prep);
    check_grade(c, prep);
    CHECK(bench_prepare(&already, id, root, BENCH_PREPARE_SEED, 0) == 0 && already == 1);
    if (determinism)
        check_determinism(id, root, prep);
    free(prep);
    rm_rf(root);
    return check_done(id);
}

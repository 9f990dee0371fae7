/*
 * test_holdout.c: grove's holdout split (bench_holdout_split).
 *
 * Builds small competitions in a temp folder (binary, multi-class with an
 * images/ folder, regression) and checks: the same seed gives byte-identical
 * files and another seed a different split; no validation row reaches what
 * the script sees (checked by content: ids and whole feature tuples); the
 * answers are nowhere under public/; class ratios survive; other files are
 * real files (hard links or copies), never symlinks; and bad input fails
 * with a message naming the file, the column and the columns present.
 */
#include "bench.h"
#include "check.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *root;

static const bench_competition binary = {
    .id = "t-binary", .metric = "auc", .graded = 1, .answers = "answers.csv",
    .sample_submission = "sample_submission.csv", .id_col = "id", .target_cols = "target",
    .train_file = "train.csv", .label_col = "target", .test_file = "test.csv",
    .task = TASK_BINARY, .split = "bundled"};
static const bench_competition multi = {
    .id = "t-multi", .metric = "logloss", .lower_is_better = 1, .graded = 1,
    .answers = "answers.csv", .sample_submission = "sample_submission.csv", .id_col = "id",
    .target_cols = "*", .prob_rows_sum_to_one = 1, .train_file = "train.csv",
    .label_col = "kind", .test_file = "test.csv", .task = TASK_MULTICLASS,
    .split = "bundled"};

/* A public/ folder: n rows, 10% positives (binary) or 3 kinds 60/30/10. */
static char *make_public(const char *name, int multiclass, size_t n)
{
    char *dir = xasprintf("%s/%s/public", root, name);
    mkdir_p(dir, 0755);
    sb train = {0}, test = {0}, sample = {0};
    static const char *kinds[] = {"cat", "dog", "eel"};
    sb_puts(&train, multiclass ? "id,f1,f2,img,kind\n" : "id,f1,f2,img,target\n");
    for (size_t i = 0; i < n; i++) {
        const char *lab = multiclass ? kinds[i % 10 < 6 ? 0 : i % 10 < 9 ? 1 : 2]
                                     : (i % 10 == 0 ? "1" : "0");
        sb_printf(&train, "%zu,%zu.5,\"v, %zu\",images/%zu.png,%s\n", 1000 + i, i * 7,
                  i * 13, i, lab);
    }
    sb_puts(&test, "id,f1,f2,img\n9000,1,x,images/a.png\n");
    sb_puts(&sample, multiclass ? "id,cat,dog,eel\n9000,0.3,0.3,0.4\n" : "id,target\n9000,0.5\n");
    char *p = path_join(dir, "train.csv");
    file_write_str(p, sb_str(&train));
    free(p);
    p = path_join(dir, "test.csv");
    file_write_str(p, sb_str(&test));
    free(p);
    p = path_join(dir, "sample_submission.csv");
    file_write_str(p, sb_str(&sample));
    free(p);
    p = path_join(dir, "description.md");
    file_write_str(p, "# a task\n");
    free(p);
    p = path_join(dir, "images/0.png");
    mkdir_p(p, 0755); /* a folder named like a file is fine too */
    free(p);
    p = path_join(dir, "images/1.png.txt");
    file_write_str(p, "pixels");
    free(p);
    sb_free(&train), sb_free(&test), sb_free(&sample);
    return dir;
}

static char *slurp(const char *dir, const char *name)
{
    char *p = path_join(dir, name), *s = NULL;
    if (file_read(p, &s, NULL) < 0)
        s = xstrdup("<missing>");
    free(p);
    return s;
}

static bench_csv *table(const char *dir, const char *name)
{
    char *p = path_join(dir, name);
    bench_csv *t = NULL;
    CHECK_MSG(bench_csv_read(&t, p) == 0, "%s", err_last());
    free(p);
    return t;
}

/* Is (f1, f2) of row r of a in any row of b? */
static int tuple_in(const bench_csv *a, size_t r, const bench_csv *b)
{
    int a1 = bench_csv_col(a, "f1"), a2 = bench_csv_col(a, "f2");
    int b1 = bench_csv_col(b, "f1"), b2 = bench_csv_col(b, "f2");
    for (size_t i = 0; i < b->n_rows; i++)
        if (!strcmp(bench_csv_cell(a, r, a1), bench_csv_cell(b, i, b1)) &&
            !strcmp(bench_csv_cell(a, r, a2), bench_csv_cell(b, i, b2)))
            return 1;
    return 0;
}

static void test_binary(void)
{
    char *pub = make_public("bin", 0, 500);
    char *o1 = path_join(root, "split1"), *o2 = path_join(root, "split2"),
         *o3 = path_join(root, "split3");
    bench_holdout h1, h2, h3;
    CHECK_MSG(bench_holdout_split(&h1, &binary, pub, o1, 7, 0.2) == 0, "%s", err_last());
    CHECK(bench_holdout_split(&h2, &binary, pub, o2, 7, 0.2) == 0);
    CHECK(bench_holdout_split(&h3, &binary, pub, o3, 8, 0.2) == 0);
    CHECK(h1.n_train + h1.n_valid == 500);
    CHECK(h1.n_valid == 100);
    const char *files[] = {"train.csv", "test.csv", "sample_submission.csv"};
    for (int i = 0; i < 3; i++) {
        char *a = slurp(h1.public_dir, files[i]), *b = slurp(h2.public_dir, files[i]);
        CHECK_MSG(!strcmp(a, b), "%s differs for the same seed", files[i]);
        free(a), free(b);
    }
    char *a1 = slurp(o1, "answers.csv"), *a2 = slurp(o2, "answers.csv"),
         *a3 = slurp(o3, "answers.csv");
    CHECK(!strcmp(a1, a2));
    CHECK(strcmp(a1, a3) != 0); /* another seed, another split */
    free(a1), free(a2), free(a3);

    /* leaks, by content */
    bench_csv *tr = table(h1.public_dir, "train.csv"), *te = table(h1.public_dir, "test.csv");
    bench_csv *ans = table(o1, "answers.csv"), *sam = table(h1.public_dir,
                                                            "sample_submission.csv");
    CHECK(te->n_cols == 4 && !strcmp(te->header[3], "img")); /* the real test's columns */
    CHECK(bench_csv_col(te, "target") < 0);
    size_t leaks = 0, pos = 0;
    for (size_t r = 0; r < te->n_rows; r++) {
        leaks += tuple_in(te, r, tr);
        CHECK_STR(bench_csv_cell(te, r, 0), bench_csv_cell(ans, r, 0));
        CHECK_STR(bench_csv_cell(sam, r, 0), bench_csv_cell(ans, r, 0));
        CHECK_STR(bench_csv_cell(sam, r, 1), "0.5");
        for (size_t t = 0; t < tr->n_rows; t++)
            leaks += !strcmp(bench_csv_cell(tr, t, 0), bench_csv_cell(te, r, 0));
        pos += !strcmp(bench_csv_cell(ans, r, 1), "1");
    }
    CHECK_MSG(leaks == 0, "%zu validation rows leak into train", leaks);
    CHECK(pos == 10); /* stratified: 10% positives in, 10% out */
    struct stat st;
    char *p = path_join(h1.public_dir, "answers.csv");
    CHECK(stat(p, &st) != 0);
    free(p);
    p = path_join(h1.public_dir, "description.md");
    CHECK(lstat(p, &st) == 0 && S_ISREG(st.st_mode));
    free(p);
    p = path_join(h1.public_dir, "images/1.png.txt");
    CHECK(lstat(p, &st) == 0 && S_ISREG(st.st_mode));
    free(p);
    p = path_join(h1.public_dir, "images/0.png");
    CHECK(lstat(p, &st) == 0 && S_ISDIR(st.st_mode));
    free(p);
    bench_csv_free(tr), bench_csv_free(te), bench_csv_free(ans), bench_csv_free(sam);
    bench_holdout_free(&h1), bench_holdout_free(&h2), bench_holdout_free(&h3);
    free(pub), free(o1), free(o2), free(o3);
}

static void test_multiclass(void)
{
    char *pub = make_public("multi", 1, 300);
    char *out = path_join(root, "msplit");
    bench_holdout h;
    CHECK_MSG(bench_holdout_split(&h, &multi, pub, out, 1, 0.3) == 0, "%s", err_last());
    bench_csv *ans = table(out, "answers.csv"), *tr = table(h.public_dir, "train.csv");
    CHECK(ans->n_cols == 4 && !strcmp(ans->header[1], "cat") && !strcmp(ans->header[3], "eel"));
    size_t count[3] = {0};
    for (size_t r = 0; r < ans->n_rows; r++) {
        int ones = 0;
        for (size_t k = 0; k < 3; k++)
            if (!strcmp(bench_csv_cell(ans, r, 1 + k), "1"))
                ones++, count[k]++;
        CHECK(ones == 1);
    }
    CHECK(ans->n_rows == 90);
    CHECK(count[0] == 54 && count[1] == 27 && count[2] == 9); /* 60/30/10 kept */
    CHECK(tr->n_rows == 210);
    bench_csv_free(ans), bench_csv_free(tr);
    bench_holdout_free(&h);
    free(pub), free(out);
}

static void test_errors(void)
{
    char *pub = make_public("err", 0, 50);
    char *out = path_join(root, "esplit");
    bench_holdout h;
    bench_competition bad = binary;
    bad.label_col = "survived";
    CHECK(bench_holdout_split(&h, &bad, pub, out, 1, 0.2) < 0);
    const char *msg = err_last();
    CHECK_MSG(strstr(msg, "'survived'") && strstr(msg, "train.csv") &&
                  strstr(msg, "id, f1, f2, img, target"), "message: %s", msg);
    bad = binary;
    bad.train_file = NULL;
    CHECK(bench_holdout_split(&h, &bad, pub, out, 1, 0.2) < 0);
    CHECK_MSG(strstr(err_last(), "self-report"), "message: %s", err_last());
    CHECK(bench_holdout_split(&h, &binary, pub, out, 1, 1.5) < 0);
    bad = binary;
    bad.train_file = "nope.csv";
    CHECK(bench_holdout_split(&h, &bad, pub, out, 1, 0.2) < 0);
    CHECK_MSG(strstr(err_last(), "nope.csv"), "message: %s", err_last());
    /* a test column the train file lacks */
    char *tp = path_join(pub, "test.csv");
    file_write_str(tp, "id,f1,f9\n1,2,3\n");
    CHECK(bench_holdout_split(&h, &binary, pub, out, 1, 0.2) < 0);
    CHECK_MSG(strstr(err_last(), "'f9'"), "message: %s", err_last());
    free(tp), free(pub), free(out);
}

int main(void)
{
    char tmpl[] = "/tmp/grove-holdout-XXXXXX";
    root = mkdtemp(tmpl);
    if (!root)
        return 1;
    test_binary();
    test_multiclass();
    test_errors();
    rm_rf(root);
    return check_done("holdout");
}

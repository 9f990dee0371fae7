/*
 * holdout_infer.c: holdout scoring for registry competitions whose entry does
 * not describe their training data (MLE-bench's own competitions).
 *
 * The entry knows the id column and the submission's target columns; the
 * public folder shows the rest. grove splits such a competition only when
 * the evidence is unambiguous:
 *
 *   - public/ holds train.csv and test.csv, and train.csv is at most 1 GiB;
 *   - every column of test.csv, the id column included, is a column of
 *     train.csv (so the held-out rows can be shown exactly as test rows are;
 *     image competitions whose test rows live in folders fail this);
 *   - the grader reads no column beyond the id and the targets that both
 *     files hold: no answers-only group column ("=u_out"), no column only
 *     the submission or only the answers has ("+Confidence", "-x"); a split
 *     of train.csv would not rebuild those as the grader expects them;
 *   - one target column: it is in train.csv and not in test.csv, and it is
 *     the label; several target columns (class probabilities): exactly one
 *     train-only column exists, and it is the label (the split then checks
 *     that every label value names one of the target columns).
 *
 * Anything else keeps the competition in self-report mode, said in the banner.
 */
#include "holdout_infer.h"
#include "util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The header of a CSV file, parsed from its first 64 kB. Caller frees. */
static bench_csv *read_header(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return NULL;
    size_t len = 0;
    while (len < (size_t)n && buf[len] != '\n')
        len++;
    bench_csv *csv = NULL;
    if (bench_csv_parse(&csv, buf, len, path) < 0)
        return NULL;
    return csv;
}

static int has_col(const bench_csv *c, const char *name)
{
    return bench_csv_col(c, name) >= 0;
}

static int count_targets(const bench_competition *comp, const bench_csv *sample)
{
    if (!comp->target_cols || !strcmp(comp->target_cols, "*"))
        return (int)sample->n_cols - 1;
    int n = 1;
    for (const char *p = comp->target_cols; *p; p++)
        n += *p == ',';
    return n;
}

/* A target entry with a marker other than '?' (bench.h), or NULL. */
static const char *marked_column(const bench_competition *comp)
{
    for (const char *p = comp->target_cols; p;) {
        if (*p == '=' || *p == '+' || *p == '-')
            return p;
        p = strchr(p, ',');
        p = p ? p + 1 : NULL;
    }
    return NULL;
}

static bench_task task_of(const char *metric, int n_targets)
{
    if (n_targets > 1)
        return TASK_MULTICLASS;
    if (!strcmp(metric, "auc") || !strcmp(metric, "logloss"))
        return TASK_BINARY;
    if (!strncmp(metric, "rms", 3) || !strcmp(metric, "mae"))
        return TASK_REGRESSION;
    return TASK_MULTICLASS; /* accuracy, qwk: one label column */
}

int holdout_infer(holdout_inferred *out, const bench_competition *comp, const char *public_dir)
{
    memset(out, 0, sizeof *out);
    if (comp->train_file)
        return err_set("the registry already describes the training data");
    if (!comp->graded || !comp->id_col || !comp->sample_submission)
        return err_set("grove cannot grade it, or its entry has no id column");
    const char *marked = marked_column(comp);
    if (marked) {
        size_t len = strcspn(marked, ",");
        return err_set("its grader reads the column '%.*s', which a split of train.csv "
                       "would not give it", (int)len - 1, marked + 1);
    }
    char *train_p = path_join(public_dir, "train.csv");
    char *test_p = path_join(public_dir, "test.csv");
    char *sample_p = path_join(public_dir, comp->sample_submission);
    bench_csv *train = NULL, *test = NULL, *sample = NULL;
    struct stat st;
    int rc = -1;
    if (stat(train_p, &st) < 0 || !file_exists(test_p)) {
        err_set("public/ has no train.csv and test.csv");
        goto done;
    }
    if (st.st_size > (off_t)1 << 30) {
        err_set("train.csv is larger than 1 GiB");
        goto done;
    }
    train = read_header(train_p);
    test = read_header(test_p);
    sample = read_header(sample_p);
    if (!train || !test || !sample) {
        err_set("could not read the headers of train.csv, test.csv and %s",
                comp->sample_submission);
        goto done;
    }
    for (size_t c = 0; c < test->n_cols; c++)
        if (!has_col(train, test->header[c])) {
            err_set("test.csv's column '%s' is not in train.csv", test->header[c]);
            goto done;
        }
    if (!has_col(test, comp->id_col)) {
        err_set("test.csv has no id column '%s'", comp->id_col);
        goto done;
    }
    int n_targets = count_targets(comp, sample);
    const char *label = NULL;
    if (n_targets == 1) {
        const char *t = comp->target_cols && strcmp(comp->target_cols, "*")
                            ? comp->target_cols : sample->header[sample->n_cols - 1];
        if (has_col(train, t) && !has_col(test, t))
            label = t;
    } else {
        for (size_t c = 0; c < train->n_cols; c++) {
            if (has_col(test, train->header[c]))
                continue;
            if (label) {
                label = NULL; /* two candidates: ambiguous */
                break;
            }
            label = train->header[c];
        }
    }
    if (!label) {
        err_set("no single label column in train.csv matches the submission's targets");
        goto done;
    }
    out->label_col = xstrdup(label);
    out->comp = *comp;
    out->comp.train_file = "train.csv";
    out->comp.test_file = "test.csv";
    out->comp.label_col = out->label_col;
    out->comp.task = task_of(comp->metric, n_targets);
    /* the split treats one label column as a class to stratify on and copy,
     * and several target columns as one-hot classes */
    out->split_comp = out->comp;
    if (n_targets == 1 && out->comp.task == TASK_MULTICLASS)
        out->split_comp.task = TASK_BINARY;
    rc = 0;
done:
    bench_csv_free(train);
    bench_csv_free(test);
    bench_csv_free(sample);
    free(train_p);
    free(test_p);
    free(sample_p);
    return rc;
}

void holdout_inferred_free(holdout_inferred *h)
{
    free(h->label_col);
    memset(h, 0, sizeof *h);
}

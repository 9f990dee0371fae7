/*
 * holdout.c: grove's own validation split (DESIGN.md, scoring mode
 * `holdout`). The competition's train file is cut once per run into a
 * smaller train file and a validation set; scripts get a public/ folder that
 * looks exactly like the real one (same file names, the validation features
 * as the test file, a sample submission for the validation ids), and the
 * validation answers go to out_dir/answers.csv, outside that folder, in the
 * competition's answers format so the normal grader scores them.
 *
 * Everything else in public/ (description.md, images/, ...) is hard-linked
 * (copied where links fail, e.g. across file systems), never symlinked: a
 * symlink would lead a sandboxed script back out to the real folder.
 */
#include "offline.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int link_tree(const char *src, const char *dst);

static int link_entry(const char *src, const char *dst)
{
    struct stat st;
    if (stat(src, &st) < 0)
        return err_set("%s: %s", src, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        if (mkdir_p(dst, 0755) < 0)
            return -1;
        return link_tree(src, dst);
    }
    if (!S_ISREG(st.st_mode))
        return 0; /* sockets, fifos: nothing a script needs */
    if (link(src, dst) == 0)
        return 0;
    return file_copy(src, dst);
}

/* Link every entry of src into dst except the names in skip[0..3). */
static int link_tree_skip(const char *src, const char *dst, const char *const skip[3])
{
    DIR *d = opendir(src);
    if (!d)
        return err_set("%s: %s", src, strerror(errno));
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        int skipped = 0;
        for (int i = 0; i < 3; i++)
            skipped |= skip && skip[i] && !strcmp(skip[i], e->d_name);
        if (skipped)
            continue;
        char *s = path_join(src, e->d_name), *t = path_join(dst, e->d_name);
        rc = link_entry(s, t);
        free(s);
        free(t);
    }
    closedir(d);
    return rc;
}

static int link_tree(const char *src, const char *dst)
{
    return link_tree_skip(src, dst, NULL);
}

/* The answers/sample columns: target_cols, where "*" means every non-id
 * column of the sample submission. *names (an array of owned strings) and
 * *vals (the sample's first-row values) are the caller's to free. */
static int targets_of(char ***names, char ***vals, size_t *n, const bench_competition *comp,
                      const bench_csv *sample, const char *sample_path)
{
    *names = *vals = NULL;
    *n = 0;
    if (sample->n_rows == 0)
        return err_set("%s: no rows, so grove cannot tell the submission's format",
                       sample_path);
    sb list = {0};
    if (!comp->target_cols || !strcmp(comp->target_cols, "*")) {
        for (size_t c = 0; c < sample->n_cols; c++)
            if (strcmp(sample->header[c], comp->id_col))
                sb_printf(&list, "%s%s", list.len ? "," : "", sample->header[c]);
    } else {
        sb_puts(&list, comp->target_cols);
    }
    char *save = NULL, *copy = sb_steal(&list);
    *names = xcalloc(strlen(copy) + 1, sizeof(char *));
    *vals = xcalloc(strlen(copy) + 1, sizeof(char *));
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0;
         tok = strtok_r(NULL, ",", &save)) {
        int c = offline_need_col(sample, tok, sample_path);
        if (c < 0) {
            rc = -1;
            break;
        }
        (*names)[*n] = xstrdup(tok);
        (*vals)[(*n)++] = xstrdup(bench_csv_cell(sample, 0, (size_t)c));
    }
    free(copy);
    if (rc == 0 && *n == 0)
        rc = err_set("%s: no target column besides '%s'", sample_path, comp->id_col);
    if (rc == 0 && *n != 1 && comp->task != TASK_MULTICLASS)
        rc = err_set("%s: %zu target columns, but a %s task has one", sample_path, *n,
                     comp->task == TASK_BINARY ? "binary" : "regression");
    return rc;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* Columns of the real test file, found in train (so the validation test
 * file has exactly the same columns). Caller frees. */
static size_t *test_columns(const bench_csv *train, const bench_csv *test,
                            const char *train_path)
{
    size_t *cols = xmalloc((test->n_cols ? test->n_cols : 1) * sizeof *cols);
    for (size_t c = 0; c < test->n_cols; c++) {
        int k = offline_need_col(train, test->header[c], train_path);
        if (k < 0) {
            free(cols);
            return NULL;
        }
        cols[c] = (size_t)k;
    }
    return cols;
}

static int check_comp(const bench_competition *comp)
{
    if (!comp->train_file || !comp->test_file || !comp->id_col || !comp->label_col ||
        !comp->sample_submission)
        return err_set("competition '%s' does not describe its train file, test file, "
                       "id and label columns, so grove cannot split it (use "
                       "self-report scoring)", comp->id);
    return 0;
}

int bench_holdout_split(bench_holdout *out, const bench_competition *comp,
                        const char *public_dir, const char *out_dir,
                        unsigned long seed, double valid_frac)
{
    memset(out, 0, sizeof *out);
    bench_csv *train = NULL, *test = NULL, *sample = NULL;
    char **names = NULL, **vals = NULL;
    size_t n_targets = 0, *cols = NULL;
    char *train_path = path_join(public_dir, comp->train_file ? comp->train_file : "");
    char *test_path = path_join(public_dir, comp->test_file ? comp->test_file : "");
    char *sample_path = path_join(public_dir, comp->sample_submission
                                                  ? comp->sample_submission : "");
    char *pub = path_join(out_dir, "public");
    char *ans = path_join(out_dir, "answers.csv");
    char *o_train = path_join(pub, comp->train_file ? comp->train_file : "");
    char *o_test = path_join(pub, comp->test_file ? comp->test_file : "");
    char *o_sample = path_join(pub, comp->sample_submission ? comp->sample_submission : "");
    int rc = -1;
    if (valid_frac <= 0)
        valid_frac = 0.2;
    if (valid_frac >= 1) {
        err_set("valid_frac %g must be below 1", valid_frac);
        goto fail;
    }
    if (check_comp(comp) < 0)
        goto fail;
    if (bench_csv_read(&train, train_path) < 0 || bench_csv_read(&test, test_path) < 0 ||
        bench_csv_read(&sample, sample_path) < 0)
        goto fail;
    if (offline_need_col(train, comp->id_col, train_path) < 0 ||
        offline_need_col(train, comp->label_col, train_path) < 0)
        goto fail;
    if (!(cols = test_columns(train, test, train_path)))
        goto fail;
    if (targets_of(&names, &vals, &n_targets, comp, sample, sample_path) < 0)
        goto fail;
    if (rm_rf(pub) < 0 || rm_rf(ans) < 0 || mkdir_p(pub, 0755) < 0)
        goto fail;
    split_spec spec = {
        .comp = comp, .full = train, .test_cols = cols, .n_test_cols = test->n_cols,
        .targets = names, .n_targets = n_targets, .sample_vals = vals,
        .frac = valid_frac, .seed = seed, .train_path = o_train, .test_path = o_test,
        .sample_path = o_sample, .answers_path = ans,
    };
    if (offline_split_write(&out->n_train, &out->n_valid, &spec) < 0)
        goto fail;
    const char *skip[3] = {comp->train_file, comp->test_file, comp->sample_submission};
    if (link_tree_skip(public_dir, pub, skip) < 0)
        goto fail;
    out->public_dir = pub;
    out->answers_path = ans;
    pub = ans = NULL;
    rc = 0;
fail:
    if (rc < 0) {
        err_prefix("holdout split of %s", comp->id);
        if (pub)
            rm_rf(pub);
    }
    free_list(names, n_targets);
    free_list(vals, n_targets);
    free(cols);
    bench_csv_free(train);
    bench_csv_free(test);
    bench_csv_free(sample);
    free(train_path), free(test_path), free(sample_path), free(pub), free(ans);
    free(o_train), free(o_test), free(o_sample);
    return rc;
}

void bench_holdout_free(bench_holdout *h)
{
    if (!h)
        return;
    free(h->public_dir);
    free(h->answers_path);
    memset(h, 0, sizeof *h);
}

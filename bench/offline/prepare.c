/*
 * prepare.c: `grove prepare`: build a bundled competition in MLE-bench's
 * layout from data that ships in a Debian package.
 *
 *   <data>/<id>/prepared/public/{train.csv,test.csv,sample_submission.csv,
 *                                description.md[,images/]}
 *   <data>/<id>/prepared/private/answers.csv
 *
 * The loader (sources.c) gives one labelled table; here it is shuffled with
 * the seed, cut to max_rows, given ids in shuffled order (so an id says
 * nothing about the source's order, which is often sorted by label), and
 * split like grove's holdout split. Everything is built in prepared.tmp/ and
 * renamed into place, so an interrupted prepare never looks finished; the
 * file prepared/.grove-prepared records the seed and marks completion.
 */
#include "embed.h"
#include "sources.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const embed_file offline_files[];

/* Where `scripts/setup --data` unpacks packages it does not install
 * (opencv-doc is 270 MB for one 700 KB file): $GROVE_SOURCES, else
 * ~/.cache/grove/sources. Caller frees. */
static char *sources_dir(void)
{
    const char *env = getenv("GROVE_SOURCES"), *home = getenv("HOME");
    if (env && *env)
        return xstrdup(env);
    return xasprintf("%s/.cache/grove/sources", home && *home ? home : "/tmp");
}

/* The installed data file, or the unpacked copy under
 * <sources>/<package>/ (also what a slim image whose dpkg excludes
 * /usr/share/doc needs). Caller frees; NULL with the message when absent. */
static char *source_file(const offline_source *src)
{
    if (file_exists(src->file) && (!src->tool || file_exists(src->tool)))
        return xstrdup(src->file);
    char *dir = sources_dir();
    char *alt = xasprintf("%s/%s%s", dir, src->packages, src->file);
    free(dir);
    if (!src->tool && file_exists(alt))
        return alt;
    free(alt);
    const char *missing = file_exists(src->file) ? src->tool : src->file;
    int many = strchr(src->packages, ' ') != NULL;
    err_set("%s: its data comes from the Debian package%s %s, which %s not installed "
            "(%s is missing); run `scripts/setup --data` (or apt-get install %s)",
            src->id, many ? "s" : "", src->packages, many ? "are" : "is", missing,
            src->packages);
    return NULL;
}

int bench_prepare_check(const char *id)
{
    const offline_source *src = offline_source_find(id);
    if (!src)
        return err_set("'%s' is not a bundled competition (see `grove competitions`)", id);
    char *file = source_file(src);
    free(file);
    return file ? 0 : BENCH_ENOSRC;
}

/* The loaded table in shuffled order with an id column in front, cut to
 * max_rows. An otab; caller frees. */
static bench_csv *with_ids(const bench_csv *t, size_t max_rows, unsigned long seed)
{
    size_t n = t->n_rows, *perm = xmalloc((n ? n : 1) * sizeof *perm);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    orng r;
    orng_seed(&r, seed, "ids");
    orng_shuffle(&r, perm, n);
    if (max_rows && n > max_rows)
        n = max_rows;
    const char **hdr = xmalloc((t->n_cols + 1) * sizeof *hdr);
    hdr[0] = "id";
    for (size_t c = 0; c < t->n_cols; c++)
        hdr[c + 1] = t->header[c];
    bench_csv *full = otab_new(t->n_cols + 1, hdr);
    char **cells = xmalloc((t->n_cols + 1) * sizeof *cells);
    for (size_t i = 0; i < n; i++) {
        cells[0] = xasprintf("%zu", i + 1);
        for (size_t c = 0; c < t->n_cols; c++)
            cells[c + 1] = xstrdup(bench_csv_cell(t, perm[i], c));
        otab_add_row(full, cells);
    }
    free(cells);
    free(hdr);
    free(perm);
    return full;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Targets and sample values: one-hot classes (sorted) with uniform
 * probabilities, or the label with 0.5 (binary) / the training mean. */
static int targets_for(char ***names, char ***vals, size_t *n, const bench_competition *comp,
                       const bench_csv *full, size_t label, double frac, unsigned long seed)
{
    size_t k = 0;
    char **nm = xmalloc((full->n_rows + 1) * sizeof *nm);
    if (comp->task == TASK_MULTICLASS) {
        for (size_t r = 0; r < full->n_rows; r++)
            nm[k++] = (char *)bench_csv_cell(full, r, label);
        xqsort(nm, k, sizeof *nm, cmp_str);
        size_t u = 0;
        for (size_t i = 0; i < k; i++)
            if (!u || strcmp(nm[u - 1], nm[i]))
                nm[u++] = nm[i];
        k = u;
    } else {
        nm[k++] = full->header[label];
    }
    *names = xmalloc(k * sizeof **names);
    *vals = xmalloc(k * sizeof **vals);
    double mean = 0;
    if (comp->task == TASK_REGRESSION) {
        /* the mean of the training rows only: the test labels stay unseen */
        unsigned char *test = offline_pick_test(full, label, comp->task, frac, seed);
        size_t m = 0;
        for (size_t r = 0; r < full->n_rows; r++)
            if (!test[r])
                mean += strtod(bench_csv_cell(full, r, label), NULL), m++;
        mean = m ? mean / (double)m : 0;
        free(test);
    }
    for (size_t i = 0; i < k; i++) {
        (*names)[i] = xstrdup(nm[i]);
        (*vals)[i] = comp->task == TASK_MULTICLASS ? xasprintf("%.12g", 1.0 / (double)k)
                     : comp->task == TASK_BINARY   ? xstrdup("0.5")
                                                   : xasprintf("%.6g", mean);
    }
    free(nm);
    *n = k;
    return 0;
}

static int write_description(const char *public_dir, const char *id)
{
    char *name = xasprintf("%s.md", id); /* tools/embed keeps base names here */
    const embed_file *f = embed_find(offline_files, name);
    char *path = path_join(public_dir, "description.md");
    int rc = f ? file_write(path, f->data, f->len)
               : err_set("%s: no description embedded in this build", name);
    free(name);
    free(path);
    return rc;
}

/* Load, assign ids, split and write into dir (prepared.tmp). */
static int build(const offline_source *src, const bench_competition *comp,
                 const char *file, const char *dir, unsigned long seed)
{
    char *pub = path_join(dir, "public"), *priv = path_join(dir, "private");
    char *train = path_join(pub, "train.csv"), *test = path_join(pub, "test.csv");
    char *sample = path_join(pub, "sample_submission.csv");
    char *ans = path_join(priv, "answers.csv");
    bench_csv *t = NULL, *full = NULL;
    void *ctx = NULL;
    char **names = NULL, **vals = NULL;
    size_t n_targets = 0, *cols = NULL;
    int rc = -1;
    if (mkdir_p(pub, 0755) < 0 || mkdir_p(priv, 0755) < 0)
        goto out;
    if (src->load(&t, &ctx, file) < 0)
        goto out;
    full = with_ids(t, src->max_rows, seed);
    int label = bench_csv_col(full, comp->label_col);
    if (label < 0) {
        err_set("%s: the loader gave no '%s' column", file, comp->label_col);
        goto out;
    }
    if (src->finish && src->finish(ctx, full, pub) < 0)
        goto out;
    cols = xmalloc(full->n_cols * sizeof *cols);
    size_t nc = 0;
    for (size_t c = 0; c < full->n_cols; c++)
        if (c != (size_t)label)
            cols[nc++] = c;
    targets_for(&names, &vals, &n_targets, comp, full, (size_t)label, src->test_frac, seed);
    split_spec spec = {
        .comp = comp, .full = full, .test_cols = cols, .n_test_cols = nc,
        .targets = names, .n_targets = n_targets, .sample_vals = vals,
        .frac = src->test_frac, .seed = seed, .train_path = train, .test_path = test,
        .sample_path = sample, .answers_path = ans,
    };
    size_t n_train = 0, n_test = 0;
    if (offline_split_write(&n_train, &n_test, &spec) < 0 ||
        write_description(pub, comp->id) < 0)
        goto out;
    log_debug("%s: %zu train rows, %zu test rows", comp->id, n_train, n_test);
    rc = 0;
out:
    for (size_t i = 0; i < n_targets; i++)
        free(names[i]), free(vals[i]);
    free(names), free(vals), free(cols);
    if (src->ctx_free)
        src->ctx_free(ctx);
    otab_free(t);
    otab_free(full);
    free(pub), free(priv), free(train), free(test), free(sample), free(ans);
    return rc;
}

static const bench_competition *bundled(const char *id)
{
    size_t n = 0;
    const bench_competition *all = bench_offline_registry(&n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(all[i].id, id))
            return &all[i];
    return NULL;
}

static int finish_dir(const char *tmp, const char *dst, unsigned long seed)
{
    char *mark = path_join(tmp, ".grove-prepared");
    char *text = xasprintf("seed %lu\n", seed);
    int rc = file_write_str(mark, text);
    if (rc == 0 && rm_rf(dst) == 0 && rename(tmp, dst) < 0)
        rc = err_set("rename %s -> %s: %s", tmp, dst, strerror(errno));
    free(mark);
    free(text);
    return rc;
}

int bench_prepare(int *already, const char *id, const char *data_dir, unsigned long seed,
                  int force)
{
    *already = 0;
    const offline_source *src = offline_source_find(id);
    const bench_competition *comp = bundled(id);
    if (!src || !comp)
        return err_set("'%s' is not a bundled competition (see `grove competitions`)", id);
    char *dd = bench_data_dir(data_dir);
    char *dst = xasprintf("%s/%s/prepared", dd, id);
    char *tmp = xasprintf("%s/%s/prepared.tmp", dd, id);
    char *mark = path_join(dst, ".grove-prepared");
    char *file = NULL;
    int rc = 0;
    if (!force && file_exists(mark)) {
        *already = 1;
        goto out;
    }
    if (!(file = source_file(src))) {
        rc = BENCH_ENOSRC;
        goto out;
    }
    rc = rm_rf(tmp);
    if (rc == 0)
        rc = build(src, comp, file, tmp, seed);
    if (rc == 0)
        rc = finish_dir(tmp, dst, seed);
    if (rc < 0) {
        rm_rf(tmp);
        err_prefix("prepare %s", id);
    }
out:
    free(dd), free(dst), free(tmp), free(mark), free(file);
    return rc;
}

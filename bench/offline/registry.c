/*
 * registry.c: the bundled offline competitions: their registry entries and
 * where their data comes from.
 *
 * They have no human leaderboard. Their thresholds are *reference* scores,
 * measured by scripts/offline_reference.py on the test split of the default
 * seed and committed in bench/offline/reference.tsv (embedded):
 *   median = a constant predictor (class priors / the training mean),
 *   bronze = the weaker of two simple baselines (a linear model and a
 *            random forest), silver = the stronger of the two,
 *   gold   = none (NaN): nothing grove measured deserves that name.
 * So "above median" means "beats predicting the prior", and a "medal" means
 * "at least as good as a standard baseline", never a placing among people.
 *
 * The entries are a cache filled on the first call (the reference table is
 * parsed then); grove has no threads and never writes them afterwards.
 */
#include "embed.h"
#include "sources.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

extern const embed_file offline_files[];

#define SK "/usr/lib/python3/dist-packages/sklearn/datasets/tests/data/openml/"
#define RLIB "/usr/lib/R/site-library/"

static const offline_source sources[] = {
    {"grove-titanic", "python3-sklearn", SK "id_40945/data-v1-dl-16826755.arff.gz", NULL,
     load_titanic, NULL, NULL, 0.3, 0},
    {"grove-spambase", "deap-doc", "/usr/share/doc/deap-doc/examples/gp/spambase.csv",
     NULL, load_spambase, NULL, NULL, 0.25, 0},
    {"grove-letters", "opencv-doc",
     "/usr/share/doc/opencv-doc/examples/data/letter-recognition.data", NULL,
     load_letters, NULL, NULL, 0.25, 0},
    {"grove-fashion", "dataset-fashion-mnist",
     "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", NULL, load_fashion,
     finish_fashion, free_fashion, 0.25, 8000},
    {"grove-diamonds", "r-base-core r-cran-ggplot2", RLIB "ggplot2/data/Rdata.rdb",
     "/usr/bin/Rscript", load_diamonds, NULL, NULL, 0.25, 0},
    {"grove-churn", "r-base-core r-cran-modeldata", RLIB "modeldata/data/Rdata.rdb",
     "/usr/bin/Rscript", load_churn, NULL, NULL, 0.25, 0},
    {"grove-austen", "r-base-core r-cran-janeaustenr", RLIB "janeaustenr/data/Rdata.rdb",
     "/usr/bin/Rscript", load_austen, NULL, NULL, 0.25, 0},
};
#define N_SOURCES (sizeof sources / sizeof *sources)

#define BUNDLED(id_, name_, metric_, lower_, targets_, label_, task_)                  \
    {.id = id_, .name = name_, .metric = metric_, .lower_is_better = lower_,         \
     .graded = 1, .answers = "answers.csv", .sample_submission = "sample_submission.csv", \
     .id_col = "id", .target_cols = targets_, .prob_rows_sum_to_one = !strcmp(targets_, "*"), \
     .thresholds_kind = "reference", .train_file = "train.csv", .label_col = label_,   \
     .test_file = "test.csv", .task = task_, .split = "bundled"}

/* Cache: see the top comment. */
static bench_competition entries[N_SOURCES];
static int entries_ready;

static void fill_entries(void)
{
    const bench_competition e[N_SOURCES] = {
        BUNDLED("grove-titanic", "Titanic survival (bundled, from scikit-learn's copy)",
                "auc", 0, "survived", "survived", TASK_BINARY),
        BUNDLED("grove-spambase", "Spambase e-mail spam (bundled, from deap-doc)", "auc",
                0, "spam", "spam", TASK_BINARY),
        BUNDLED("grove-letters", "Letter recognition, 26 classes (bundled, from opencv-doc)",
                "logloss", 1, "*", "letter", TASK_MULTICLASS),
        BUNDLED("grove-fashion", "Fashion-MNIST images, 10 classes (bundled subset)",
                "logloss", 1, "*", "label", TASK_MULTICLASS),
        BUNDLED("grove-diamonds", "Diamond prices (bundled, from R's ggplot2)", "rmsle", 1,
                "price", "price", TASK_REGRESSION),
        BUNDLED("grove-churn", "Telecom customer churn (bundled, from R's modeldata)",
                "auc", 0, "churn", "churn", TASK_BINARY),
        BUNDLED("grove-austen", "Which Jane Austen novel? Text, 6 classes (bundled)",
                "logloss", 1, "*", "book", TASK_MULTICLASS),
    };
    memcpy(entries, e, sizeof e);
    for (size_t i = 0; i < N_SOURCES; i++)
        entries[i].gold = entries[i].silver = entries[i].bronze = entries[i].median = NAN;
}

/* reference.tsv: id, constant, linear, forest (then notes); '#' comments. */
static void load_reference(void)
{
    const embed_file *f = embed_find(offline_files, "reference.tsv");
    if (!f)
        return; /* thresholds stay NaN: graded, but no reference to compare */
    char *text = xstrndup(f->data, f->len), *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || !strncmp(line, "id\t", 3))
            continue;
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = 0;
        for (size_t i = 0; i < N_SOURCES; i++) {
            if (strcmp(entries[i].id, line))
                continue;
            char *p = tab + 1;
            double constant = strtod(p, &p), linear = strtod(p, &p);
            double forest = strtod(p, &p);
            /* which baseline is stronger depends on the data (on churn the
             * linear model wins), and a silver must be the harder bar */
            int linear_better = entries[i].lower_is_better ? linear < forest
                                                           : linear > forest;
            entries[i].median = constant;
            entries[i].bronze = linear_better ? forest : linear;
            entries[i].silver = linear_better ? linear : forest;
        }
    }
    free(text);
}

const bench_competition *bench_offline_registry(size_t *n)
{
    if (!entries_ready) {
        fill_entries();
        load_reference();
        entries_ready = 1;
    }
    *n = N_SOURCES;
    return entries;
}

const offline_source *offline_source_find(const char *id)
{
    for (size_t i = 0; i < N_SOURCES; i++)
        if (!strcmp(sources[i].id, id))
            return &sources[i];
    return NULL;
}

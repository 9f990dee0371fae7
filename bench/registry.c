/*
 * registry.c: the competition registry.
 *
 * The table bench/registry.tsv is derived from MLE-bench's configs and
 * leaderboards by scripts/derive_registry.py and embedded in the binary at
 * build time (tools/embed). On first use it is parsed once into an array of
 * bench_competition, followed by the bundled offline competitions; entries
 * point into one private copy of the table's text. That parsed array is the
 * module's only global state: a cache, filled once, read-only afterwards
 * (grove has no threads).
 */
#include "bench.h"
#include "embed.h"
#include "offline.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

extern const embed_file bench_registry_files[];

/* Cache: the parsed table (see the top comment). */
static bench_competition *g_entries;
static size_t g_count;
static char *g_text;

enum { F_ID, F_NAME, F_GRADER, F_METRIC, F_GRADED, F_REASON, F_ANSWERS, F_SAMPLE,
       F_IDCOL, F_TARGETS, F_PROB, F_GOLD, F_SILVER, F_BRONZE, F_MEDIAN, F_TEAMS,
       F_LOWER, F_SPLIT, F_COUNT };

static const char *opt(const char *s)
{
    return s[0] ? s : NULL;
}

static bench_task task_of(const char *metric, const char *targets)
{
    if (!strcmp(metric, "auc") || !strncmp(metric, "auc_cols", 8))
        return TASK_BINARY;
    if (!strcmp(metric, "logloss"))
        return strchr(targets, ',') || !strcmp(targets, "*") ? TASK_MULTICLASS : TASK_BINARY;
    if (!strcmp(metric, "accuracy") || !strcmp(metric, "qwk"))
        return TASK_MULTICLASS;
    /* metrics_extra.c's label metrics: one column of class labels */
    if (!strcmp(metric, "accuracy_pd") || !strcmp(metric, "qwk_int") ||
        !strcmp(metric, "f1_macro_int") || !strcmp(metric, "top1_error") ||
        !strcmp(metric, "logloss_r6"))
        return TASK_MULTICLASS;
    if (!strncmp(metric, "rms", 3) || !strcmp(metric, "mae"))
        return TASK_REGRESSION;
    return TASK_OTHER;
}

static void fill(bench_competition *c, char **f)
{
    memset(c, 0, sizeof *c);
    c->id = f[F_ID];
    c->name = f[F_NAME];
    c->metric = f[F_METRIC];
    c->graded = atoi(f[F_GRADED]);
    c->not_yet_reason = opt(f[F_REASON]);
    c->answers = opt(f[F_ANSWERS]);
    c->sample_submission = opt(f[F_SAMPLE]);
    const char *id_col = f[F_IDCOL];
    c->pairing = *id_col == '@'   ? PAIR_BY_POSITION
                 : *id_col == '<' ? PAIR_BY_SORTED_ID
                 : *id_col == '~' ? PAIR_BY_ALIGNED_ID
                                  : PAIR_BY_ID;
    c->id_col = opt(id_col + (c->pairing != PAIR_BY_ID));
    const char *targets = f[F_TARGETS];
    if (*targets && strchr("!^#", *targets))
        c->cols_rule = *targets++;
    c->target_cols = opt(targets);
    c->prob_rows_sum_to_one = atoi(f[F_PROB]);
    c->gold = strtod(f[F_GOLD], NULL);
    c->silver = strtod(f[F_SILVER], NULL);
    c->bronze = strtod(f[F_BRONZE], NULL);
    c->median = strtod(f[F_MEDIAN], NULL);
    c->n_teams = atoi(f[F_TEAMS]);
    c->lower_is_better = atoi(f[F_LOWER]);
    c->thresholds_kind = c->n_teams > 0 ? "leaderboard" : "none";
    c->task = task_of(c->metric, targets);
    c->split = f[F_SPLIT];
}

/* Split the embedded TSV in place; a malformed table is a build bug, so it
 * aborts loudly rather than serving a registry with holes. */
static void load(void)
{
    const embed_file *tsv = embed_find(bench_registry_files, "registry.tsv");
    if (!tsv) {
        log_error("bench: registry.tsv is not embedded in this binary");
        abort();
    }
    g_text = xstrndup(tsv->data, tsv->len);
    size_t off_n = 0;
    const bench_competition *off = bench_offline_registry(&off_n);
    size_t lines = 0;
    for (const char *p = g_text; *p; p++)
        lines += *p == '\n';
    g_entries = xcalloc(lines + off_n + 1, sizeof *g_entries);
    char *save = NULL;
    char *line = strtok_r(g_text, "\n", &save); /* the header */
    while ((line = strtok_r(NULL, "\n", &save))) {
        char *f[F_COUNT];
        size_t n = 0;
        for (char *p = line; p && n < F_COUNT; n++) {
            f[n] = p;
            p = strchr(p, '\t');
            if (p)
                *p++ = 0;
        }
        if (n != F_COUNT) {
            log_error("bench: registry.tsv: row %zu has %zu fields, want %d", g_count + 2, n,
                      F_COUNT);
            abort();
        }
        fill(&g_entries[g_count++], f);
    }
    for (size_t i = 0; i < off_n; i++)
        g_entries[g_count++] = off[i];
}

const bench_competition *bench_registry_all(size_t *n)
{
    if (!g_entries)
        load();
    *n = g_count;
    return g_entries;
}

/* grove's variants of a metric (how cells are typed, which rows count) and
 * the metric a user knows. */
static const struct {
    const char *metric, *label;
} metric_labels[] = {
    {"accuracy_pd", "accuracy"},       {"accuracy_str", "accuracy"},
    {"auc_cols_any", "auc_cols"},      {"f1_macro_int", "f1_macro"},
    {"f1_micro_labels", "f1_micro"},   {"f1_micro_sets", "f1_micro"},
    {"kendall_tau_order", "kendall_tau"}, {"levenshtein_seq", "levenshtein"},
    {"levenshtein_str", "levenshtein"}, {"log_mae_groups", "log_mae"},
    {"logloss_r6", "logloss"},         {"mae_int", "mae"},
    {"mae_where0", "mae"},             {"map_at_5_strict", "map_at_5"},
    {"qwk_int", "qwk"},                {"rmse_1_100", "rmse"},
    {"rmse_kept", "mcrmse"},
};

const char *bench_metric_label(const char *metric)
{
    for (size_t i = 0; i < sizeof metric_labels / sizeof metric_labels[0]; i++)
        if (!strcmp(metric_labels[i].metric, metric))
            return metric_labels[i].label;
    return metric;
}

const bench_competition *bench_registry_find(const char *id)
{
    size_t n;
    const bench_competition *all = bench_registry_all(&n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(all[i].id, id))
            return &all[i];
    err_set("unknown competition '%s' (see `grove competitions` for the list)", id);
    return NULL;
}

/*
 * aggregate.c: medal rates over seeds, as MLE-bench reports them.
 *
 * Reports (single ones, or batch reports holding competition_reports) are
 * grouped by competition in the order given: the k-th report of a
 * competition is seed k. For each split (lite, medium, hard, and all = the
 * three together) and each seed, the rate is the percentage of the split's
 * competitions with any medal, a missing run counting as none. Then the mean
 * over seeds, the standard error of the mean (sample std, ddof 1, over
 * sqrt(seeds)) and mean +/- 1.96 SEM.
 */
#include "bench.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct run_list {
    const char *id;
    int *medal; /* per seed: -1 no run, 0/1 any_medal */
} run_list;

static void add_report(run_list **runs, size_t *n, int seeds, const cJSON *r)
{
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(r, "competition_id"));
    if (!id)
        return;
    size_t i = 0;
    while (i < *n && strcmp((*runs)[i].id, id))
        i++;
    if (i == *n) {
        *runs = xrealloc(*runs, (*n + 1) * sizeof **runs);
        (*runs)[i].id = id;
        (*runs)[i].medal = xmalloc((size_t)seeds * sizeof(int));
        for (int s = 0; s < seeds; s++)
            (*runs)[i].medal[s] = -1;
        (*n)++;
    }
    for (int s = 0; s < seeds; s++)
        if ((*runs)[i].medal[s] < 0) {
            (*runs)[i].medal[s] = cJSON_IsTrue(cJSON_GetObjectItem(r, "any_medal"));
            return;
        }
    log_warn("aggregate: more than %d reports for %s; extra ones ignored", seeds, id);
}

static int in_split(const bench_competition *c, const char *split)
{
    if (!strcmp(split, "all"))
        return !strcmp(c->split, "lite") || !strcmp(c->split, "medium") ||
               !strcmp(c->split, "hard");
    return !strcmp(c->split, split);
}

static cJSON *split_stats(const char *split, const run_list *runs, size_t n_runs, int seeds)
{
    size_t n_comp;
    const bench_competition *all = bench_registry_all(&n_comp);
    double *rate = xcalloc((size_t)seeds, sizeof *rate);
    size_t members = 0, with_runs = 0;
    for (size_t c = 0; c < n_comp; c++) {
        if (!in_split(&all[c], split))
            continue;
        members++;
        for (size_t r = 0; r < n_runs; r++) {
            if (strcmp(runs[r].id, all[c].id))
                continue;
            with_runs++;
            for (int s = 0; s < seeds; s++)
                rate[s] += runs[r].medal[s] > 0;
        }
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "n_competitions", (double)members);
    cJSON_AddNumberToObject(o, "n_competitions_with_runs", (double)with_runs);
    cJSON *per = cJSON_AddArrayToObject(o, "any_medal_pct_per_seed");
    double mean = 0, var = 0;
    for (int s = 0; s < seeds; s++) {
        rate[s] = members ? 100.0 * rate[s] / (double)members : 0;
        cJSON_AddItemToArray(per, cJSON_CreateNumber(rate[s]));
        mean += rate[s] / seeds;
    }
    for (int s = 0; s < seeds; s++)
        var += (rate[s] - mean) * (rate[s] - mean);
    double sem = seeds > 1 ? sqrt(var / (seeds - 1)) / sqrt((double)seeds) : NAN;
    cJSON_AddNumberToObject(o, "mean", mean);
    if (isnan(sem)) {
        cJSON_AddNullToObject(o, "sem");
        cJSON_AddNullToObject(o, "ci95_low");
        cJSON_AddNullToObject(o, "ci95_high");
    } else {
        cJSON_AddNumberToObject(o, "sem", sem);
        cJSON_AddNumberToObject(o, "ci95_low", mean - 1.96 * sem);
        cJSON_AddNumberToObject(o, "ci95_high", mean + 1.96 * sem);
    }
    free(rate);
    return o;
}

int bench_aggregate(cJSON **out, cJSON *const *reports, size_t n_reports, int seeds)
{
    *out = NULL;
    if (seeds < 1)
        return err_set("aggregate: --seeds must be at least 1 (got %d)", seeds);
    run_list *runs = NULL;
    size_t n_runs = 0;
    for (size_t i = 0; i < n_reports; i++) {
        const cJSON *list = cJSON_GetObjectItem(reports[i], "competition_reports");
        const cJSON *r;
        if (cJSON_IsArray(list)) {
            cJSON_ArrayForEach(r, list)
                add_report(&runs, &n_runs, seeds, r);
        } else if (cJSON_GetObjectItem(reports[i], "competition_id")) {
            add_report(&runs, &n_runs, seeds, reports[i]);
        } else {
            for (size_t k = 0; k < n_runs; k++)
                free(runs[k].medal);
            free(runs);
            return err_set("aggregate: report %zu is neither a grading report nor a batch "
                           "report (no competition_id / competition_reports)", i + 1);
        }
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "seeds", seeds);
    cJSON *splits = cJSON_AddObjectToObject(o, "splits");
    static const char *const names[] = {"lite", "medium", "hard", "all"};
    for (size_t s = 0; s < 4; s++)
        cJSON_AddItemToObject(splits, names[s], split_stats(names[s], runs, n_runs, seeds));
    for (size_t k = 0; k < n_runs; k++)
        free(runs[k].medal);
    free(runs);
    *out = o;
    return 0;
}

/*
 * report_bench.c: the page of a bench, a folder of run folders.
 *
 * Layout read (grove bench's): BENCH/runs/<id>-seed<N>/, each an ordinary
 * grove run folder; nothing else in BENCH is read or written. Each run's own page is written as RUN/report.html and linked
 * from the bench page; the bench page lists the runs per competition with
 * their state, why they stopped, the final submission's grade
 * (best/grade.json), the search's best score and where the final node
 * ranked among the nodes by search score, and, where the run made a
 * selection analysis (RUN/analysis.json), the oracle and the regret. Runs
 * are grouped by the registry's split of their competition.
 */
#include "bench.h"
#include "report_html.h"
#include "report_int.h"
#include "util.h"

#include <dirent.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* The selection: rank of the final node among the scored nodes, by score. */
static char *selection(const cJSON *data, const report_facts *f, int lower)
{
    const cJSON *fin = get(get(data, "final"), "node");
    if (!cJSON_IsNumber(fin))
        return NULL;
    double fs = 0;
    int found = 0, rank = 1, scored = 0;
    for (int i = 0; i < f->n; i++)
        if (f->nodes[i].id == fin->valueint && !isnan(f->nodes[i].score)) {
            fs = f->nodes[i].score;
            found = 1;
        }
    for (int i = 0; i < f->n; i++) {
        double s = f->nodes[i].score;
        if (isnan(s) || f->nodes[i].is_buggy)
            continue;
        scored++;
        rank += found && (lower ? s < fs : s > fs);
    }
    return found ? xasprintf("final node %d: #%d of %d by search score", fin->valueint, rank, scored)
                 : NULL;
}

static cJSON *summarise(const cJSON *data, const report_facts *f, const char *name,
                        const char *page)
{
    cJSON *r = cJSON_CreateObject();
    const cJSON *cfg = get(data, "config"), *st = get(data, "status");
    const cJSON *comp = get(cfg, "competition"), *seed = get(cfg, "seed");
    cJSON_AddStringToObject(r, "name", name);
    cJSON_AddStringToObject(r, "page", page);
    const char *id = cJSON_IsString(comp) ? report_base_name(comp->valuestring) : "?";
    const bench_competition *entry = bench_registry_find(id);
    cJSON_AddStringToObject(r, "competition", id);
    cJSON_AddStringToObject(r, "split", entry && entry->split ? entry->split : "other");
    cJSON_AddItemToObject(r, "seed", cJSON_IsNumber(seed) ? cJSON_CreateNumber(seed->valuedouble)
                                                          : cJSON_CreateNull());
    cJSON_AddItemToObject(r, "state", cJSON_Duplicate(get(st, "state"), 1));
    if (cJSON_IsString(get(st, "stop_reason")))
        cJSON_AddItemToObject(r, "stop_reason", cJSON_Duplicate(get(st, "stop_reason"), 1));
    cJSON_AddNumberToObject(r, "nodes", f->n);
    const cJSON *best = get(data, "best");
    for (int i = 0; i < f->n; i++)
        if (cJSON_IsNumber(best) && f->nodes[i].id == best->valueint &&
            !isnan(f->nodes[i].score))
            cJSON_AddNumberToObject(r, "best_score", f->nodes[i].score);
    const cJSON *grade = get(get(data, "final"), "grade");
    if (grade)
        cJSON_AddItemToObject(r, "grade", cJSON_Duplicate(grade, 1));
    const cJSON *an = get(data, "analysis");
    if (cJSON_IsObject(an)) {
        cJSON *a = cJSON_AddObjectToObject(r, "analysis");
        static const char *const keys[] = {"final_score", "oracle_score", "regret",
                                           "regret_normalised"};
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
            if (cJSON_IsNumber(get(an, keys[i])))
                cJSON_AddNumberToObject(a, keys[i], get(an, keys[i])->valuedouble);
    }
    char *sel = selection(data, f, cJSON_IsTrue(get(cfg, "lower_is_better")));
    if (sel)
        cJSON_AddStringToObject(r, "selection", sel);
    free(sel);
    return r;
}

/* One run: its own page beside it, and its line in the bench's data. */
static int add_run(cJSON *runs, const char *bench_dir, const char *rel, int same_dir)
{
    char *run_dir = path_join(bench_dir, rel);
    char *page = path_join(run_dir, "report.html");
    report_pool *pool = report_pool_new();
    report_facts facts = {0};
    cJSON *data = report_run_data(run_dir, pool, &facts);
    int rc = -1;
    if (data) {
        cJSON *row = summarise(data, &facts, rel, same_dir ? page + strlen(bench_dir) + 1 : page);
        char *title = xasprintf("grove run %s", rel);
        cJSON_AddStringToObject(data, "kind", "run");
        rc = report_page_write(page, title, data, pool);
        free(title);
        cJSON_AddItemToArray(runs, row);
    } else {
        log_warn("bench report: %s", err_last());
        rc = 0; /* one unreadable run does not hide the others */
    }
    report_facts_free(&facts);
    report_pool_free(pool);
    free(page);
    free(run_dir);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The run folders in bench_dir/runs/, by name. */
static int walk(cJSON *runs, const char *bench_dir, int same_dir)
{
    char *dir = path_join(bench_dir, "runs");
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        names = xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = xasprintf("runs/%s", e->d_name);
    }
    if (d)
        closedir(d);
    xqsort(names, n, sizeof *names, cmp_str);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char *git = xasprintf("%s/%s/.git", bench_dir, names[i]);
        if (dir_exists(git))
            rc |= add_run(runs, bench_dir, names[i], same_dir);
        free(git);
        free(names[i]);
    }
    free(names);
    free(dir);
    return rc;
}

int report_html_bench(const char *bench_dir, const char *out_path)
{
    char *bench = path_real(bench_dir);
    if (!bench)
        return err_set("%s: no such folder", bench_dir);
    /* links are relative when the page sits in the bench folder */
    char *copy = xstrdup(out_path);
    char *out_dir = path_real(dirname(copy));
    int same_dir = out_dir && strcmp(out_dir, bench) == 0;
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "kind", "bench");
    cJSON_AddStringToObject(data, "bench_dir", bench);
    cJSON *runs = cJSON_AddArrayToObject(data, "runs");
    int rc = walk(runs, bench, same_dir);
    if (rc == 0 && cJSON_GetArraySize(runs) == 0)
        rc = err_set("%s is neither a run folder (no .git) nor a bench folder (no run folders in "
                     "%s/runs/, where grove bench puts them)", bench_dir, bench_dir);
    cJSON_AddNumberToObject(data, "generated_at", clock_wall());
    cJSON_AddStringToObject(data, "grove_version", GROVE_VERSION);
    if (rc == 0) {
        char *title = xasprintf("grove bench %s", report_base_name(bench));
        rc = report_page_write(out_path, title, data, NULL);
        data = NULL; /* the page's now */
        free(title);
    }
    cJSON_Delete(data);
    free(out_dir);
    free(copy);
    free(bench);
    return rc;
}

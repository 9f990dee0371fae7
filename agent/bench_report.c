/*
 * bench_report.c: what a bench (or one run) achieved, in MLE-bench's terms.
 *
 * Each run contributes one competition report with MLE-bench's fields: its
 * best/grade.json, written by grove run when it graded its final submission
 * (bench/ is the grader), or, for a run with no graded submission, a report
 * with no submission and every medal false: a failed, timed out or killed
 * run counts as a run without a medal, never dropped, and so does a run
 * that has not finished (no finished.json), whatever it graded so far.
 * grove adds to each report: seed, run_dir, finished, failure (why it has
 * no medal-capable submission), and analysis (RUN/analysis.json).
 *
 * Over the runs: MLE-bench's summary (total_runs ... total_above_median,
 * competition_reports), then per competition the any-medal and above-median
 * rates over seeds with mean, standard error and 95% interval, the mean
 * score and the failures; per split (the registry's split of each
 * competition, and "all" for the whole bench) the rates as MLE-bench
 * aggregates them: per seed the share of the split's competitions with a
 * medal, then mean and SE over seeds. Scores normalised to the reference
 * gap, (score - median) / (silver - median) (1.0 is silver in either metric
 * direction), make the selection analysis comparable across competitions.
 */
#include "bench_driver.h"
#include "bench.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static cJSON *read_json(const char *dir, const char *name)
{
    char *path = path_join(dir, name);
    char *text = NULL;
    cJSON *o = file_read(path, &text, NULL) == 0 ? cJSON_Parse(text) : NULL;
    free(text);
    free(path);
    if (o && !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        o = NULL;
    }
    return o;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void set_item(cJSON *o, const char *key, cJSON *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    cJSON_AddItemToObject(o, key, v);
}

static cJSON *num_or_null(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

/* The report of a run with no graded submission: MLE-bench's fields, no
 * score, every flag false, the thresholds the registry knows. */
static cJSON *empty_report(const char *comp_id)
{
    const bench_competition *c = bench_registry_find(comp_id);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "competition_id", comp_id);
    cJSON_AddNullToObject(o, "score");
    cJSON_AddItemToObject(o, "gold_threshold", num_or_null(c ? c->gold : NAN));
    cJSON_AddItemToObject(o, "silver_threshold", num_or_null(c ? c->silver : NAN));
    cJSON_AddItemToObject(o, "bronze_threshold", num_or_null(c ? c->bronze : NAN));
    cJSON_AddItemToObject(o, "median_threshold", num_or_null(c ? c->median : NAN));
    static const char *const flags[] = {"any_medal", "gold_medal", "silver_medal",
                                        "bronze_medal", "above_median", "submission_exists",
                                        "valid_submission"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        cJSON_AddFalseToObject(o, flags[i]);
    cJSON_AddBoolToObject(o, "is_lower_better", c && c->lower_is_better);
    cJSON_AddNullToObject(o, "created_at");
    cJSON_AddNullToObject(o, "submission_path");
    return o;
}

/* Why a run has no medal-capable submission, NULL when it has one. */
static const char *failure(const cJSON *rep, const cJSON *fin, int folder,
                           const char *job_failure, char *buf, size_t n)
{
    const char *f = cJSON_GetStringValue(cJSON_GetObjectItem(fin, "failure"));
    if (fin && f)
        return f;
    if (fin && cJSON_IsTrue(cJSON_GetObjectItem(rep, "valid_submission")))
        return NULL;
    if (fin) {
        const char *e = cJSON_GetStringValue(cJSON_GetObjectItem(rep, "error"));
        snprintf(buf, n, "invalid final submission%s%s", e ? ": " : "", e ? e : "");
        return buf;
    }
    if (!folder)
        return "never started";
    snprintf(buf, n, "did not finish%s%s (`grove bench --resume` tries it again)",
             job_failure ? ": " : "", job_failure ? job_failure : "");
    return buf;
}

cJSON *bench_report_one(const char *run_dir, const char *comp_id, int seed,
                        const char *job_failure)
{
    char *best = path_join(run_dir, "best");
    cJSON *fin = read_json(run_dir, "finished.json");
    /* a run counts once it has finished: one stopped after its final grade
     * (in the selection analysis, say) may still change on --resume */
    cJSON *rep = fin ? read_json(best, "grade.json") : NULL;
    if (!rep)
        rep = empty_report(comp_id);
    /* where the final submission lies now (older runs named best.tmp/) */
    char *sub = path_join(best, "submission.csv");
    const char *had = cJSON_GetStringValue(cJSON_GetObjectItem(rep, "submission_path"));
    if (had && !file_exists(had) && file_exists(sub))
        set_item(rep, "submission_path", cJSON_CreateString(sub));
    char buf[400];
    const char *why = failure(rep, fin, dir_exists(run_dir), job_failure, buf, sizeof buf);
    cJSON_AddNumberToObject(rep, "seed", seed);
    cJSON_AddStringToObject(rep, "run_dir", run_dir);
    cJSON_AddBoolToObject(rep, "finished", fin != NULL);
    cJSON_AddItemToObject(rep, "failure", why ? cJSON_CreateString(why) : cJSON_CreateNull());
    const char *stop = cJSON_GetStringValue(cJSON_GetObjectItem(fin, "stop_reason"));
    cJSON_AddItemToObject(rep, "stop_reason", stop ? cJSON_CreateString(stop)
                                                   : cJSON_CreateNull());
    cJSON *an = fin ? read_json(run_dir, "analysis.json") : NULL;
    cJSON_AddItemToObject(rep, "analysis", an ? an : cJSON_CreateNull());
    /* the final selection: its rule, each finalist's search and hidden
     * scores, the pick and why (run_select.c) */
    cJSON *sel = read_json(run_dir, "selection.json");
    cJSON_AddItemToObject(rep, "selection", sel ? sel : cJSON_CreateNull());
    cJSON_Delete(fin);
    free(sub);
    free(best);
    return rep;
}

/* (score - median) / (silver - median): 0 at the median, 1 at silver. */
static double normalised(const cJSON *rep, double score)
{
    double med = num(rep, "median_threshold"), silver = num(rep, "silver_threshold");
    return isfinite(score) && isfinite(med) && isfinite(silver) && silver != med
               ? (score - med) / (silver - med) : NAN;
}

static int flag(const cJSON *rep, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItem(rep, key));
}

/* MLE-bench's summary fields over the reports (array of run reports). */
static void add_summary(cJSON *o, cJSON *reports)
{
    int n = 0, subs = 0, valid = 0, gold = 0, silver = 0, bronze = 0, median = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, reports) {
        n++;
        subs += flag(r, "submission_exists");
        valid += flag(r, "valid_submission");
        gold += flag(r, "gold_medal");
        silver += flag(r, "silver_medal");
        bronze += flag(r, "bronze_medal");
        median += flag(r, "above_median");
    }
    cJSON_AddNumberToObject(o, "total_runs", n);
    cJSON_AddNumberToObject(o, "total_runs_with_submissions", subs);
    cJSON_AddNumberToObject(o, "total_valid_submissions", valid);
    cJSON_AddNumberToObject(o, "total_medals", gold + silver + bronze);
    cJSON_AddNumberToObject(o, "total_gold_medals", gold);
    cJSON_AddNumberToObject(o, "total_silver_medals", silver);
    cJSON_AddNumberToObject(o, "total_bronze_medals", bronze);
    cJSON_AddNumberToObject(o, "total_above_median", median);
    cJSON_AddItemToObject(o, "competition_reports", reports);
}

/* Values gathered for one statistic. */
typedef struct series {
    double *x;
    int n;
} series;

static void push(series *s, double v)
{
    if (!isfinite(v))
        return;
    s->x = xrealloc(s->x, (size_t)(s->n + 1) * sizeof *s->x);
    s->x[s->n++] = v;
}

static void add_series(cJSON *o, const char *key, series *s)
{
    cJSON_AddItemToObject(o, key, bench_stats(s->x, s->n));
    free(s->x);
    memset(s, 0, sizeof *s);
}

/* Selection analysis of reports: raw (one competition) and normalised. */
static cJSON *analysis_stats(cJSON *const *reps, int n, int raw)
{
    series oracle = {0}, final = {0}, regret = {0}, nregret = {0}, noracle = {0}, nfinal = {0};
    series nsearch = {0}; /* the best search score's regret, beside the final pick's */
    for (int i = 0; i < n; i++) {
        const cJSON *a = cJSON_GetObjectItem(reps[i], "analysis");
        if (!cJSON_IsObject(a))
            continue;
        push(&oracle, num(a, "oracle_score"));
        push(&final, num(a, "final_score"));
        push(&regret, num(a, "regret"));
        push(&nregret, num(a, "regret_normalised"));
        push(&nsearch, num(a, "search_pick_regret_normalised"));
        push(&noracle, normalised(reps[i], num(a, "oracle_score")));
        push(&nfinal, normalised(reps[i], num(a, "final_score")));
    }
    cJSON *o = cJSON_CreateObject();
    if (raw) {
        add_series(o, "oracle_score", &oracle);
        add_series(o, "final_score", &final);
        add_series(o, "regret", &regret);
    }
    add_series(o, "oracle_normalised", &noracle);
    add_series(o, "final_normalised", &nfinal);
    add_series(o, "regret_normalised", &nregret);
    add_series(o, "search_pick_regret_normalised", &nsearch);
    free(oracle.x);
    free(final.x);
    free(regret.x);
    return o;
}

/* The runs of one competition (its seeds). */
static cJSON *competition_stats(const char *id, cJSON *const *reps, int n)
{
    series medal = {0}, median = {0}, score = {0}, nscore = {0};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "competition_id", id);
    const bench_competition *c = bench_registry_find(id);
    cJSON_AddStringToObject(o, "split", c && c->split ? c->split : "other");
    cJSON *fails = cJSON_CreateArray();
    int finished = 0;
    for (int i = 0; i < n; i++) {
        push(&medal, flag(reps[i], "any_medal"));
        push(&median, flag(reps[i], "above_median"));
        double s = flag(reps[i], "valid_submission") ? num(reps[i], "score") : NAN;
        push(&score, s);
        push(&nscore, normalised(reps[i], s));
        finished += flag(reps[i], "finished");
        const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(reps[i], "failure"));
        if (why) {
            cJSON *f = cJSON_CreateObject();
            cJSON_AddNumberToObject(f, "seed", num(reps[i], "seed"));
            cJSON_AddStringToObject(f, "reason", why);
            cJSON_AddItemToArray(fails, f);
        }
    }
    cJSON_AddNumberToObject(o, "runs", n);
    cJSON_AddNumberToObject(o, "finished", finished);
    add_series(o, "any_medal", &medal);
    add_series(o, "above_median", &median);
    add_series(o, "score", &score);
    add_series(o, "score_normalised", &nscore);
    cJSON_AddItemToObject(o, "failures", fails);
    cJSON_AddItemToObject(o, "analysis", analysis_stats(reps, n, 1));
    return o;
}

/* A split: per seed the share of its competitions with a medal (above the
 * median), as MLE-bench aggregates; comps[k] holds seeds reports each. */
static cJSON *split_stats(const char *name, cJSON **const *comps, int n_comps, int seeds)
{
    series medal = {0}, median = {0};
    int runs = 0, valid = 0, failures = 0;
    cJSON **all = xcalloc((size_t)(n_comps * seeds) + 1, sizeof *all);
    for (int s = 0; s < seeds; s++) {
        int m = 0, a = 0;
        for (int k = 0; k < n_comps; k++) {
            const cJSON *r = comps[k][s];
            all[runs++] = comps[k][s];
            m += flag(r, "any_medal");
            a += flag(r, "above_median");
            valid += flag(r, "valid_submission");
            failures += cJSON_GetStringValue(cJSON_GetObjectItem(r, "failure")) != NULL;
        }
        push(&medal, 100.0 * m / n_comps);
        push(&median, 100.0 * a / n_comps);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "split", name);
    cJSON_AddNumberToObject(o, "competitions", n_comps);
    cJSON_AddNumberToObject(o, "runs", runs);
    cJSON_AddNumberToObject(o, "valid_submissions", valid);
    cJSON_AddNumberToObject(o, "failures", failures);
    cJSON *per = cJSON_AddArrayToObject(o, "any_medal_pct_per_seed");
    for (int s = 0; s < medal.n; s++)
        cJSON_AddItemToArray(per, cJSON_CreateNumber(medal.x[s]));
    add_series(o, "any_medal_pct", &medal);
    add_series(o, "above_median_pct", &median);
    cJSON_AddItemToObject(o, "analysis", analysis_stats(all, runs, 0));
    free(all);
    return o;
}

static const char *comp_split(const char *id)
{
    const bench_competition *c = bench_registry_find(id);
    return c && c->split ? c->split : "other";
}

/* The splits of the bench's competitions, each once, then "all". */
static cJSON *splits(const bench_plan *p, cJSON ***by_comp)
{
    cJSON *out = cJSON_CreateArray();
    cJSON ***members = xcalloc((size_t)p->n_comps + 1, sizeof *members);
    for (int i = 0; i < p->n_comps; i++) {
        const char *name = comp_split(p->comps[i]);
        int seen = 0, n = 0;
        for (int k = 0; k < i; k++)
            seen |= !strcmp(comp_split(p->comps[k]), name);
        if (seen)
            continue;
        for (int k = i; k < p->n_comps; k++)
            if (!strcmp(comp_split(p->comps[k]), name))
                members[n++] = by_comp[k];
        cJSON_AddItemToArray(out, split_stats(name, members, n, p->seeds));
    }
    cJSON_AddItemToArray(out, split_stats("all", by_comp, p->n_comps, p->seeds));
    free(members);
    return out;
}

/* The last non-empty line of a run's log (where grove run says why it
 * stopped), at most n - 1 bytes, into buf; "" when there is none. */
static void log_last_line(const char *path, char *buf, size_t n)
{
    char *text = NULL;
    size_t len = 0;
    buf[0] = 0;
    if (file_read(path, &text, &len) < 0)
        return;
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        text[--len] = 0;
    const char *line = strrchr(text, '\n') ? strrchr(text, '\n') + 1 : text;
    snprintf(buf, n, "%s", line);
    free(text);
}

/* Why a job that did not finish ended, from jobs.json and its log; NULL
 * when the driver never saw it end. */
static const char *job_failure(const bench_plan *p, int i, const cJSON *record, char *buf,
                               size_t n)
{
    char *run_dir = bench_plan_run_dir(p, i);
    const cJSON *rec = cJSON_GetObjectItem(record, strrchr(run_dir, '/') + 1);
    free(run_dir);
    if (!rec)
        return NULL;
    const char *how = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "why"));
    char *log = bench_plan_log(p, i);
    char last[160];
    log_last_line(log, last, sizeof last);
    free(log);
    snprintf(buf, n, "exit code %d%s%s%s%s", (int)num(rec, "exit_code"), how ? ", " : "",
             how ? how : "", last[0] ? "; its log ends: " : "", last);
    return buf;
}

int bench_report_bench(cJSON **out, const char *bench_dir)
{
    *out = NULL;
    bench_plan p;
    if (bench_plan_load(&p, bench_dir) < 0) {
        bench_plan_free(&p);
        return -1;
    }
    cJSON *record = read_json(p.dir, "jobs.json");
    cJSON *reports = cJSON_CreateArray();
    cJSON ***by_comp = xcalloc((size_t)p.n_comps + 1, sizeof *by_comp);
    for (int i = 0; i < bench_plan_jobs(&p); i++) {
        int seed;
        const char *id = bench_plan_comp(&p, i, &seed);
        char *run_dir = bench_plan_run_dir(&p, i);
        char why[400];
        cJSON *rep = bench_report_one(run_dir, id, seed,
                                      job_failure(&p, i, record, why, sizeof why));
        cJSON_AddItemToArray(reports, rep);
        if (!by_comp[i / p.seeds])
            by_comp[i / p.seeds] = xcalloc((size_t)p.seeds, sizeof(cJSON *));
        by_comp[i / p.seeds][i % p.seeds] = rep;
        free(run_dir);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "bench", p.dir);
    cJSON_AddStringToObject(o, "list", p.list);
    cJSON_AddNumberToObject(o, "seeds", p.seeds);
    add_summary(o, reports);
    cJSON *comps = cJSON_AddArrayToObject(o, "competitions");
    for (int k = 0; k < p.n_comps; k++)
        cJSON_AddItemToArray(comps, competition_stats(p.comps[k], by_comp[k], p.seeds));
    cJSON_AddItemToObject(o, "splits", splits(&p, by_comp));
    for (int k = 0; k < p.n_comps; k++)
        free(by_comp[k]);
    free(by_comp);
    cJSON_Delete(record);
    bench_plan_free(&p);
    *out = o;
    return 0;
}

int bench_report_run(cJSON **out, const char *run_dir)
{
    *out = NULL;
    char *dir = path_real(run_dir);
    if (!dir)
        return err_prefix("report");
    cJSON *cfg = read_json(dir, "config.json");
    const char *comp = cJSON_GetStringValue(cJSON_GetObjectItem(cfg, "competition"));
    if (!comp) {
        cJSON_Delete(cfg);
        free(dir);
        return err_set("report: %s is neither a bench folder (bench.json) nor a run folder "
                       "(config.json)", run_dir);
    }
    const char *id = strrchr(comp, '/') ? strrchr(comp, '/') + 1 : comp;
    cJSON *rep = bench_report_one(dir, id, (int)num(cfg, "seed"), NULL);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "run", dir);
    cJSON *list = cJSON_CreateArray();
    cJSON_AddItemToArray(list, rep);
    add_summary(o, list);
    cJSON_Delete(cfg);
    free(dir);
    *out = o;
    return 0;
}

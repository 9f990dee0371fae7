/*
 * run_select.c: the final selection (README "Final selection").
 *
 * The search ranks its nodes by the search holdout, the only scores the
 * policy and the model ever see; the best of many noisy scores on one
 * holdout mostly selects noise. With --selection hidden (the default in
 * holdout mode) run_setup.c cut a second, hidden holdout off the training
 * data before the search holdout (RUN/select/): no prompt, preview, log the
 * model reads, policy decision or script of the search ever sees its rows.
 *
 * Here, after the search, the top selection_k nodes by search score (the
 * finalists) are re-run on train + search holdout (RUN/select/public, whose
 * test file is the hidden rows' features), selection_seeds times each (the
 * first run as searched, the others with GROVE_SEED=1, 2, ...), and graded
 * on the hidden answers. search_select_final (search/select.c) then picks
 * the final node: the best search score unless another finalist beats it
 * on the hidden holdout by more than the measured noise, with a reason.
 *
 * Every finished re-run leaves RUN/selection/<id>/run<s>.json, so a run
 * killed during the selection redoes on --resume only what it had not
 * finished. RUN/selection.json holds the finalists (both scores, the runs,
 * errors), the noise, the pick and its reason: `grove show`, `grove tree`,
 * `grove report` and the HTML report read it. It is never part of the
 * journal, so nothing of it can reach a prompt.
 *
 * With --selection search, or where the data is too small for a third
 * part, the pick is the best search score (AIDE's rule), and
 * selection.json says so and why. The finalist list is generic (ids and
 * scores), so any candidate with a search score can be a finalist.
 */
#include "config.h"
#include "run.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Seed run s of node id on the hidden holdout: its cache file and its
 * workspace (caller frees). */
static char *run_cache(const run_ctx *r, int id, int s)
{
    return xasprintf("%s/selection/%d/run%d.json", r->run_dir, id, s);
}

static char *run_dir(const run_ctx *r, int id, int s)
{
    return xasprintf("%s/selection/%d/run%d", r->run_dir, id, s);
}

/* A finished run: its score (or error) cached, its workspace removed
 * unless keep (an ensemble finalist's member: its submission is blended
 * when that ensemble is graded, instead of running it again). */
static void run_finished(const char *cache, const char *dir, double score, const char *err,
                         int keep)
{
    run_rerun_keep(cache, score, err);
    if (!keep)
        rm_rf(dir); /* its files are not needed: the score is kept */
}

/* Whether node id is a member of an ensemble among the finalists ids[0..n). */
static int ensemble_member(const run_ctx *r, const int *ids, int n, int id)
{
    for (int i = 0; i < n; i++) {
        const search_node *e = search_tree_node(r->tree, ids[i]);
        for (int m = 0; e->stage == STAGE_ENSEMBLE && m < e->n_members; m++)
            if (e->members[m] == id)
                return 1;
    }
    return 0;
}

/* For ensemble e's seed run s: each member's submission from its own
 * finalist run s, kept by hidden_runs_side_by_side (NULL where there is
 * none: not a finalist, failed, or removed). Caller frees each and the array. */
static char **ready_members(const run_ctx *r, const search_node *e, int s)
{
    char **ready = xcalloc((size_t)e->n_members + 1, sizeof *ready);
    for (int i = 0; i < e->n_members; i++) {
        char *cache = run_cache(r, e->members[i], s), *dir = run_dir(r, e->members[i], s);
        double score;
        char *err = NULL;
        if (run_rerun_cached(cache, &score, &err) && isfinite(score) &&
            run_submission(dir, &ready[i]) != 0) {
            free(ready[i]);
            ready[i] = NULL;
        }
        free(err);
        free(cache);
        free(dir);
    }
    return ready;
}

/* Remove what ready_members read, once every finalist is graded. */
static void drop_member_runs(const run_ctx *r, const int *ids, int n)
{
    for (int i = 0; i < n; i++) {
        const search_node *e = search_tree_node(r->tree, ids[i]);
        for (int m = 0; e->stage == STAGE_ENSEMBLE && m < e->n_members; m++)
            for (int s = 0; s < (int)r->cfg.selection_seeds; s++) {
                char *dir = run_dir(r, e->members[m], s);
                rm_rf(dir);
                free(dir);
            }
    }
}

/* Seed run s of node n on the hidden holdout: its cache file and folder
 * (caller frees both) and, unless the time limit has none left for it
 * (returns 0), what to run. */
static int hidden_spec(run_ctx *r, const search_node *n, int s, char **cache, char **dir,
                       run_rerun_spec *spec)
{
    *cache = run_cache(r, n->id, s);
    *dir = run_dir(r, n->id, s);
    /* the final re-run still needs its share of the time limit */
    double left = run_total_left(r) - run_final_estimate(r, search_tree_best(r->tree));
    *spec = (run_rerun_spec){
        .dir = *dir, .input_dir = r->select.public_dir,
        .data_label = "train + search holdout",
        .answers = r->select.answers_path, .why = "final selection (hidden holdout)",
        .timeout = fmin(r->cfg.exec_timeout * 2, left), .capped = 1, .seed = s,
    };
    return left >= 1;
}

/* Run (or find finished) seed run s of node n on the hidden holdout: its
 * score, NaN with *err (caller frees) when it has none; -2 on a signal. */
static int hidden_run(run_ctx *r, const search_node *n, int s, double *score, char **err)
{
    char *cache, *dir;
    run_rerun_spec spec;
    int room = hidden_spec(r, n, s, &cache, &dir, &spec), rc = 0;
    *err = NULL;
    if (run_rerun_cached(cache, score, err)) {
        /* finished before (this session, side by side, or an earlier one) */
    } else if (!room) {
        *score = NAN;
        *err = xstrdup("no time left in the time limit for this run");
    } else {
        char **ready = n->stage == STAGE_ENSEMBLE ? ready_members(r, n, s) : NULL;
        spec.ready = ready;
        rc = run_rerun_grade(r, n, &spec, score);
        if (rc == -1)
            *err = xstrdup(err_last());
        if (rc != -2)
            run_finished(cache, dir, *score, *err, 0);
        rc = rc == -2 ? -2 : 0;
        for (int i = 0; ready && i < n->n_members; i++)
            free(ready[i]);
        free(ready);
    }
    free(dir);
    free(cache);
    return rc;
}

/* The side-by-side runs' state: each item's cache file and workspace. */
typedef struct side {
    run_ctx *r;
    const int *ids; /* the finalists */
    int n;
    run_rerun_item *items;
    char **caches, **dirs;
} side;

/* One run is done: cache it now, so that a kill while the others still
 * run redoes only those. */
static void side_done(run_rerun_item *it, void *data)
{
    side *sd = data;
    size_t i = (size_t)(it - sd->items);
    run_finished(sd->caches[i], sd->dirs[i], it->score, it->err,
                 ensemble_member(sd->r, sd->ids, sd->n, it->node->id));
}

/* The finalists' runs that are not finished yet, side by side on the run's
 * workers (run_rerun_many), each cached as it ends; what is left (an
 * ensemble, or a run with no time left) hidden_run does one at a time. An
 * ensemble finalist's members that are finalists too keep their
 * workspaces, so the ensemble blends their submissions rather than run
 * them again (same script, data and seed). 0, or -2 on a signal. */
static int hidden_runs_side_by_side(run_ctx *r, const int *ids, int n)
{
    int seeds = (int)r->cfg.selection_seeds, k = 0;
    side sd = {.r = r, .ids = ids, .n = n};
    sd.items = xcalloc((size_t)(n * seeds) + 1, sizeof *sd.items);
    sd.caches = xcalloc((size_t)(n * seeds) + 1, sizeof *sd.caches);
    sd.dirs = xcalloc((size_t)(n * seeds) + 1, sizeof *sd.dirs);
    for (int i = 0; i < n; i++) {
        const search_node *node = search_tree_node(r->tree, ids[i]);
        for (int s = 0; node->stage != STAGE_ENSEMBLE && s < seeds; s++) {
            double score;
            char *err = NULL;
            run_rerun_spec spec;
            int room = hidden_spec(r, node, s, &sd.caches[k], &sd.dirs[k], &spec);
            if (run_rerun_cached(sd.caches[k], &score, &err) || !room) {
                free(err);
                free(sd.caches[k]);
                free(sd.dirs[k]);
                continue;
            }
            sd.items[k++] = (run_rerun_item){.node = node, .spec = spec};
        }
    }
    int rc = k > 0 ? run_rerun_many(r, sd.items, k, side_done, &sd) : 0;
    for (int i = 0; i < k; i++) {
        free(sd.items[i].err);
        free(sd.caches[i]);
        free(sd.dirs[i]);
    }
    free(sd.items);
    free(sd.caches);
    free(sd.dirs);
    return rc == -2 ? -2 : 0;
}

static void add_num(cJSON *o, const char *key, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

/* Fill f (search score known) from its seed runs: mean, sample sd, count;
 * the runs' scores and errors go into e. -2 on a signal. */
static int grade_finalist(run_ctx *r, const search_node *n, search_finalist *f, cJSON *e)
{
    int seeds = (int)r->cfg.selection_seeds;
    double sum = 0, sq = 0;
    cJSON *runs = cJSON_AddArrayToObject(e, "hidden_runs");
    for (int s = 0; s < seeds; s++) {
        double score;
        char *err = NULL;
        if (hidden_run(r, n, s, &score, &err) == -2)
            return -2;
        cJSON_AddItemToArray(runs, isfinite(score) ? cJSON_CreateNumber(score)
                                                   : cJSON_CreateNull());
        if (err && !cJSON_GetObjectItemCaseSensitive(e, "error"))
            cJSON_AddStringToObject(e, "error", err);
        free(err);
        if (isfinite(score)) {
            sum += score;
            sq += score * score;
            f->n_runs++;
        }
    }
    int k = f->n_runs;
    f->hidden = k ? sum / k : NAN;
    double var = k >= 2 ? (sq - k * f->hidden * f->hidden) / (k - 1) : NAN;
    f->hidden_sd = k >= 2 ? (var > 0 ? sqrt(var) : 0) : NAN;
    add_num(e, "hidden_score", f->hidden);
    add_num(e, "hidden_sd", f->hidden_sd);
    return 0;
}

/* RUN/selection.json from o (consumed). */
static void write_selection(run_ctx *r, cJSON *o)
{
    if (json_file_save(r->run_dir, "selection.json", o) < 0)
        log_error("%s", err_last());
}

/* The candidates in order: pick first, then ids[] by search score. */
static int *candidates(const int *ids, int n, int pick, int max_n, int *out_n)
{
    int *c = xcalloc((size_t)max_n + 1, sizeof *c);
    int k = 0;
    if (pick >= 0)
        c[k++] = pick;
    for (int i = 0; i < n && k < max_n; i++)
        if (ids[i] != pick)
            c[k++] = ids[i];
    *out_n = k;
    return c;
}

static cJSON *selection_json(const run_ctx *r, const char *rule, int k)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "rule", rule);
    cJSON_AddNumberToObject(o, "k", k);
    cJSON_AddNumberToObject(o, "seeds", (double)r->cfg.selection_seeds);
    cJSON_AddStringToObject(o, "metric", r->metric_name);
    cJSON_AddBoolToObject(o, "lower_is_better", r->lower_is_better);
    cJSON_AddNumberToObject(o, "search_rows", (double)r->split.n_valid);
    cJSON_AddNumberToObject(o, "hidden_rows", (double)r->select.n_valid);
    return o;
}

/* --selection search, or no hidden holdout: the best search score. */
static void select_by_search(run_ctx *r, const int *ids, int n, int max_n, int **out,
                             int *out_n)
{
    cJSON *o = selection_json(r, "search", n);
    cJSON *fs = cJSON_AddArrayToObject(o, "finalists");
    for (int i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "id", ids[i]);
        cJSON_AddNumberToObject(e, "rank", i + 1);
        add_num(e, "search_score", search_tree_node(r->tree, ids[i])->score);
        cJSON_AddItemToArray(fs, e);
    }
    char *why = xasprintf("node %d: best search score (%s)", n ? ids[0] : -1,
                          r->select_why ? r->select_why : "--selection search");
    if (n)
        cJSON_AddNumberToObject(o, "pick", ids[0]);
    cJSON_AddStringToObject(o, "reason", why);
    free(why);
    write_selection(r, o);
    *out = candidates(ids, n, -1, max_n, out_n);
}

int run_select(run_ctx *r, int max_n, int **out, int *out_n)
{
    int hidden = r->three_way && r->cfg.selection == CONFIG_SELECTION_HIDDEN;
    int k = hidden ? (int)r->cfg.selection_k : max_n, n;
    int *ids = run_top_k(r->tree, k, &n);
    if (!hidden || n < 1) {
        select_by_search(r, ids, n, max_n, out, out_n);
        free(ids);
        return 0;
    }
    /* an earlier session's pick is no longer the pick until this one ends */
    char *old = path_join(r->run_dir, "selection.json");
    rm_rf(old);
    free(old);
    printf("grove: final selection: re-running the %d best nodes by search score on train + "
           "search holdout and grading them on the hidden holdout (%zu rows, %ld run%s each)\n",
           n, r->select.n_valid, r->cfg.selection_seeds, r->cfg.selection_seeds > 1 ? "s" : "");
    fflush(stdout);
    cJSON *o = selection_json(r, "hidden", k);
    cJSON *fs = cJSON_AddArrayToObject(o, "finalists");
    search_finalist *f = xcalloc((size_t)n, sizeof *f);
    int rc = hidden_runs_side_by_side(r, ids, n);
    for (int i = 0; i < n && rc == 0; i++) {
        const search_node *node = search_tree_node(r->tree, ids[i]);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddItemToArray(fs, e);
        cJSON_AddNumberToObject(e, "id", node->id);
        cJSON_AddNumberToObject(e, "rank", i + 1);
        add_num(e, "search_score", node->score);
        f[i] = (search_finalist){.id = node->id, .search = node->score};
        rc = grade_finalist(r, node, &f[i], e);
    }
    if (rc == 0) {
        drop_member_runs(r, ids, n);
        search_pick p;
        search_select_final(&p, f, n, r->lower_is_better);
        int pick = f[p.index].id;
        cJSON_AddNumberToObject(o, "pick", pick);
        if (p.incumbent >= 0)
            cJSON_AddNumberToObject(o, "search_pick", f[p.incumbent].id);
        add_num(o, "noise", p.noise);
        cJSON_AddStringToObject(o, "noise_from", p.noise_from);
        cJSON_AddStringToObject(o, "reason", p.reason);
        for (int i = 0; i < n; i++)
            printf("  finalist %-4d search %s %.5f  hidden %.5f%s\n", f[i].id, r->metric_name,
                   f[i].search, f[i].hidden, f[i].id == pick ? "  <- pick" : "");
        printf("grove: final selection: %s\n", p.reason);
        write_selection(r, o);
        *out = candidates(ids, n, pick, max_n, out_n);
    } else {
        cJSON_Delete(o); /* the finished runs are cached; the resume writes it */
        *out = NULL;
        *out_n = 0;
    }
    free(f);
    free(ids);
    return rc;
}

double run_select_reserve(const run_ctx *r)
{
    if (!r->three_way || r->cfg.selection != CONFIG_SELECTION_HIDDEN)
        return 0;
    /* each finalist's runs on train + search holdout: about what the best
     * node needs on the full data, a slight overestimate */
    return run_final_estimate(r, search_tree_best(r->tree)) * (double)r->cfg.selection_k *
           (double)r->cfg.selection_seeds;
}

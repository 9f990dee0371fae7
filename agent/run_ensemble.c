/*
 * run_ensemble.c: the ensemble operator, between the search and the final
 * re-run (issue 16 item 3).
 *
 * When the search is over and at least two good nodes exist, their
 * search-holdout submissions (nodes/<id>/submission/submission.csv) are
 * blended with bench/'s blend: the best `ensemble_members` nodes that have a
 * script, a weighted mean (probabilities, regression) or a weighted vote
 * (labels), the weights fitted on the same search holdout by greedy forward
 * selection (bench/ensemble_fit.c says why that rule). Every grading goes
 * through the audit log, as every node's does. No model is asked anything.
 *
 * The blend becomes a node only when its holdout score (rounded as every
 * node's) beats the best node's: stage "ensemble", its best member as
 * parent, the members and weights in node.json, recipe.json in the commit
 * in place of a script. Either way RUN/ensemble.json records the decision
 * and why, and one line says it. A resumed run whose newest node is an
 * ensemble goes straight on to the final re-run: the blend is not redone.
 *
 * If the ensemble is chosen as the final node, run_rerun_ensemble re-runs
 * each member on the data asked for (run_rerun) and blends their
 * submissions with the recipe's weights.
 */
#include "run.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The operator's working state; paths, why and ids are parallel arrays of
 * the candidates, best first. */
typedef struct ens {
    run_ctx *r;
    int ids[64];
    size_t n;
    char *paths[64];
    char *why[64];       /* refusals (owned) */
    double w[64];
    double fit, single;  /* the fit's raw scores */
    double score;        /* the chosen blend's node score (rounded) */
    bench_blend_method method;
    sb log;              /* output.txt of the node: what was tried */
} ens;

static int grade_blend(double *score, const char *path, void *data)
{
    run_ctx *r = data;
    bench_report rep;
    int rc = audit_grade(r->audit, &rep, r->comp, path, r->split.answers_path, -1,
                         "ensemble weights");
    if (rc == 0 && (!rep.valid_submission || !isfinite(rep.score_raw)))
        rc = err_set("the blend is invalid: %s", rep.error ? rep.error : "?");
    *score = rep.score_raw;
    bench_report_free(&rep);
    return rc;
}

/* Why a run gets no ensemble before any blending, or NULL. */
static const char *skip_reason(const run_ctx *r)
{
    if (!r->holdout)
        return "the run is not scored on grove's holdout, so a blend cannot be graded";
    if (r->exit_code || r->stopping == RUN_STOP_NOW)
        return "the run was stopped";
    if (!r->comp)
        return "the competition is not in grove's registry";
    return NULL;
}

/* The candidates and their holdout submissions; a node whose submission is
 * gone is refused here. */
static void gather(ens *e)
{
    run_ctx *r = e->r;
    size_t max = (size_t)r->cfg.ensemble_members;
    int ranked[64];
    size_t k = search_tree_ranked(r->tree, ranked, max < 64 ? max : 64);
    for (size_t i = 0; i < k; i++) {
        char *dir = xasprintf("%s/nodes/%d", r->run_dir, ranked[i]);
        char *path = NULL;
        int rc = run_submission(dir, &path);
        free(dir);
        if (rc != 0) {
            log_warn("ensemble: node %d left out: %s", ranked[i],
                     rc < 0 ? err_last() : "its holdout submission is gone");
            free(path);
            continue;
        }
        e->ids[e->n] = ranked[i];
        e->paths[e->n++] = path;
    }
}

/* Open, fit and grade; 0 with e->w and e->score set, or < 0 with
 * err_last(). The chosen blend is left at out. */
static int blend(ens *e, const char *scratch, const char *out)
{
    run_ctx *r = e->r;
    bench_blend *b = NULL;
    if (bench_blend_open(&b, r->comp, e->method, (const char *const *)e->paths, e->n, e->why) < 0)
        return -1;
    for (size_t i = 0; i < e->n; i++)
        if (e->why[i])
            sb_printf(&e->log, "node %d refused: %s\n", e->ids[i], e->why[i]);
    int rc = bench_blend_fit(b, r->lower_is_better, (int)r->cfg.ensemble_rounds, grade_blend, r,
                             scratch, e->w, &e->fit, &e->single);
    if (rc == 0) {
        sb_printf(&e->log, "greedy forward selection, %ld rounds over nodes",
                  r->cfg.ensemble_rounds);
        for (size_t i = 0; i < e->n; i++)
            sb_printf(&e->log, " %d%s", e->ids[i], e->why[i] ? " (refused)" : "");
        sb_printf(&e->log, "\nbest single member: holdout %s %.6f; the chosen blend: %.6f\n"
                  "weights:", r->metric_name, e->single, e->fit);
        for (size_t i = 0; i < e->n; i++)
            sb_printf(&e->log, " node %d %.4f", e->ids[i], e->w[i]);
        sb_putc(&e->log, '\n');
        rc = bench_blend_write(b, e->w, out);
    }
    bench_blend_free(b);
    bench_report rep;
    if (rc == 0 && audit_grade(r->audit, &rep, r->comp, out, r->split.answers_path, -1,
                               "ensemble holdout score") == 0) {
        rc = rep.valid_submission && isfinite(rep.score)
                 ? 0 : err_set("the blend is invalid: %s", rep.error ? rep.error : "?");
        e->score = rep.score;
        bench_report_free(&rep);
    } else if (rc == 0) {
        rc = -1;
    }
    return rc;
}

/* The members with weight, best first, in ids/ws; their count. */
static int members(const ens *e, int *ids, double *ws)
{
    int m = 0;
    for (size_t i = 0; i < e->n; i++) {
        if (e->w[i] > 0) {
            ids[m] = e->ids[i];
            ws[m++] = e->w[i];
        }
    }
    return m;
}

static char *recipe_json(const ens *e, const int *ids, const double *ws, int m)
{
    run_ctx *r = e->r;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "method", bench_blend_method_name(e->method));
    cJSON *arr = cJSON_AddArrayToObject(o, "members");
    for (int i = 0; i < m; i++) {
        cJSON *mj = cJSON_CreateObject();
        cJSON_AddNumberToObject(mj, "id", ids[i]);
        cJSON_AddNumberToObject(mj, "weight", ws[i]);
        cJSON_AddNumberToObject(mj, "holdout", search_tree_node(r->tree, ids[i])->score);
        cJSON_AddItemToArray(arr, mj);
    }
    cJSON_AddStringToObject(o, "fit", "greedy forward selection with replacement (Caruana et "
                            "al. 2004) on the search holdout");
    cJSON_AddNumberToObject(o, "rounds", (double)r->cfg.ensemble_rounds);
    cJSON_AddNumberToObject(o, "holdout", e->score);
    cJSON *ref = cJSON_AddArrayToObject(o, "refused");
    for (size_t i = 0; i < e->n; i++) {
        if (!e->why[i])
            continue;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "id", e->ids[i]);
        cJSON_AddStringToObject(x, "why", e->why[i]);
        cJSON_AddItemToArray(ref, x);
    }
    char *s = utf8_fix(cJSON_Print(o));
    cJSON_Delete(o);
    char *out = xasprintf("%s\n", s);
    cJSON_free(s);
    return out;
}

static char *plan_text(const ens *e, const int *ids, const double *ws, int m)
{
    sb s = {0};
    sb_puts(&s, "Ensemble of nodes ");
    for (int i = 0; i < m; i++)
        sb_printf(&s, "%s%d (%.3g)", i ? ", " : "", ids[i], ws[i]);
    sb_printf(&s, ": a weighted %s of their submissions, the weights fitted on the holdout "
              "by greedy forward selection (%ld rounds). No script of its own: recipe.json "
              "says how to remake it.\n", e->method == BENCH_BLEND_MEAN ? "mean" : "vote",
              e->r->cfg.ensemble_rounds);
    return sb_steal(&s);
}

/* Add, commit and rank the ensemble node (its id, or < 0); its submission
 * is copied to nodes/<id>/submission/. */
static int keep(ens *e, const char *blend_path)
{
    run_ctx *r = e->r;
    int ids[64];
    double ws[64];
    int m = members(e, ids, ws);
    int id = search_tree_add(r->tree, STAGE_ENSEMBLE, ids[0], clock_wall());
    if (id < 0 || search_tree_set_members(r->tree, id, ids, ws, m) < 0)
        return -1;
    search_node *n = search_tree_node(r->tree, id);
    n->plan = plan_text(e, ids, ws, m);
    n->output = xstrdup(sb_str(&e->log));
    search_node_finish(r->tree, id, 0, NULL, 1, e->score, clock_wall());
    char *dir = xasprintf("%s/nodes/%d/submission", r->run_dir, id);
    char *dst = path_join(dir, "submission.csv");
    int rc = mkdir_p(dir, 0755) < 0 || file_copy(blend_path, dst) < 0 ? -1 : 0;
    char *recipe = recipe_json(e, ids, ws, m);
    char *json = node_to_json(n, NULL);
    char *review = xasprintf("# Review of node %d\n\n- outcome: ok\n- score: holdout %s %.6f\n"
                             "- best single node %d: %.6f\n", id, r->metric_name, e->score,
                             e->ids[0], search_tree_node(r->tree, e->ids[0])->score);
    char *label = xasprintf("holdout %s", r->metric_name);
    char *subject = node_subject(n, label);
    journal_node_files f = {NULL, n->plan, n->output, review, json};
    if (rc == 0 &&
        journal_commit_ensemble(r->journal, id, n->parent, &f, recipe, subject, clock_wall()) < 0)
        rc = -1;
    if (rc == 0 && search_tree_best(r->tree) == id && journal_set_best(r->journal, id) < 0)
        rc = -1;
    if (rc == 0 && (inflight_save(r) < 0 || node_export_journal(r->tree, r->run_dir) < 0))
        rc = -1;
    free(dir);
    free(dst);
    free(recipe);
    free(json);
    free(review);
    free(label);
    free(subject);
    return rc < 0 ? -1 : id;
}

/* RUN/ensemble.json: what was decided and why. */
static void record(const ens *e, int node, const char *why)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "kept", node >= 0);
    if (node >= 0)
        cJSON_AddNumberToObject(o, "node", node);
    cJSON_AddStringToObject(o, "why", why);
    cJSON *c = cJSON_AddArrayToObject(o, "candidates");
    for (size_t i = 0; i < e->n; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "id", e->ids[i]);
        cJSON_AddNumberToObject(x, "weight", e->w[i]);
        if (e->why[i])
            cJSON_AddStringToObject(x, "refused", e->why[i]);
        cJSON_AddItemToArray(c, x);
    }
    if (json_file_save(e->r->run_dir, "ensemble.json", o) < 0)
        log_warn("%s", err_last());
}

static int newest_is_ensemble(const search_tree *t)
{
    size_t n = search_tree_count(t);
    return n && search_tree_at(t, n - 1)->stage == STAGE_ENSEMBLE;
}

/* The decision once the blend is scored: keep it (its node id) or -1 and
 * why not in *why (caller frees). */
static int decide(ens *e, const char *out, char **why)
{
    run_ctx *r = e->r;
    const search_node *top = search_tree_node(r->tree, e->ids[0]);
    int used = 0;
    for (size_t i = 0; i < e->n; i++)
        used += e->w[i] > 0;
    if (used < 2) {
        *why = xasprintf("the fit kept node %d alone: no blend scored better on the holdout",
                         e->ids[0]);
        return -1;
    }
    if (!search_score_better(r->tree, e->score, top->score)) {
        *why = xasprintf("the blend scores %.5f on the holdout, not better than node %d's "
                         "%.5f", e->score, top->id, top->score);
        return -1;
    }
    /* its final re-run runs every member: a blend the time limit cannot
     * finish would leave the run without a final submission */
    double need = 0;
    for (size_t i = 0; i < e->n; i++)
        need += e->w[i] > 0 ? run_final_estimate(r, e->ids[i]) : 0;
    if (r->cfg.final_top_k > 0 && need > run_total_left(r)) {
        *why = xasprintf("the blend scores %.5f on the holdout (node %d: %.5f), but re-running "
                         "its %d members on the full data needs about %.0fs and %.0fs of the "
                         "time limit is left", e->score, top->id, top->score, used, need,
                         fmax(run_total_left(r), 0));
        return -1;
    }
    int id = keep(e, out);
    if (id < 0) {
        *why = xasprintf("the blend could not be kept: %s", err_last());
        log_error("ensemble: %s", err_last());
        return -1;
    }
    *why = xasprintf("the blend of %d nodes scores %.5f on the holdout, better than node %d's "
                     "%.5f", used, e->score, top->id, top->score);
    return id;
}

int run_ensemble(run_ctx *r)
{
    if (!r->cfg.ensemble || (r->tree && newest_is_ensemble(r->tree)))
        return 0;
    ens e = {.r = r};
    char *why = NULL;
    int node = -1;
    const char *skip = skip_reason(r);
    if (!skip && bench_blend_method_for(r->comp, &e.method) < 0)
        skip = err_last();
    if (!skip)
        gather(&e);
    if (!skip && e.n < 2)
        skip = "fewer than 2 good nodes with a holdout submission";
    if (skip) {
        why = xstrdup(skip);
    } else {
        char *scratch = path_join(r->run_dir, "ensemble.tmp.csv");
        char *out = path_join(r->run_dir, "ensemble.csv");
        if (blend(&e, scratch, out) < 0)
            why = xasprintf("no blend: %s", err_last());
        else
            node = decide(&e, out, &why);
        unlink(scratch);
        free(scratch);
        free(out);
    }
    record(&e, node, why); /* before the line that says it: a kill may follow */
    if (node >= 0)
        printf("ensemble: kept as node %d: %s\n", node, why);
    else
        printf("ensemble: not kept: %s\n", why);
    fflush(stdout);
    free(why);
    for (size_t i = 0; i < e.n; i++) {
        free(e.paths[i]);
        free(e.why[i]);
    }
    sb_free(&e.log);
    return node;
}

/* ---- the final re-run of an ensemble ---- */

/* Each member's submission on input_dir into paths[]: ready ones as they
 * are, the others re-run side by side (run_rerun_many). Same returns as
 * run_rerun. */
static int member_runs(run_ctx *r, const search_node *n, const char *dir, const char *input_dir,
                       const char *data_label, double timeout, int seed, char *const *ready,
                       char **paths)
{
    run_rerun_item *items = xcalloc((size_t)n->n_members, sizeof *items);
    char **dirs = xcalloc((size_t)n->n_members, sizeof *dirs);
    int *member = xcalloc((size_t)n->n_members, sizeof *member);
    char *label = xasprintf("%s, for ensemble %d", data_label, n->id);
    int k = 0, rc = 0;
    for (int i = 0; i < n->n_members && rc == 0; i++) {
        const search_node *m = search_tree_node(r->tree, n->members[i]);
        if (!m || m->stage == STAGE_ENSEMBLE) {
            rc = err_set("member %d is not a node with a script", n->members[i]);
        } else if (ready && ready[i]) {
            /* the same script, input and seed as a finalist's run just made */
            printf("grove: node %d's run on %s is used again, for ensemble %d\n", m->id,
                   data_label, n->id);
            paths[i] = xstrdup(ready[i]);
        } else {
            dirs[k] = xasprintf("%s/member-%d", dir, m->id);
            items[k] = (run_rerun_item){
                .node = m,
                .spec = {.dir = dirs[k], .input_dir = input_dir, .data_label = label,
                         .timeout = timeout, .capped = 1, .seed = seed},
            };
            member[k++] = i;
        }
    }
    fflush(stdout);
    if (rc == 0 && k > 0)
        rc = run_rerun_many(r, items, k, NULL, NULL);
    for (int j = 0; j < k; j++) {
        if (rc == 0 && items[j].rc < 0)
            rc = err_set("%s", items[j].err);
        paths[member[j]] = items[j].sub;
        free(items[j].err);
        free(dirs[j]);
    }
    free(label);
    free(member);
    free(dirs);
    free(items);
    return rc;
}

int run_rerun_ensemble(run_ctx *r, const search_node *n, const char *dir, const char *input_dir,
                       const char *data_label, double timeout, int seed, char *const *ready,
                       char **sub)
{
    *sub = NULL;
    bench_blend_method method;
    if (!r->comp || bench_blend_method_for(r->comp, &method) < 0)
        return err_set("ensemble node %d: %s", n->id, r->comp ? err_last() : "no registry entry");
    char **paths = xcalloc((size_t)n->n_members, sizeof *paths);
    char **why = xcalloc((size_t)n->n_members, sizeof *why);
    rm_rf(dir);
    /* one line for the ensemble, then its members' own, which say whose they
     * are (a member may also be a finalist re-run on its own) */
    printf("grove: re-running node %d (an ensemble of %d members) on %s", n->id, n->n_members,
           data_label);
    if (seed > 0)
        printf(" with GROVE_SEED=%d", seed);
    printf("...\n");
    int rc = member_runs(r, n, dir, input_dir, data_label, timeout, seed, ready, paths);
    bench_blend *b = NULL;
    char *out = NULL;
    if (rc == 0 && bench_blend_open(&b, r->comp, method, (const char *const *)paths,
                                    (size_t)n->n_members, why) == 0) {
        for (int i = 0; i < n->n_members && rc == 0; i++)
            if (why[i])
                rc = err_set("member %d's submission on %s is refused: %s", n->members[i],
                             data_label, why[i]);
        char *sdir = xasprintf("%s/submission", dir);
        out = path_join(sdir, "submission.csv");
        if (rc == 0 && (mkdir_p(sdir, 0755) < 0 || bench_blend_write(b, n->weights, out) < 0))
            rc = -1;
        free(sdir);
    } else if (rc == 0) {
        rc = -1;
    }
    if (rc == -1)
        err_prefix("ensemble node %d", n->id);
    bench_blend_free(b);
    for (int i = 0; i < n->n_members; i++) {
        free(paths[i]);
        free(why[i]);
    }
    free(paths);
    free(why);
    if (rc == 0)
        *sub = out;
    else
        free(out);
    return rc;
}

void run_ensemble_files(run_ctx *r, const search_node *n, const char *dir)
{
    if (n->stage != STAGE_ENSEMBLE)
        return;
    char *recipe = NULL;
    if (journal_read_file(r->journal, n->id, "recipe.json", &recipe) == 0) {
        char *path = path_join(dir, "recipe.json");
        if (file_write_str(path, recipe) < 0)
            log_warn("%s", err_last());
        free(path);
    }
    free(recipe);
    for (int i = 0; i < n->n_members; i++) {
        const search_node *m = search_tree_node(r->tree, n->members[i]);
        char *path = xasprintf("%s/member-%d.py", dir, n->members[i]);
        if (m && file_write_str(path, m->code ? m->code : "") < 0)
            log_warn("%s", err_last());
        free(path);
    }
}

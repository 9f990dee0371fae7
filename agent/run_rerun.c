/*
 * run_rerun.c: re-running nodes after the search, one at a time or several
 * side by side.
 *
 * The final re-run, the final selection's finalists and the selection
 * analysis all re-run a node's script on other data (train + search holdout,
 * or the full training data) and most grade what it wrote. One node at a
 * time (run_rerun, run_rerun_grade) or, for the finalists, several at once
 * (run_rerun_many): as many as the run has workers, each on its worker's
 * GPUs, since a finalist's runs are independent of each other's.
 *
 * Either way the re-runs wait on a loop of their own (the search's is closed
 * by now) that also listens for SIGINT and SIGTERM: either cancels every
 * script (its process group, as any node's) and is reported, instead of
 * killing grove with best.tmp/ half made and not a word said.
 */
#include "config.h"
#include "run.h"
#include "util.h"

#include <assert.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* ---- the loop the re-runs wait on ---------------------------------------- */

typedef struct rerun_job rerun_job;

typedef struct rerun_loop {
    uv_loop_t loop;
    uv_signal_t sig[2];
    int signum;        /* 0, or the signal that cancelled the re-runs */
    rerun_job **jobs;  /* every one started (cancelled while ->run is set) */
    int n_jobs;
    int running;
} rerun_loop;

struct rerun_job {
    rerun_loop *l;
    exec_run *run;       /* NULL once done */
    exec_result *res;    /* owned once done */
    int started_rc;      /* exec_start's */
    void (*done)(rerun_job *j, void *data);
    void *data;
};

static void rerun_signal(uv_signal_t *h, int signum)
{
    rerun_loop *l = h->data;
    l->signum = signum;
    for (int i = 0; i < l->n_jobs; i++)
        if (l->jobs[i]->run)
            exec_cancel(l->jobs[i]->run);
}

static int rerun_loop_open(rerun_loop *l, int max_jobs)
{
    memset(l, 0, sizeof *l);
    int rc = uv_loop_init(&l->loop);
    if (rc < 0)
        return err_set("re-run: loop: %s", uv_strerror(rc));
    l->jobs = xcalloc((size_t)max_jobs, sizeof *l->jobs);
    static const int sigs[2] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; i++) {
        uv_signal_init(&l->loop, &l->sig[i]);
        l->sig[i].data = l;
        uv_signal_start(&l->sig[i], rerun_signal, sigs[i]);
        uv_unref((uv_handle_t *)&l->sig[i]); /* the loop runs while scripts do */
    }
    return 0;
}

static void rerun_loop_close(rerun_loop *l)
{
    for (int i = 0; i < 2; i++)
        uv_close((uv_handle_t *)&l->sig[i], NULL);
    uv_run(&l->loop, UV_RUN_DEFAULT);
    uv_loop_close(&l->loop);
    free(l->jobs);
}

static void job_done(exec_run *run, exec_result *res, void *data)
{
    (void)run;
    rerun_job *j = data;
    j->res = res;
    j->run = NULL;
    j->l->running--;
    if (j->done)
        j->done(j, j->data);
}

/* Start the script o describes; its end calls j->done. < 0 with err_last()
 * when it could not start (j->done is not called then). */
static int job_start(rerun_loop *l, rerun_job *j, const exec_opts *o)
{
    j->l = l;
    j->res = NULL;
    int rc = exec_start(&j->run, &l->loop, o, job_done, j);
    if (rc < 0) {
        j->run = NULL;
        return rc;
    }
    l->jobs[l->n_jobs++] = j;
    l->running++;
    return 0;
}

/* ---- one node ------------------------------------------------------------ */

static void say_rerun(run_ctx *r, const search_node *n, const char *data_label, int seed,
                      double timeout)
{
    printf("grove: re-running node %d on %s", n->id, data_label);
    if (seed > 0)
        printf(" with GROVE_SEED=%d", seed);
    printf(" (timeout %.0fs, %.0fs of the time limit left)...\n", timeout,
           fmax(run_total_left(r), 0));
    fflush(stdout);
}

/* A cancelled re-run: what the run says and ends with. -2. */
static int rerun_cancelled(run_ctx *r, const search_node *n, int signum)
{
    r->exit_code = signum == SIGINT ? 130 : 143;
    r->stop_reason = signum == SIGINT ? "interrupted (SIGINT) during the final re-run"
                                      : "terminated (SIGTERM) during the final re-run";
    return err_set("node %d: %s", n->id, r->stop_reason), -2;
}

/* What a finished re-run left: 0 with *sub (its submission, caller frees),
 * or -1 with err_last() saying why there is none. */
static int rerun_outcome(const search_node *n, const char *dir, const char *data_label,
                         int started_rc, const exec_result *res, char **sub)
{
    *sub = NULL;
    char *path = NULL;
    int found = started_rc == 0 ? run_submission(dir, &path) : 1;
    if (started_rc == 0 && res->exit_code == 0 && !res->timed_out && found == 0) {
        *sub = path;
        return 0;
    }
    free(path);
    return err_set("node %d failed on %s (%s)", n->id, data_label,
                   started_rc < 0 ? err_last() : res->timed_out ? "timed out"
                   : res->exc_type ? res->exc_type : found < 0 ? err_last() : "no submission");
}

int run_rerun(run_ctx *r, const search_node *n, const char *dir, const char *input_dir,
              const char *data_label, double timeout, int seed, char **sub)
{
    if (n->stage == STAGE_ENSEMBLE)
        return run_rerun_ensemble(r, n, dir, input_dir, data_label, timeout, seed, NULL, sub);
    *sub = NULL;
    exec_opts o;
    if (run_workspace(r, dir, n->code, input_dir, timeout, &o) < 0)
        return -1;
    run_gpu_opts(r, 0, &o); /* the GPUs each script of the search had */
    o.seed = seed;
    say_rerun(r, n, data_label, seed, timeout);
    rerun_loop l;
    if (rerun_loop_open(&l, 1) < 0)
        return -1;
    rerun_job j = {0};
    j.started_rc = job_start(&l, &j, &o);
    uv_run(&l.loop, UV_RUN_DEFAULT);
    int signum = l.signum;
    rerun_loop_close(&l);
    int rc = signum ? rerun_cancelled(r, n, signum)
                    : rerun_outcome(n, dir, data_label, j.started_rc, j.res, sub);
    exec_result_free(j.res);
    return rc;
}

int run_rerun_full(run_ctx *r, const search_node *n, const char *dir, double timeout,
                   char **sub)
{
    return run_rerun(r, n, dir, r->public_dir, "the full training data", timeout, 0, sub);
}

/* Grade sub (the re-run's submission) as s says: 0 with *score, -1. */
static int rerun_score(run_ctx *r, const search_node *n, const run_rerun_spec *s,
                       const char *sub, double *score)
{
    bench_report rep;
    memset(&rep, 0, sizeof rep);
    int rc = 0;
    if (audit_grade(r->audit, &rep, r->comp, sub, s->answers, n->id, s->why) < 0)
        rc = err_prefix("node %d: grader", n->id);
    else if (!rep.valid_submission)
        rc = err_set("node %d: invalid submission: %s", n->id, rep.error ? rep.error : "rejected");
    else
        *score = rep.score;
    bench_report_free(&rep);
    return rc;
}

int run_rerun_grade(run_ctx *r, const search_node *n, const run_rerun_spec *s, double *score)
{
    char *sub = NULL;
    *score = NAN;
    int rc = n->stage == STAGE_ENSEMBLE
                 ? run_rerun_ensemble(r, n, s->dir, s->input_dir, s->data_label, s->timeout,
                                      s->seed, s->ready, &sub)
                 : run_rerun(r, n, s->dir, s->input_dir, s->data_label, s->timeout, s->seed,
                             &sub);
    if (rc == 0)
        rc = rerun_score(r, n, s, sub, score);
    free(sub);
    return rc;
}

/* ---- a graded re-run's result, kept -------------------------------------- */

int run_rerun_cached(const char *path, double *score, char **err)
{
    char *text = NULL;
    if (file_read(path, &text, NULL) < 0)
        return 0;
    cJSON *j = cJSON_Parse(text);
    free(text);
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(j, "score");
    const cJSON *er = cJSON_GetObjectItemCaseSensitive(j, "error");
    int ok = j && (cJSON_IsNumber(sc) || cJSON_IsString(er));
    if (ok) {
        *score = cJSON_IsNumber(sc) ? sc->valuedouble : NAN;
        *err = cJSON_IsString(er) ? xstrdup(er->valuestring) : NULL;
    }
    cJSON_Delete(j);
    return ok;
}

void run_rerun_keep(const char *path, double score, const char *err)
{
    cJSON *j = cJSON_CreateObject();
    if (isnan(score))
        cJSON_AddNullToObject(j, "score");
    else
        cJSON_AddNumberToObject(j, "score", score);
    if (err)
        cJSON_AddStringToObject(j, "error", err);
    char *text = cJSON_PrintUnformatted(j);
    if (file_write_str(path, text) < 0)
        log_warn("%s (a resume will redo this run)", err_last());
    cJSON_free(text);
    cJSON_Delete(j);
}

/* ---- several nodes side by side -------------------------------------------- */

typedef struct many {
    run_ctx *r;
    run_rerun_item *items;
    rerun_job *jobs;
    int *slot;      /* slot[i]: the worker slot item i runs in (its GPUs) */
    char *slot_busy; /* per slot, width of them */
    int n, next, width;
    rerun_loop l;
    void (*done)(run_rerun_item *it, void *data); /* as each item is done */
    void *data;
} many;

static void many_next(many *m);
static void many_done(many *m, run_rerun_item *it);

static void item_done(rerun_job *j, void *data)
{
    many *m = data;
    run_rerun_item *it = &m->items[j - m->jobs];
    m->slot_busy[m->slot[j - m->jobs]] = 0;
    if (!m->l.signum) {
        char *sub = NULL;
        it->rc = rerun_outcome(it->node, it->spec.dir, it->spec.data_label, j->started_rc,
                               j->res, &sub);
        if (it->rc == 0 && it->spec.answers)
            it->rc = rerun_score(m->r, it->node, &it->spec, sub, &it->score);
        if (it->rc < 0)
            it->err = xstrdup(err_last());
        if (it->rc == 0 && !it->spec.answers)
            it->sub = sub, sub = NULL;
        free(sub);
        many_done(m, it);
    }
    exec_result_free(j->res);
    j->res = NULL;
    many_next(m);
}

/* Item it is done: tell the caller. */
static void many_done(many *m, run_rerun_item *it)
{
    it->done = 1;
    if (m->done)
        m->done(it, m->data);
}

/* Start items until `width` run or none is left; one that cannot start is
 * done at once with its error. */
static void many_next(many *m)
{
    while (!m->l.signum && m->l.running < m->width && m->next < m->n) {
        int i = m->next++;
        run_rerun_item *it = &m->items[i];
        it->score = NAN;
        /* one that waited for a slot may have less of the time limit left */
        double timeout = it->spec.capped ? fmin(it->spec.timeout, run_total_left(m->r))
                                         : it->spec.timeout;
        exec_opts o;
        if (timeout < 1) {
            it->rc = err_set("node %d: the time limit ran out before its re-run on %s",
                             it->node->id, it->spec.data_label);
            it->err = xstrdup(err_last());
            many_done(m, it);
            continue;
        }
        if (run_workspace(m->r, it->spec.dir, it->node->code, it->spec.input_dir, timeout,
                          &o) < 0) {
            it->rc = -1;
            it->err = xstrdup(err_last());
            many_done(m, it);
            continue;
        }
        /* each on a worker slot of its own, and so its GPUs, as the search's
         * scripts: the first slot no running item holds */
        int slot = 0;
        while (slot < m->width - 1 && m->slot_busy[slot])
            slot++;
        m->slot[i] = slot;
        run_gpu_opts(m->r, slot, &o);
        o.seed = it->spec.seed;
        say_rerun(m->r, it->node, it->spec.data_label, it->spec.seed, timeout);
        m->jobs[i] = (rerun_job){.done = item_done, .data = m};
        if ((m->jobs[i].started_rc = job_start(&m->l, &m->jobs[i], &o)) < 0) {
            char *none;
            it->rc = rerun_outcome(it->node, it->spec.dir, it->spec.data_label,
                                   m->jobs[i].started_rc, NULL, &none);
            it->err = xstrdup(err_last());
            many_done(m, it);
            continue;
        }
        m->slot_busy[slot] = 1;
    }
}

int run_rerun_many(run_ctx *r, run_rerun_item *items, int n,
                   void (*done)(run_rerun_item *it, void *data), void *data)
{
    many m = {.r = r, .items = items, .n = n, .width = r->workers > 0 ? r->workers : 1,
              .done = done, .data = data};
    for (int i = 0; i < n; i++) {
        assert(items[i].node->stage != STAGE_ENSEMBLE); /* blends re-run one at a time */
        items[i].done = 0;
        items[i].err = NULL;
        items[i].sub = NULL;
    }
    if (rerun_loop_open(&m.l, n) < 0)
        return -1;
    m.jobs = xcalloc((size_t)n, sizeof *m.jobs);
    m.slot = xcalloc((size_t)n, sizeof *m.slot);
    m.slot_busy = xcalloc((size_t)m.width, 1);
    many_next(&m);
    uv_run(&m.l.loop, UV_RUN_DEFAULT);
    int signum = m.l.signum;
    rerun_loop_close(&m.l);
    free(m.jobs);
    free(m.slot);
    free(m.slot_busy);
    if (!signum)
        return 0;
    for (int i = 0; i < n; i++)
        if (!items[i].done)
            return rerun_cancelled(r, items[i].node, signum);
    return rerun_cancelled(r, items[0].node, signum);
}

/*
 * run_setup.c: everything `grove run` does before the first node starts:
 * resolve the competition, choose the scoring mode, split the holdout, make or
 * reopen the run folder and its journal, load and check the prompts, make the
 * LLM clients, and (on --resume) rebuild the tree from the journal.
 *
 * Two steps: run_check checks everything a user can get wrong (competition,
 * scoring, interpreter, prompts, policy, models and keys) and creates
 * nothing; only then run_setup makes the run folder and what it holds, so a
 * wrong --policy or a missing key leaves no half-made run behind.
 */
#include "config.h"
#include "preview.h"
#include "run.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/file.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *base_name(const char *path)
{
    char *copy = xstrdup(path);
    char *b = xstrdup(basename(copy));
    free(copy);
    return b;
}

static int resolve_path(run_ctx *r, const char *arg, const char *data_flag);

/* COMPETITION is <data>/<id>, <data>/<id>/prepared/public, or a bare id in
 * the data folder. Sets comp_id, comp_dir (.../prepared), public_dir. */
static int resolve_competition(run_ctx *r, const char *arg_in, const char *data_flag)
{
    /* tab completion leaves a trailing slash; <id>/prepared is accepted too */
    char *arg_buf = xstrdup(arg_in);
    size_t len = strlen(arg_buf);
    while (len > 1 && arg_buf[len - 1] == '/')
        arg_buf[--len] = 0;
    if (str_ends(arg_buf, "/prepared") || !strcmp(arg_buf, "prepared")) {
        char *pub = path_join(arg_buf, "public");
        if (dir_exists(pub)) {
            free(arg_buf);
            arg_buf = pub;
        } else {
            free(pub);
        }
    }
    int rc = resolve_path(r, arg_buf, data_flag);
    free(arg_buf);
    return rc;
}

/* Absolute form of a path-valued config key, so a resume works from any
 * folder. */
static void absolutize(char **path)
{
    const char *v = *path;
    if (!v || v[0] == '/' || (!strchr(v, '/') && !file_exists(v) && !dir_exists(v)))
        return;
    char *abs = path_real(v);
    if (abs) {
        free(*path);
        *path = abs;
    }
}

static int resolve_path(run_ctx *r, const char *arg, const char *data_flag)
{
    char *cand = path_join(arg, "prepared/public");
    if (dir_exists(cand)) {
        char *abs = path_real(arg);
        r->comp_id = base_name(abs);
        r->comp_dir = path_join(abs, "prepared");
        free(abs);
    } else if (dir_exists(arg) && str_ends(arg, "public")) {
        char *abs = path_real(arg);
        char *prepared = xstrdup(abs);
        *strrchr(prepared, '/') = 0;
        char *top = xstrdup(prepared);
        *strrchr(top, '/') = 0;
        r->comp_id = base_name(top);
        r->comp_dir = prepared;
        free(top);
        free(abs);
    } else if (!strchr(arg, '/')) {
        char *data = bench_data_dir(data_flag);
        char *p = xasprintf("%s/%s/prepared", data, arg);
        char *pub = path_join(p, "public");
        const bench_competition *c = bench_registry_find(arg);
        if (!dir_exists(pub) && c && c->split && !strcmp(c->split, "bundled")) {
            /* a bundled competition is built on first use */
            int already = 0;
            printf("grove: preparing the bundled competition %s in %s\n", arg, data);
            if (bench_prepare(&already, arg, data, BENCH_PREPARE_SEED, 0) < 0)
                log_error("%s", err_last());
        }
        if (!dir_exists(pub)) {
            if (c && c->split && !strcmp(c->split, "bundled"))
                err_prefix("competition '%s': could not be prepared in %s", arg, data);
            else if (c)
                err_set("competition '%s': %s does not exist (prepare it with MLE-bench, "
                        "`mlebench prepare -c %s`, and point --data-dir or GROVE_DATA at "
                        "MLE-bench's data folder)", arg, pub, arg);
            else
                err_set("competition '%s': no such folder, and no competition '%s' in the "
                        "data folder %s (see `grove competitions`, or pass the path of a "
                        "competition folder in MLE-bench's layout)", arg, arg, data);
            free(data);
            free(p);
            free(pub);
            free(cand);
            return -1;
        }
        r->comp_id = xstrdup(arg);
        r->comp_dir = path_real(p);
        free(data);
        free(p);
        free(pub);
    } else {
        free(cand);
        return err_set("competition '%s': not a folder in MLE-bench's layout (expected "
                       "<data>/<id>/prepared/public or that public folder)", arg);
    }
    free(cand);
    r->comp_top = xstrdup(r->comp_dir);
    *strrchr(r->comp_top, '/') = 0;
    r->public_dir = path_join(r->comp_dir, "public");
    r->private_dir = path_join(r->comp_dir, "private");
    return 0;
}

static int choose_scoring(run_ctx *r)
{
    config_scoring mode = r->cfg.scoring;
    r->comp = bench_registry_find(r->comp_id);
    if (r->comp) {
        r->lower_is_better = r->comp->lower_is_better;
        r->metric_name = bench_metric_label(r->comp->metric);
    } else if (r->cfg.lower_is_better >= 0) {
        r->lower_is_better = r->cfg.lower_is_better;
        if (!r->cfg.metric)
            r->cfg.metric = xstrdup("score");
        r->metric_name = r->cfg.metric;
    } else {
        return err_set("competition '%s' is not in grove's registry, so its metric direction is "
                       "unknown: pass --set lower_is_better=true|false (see `grove competitions`)",
                       r->comp_id);
    }
    /* Saved with the run, so `grove tree` ranks nodes the same way later. */
    r->cfg.lower_is_better = r->lower_is_better;
    if (!r->cfg.metric)
        r->cfg.metric = xstrdup(r->metric_name);
    int can_split = r->comp && r->comp->graded && r->comp->train_file && r->comp->label_col &&
                    r->comp->id_col && r->comp->test_file;
    r->split_comp = r->comp;
    if (!can_split && r->comp && mode != CONFIG_SCORING_SELF_REPORT) {
        if (holdout_infer(&r->inferred, r->comp, r->public_dir) == 0) {
            r->comp = &r->inferred.comp;
            r->split_comp = &r->inferred.split_comp;
            can_split = 1;
        } else {
            r->self_report_why = xstrdup(err_last());
        }
    }
    if (mode == CONFIG_SCORING_HOLDOUT && !can_split)
        return err_set("scoring 'holdout': competition '%s' %s; use --scoring self-report",
                       r->comp_id,
                       !r->comp ? "is not in the registry"
                       : !r->comp->graded ? "cannot be graded yet"
                       : r->self_report_why ? r->self_report_why
                                            : "does not describe its train file and label column");
    r->holdout = can_split && mode != CONFIG_SCORING_SELF_REPORT;
    return 0;
}

/* The hidden selection holdout (README "Final selection"), cut first from
 * the full training data into RUN/select/: its public/ is the rest (train +
 * search holdout) with the hidden rows' features as the test file, and
 * RUN/select/answers.csv their answers. Both sit in the run folder, which
 * the sandbox hides; the search holdout is then cut from select/public, so
 * no hidden row reaches the search's data, its preview, a prompt or a
 * script. A new run makes it for --selection hidden; a resume keeps the
 * split it started with (select/ there or not), so the search holdout and
 * its scores never change under a resumed run. 1 made, 0 not wanted or too
 * small (select_why says why), -1 error. */
static int make_select_split(run_ctx *r, int resume)
{
    char *dir = path_join(r->run_dir, "select");
    int want = resume ? dir_exists(dir) : r->cfg.selection == CONFIG_SELECTION_HIDDEN;
    if (!want) {
        if (r->cfg.selection == CONFIG_SELECTION_HIDDEN)
            r->select_why = xstrdup("the run was started without a hidden holdout (--selection "
                                    "search, or by a grove before it)");
        free(dir);
        return 0;
    }
    double frac = r->cfg.holdout_fraction + r->cfg.selection_fraction;
    int rc = frac < 0.9 ? 0
                        : err_set("holdout_fraction %g + selection_fraction %g leave under 10%% "
                                  "of the rows to train on: lower one of them",
                                  r->cfg.holdout_fraction, r->cfg.selection_fraction);
    if (rc == 0)
        rc = bench_holdout_split(&r->select, r->split_comp, r->public_dir, dir,
                                 (unsigned long)r->cfg.seed ^ 0x5e1ec7UL,
                                 r->cfg.selection_fraction);
    if (rc == 0 && r->select.n_valid < RUN_SELECT_MIN_ROWS) {
        r->select_why = xasprintf("the training data is too small for a hidden holdout: %zu "
                                  "of its rows would be hidden, under the %d that selection "
                                  "needs", r->select.n_valid, RUN_SELECT_MIN_ROWS);
        bench_holdout_free(&r->select);
        rm_rf(dir);
    }
    free(dir);
    if (rc < 0)
        return err_prefix("hidden selection split of %s", r->comp_id);
    r->three_way = r->select.public_dir != NULL;
    return r->three_way;
}

static int make_split(run_ctx *r, int resume)
{
    int three = make_select_split(r, resume);
    if (three < 0)
        return -1;
    /* the search holdout keeps its share of the full training data */
    const char *src = three ? r->select.public_dir : r->public_dir;
    double frac = three ? r->cfg.holdout_fraction / (1 - r->cfg.selection_fraction)
                        : r->cfg.holdout_fraction;
    char *dir = path_join(r->run_dir, "holdout");
    int rc = bench_holdout_split(&r->split, r->split_comp, src, dir,
                                 (unsigned long)r->cfg.seed, frac);
    free(dir);
    if (rc < 0)
        return err_prefix("holdout split of %s", r->comp_id);
    r->input_dir = xstrdup(r->split.public_dir);
    if (r->select_why)
        printf("grove: final selection by search score: %s\n", r->select_why);
    return 0;
}

/* Ask the interpreter for its version and packages, inside the sandbox like
 * any candidate (so the probe never sees the parent's environment). */
static void probe_python(run_ctx *r)
{
    char *dir = path_join(r->run_dir, "probe");
    exec_workspace_prepare(dir);
    char *script = path_join(dir, "solution.py");
    file_write_str(script,
                   "import importlib, sys\n"
                   "found = []\n"
                   "for m in ['numpy', 'pandas', 'sklearn', 'scipy', 'xgboost', 'lightgbm',\n"
                   "          'torch', 'PIL']:\n"
                   "    try:\n"
                   "        mod = importlib.import_module(m)\n"
                   "        found.append('%s %s' % (m, getattr(mod, '__version__', '')))\n"
                   "    except Exception:\n"
                   "        pass\n"
                   "print(sys.version.split()[0])\n"
                   "print(', '.join(found))\n");
    exec_opts o = {.python = r->python, .workdir = dir, .timeout_s = 60,
                   .sandbox = EXEC_SANDBOX_AUTO};
    exec_result *res = NULL;
    if (exec_run_sync(&res, &o) == 0 && res->exit_code == 0 && res->output) {
        char *nl = strchr(res->output, '\n');
        if (nl) {
            r->python_version = xstrndup(res->output, (size_t)(nl - res->output));
            char *end = strchr(nl + 1, '\n');
            r->packages = end ? xstrndup(nl + 1, (size_t)(end - nl - 1)) : xstrdup(nl + 1);
        }
    }
    if (!r->python_version)
        r->python_version = xstrdup("3");
    if (!r->packages)
        r->packages = xstrdup("numpy, pandas, scikit-learn (assumed; the probe failed)");
    exec_result_free(res);
    rm_rf(dir);
    free(dir);
    free(script);
}

static char *default_model(void)
{
    if (llm_key_available("openai:gpt-4o", NULL))
        return xstrdup("openai:gpt-4o");
    if (llm_key_available("anthropic:claude-sonnet-4-5", NULL))
        return xstrdup("anthropic:claude-sonnet-4-5");
    return xstrdup("builtin:baseline");
}

static int make_client(run_ctx *r, llm_client **out, const char *spec, const char *base_url)
{
    char *log = path_join(r->run_dir, "llm.jsonl");
    llm_config c = {
        .spec = spec,
        .base_url = base_url,
        .api_key_env = r->cfg.api_key_env,
        .log_path = log,
        .prices_path = r->cfg.prices,
        .reasoning_effort = r->cfg.reasoning_effort,
        .seed = (unsigned long)r->cfg.seed,
        .default_max_tokens = (int)r->cfg.max_output_tokens,
        .total_timeout_s = r->cfg.llm.timeout,
        .max_attempts = (int)r->cfg.llm.max_attempts,
        .max_retry_wait_s = r->cfg.llm.retry_wait,
    };
    int rc = llm_client_new(out, r->loop, &c);
    free(log);
    return rc < 0 ? err_prefix("model '%s'", spec) : 0;
}

static int make_clients(run_ctx *r)
{
    if (!r->cfg.model)
        r->cfg.model = default_model();
    const char *model = r->cfg.model;
    if (make_client(r, &r->coder, model, r->cfg.base_url) < 0)
        return -1;
    const char *fb = r->cfg.feedback_model;
    if (!fb || !strcmp(fb, model)) {
        r->feedback = r->coder;
        return 0;
    }
    return make_client(r, &r->feedback, fb, r->cfg.feedback_base_url);
}

static int check_prompts(run_ctx *r)
{
    if (prompts_load(&r->prompts, r->cfg.prompts) < 0)
        return err_prefix("prompts");
    static const char *const names[] = {"system", "draft", "improve", "debug", "review",
                                        "crossover"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (prompts_check(r->prompts, names[i], run_prompt_vars, run_n_prompt_vars) < 0)
            return -1;
    return 0;
}

/* --name is one folder inside --out: an empty name would make --out itself
 * (with the runs in it) a run, and '/', '.' or '..' would reach elsewhere. */
static int check_name(const char *name)
{
    if (!name)
        return 0;
    if (!*name || !strcmp(name, ".") || !strcmp(name, "..") || strchr(name, '/'))
        return err_set("--name '%s': a run's name is one folder name inside --out (no '/', "
                       "not empty, '.' or '..'); to put runs elsewhere use --out DIR", name);
    return 0;
}

/* A new run may be made in a folder that is missing, empty, or one a grove
 * killed at its start left behind (its lock file and no repository yet, which
 * a new start completes). Any other folder is someone's: a run there would
 * overwrite its config.json and delete files in best/ and nodes/, so it is
 * refused before anything is written. */
static int check_new_run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int entries = 0, grove_lock = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            entries++;
        grove_lock |= !strcmp(e->d_name, ".grove.lock");
    }
    closedir(d);
    if (entries && !grove_lock) {
        char *q = shell_quote(dir);
        err_set("run folder %s exists, is not empty and is not a grove run: grove leaves it "
                "untouched; choose another --name (or --out), or move its files elsewhere (mv %s ...)",
                dir, q);
        free(q);
        return -1;
    }
    return 0;
}

/* The run folder's absolute path, checked but not made: nothing is created
 * before the whole configuration has been checked. */
static int plan_run_dir(run_ctx *r, int resume)
{
    if (resume)
        return 0; /* run_dir was set by the caller */
    const char *out = r->cfg.out;
    const char *name = r->cfg.name;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    char *n = name ? xstrdup(name) : xasprintf("%s-%s", r->comp_id, stamp);
    char *dir = path_join(out, n);
    char *git = path_join(dir, ".git");
    int exists = dir_exists(git);
    free(git);
    if (exists) {
        char *q = shell_quote(dir);
        err_set("run folder %s already holds a run: resume it with `grove run --resume %s`, "
                "or choose another --name", dir, q);
        free(q);
        free(dir);
        free(n);
        return -1;
    }
    if (check_new_run_dir(dir) < 0) {
        free(dir);
        free(n);
        return -1;
    }
    free(dir);
    char cwd[4096];
    char *out_abs = dir_exists(out) ? path_real(out)
                    : out[0] == '/' || !getcwd(cwd, sizeof cwd) ? xstrdup(out)
                                                                : path_join(cwd, out);
    r->run_dir = path_join(out_abs, n);
    free(out_abs);
    free(n);
    return 0;
}

static int make_run_dir(run_ctx *r, int resume)
{
    if (resume)
        return 0;
    if (mkdir_p(r->run_dir, 0755) < 0)
        return -1;
    char *real = path_real(r->run_dir);
    free(r->run_dir);
    r->run_dir = real;
    return real ? 0 : -1;
}

/* One grove per run folder: a second one (a resume started twice, say)
 * would redo the same nodes in the same workspaces. */
static int lock_run(run_ctx *r)
{
    char *path = path_join(r->run_dir, ".grove.lock");
    r->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    int rc = 0;
    if (r->lock_fd < 0)
        rc = err_set("%s: %s", path, strerror(errno));
    else if (flock(r->lock_fd, LOCK_EX | LOCK_NB) < 0)
        rc = err_set("another grove is already running on %s (it holds %s); wait for it or "
                     "stop it first", r->run_dir, path);
    free(path);
    return rc;
}

/* Files a killed grove left half-written: temp files of atomic writes. */
static void remove_temp_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strstr(e->d_name, ".tmp."))
            continue;
        char *p = path_join(dir, e->d_name);
        unlink(p);
        free(p);
    }
    if (d)
        closedir(d);
}

static int write_config(const char *run_dir, const char *text)
{
    char *path = path_join(run_dir, "config.json");
    int rc = file_write_str(path, text);
    free(path);
    return rc;
}

/* 1 when a resumed run has nothing left to do: its step budget is used, no
 * node was in flight at the stop, the run wrote finished.json (its last
 * act, after the final grading and the selection analysis), and best/ holds
 * the final result for the current best node (its script and a submission),
 * or no node has a score. Re-running the final then would only spend its
 * time again. A run killed after best/ but before finished.json re-runs the
 * final, so the analysis and finished.json (which grove bench waits for)
 * get made; so does one whose analysis a signal stopped (best/ graded,
 * analysis asked for, no analysis.json). */
static int resume_is_idle(const run_ctx *r)
{
    char *finished = path_join(r->run_dir, "finished.json");
    char *text = NULL;
    int done = file_read(finished, &text, NULL) == 0;
    free(finished);
    cJSON *fin = done ? cJSON_Parse(text) : NULL;
    free(text);
    /* the final node: the final selection's pick (finished.json says which,
     * since a grove that knew selection), else the best search score */
    const cJSON *fnode = cJSON_GetObjectItemCaseSensitive(fin, "final_node");
    int final = cJSON_IsNumber(fnode) ? fnode->valueint : search_tree_best(r->tree);
    cJSON_Delete(fin);
    /* steps count the search's nodes: an ensemble built after it is none */
    if (!done || search_tree_steps(r->tree) < r->steps || r->n_redo)
        return 0;
    if (search_tree_best(r->tree) < 0)
        return 1;
    const search_node *fn = search_tree_node(r->tree, final);
    if (!fn)
        return 0;
    char *sol_path = xasprintf("%s/best/solution.py", r->run_dir);
    char *sub_path = xasprintf("%s/best/submission.csv", r->run_dir);
    char *sol = NULL;
    const char *code = fn->code;
    int idle = file_read(sol_path, &sol, NULL) == 0 && !strcmp(sol, code ? code : "") &&
               file_exists(sub_path);
    char *grade = xasprintf("%s/best/grade.json", r->run_dir);
    char *analysis = path_join(r->run_dir, "analysis.json");
    if (idle && r->cfg.analysis_top_k > 0 && file_exists(grade) && !file_exists(analysis))
        idle = 0; /* the analysis was stopped short */
    free(analysis);
    free(grade);
    free(sol);
    free(sol_path);
    free(sub_path);
    return idle;
}

static int load_node(const cJSON *nj, const journal_node_files *f, void *data)
{
    run_ctx *r = data;
    return node_from_json(r->tree, nj, f->solution, f->plan, f->output);
}

static int load_journal(run_ctx *r)
{
    if (journal_load(r->journal, load_node, r) < 0)
        return err_prefix("resume %s", r->run_dir);
    int *stages = NULL, *parents = NULL, *parents2 = NULL;
    inflight_load(r->run_dir, &r->redo, &stages, &parents, &parents2, &r->n_redo);
    /* Keep only in-flight nodes that never reached a commit. */
    int k = 0;
    for (int i = 0; i < r->n_redo; i++) {
        if (search_tree_node(r->tree, r->redo[i]))
            continue;
        search_action a = {(search_stage)stages[i], parents[i], parents2[i], ""};
        if (search_tree_add_action_with_id(r->tree, r->redo[i], &a) < 0) {
            log_warn("resume: %s; in-flight node %d is not redone", err_last(), r->redo[i]);
            continue;
        }
        r->redo[k++] = r->redo[i];
    }
    r->n_redo = k;
    free(stages);
    free(parents);
    free(parents2);
    /* a kill between a node's commit and the best ref's update leaves best
     * behind: the tree decides */
    int best = search_tree_best(r->tree), cur = -1;
    if (best >= 0 && (journal_best_id(r->journal, &cur) < 0 || cur != best) &&
        journal_set_best(r->journal, best) < 0)
        return err_prefix("resume %s", r->run_dir);
    /* the exported views may lag the refs after a kill: bring them up to date */
    return node_journal_rewrite(r->tree, r->run_dir);
}

/* The audit log, watching every private answers file this run may grade
 * against: the holdout's answers and the competition's test answers. */
static int open_audit(run_ctx *r)
{
    if (audit_open(&r->audit, r->run_dir, r->loop) < 0)
        return -1;
    if (r->holdout)
        audit_watch(r->audit, r->split.answers_path);
    if (r->three_way)
        audit_watch(r->audit, r->select.answers_path);
    if (r->comp && r->comp->answers && r->private_dir) {
        char *answers = path_join(r->private_dir, r->comp->answers);
        if (file_exists(answers))
            audit_watch(r->audit, answers);
        free(answers);
    }
    return 0;
}

static int make_policy(run_ctx *r)
{
    const run_config *cfg = &r->cfg;
    search_policy_params pp;
    search_policy_params_default(&pp);
    pp.num_drafts = (int)cfg->search.num_drafts;
    pp.debug_prob = cfg->search.debug_prob;
    pp.max_debug_depth = (int)cfg->search.max_debug_depth;
    pp.max_failed_drafts = (int)cfg->search.max_failed_drafts;
    pp.top_k = (int)cfg->search.top_k;
    pp.exploit_after = cfg->search.exploit_after;
    pp.uct_c_start = cfg->search.uct_c_start;
    pp.uct_c_end = cfg->search.uct_c_end;
    pp.improves_per_node = (int)cfg->search.improves_per_node;
    pp.population = (int)cfg->search.population;
    pp.tournament = (int)cfg->search.tournament;
    pp.crossover_rate = cfg->search.crossover_rate;
    pp.workers = r->workers;
    return search_policy_new(&r->policy, cfg->policy, &pp);
}

int run_check(run_ctx *r, int resume)
{
    run_config *cfg = &r->cfg;
    r->resumed = resume;
    r->lock_fd = -1;
    r->final_node = -1;
    const char *comp = cfg->competition;
    if (!comp)
        return err_set("no competition given (grove run COMPETITION)");
    if (!resume && check_name(cfg->name) < 0)
        return -1;
    if (resolve_competition(r, comp, cfg->data_dir) < 0 ||
        run_check_train(r->public_dir, bench_registry_find(r->comp_id)) < 0 ||
        choose_scoring(r) < 0 || plan_run_dir(r, resume) < 0)
        return -1;
    absolutize(&cfg->python);
    absolutize(&cfg->prompts);
    absolutize(&cfg->prices);
    absolutize(&cfg->data_dir);
    const char *py = cfg->python;
    if (py) {
        r->python = path_real(py);
        if (!r->python)
            return err_prefix("--python");
    } else if (exec_find_python(&r->python) < 0) {
        return -1;
    }
    if (check_prompts(r) < 0)
        return -1;
    r->time_limit = cfg->time_limit;
    r->steps = (int)cfg->steps;
    r->workers = (int)cfg->workers;
    if (run_hardware_setup(r) < 0)
        return -1;
    search_rng_seed(&r->rng, (uint64_t)cfg->seed * 2654435761u + 1);
    if (make_policy(r) < 0)
        return -1;
    r->loop = xcalloc(1, sizeof *r->loop);
    uv_loop_init(r->loop);
    if (make_clients(r) < 0)
        return -1;
    /* The clients hold their own copies of the keys; wipe them from grove's
     * environment so not even an unsandboxed script reading
     * /proc/<grove>/environ can find them. */
    env_scrub("OPENAI_API_KEY");
    env_scrub("ANTHROPIC_API_KEY");
    if (cfg->api_key_env)
        env_scrub(cfg->api_key_env);
    return 0;
}

int run_setup(run_ctx *r, int resume)
{
    run_config *cfg = &r->cfg;
    if (make_run_dir(r, resume) < 0 || lock_run(r) < 0)
        return -1;
    if (resume) {
        journal_recover(r->run_dir);
        remove_temp_files(r->run_dir);
    }
    /* The saved config names the competition by absolute folder, so a
     * resume works from any working directory. */
    free(cfg->competition);
    cfg->competition = xstrdup(r->comp_dir);
    *strrchr(cfg->competition, '/') = 0;
    if (r->holdout && make_split(r, resume) < 0) {
        /* An inferred split that the data contradicts (a label value that is
         * no class, say) falls back to self-report unless holdout was asked. */
        if (r->comp != &r->inferred.comp ||
            cfg->scoring == CONFIG_SCORING_HOLDOUT)
            return -1;
        r->self_report_why = xstrdup(err_last());
        r->comp = bench_registry_find(r->comp_id);
        r->holdout = 0;
        bench_holdout_free(&r->select);
        r->three_way = 0;
    }
    if (!r->holdout) {
        r->input_dir = xstrdup(r->public_dir);
    }
    char *desc_path = path_join(r->public_dir, "description.md");
    if (file_read(desc_path, &r->description, NULL) < 0)
        r->description = xasprintf("(the competition folder has no description.md; its id is %s)",
                                   r->comp_id);
    r->description = utf8_fix(r->description); /* it goes into every request */
    free(desc_path);
    r->preview = preview_dir(r->input_dir, 6000);
    r->modality = preview_modality(r->input_dir, r->comp ? r->comp->train_file : NULL);
    r->tree = search_tree_new(r->lower_is_better);
    if (open_audit(r) < 0)
        return -1;
    probe_python(r);

    /* config.json before the repository: a run folder with a .git always
     * has the config a resume needs, however early a kill came. A resume
     * rewrites it (with the flags that change a resumed run) only when there
     * is something to do. */
    cJSON *cfg_json = config_to_json(cfg);
    char *cfg_text = utf8_fix(cJSON_Print(cfg_json));
    cJSON_Delete(cfg_json);
    int rc = resume ? 0 : write_config(r->run_dir, cfg_text);
    if (rc == 0)
        rc = journal_open(&r->journal, r->run_dir, !resume);
    if (rc == 0 && !journal_has_task(r->journal))
        rc = journal_commit_task(r->journal, r->description, r->preview, cfg_text, clock_wall());
    if (rc == 0 && resume)
        rc = load_journal(r);
    if (rc == 0 && resume && !(r->idle = resume_is_idle(r))) {
        /* it is going again: no longer finished until it says so */
        char *fin = path_join(r->run_dir, "finished.json");
        rm_rf(fin);
        free(fin);
        rc = write_config(r->run_dir, cfg_text);
    }
    cJSON_free(cfg_text);
    return rc;
}

/*
 * cmd_run.c: `grove run`: parse the command line into the run configuration,
 * print the banner, then set up, loop and finish (run_setup.c, run_loop.c,
 * run_final.c).
 */
#include "commands.h"
#include "config.h"
#include "report_html.h"
#include "run.h"
#include "util.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <unistd.h>

const char summary_run[] = "search for a solution to a competition (the main job)";
const char usage_run[] =
    "usage: grove run [OPTIONS] COMPETITION\n"
    "       grove run --resume RUN_DIR [OPTIONS]\n"
    "\n"
    "COMPETITION is a competition folder in MLE-bench's layout (<data>/<id>, holding\n"
    "prepared/public), that prepared/public folder, or an id in the data folder.\n"
    "\n"
    "options:\n";

/* The rest of the usage: the option table's flags and keys (config.c). */
void usage_more_run(FILE *f)
{
    config_print_usage(f);
    fputs("  --resume RUN_DIR         continue a run from its git journal; nodes that were in\n"
          "                           flight when it stopped are redone\n"
          "  --no-sandbox             run scripts without bubblewrap (--set sandbox=off); holdout\n"
          "                           scores are then worth nothing against a script that\n"
          "                           reads the answers\n"
          "  --memory SIZE            memory cap per script: 4G, 512M or none (default: the\n"
          "                           machine's memory less a reserve, shared by the workers)\n"
          "  --gpu-share              with more workers than GPUs, let scripts share a GPU\n"
          "                           instead of waiting for one (--set gpu_share=true)\n"
          "  --quiet                  no live status line (workers, nodes, best, time left,\n"
          "                           tokens, cost) on the terminal, nor its plain line a\n"
          "                           minute (status_every) when stdout is not one\n"
          "                           (--set quiet=true)\n"
          "  --config FILE            a JSON config (keys as in a run's config.json)\n"
          "  --set KEY=VALUE          set a key below, e.g. search.num_drafts=3 (repeatable)\n"
          "\n"
          "keys (--set KEY=VALUE, --config FILE, a run's config.json):\n", f);
    config_print_keys(f);
    fputs("\n"
          "The run folder is a git repository: every node is a commit (`git log --graph --all`),\n"
          "refs/heads/best is the best node; see `grove tree`, `grove show`, `grove diff`.\n"
          "Ctrl-C once finishes running nodes and stops; twice stops at once.\n", f);
}

/* The flags of `grove run` that are not an option of the table. */
static const char *const own_flags[] = {"--set", "--config", "--resume", "--no-sandbox",
                                        "--memory", "--gpu-share", "--quiet", NULL};

/* --memory SIZE: "4G", "512M", "1.5G" or "none", into exec.memory_limit_mb. */
static int set_memory(run_config *cfg, const char *v)
{
    char *end;
    double x = strtod(v, &end);
    double unit = !strcmp(end, "") || !strcasecmp(end, "M") || !strcasecmp(end, "MB") ? 1
                  : !strcasecmp(end, "G") || !strcasecmp(end, "GB") ? 1024
                  : !strcasecmp(end, "T") || !strcasecmp(end, "TB") ? 1024 * 1024 : -1;
    if (!strcmp(v, "none"))
        return config_set_value(cfg, "exec.memory_limit_mb", "-1");
    if (end == v || unit < 0 || !(x * unit >= 16) || x * unit > 1e9)
        return err_set("--memory '%s': give a size like 4G or 512M (at least 16M), or none", v);
    char mb[32];
    snprintf(mb, sizeof mb, "%.0f", x * unit);
    return config_set_value(cfg, "exec.memory_limit_mb", mb);
}

/* "--steps=3" or "--steps 3": the flag's name in *name (caller frees) and an
 * inline value, or NULL. */
static char *split_flag(const char *arg, const char **inline_value)
{
    const char *eq = strchr(arg, '=');
    *inline_value = eq ? eq + 1 : NULL;
    return eq ? xstrndup(arg, (size_t)(eq - arg)) : xstrdup(arg);
}

static int is_own_flag(const char *name)
{
    for (size_t i = 0; own_flags[i]; i++)
        if (!strcmp(own_flags[i], name))
            return 1;
    return 0;
}

static int unknown_option(const char *arg)
{
    suggest sg = {.typed = arg};
    size_t n;
    const config_option *opts = config_options(&n);
    for (size_t i = 0; i < n; i++)
        if (opts[i].flag)
            suggest_add(&sg, opts[i].flag);
    for (size_t i = 0; own_flags[i]; i++)
        suggest_add(&sg, own_flags[i]);
    if (sg.best)
        return err_set("unknown option '%s'; did you mean %s? (see `grove help run`)", arg,
                       sg.best);
    return err_set("unknown option '%s' (see `grove help run`)", arg);
}

/* First pass: --config and --resume, which decide where the configuration
 * starts from. */
static int find_sources(int argc, char **argv, const char **config_file, char **resume_dir)
{
    for (int i = 1; i < argc; i++) {
        const char *v;
        char *name = split_flag(argv[i], &v);
        int config = !strcmp(name, "--config"), resume = !strcmp(name, "--resume");
        int takes_value = config || resume || config_option_by_flag(name) ||
                          !strcmp(name, "--set") || !strcmp(name, "--memory");
        free(name);
        if (!v && takes_value && i + 1 < argc)
            v = argv[++i];
        if (config)
            *config_file = v;
        if (resume && !(*resume_dir = v ? path_real(v) : NULL))
            return err_set("--resume %s: %s", v ? v : "", v ? err_last() : "needs RUN_DIR");
    }
    return 0;
}

/* One argument of the command line (i advances past a flag's value). */
static int apply_arg(run_config *cfg, int argc, char **argv, int *i, int resuming)
{
    const char *arg = argv[*i];
    if (!strcmp(arg, "--no-sandbox"))
        return config_set_value(cfg, "sandbox", "off");
    if (!strcmp(arg, "--gpu-share"))
        return config_set_value(cfg, "gpu_share", "true");
    if (!strcmp(arg, "--quiet"))
        return config_set_value(cfg, "quiet", "true");
    if (arg[0] != '-' || !arg[1]) {
        if (resuming)
            return err_set("give either COMPETITION or --resume RUN_DIR, not both");
        return config_set_value(cfg, "competition", arg);
    }
    const char *v;
    char *name = split_flag(arg, &v);
    const config_option *o = config_option_by_flag(name);
    int rc = 0;
    if (!o && !is_own_flag(name)) {
        rc = unknown_option(name);
    } else if (!v && *i + 1 >= argc) {
        rc = err_set("%s needs a value (see `grove help run`)", name);
    } else {
        if (!v)
            v = argv[++*i];
        if (o)
            rc = config_set_value(cfg, o->key, v);
        else if (!strcmp(name, "--set"))
            rc = config_set(cfg, v);
        else if (!strcmp(name, "--memory"))
            rc = set_memory(cfg, v);
    }
    free(name);
    return rc;
}

/* What every score of a run depends on cannot change when it resumes. */
static int check_fixed(const run_config *saved, const run_config *cfg)
{
    static const char *const fixed[] = {"competition", "seed", "holdout_fraction", "scoring"};
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++) {
        const config_option *o = config_option_find(fixed[k]);
        if (config_same(saved, cfg, o))
            continue;
        cJSON *j = config_to_json(saved);
        char *was = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(j, fixed[k]));
        err_set("--resume: '%s' cannot change in a resumed run (it is %s): the holdout "
                "split and every score so far depend on it", fixed[k], was ? was : "?");
        cJSON_free(was);
        cJSON_Delete(j);
        return -1;
    }
    return 0;
}

/* --resume continues a run in its own folder: the flags that only name a
 * new run's folder, or where a competition id is looked up, mean nothing
 * there, and accepting them silently would suggest they did something. */
static int refuse_with_resume(int argc, char **argv)
{
    static const char *const fresh_only[] = {"--name", "--out", "--data-dir"};
    for (int i = 1; i < argc; i++) {
        for (size_t k = 0; k < sizeof fresh_only / sizeof fresh_only[0]; k++) {
            size_t n = strlen(fresh_only[k]);
            if (!strncmp(argv[i], fresh_only[k], n) && (!argv[i][n] || argv[i][n] == '='))
                return err_set("--resume continues a run in its own folder; %s only applies to "
                               "a new run: leave it out (to start a new run, give COMPETITION "
                               "instead of --resume)", fresh_only[k]);
        }
    }
    return 0;
}

int run_flag_arity(const char *arg)
{
    const char *v;
    char *name = split_flag(arg, &v);
    int arity = !config_option_by_flag(name) && !is_own_flag(name) ? -1
                : v || !strcmp(name, "--no-sandbox") || !strcmp(name, "--gpu-share") ||
                          !strcmp(name, "--quiet") ? 0 : 1;
    free(name);
    return arity;
}

/* Resolve the configuration: defaults (or a resumed run's config.json), then
 * --config, then the flags in order. */
int run_parse_args(int argc, char **argv, run_config *cfg, char **resume_dir)
{
    *resume_dir = NULL;
    const char *config_file = NULL;
    config_init(cfg);
    if (find_sources(argc, argv, &config_file, resume_dir) < 0)
        return -1;
    if (*resume_dir && refuse_with_resume(argc, argv) < 0)
        return -1;
    if (*resume_dir) {
        char *saved = path_join(*resume_dir, "config.json");
        int rc = config_merge_file(cfg, saved);
        free(saved);
        if (rc < 0)
            return err_prefix("--resume (is %s a grove run folder?)", *resume_dir);
    }
    run_config saved;
    config_copy(&saved, cfg);
    int rc = config_file ? config_merge_file(cfg, config_file) : 0;
    for (int i = 1; i < argc && rc == 0; i++)
        rc = apply_arg(cfg, argc, argv, &i, *resume_dir != NULL);
    if (rc == 0 && *resume_dir)
        rc = check_fixed(&saved, cfg);
    config_free(&saved);
    return rc;
}

static void banner(const run_ctx *r)
{
    char tl[32], et[32];
    config_format_duration(tl, sizeof tl, r->time_limit);
    config_format_duration(et, sizeof et, r->cfg.exec_timeout);
    printf("grove %s: %s %s\n", GROVE_VERSION, r->resumed ? "resuming" : "run", r->run_dir);
    printf("  competition  %s (%s, %s)\n", r->comp_id, r->metric_name,
           r->lower_is_better ? "lower is better" : "higher is better");
    printf("  scoring      %s\n", r->holdout
               ? "holdout: grove splits the training data and grades every node itself"
               : "self-report: the feedback model reads each run's output");
    if (!r->holdout && r->self_report_why)
        printf("               (grove cannot split it: %s)\n", r->self_report_why);
    if (r->holdout)
        printf("  split        %zu train rows, %zu validation rows (seed %ld)\n", r->split.n_train,
               r->split.n_valid, r->cfg.seed);
    if (llm_client_is_builtin(r->coder))
        printf("  coder        builtin: the OFFLINE BASELINE CODER, not an LLM (set an API key\n"
               "               and --model to search with a real model)\n");
    else
        printf("  coder        %s:%s\n", llm_client_provider(r->coder), llm_client_model(r->coder));
    printf("  budget       %d step%s, %d worker%s, %s, %s per script\n", r->steps,
           r->steps == 1 ? "" : "s", r->workers, r->workers == 1 ? "" : "s", tl, et);
    if (r->hardware)
        printf("  hardware     %s\n", r->hardware);
    printf("  python       %s (%s)\n", r->python, r->packages);
    if (r->n_redo)
        printf("  resume       %zu nodes in the journal, %d in flight at the stop will be redone\n",
               search_tree_count(r->tree) - (size_t)r->n_redo, r->n_redo);
    fflush(stdout);
}

/* A run started by `grove bench` (its local backend sets GROVE_BENCH_PID)
 * stops when that bench dies, however it dies: a bench killed outright
 * (SIGKILL, the OOM killer) would otherwise leave its runs going on while
 * `grove bench --resume` starts them again. SIGTERM is the stop a Ctrl-C
 * gives: the run commits what it has and `--resume` continues it. */
static void follow_bench(void)
{
    const char *pid = getenv("GROVE_BENCH_PID");
    if (!pid)
        return;
    pid_t bench = (pid_t)strtol(pid, NULL, 10);
    unsetenv("GROVE_BENCH_PID");
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != bench)
        raise(SIGTERM); /* the bench is gone already */
}

int cmd_run(int argc, char **argv)
{
    follow_bench();
    run_ctx r;
    memset(&r, 0, sizeof r);
    char *resume_dir = NULL;
    if (run_parse_args(argc, argv, &r.cfg, &resume_dir) < 0) {
        fprintf(stderr, "grove run: %s\n", err_last());
        config_free(&r.cfg);
        free(resume_dir);
        return 2;
    }
    if (!resume_dir && !r.cfg.competition) {
        fprintf(stderr, "grove run: no competition given\n\n");
        config_free(&r.cfg);
        return cmd_usage("run", 1);
    }
    r.run_dir = resume_dir;
    int rc = 2; /* a configuration error: nothing was created */
    if (run_check(&r, resume_dir != NULL) < 0) {
        fprintf(stderr, "grove run: %s\n", err_last());
        goto done;
    }
    rc = 1;
    if (run_setup(&r, resume_dir != NULL) < 0) {
        fprintf(stderr, "grove run: %s\n", err_last());
        goto done;
    }
    if (r.idle) {
        char *q = shell_quote(r.run_dir);
        printf("grove: %s already has %d nodes (--steps %d) and nothing left to finish: "
               "nothing to do; `grove run --resume %s --steps N` with N > %d searches further\n",
               r.run_dir, search_tree_count_state(r.tree, NODE_DONE), r.steps, q,
               search_tree_count_state(r.tree, NODE_DONE));
        free(q);
        rc = 0;
        goto done;
    }
    banner(&r);
    run_loop(&r);
    run_ensemble(&r);
    rc = run_finish(&r);
    if (r.exit_code)
        rc = r.exit_code; /* 130 interrupted, 143 terminated, 1 journal errors */
    else if (run_write_finished(&r, rc) < 0)
        log_error("%s", err_last());
    report_live_update(&r, 1); /* after finished.json, which the final page shows */
    char *q = shell_quote(r.run_dir);
    printf("run folder: %s  (git -C %s log --graph --all --oneline)\n", r.run_dir, q);
    free(q);
done:
    run_free(&r);
    return rc;
}

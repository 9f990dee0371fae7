/*
 * cmd_run.c: `grove run`: parse the command line into the run configuration,
 * print the banner, then set up, loop and finish (run_setup.c, run_loop.c,
 * run_final.c).
 */
#include "commands.h"
#include "config.h"
#include "run.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

const char summary_run[] = "search for a solution to a competition (the main job)";
const char usage_run[] =
    "usage: grove run [OPTIONS] COMPETITION\n"
    "       grove run --resume RUN_DIR [OPTIONS]\n"
    "\n"
    "COMPETITION is a competition folder in MLE-bench's layout (<data>/<id>, holding\n"
    "prepared/public), that prepared/public folder, or an id in the data folder.\n"
    "\n"
    "options:\n"
    "  --model PROVIDER:MODEL   coding model: openai:..., anthropic:..., builtin:baseline,\n"
    "                           replay:RUN/llm.jsonl (default: openai:gpt-4o when\n"
    "                           OPENAI_API_KEY is set, anthropic:claude-sonnet-4-5 when\n"
    "                           ANTHROPIC_API_KEY is, else the offline builtin coder)\n"
    "  --feedback-model P:M     model that reviews runs in self-report mode (default: --model)\n"
    "  --base-url URL           endpoint of --model (OpenAI-compatible servers, proxies)\n"
    "  --feedback-base-url URL  endpoint of --feedback-model\n"
    "  --api-key-env VAR        read the API key from VAR instead of the provider's default\n"
    "  --prices FILE            price table (JSON) overriding grove's, for cost and --max-cost\n"
    "  --reasoning-effort E     low, medium or high, for reasoning models\n"
    "  --steps N                nodes in total, resumed ones included (default 20)\n"
    "  --time-limit DUR         wall-clock budget, the final re-run included: 90s, 15m, 2h\n"
    "                           (default 1h)\n"
    "  --exec-timeout DUR       limit per script run (default 10m)\n"
    "  --workers W              nodes in flight at once (default 2)\n"
    "  --seed N                 seed of the holdout split, the policy and the builtin coder\n"
    "  --out DIR                where runs are created (default ./runs)\n"
    "  --name NAME              run folder name (default <competition>-<date>-<time>)\n"
    "  --resume RUN_DIR         continue a run from its git journal; nodes that were in\n"
    "                           flight when it stopped are redone\n"
    "  --policy NAME            search policy (default greedy: AIDE's, aware of workers)\n"
    "  --analysis-top-k K       after the run, re-run the K best nodes on the full data and\n"
    "                           grade them on the test answers, for analysis only\n"
    "                           (RUN/analysis.json: oracle, final, selection regret)\n"
    "  --scoring MODE           auto, holdout (grove splits and grades) or self-report\n"
    "  --max-cost USD           stop gracefully once the LLM cost reaches this\n"
    "  --python PATH            interpreter for candidate scripts (default: one that can\n"
    "                           import numpy; /usr/bin/python3 on Debian)\n"
    "  --no-sandbox             run scripts without bubblewrap\n"
    "  --data-dir DIR           data folder for bare ids (default $GROVE_DATA or\n"
    "                           ~/.cache/grove/data)\n"
    "  --prompts DIR            override prompt templates by file name\n"
    "  --config FILE            a JSON config (keys as in a run's config.json)\n"
    "  --set KEY=VALUE          dotted override, e.g. search.num_drafts=3 (repeatable)\n"
    "\n"
    "The run folder is a git repository: every node is a commit (`git log --graph --all`),\n"
    "refs/heads/best is the best node; see `grove tree`, `grove show`, `grove diff`.\n"
    "Ctrl-C once finishes running nodes and stops; twice stops at once.\n";

typedef struct flag {
    const char *name;
    const char *key; /* config key, NULL: handled specially */
} flag;

static const flag flags[] = {
    {"--model", "model"},
    {"--feedback-model", "feedback_model"},
    {"--base-url", "base_url"},
    {"--feedback-base-url", "feedback_base_url"},
    {"--api-key-env", "api_key_env"},
    {"--prices", "prices"},
    {"--reasoning-effort", "reasoning_effort"},
    {"--steps", "steps"},
    {"--time-limit", "time_limit"},
    {"--exec-timeout", "exec_timeout"},
    {"--workers", "workers"},
    {"--seed", "seed"},
    {"--out", "out"},
    {"--name", "name"},
    {"--policy", "policy"},
    {"--analysis-top-k", "analysis_top_k"},
    {"--scoring", "scoring"},
    {"--max-cost", "max_cost"},
    {"--python", "python"},
    {"--data-dir", "data_dir"},
    {"--prompts", "prompts"},
    {"--set", NULL},
    {"--config", NULL},
    {"--resume", NULL},
    {"--no-sandbox", NULL},
    {NULL, NULL},
};

static const flag *find_flag(const char *arg, const char **inline_value)
{
    *inline_value = NULL;
    for (const flag *f = flags; f->name; f++) {
        size_t n = strlen(f->name);
        if (!strncmp(arg, f->name, n) && (arg[n] == 0 || arg[n] == '=')) {
            if (arg[n] == '=')
                *inline_value = arg + n + 1;
            return f;
        }
    }
    return NULL;
}

int run_flag_arity(const char *arg)
{
    const char *v;
    const flag *f = find_flag(arg, &v);
    if (!f)
        return -1;
    return v || !strcmp(f->name, "--no-sandbox") ? 0 : 1;
}

/* Resolve the configuration: defaults (or a resumed run's config.json), then
 * --config, then the flags in order. */
int run_parse_args(int argc, char **argv, cJSON **cfg_out, char **resume_dir)
{
    *resume_dir = NULL;
    const char *config_file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v;
        const flag *f = find_flag(argv[i], &v);
        if (!f || f->key)
            continue;
        if (!v && i + 1 < argc)
            v = argv[i + 1];
        if (!strcmp(f->name, "--config"))
            config_file = v;
        else if (!strcmp(f->name, "--resume") && v)
            *resume_dir = path_real(v);
        if (!strcmp(f->name, "--resume") && !*resume_dir)
            return err_set("--resume %s: %s", v ? v : "", v ? err_last() : "needs RUN_DIR");
    }
    cJSON *cfg = config_defaults();
    *cfg_out = cfg;
    if (*resume_dir) {
        char *saved = path_join(*resume_dir, "config.json");
        int rc = config_merge_file(cfg, saved);
        free(saved);
        if (rc < 0)
            return err_prefix("--resume (is %s a grove run folder?)", *resume_dir);
    }
    /* what every score of a run depends on cannot change when it resumes */
    static const char *const fixed[] = {"competition", "seed", "holdout_fraction", "scoring"};
    cJSON *saved = *resume_dir ? cJSON_Duplicate(cfg, 1) : NULL;
    if (config_file && config_merge_file(cfg, config_file) < 0) {
        cJSON_Delete(saved);
        return -1;
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--no-sandbox")) {
            config_set_value(cfg, "sandbox", "off");
            continue;
        }
        if (arg[0] != '-' || !arg[1]) {
            if (*resume_dir)
                return err_set("run: give either COMPETITION or --resume RUN_DIR, not both");
            config_set_value(cfg, "competition", arg);
            continue;
        }
        const char *v;
        const flag *f = find_flag(arg, &v);
        if (!f)
            return err_set("run: unknown option '%s' (see `grove help run`)", arg);
        if (!v) {
            if (i + 1 >= argc)
                return err_set("run: %s needs a value (see `grove help run`)", f->name);
            v = argv[++i];
        }
        int rc = 0;
        if (!strcmp(f->name, "--set"))
            rc = config_set(cfg, v);
        else if (f->key)
            rc = config_set_value(cfg, f->key, v);
        if (rc < 0)
            return -1;
    }
    for (size_t k = 0; saved && k < sizeof fixed / sizeof fixed[0]; k++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(saved, fixed[k]);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(cfg, fixed[k]);
        if (!cJSON_Compare(a, b, 1)) {
            char *was = cJSON_PrintUnformatted(a);
            err_set("--resume: '%s' cannot change in a resumed run (it is %s): the holdout "
                    "split and every score so far depend on it", fixed[k], was ? was : "?");
            cJSON_free(was);
            cJSON_Delete(saved);
            return -1;
        }
    }
    cJSON_Delete(saved);
    return config_validate(cfg);
}

static void banner(const run_ctx *r)
{
    char tl[32], et[32];
    config_format_duration(tl, sizeof tl, r->time_limit);
    config_format_duration(et, sizeof et, config_num(r->cfg, "exec_timeout", 600));
    printf("grove %s: %s %s\n", GROVE_VERSION, r->resumed ? "resuming" : "run", r->run_dir);
    printf("  competition  %s (%s, %s)\n", r->comp_id, r->metric_name,
           r->lower_is_better ? "lower is better" : "higher is better");
    printf("  scoring      %s\n", r->holdout
               ? "holdout: grove splits the training data and grades every node itself"
               : "self-report: the feedback model reads each run's output");
    if (!r->holdout && r->self_report_why)
        printf("               (grove cannot split it: %s)\n", r->self_report_why);
    if (r->holdout)
        printf("  split        %zu train rows, %zu validation rows (seed %.0f)\n", r->split.n_train,
               r->split.n_valid, config_num(r->cfg, "seed", 0));
    if (llm_client_is_builtin(r->coder))
        printf("  coder        builtin: the OFFLINE BASELINE CODER, not an LLM (set an API key\n"
               "               and --model to search with a real model)\n");
    else
        printf("  coder        %s:%s\n", llm_client_provider(r->coder), llm_client_model(r->coder));
    printf("  budget       %d steps, %d workers, %s, %s per script\n", r->steps, r->workers, tl, et);
    printf("  python       %s (%s)\n", r->python, r->packages);
    if (r->n_redo)
        printf("  resume       %zu nodes in the journal, %d in flight at the stop will be redone\n",
               search_tree_count(r->tree) - (size_t)r->n_redo, r->n_redo);
    fflush(stdout);
}

int cmd_run(int argc, char **argv)
{
    cJSON *cfg = NULL;
    char *resume_dir = NULL;
    if (run_parse_args(argc, argv, &cfg, &resume_dir) < 0) {
        fprintf(stderr, "grove run: %s\n", err_last());
        cJSON_Delete(cfg);
        free(resume_dir);
        return 2;
    }
    if (!resume_dir && !config_str(cfg, "competition", NULL)) {
        fprintf(stderr, "grove run: no competition given\n\n");
        cJSON_Delete(cfg);
        return cmd_usage("run", 1);
    }
    run_ctx r;
    memset(&r, 0, sizeof r);
    r.run_dir = resume_dir;
    int rc = 1;
    if (run_setup(&r, cfg, resume_dir != NULL) < 0) {
        fprintf(stderr, "grove run: %s\n", err_last());
        goto done;
    }
    banner(&r);
    run_loop(&r);
    rc = run_finish(&r);
    if (r.exit_code)
        rc = r.exit_code; /* 130 interrupted, 143 terminated, 1 journal errors */
    else if (run_write_finished(&r, rc) < 0)
        log_error("%s", err_last());
    printf("run folder: %s  (git -C %s log --graph --all --oneline)\n", r.run_dir, r.run_dir);
done:
    run_free(&r);
    return rc;
}

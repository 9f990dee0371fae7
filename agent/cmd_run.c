/*
 * cmd_run.c: `grove run`: its usage, the command line into the run
 * configuration (run_args.c), the banner, then set up, loop and finish
 * (run_setup.c, run_loop.c, run_final.c).
 */
#include "commands.h"
#include "config.h"
#include "report_html.h"
#include "run.h"
#include "util.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
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

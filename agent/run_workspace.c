/*
 * run_workspace.c: the folder a candidate's script runs in, and the options
 * every script of a run shares (interpreter, sandbox, limits, what is
 * hidden from it).
 */
#include "run.h"
#include "util.h"

#include <stdlib.h>

/* config_sandbox -> exec's modes, in config_sandbox's order */
static const enum exec_sandbox_mode sandbox_modes[] = {EXEC_SANDBOX_AUTO, EXEC_SANDBOX_ON,
                                                       EXEC_SANDBOX_OFF};

int run_workspace(run_ctx *r, const char *dir, const char *code, const char *input_dir,
                  double timeout_s, exec_opts *o)
{
    rm_rf(dir); /* a redone node starts clean */
    char *script = path_join(dir, "solution.py");
    int rc = exec_workspace_prepare(dir) < 0 || file_write_str(script, code ? code : "") < 0;
    free(script);
    if (rc)
        return err_prefix("workspace");
    /* Not only private/: in holdout mode the full public train.csv still
     * labels the rows grove held out, so a script that read it would grade
     * itself perfect by lookup. The script sees the competition's data only
     * as its input/ (a split of it, or public/ itself where that is the
     * input). public/ and private/ are named too, in case they are links
     * that lead out of the competition's folder. */
    r->hide[0] = r->comp_top;
    r->hide[1] = r->public_dir;
    r->hide[2] = r->private_dir;
    r->hide[3] = r->run_dir;
    r->hide[4] = NULL;
    *o = (exec_opts){
        .python = r->python,
        .workdir = dir,
        .input_dir = input_dir,
        .timeout_s = timeout_s,
        .mem_limit = r->mem_limit,
        .file_limit = (size_t)r->cfg.exec.file_limit_mb << 20,
        .disk_limit = (size_t)r->cfg.exec.disk_limit_mb << 20,
        .files_limit = r->cfg.exec.files_limit,
        .max_procs = (int)r->cfg.exec.max_procs,
        .allow_network = r->cfg.exec.allow_network,
        .allow_loopback = r->cfg.exec.allow_loopback,
        .sandbox = sandbox_modes[r->cfg.sandbox],
        .threads = (int)r->cfg.exec.threads,
        .hide_paths = r->hide,
    };
    return 0;
}

/*
 * bench_slurm_submit.c: from a list of bench jobs to one sbatch job array.
 *
 * The batch script (STATE/array-N.sh) is only the dispatch: a `case` on
 * $SLURM_ARRAY_TASK_ID that execs one job's argv, every word single-quoted,
 * with stdout+stderr into the job's log. Everything Slurm must know goes on
 * sbatch's command line, an explicit argv with no quoting to get wrong:
 *
 *   sbatch --parsable --array=0-K-1[%P] --cpus-per-task=C [--mem=MB]
 *          [--gres=gpu:G] [--time=MIN] [--partition=..] [--account=..]
 *          --output=STATE/slurm-%A_%a.out --chdir=STATE
 *          [--slurm-arg ...] --job-name=grove-BENCH STATE/array-N.sh
 *
 * The free --slurm-arg arguments come after grove's own, so where both set
 * an option the user's wins; the job name comes last because squeue and
 * scancel find the bench's arrays by it. The command is also written at the
 * top of the script, for whoever reads the state folder.
 */
#include "bench_slurm_int.h"

#include "util.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* --time: the run's --time-limit plus what comes after the search (the
 * final re-runs on the full data, grading): a quarter more, and at least
 * half an hour. --slurm-arg=--time=... overrides it. */
static const double TIME_MARGIN_FRAC = 0.25;
static const double TIME_MARGIN_MIN_S = 1800.0;
static const double SUBMIT_TIMEOUT_S = 60.0;
enum { OUT_CAP = 4 << 20, MAX_RES_ARGS = 8 };

int slurm_cmd(subproc_result *r, char *const argv[], double timeout_s)
{
    if (subproc_run(r, argv, timeout_s, OUT_CAP) != 0)
        return -1;
    if (r->timed_out)
        return err_set("'%s' did not answer within %.0f s (is the controller up? try "
                       "scontrol ping)", argv[0], timeout_s);
    if (r->exit_code != 0) {
        char line[240];
        subproc_first_line(line, sizeof line, r->err[0] ? r->err : r->out);
        return err_set("'%s' failed (exit %d): %s", argv[0], r->exit_code,
                       line[0] ? line : "(no message)");
    }
    return 0;
}

/* ---- checks ---------------------------------------------------------- */

static int plain_name(const char *what, const char *v)
{
    if (!v)
        return 0;
    int bad = v[0] == '\0';
    for (const char *p = v; *p && !bad; p++)
        bad = isspace((unsigned char)*p) || iscntrl((unsigned char)*p);
    return bad ? err_set("slurm backend: --%s '%s': a Slurm %s name is one word (sinfo "
                         "lists the partitions, sacctmgr show assoc the accounts)",
                         what, v, what)
               : 0;
}

int slurm_opts_check(const bench_backend_opts *o)
{
    if (plain_name("partition", o->partition) != 0 || plain_name("account", o->account) != 0)
        return -1;
    return 0;
}

int slurm_jobs_check(const bench_backend_opts *o, const bench_job *jobs, int n)
{
    if (!o->state_dir || o->state_dir[0] != '/')
        return err_set("slurm backend: the state folder must be an absolute path (got '%s')",
                       o->state_dir ? o->state_dir : "(none)");
    for (int i = 0; i < n; i++) {
        const bench_job *j = &jobs[i];
        if (!j->argv || !j->argv[0] || !j->run_dir || j->run_dir[0] != '/' || !j->log_path ||
            j->log_path[0] != '/')
            return err_set("slurm backend: job %d (%s) needs an argv and absolute run folder "
                           "and log paths", i, j->comp_id ? j->comp_id : "?");
        if (strpbrk(j->run_dir, "\t\n"))
            return err_set("slurm backend: run folder '%s' has a tab or newline in its "
                           "name: rename the bench folder", j->run_dir);
    }
    return 0;
}

/* ---- sbatch's arguments ------------------------------------------------ */

int slurm_resource_args(char **argv, const bench_backend_opts *o, const bench_job *jobs,
                        const int *pick, int k)
{
    int cpus = 1, gpus = 0;
    long mem = 0;
    double t = 0;
    for (int j = 0; j < k; j++) { /* an array has one set: the largest */
        const bench_job *x = &jobs[pick[j]];
        cpus = x->cpus > cpus ? x->cpus : cpus;
        gpus = x->n_gpus > gpus ? x->n_gpus : gpus;
        mem = x->mem_mb > mem ? x->mem_mb : mem;
        t = x->time_limit_s > t ? x->time_limit_s : t;
    }
    int n = 0;
    if (o->parallel > 0) /* at most this many tasks at once */
        argv[n++] = xasprintf("--array=0-%d%%%d", k - 1, o->parallel);
    else
        argv[n++] = xasprintf("--array=0-%d", k - 1);
    argv[n++] = xasprintf("--cpus-per-task=%d", cpus);
    if (mem > 0)
        argv[n++] = xasprintf("--mem=%ld", mem);
    if (gpus > 0)
        argv[n++] = xasprintf("--gres=gpu:%d", gpus);
    if (t > 0) {
        double margin = fmax(t * TIME_MARGIN_FRAC, TIME_MARGIN_MIN_S);
        argv[n++] = xasprintf("--time=%.0f", ceil((t + margin) / 60.0));
    }
    if (o->partition)
        argv[n++] = xasprintf("--partition=%s", o->partition);
    if (o->account)
        argv[n++] = xasprintf("--account=%s", o->account);
    return n;
}

/* sbatch's whole argv for script; the caller frees with free_argv. */
static char **sbatch_argv(const slurm_state *s, const bench_backend_opts *o,
                          const bench_job *jobs, const int *pick, int k, const char *script)
{
    int n_free = 0;
    while (o->slurm_args && o->slurm_args[n_free])
        n_free++;
    char **argv = xcalloc((size_t)(MAX_RES_ARGS + n_free + 8), sizeof *argv);
    int n = 0;
    argv[n++] = xstrdup("sbatch");
    argv[n++] = xstrdup("--parsable");
    n += slurm_resource_args(argv + n, o, jobs, pick, k);
    /* %A_%a: Slurm's own words about a task (a log it could not open) */
    sb out = {0};
    sb_puts(&out, "--output=");
    for (const char *p = s->dir; *p; p++)
        sb_puts(&out, *p == '%' ? "%%" : (char[]){*p, 0});
    sb_puts(&out, "/slurm-%A_%a.out");
    argv[n++] = sb_steal(&out);
    argv[n++] = xasprintf("--chdir=%s", s->dir);
    for (int i = 0; i < n_free; i++)
        argv[n++] = xstrdup(o->slurm_args[i]);
    argv[n++] = xasprintf("--job-name=%s", s->name);
    argv[n++] = xstrdup(script);
    return argv;
}

static void free_argv(char **argv)
{
    for (char **p = argv; p && *p; p++)
        free(*p);
    free(argv);
}

/* ---- the batch script -------------------------------------------------- */

static void sh_quote(sb *s, const char *w)
{
    sb_putc(s, '\'');
    for (const char *p = w; *p; p++)
        sb_puts(s, *p == '\'' ? "'\\''" : (char[]){*p, 0});
    sb_putc(s, '\'');
}

static char *script_text(char *const *sbatch, const bench_job *jobs, const int *pick, int k)
{
    sb s = {0};
    sb_puts(&s, "#!/bin/sh\n# grove bench: one Slurm array task per (competition, seed), "
                "written by grove.\n# Submitted with:");
    for (char *const *a = sbatch; *a; a++) {
        sb_putc(&s, ' ');
        sh_quote(&s, *a);
    }
    sb_puts(&s, "\ncase \"${SLURM_ARRAY_TASK_ID:-}\" in\n");
    for (int j = 0; j < k; j++) {
        const bench_job *x = &jobs[pick[j]];
        sb_printf(&s, "%d) # ", j);
        for (const char *c = x->comp_id ? x->comp_id : "?"; *c; c++) /* stays a comment */
            sb_putc(&s, (unsigned char)*c < ' ' || *c == 127 ? '?' : *c);
        sb_printf(&s, ", seed %d\n   exec", x->seed);
        for (char *const *a = x->argv; *a; a++) {
            sb_putc(&s, ' ');
            sh_quote(&s, *a);
        }
        sb_puts(&s, " >");
        sh_quote(&s, x->log_path);
        sb_puts(&s, " 2>&1 ;;\n");
    }
    sb_puts(&s, "esac\necho \"grove bench: this script has no task '${SLURM_ARRAY_TASK_ID:-}'\" "
                ">&2\nexit 2\n");
    return sb_steal(&s);
}

/* sbatch --parsable prints "ID" or "ID;CLUSTER". */
static int parse_job_id(long *id, const char *out)
{
    char *end;
    long v = strtol(out, &end, 10);
    if (v <= 0 || (*end != '\0' && *end != ';' && *end != '\n'))
        return err_set("slurm backend: sbatch printed '%.80s', not a job id", out);
    *id = v;
    return 0;
}

int slurm_submit(long *id, slurm_state *s, const bench_backend_opts *o, const bench_job *jobs,
                 const int *pick, int k)
{
    if (mkdir_p(s->dir, 0755) != 0)
        return err_prefix("slurm backend: the state folder");
    char *name = xasprintf("array-%d.sh", s->n_arrays + 1);
    char *script = path_join(s->dir, name);
    char **argv = sbatch_argv(s, o, jobs, pick, k, script);
    char *text = script_text(argv, jobs, pick, k);
    subproc_result r = {0};
    int rc = file_write_str(script, text);
    long off = slurm_jobcomp_size(s->jobcomp);
    if (rc == 0 && (rc = slurm_cmd(&r, argv, SUBMIT_TIMEOUT_S)) != 0)
        err_prefix("slurm backend: the array of %d run%s was not submitted (script %s)", k,
                   k == 1 ? "" : "s", script);
    if (rc == 0)
        rc = parse_job_id(id, r.out);
    if (rc == 0)
        rc = slurm_state_record(s, *id, off, jobs, pick, k);
    if (rc == 0)
        log_info("slurm backend: submitted %d run%s as job array %ld (%s)", k,
                 k == 1 ? "" : "s", *id, script);
    subproc_result_free(&r);
    free(text);
    free_argv(argv);
    free(script);
    free(name);
    return rc;
}

/*
 * cmd_bench.c: `grove bench`: many competitions x seeds, each an ordinary
 * `grove run` in its own folder of the bench folder, on a backend (local
 * processes or Slurm). The command line becomes a plan (bench_plan.c), the
 * plan is checked whole before anything is created, then driven
 * (bench_drive.c); the report at the end is `grove report BENCH`'s.
 */
#include "bench.h"
#include "bench_driver.h"
#include "commands.h"
#include "run.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char summary_bench[] = "run many competitions x seeds and report medals as MLE-bench does";
const char usage_bench[] =
    "usage: grove bench LIST [RUN OPTIONS] [--seeds N] [--jobs K] [--backend local|slurm]\n"
    "                   [--out DIR] [--name NAME]\n"
    "       grove bench --resume BENCH [--jobs K] [--backend local|slurm]\n"
    "\n"
    "LIST is a split as `grove competitions` knows it (bundled, lite or low, medium,\n"
    "hard or high, all, dev) or a file of competition ids, one per line (MLE-bench's\n"
    "splits/NAME.txt). Each (competition, seed) is one ordinary `grove run` in\n"
    "BENCH/runs/<id>-seed<N>, with its log in BENCH/logs/. Every `grove run` option\n"
    "passes through (--model, --steps, --time-limit, --workers, --policy, ...); each\n"
    "run also re-runs its 5 best nodes for the selection analysis unless\n"
    "--analysis-top-k says otherwise (0: none).\n"
    "\n"
    "options:\n"
    "  --seeds N           runs per competition (default 1), seeds --seed, --seed+1, ...\n"
    "  --seed S            the first seed (default 1)\n"
    "  --jobs K            runs at once (local; default: the CPUs over each run's --workers)\n"
    "  --backend NAME      local (default) or slurm\n"
    "  --out DIR           where the bench folder is created (default ./runs)\n"
    "  --name NAME         the bench folder's name (default bench-<LIST>-<date>-<time>)\n"
    "  --resume BENCH      finish a bench: finished runs are kept, begun ones resumed\n"
    "                      (`grove run --resume`), the others started\n"
    "  --partition P, --account A, --slurm-arg ARG (repeatable), --detach: for slurm\n"
    "\n"
    "Everything is checked before anything starts: unknown ids, data that is not\n"
    "prepared (bundled competitions are prepared for you), run options, the backend;\n"
    "one message names every offender (exit 2). Ctrl-C stops every run; --resume\n"
    "continues. `grove report BENCH` prints the report again (--json for tools).\n";

typedef struct bench_args {
    const char *list, *resume, *out, *name, *backend;
    int seeds, seed0, jobs, detach;
    const char *partition, *account;
    char **slurm_args;
    int n_slurm_args;
    char **run_args;
    int n_run_args;
} bench_args;

static int int_value(const char *flag, const char *v, int min, int *out)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || end == v || n < min || n > 1000000)
        return err_set("%s '%s': give a whole number of at least %d", flag, v, min);
    *out = (int)n;
    return 0;
}

/* One bench option at argv[*i]: 1 when it was one (value consumed), 0 when
 * not, -1 on a bad value. */
static int bench_option(bench_args *a, int argc, char **argv, int *i)
{
    static const char *const with_value[] = {"--seeds", "--seed", "--jobs", "--backend",
        "--out", "--name", "--resume", "--partition", "--account", "--slurm-arg", NULL};
    const char *arg = argv[*i];
    if (!strcmp(arg, "--detach"))
        return a->detach = 1;
    int k = 0;
    while (with_value[k] && strcmp(arg, with_value[k]))
        k++;
    if (!with_value[k])
        return 0;
    if (*i + 1 >= argc)
        return err_set("%s needs a value (see `grove help bench`)", arg);
    const char *v = argv[++*i];
    switch (k) {
    case 0: return int_value(arg, v, 1, &a->seeds) < 0 ? -1 : 1;
    case 1: return int_value(arg, v, 0, &a->seed0) < 0 ? -1 : 1;
    case 2: return int_value(arg, v, 1, &a->jobs) < 0 ? -1 : 1;
    case 3: a->backend = v; return 1;
    case 4: a->out = v; return 1;
    case 5: a->name = v; return 1;
    case 6: a->resume = v; return 1;
    case 7: a->partition = v; return 1;
    case 8: a->account = v; return 1;
    default:
        a->slurm_args = xrealloc(a->slurm_args, (size_t)(a->n_slurm_args + 2) * sizeof(char *));
        a->slurm_args[a->n_slurm_args++] = (char *)v;
        a->slurm_args[a->n_slurm_args] = NULL;
        return 1;
    }
}

static int parse(bench_args *a, int argc, char **argv)
{
    a->seeds = 1;
    a->seed0 = 1;
    a->run_args = xcalloc((size_t)argc + 1, sizeof *a->run_args);
    for (int i = 1; i < argc; i++) {
        int rc = bench_option(a, argc, argv, &i);
        if (rc < 0)
            return -1;
        if (rc)
            continue;
        const char *arg = argv[i];
        if (arg[0] != '-') {
            if (a->list)
                return err_set("one LIST only ('%s' and '%s'); put ids in a file", a->list, arg);
            a->list = arg;
            continue;
        }
        int arity = run_flag_arity(arg);
        if (arity < 0)
            return err_set("unknown option '%s' (see `grove help bench` and `grove help run`)",
                           arg);
        a->run_args[a->n_run_args++] = argv[i];
        if (arity && i + 1 >= argc)
            return err_set("%s needs a value (see `grove help run`)", arg);
        if (arity)
            a->run_args[a->n_run_args++] = argv[++i];
    }
    if (a->resume && (a->list || a->n_run_args || a->out || a->name))
        return err_set("--resume BENCH takes no LIST, run options, --out or --name: they are "
                       "in its bench.json");
    if (!a->resume && !a->list)
        return err_set("no LIST given (a split such as bundled, or a file of ids)");
    return 0;
}

static char *default_name(const char *list)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    const char *base = strrchr(list, '/') ? strrchr(list, '/') + 1 : list;
    return xasprintf("bench-%.*s-%s", (int)strcspn(base, "."), base, stamp);
}

/* Bundled competitions are built here, once each, before any run starts:
 * two runs preparing the same folder at once would race. */
static int prepare_bundled(const bench_plan *p)
{
    char *data = bench_data_dir(p->data_dir);
    int rc = 0;
    for (int i = 0; i < p->n_comps && rc == 0; i++) {
        const bench_competition *c = bench_registry_find(p->comps[i]);
        int already = 0;
        if (c && c->split && !strcmp(c->split, "bundled") &&
            (rc = bench_prepare(&already, c->id, data, BENCH_PREPARE_SEED, 0)) == 0 && !already)
            printf("grove bench: prepared %s in %s\n", c->id, data);
    }
    free(data);
    return rc;
}

/* Resolve the plan and check everything; offenders collected in *bad. */
static void make_plan(bench_plan *p, const bench_args *a, sb *bad)
{
    if (a->resume) {
        if (bench_plan_load(p, a->resume) < 0)
            sb_printf(bad, "\n  %s", err_last());
    } else {
        p->seeds = a->seeds;
        p->seed0 = a->seed0;
        p->run_args = xcalloc((size_t)a->n_run_args + 1, sizeof *p->run_args);
        for (int i = 0; i < a->n_run_args; i++)
            p->run_args[p->n_run_args++] = xstrdup(a->run_args[i]);
        if (bench_plan_list(p, a->list) < 0)
            sb_printf(bad, "\n  %s", err_last());
        char *name = a->name ? xstrdup(a->name) : default_name(a->list);
        char *dir = path_join(a->out ? a->out : "runs", name);
        char *plan = path_join(dir, "bench.json");
        if (file_exists(plan))
            sb_printf(bad, "\n  %s already holds a bench: continue it with `grove bench --resume "
                      "%s`, or choose another --name", dir, dir);
        p->dir = dir; /* relative until it is made */
        free(plan);
        free(name);
    }
    if (a->backend) {
        free(p->backend);
        p->backend = xstrdup(a->backend);
    }
    if (!p->backend)
        p->backend = xstrdup("local");
    if (a->jobs)
        p->parallel = a->jobs;
    if (p->n_comps && bench_plan_check(p) < 0)
        sb_printf(bad, "%s", strchr(err_last(), '\n') ? strchr(err_last(), '\n') : "");
}

static int start(bench_plan *p, const bench_backend_ops *ops, bench_backend_opts *o, int fresh)
{
    if (fresh) {
        if (mkdir_p(p->dir, 0755) < 0)
            return fprintf(stderr, "grove bench: %s\n", err_last()), 1;
        char *abs = path_real(p->dir);
        free(p->dir);
        p->dir = abs;
        if (bench_plan_save(p) < 0)
            return fprintf(stderr, "grove bench: %s\n", err_last()), 1;
    }
    if (prepare_bundled(p) < 0)
        return fprintf(stderr, "grove bench: %s\n", err_last()), 1;
    char *state = path_join(p->dir, "backend");
    o->state_dir = state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    o->loop = &loop;
    int rc = bench_drive(p, ops, o);
    uv_loop_close(&loop);
    free(state);
    cJSON *rep = NULL;
    if (bench_report_bench(&rep, p->dir) == 0)
        bench_report_print(stdout, rep);
    cJSON_Delete(rep);
    printf("bench folder: %s  (grove report %s [--json])\n", p->dir, p->dir);
    return rc;
}

int cmd_bench(int argc, char **argv)
{
    bench_args a;
    memset(&a, 0, sizeof a);
    if (parse(&a, argc, argv) < 0) {
        fprintf(stderr, "grove bench: %s\n", err_last());
        free(a.run_args);
        free(a.slurm_args);
        return 2;
    }
    bench_plan p;
    memset(&p, 0, sizeof p);
    sb bad = {0};
    make_plan(&p, &a, &bad);
    const bench_backend_ops *ops = bench_backend_find(p.backend);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int per_run = p.workers > 0 ? p.workers : 1;
    /* the default K is this machine's share for the local backend; a Slurm
     * array runs as wide as the cluster lets it unless --jobs says otherwise */
    int local = ops == &bench_backend_local;
    bench_backend_opts o = {
        .parallel = p.parallel ? p.parallel
                  : local      ? (int)(cpus > per_run ? cpus / per_run : 1)
                               : 0,
        .partition = a.partition,
        .account = a.account,
        .slurm_args = a.slurm_args,
        .detach = a.detach,
    };
    if (!ops)
        sb_printf(&bad, "\n  --backend %s: no such backend (local or slurm)", p.backend);
    else if (a.detach && local)
        sb_printf(&bad, "\n  --detach: only with --backend slurm (local runs stop with grove)");
    else if (ops->check(&o) < 0)
        sb_printf(&bad, "\n  %s", err_last());
    int rc = 2;
    if (bad.len)
        fprintf(stderr, "grove bench: cannot start the bench:%s\n", sb_str(&bad));
    else
        rc = start(&p, ops, &o, !a.resume);
    sb_free(&bad);
    bench_plan_free(&p);
    free(a.run_args);
    free(a.slurm_args);
    return rc;
}

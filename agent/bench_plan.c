/*
 * bench_plan.c: what a bench is, and what each of its runs needs next.
 *
 * A bench is competitions x seeds, each pair an ordinary `grove run` in its
 * own folder BENCH/runs/<id>-seed<N>. The competitions come from a split
 * name as `grove competitions` knows them (plus MLE-bench's names for them:
 * low = lite, high = hard, all = split75) or from a file of ids, one per
 * line, as in MLE-bench's splits folder.
 *
 * Everything that can be wrong is checked before anything starts, and
 * reported at once: every unknown id, every competition whose data is not
 * prepared, options `grove run` would refuse. A user who waits for a bench
 * of 75 competitions should not learn of the 40th's missing data hours in.
 *
 * What a run needs is read from its folder alone, never from a record the
 * driver keeps, so a SIGKILL at any moment leaves nothing to reconcile:
 * finished.json (written by grove run as its last act) means done; a
 * config.json (written before anything is committed) means begun, so
 * `grove run --resume`; anything else was never really started.
 */
#include "bench_driver.h"
#include "bench.h"
#include "config.h"
#include "run.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* MLE-bench's split names for grove's, and split75 = lite + medium + hard. */
static const struct {
    const char *name;
    const char *splits[4];
} split_names[] = {
    {"low", {"lite"}},
    {"high", {"hard"}},
    {"all", {"lite", "medium", "hard"}},
    {"split75", {"lite", "medium", "hard"}},
};

static int in_split(const bench_competition *c, const char *list)
{
    if (!c->split)
        return 0;
    for (size_t i = 0; i < sizeof split_names / sizeof split_names[0]; i++)
        if (!strcmp(list, split_names[i].name)) {
            for (int k = 0; k < 4 && split_names[i].splits[k]; k++)
                if (!strcmp(c->split, split_names[i].splits[k]))
                    return 1;
            return 0;
        }
    return !strcmp(c->split, list);
}

static void add_comp(bench_plan *p, const char *id)
{
    p->comps = xrealloc(p->comps, (size_t)(p->n_comps + 1) * sizeof *p->comps);
    p->comps[p->n_comps++] = xstrdup(id);
}

static int read_id_file(bench_plan *p, const char *path)
{
    char *text = NULL;
    if (file_read(path, &text, NULL) < 0)
        return err_prefix("bench LIST");
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        while (isspace((unsigned char)*line))
            line++;
        size_t n = strlen(line);
        while (n && isspace((unsigned char)line[n - 1]))
            line[--n] = 0;
        if (n && line[0] != '#')
            add_comp(p, line);
    }
    free(text);
    if (!p->n_comps)
        return err_set("bench LIST %s: no competition ids in it (one id per line)", path);
    return 0;
}

int bench_plan_list(bench_plan *p, const char *list)
{
    p->list = xstrdup(list);
    size_t n;
    const bench_competition *all = bench_registry_all(&n);
    for (size_t i = 0; i < n; i++)
        if (in_split(&all[i], list))
            add_comp(p, all[i].id);
    if (p->n_comps)
        return 0;
    if (file_exists(list))
        return read_id_file(p, list);
    return err_set("bench LIST '%s' is neither a split (bundled, lite or low, medium, hard or "
                   "high, all, dev) nor a file of competition ids", list);
}

/* The run options as `grove run` reads them: an error is one offender. */
static void check_run_args(bench_plan *p, sb *bad)
{
    int argc = p->n_run_args + 2;
    char **argv = xcalloc((size_t)argc + 1, sizeof *argv);
    argv[0] = "run";
    for (int i = 0; i < p->n_run_args; i++)
        argv[i + 1] = p->run_args[i];
    argv[argc - 1] = "bench-check"; /* a competition, so the options alone are judged */
    run_config cfg;
    char *resume = NULL;
    if (run_parse_args(argc, argv, &cfg, &resume) < 0) {
        sb_printf(bad, "\n  run options: %s", err_last());
    } else {
        p->workers = (int)cfg.workers;
        p->time_limit = cfg.time_limit;
        free(p->data_dir);
        p->data_dir = xstrdup(cfg.data_dir);
    }
    config_free(&cfg);
    free(resume);
    free(argv);
}

static void check_comp(const bench_plan *p, int i, const char *data, sb *bad)
{
    const char *id = p->comps[i];
    for (int k = 0; k < i; k++)
        if (!strcmp(p->comps[k], id)) {
            sb_printf(bad, "\n  %s: listed twice (each competition once; --seeds repeats it)", id);
            return;
        }
    const bench_competition *c = bench_registry_find(id);
    char *top = path_join(data, id);
    char *pub = path_join(top, "prepared/public");
    int bundled = c && c->split && !strcmp(c->split, "bundled");
    if (dir_exists(pub))
        ;
    else if (!c)
        sb_printf(bad, "\n  %s: unknown competition (not in `grove competitions`, and no "
                  "folder %s)", id, pub);
    else if (bundled && bench_prepare_check(id) < 0)
        sb_printf(bad, "\n  %s: %s", id, err_last());
    else if (!bundled)
        sb_printf(bad, "\n  %s: its data is not prepared at %s (prepare it with MLE-bench: "
                  "`mlebench prepare -c %s --data-dir %s`)", id, pub, id, data);
    free(pub);
    free(top);
}

int bench_plan_check(bench_plan *p)
{
    sb bad = {0};
    check_run_args(p, &bad);
    char *data = bench_data_dir(p->data_dir);
    for (int i = 0; i < p->n_comps; i++)
        check_comp(p, i, data, &bad);
    free(data);
    if (!bad.len)
        return 0;
    err_set("cannot start the bench:%s", sb_str(&bad));
    sb_free(&bad);
    return -1;
}

static cJSON *string_array(char *const *s, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(s[i]));
    return a;
}

int bench_plan_save(const bench_plan *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "list", p->list);
    cJSON_AddItemToObject(o, "competitions", string_array(p->comps, p->n_comps));
    cJSON_AddNumberToObject(o, "seeds", p->seeds);
    cJSON_AddNumberToObject(o, "first_seed", p->seed0);
    cJSON_AddItemToObject(o, "run_args", string_array(p->run_args, p->n_run_args));
    cJSON_AddStringToObject(o, "backend", p->backend);
    cJSON_AddNumberToObject(o, "jobs", p->parallel);
    char at[32];
    clock_iso8601(at, sizeof at, clock_wall());
    cJSON_AddStringToObject(o, "created_at", at);
    return json_file_save(p->dir, "bench.json", o);
}

static int load_strings(char ***out, int *n, const cJSON *a)
{
    *n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, a) {
        if (!cJSON_IsString(it))
            return -1;
        *out = xrealloc(*out, (size_t)(*n + 1) * sizeof **out);
        (*out)[(*n)++] = xstrdup(it->valuestring);
    }
    return cJSON_IsArray(a) ? 0 : -1;
}

int bench_plan_load(bench_plan *p, const char *dir)
{
    memset(p, 0, sizeof *p);
    p->dir = path_real(dir);
    if (!p->dir)
        return err_prefix("bench folder");
    char *path = path_join(p->dir, "bench.json");
    char *text = NULL;
    int rc = file_read(path, &text, NULL);
    cJSON *o = rc == 0 ? cJSON_Parse(text) : NULL;
    const char *list = cJSON_GetStringValue(cJSON_GetObjectItem(o, "list"));
    const char *backend = cJSON_GetStringValue(cJSON_GetObjectItem(o, "backend"));
    if (rc < 0)
        rc = err_prefix("%s is not a bench folder (no bench.json)", p->dir);
    else if (!o || !list || !backend ||
             load_strings(&p->comps, &p->n_comps, cJSON_GetObjectItem(o, "competitions")) < 0 ||
             load_strings(&p->run_args, &p->n_run_args, cJSON_GetObjectItem(o, "run_args")) < 0)
        rc = err_set("%s: not a bench plan grove wrote (fields list, competitions, run_args, "
                     "backend)", path);
    if (rc == 0) {
        p->list = xstrdup(list);
        p->backend = xstrdup(backend);
        p->seeds = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "seeds"));
        p->seed0 = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "first_seed"));
        p->parallel = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "jobs"));
        if (p->seeds < 1)
            rc = err_set("%s: 'seeds' must be at least 1", path);
    }
    cJSON_Delete(o);
    free(text);
    free(path);
    return rc;
}

void bench_plan_free(bench_plan *p)
{
    for (int i = 0; i < p->n_comps; i++)
        free(p->comps[i]);
    for (int i = 0; i < p->n_run_args; i++)
        free(p->run_args[i]);
    free(p->comps);
    free(p->run_args);
    free(p->dir);
    free(p->list);
    free(p->data_dir);
    free(p->backend);
    memset(p, 0, sizeof *p);
}

int bench_plan_jobs(const bench_plan *p)
{
    return p->n_comps * p->seeds;
}

const char *bench_plan_comp(const bench_plan *p, int i, int *seed)
{
    *seed = p->seed0 + i % p->seeds;
    return p->comps[i / p->seeds];
}

static char *job_path(const bench_plan *p, int i, const char *folder, const char *ext)
{
    int seed;
    const char *id = bench_plan_comp(p, i, &seed);
    return xasprintf("%s/%s/%s-seed%d%s", p->dir, folder, id, seed, ext);
}

char *bench_plan_run_dir(const bench_plan *p, int i)
{
    return job_path(p, i, "runs", "");
}

char *bench_plan_log(const bench_plan *p, int i)
{
    return job_path(p, i, "logs", ".log");
}

bench_need bench_plan_need(const bench_plan *p, int i)
{
    char *dir = bench_plan_run_dir(p, i);
    char *fin = path_join(dir, "finished.json");
    char *cfg = path_join(dir, "config.json");
    bench_need need = file_exists(fin) ? BENCH_NEED_NOTHING
                      : file_exists(cfg) ? BENCH_NEED_RESUME : BENCH_NEED_START;
    free(cfg);
    free(fin);
    free(dir);
    return need;
}

char **bench_plan_argv(const bench_plan *p, int i, bench_need need, const char *exe)
{
    char **argv = xcalloc((size_t)p->n_run_args + 16, sizeof *argv);
    int n = 0, seed;
    const char *id = bench_plan_comp(p, i, &seed);
    char *run_dir = bench_plan_run_dir(p, i);
    argv[n++] = xstrdup(exe);
    argv[n++] = xstrdup("run");
    if (need == BENCH_NEED_RESUME) {
        /* the run's config.json holds every option it was started with */
        argv[n++] = xstrdup("--resume");
        argv[n++] = run_dir;
        return argv;
    }
    /* first, so that a --analysis-top-k among the run options wins */
    argv[n++] = xstrdup("--analysis-top-k");
    argv[n++] = xasprintf("%d", BENCH_ANALYSIS_TOP_K);
    for (int k = 0; k < p->n_run_args; k++)
        argv[n++] = xstrdup(p->run_args[k]);
    argv[n++] = xstrdup("--seed");
    argv[n++] = xasprintf("%d", seed);
    argv[n++] = xstrdup("--out");
    argv[n++] = xasprintf("%s/runs", p->dir);
    argv[n++] = xstrdup("--name");
    argv[n++] = xstrdup(strrchr(run_dir, '/') + 1);
    /* the competition's folder by absolute path: a job started elsewhere
     * (a Slurm node) needs no $GROVE_DATA */
    char *data = bench_data_dir(p->data_dir);
    char *top = path_join(data, id);
    argv[n] = path_real(top);
    argv[n] = argv[n] ? argv[n] : xstrdup(top);
    free(top);
    free(data);
    free(run_dir);
    return argv;
}

void bench_argv_free(char **argv)
{
    for (int i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}

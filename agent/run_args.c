/*
 * run_args.c: `grove run`'s command line into a resolved run configuration.
 *
 * The configuration starts from the defaults (or, with --resume, from the
 * run's own config.json), then --config FILE, then the flags in the order
 * given: a later flag wins. The flags are the option table's (config.c)
 * plus the few below that are not an option of it. `grove bench` shares
 * this parser for the run arguments it passes on (bench_plan.c).
 */
#include "config.h"
#include "run.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

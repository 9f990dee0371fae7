/* test_config.c: the run configuration's option table, walked option by
 * option: every key set through --set and through a config file, written to
 * config.json and read back (the round trip), and refused with a message
 * that names the key, the type wanted and the fix for a wrong type or a
 * value out of range. Then the cases issue 11 names, an old run's
 * config.json, file errors, durations and the usage. */
#include "check.h"
#include "config.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>

static char *tmp_dir;

static int has(const char *s, const char *sub)
{
    return s && strstr(s, sub) != NULL;
}

/* A valid value other than the default, in --set form. */
static char *sample(const config_option *o)
{
    switch (o->type) {
    case CONFIG_STRING: return xstrdup("some/where else");
    case CONFIG_CHOICE: {
        size_t n = 0;
        while (o->choices[n])
            n++;
        return xstrdup(o->choices[n - 1]);
    }
    case CONFIG_BOOL: return xstrdup(o->dflt && !strcmp(o->dflt, "true") ? "false" : "true");
    default: {
        char buf[64];
        double v = o->dflt && config_parse_duration(o->dflt) == o->max ? o->min : o->max;
        snprintf(buf, sizeof buf, "%.17g", v);
        return xstrdup(buf);
    }
    }
}

/* The whole config through config.json's text and back; 1 when every option
 * survives. */
static int round_trip(const run_config *c)
{
    cJSON *j = config_to_json(c);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    char *path = path_join(tmp_dir, "config.json");
    file_write_str(path, text);
    run_config back;
    config_init(&back);
    int ok = config_merge_file(&back, path) == 0;
    size_t n;
    const config_option *opts = config_options(&n);
    for (size_t i = 0; i < n; i++)
        if (!config_same(c, &back, &opts[i])) {
            fprintf(stderr, "round trip lost %s\n%s\n", opts[i].key, text);
            ok = 0;
        }
    config_free(&back);
    cJSON_free(text);
    free(path);
    return ok;
}

/* {"a": V} or {"a": {"b": V}} for a dotted key, V given as JSON text. */
static int merge_json(run_config *c, const char *key, const char *value_json)
{
    const char *dot = strchr(key, '.');
    char *text = dot ? xasprintf("{\"%.*s\": {\"%s\": %s}}", (int)(dot - key), key, dot + 1,
                                 value_json)
                     : xasprintf("{\"%s\": %s}", key, value_json);
    char *path = path_join(tmp_dir, "set.json");
    file_write_str(path, text);
    int rc = config_merge_file(c, path);
    free(path);
    free(text);
    return rc;
}

/* An error message names the key and what it takes. */
static void check_refused(int rc, const config_option *o, const char *what)
{
    CHECK_MSG(rc < 0, "%s: %s was accepted", o->key, what);
    CHECK_MSG(has(err_last(), o->key) && has(err_last(), "must be") && has(err_last(), "e.g."),
              "%s: %s: %s", o->key, what, err_last());
}

static void walk_option(const config_option *o)
{
    run_config dflt, c;
    config_init(&dflt);
    config_init(&c);
    /* through --set: a value other than the default, kept by config.json */
    char *v = sample(o);
    char *assign = xasprintf("%s=%s", o->key, v);
    CHECK_MSG(config_set(&c, assign) == 0, "%s: %s", assign, err_last());
    CHECK_MSG(!config_same(&c, &dflt, o), "%s did not change %s", assign, o->key);
    CHECK_MSG(round_trip(&c), "%s", o->key);
    /* through a config file: the same value as JSON */
    run_config f;
    config_init(&f);
    cJSON *j = config_to_json(&c);
    const char *dot = strchr(o->key, '.');
    const cJSON *val = cJSON_GetObjectItemCaseSensitive(j, o->key);
    if (dot) {
        char *group = xstrndup(o->key, (size_t)(dot - o->key));
        val = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, group),
                                               dot + 1);
        free(group);
    }
    char *vj = cJSON_PrintUnformatted(val);
    CHECK_MSG(merge_json(&f, o->key, vj) == 0, "%s: %s", o->key, err_last());
    CHECK_MSG(config_same(&c, &f, o), "%s: file value %s differs from --set", o->key, vj);
    cJSON_free(vj);
    cJSON_Delete(j);
    /* null: a nullable option takes it and keeps it; the others get the default */
    CHECK(merge_json(&f, o->key, "null") == 0);
    if (o->flags & CONFIG_NULLABLE) {
        CHECK_MSG(round_trip(&f), "%s null", o->key);
    } else {
        CHECK_MSG(config_same(&f, &dflt, o), "%s: null is not the default", o->key);
    }

    /* wrong types, through --set and through a file */
    const char *bad_text = NULL, *bad_json = NULL;
    switch (o->type) {
    case CONFIG_STRING: bad_json = "5"; break;
    case CONFIG_CHOICE: bad_text = "nosuch"; bad_json = "3"; break;
    case CONFIG_BOOL: bad_text = "maybe"; bad_json = "\"maybe\""; break;
    case CONFIG_INT: bad_text = "1.7"; bad_json = "\"many\""; break;
    case CONFIG_NUMBER: bad_text = "abc"; bad_json = "[1, 2]"; break;
    case CONFIG_DURATION: bad_text = "ten minutes"; bad_json = "true"; break;
    }
    if (bad_text) {
        char *a = xasprintf("%s=%s", o->key, bad_text);
        check_refused(config_set(&c, a), o, a);
        free(a);
    }
    check_refused(merge_json(&c, o->key, bad_json), o, bad_json);
    check_refused(merge_json(&c, o->key, "{\"x\": 1}"), o, "an object");
    if (o->type == CONFIG_INT) {
        check_refused(merge_json(&c, o->key, "1.7"), o, "1.7 in a file");
    }
    /* out of range at both ends */
    if (o->type == CONFIG_INT || o->type == CONFIG_NUMBER || o->type == CONFIG_DURATION) {
        char hi[64], lo[64];
        snprintf(hi, sizeof hi, "%s=%.17g", o->key, o->max * 2 + 1);
        snprintf(lo, sizeof lo, "%s=%.17g", o->key, o->min - 1);
        check_refused(config_set(&c, hi), o, hi);
        CHECK_MSG(!has(err_last(), "e+"), "%s", err_last()); /* whole numbers print whole */
        if (o->type != CONFIG_DURATION || o->min >= 1)
            check_refused(config_set(&c, lo), o, lo);
        snprintf(hi, sizeof hi, "%.17g", o->max * 2 + 1);
        check_refused(merge_json(&c, o->key, hi), o, "above the range in a file");
    }
    /* a refused value leaves the option as it was */
    CHECK_MSG(round_trip(&c), "%s after errors", o->key);
    config_free(&f);
    config_free(&c);
    config_free(&dflt);
    free(assign);
    free(v);
}

static void check_issue11_cases(void)
{
    run_config c;
    config_init(&c);
    CHECK(config_set(&c, "search=3") < 0);
    CHECK(has(err_last(), "'search'") && has(err_last(), "search.num_drafts") &&
          has(err_last(), "--set search."));
    CHECK(merge_json(&c, "search", "[1, 2]") < 0);
    CHECK(has(err_last(), "'search' must be an object") && has(err_last(), "set.json"));
    CHECK(merge_json(&c, "model", "5") < 0);
    CHECK(has(err_last(), "'model' must be a string") && has(err_last(), "\"model\": \""));
    CHECK(merge_json(&c, "steps", "1.7") < 0);
    CHECK(has(err_last(), "'steps' must be a whole number from 1 to 1000000 (it is 1.7)"));
    CHECK(config_set(&c, "exec.allow_network=maybe") < 0);
    CHECK(has(err_last(), "'exec.allow_network' must be true or false (it is 'maybe')") &&
          has(err_last(), "--set exec.allow_network=false"));
    /* a flag's value is named by the flag */
    CHECK(config_set_value(&c, "workers", "0") < 0);
    CHECK(has(err_last(), "--workers") && has(err_last(), "from 1 to 256"));
    /* typos get the nearest key */
    CHECK(config_set(&c, "serach.num_drafts=3") < 0);
    CHECK(has(err_last(), "did you mean 'search.num_drafts'"));
    CHECK(config_set(&c, "noequals") < 0);
    /* a JSON-quoted --set value is unquoted; a number stays text for a string key */
    CHECK(config_set(&c, "model=\"openai:gpt-4o\"") == 0);
    CHECK_STR(c.model, "openai:gpt-4o");
    CHECK(config_set_value(&c, "name", "7") == 0);
    CHECK_STR(c.name, "7");
    CHECK(config_set_value(&c, "time_limit", "1h30m") == 0);
    CHECK(c.time_limit == 5400);
    /* num_drafts=20 no longer fights a fixed max_failed_drafts */
    CHECK(config_set(&c, "search.num_drafts=20") == 0);
    CHECK(c.search.num_drafts == 20 && c.search.max_failed_drafts == 0);
    /* the final selection's rule: a choice, refused with the choices named */
    CHECK(config_set_value(&c, "selection", "search") == 0 &&
          c.selection == CONFIG_SELECTION_SEARCH);
    CHECK(config_set_value(&c, "selection", "oracle") < 0);
    CHECK_MSG(strstr(err_last(), "hidden") && strstr(err_last(), "search"), "%s", err_last());
    config_free(&c);
}

/* The config.json of a run made before the option table (main at 07c074e):
 * durations as text, max_failed_drafts 15, setup's resolved fields. */
static void check_old_config(void)
{
    static const char old[] =
        "{\"competition\": \"/data/grove-churn\", \"data_dir\": null, \"model\": "
        "\"builtin:baseline\", \"feedback_model\": null, \"base_url\": null, "
        "\"feedback_base_url\": null, \"api_key_env\": null, \"prices\": null, "
        "\"reasoning_effort\": null, \"steps\": 12, \"time_limit\": \"15m\", \"exec_timeout\": "
        "600, \"workers\": 2, \"seed\": 0, \"out\": \"runs\", \"name\": \"r1\", \"policy\": "
        "\"greedy\", \"scoring\": \"auto\", \"holdout_fraction\": 0.2, \"final_top_k\": 1, "
        "\"max_cost\": null, \"python\": \"/usr/bin/python3\", \"sandbox\": \"off\", "
        "\"prompts\": null, \"memory_chars\": 4000, \"max_output_tokens\": 8192, "
        "\"temperature\": 0.5, \"gap_warning\": 0.05, \"lower_is_better\": false, "
        "\"metric\": \"auc\", \"search\": {\"num_drafts\": 5, \"debug_prob\": 0.5, "
        "\"max_debug_depth\": 3, \"max_failed_drafts\": 15, \"top_k\": 3}, \"exec\": "
        "{\"memory_limit_mb\": 0, \"file_limit_mb\": 8192, \"max_procs\": 1024, "
        "\"allow_network\": false, \"threads\": 1}}";
    char *path = path_join(tmp_dir, "old.json");
    file_write_str(path, old);
    run_config c;
    config_init(&c);
    CHECK_MSG(config_merge_file(&c, path) == 0, "%s", err_last());
    CHECK(c.time_limit == 900 && c.steps == 12 && c.sandbox == CONFIG_SANDBOX_OFF);
    CHECK(c.lower_is_better == 0 && c.search.max_failed_drafts == 15 && c.max_cost == 0);
    CHECK_STR(c.metric, "auc");
    /* written back with the same keys */
    cJSON *j = config_to_json(&c), *o = cJSON_Parse(old);
    for (const cJSON *it = o->child; it; it = it->next)
        CHECK_MSG(cJSON_GetObjectItemCaseSensitive(j, it->string), "%s lost", it->string);
    /* and the keys added since (gpus, gpu_share, llm, analysis_top_k, quiet,
     * status_every; selection, selection_k, selection_seeds, selection_fraction;
     * ensemble, ensemble_members, ensemble_rounds) with their defaults */
    CHECK(cJSON_GetArraySize(j) == cJSON_GetArraySize(o) + 13);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "status_every")) == 60);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "quiet")));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "selection")), "hidden");
    CHECK(c.selection == CONFIG_SELECTION_HIDDEN && c.selection_k == 5 &&
          c.selection_seeds == 1 && c.selection_fraction == 0.2);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "ensemble")));
    CHECK(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "llm")));
    CHECK_STR(c.gpus, "all");
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "analysis_top_k")) == 0);
    cJSON_Delete(j);
    cJSON_Delete(o);
    config_free(&c);
    free(path);
}

static void check_file_errors(void)
{
    run_config c;
    config_init(&c);
    char *path = path_join(tmp_dir, "cfg.json");
    file_write_str(path, "{\"steps\": 7, \"search\": {\"debug_prob\": 0.25}}");
    CHECK(config_set(&c, "search.num_drafts=3") == 0);
    CHECK(config_merge_file(&c, path) == 0);
    CHECK(c.steps == 7 && c.search.debug_prob == 0.25);
    CHECK(c.search.num_drafts == 3); /* merged, not replaced */
    file_write_str(path, "{\n  \"steps\": 7,\n  \"workers\": ,\n}");
    CHECK(config_merge_file(&c, path) < 0);
    CHECK(has(err_last(), "cfg.json") && has(err_last(), "line 3"));
    file_write_str(path, "{\"stepz\": 7}");
    CHECK(config_merge_file(&c, path) < 0);
    CHECK(has(err_last(), "stepz") && has(err_last(), "did you mean 'steps'"));
    file_write_str(path, "{\"exec\": {\"threds\": 2}}");
    CHECK(config_merge_file(&c, path) < 0);
    CHECK(has(err_last(), "exec.threds"));
    CHECK(config_merge_file(&c, "/nonexistent/cfg.json") < 0);
    CHECK(has(err_last(), "/nonexistent/cfg.json"));
    config_free(&c);
    free(path);
}

/* The usage shows every flag and every key, from the table. */
static void check_usage(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    config_print_usage(f);
    config_print_keys(f);
    fclose(f);
    size_t n;
    const config_option *opts = config_options(&n);
    for (size_t i = 0; i < n; i++) {
        CHECK_MSG(has(text, opts[i].key), "%s missing from the usage", opts[i].key);
        if (opts[i].flag)
            CHECK_MSG(has(text, opts[i].flag), "%s missing from the usage", opts[i].flag);
    }
    CHECK(has(text, "--steps N") && has(text, "(default 20)"));
    CHECK(!has(text, "e+0"));
    free(text);
}

int main(void)
{
    char tmpl[] = "/tmp/grove-config-XXXXXX";
    CHECK(mkdtemp(tmpl) != NULL);
    tmp_dir = tmpl;

    run_config d;
    config_init(&d);
    CHECK(d.steps == 20 && d.search.num_drafts == 5 && d.search.max_failed_drafts == 0);
    CHECK(d.time_limit == 3600 && d.exec_timeout == 600 && d.lower_is_better == -1);
    CHECK_STR(d.policy, "greedy");
    CHECK(round_trip(&d));
    config_free(&d);

    size_t n;
    const config_option *opts = config_options(&n);
    CHECK(n >= 40);
    for (size_t i = 0; i < n; i++)
        walk_option(&opts[i]);

    check_issue11_cases();
    check_old_config();
    check_file_errors();
    check_usage();

    CHECK(config_parse_duration("90") == 90);
    CHECK(config_parse_duration("15m") == 900);
    CHECK(config_parse_duration("2h") == 7200);
    CHECK(config_parse_duration("1x") < 0);
    CHECK(config_parse_duration("") < 0);
    char buf[32];
    config_format_duration(buf, sizeof buf, 7800);
    CHECK_STR(buf, "2h 10m");
    config_format_duration(buf, sizeof buf, 45);
    CHECK_STR(buf, "45s");
    rm_rf(tmpl);
    return check_done("config");
}

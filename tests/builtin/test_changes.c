/*
 * test_changes.c: improve and debug scripts really run.
 *
 *   test_changes improve | debug
 *
 * improve: children of a binary draft (one with another node's code to
 * ensemble with) change their parent's config by exactly one thing and still
 * run to a valid submission.
 * debug: two real failures and their fixes. A competition whose label_col is
 * wrong makes the draft raise KeyError; the debugged script infers the label
 * and runs. A workspace where xgboost cannot be imported (a local xgboost.py
 * shadows it, as a missing package would) makes the xgb draft raise
 * ModuleNotFoundError; the debugged script switches family and runs there.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "util.h"

static char *draft_code(const char *kind, int n_drafts, cJSON *comp_override)
{
    cJSON *ctx = t_context("draft", kind, n_drafts);
    if (comp_override)
        cJSON_ReplaceItemInObject(ctx, "competition", comp_override);
    char *code = t_code(ctx, 0);
    cJSON_Delete(ctx);
    return code;
}

/* Ask for `action` on parent code; returns the child's code. */
static char *child_code(const char *action, const char *parent, const t_run *run,
                        const char *other, int n_children, cJSON *comp_override, char **reply)
{
    cJSON *ctx = t_context(action, "binary", 3);
    if (comp_override)
        cJSON_ReplaceItemInObject(ctx, "competition", comp_override);
    cJSON_ReplaceItemInObject(ctx, "parent", cJSON_CreateNumber(0));
    cJSON_ReplaceItemInObject(ctx, "n_children", cJSON_CreateNumber(n_children));
    cJSON_AddStringToObject(ctx, "parent_code", parent);
    cJSON_AddStringToObject(ctx, "parent_output", run->output ? run->output : "");
    if (other)
        cJSON_AddStringToObject(ctx, "other_code", other);
    *reply = t_reply(ctx, 0);
    cJSON_Delete(ctx);
    return t_python_block(*reply);
}

static void run_ok(const char *what, const char *code, t_run *run)
{
    CHECK(t_run_script(run, "binary", code) == 0);
    CHECK_MSG(run->status == 0 && isfinite(run->score), "%s: exit %d, score %g:\n%s", what,
              run->status, run->score, run->output ? run->output : "");
    CHECK_MSG(run->status != 0 || t_check_submission(run, "binary") == 0, "%s: bad submission",
              what);
    printf("%s: validation score %.4f\n", what, run->score);
}

/* Run a script that must fail with `error` in its output. */
static void run_fails(const char *code, const char *error, t_run *run)
{
    CHECK(t_run_script(run, "binary", code) == 0);
    CHECK_MSG(run->status != 0 && run->output && strstr(run->output, error),
              "the script should fail with %s:\n%s", error, run->output ? run->output : "");
}

/* code with `shadow` inserted before its imports (after the header). */
static char *insert_shadow(const char *code, const char *shadow)
{
    const char *at = code ? strstr(code, "\nimport os\n") : NULL;
    return at ? xasprintf("%.*s\n%s%s", (int)(at - code), code, shadow, at + 1) : xstrdup("");
}

static void test_improve(void)
{
    char *parent = draft_code("binary", 2, NULL), *other = draft_code("binary", 0, NULL);
    cJSON *pcfg = t_config(parent);
    t_run prun;
    run_ok("improve parent", parent, &prun);
    int ran_ensemble = 0, ran_other = 0;
    for (int c = 0; c < 6 && !(ran_ensemble && ran_other); c++) {
        char *reply;
        char *code = child_code("improve", parent, &prun, other, c, NULL, &reply);
        cJSON *cfg = t_config(code);
        CHECK_MSG(cfg && t_config_diff(pcfg, cfg) == 1, "child %d: %s", c, reply);
        int ens = cJSON_IsObject(cJSON_GetObjectItem(cfg, "ensemble"));
        if ((ens && !ran_ensemble) || (!ens && !ran_other)) {
            t_run run;
            run_ok(ens ? "improve (ensemble)" : "improve", code, &run);
            t_run_free(&run);
            ran_ensemble |= ens;
            ran_other |= !ens;
        }
        cJSON_Delete(cfg);
        free(code);
        free(reply);
    }
    CHECK(ran_ensemble && ran_other);
    t_run_free(&prun);
    cJSON_Delete(pcfg);
    free(parent);
    free(other);
}

static void test_debug_keyerror(void)
{
    cJSON *comp = t_competition("binary");
    cJSON_ReplaceItemInObject(comp, "label_col", cJSON_CreateString("Target"));
    char *code = draft_code("binary", 0, cJSON_Duplicate(comp, 1));
    t_run run;
    run_fails(code, "KeyError", &run);
    char *reply;
    char *fixed = child_code("debug", code, &run, NULL, 0, comp, &reply);
    CHECK(reply && strstr(reply, "Fix (column detection)"));
    cJSON *cfg = t_config(fixed);
    CHECK_STR(cJSON_GetObjectItem(cfg, "label_source")->valuestring, "infer");
    t_run fixed_run;
    run_ok("debug KeyError", fixed, &fixed_run);
    t_run_free(&fixed_run);
    cJSON_Delete(cfg);
    t_run_free(&run);
    free(code);
    free(fixed);
    free(reply);
}

static void test_debug_import(void)
{
    char *code = draft_code("binary", 3, NULL); /* xgb at seed 0 */
    cJSON *cfg = t_config(code);
    CHECK_STR(cJSON_GetObjectItem(cfg, "family")->valuestring, "xgb");
    /* A module object standing in for xgboost in the script itself, so
     * every use of it fails as on a machine without the package. */
    static const char shadow[] =
        "import sys, types\n"
        "class _Missing(types.ModuleType):\n"
        "    def __getattr__(self, name):\n"
        "        raise ModuleNotFoundError(\"No module named 'xgboost'\")\n"
        "sys.modules['xgboost'] = _Missing('xgboost')\n";
    char *broken = insert_shadow(code, shadow);
    t_run run;
    run_fails(broken, "ModuleNotFoundError", &run);
    char *reply;
    char *fixed = child_code("debug", broken, &run, NULL, 0, NULL, &reply);
    cJSON *fcfg = t_config(fixed);
    CHECK_STR(cJSON_GetObjectItem(fcfg, "family")->valuestring, "hgb");
    CHECK(reply && strstr(reply, "Fix (missing module)"));
    char *fixed_shadowed = insert_shadow(fixed, shadow);
    t_run fixed_run;
    run_ok("debug ModuleNotFoundError", fixed_shadowed, &fixed_run);
    t_run_free(&fixed_run);
    t_run_free(&run);
    cJSON_Delete(cfg);
    cJSON_Delete(fcfg);
    free(code);
    free(broken);
    free(fixed);
    free(fixed_shadowed);
    free(reply);
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    if (strcmp(what, "improve") == 0) {
        test_improve();
    } else if (strcmp(what, "debug") == 0) {
        test_debug_keyerror();
        test_debug_import();
    } else {
        fprintf(stderr, "usage: test_changes improve|debug\n");
        return 2;
    }
    t_cleanup();
    return check_done("builtin changes");
}

/*
 * debug.c: the builtin coder's fixes, chosen by the exception a script raised.
 *
 * The failure classes it knows, and the fix for each:
 *   ImportError / ModuleNotFoundError  -> a family that needs no missing module
 *   MemoryError / timeout / OOM kill   -> fewer rows, fewer trees, no partner
 *   ValueError / TypeError about NaN, infinity or strings
 *                                      -> ordinal encoding, no log transforms,
 *                                         a family that accepts missing values
 *   KeyError / "not in index" / no label column
 *                                      -> infer the label from train vs test
 * Anything else gets the simplest configuration the coder has. The exception
 * comes from the request; when it is absent, the last "XxxError: message"
 * line of the output stands in for it.
 */
#include <ctype.h>
#include <string.h>

#include "internal.h"

static const char *str_field(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void set_str(cJSON *o, const char *k, const char *v)
{
    cJSON_ReplaceItemInObjectCaseSensitive(o, k, cJSON_CreateString(v));
}

/* Switch cfg's main model to `family` with its default parameters. */
static void set_family(cJSON *cfg, const char *family)
{
    set_str(cfg, "family", family);
    cJSON_ReplaceItemInObjectCaseSensitive(cfg, "params", bi_family_params(bi_family_find(family)));
}

void bi_last_error_line(const char *out, char *ty, size_t ty_n, char *msg, size_t msg_n)
{
    ty[0] = msg[0] = '\0';
    for (const char *line = out; line && *line;) {
        const char *end = line + strcspn(line, "\n");
        const char *p = line;
        while (p < end && (isalnum((unsigned char)*p) || *p == '_' || *p == '.'))
            p++;
        size_t n = (size_t)(p - line);
        if (p < end && *p == ':' && n > 5 && n < ty_n &&
            (strncmp(p - 5, "Error", 5) == 0 || (n > 9 && strncmp(p - 9, "Exception", 9) == 0))) {
            memcpy(ty, line, n);
            ty[n] = '\0';
            const char *m = p + 1 + (p[1] == ' ');
            size_t mn = (size_t)(end - m) < msg_n - 1 ? (size_t)(end - m) : msg_n - 1;
            memcpy(msg, m, mn);
            msg[mn] = '\0';
        }
        line = *end ? end + 1 : end;
    }
}

static void fix_import(cJSON *cfg, const char *msg, sb *plan)
{
    char mod[64] = "";
    const char *q = strchr(msg, '\'');
    if (q) {
        size_t n = strcspn(q + 1, "'.");
        if (n < sizeof mod) {
            memcpy(mod, q + 1, n);
            mod[n] = '\0';
        }
    }
    const bi_family *main = bi_family_find(str_field(cfg, "family"));
    cJSON *ens = cJSON_GetObjectItemCaseSensitive(cfg, "ensemble");
    const bi_family *mate = cJSON_IsObject(ens) ? bi_family_find(str_field(ens, "family")) : NULL;
    if (main->module && strcmp(main->module, mod) == 0) {
        set_family(cfg, "hgb");
        sb_printf(plan, "Fix (missing module): %s is not installed, so replace the %s with "
                  "scikit-learn's histogram gradient boosting, which needs nothing extra.",
                  mod, main->label);
    } else if (mate && mate->module && strcmp(mate->module, mod) == 0) {
        cJSON_ReplaceItemInObjectCaseSensitive(cfg, "ensemble", cJSON_CreateNull());
        sb_printf(plan, "Fix (missing module): %s is not installed, so drop the %s partner "
                  "of the ensemble.", mod, mate->label);
    } else {
        set_family(cfg, "linear");
        sb_printf(plan, "Fix (missing module): the script failed to import '%s'. Regenerate it "
                  "with a linear model, which needs only numpy, pandas and scikit-learn%s.",
                  mod[0] ? mod : "?",
                  strcmp(mod, "sklearn") == 0 || strcmp(mod, "numpy") == 0 ||
                          strcmp(mod, "pandas") == 0 || strcmp(mod, "scipy") == 0
                      ? " (if those are missing too, the Python stack must be installed: "
                        "scripts/setup)" : "");
    }
}

/* Halve the size knobs: rows, trees or iterations; drop the partner. */
static void fix_resources(cJSON *cfg, sb *plan)
{
    cJSON *rows = cJSON_GetObjectItemCaseSensitive(cfg, "max_rows");
    double r = rows->valuedouble / 2 < 1000 ? 1000 : rows->valuedouble / 2;
    cJSON_SetNumberValue(rows, r);
    cJSON *params = cJSON_GetObjectItemCaseSensitive(cfg, "params"), *p;
    cJSON_ArrayForEach(p, params) {
        if (cJSON_IsNumber(p) && (strcmp(p->string, "n_estimators") == 0 ||
                                  strcmp(p->string, "max_iter") == 0))
            cJSON_SetNumberValue(p, p->valuedouble / 2 < 30 ? 30 : (int)(p->valuedouble / 2));
    }
    cJSON_ReplaceItemInObjectCaseSensitive(cfg, "ensemble", cJSON_CreateNull());
    set_str(cfg, "text", "word");
    sb_printf(plan, "Fix (time/memory): the script ran out of time or memory, so fit on at "
              "most %.0f rows, halve the number of trees/iterations, use word n-grams only "
              "and drop any ensemble partner.", r);
}

static void fix_values(cJSON *cfg, sb *plan)
{
    cJSON *feats = cJSON_GetObjectItemCaseSensitive(cfg, "features");
    for (int i = cJSON_GetArraySize(feats) - 1; i >= 0; i--) {
        const char *f = cJSON_GetArrayItem(feats, i)->valuestring;
        if (strcmp(f, "log_skewed") == 0 || strcmp(f, "log_target") == 0)
            cJSON_DeleteItemFromArray(feats, i);
    }
    set_str(cfg, "encoding", "ordinal");
    const char *fam = str_field(cfg, "family");
    int switched = strcmp(fam, "linear") == 0 || strcmp(fam, "mlp") == 0;
    if (switched)
        set_family(cfg, "hgb");
    sb_printf(plan, "Fix (bad values): the data reached the model with missing, infinite or "
              "string values, so encode categories as ordinals, drop log transforms%s.",
              switched ? " and use histogram gradient boosting, which accepts missing values" : "");
}

int bi_debug(cJSON *cfg, const bi_req *r, sb *plan)
{
    char ty[96], msg[512];
    if (r->exc_type[0]) {
        snprintf(ty, sizeof ty, "%s", r->exc_type);
        snprintf(msg, sizeof msg, "%s", r->exc_message);
    } else {
        bi_last_error_line(r->parent_output, ty, sizeof ty, msg, sizeof msg);
    }
    const char *out = r->parent_output, *why = r->exc_message;
    /* A run that hit the wall-clock limit or the OOM killer has no Python
     * exception; the agent's reason ("timed out after 600s", "killed by
     * signal 9") or the output says so. */
    int killed = !ty[0] && (strstr(why, "timed out") || strstr(why, "killed by signal") ||
                            strstr(out, "timed out") || strstr(out, "Killed"));
    if (strstr(ty, "ImportError") || strstr(ty, "ModuleNotFoundError")) {
        fix_import(cfg, msg, plan);
    } else if (strstr(ty, "MemoryError") || strstr(ty, "Timeout") || killed) {
        fix_resources(cfg, plan);
    } else if (strstr(ty, "KeyError") || strstr(msg, "not in index") ||
               strstr(msg, "label column") || strstr(out, "cannot tell the label column")) {
        set_str(cfg, "label_source", "infer");
        sb_printf(plan, "Fix (column detection): %s %s means a column named in the task is "
                  "not where expected, so find the label as the column of train missing from "
                  "test, and use only feature columns present in both files.", ty, msg);
    } else if ((strstr(ty, "ValueError") || strstr(ty, "TypeError")) &&
               (strstr(msg, "NaN") || strstr(msg, "nan") || strstr(msg, "infinity") ||
                strstr(msg, "string") || strstr(msg, "convert") || strstr(msg, "dtype"))) {
        fix_values(cfg, plan);
    } else {
        const char *fam = strcmp(str_field(cfg, "family"), "hgb") == 0 ? "linear" : "hgb";
        set_family(cfg, fam);
        cJSON_ReplaceItemInObjectCaseSensitive(cfg, "features", cJSON_CreateArray());
        cJSON_ReplaceItemInObjectCaseSensitive(cfg, "ensemble", cJSON_CreateNull());
        set_str(cfg, "encoding", "ordinal");
        sb_printf(plan, "Fix (unrecognised failure%s%s): fall back to the simplest setup: a "
                  "default %s, ordinal encoding, no extra features, no ensemble.",
                  ty[0] ? ": " : "", ty, bi_family_find(fam)->label);
    }
    return 0;
}

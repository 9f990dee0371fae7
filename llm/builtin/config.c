/*
 * config.c: the builtin coder's model families and script configs.
 *
 * A config (see internal.h) says everything the templates need to write a
 * script: the family and its parameters, the extra features, the categorical
 * encoding, how text and images become features, the row cap, where the label
 * comes from and an optional ensemble partner. It is written as the script's
 * first line and read back from a parent's code, so it is validated field by
 * field here: a parent script edited by hand (or fuzzed) yields a clear error,
 * never a wrong script.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

static const bi_family families[] = {
    {"linear", "logistic/ridge regression", NULL, 0,
     "{\"C\": 1.0, \"max_iter\": 300}",
     "{\"C\": [0.03, 0.1, 0.3, 1.0, 3.0, 10.0], \"max_iter\": [300, 1000]}"},
    {"rf", "random forest", NULL, 1,
     "{\"n_estimators\": 150, \"max_depth\": 0, \"min_samples_leaf\": 2,"
     " \"max_features\": \"sqrt\"}",
     "{\"n_estimators\": [80, 150, 300], \"min_samples_leaf\": [1, 2, 4, 8],"
     " \"max_features\": [\"sqrt\", 0.3, 0.6], \"max_depth\": [12, 20, 0]}"},
    {"hgb", "histogram gradient boosting", NULL, 1,
     "{\"max_iter\": 200, \"learning_rate\": 0.1, \"max_leaf_nodes\": 31,"
     " \"l2_regularization\": 0.0}",
     "{\"learning_rate\": [0.03, 0.05, 0.1, 0.2], \"max_iter\": [100, 200, 400],"
     " \"max_leaf_nodes\": [15, 31, 63], \"l2_regularization\": [0.0, 0.1, 1.0]}"},
    {"xgb", "XGBoost", "xgboost", 1,
     "{\"n_estimators\": 300, \"learning_rate\": 0.1, \"max_depth\": 6,"
     " \"subsample\": 0.9, \"colsample_bytree\": 0.8}",
     "{\"max_depth\": [3, 4, 6, 8], \"learning_rate\": [0.03, 0.05, 0.1, 0.2],"
     " \"n_estimators\": [150, 300, 500], \"subsample\": [0.7, 0.8, 0.9, 1.0],"
     " \"colsample_bytree\": [0.5, 0.8, 1.0]}"},
    {"mlp", "small neural network (MLP)", NULL, 1,
     "{\"hidden\": 128, \"alpha\": 0.0001, \"max_iter\": 80}",
     "{\"hidden\": [64, 128, 256], \"alpha\": [1e-05, 0.0001, 0.001, 0.01],"
     " \"max_iter\": [40, 80, 160]}"},
};

/* Word+char TF-IDF is the "text" field's job, not a feature of its own, so
 * that two siblings cannot make the same change under two names. */
const char *const bi_features[] = {"missing_indicators", "row_stats", "log_skewed",
                                   "text_stats", "log_target", NULL};
const char *const bi_encodings[] = {"onehot", "ordinal", "count", "target", NULL};
const char *const bi_text_modes[] = {"word", "word+char", NULL};
const char *const bi_image_modes[] = {"pixels", "hog", "pixels+hog", NULL};
static const char *const label_sources[] = {"given", "infer", NULL};

/* Bounds on numbers read back from a config line, so a hand-edited value
 * cannot make the script allocate absurdly. */
#define PARAM_ABS_MAX 1e7
#define MAX_ROWS_MIN 100
#define MAX_ROWS_MAX 10000000

uint64_t bi_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

const bi_family *bi_family_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof families / sizeof families[0]; i++)
        if (strcmp(families[i].name, name) == 0)
            return &families[i];
    return NULL;
}

int bi_in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; s && list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

cJSON *bi_family_params(const bi_family *f)
{
    cJSON *p = cJSON_Parse(f->defaults);
    if (!p)
        abort(); /* the table above is constant and tested */
    return p;
}

/* Rows a script may fit on: big enough to learn, small enough that two fits
 * (validation, then refit) finish well inside the node's timeout on 2 cores. */
static int default_max_rows(const bi_req *r, const char *family)
{
    int rows = 30000;
    if (strcmp(family, "rf") == 0 || strcmp(family, "mlp") == 0)
        rows = 20000;
    if (r->exec_timeout_s > 0 && r->exec_timeout_s < 300)
        rows /= 2;
    if (r->exec_timeout_s > 0 && r->exec_timeout_s < 120)
        rows /= 2;
    return rows;
}

cJSON *bi_config_new(const bi_req *r, const char *family)
{
    const bi_family *f = bi_family_find(family);
    cJSON *cfg = cJSON_CreateObject();
    cJSON_AddStringToObject(cfg, "family", f->name);
    cJSON_AddItemToObject(cfg, "params", bi_family_params(f));
    cJSON_AddItemToObject(cfg, "features", cJSON_CreateArray());
    cJSON_AddStringToObject(cfg, "encoding", f->dense ? "ordinal" : "onehot");
    cJSON_AddStringToObject(cfg, "text", "word");
    /* Raw pixels suit models that learn their own features; trees and
     * linear models do better on gradient histograms. */
    cJSON_AddStringToObject(cfg, "image", strcmp(family, "mlp") == 0 ? "pixels" : "hog");
    cJSON_AddNumberToObject(cfg, "max_rows", default_max_rows(r, family));
    cJSON_AddStringToObject(cfg, "label_source", "given");
    cJSON_AddNullToObject(cfg, "ensemble");
    return cfg;
}

static int check_enum(cJSON *cfg, const char *field, const char *const *valid)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, field);
    if (!cJSON_IsString(v) || !bi_in_list(valid, v->valuestring)) {
        sb msg = {0};
        for (size_t i = 0; valid[i]; i++)
            sb_printf(&msg, "%s%s", i ? ", " : "", valid[i]);
        err_set("config field '%s' must be one of: %s", field, sb_str(&msg));
        sb_free(&msg);
        return -1;
    }
    return 0;
}

/* Keep the parent's value for each known parameter when it has a sane type
 * and size; take the default otherwise. Unknown parameters are dropped. */
static int check_params(cJSON *holder)
{
    const cJSON *fam = cJSON_GetObjectItemCaseSensitive(holder, "family");
    const bi_family *f = cJSON_IsString(fam) ? bi_family_find(fam->valuestring) : NULL;
    if (!f)
        return err_set("config field 'family' must be linear, rf, hgb, xgb or mlp");
    cJSON *given = cJSON_GetObjectItemCaseSensitive(holder, "params");
    cJSON *defaults = bi_family_params(f);
    cJSON *params = cJSON_CreateObject();
    const cJSON *d;
    cJSON_ArrayForEach(d, defaults) {
        const cJSON *v = cJSON_IsObject(given) ? cJSON_GetObjectItemCaseSensitive(given, d->string)
                                              : NULL;
        int ok = v && ((cJSON_IsNumber(v) && v->valuedouble >= 0 &&
                        fabs(v->valuedouble) <= PARAM_ABS_MAX) ||
                       (cJSON_IsString(v) && cJSON_IsString(d) &&
                        bi_in_list((const char *const[]){"sqrt", "log2", NULL}, v->valuestring)));
        cJSON_AddItemToObject(params, d->string, cJSON_Duplicate(ok ? v : d, 1));
    }
    cJSON_Delete(defaults);
    if (given)
        cJSON_ReplaceItemInObjectCaseSensitive(holder, "params", params);
    else
        cJSON_AddItemToObject(holder, "params", params);
    return 0;
}

static int check_features(cJSON *cfg)
{
    const cJSON *feats = cJSON_GetObjectItemCaseSensitive(cfg, "features");
    const cJSON *v;
    if (!cJSON_IsArray(feats))
        return err_set("config field 'features' must be a list of names");
    cJSON_ArrayForEach(v, feats) {
        if (!cJSON_IsString(v) || !bi_in_list(bi_features, v->valuestring))
            return err_set("config field 'features' has an unknown entry (known: "
                           "missing_indicators, row_stats, log_skewed, text_stats, "
                           "log_target)");
    }
    return 0;
}

int bi_config_check(cJSON *cfg)
{
    if (!cJSON_IsObject(cfg))
        return err_set("config is not a JSON object");
    if (check_params(cfg) < 0 || check_features(cfg) < 0 ||
        check_enum(cfg, "encoding", bi_encodings) < 0 ||
        check_enum(cfg, "text", bi_text_modes) < 0 ||
        check_enum(cfg, "image", bi_image_modes) < 0 ||
        check_enum(cfg, "label_source", label_sources) < 0)
        return -1;
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(cfg, "max_rows");
    if (!cJSON_IsNumber(rows) || !(rows->valuedouble >= MAX_ROWS_MIN) ||
        rows->valuedouble > MAX_ROWS_MAX)
        return err_set("config field 'max_rows' must be a number from %d to %d",
                       MAX_ROWS_MIN, MAX_ROWS_MAX);
    cJSON_SetNumberValue((cJSON *)rows, floor(rows->valuedouble));
    cJSON *ens = cJSON_GetObjectItemCaseSensitive(cfg, "ensemble");
    if (!ens) {
        cJSON_AddNullToObject(cfg, "ensemble");
    } else if (!cJSON_IsNull(ens)) {
        if (!cJSON_IsObject(ens) || check_params(ens) < 0)
            return err_prefix("config field 'ensemble'");
    }
    return 0;
}

int bi_config_from_code(cJSON **out, const char *code)
{
    static const char tag[] = "# grove-builtin: ";
    *out = NULL;
    const char *at = code ? strstr(code, tag) : NULL;
    /* Only a tag at the start of a line counts: the same text inside a
     * string or a comment elsewhere is not a config line. */
    while (at && at != code && at[-1] != '\n')
        at = strstr(at + 1, tag);
    if (!at)
        return 0;
    at += sizeof tag - 1;
    size_t len = strcspn(at, "\n");
    cJSON *cfg = cJSON_ParseWithLength(at, len);
    if (!cfg)
        return err_set("config line is not valid JSON");
    if (bi_config_check(cfg) < 0) {
        cJSON_Delete(cfg);
        return -1;
    }
    *out = cfg;
    return 1;
}

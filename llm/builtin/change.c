/*
 * change.c: how the builtin coder turns a parent's config into a child's.
 *
 * improve makes exactly one atomic change, from one of five kinds: a
 * hyperparameter moved one step along its ladder, one extra feature, another
 * categorical encoding, ensembling with another node's family, or another way
 * of turning text or images into features. Kinds that cannot matter for the
 * data (text changes without text columns) are skipped when the parent's
 * output says what columns it saw ("Detected columns: {...}"). The kind is
 * picked from the seed and the parent, offset by how many children the parent
 * already has, so siblings try different kinds. A change is never one
 * already tried on that parent: a candidate whose config equals the
 * parent's or that of any code the agent lists as tried there
 * ("tried_codes": its other children) gives way to the next candidate
 * (4 of 11 improvements on grove-spambase had repeated an earlier sibling:
 * few kinds apply to numeric-only data, and each ladder was only ever
 * stepped up).
 *
 * debug reads the exception (or the traceback's last line when none is given)
 * and applies the fix for that failure class.
 */
#include <string.h>

#include "internal.h"

enum { K_HYPER, K_FEATURE, K_ENCODING, K_ENSEMBLE, K_REPR, K_COUNT };

/* Count of a column kind the parent's script reported, or -1 when unknown. */
static int detected(const bi_req *r, const char *kind)
{
    static const char tag[] = "Detected columns: ";
    const char *at = r->parent_output ? strstr(r->parent_output, tag) : NULL;
    if (!at)
        return -1;
    at += sizeof tag - 1;
    cJSON *j = cJSON_ParseWithLength(at, strcspn(at, "\n"));
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, kind);
    int n = cJSON_IsNumber(v) ? (int)v->valuedouble : -1;
    cJSON_Delete(j);
    return n;
}

static int has(const bi_req *r, const char *kind)
{
    return detected(r, kind) != 0; /* unknown counts as present */
}

static const char *str_field(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static int has_feature(const cJSON *cfg, const char *name)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(cfg, "features")) {
        if (cJSON_IsString(f) && strcmp(f->valuestring, name) == 0)
            return 1;
    }
    return 0;
}

/* The features that could still change something for this data. */
static size_t feature_options(const cJSON *cfg, const bi_req *r, const char **out)
{
    size_t n = 0;
    for (size_t i = 0; bi_features[i]; i++) {
        const char *f = bi_features[i];
        int ok = !has_feature(cfg, f);
        if (strcmp(f, "missing_indicators") == 0)
            ok = ok && has(r, "with_na");
        else if (strcmp(f, "row_stats") == 0 || strcmp(f, "log_skewed") == 0)
            ok = ok && has(r, "numeric");
        else if (strcmp(f, "text_stats") == 0)
            ok = ok && has(r, "text");
        else if (strcmp(f, "log_target") == 0)
            ok = ok && strcmp(r->task, "regression") == 0 && !strstr(r->metric, "rmsle");
        if (ok)
            out[n++] = f;
    }
    return n;
}

static size_t encoding_options(const cJSON *cfg, const bi_req *r, const char **out)
{
    size_t n = 0;
    if (!has(r, "categorical"))
        return 0;
    for (size_t i = 0; bi_encodings[i]; i++) {
        const char *e = bi_encodings[i];
        if (strcmp(e, str_field(cfg, "encoding")) == 0 ||
            (strcmp(e, "target") == 0 && strcmp(r->task, "multiclass") == 0))
            continue;
        out[n++] = e;
    }
    return n;
}

static int kind_available(int kind, const cJSON *cfg, const bi_req *r)
{
    const char *opts[8];
    switch (kind) {
    case K_FEATURE: return feature_options(cfg, r, opts) > 0;
    case K_ENCODING: return encoding_options(cfg, r, opts) > 0;
    case K_ENSEMBLE: return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cfg, "ensemble"));
    case K_REPR: return has(r, "text") || has(r, "image");
    default: return 1;
    }
}

static void change_hyper(cJSON *cfg, uint64_t pick, sb *plan)
{
    const char *fam = str_field(cfg, "family");
    const bi_family *f = bi_family_find(fam);
    cJSON *ladders = cJSON_Parse(f->ladders);
    cJSON *params = cJSON_GetObjectItemCaseSensitive(cfg, "params");
    cJSON *ladder = cJSON_GetArrayItem(ladders, (int)(pick % (uint64_t)cJSON_GetArraySize(ladders)));
    cJSON *cur = cJSON_GetObjectItemCaseSensitive(params, ladder->string);
    int n = cJSON_GetArraySize(ladder), at = -1;
    for (int i = 0; i < n; i++) {
        cJSON *v = cJSON_GetArrayItem(ladder, i);
        if (cJSON_Compare(v, cur, 1) ||
            (cJSON_IsNumber(v) && cJSON_IsNumber(cur) && v->valuedouble == cur->valuedouble))
            at = i;
    }
    /* One step along the ladder; every other round of ladders downwards
     * when possible, so both neighbours get tried. */
    int down = (int)((pick / (uint64_t)cJSON_GetArraySize(ladders)) & 1);
    int next = at < 0 ? n / 2 : down && at > 0 ? at - 1 : at + 1 < n ? at + 1 : at - 1;
    cJSON *val = cJSON_Duplicate(cJSON_GetArrayItem(ladder, next), 1);
    char *was = cJSON_PrintUnformatted(cur), *now = cJSON_PrintUnformatted(val);
    sb_printf(plan, "Atomic change (hyperparameter): set the %s's %s from %s to %s; "
              "everything else stays as in the parent.", f->label, ladder->string, was, now);
    cJSON_ReplaceItemInObjectCaseSensitive(params, ladder->string, val);
    free(was);
    free(now);
    cJSON_Delete(ladders);
}

static void change_ensemble(cJSON *cfg, const bi_req *r, sb *plan)
{
    cJSON *other = NULL;
    const char *fam = str_field(cfg, "family");
    cJSON *partner = cJSON_CreateObject();
    if (bi_config_from_code(&other, r->other_code) == 1 &&
        strcmp(str_field(other, "family"), fam) != 0) {
        cJSON_AddStringToObject(partner, "family", str_field(other, "family"));
        cJSON_AddItemToObject(partner, "params",
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(other, "params"), 1));
        sb_printf(plan, "Atomic change (ensembling): average this model's predictions with "
                  "the %s of another good node, keeping that node's parameters.",
                  bi_family_find(str_field(other, "family"))->label);
    } else {
        /* No other family to borrow: pair trees with a linear model and the
         * others with boosted trees, whose errors differ most. */
        const char *mate = (strcmp(fam, "linear") == 0 || strcmp(fam, "mlp") == 0) ? "hgb"
                                                                                  : "linear";
        cJSON_AddStringToObject(partner, "family", mate);
        cJSON_AddItemToObject(partner, "params", bi_family_params(bi_family_find(mate)));
        sb_printf(plan, "Atomic change (ensembling): no other good node of a different family "
                  "was given, so average this model with a default %s.",
                  bi_family_find(mate)->label);
    }
    cJSON_ReplaceItemInObjectCaseSensitive(cfg, "ensemble", partner);
    cJSON_Delete(other);
}

static void change_repr(cJSON *cfg, const bi_req *r, uint64_t pick, sb *plan)
{
    int text = has(r, "text"), image = has(r, "image");
    if (text && (!image || (pick & 1))) {
        const char *now = strcmp(str_field(cfg, "text"), "word") == 0 ? "word+char" : "word";
        sb_printf(plan, "Atomic change (text features): TF-IDF over %s n-grams instead of %s.",
                  strcmp(now, "word") == 0 ? "word" : "word and character",
                  str_field(cfg, "text"));
        cJSON_ReplaceItemInObjectCaseSensitive(cfg, "text", cJSON_CreateString(now));
        return;
    }
    const char *cur = str_field(cfg, "image");
    const char *now = strcmp(cur, "pixels") == 0 ? "hog" : strcmp(cur, "hog") == 0 ? "pixels+hog"
                                                                                  : "pixels";
    sb_printf(plan, "Atomic change (image features): describe each image by %s instead of %s.",
              now, cur);
    cJSON_ReplaceItemInObjectCaseSensitive(cfg, "image", cJSON_CreateString(now));
}

/* The c-th change of this parent's config. */
static void one_change(cJSON *cfg, const bi_req *r, int c, sb *plan)
{
    /* Depends on the run's seed and the parent only, so the n-th child of a
     * parent is the same change in every replay, and siblings differ. */
    uint64_t st = (uint64_t)r->seed * 1000003u + (uint64_t)(r->parent + 7);
    uint64_t h = bi_rand(&st), h2 = bi_rand(&st);
    int avail[K_COUNT], n = 0;
    for (int k = 0; k < K_COUNT; k++)
        if (kind_available(k, cfg, r))
            avail[n++] = k;
    int kind = avail[(h + (uint64_t)c) % (uint64_t)n];
    uint64_t pick = h2 + (uint64_t)(c / n);
    const char *opts[8];
    size_t m;
    switch (kind) {
    case K_FEATURE:
        m = feature_options(cfg, r, opts);
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(cfg, "features"),
                             cJSON_CreateString(opts[pick % m]));
        sb_printf(plan, "Atomic change (feature): add the '%s' features; model and "
                  "parameters stay as in the parent.", opts[pick % m]);
        break;
    case K_ENCODING:
        m = encoding_options(cfg, r, opts);
        sb_printf(plan, "Atomic change (encoding): encode categorical columns with %s "
                  "encoding instead of %s.", opts[pick % m], str_field(cfg, "encoding"));
        cJSON_ReplaceItemInObjectCaseSensitive(cfg, "encoding", cJSON_CreateString(opts[pick % m]));
        break;
    case K_ENSEMBLE: change_ensemble(cfg, r, plan); break;
    case K_REPR: change_repr(cfg, r, pick, plan); break;
    default: change_hyper(cfg, pick, plan); break;
    }
}

/* 1 when cfg is the parent's own (base) or a tried code's config. */
static int tried(const cJSON *cfg, const cJSON *base, const bi_req *r)
{
    if (cJSON_Compare(cfg, base, 1))
        return 1;
    const cJSON *code;
    cJSON_ArrayForEach(code, r->tried_codes) {
        cJSON *other = NULL;
        int same = cJSON_IsString(code) && bi_config_from_code(&other, code->valuestring) == 1 &&
                   cJSON_Compare(cfg, other, 1);
        cJSON_Delete(other);
        if (same)
            return 1;
    }
    return 0;
}

/* Candidates of one change each, enough to walk every kind and ladder in
 * both directions; past them, the same changes made twice (two steps along
 * a ladder, two more features), then three times: a parent improved often
 * runs out of single changes (grove-spambase's best draft did after seven
 * children). */
#define SINGLE_CANDIDATES 32
#define MAX_CANDIDATES (3 * SINGLE_CANDIDATES)

cJSON *bi_improve(cJSON *cfg, const bi_req *r, sb *plan)
{
    int c = r->n_children > 0 ? r->n_children : 0;
    cJSON *pick = NULL;
    sb why = {0};
    for (int k = 0; k < MAX_CANDIDATES && !pick; k++) {
        cJSON *cand = cJSON_Duplicate(cfg, 1);
        sb_reset(&why);
        for (int times = 0; times <= k / SINGLE_CANDIDATES; times++) {
            if (times)
                sb_putc(&why, ' ');
            one_change(cand, r, c + k, &why);
        }
        if (!tried(cand, cfg, r) || k == MAX_CANDIDATES - 1)
            pick = cand;
        else
            cJSON_Delete(cand);
    }
    sb_puts(plan, sb_str(&why));
    sb_free(&why);
    cJSON_Delete(cfg);
    return pick;
}

/*
 * builtin.c: the offline builtin coder's entry point.
 *
 * Not an LLM. It reads the structured context the agent attaches to each
 * request (action, competition, parent code and output, exception), decides
 * a script config (see internal.h) and writes the script from the embedded
 * templates. The reply is shaped like an LLM's: a short plan in prose, then
 * one ```python block (for "review", one JSON object), so it goes through
 * the same parsing, execution, scoring and git path as any model's reply.
 *
 * Everything is a function of the seed and the context: the same request
 * gets the same reply.
 */
#include <string.h>

#include "builtin.h"
#include "internal.h"

static const char *get_str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static int get_int(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) && v->valuedouble > -1e9 && v->valuedouble < 1e9
               ? (int)v->valuedouble : -1;
}

static int read_request(bi_req *r, const cJSON *ctx, unsigned long seed)
{
    static const char *const actions[] = {"draft", "improve", "debug", "crossover", "review",
                                          NULL};
    static const char *const tasks[] = {"binary", "multiclass", "regression", "other", NULL};
    memset(r, 0, sizeof *r);
    if (!cJSON_IsObject(ctx))
        return err_set("builtin coder: the request has no context object (the agent must "
                       "send {\"action\", \"competition\", ...})");
    r->action = get_str(ctx, "action");
    if (!bi_in_list(actions, r->action))
        return err_set("builtin coder: context field 'action' is '%s'; expected draft, "
                       "improve, debug, crossover or review", r->action);
    r->comp = cJSON_GetObjectItemCaseSensitive(ctx, "competition");
    if (!cJSON_IsObject(r->comp))
        return err_set("builtin coder: context field 'competition' must be an object with "
                       "task, metric and file names");
    r->task = get_str(r->comp, "task");
    if (!bi_in_list(tasks, r->task))
        r->task = "other";
    r->metric = get_str(r->comp, "metric");
    r->modality = get_str(r->comp, "modality");
    r->node = get_int(ctx, "node");
    r->parent = get_int(ctx, "parent");
    r->n_drafts = get_int(ctx, "n_drafts");
    r->n_children = get_int(ctx, "n_children");
    r->exec_timeout_s = get_int(ctx, "exec_timeout_s");
    r->parent_code = get_str(ctx, "parent_code");
    r->parent_output = get_str(ctx, "parent_output");
    r->other_code = get_str(ctx, "other_code");
    r->parent2_code = get_str(ctx, "parent2_code");
    r->tried_codes = cJSON_GetObjectItemCaseSensitive(ctx, "tried_codes");
    r->code = get_str(ctx, "code");
    r->output = get_str(ctx, "output");
    const cJSON *exc = cJSON_GetObjectItemCaseSensitive(ctx, "exception");
    r->exc_type = get_str(exc, "type");
    r->exc_message = get_str(exc, "message");
    r->seed = seed;
    r->rng = (uint64_t)seed * 0x100000001B3ull ^ (uint64_t)(r->node + 1) * 0x9E3779B97F4A7C15ull;
    bi_rand(&r->rng);
    return 0;
}

/* Draft families in the order they suit the data; unknown data counts as
 * tabular (every family copes with text and images anyway). */
static const char *draft_family(const bi_req *r)
{
    static const char *const tabular[] = {"hgb", "rf", "linear", "xgb", "mlp"};
    static const char *const text[] = {"linear", "mlp", "xgb", "hgb", "rf"};
    static const char *const image[] = {"mlp", "linear", "hgb", "rf", "xgb"};
    const char *const *order = strcmp(r->modality, "text") == 0    ? text
                               : strcmp(r->modality, "image") == 0 ? image
                                                                   : tabular;
    int k = r->n_drafts > 0 ? r->n_drafts : 0;
    return order[((unsigned long)k + r->seed) % 5];
}

static cJSON *draft(const bi_req *r, sb *plan)
{
    const char *fam = draft_family(r);
    cJSON *cfg = bi_config_new(r, fam);
    const char *label = bi_family_find(fam)->label;
    sb_printf(plan, "Draft %d: %s %s baseline for this %s task (metric %s). ",
              r->n_drafts > 0 ? r->n_drafts + 1 : 1, strchr("aeiouX", label[0]) ? "an" : "a",
              label, r->task,
              r->metric[0] ? r->metric : "chosen by task");
    sb_puts(plan, "The script detects numeric, categorical, date, free-text and image-path "
                  "columns at run time; text goes through TF-IDF, images through pixel or "
                  "gradient-histogram features. It scores 5-fold cross-validation (an 80/20 "
                  "split above 3,000 rows; stratified by class) of the training data with "
                  "the competition's metric, refits on all "
                  "rows and writes the submission in the sample submission's format.");
    return cfg;
}

/* The parent's config, or a fresh draft with the reason in the plan. */
static cJSON *parent_config(const bi_req *r, sb *plan, int *fresh)
{
    cJSON *cfg = NULL;
    int rc = bi_config_from_code(&cfg, r->parent_code);
    *fresh = rc != 1;
    if (rc == 1)
        return cfg;
    if (rc == 0)
        sb_puts(plan, "The parent script was not written by the builtin coder (it has no "
                      "'# grove-builtin:' config line), so I cannot change it safely; "
                      "instead I write a fresh, safe baseline. ");
    else
        sb_printf(plan, "The parent's config line is unusable (%s), so I write a fresh, "
                        "safe baseline instead. ", err_last());
    bi_req fallback = *r;
    fallback.n_drafts = 0;
    fallback.modality = r->modality;
    return draft(&fallback, plan);
}

int builtin_reply(const llm_request *req, unsigned long seed, char **text)
{
    bi_req r;
    sb plan = {0}, reply = {0};
    cJSON *cfg = NULL;
    char *script = NULL;
    int fresh = 0, rc = -1;
    *text = NULL;
    if (read_request(&r, req->context, seed) < 0)
        return -1;
    if (strcmp(r.action, "review") == 0) {
        *text = bi_review(&r);
        return 0;
    }
    if (strcmp(r.action, "draft") == 0)
        cfg = draft(&r, &plan);
    else
        cfg = parent_config(&r, &plan, &fresh);
    if (!fresh && strcmp(r.action, "improve") == 0)
        cfg = bi_improve(cfg, &r, &plan);
    else if (!fresh && strcmp(r.action, "debug") == 0)
        bi_debug(cfg, &r, &plan);
    else if (!fresh && strcmp(r.action, "crossover") == 0)
        cfg = bi_crossover(cfg, &r, &plan);
    if (!cfg)
        goto done;
    if (bi_script(&script, cfg, &r) < 0)
        goto done;
    sb_puts(&reply, sb_str(&plan));
    sb_puts(&reply, "\n\nResulting model: ");
    bi_describe(&reply, cfg);
    sb_printf(&reply, ".\n\n```python\n%s```\n", script);
    *text = sb_steal(&reply);
    rc = 0;
done:
    cJSON_Delete(cfg);
    free(script);
    sb_free(&plan);
    sb_free(&reply);
    return rc;
}

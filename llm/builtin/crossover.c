/*
 * crossover.c: how the builtin coder merges two parents' configs into one.
 *
 * The first parent (the stronger, by the policy's rule) is the base. From
 * the second it takes every extra feature it has (the union of both feature
 * lists), and its model: a different family becomes the base's ensemble
 * partner (when the base has none), the same family lends the parameters on
 * which the two differ, each taken from the second parent on a coin flip of
 * the request's RNG. When the second parent adds nothing (or is not the
 * builtin coder's), the step makes one improvement of the first instead,
 * rather than repeat it. So a crossover of two offline scripts is a real merge
 * that the search can measure, and the same request gets the same reply.
 */
#include <string.h>

#include "internal.h"

static const char *family_of(const cJSON *cfg)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, "family");
    return cJSON_IsString(v) ? v->valuestring : "";
}

static int take_features(cJSON *cfg, const cJSON *other, sb *plan)
{
    cJSON *mine = cJSON_GetObjectItemCaseSensitive(cfg, "features");
    const cJSON *f;
    int added = 0;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(other, "features")) {
        int dup = 0;
        const cJSON *m;
        cJSON_ArrayForEach(m, mine) dup |= cJSON_Compare(m, f, 1);
        if (dup || !cJSON_IsString(f))
            continue;
        cJSON_AddItemToArray(mine, cJSON_CreateString(f->valuestring));
        sb_printf(plan, "%s'%s'", added++ ? ", " : " add the second parent's features ",
                  f->valuestring);
    }
    if (added)
        sb_puts(plan, ".");
    return added;
}

static int take_params(cJSON *cfg, const cJSON *other, bi_req *r, sb *plan)
{
    cJSON *mine = cJSON_GetObjectItemCaseSensitive(cfg, "params");
    const cJSON *p;
    int taken = 0;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(other, "params")) {
        const cJSON *cur = cJSON_GetObjectItemCaseSensitive(mine, p->string);
        if (!cur || cJSON_Compare(cur, p, 1) || (bi_rand(&r->rng) & 1))
            continue;
        char *val = cJSON_PrintUnformatted(p);
        sb_printf(plan, "%s%s = %s", taken++ ? ", " : " take the second parent's ", p->string,
                  val);
        free(val);
        cJSON_ReplaceItemInObjectCaseSensitive(mine, p->string, cJSON_Duplicate(p, 1));
    }
    if (taken)
        sb_puts(plan, ".");
    return taken;
}

static int take_model(cJSON *cfg, const cJSON *other, sb *plan)
{
    const char *fam = family_of(other);
    if (!cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cfg, "ensemble")) ||
        !bi_family_find(fam))
        return 0;
    cJSON *partner = cJSON_CreateObject();
    cJSON_AddStringToObject(partner, "family", fam);
    cJSON_AddItemToObject(partner, "params",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(other, "params"), 1));
    cJSON_ReplaceItemInObjectCaseSensitive(cfg, "ensemble", partner);
    sb_printf(plan, " blend the first parent's model with the second parent's %s, with its "
              "parameters.", bi_family_find(fam)->label);
    return 1;
}

cJSON *bi_crossover(cJSON *cfg, const bi_req *req, sb *plan)
{
    bi_req r = *req; /* its RNG advances */
    cJSON *other = NULL;
    sb_puts(plan, "Crossover of two parents, starting from the first:");
    int changed = 0;
    if (bi_config_from_code(&other, r.parent2_code) == 1) {
        changed = take_features(cfg, other, plan);
        if (strcmp(family_of(cfg), family_of(other)) == 0)
            changed += take_params(cfg, other, &r, plan);
        else
            changed += take_model(cfg, other, plan);
    }
    cJSON_Delete(other);
    /* A merge that changes nothing would only repeat the first parent. */
    if (!changed) {
        sb_puts(plan, " the second parent adds nothing the first lacks (or has no builtin "
                      "config line), so make one improvement instead. ");
        return bi_improve(cfg, &r, plan);
    }
    if (bi_config_check(cfg) < 0) {
        cJSON_Delete(cfg);
        return NULL;
    }
    return cfg;
}

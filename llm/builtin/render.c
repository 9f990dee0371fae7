/*
 * render.c: filling the builtin coder's Python templates.
 *
 * Templates are plain Python files in llm/builtin/templates/, embedded in the
 * binary at build time. A placeholder {{name}} becomes the value vars.name
 * written as a Python literal (numbers, strings with escapes, True/False/None,
 * lists, dicts), so values from a competition description can never break the
 * script's syntax; {{=name}} inserts the string vars.name as is (code the
 * coder itself produced: the model functions, the config line).
 *
 * A script is solution.py with one model_<family>.py filled in per model: the
 * main family as make_main, an ensemble partner as make_partner.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "embed.h"
#include "internal.h"

extern const embed_file builtin_templates[];

/* Python literal of a JSON value. Integral numbers print as ints; others
 * with the shortest %g form that reads back exactly. */
static void put_literal(sb *out, const cJSON *v)
{
    if (cJSON_IsNull(v) || !v) {
        sb_puts(out, "None");
    } else if (cJSON_IsBool(v)) {
        sb_puts(out, cJSON_IsTrue(v) ? "True" : "False");
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        char buf[64];
        if (!isfinite(d))
            snprintf(buf, sizeof buf, "float(\"%s\")", isnan(d) ? "nan" : d > 0 ? "inf" : "-inf");
        else if (d == floor(d) && fabs(d) < 1e15)
            snprintf(buf, sizeof buf, "%.0f", d);
        else {
            int prec = 15;
            do
                snprintf(buf, sizeof buf, "%.*g", prec, d);
            while (strtod(buf, NULL) != d && ++prec < 18);
        }
        sb_puts(out, buf);
    } else if (cJSON_IsString(v)) {
        sb_putc(out, '"');
        for (const unsigned char *p = (const unsigned char *)v->valuestring; *p; p++) {
            if (*p == '"' || *p == '\\')
                sb_printf(out, "\\%c", *p);
            else if (*p < 0x20 || *p == 0x7f)
                sb_printf(out, "\\x%02x", *p);
            else
                sb_putc(out, (char)*p);
        }
        sb_putc(out, '"');
    } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        int obj = cJSON_IsObject(v);
        const cJSON *e;
        sb_putc(out, obj ? '{' : '[');
        cJSON_ArrayForEach(e, v) {
            if (e != v->child)
                sb_puts(out, ", ");
            if (obj) {
                cJSON key = {.type = cJSON_String, .valuestring = e->string};
                put_literal(out, &key);
                sb_puts(out, ": ");
            }
            put_literal(out, e);
        }
        sb_putc(out, obj ? '}' : ']');
    }
}

int bi_render(sb *out, const char *tpl_name, const char *tpl, const cJSON *vars)
{
    const char *p = tpl;
    const char *open;
    while ((open = strstr(p, "{{")) != NULL) {
        sb_append(out, p, (size_t)(open - p));
        const char *close = strstr(open + 2, "}}");
        if (!close)
            return err_set("template %s: '{{' without '}}'", tpl_name);
        int raw = open[2] == '=';
        const char *name = open + 2 + raw;
        char key[64];
        size_t n = (size_t)(close - name);
        if (n == 0 || n >= sizeof key)
            return err_set("template %s: bad placeholder name", tpl_name);
        memcpy(key, name, n);
        key[n] = '\0';
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(vars, key);
        if (!v)
            return err_set("template %s: no value for placeholder {{%s}}", tpl_name, key);
        if (raw && !cJSON_IsString(v))
            return err_set("template %s: {{=%s}} needs a string value", tpl_name, key);
        if (raw)
            sb_puts(out, v->valuestring);
        else
            put_literal(out, v);
        p = close + 2;
    }
    sb_puts(out, p);
    return 0;
}

static const char *template_text(const char *name)
{
    const embed_file *f = embed_find(builtin_templates, name);
    return f ? f->data : NULL;
}

/* Append model function `slot` for holder ({"family", "params"}) to `code`
 * and its entry to `list`. */
static int render_model(sb *code, sb *list, const cJSON *holder, const char *slot)
{
    const char *fam = cJSON_GetObjectItemCaseSensitive(holder, "family")->valuestring;
    const bi_family *f = bi_family_find(fam);
    char name[64];
    snprintf(name, sizeof name, "model_%s.py", fam);
    const char *tpl = template_text(name);
    if (!tpl)
        return err_set("builtin coder: template %s is not embedded", name);
    cJSON *vars = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(holder, "params"), 1);
    cJSON_AddStringToObject(vars, "slot", slot);
    if (code->len)
        sb_puts(code, "\n\n");
    int rc = bi_render(code, name, tpl, vars);
    cJSON_Delete(vars);
    sb_printf(list, "%s(\"%s\", make_%s, %s)", list->len > 1 ? ", " : "", f->name, slot,
              f->dense ? "True" : "False");
    return rc;
}

static void add_comp_string(cJSON *vars, const bi_req *r, const char *key, const char *dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->comp, key);
    if (cJSON_IsString(v) && v->valuestring[0])
        cJSON_AddStringToObject(vars, key, v->valuestring);
    else if (dflt)
        cJSON_AddStringToObject(vars, key, dflt);
    else
        cJSON_AddNullToObject(vars, key);
}

/* The script's variables: the competition's fields and the config's. */
static cJSON *script_vars(const cJSON *cfg, const bi_req *r, unsigned seed)
{
    cJSON *vars = cJSON_CreateObject();
    cJSON_AddNumberToObject(vars, "seed", seed);
    cJSON_AddStringToObject(vars, "task", r->task);
    cJSON_AddStringToObject(vars, "metric", r->metric);
    add_comp_string(vars, r, "train_file", "train.csv");
    add_comp_string(vars, r, "test_file", "test.csv");
    add_comp_string(vars, r, "sample_submission", "sample_submission.csv");
    add_comp_string(vars, r, "id_col", NULL);
    add_comp_string(vars, r, "label_col", NULL);
    cJSON *targets = cJSON_CreateArray();
    const cJSON *t, *given = cJSON_GetObjectItemCaseSensitive(r->comp, "target_cols");
    if (!cJSON_IsArray(given))
        given = NULL;
    cJSON_ArrayForEach(t, given) {
        if (cJSON_IsString(t))
            cJSON_AddItemToArray(targets, cJSON_CreateString(t->valuestring));
    }
    cJSON_AddItemToObject(vars, "target_cols", targets);
    static const char *const copied[] = {"features", "encoding", "text", "image", "max_rows",
                                         "label_source"};
    for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++)
        cJSON_AddItemToObject(vars, copied[i],
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(cfg, copied[i]), 1));
    return vars;
}

int bi_script(char **out, const cJSON *cfg, const bi_req *r)
{
    sb models = {0}, list = {0}, text = {0}, title = {0};
    int rc = -1;
    cJSON *vars = NULL;
    char *line = NULL;
    const char *tpl = template_text("solution.py");
    if (!tpl) {
        err_set("builtin coder: template solution.py is not embedded");
        goto done;
    }
    sb_putc(&list, '[');
    if (render_model(&models, &list, cfg, "main") < 0)
        goto done;
    const cJSON *ens = cJSON_GetObjectItemCaseSensitive(cfg, "ensemble");
    if (cJSON_IsObject(ens) && render_model(&models, &list, ens, "partner") < 0)
        goto done;
    sb_putc(&list, ']');
    /* The same split seed for every node of a run, so a child's score is
     * comparable with its parent's. */
    vars = script_vars(cfg, r, (unsigned)(r->seed % 100000));
    line = cJSON_PrintUnformatted(cfg);
    sb_puts(&title, "Model: ");
    bi_describe(&title, cfg);
    cJSON_AddStringToObject(vars, "config_json", line);
    cJSON_AddStringToObject(vars, "title", sb_str(&title));
    cJSON_AddStringToObject(vars, "models", sb_str(&models));
    cJSON_AddStringToObject(vars, "model_list", sb_str(&list));
    if (bi_render(&text, "solution.py", tpl, vars) < 0)
        goto done;
    *out = sb_steal(&text);
    rc = 0;
done:
    cJSON_Delete(vars);
    free(line);
    sb_free(&models);
    sb_free(&list);
    sb_free(&text);
    sb_free(&title);
    return rc;
}

static void describe_model(sb *out, const cJSON *holder)
{
    const char *fam = cJSON_GetObjectItemCaseSensitive(holder, "family")->valuestring;
    const bi_family *f = bi_family_find(fam);
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(holder, "params"), *p;
    sb_printf(out, "%s (", f->label);
    cJSON_ArrayForEach(p, params) {
        if (p != params->child)
            sb_puts(out, ", ");
        sb_printf(out, "%s=", p->string);
        put_literal(out, p);
    }
    sb_putc(out, ')');
}

void bi_describe(sb *out, const cJSON *cfg)
{
    describe_model(out, cfg);
    const cJSON *ens = cJSON_GetObjectItemCaseSensitive(cfg, "ensemble");
    if (cJSON_IsObject(ens)) {
        sb_puts(out, " averaged with ");
        describe_model(out, ens);
    }
    const cJSON *feats = cJSON_GetObjectItemCaseSensitive(cfg, "features"), *f;
    sb_printf(out, "; %s encoding of categories", cJSON_GetObjectItem(cfg, "encoding")->valuestring);
    cJSON_ArrayForEach(f, feats)
        sb_printf(out, "%s%s", f == feats->child ? "; extra features: " : ", ", f->valuestring);
}

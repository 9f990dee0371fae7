/*
 * test_unit.c: the builtin coder without running Python scripts: request
 * errors, reply shape, determinism, draft families, template rendering,
 * config validation, the one-change rule of improve, debug's fix per
 * exception class, and review. Ends by byte-compiling every family/partner
 * combination with /usr/bin/python3 (one process, well under a second).
 */
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "check.h"
#include "common.h"
#include "internal.h"

static const char *families[] = {"linear", "rf", "hgb", "xgb", "mlp"};

static cJSON *cfg_of(const char *reply)
{
    char *code = t_python_block(reply);
    cJSON *cfg = t_config(code);
    free(code);
    return cfg;
}

static const char *fam_of(const cJSON *cfg)
{
    const cJSON *f = cJSON_GetObjectItem(cfg, "family");
    return cJSON_IsString(f) ? f->valuestring : "";
}

/* The script of a draft of `family` for kind (found by trying n_drafts). */
static char *draft_code(const char *kind, const char *family)
{
    for (int d = 0; d < 5; d++) {
        cJSON *ctx = t_context("draft", kind, d);
        char *reply = t_reply(ctx, 0);
        cJSON *cfg = cfg_of(reply);
        char *code = !strcmp(fam_of(cfg), family) ? t_python_block(reply) : NULL;
        cJSON_Delete(cfg);
        cJSON_Delete(ctx);
        free(reply);
        if (code)
            return code;
    }
    return NULL;
}

static void test_request_errors(void)
{
    llm_request req = {0};
    char *text = (char *)"x";
    CHECK(builtin_reply(&req, 0, &text) < 0 && text == NULL);
    CHECK(strstr(err_last(), "context") != NULL);
    cJSON *ctx = t_context("bogus", "binary", 0);
    req.context = ctx;
    CHECK(builtin_reply(&req, 0, &text) < 0);
    CHECK(strstr(err_last(), "'action'") && strstr(err_last(), "bogus"));
    cJSON_ReplaceItemInObject(ctx, "action", cJSON_CreateString("draft"));
    cJSON_DeleteItemFromObject(ctx, "competition");
    CHECK(builtin_reply(&req, 0, &text) < 0);
    CHECK(strstr(err_last(), "'competition'") != NULL);
    cJSON_Delete(ctx);
}

static void test_drafts(void)
{
    static const char *kinds[] = {"binary", "text", "image"};
    for (size_t k = 0; k < 3; k++) {
        for (unsigned long seed = 0; seed < 3; seed++) {
            const char *seen[5] = {0};
            for (int d = 0; d < 5; d++) {
                cJSON *ctx = t_context("draft", kinds[k], d);
                char *a = t_reply(ctx, seed), *b = t_reply(ctx, seed);
                CHECK(a && b && strcmp(a, b) == 0); /* deterministic */
                cJSON *cfg = cfg_of(a);
                CHECK_MSG(cfg != NULL, "%s draft %d: no config line", kinds[k], d);
                CHECK(a && strncmp(a, "Draft ", 6) == 0); /* plan first */
                seen[d] = cfg ? bi_family_find(fam_of(cfg))->name : NULL;
                for (int j = 0; j < d; j++)
                    CHECK_MSG(seen[j] != seen[d], "%s seed %lu: drafts %d and %d are both %s",
                              kinds[k], seed, j, d, seen[d]);
                cJSON_Delete(cfg);
                cJSON_Delete(ctx);
                free(a);
                free(b);
            }
        }
    }
    /* The first draft suits the data at seed 0: TF-IDF + linear for text,
     * a small network for images. */
    char *code = draft_code("text", "linear");
    CHECK(code && strstr(code, "TfidfVectorizer"));
    free(code);
    cJSON *ctx = t_context("draft", "image", 0);
    char *reply = t_reply(ctx, 0);
    cJSON *cfg = cfg_of(reply);
    CHECK_STR(fam_of(cfg), "mlp");
    cJSON_Delete(cfg);
    cJSON_Delete(ctx);
    free(reply);
}

static void test_render(void)
{
    sb out = {0};
    cJSON *vars = cJSON_Parse("{\"s\": \"a\\\"b\\\\c\\nd\", \"x\": 0.1, \"n\": 300, \"e\": 1e-05,"
                              " \"l\": [true, null, \"q\"], \"raw\": \"def f(): pass\"}");
    CHECK(bi_render(&out, "t", "S={{s}} X={{x}} N={{n}} E={{e}} L={{l}} {{=raw}}", vars) == 0);
    CHECK_STR(sb_str(&out), "S=\"a\\\"b\\\\c\\x0ad\" X=0.1 N=300 E=1e-05 L=[True, None, \"q\"] "
                            "def f(): pass");
    sb_reset(&out);
    CHECK(bi_render(&out, "t.py", "x = {{missing}}", vars) < 0);
    CHECK(strstr(err_last(), "t.py") && strstr(err_last(), "{{missing}}"));
    CHECK(bi_render(&out, "t.py", "x = {{s", vars) < 0);
    CHECK(bi_render(&out, "t.py", "x = {{=n}}", vars) < 0);
    cJSON_Delete(vars);
    sb_free(&out);
}

static void test_config_lines(void)
{
    cJSON *cfg = NULL;
    CHECK(bi_config_from_code(&cfg, "import os\nprint(1)\n") == 0 && cfg == NULL);
    CHECK(bi_config_from_code(&cfg, "x = '# grove-builtin: {}'\n") == 0);
    CHECK(bi_config_from_code(&cfg, "# grove-builtin: {not json\n") < 0);
    CHECK(strstr(err_last(), "JSON") != NULL);
    CHECK(bi_config_from_code(&cfg, "# grove-builtin: {\"family\": \"svm\"}\n") < 0);
    CHECK(strstr(err_last(), "'family'") != NULL);
    const char *bad_enc = "# grove-builtin: {\"family\": \"rf\", \"features\": [], \"encoding\": "
                          "\"magic\", \"text\": \"word\", \"image\": \"hog\", \"max_rows\": 1000, "
                          "\"label_source\": \"given\"}\n";
    CHECK(bi_config_from_code(&cfg, bad_enc) < 0 && strstr(err_last(), "'encoding'"));
    /* Absent or absurd parameters fall back to the family's defaults. */
    const char *ok = "# grove-builtin: {\"family\": \"rf\", \"params\": {\"n_estimators\": -5,"
                     " \"bogus\": 1, \"min_samples_leaf\": 4}, \"features\": [\"row_stats\"],"
                     " \"encoding\": \"count\", \"text\": \"word\", \"image\": \"hog\","
                     " \"max_rows\": 1000, \"label_source\": \"infer\"}\n";
    CHECK(bi_config_from_code(&cfg, ok) == 1 && cfg);
    const cJSON *p = cJSON_GetObjectItem(cfg, "params");
    CHECK(cJSON_GetObjectItem(p, "n_estimators")->valuedouble == 150);
    CHECK(cJSON_GetObjectItem(p, "min_samples_leaf")->valuedouble == 4);
    CHECK(cJSON_GetObjectItem(p, "bogus") == NULL);
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(cfg, "ensemble")));
    cJSON_Delete(cfg);
}

/* An improve request for a parent script, as the agent would send it. */
static cJSON *improve_ctx(const char *kind, const char *parent_code, const char *other_code,
                          const char *parent_output, int n_children)
{
    cJSON *ctx = t_context("improve", kind, 5);
    cJSON_ReplaceItemInObject(ctx, "parent", cJSON_CreateNumber(3));
    cJSON_ReplaceItemInObject(ctx, "n_children", cJSON_CreateNumber(n_children));
    cJSON_AddStringToObject(ctx, "parent_code", parent_code);
    cJSON_AddStringToObject(ctx, "parent_output", parent_output);
    if (other_code)
        cJSON_AddStringToObject(ctx, "other_code", other_code);
    return ctx;
}

static void test_improve(void)
{
    const char *outputs[] = {"", "Detected columns: {\"numeric\": 3, \"categorical\": 0, "
                                 "\"text\": 0, \"image\": 0, \"date\": 0, \"with_na\": 0}\n"};
    char *other = draft_code("binary", "linear");
    int ensembled = 0;
    for (size_t f = 0; f < 5; f++) {
        char *parent = draft_code("binary", families[f]);
        cJSON *pcfg = t_config(parent);
        for (size_t o = 0; o < 2; o++) {
            char *prev = NULL;
            for (int c = 0; c < 6; c++) {
                cJSON *ctx = improve_ctx("binary", parent, other, outputs[o], c);
                char *reply = t_reply(ctx, 0);
                cJSON *cfg = cfg_of(reply);
                CHECK_MSG(cfg && t_config_diff(pcfg, cfg) == 1,
                          "%s child %d differs from its parent by %d things:\n%s", families[f], c,
                          cfg ? t_config_diff(pcfg, cfg) : -1, reply);
                CHECK(reply && strstr(reply, "Atomic change ("));
                char *line = cfg ? cJSON_PrintUnformatted(cfg) : NULL;
                CHECK_MSG(!prev || !line || strcmp(prev, line) != 0, "siblings %d, %d equal", c - 1, c);
                if (o == 1) /* no text or images, no categories: no such change */
                    CHECK(!strstr(reply, "(text features)") && !strstr(reply, "(image features)") &&
                          !strstr(reply, "(encoding)"));
                const cJSON *ens = cJSON_GetObjectItem(cfg, "ensemble");
                if (cJSON_IsObject(ens) && strcmp(families[f], "linear") != 0) {
                    CHECK_STR(fam_of(ens), "linear"); /* other_code's family */
                    ensembled++;
                }
                free(prev);
                prev = line;
                cJSON_Delete(cfg);
                cJSON_Delete(ctx);
                free(reply);
            }
            free(prev);
        }
        cJSON_Delete(pcfg);
        free(parent);
    }
    CHECK(ensembled > 0);
    /* Foreign parent code: a fresh baseline, said so. */
    cJSON *ctx = improve_ctx("binary", "import pandas\nprint('hi')\n", NULL, "", 0);
    char *reply = t_reply(ctx, 0);
    CHECK(reply && strstr(reply, "not written by the builtin coder") && strstr(reply, "```python"));
    free(reply);
    cJSON_Delete(ctx);
    free(other);
}

/* A crossover request: the first parent's code, the second's (or none). */
static cJSON *crossover_cfg(const char *first, const char *second, char **reply_out)
{
    cJSON *ctx = improve_ctx("binary", first, NULL, "", 0);
    cJSON_ReplaceItemInObject(ctx, "action", cJSON_CreateString("crossover"));
    if (second)
        cJSON_AddStringToObject(ctx, "parent2_code", second);
    char *reply = t_reply(ctx, 0);
    cJSON_Delete(ctx);
    *reply_out = reply;
    return cfg_of(reply);
}

/* Is every field of the child either the first parent's or the second's
 * (features: in the union; ensemble: the second's model when added)? */
static int from_parents(const cJSON *child, const cJSON *a, const cJSON *b)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(child, "params")) {
        const cJSON *pa = cJSON_GetObjectItem(cJSON_GetObjectItem(a, "params"), p->string);
        const cJSON *pb = cJSON_GetObjectItem(cJSON_GetObjectItem(b, "params"), p->string);
        if (!cJSON_Compare(p, pa, 1) && !cJSON_Compare(p, pb, 1))
            return 0;
    }
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(child, "features")) {
        int found = 0;
        const cJSON *g;
        cJSON_ArrayForEach(g, cJSON_GetObjectItem(a, "features")) found |= cJSON_Compare(f, g, 1);
        cJSON_ArrayForEach(g, cJSON_GetObjectItem(b, "features")) found |= cJSON_Compare(f, g, 1);
        if (!found)
            return 0;
    }
    return !strcmp(fam_of(child), fam_of(a));
}

static void test_crossover(void)
{
    /* different families: the second's model joins as the ensemble partner */
    char *lin = draft_code("binary", "linear"), *rf = draft_code("binary", "rf");
    char *reply;
    cJSON *cfg = crossover_cfg(lin, rf, &reply);
    CHECK_MSG(cfg && !strcmp(fam_of(cfg), "linear") &&
              !strcmp(fam_of(cJSON_GetObjectItem(cfg, "ensemble")), "rf"), "%s", reply);
    CHECK(reply && strstr(reply, "Crossover of two parents") && strstr(reply, "random forest"));
    cJSON_Delete(cfg);
    free(reply);
    /* same family: the child takes the second's differing parameters and
     * features, nothing else, and differs from the first */
    char *hgb = draft_code("binary", "hgb");
    cJSON *a = t_config(hgb);
    int merged = 0;
    for (int c = 0; c < 6; c++) {
        cJSON *ctx = improve_ctx("binary", hgb, NULL, "", c);
        char *r2 = t_reply(ctx, 0);
        char *second = t_python_block(r2);
        cJSON *b = t_config(second);
        cfg = crossover_cfg(hgb, second, &reply);
        if (cfg && !cJSON_IsObject(cJSON_GetObjectItem(b, "ensemble")) &&
            !strstr(reply, "improvement instead")) {
            CHECK_MSG(from_parents(cfg, a, b) && t_config_diff(a, cfg) >= 1, "%s", reply);
            merged++;
        }
        cJSON_Delete(cfg);
        cJSON_Delete(b);
        cJSON_Delete(ctx);
        free(reply);
        free(second);
        free(r2);
    }
    CHECK(merged > 0);
    /* nothing to take (the same script twice, or no second script): one
     * improvement instead, not a copy */
    const char *seconds[] = {hgb, NULL};
    for (int i = 0; i < 2; i++) {
        cfg = crossover_cfg(hgb, seconds[i], &reply);
        CHECK_MSG(cfg && t_config_diff(a, cfg) == 1 && strstr(reply, "improvement instead"),
                  "%s", reply);
        cJSON_Delete(cfg);
        free(reply);
    }
    cJSON_Delete(a);
    free(hgb);
    free(lin);
    free(rf);
}

/* Debug `family`'s draft given an exception; returns the child's config. */
static cJSON *debug_cfg(const char *family, const char *type, const char *msg, const char *output,
                        char **reply_out)
{
    char *parent = draft_code("binary", family);
    cJSON *ctx = improve_ctx("binary", parent, NULL, output, 0);
    cJSON_ReplaceItemInObject(ctx, "action", cJSON_CreateString("debug"));
    if (type) {
        cJSON *exc = cJSON_AddObjectToObject(ctx, "exception");
        cJSON_AddStringToObject(exc, "type", type);
        cJSON_AddStringToObject(exc, "message", msg);
    }
    char *reply = t_reply(ctx, 0);
    cJSON *cfg = cfg_of(reply);
    *reply_out = reply;
    cJSON_Delete(ctx);
    free(parent);
    return cfg;
}

static void test_debug(void)
{
    char *reply;
    cJSON *cfg = debug_cfg("xgb", "ModuleNotFoundError", "No module named 'xgboost'", "", &reply);
    CHECK_STR(fam_of(cfg), "hgb");
    CHECK(reply && strstr(reply, "Fix (missing module)"));
    cJSON_Delete(cfg), free(reply);
    /* No exception object: the traceback's last line is read instead. */
    cfg = debug_cfg("xgb", NULL, NULL, "Traceback (most recent call last):\n  File \"x\"\n"
                    "ModuleNotFoundError: No module named 'xgboost'\n", &reply);
    CHECK_STR(fam_of(cfg), "hgb");
    cJSON_Delete(cfg), free(reply);
    cfg = debug_cfg("hgb", "KeyError", "\"label column 'y' not in train.csv\"", "", &reply);
    CHECK_STR(cJSON_GetObjectItem(cfg, "label_source")->valuestring, "infer");
    CHECK(reply && strstr(reply, "Fix (column detection)"));
    cJSON_Delete(cfg), free(reply);
    cfg = debug_cfg("rf", "MemoryError", "", "", &reply);
    CHECK(cJSON_GetObjectItem(cfg, "max_rows")->valuedouble == 10000);
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "params"), "n_estimators")->valuedouble == 75);
    cJSON_Delete(cfg), free(reply);
    /* A timeout has no Python exception, only the agent's reason. */
    cfg = debug_cfg("xgb", "", "timed out after 600s", "", &reply);
    CHECK(cJSON_GetObjectItem(cfg, "max_rows")->valuedouble == 15000);
    CHECK(reply && strstr(reply, "Fix (time/memory)"));
    cJSON_Delete(cfg), free(reply);
    cfg = debug_cfg("linear", "ValueError", "Input contains NaN, infinity or a value too large",
                    "", &reply);
    CHECK_STR(fam_of(cfg), "hgb");
    CHECK_STR(cJSON_GetObjectItem(cfg, "encoding")->valuestring, "ordinal");
    cJSON_Delete(cfg), free(reply);
    cfg = debug_cfg("hgb", "ZeroDivisionError", "division by zero", "", &reply);
    CHECK_STR(fam_of(cfg), "linear");
    CHECK(reply && strstr(reply, "unrecognised failure: ZeroDivisionError"));
    cJSON_Delete(cfg), free(reply);
}

static void test_review(void)
{
    struct { const char *out; int bug, sub; double metric; } cases[] = {
        {"Detected columns: {}\nValidation score: 0.8123\nWrote submission/submission.csv\n", 0,
         1, 0.8123},
        {"Validation score: 0.5\nTraceback (most recent call last):\n  File \"s.py\"\n"
         "ValueError: bad\n", 1, 0, 0.5},
        {"all done\n", 1, 0, -1},
        {"validation score: nan\n", 1, 0, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *ctx = t_context("review", "binary", 0);
        cJSON_AddStringToObject(ctx, "output", cases[i].out);
        cJSON_AddStringToObject(ctx, "code", "print(1)\n");
        char *reply = t_reply(ctx, 0);
        cJSON *j = cJSON_Parse(reply);
        CHECK_MSG(j && cJSON_IsTrue(cJSON_GetObjectItem(j, "is_bug")) == cases[i].bug,
                  "case %zu: %s", i, reply);
        CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "has_submission")) == cases[i].sub);
        const cJSON *m = cJSON_GetObjectItem(j, "metric");
        CHECK(cases[i].metric < 0 ? cJSON_IsNull(m) : cJSON_IsNumber(m) &&
              m->valuedouble == cases[i].metric);
        CHECK(cJSON_IsString(cJSON_GetObjectItem(j, "summary")));
        cJSON_Delete(j);
        cJSON_Delete(ctx);
        free(reply);
    }
}

/* Every family, alone and with every partner, renders to Python that
 * compiles. */
static void test_scripts_compile(void)
{
    char dir[] = "/tmp/grove-builtin-compile-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    bi_req r = {.action = "draft", .task = "multiclass", .metric = "logloss", .modality = "",
                .node = 1, .seed = 3};
    r.comp = cJSON_CreateObject();
    int n = 0;
    for (size_t f = 0; f < 5; f++) {
        for (size_t g = 0; g <= 5; g++) {
            cJSON *cfg = bi_config_new(&r, families[f]);
            if (g < 5) {
                cJSON *ens = cJSON_CreateObject();
                cJSON_AddStringToObject(ens, "family", families[g]);
                cJSON_AddItemToObject(ens, "params", bi_family_params(bi_family_find(families[g])));
                cJSON_ReplaceItemInObject(cfg, "ensemble", ens);
            }
            char *code = NULL;
            CHECK(bi_script(&code, cfg, &r) == 0 && code && !strstr(code, "{{"));
            char *path = xasprintf("%s/s%d.py", dir, n++);
            file_write_str(path, code ? code : "");
            free(path);
            free(code);
            cJSON_Delete(cfg);
        }
    }
    cJSON_Delete((cJSON *)r.comp);
    char *cmd = xasprintf("/usr/bin/python3 -c \"import glob, sys\n"
                          "for p in glob.glob('%s/*.py'): compile(open(p).read(), p, 'exec')\"",
                          dir);
    CHECK(system(cmd) == 0);
    free(cmd);
    rm_rf(dir);
}

/* Children of one parent never repeat a change: the agent sends the codes
 * already tried on the parent ("tried_codes"), and each improvement differs
 * from every one of them and from the parent (4 of 11 improvements on
 * grove-spambase were byte-identical to an earlier sibling). Several seeds,
 * parents and draft families. */
static void test_no_repeats(void)
{
    for (unsigned long seed = 0; seed < 4; seed++) {
        for (int d = 0; d < 5; d++) {
            cJSON *dctx = t_context("draft", "binary", d);
            char *parent = t_code(dctx, seed);
            cJSON_Delete(dctx);
            cJSON *tried = cJSON_CreateArray();
            int dups = 0;
            for (int c = 0; c < 16 && parent; c++) {
                cJSON *ctx = t_context("improve", "binary", 5);
                cJSON_ReplaceItemInObject(ctx, "node", cJSON_CreateNumber(10 + c));
                cJSON_ReplaceItemInObject(ctx, "parent", cJSON_CreateNumber(d));
                cJSON_ReplaceItemInObject(ctx, "n_children", cJSON_CreateNumber(c));
                cJSON_AddStringToObject(ctx, "parent_code", parent);
                /* numeric columns only, as grove-spambase: few kinds apply */
                if (seed & 1)
                    cJSON_AddStringToObject(ctx, "parent_output",
                                            "Detected columns: {\"numeric\": 57, \"categorical\": "
                                            "0, \"text\": 0, \"image\": 0, \"date\": 0}\n");
                cJSON_AddItemToObject(ctx, "tried_codes", cJSON_Duplicate(tried, 1));
                char *code = t_code(ctx, seed);
                cJSON_Delete(ctx);
                int dup = !code || !strcmp(code, parent);
                const cJSON *t;
                cJSON_ArrayForEach(t, tried)
                    dup |= code && !strcmp(code, t->valuestring);
                dups += dup;
                cJSON_AddItemToArray(tried, cJSON_CreateString(code ? code : ""));
                free(code);
            }
            CHECK_MSG(dups == 0, "seed %lu, draft %d: %d of 16 improvements repeat an earlier "
                      "one or the parent", seed, d, dups);
            cJSON_Delete(tried);
            free(parent);
        }
    }
}

int main(void)
{
    test_no_repeats();
    test_request_errors();
    test_drafts();
    test_render();
    test_config_lines();
    test_improve();
    test_crossover();
    test_debug();
    test_review();
    test_scripts_compile();
    t_cleanup();
    return check_done("builtin unit");
}

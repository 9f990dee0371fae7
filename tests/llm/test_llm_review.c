/*
 * test_llm_review.c: the review parser takes what models really send --
 * forced-function arguments, JSON inside prose or a code fence, metric as
 * "0.81", 1, null, NaN, "nan", missing, Python-style literals, trailing
 * commas, nested objects -- and fails with a clear message, never a crash,
 * when there is nothing to take.
 */
#include "check.h"
#include "llm.h"
#include "util.h"

#include <stdlib.h>

static llm_review parse_text(const char *text, int *rc)
{
    llm_review r;
    *rc = llm_review_parse(&r, NULL, text);
    return r;
}

static void test_func_args(void)
{
    cJSON *args = cJSON_Parse("{\"is_bug\": false, \"summary\": \"fine\", \"metric\": 0.93, "
                              "\"has_submission\": true}");
    llm_review r;
    /* the arguments win over any JSON in the text */
    CHECK(llm_review_parse(&r, args, "{\"is_bug\": true}") == 0);
    CHECK(!r.is_bug && r.has_submission && r.has_metric);
    CHECK_NEAR(r.metric, 0.93, 1e-12);
    CHECK_STR(r.summary, "fine");
    llm_review_free(&r);
    cJSON_Delete(args);
    /* arguments without review fields: fall back to the text */
    args = cJSON_Parse("{\"echo\": 1}");
    CHECK(llm_review_parse(&r, args, "{\"is_bug\": true, \"summary\": \"x\"}") == 0 && r.is_bug);
    llm_review_free(&r);
    cJSON_Delete(args);
    /* arguments left as a JSON string */
    args = cJSON_CreateString("{\"is_bug\": false, \"metric\": \"0.5\"}");
    CHECK(llm_review_parse(&r, args, NULL) == 0 && !r.is_bug && r.has_metric);
    llm_review_free(&r);
    cJSON_Delete(args);
}

static void test_metric_forms(void)
{
    static const struct { const char *text; int has; double value; } cases[] = {
        {"{\"is_bug\": false, \"metric\": \"0.81\"}", 1, 0.81},
        {"{\"is_bug\": false, \"metric\": \" 0.81 \"}", 1, 0.81},
        {"{\"is_bug\": false, \"metric\": 1}", 1, 1.0},
        {"{\"is_bug\": false, \"metric\": -2.5e-3}", 1, -0.0025},
        {"{\"is_bug\": false, \"metric\": null}", 0, 0},
        {"{\"is_bug\": false, \"metric\": NaN}", 0, 0},
        {"{\"is_bug\": false, \"metric\": \"nan\"}", 0, 0},
        {"{\"is_bug\": false, \"metric\": \"NaN\"}", 0, 0},
        {"{\"is_bug\": false, \"metric\": Infinity}", 0, 0},
        {"{\"is_bug\": false, \"metric\": \"inf\"}", 0, 0},
        {"{\"is_bug\": false, \"metric\": \"high\"}", 0, 0},
        {"{\"is_bug\": false, \"metric\": true}", 0, 0},
        {"{\"is_bug\": false}", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int rc;
        llm_review r = parse_text(cases[i].text, &rc);
        CHECK_MSG(rc == 0 && r.has_metric == cases[i].has, "case %zu: %s", i, cases[i].text);
        if (cases[i].has)
            CHECK_NEAR(r.metric, cases[i].value, 1e-12);
        CHECK(!r.is_bug);
        llm_review_free(&r);
    }
}

static void test_prose_and_repairs(void)
{
    int rc;
    llm_review r = parse_text(
        "Sure! Here is my review of the run {as requested}:\n```json\n{\n  \"is_bug\": False,\n"
        "  \"summary\": \"LightGBM {cv} reached 0.87; no errors.\",\n  \"metric\": 0.87,\n"
        "  \"has_submission\": True,\n}\n```\nLet me know if you need more.", &rc);
    CHECK(rc == 0 && !r.is_bug && r.has_submission && r.has_metric);
    CHECK_NEAR(r.metric, 0.87, 1e-12);
    CHECK_STR(r.summary, "LightGBM {cv} reached 0.87; no errors.");
    llm_review_free(&r);

    /* nested under another key */
    r = parse_text("{\"review\": {\"is_bug\": \"yes\", \"summary\": \"OOM\", "
                   "\"metric\": None, \"has_submission\": \"no\"}}", &rc);
    CHECK(rc == 0 && r.is_bug && !r.has_submission && !r.has_metric);
    CHECK_STR(r.summary, "OOM");
    llm_review_free(&r);

    /* missing fields: no verdict and no metric counts as a bug */
    r = parse_text("{\"summary\": \"could not tell\"}", &rc);
    CHECK(rc == 0 && r.is_bug && !r.has_submission);
    llm_review_free(&r);
    r = parse_text("{\"metric\": 0.7}", &rc);
    CHECK(rc == 0 && !r.is_bug && r.has_metric && !strcmp(r.summary, ""));
    llm_review_free(&r);
    /* AIDE's field name, numbers as booleans, a non-string summary */
    r = parse_text("{\"is_bug\": 0, \"has_csv_submission\": 1, \"summary\": [\"a\", \"b\"]}", &rc);
    CHECK(rc == 0 && !r.is_bug && r.has_submission);
    CHECK_STR(r.summary, "[\"a\",\"b\"]");
    llm_review_free(&r);
    /* an unrelated object first, the review second */
    r = parse_text("config {\"lr\": 0.1} then {\"is_bug\": true, \"metric\": null}", &rc);
    CHECK(rc == 0 && r.is_bug);
    llm_review_free(&r);
}

static void test_failures(void)
{
    static const char *const bad[] = {
        "", "no json here at all", "{\"lr\": 0.1}", "{\"is_bug\": true", "{{{{{{{{{{",
        "\"is_bug\": false, \"metric\": 0.8", "}{", "{\"summary\": \"unterminated}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc;
        llm_review r = parse_text(bad[i], &rc);
        CHECK_MSG(rc < 0, "case %zu parsed: %s", i, bad[i]);
        CHECK(strstr(err_last(), "review:") != NULL);
        llm_review_free(&r);
    }
    llm_review r;
    CHECK(llm_review_parse(&r, NULL, NULL) < 0);
    /* a long text with the review at the end still parses */
    sb big = {0};
    for (int i = 0; i < 20000; i++)
        sb_puts(&big, "{x ");
    sb_puts(&big, "{\"is_bug\": false, \"metric\": 3}");
    CHECK(llm_review_parse(&r, NULL, sb_str(&big)) == 0 && r.has_metric);
    llm_review_free(&r);
    sb_free(&big);
    cJSON *schema = llm_review_schema();
    CHECK(schema && cJSON_GetObjectItem(cJSON_GetObjectItem(schema, "properties"), "metric"));
    cJSON_Delete(schema);
}

int main(void)
{
    test_func_args();
    test_metric_forms();
    test_prose_and_repairs();
    test_failures();
    return check_done("llm_review");
}

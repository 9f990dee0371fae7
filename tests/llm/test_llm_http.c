/*
 * test_llm_http.c: both wire protocols and every failure the issue names,
 * against tests/llm/mock_llm.py: plain reply, forced function call,
 * reasoning-model body, Anthropic headers/body/cache usage, 429 with
 * Retry-After then success, 500 then success, a reply slower than the
 * timeout, a connection dropped mid-body, malformed JSON, an HTML 502 page,
 * 401, a 400 about tools, and a Retry-After beyond the retry budget.
 */
#include "check.h"
#include "llm.h"
#include "mock.h"
#include "util.h"

#define KEY "sk-test-Zq8Xv3Lm0Pk7"

static char tmp[] = "/tmp/grove-llm-http-XXXXXX";

static llm_config cfg_for(const char *spec, const char *base)
{
    llm_config c = {0};
    c.spec = spec;
    c.base_url = base;
    c.api_key_env = "GROVE_TEST_KEY";
    c.retry_base_s = 0.01;
    c.max_attempts = 3;
    c.connect_timeout_s = 2;
    c.total_timeout_s = 10;
    c.seed = 7;
    return c;
}

static const llm_message chat[] = {
    {LLM_SYSTEM, "You are terse."},
    {LLM_USER, "Say hi."},
};

static llm_request plain_req(void)
{
    llm_request r = {0};
    r.messages = chat;
    r.n_messages = 2;
    r.temperature = 0.5;
    r.tag = "test";
    return r;
}

/* One request against a fresh mock running `script`; the recorded
 * requests go to *sent (may be NULL). */
static llm_response *exchange(const char *script, const char *spec, int anthropic,
                              llm_config *over, const llm_request *req, cJSON **sent)
{
    llm_config c = over ? *over : cfg_for(spec, NULL);
    c.spec = spec;
    llm_request r = req ? *req : plain_req();
    return mock_exchange(tmp, script, c, anthropic, &r, sent);
}

static void test_openai_plain(void)
{
    cJSON *sent;
    llm_response *r = exchange(
        "{\"replies\": [{\"text\": \"hello\", \"usage\": {\"input\": 100, \"output\": 20, "
        "\"cached\": 40}}]}", "openai:gpt-4o", 0, NULL, NULL, &sent);
    CHECK(r && r->ok);
    if (!r || !r->ok)
        goto out;
    CHECK_STR(r->text, "hello");
    CHECK_STR(r->finish_reason, "stop");
    CHECK(r->usage.input_tokens == 100 && r->usage.output_tokens == 20);
    CHECK(r->usage.cached_tokens == 40);
    CHECK(r->usage.cost_known);
    /* gpt-4o: 60 fresh x 2.50 + 40 cached x 1.25 + 20 out x 10, per million */
    CHECK_NEAR(r->usage.cost_usd, (60 * 2.5 + 40 * 1.25 + 20 * 10.0) / 1e6, 1e-12);
    CHECK(r->attempts == 1 && r->http_status == 200);
    const cJSON *q = cJSON_GetArrayItem(sent, 0);
    CHECK_STR(jstr(q, "path"), "/v1/chat/completions");
    CHECK_STR(jstr(q, "headers.authorization"), "Bearer " KEY);
    CHECK_STR(jstr(q, "body.model"), "gpt-4o");
    CHECK_STR(jstr(q, "body.messages.0.role"), "system");
    CHECK_STR(jstr(q, "body.messages.1.content"), "Say hi.");
    CHECK(cJSON_IsNumber(jget(q, "body.max_tokens")));
    CHECK_NEAR(jget(q, "body.temperature")->valuedouble, 0.5, 1e-9);
    CHECK(!jget(q, "body.tools"));
out:
    llm_response_free(r);
    cJSON_Delete(sent);
}

static llm_request review_req(cJSON *schema)
{
    llm_request r = plain_req();
    r.func_name = "submit_review";
    r.func_description = "Record the review";
    r.func_schema = schema;
    return r;
}

static void test_openai_function(void)
{
    cJSON *schema = llm_review_schema(), *sent;
    llm_request req = review_req(schema);
    llm_response *r = exchange(
        "{\"replies\": [{\"function_args\": {\"is_bug\": false, \"summary\": \"ok\", "
        "\"metric\": 0.81, \"has_submission\": true}}]}", "openai:gpt-4o", 0, NULL, &req, &sent);
    CHECK(r && r->ok && r->func_args);
    if (r && r->func_args) {
        llm_review rv;
        CHECK(llm_review_parse(&rv, r->func_args, r->text) == 0);
        CHECK(!rv.is_bug && rv.has_metric && rv.has_submission);
        CHECK_NEAR(rv.metric, 0.81, 1e-12);
        llm_review_free(&rv);
    }
    const cJSON *q = cJSON_GetArrayItem(sent, 0);
    CHECK_STR(jstr(q, "body.tools.0.type"), "function");
    CHECK_STR(jstr(q, "body.tools.0.function.name"), "submit_review");
    CHECK_STR(jstr(q, "body.tools.0.function.parameters.type"), "object");
    CHECK_STR(jstr(q, "body.tool_choice.type"), "function");
    CHECK_STR(jstr(q, "body.tool_choice.function.name"), "submit_review");
    llm_response_free(r);
    cJSON_Delete(sent);
    cJSON_Delete(schema);
}

static void test_openai_reasoning(void)
{
    cJSON *sent;
    llm_response *r = exchange("{}", "openai:o3", 0, NULL, NULL, &sent);
    CHECK(r && r->ok);
    if (r && r->ok)
        CHECK_STR(r->text, "echo: Say hi.");
    const cJSON *q = cJSON_GetArrayItem(sent, 0);
    CHECK(cJSON_IsNumber(jget(q, "body.max_completion_tokens")));
    CHECK(!jget(q, "body.max_tokens"));
    CHECK(!jget(q, "body.temperature"));
    CHECK_STR(jstr(q, "body.reasoning_effort"), "medium");
    CHECK_STR(jstr(q, "body.messages.0.role"), "developer");
    CHECK_STR(jstr(q, "body.messages.0.content"), "You are terse.");
    llm_response_free(r);
    cJSON_Delete(sent);

    llm_config c = cfg_for("openai:o3", NULL);
    c.reasoning_effort = "high";
    r = exchange("{}", "openai:o3", 0, &c, NULL, &sent);
    CHECK_STR(jstr(cJSON_GetArrayItem(sent, 0), "body.reasoning_effort"), "high");
    llm_response_free(r);
    cJSON_Delete(sent);
}

static void test_anthropic(void)
{
    cJSON *schema = llm_review_schema(), *sent;
    llm_request req = review_req(schema);
    llm_response *r = exchange(
        "{\"replies\": [{\"text\": \"thinking aloud\", \"function_args\": {\"is_bug\": true, "
        "\"summary\": \"crash\", \"metric\": null, \"has_submission\": false}, "
        "\"usage\": {\"input\": 10, \"output\": 5, \"cache_write\": 100, \"cached\": 1000}}]}",
        "anthropic:claude-sonnet-4-5-20250929", 1, NULL, &req, &sent);
    CHECK(r && r->ok);
    if (!r || !r->ok)
        goto out;
    CHECK_STR(r->text, "thinking aloud");
    CHECK_STR(r->finish_reason, "tool_use");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(r->func_args, "is_bug")));
    CHECK(r->usage.input_tokens == 1110 && r->usage.cached_tokens == 1100);
    CHECK(r->usage.cache_write_tokens == 100 && r->usage.output_tokens == 5);
    CHECK(r->usage.cost_known);
    CHECK_NEAR(r->usage.cost_usd, (10 * 3.0 + 1000 * 0.30 + 100 * 3.75 + 5 * 15.0) / 1e6, 1e-12);
    const cJSON *q = cJSON_GetArrayItem(sent, 0);
    CHECK_STR(jstr(q, "path"), "/v1/messages");
    CHECK_STR(jstr(q, "headers.x-api-key"), KEY);
    CHECK_STR(jstr(q, "headers.anthropic-version"), "2023-06-01");
    CHECK(!jget(q, "headers.authorization"));
    CHECK_STR(jstr(q, "body.system"), "You are terse.");
    CHECK_STR(jstr(q, "body.messages.0.role"), "user");
    CHECK(cJSON_GetArraySize(jget(q, "body.messages")) == 1);
    CHECK(cJSON_IsNumber(jget(q, "body.max_tokens")));
    CHECK_STR(jstr(q, "body.tools.0.name"), "submit_review");
    CHECK_STR(jstr(q, "body.tools.0.input_schema.type"), "object");
    CHECK_STR(jstr(q, "body.tool_choice.type"), "tool");
    CHECK_STR(jstr(q, "body.tool_choice.name"), "submit_review");
out:
    llm_response_free(r);
    cJSON_Delete(sent);
    cJSON_Delete(schema);
}

static void test_retry_after(void)
{
    double t0 = clock_mono();
    llm_response *r = exchange(
        "{\"routes\": {\"/v1/messages\": [{\"status\": 429, \"headers\": {\"Retry-After\": \"1\"},"
        " \"json\": {\"type\": \"error\", \"error\": {\"type\": \"rate_limit_error\", "
        "\"message\": \"slow down\"}}}]}}", "anthropic:claude-haiku-4-5", 1, NULL, NULL, NULL);
    double dt = clock_mono() - t0;
    CHECK(r && r->ok && r->attempts == 2);
    CHECK_MSG(dt >= 0.95, "waited %.2f s, Retry-After said 1", dt);
    CHECK(r && r->latency_s >= 0.95);
    llm_response_free(r);
}

static void test_500_then_ok(void)
{
    llm_response *r = exchange(
        "{\"routes\": {\"/v1/chat/completions\": [{\"status\": 500, \"json\": {\"error\": "
        "{\"message\": \"boom\"}}}]}}", "openai:gpt-4o", 0, NULL, NULL, NULL);
    CHECK(r && r->ok && r->attempts == 2 && r->http_status == 200);
    llm_response_free(r);
}

static void test_timeout(void)
{
    llm_config c = cfg_for("", NULL);
    c.total_timeout_s = 0.4;
    c.max_attempts = 2;
    double t0 = clock_mono();
    llm_response *r = exchange("{\"routes\": {\"/v1/chat/completions\": [{\"delay_s\": 3, "
                               "\"repeat\": 2}]}}", "openai:gpt-4o", 0, &c, NULL, NULL);
    double dt = clock_mono() - t0;
    /* the limit is the whole request's: no second attempt fits in it */
    CHECK(r && !r->ok && r->attempts == 1);
    if (r && r->error)
        CHECK_MSG(strstr(r->error, "timed out") && strstr(r->error, "limit of 0.4 s"), "%s",
                  r->error);
    CHECK_MSG(dt < 1.5, "took %.2f s", dt);
    llm_response_free(r);
}

static void test_drop_mid_body(void)
{
    llm_response *r = exchange("{\"routes\": {\"/v1/chat/completions\": [{\"text\": \"lost\", "
                               "\"drop_mid_body\": true}]}, \"replies\": [\"kept\"]}",
                               "openai:gpt-4o", 0, NULL, NULL, NULL);
    CHECK(r && r->ok && r->attempts == 2);
    if (r && r->ok)
        CHECK_STR(r->text, "kept");
    llm_response_free(r);
}

static void test_malformed(void)
{
    llm_response *r = exchange("{\"routes\": {\"/v1/chat/completions\": [{\"body\": "
                               "\"{\\\"choices\\\": [{\\\"message\\\": {\\\"cont\", \"repeat\": 3}]}}",
                               "openai:gpt-4o", 0, NULL, NULL, NULL);
    /* a cut-off 200 is no reply: retried, every attempt the same here */
    CHECK(r && !r->ok && r->attempts == 3);
    if (r && r->error)
        CHECK_MSG(strstr(r->error, "HTTP 200") && strstr(r->error, "{\\\"choices\\\""),
                  "%s", r->error);
    CHECK(r && !r->usage.cost_known); /* a 2xx may have been billed */
    llm_response_free(r);
}

static void test_html_502(void)
{
    llm_config c = cfg_for("", NULL);
    c.max_attempts = 2;
    llm_response *r = exchange(
        "{\"routes\": {\"/v1/messages\": [{\"status\": 502, \"repeat\": 2, \"body\": "
        "\"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\"}]}}",
        "anthropic:claude-haiku-4-5", 1, &c, NULL, NULL);
    CHECK(r && !r->ok && r->attempts == 2 && r->http_status == 502);
    if (r && r->error)
        CHECK_MSG(strstr(r->error, "HTTP 502") && strstr(r->error, "<html><head><title>502"),
                  "%s", r->error);
    llm_response_free(r);
}

static void test_401(void)
{
    llm_response *r = exchange(
        "{\"routes\": {\"/v1/chat/completions\": [{\"status\": 401, \"json\": {\"error\": "
        "{\"message\": \"Incorrect API key provided\", \"type\": \"invalid_request_error\"}}}]}}",
        "openai:gpt-4o", 0, NULL, NULL, NULL);
    CHECK(r && !r->ok && r->attempts == 1 && r->http_status == 401);
    if (r && r->error) {
        CHECK_MSG(strstr(r->error, "Incorrect API key provided"), "%s", r->error);
        CHECK_MSG(strstr(r->error, "http://127.0.0.1:"), "%s", r->error);
        CHECK_MSG(strstr(r->error, "/v1/chat/completions"), "%s", r->error);
    }
    CHECK(r && r->usage.cost_known && r->usage.cost_usd == 0);
    llm_response_free(r);
}

static void test_tools_unsupported(void)
{
    cJSON *schema = llm_review_schema();
    llm_request req = review_req(schema);
    llm_response *r = exchange(
        "{\"routes\": {\"/v1/chat/completions\": [{\"status\": 400, \"json\": {\"error\": "
        "{\"message\": \"this model does not support tools\"}}}]}}",
        "openai:local-model", 0, NULL, &req, NULL);
    CHECK(r && !r->ok && r->tools_unsupported && r->attempts == 1);
    llm_response_free(r);
    cJSON_Delete(schema);
}

static void test_retry_budget(void)
{
    llm_config c = cfg_for("", NULL);
    c.max_retry_wait_s = 5;
    double t0 = clock_mono();
    llm_response *r = exchange(
        "{\"routes\": {\"/v1/chat/completions\": [{\"status\": 429, \"headers\": "
        "{\"Retry-After\": \"1000\"}, \"json\": {\"error\": {\"message\": \"quota\"}}}]}}",
        "openai:gpt-4o", 0, &c, NULL, NULL);
    CHECK(r && !r->ok && r->attempts == 1);
    if (r && r->error)
        CHECK_MSG(strstr(r->error, "retry budget") && strstr(r->error, "quota"), "%s", r->error);
    CHECK(clock_mono() - t0 < 2);
    llm_response_free(r);
}

int main(void)
{
    setenv("GROVE_TEST_KEY", KEY, 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1); /* a CI proxy must not see the mock */
    if (!mkdtemp(tmp))
        return 1;
    test_openai_plain();
    test_openai_function();
    test_openai_reasoning();
    test_anthropic();
    test_retry_after();
    test_500_then_ok();
    test_timeout();
    test_drop_mid_body();
    test_malformed();
    test_html_502();
    test_401();
    test_tools_unsupported();
    test_retry_budget();
    rm_rf(tmp);
    return check_done("llm_http");
}

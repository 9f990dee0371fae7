/*
 * test_llm_units.c: the llm pieces that need no server: retry decisions,
 * Retry-After in both forms, backoff bounds and determinism, the model
 * table (exact, dated, unknown, user override, bad files), cost arithmetic,
 * the request hash, redaction, request bodies, and client creation errors.
 */
#include "check.h"
#include "llm_int.h"

#include <stdlib.h>

static char tmp[] = "/tmp/grove-llm-units-XXXXXX";

static void test_retry(void)
{
    CHECK(retry_status_retryable(429) && retry_status_retryable(408));
    CHECK(retry_status_retryable(409) && retry_status_retryable(500));
    CHECK(retry_status_retryable(503) && retry_status_retryable(529));
    CHECK(!retry_status_retryable(400) && !retry_status_retryable(401));
    CHECK(!retry_status_retryable(403) && !retry_status_retryable(404));
    CHECK(retry_curl_retryable(CURLE_OPERATION_TIMEDOUT));
    CHECK(retry_curl_retryable(CURLE_PARTIAL_FILE) && retry_curl_retryable(CURLE_COULDNT_CONNECT));
    CHECK(!retry_curl_retryable(CURLE_PEER_FAILED_VERIFICATION));
    CHECK(!retry_curl_retryable(CURLE_URL_MALFORMAT));

    CHECK_NEAR(retry_after_seconds("7", NULL, 0), 7, 1e-9);
    CHECK_NEAR(retry_after_seconds("1.5", "", 0), 1.5, 1e-9);
    CHECK_NEAR(retry_after_seconds("9", "250", 0), 0.25, 1e-9); /* the precise one wins */
    CHECK(retry_after_seconds(NULL, NULL, 0) < 0);
    CHECK(retry_after_seconds("soon", NULL, 0) < 0);
    CHECK(retry_after_seconds("-3", NULL, 0) < 0);
    /* Wed, 21 Oct 2015 07:28:00 GMT is 1445412480 */
    CHECK_NEAR(retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", NULL, 1445412480.0 - 30), 30, 1e-6);
    CHECK_NEAR(retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", NULL, 1445412480.0 + 5), 0, 1e-9);

    uint64_t a = 42, b = 42;
    int differ = 0;
    for (int attempt = 1; attempt <= 12; attempt++) {
        double da = retry_backoff(&a, attempt, 0.5, 8);
        double db = retry_backoff(&b, attempt, 0.5, 8);
        CHECK(da == db);
        double ceiling = 0.5 * (1 << (attempt - 1));
        CHECK(da >= 0 && da < (ceiling < 8 ? ceiling : 8));
        differ += da != retry_backoff(&a, attempt, 0.5, 8);
        retry_backoff(&b, attempt, 0.5, 8);
    }
    CHECK(differ > 6); /* jitter, not a constant */
}

static void test_prices(void)
{
    model_info mi;
    CHECK(prices_lookup(&mi, NULL, "openai", "gpt-4o") == 0);
    CHECK(mi.price_known && mi.from_table && !mi.reasoning && mi.temperature);
    CHECK_NEAR(mi.input, 2.5, 1e-12);
    CHECK(prices_lookup(&mi, NULL, "openai", "gpt-4o-2024-08-06") == 0 && mi.price_known);
    CHECK_NEAR(mi.input, 2.5, 1e-12);
    CHECK(prices_lookup(&mi, NULL, "openai", "gpt-4o-mini") == 0);
    CHECK_NEAR(mi.input, 0.15, 1e-12); /* the longer name wins */
    CHECK(prices_lookup(&mi, NULL, "openai", "gpt-4o-audio-preview") == 0 && !mi.price_known);
    CHECK(prices_lookup(&mi, NULL, "openai", "o3") == 0);
    CHECK(mi.reasoning && !mi.temperature && !strcmp(mi.effort, "medium"));
    CHECK(prices_lookup(&mi, NULL, "anthropic", "claude-sonnet-4-20250514") == 0 && mi.price_known);
    CHECK_NEAR(mi.cache_write, 3.75, 1e-12);
    CHECK(prices_lookup(&mi, NULL, "anthropic", "claude-opus-4-1-20250805") == 0);
    CHECK_NEAR(mi.input, 15, 1e-12);
    /* a snapshot priced apart from its alias, and aliases the API accepts */
    CHECK(prices_lookup(&mi, NULL, "openai", "gpt-4o-2024-05-13") == 0 && mi.price_known);
    CHECK_NEAR(mi.input, 5, 1e-12);
    CHECK_NEAR(mi.output, 15, 1e-12);
    CHECK(prices_lookup(&mi, NULL, "openai", "gpt-5-chat-latest") == 0 && mi.price_known);
    CHECK(!mi.reasoning && mi.temperature);
    CHECK(prices_lookup(&mi, NULL, "anthropic", "claude-opus-4-0") == 0 && mi.price_known);
    CHECK_NEAR(mi.output, 75, 1e-12);
    /* instructions go to reasoning models as "developer" messages */
    CHECK(prices_lookup(&mi, NULL, "openai", "o4-mini") == 0);
    CHECK_STR(mi.system_role, "developer");
    CHECK(prices_lookup(&mi, NULL, "openai", "gpt-4.1") == 0);
    CHECK_STR(mi.system_role, "system");
    /* not in the table: name patterns for settings, cost unknown */
    CHECK(prices_lookup(&mi, NULL, "openai", "o9-preview") == 0);
    CHECK(!mi.price_known && mi.reasoning && !mi.from_table);
    CHECK(prices_lookup(&mi, NULL, "openai", "openrouter/gpt-5-pro") == 0 && mi.reasoning);
    CHECK(prices_lookup(&mi, NULL, "openai", "llama3:8b") == 0);
    CHECK(!mi.price_known && !mi.reasoning && mi.temperature);

    char *user = path_join(tmp, "prices.json");
    file_write_str(user, "{\"openai\": {\"llama3:8b\": {\"input\": 0, \"output\": 0}, "
                         "\"gpt-4o\": {\"input\": 1, \"output\": 2, \"reasoning\": false}}}");
    CHECK(prices_lookup(&mi, user, "openai", "llama3:8b") == 0 && mi.price_known);
    CHECK(prices_lookup(&mi, user, "openai", "gpt-4o") == 0);
    CHECK_NEAR(mi.input, 1, 1e-12);
    CHECK_NEAR(mi.cached_input, 1, 1e-12); /* defaults to the input price */
    CHECK(prices_lookup(&mi, user, "openai", "o3") == 0 && mi.price_known); /* built-in */
    file_write_str(user, "{\"openai\": {\"x\": {\"input\": \"cheap\", \"output\": 1}}}");
    CHECK(prices_lookup(&mi, user, "openai", "x") < 0);
    CHECK_MSG(strstr(err_last(), "input") && strstr(err_last(), user), "%s", err_last());
    file_write_str(user, "[1, 2");
    CHECK(prices_lookup(&mi, user, "openai", "x") < 0 && strstr(err_last(), user));
    CHECK(prices_lookup(&mi, "/nonexistent/prices.json", "openai", "x") < 0);
    free(user);

    llm_usage u = {.input_tokens = 1000, .cached_tokens = 400, .output_tokens = 100};
    CHECK(prices_lookup(&mi, NULL, "openai", "gpt-4.1") == 0);
    prices_cost(&u, &mi);
    CHECK(u.cost_known);
    CHECK_NEAR(u.cost_usd, (600 * 2.0 + 400 * 0.5 + 100 * 8.0) / 1e6, 1e-15);
    model_info unknown = {0};
    prices_cost(&u, &unknown);
    CHECK(!u.cost_known && u.cost_usd == 0);
}

static void test_hash_and_redact(void)
{
    llm_message a[] = {{LLM_SYSTEM, "sys"}, {LLM_USER, "hello"}};
    llm_message b[] = {{LLM_SYSTEM, "sys"}, {LLM_USER, "hello!"}};
    llm_request ra = {.messages = a, .n_messages = 2, .temperature = 0.2};
    llm_request rb = {.messages = b, .n_messages = 2};
    char h1[17], h2[17], h3[17];
    request_hash(&ra, h1);
    ra.temperature = 0.9; /* not part of the hash */
    request_hash(&ra, h2);
    request_hash(&rb, h3);
    CHECK_STR(h1, h2);
    CHECK(strcmp(h1, h3) != 0 && strlen(h1) == 16);
    ra.func_name = "f";
    request_hash(&ra, h2);
    CHECK(strcmp(h1, h2) != 0);

    char s[] = "key sk-1 and sk-1 again";
    char *r = redact(s, "sk-1");
    CHECK_STR(r, "key [REDACTED] and [REDACTED] again");
    if (r != s)
        free(r);
    CHECK(redact(s, NULL) == s && redact(s, "absent") == s);
    const char *const secrets[] = {"sk-1", "again", NULL};
    r = redact_all(s, secrets);
    CHECK_STR(r, "key [REDACTED] and [REDACTED] [REDACTED]");
    if (r != s)
        free(r);
    CHECK(redact_all(s, NULL) == s);
}

/* Endpoint URLs: the path joined before the query, secrets in the query
 * hidden in the shown form and collected, a bad base named without them. */
static void test_endpoint(void)
{
    endpoint e;
    CHECK(endpoint_url(&e, "http://h:1/v1/", "/chat/completions") == 0);
    CHECK_STR(e.url, "http://h:1/v1/chat/completions");
    CHECK_STR(e.shown, e.url);
    CHECK(e.secrets[0] == NULL);
    endpoint_free(&e);
    CHECK(endpoint_url(&e, "https://api.anthropic.com/v1", "/v1/messages") == 0);
    CHECK_STR(e.url, "https://api.anthropic.com/v1/messages");
    endpoint_free(&e);
    CHECK(endpoint_url(&e, "https://api.anthropic.com", "/v1/messages") == 0);
    CHECK_STR(e.url, "https://api.anthropic.com/v1/messages");
    endpoint_free(&e);
    CHECK(endpoint_url(&e, "https://gw.example/v1beta/openai?key=abc123&api-version=2024-10-21",
                       "/chat/completions") == 0);
    CHECK_STR(e.url, "https://gw.example/v1beta/openai/chat/completions"
                     "?key=abc123&api-version=2024-10-21");
    CHECK_STR(e.shown, "https://gw.example/v1beta/openai/chat/completions"
                       "?key=[REDACTED]&api-version=2024-10-21");
    CHECK(e.secrets[0] && !strcmp(e.secrets[0], "abc123") && !e.secrets[1]);
    endpoint_free(&e);
    CHECK(endpoint_url(&e, "ftp://h/?token=s3cr3t", "/chat/completions") < 0);
    CHECK_MSG(strstr(err_last(), "--base-url") && !strstr(err_last(), "s3cr3t"), "%s", err_last());
}

static void test_bodies(void)
{
    llm_message msgs[] = {{LLM_SYSTEM, "a"}, {LLM_USER, "u1"}, {LLM_USER, "u2"},
                          {LLM_SYSTEM, "b"}, {LLM_ASSISTANT, "x"}, {LLM_USER, "u3"}};
    llm_request req = {.messages = msgs, .n_messages = 6, .temperature = 1.5};
    model_info mi = {.temperature = 1};
    cJSON *o = openai_body(&req, "m", &mi, NULL, 100);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(o, "messages")) == 5);
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "messages"), 0),
                                  "content")->valuestring, "a\n\nb");
    CHECK(cJSON_GetObjectItem(o, "max_tokens")->valueint == 100);
    cJSON_Delete(o);
    /* o1-preview and o1-mini: no instruction role, no effort, no temperature */
    model_info o1;
    CHECK(prices_lookup(&o1, NULL, "openai", "o1-mini-2024-09-12") == 0 && o1.price_known);
    CHECK_STR(o1.system_role, "user");
    CHECK(o1.reasoning && !o1.temperature && !*o1.effort);
    o = openai_body(&req, "o1-mini", &o1, o1.effort, 100);
    cJSON *om = cJSON_GetObjectItem(o, "messages");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(om, 0), "role")->valuestring, "user");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(om, 0), "content")->valuestring, "a\n\nb");
    CHECK(cJSON_GetObjectItem(o, "max_completion_tokens")->valueint == 100);
    CHECK(!cJSON_GetObjectItem(o, "reasoning_effort") && !cJSON_GetObjectItem(o, "temperature") &&
          !cJSON_GetObjectItem(o, "max_tokens"));
    cJSON_Delete(o);
    CHECK(prices_lookup(&o1, NULL, "openai", "o1-preview") == 0 && o1.price_known);
    CHECK_NEAR(o1.output, 60, 1e-12);
    CHECK_STR(o1.system_role, "user");
    cJSON *an = anthropic_body(&req, "m", &mi, 100);
    cJSON *turns = cJSON_GetObjectItem(an, "messages");
    CHECK(cJSON_GetArraySize(turns) == 3); /* u1+u2, x, u3 */
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(turns, 0), "content")->valuestring, "u1\n\nu2");
    CHECK_STR(cJSON_GetObjectItem(an, "system")->valuestring, "a\n\nb");
    CHECK_NEAR(cJSON_GetObjectItem(an, "temperature")->valuedouble, 1.0, 1e-12); /* clamped */
    cJSON_Delete(an);

    cJSON *err = cJSON_Parse("{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                             "\"message\":\"Overloaded\"}}");
    char *m = provider_error_message(err);
    CHECK_STR(m, "Overloaded (overloaded_error)");
    free(m);
    cJSON_Delete(err);
    err = cJSON_Parse("{\"error\":\"model 'x' not found\"}");
    m = provider_error_message(err);
    CHECK_STR(m, "model 'x' not found");
    free(m);
    cJSON_Delete(err);
    char *q = body_quote("<html>\n\"x\"", 10, 200);
    CHECK_STR(q, "\"<html>\\n\\\"x\\\"\"");
    free(q);
    q = body_quote("abcdef", 6, 3);
    CHECK_STR(q, "\"abc\" (first 3 of 6 bytes)");
    free(q);
}

static void test_client_errors(void)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    llm_client *c = NULL;
    llm_config cfg = {.spec = "gemini:pro"};
    CHECK(llm_client_new(&c, &loop, &cfg) < 0 && strstr(err_last(), "unknown provider"));
    cfg.spec = "openai:";
    CHECK(llm_client_new(&c, &loop, &cfg) < 0);
    cfg.spec = "openai:gpt-4o";
    cfg.api_key_env = "GROVE_TEST_NO_SUCH_KEY";
    CHECK(llm_client_new(&c, &loop, &cfg) < 0 && strstr(err_last(), "GROVE_TEST_NO_SUCH_KEY"));
    setenv("GROVE_TEST_UNIT_KEY", "k", 1);
    cfg.api_key_env = "GROVE_TEST_UNIT_KEY";
    cfg.base_url = "ftp://example.com";
    CHECK(llm_client_new(&c, &loop, &cfg) < 0 && strstr(err_last(), "--base-url"));
    cfg.base_url = "not a url";
    CHECK(llm_client_new(&c, &loop, &cfg) < 0);
    cfg.base_url = NULL;
    cfg.prices_path = "/nonexistent/prices.json";
    CHECK(llm_client_new(&c, &loop, &cfg) < 0 && strstr(err_last(), "/nonexistent/prices.json"));
    cfg.prices_path = NULL;
    CHECK(llm_client_new(&c, &loop, &cfg) == 0 && c);
    CHECK_STR(llm_client_provider(c), "openai");
    CHECK_STR(llm_client_model(c), "gpt-4o");
    CHECK(!llm_client_is_builtin(c));
    llm_request empty = {0};
    CHECK(llm_submit(c, &empty, NULL, NULL) < 0);
    llm_client_free(c);
    llm_config rp = {.spec = "replay:/nonexistent/llm.jsonl"};
    CHECK(llm_client_new(&c, &loop, &rp) < 0 && strstr(err_last(), "/nonexistent/llm.jsonl"));
    char *bad = path_join(tmp, "empty.jsonl");
    file_write_str(bad, "not json\n{\"ok\": false}\n");
    char *spec = xasprintf("replay:%s", bad);
    rp.spec = spec;
    CHECK(llm_client_new(&c, &loop, &rp) < 0 && strstr(err_last(), "no successful exchange"));
    free(spec);
    free(bad);
    llm_config bi = {.spec = "builtin"};
    CHECK(llm_client_new(&c, &loop, &bi) == 0 && llm_client_is_builtin(c));
    llm_client_free(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);

    CHECK(llm_key_available("builtin", NULL));
    CHECK(llm_key_available("openai:x", "GROVE_TEST_UNIT_KEY"));
    CHECK(!llm_key_available("anthropic:x", "GROVE_TEST_NO_SUCH_KEY"));
    CHECK(!llm_key_available("nope:x", NULL));
}

static void count_done(llm_response *r, void *data)
{
    int *n = data;
    (*n)++;
    CHECK(r->usage.cost_known && r->usage.cost_usd == 0 && r->attempts == 1);
    CHECK(r->ok || (r->error && strstr(r->error, "builtin")));
    llm_response_free(r);
}

/* The builtin coder answers through the loop, never inside llm_submit. */
static void test_builtin_async(void)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    llm_client *c;
    llm_config cfg = {.spec = "builtin:baseline", .seed = 3};
    CHECK(llm_client_new(&c, &loop, &cfg) == 0);
    llm_message m = {LLM_USER, "draft a solution"};
    llm_request req = {.messages = &m, .n_messages = 1, .temperature = -1};
    int n = 0;
    CHECK(llm_submit(c, &req, count_done, &n) == 0);
    CHECK(n == 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(n == 1);
    llm_usage u;
    long reqs;
    llm_client_totals(c, &u, &reqs);
    CHECK(reqs == 1 && u.cost_known && u.input_tokens == 0);
    llm_client_free(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
}

int main(void)
{
    if (!mkdtemp(tmp))
        return 1;
    test_retry();
    test_prices();
    test_hash_and_redact();
    test_endpoint();
    test_bodies();
    test_client_errors();
    test_builtin_async();
    rm_rf(tmp);
    return check_done("llm_units");
}

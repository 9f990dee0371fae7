/*
 * test_llm_faults.c: faulty endpoints and what compatible servers really
 * send, against tests/llm/mock_llm.py. Each must end in a clear error or a
 * bounded retry, never a crash or a hang: a reply dripping one byte a
 * second (the stall limit fires), a server that never answers, a reset
 * mid-body, an empty 200, a redirect (not followed), a huge body (capped),
 * gzip, Retry-After as an HTTP date, 529 overloaded, an empty account's 429,
 * a 200 carrying an error, request ids in errors, a key in the URL's query
 * and in an echoed error kept out of errors and llm.jsonl; replies with
 * content parts, a refusal, arguments as an object, no usage; Anthropic
 * turn order.
 */
#include "check.h"
#include "llm.h"
#include "mock.h"
#include "util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define KEY "sk-test-Fa9Qw2Er7Ty4"
#define URL_KEY "AIzaTestQueryKey0123456789"

static char tmp[] = "/tmp/grove-llm-faults-XXXXXX";

static const llm_message hi[] = {{LLM_SYSTEM, "Be brief."}, {LLM_USER, "Say hi."}};

static llm_config cfg(void)
{
    llm_config c = {0};
    c.api_key_env = "GROVE_TEST_KEY";
    c.retry_base_s = 0.01;
    c.max_attempts = 3;
    c.connect_timeout_s = 2;
    c.total_timeout_s = 20;
    c.stall_timeout_s = 1;
    return c;
}

/* One plain request with config c to a fresh mock running script. */
static llm_response *ask(const char *script, const char *spec, llm_config c, cJSON **sent)
{
    llm_request req = {.messages = hi, .n_messages = 2, .temperature = -1, .tag = "t"};
    c.spec = spec;
    int anthropic = str_starts(spec, "anthropic:");
    return mock_exchange(tmp, script, c, anthropic, &req, sent);
}

static void test_drip(void)
{
    llm_config c = cfg();
    c.max_attempts = 1;
    double t0 = clock_mono();
    llm_response *r = ask("{\"routes\": {\"/v1/chat/completions\": [{\"text\": \"slow\", "
                          "\"drip_s\": 1}]}}", "openai:gpt-4o", c, NULL);
    double dt = clock_mono() - t0;
    CHECK(r && !r->ok && r->attempts == 1);
    CHECK(mock_error_has(r, "too slow"));
    CHECK_MSG(dt < 6, "a 1-byte/s drip with a 1 s stall limit took %.1f s", dt);
    llm_response_free(r);
}

static void test_silent(void)
{
    llm_config c = cfg();
    c.max_attempts = 2;
    double t0 = clock_mono();
    llm_response *r = ask("{\"routes\": {\"/v1/messages\": [{\"silent\": true, \"repeat\": 2}]}}",
                          "anthropic:claude-haiku-4-5", c, NULL);
    double dt = clock_mono() - t0;
    CHECK(r && !r->ok && r->attempts == 2 && r->http_status == 0);
    CHECK(mock_error_has(r, "gave up after 2 attempts"));
    CHECK_MSG(dt < 8, "a silent server took %.1f s to give up on", dt);
    llm_response_free(r);
}

static void test_reset_and_empty(void)
{
    llm_response *r = ask("{\"routes\": {\"/v1/chat/completions\": [{\"text\": \"lost\", "
                          "\"reset_mid_body\": true}]}, \"replies\": [\"kept\"]}",
                          "openai:gpt-4o", cfg(), NULL);
    CHECK(r && r->ok && r->attempts == 2);
    if (r && r->ok)
        CHECK_STR(r->text, "kept");
    llm_response_free(r);

    /* an empty 200 is no reply: retried like a 5xx, then given up on */
    r = ask("{\"routes\": {\"/v1/chat/completions\": [{\"body\": \"\", \"repeat\": 3}]}}",
            "openai:gpt-4o", cfg(), NULL);
    CHECK(r && !r->ok && r->attempts == 3 && r->http_status == 200);
    CHECK(mock_error_has(r, "empty body") && mock_error_has(r, "not JSON"));
    CHECK(mock_error_has(r, "gave up after 3 attempts"));
    llm_response_free(r);
}

static void test_redirect(void)
{
    cJSON *sent;
    llm_response *r = ask("{\"routes\": {\"/v1/chat/completions\": [{\"status\": 307, "
                          "\"headers\": {\"Location\": \"https://elsewhere.example/v1/chat/"
                          "completions\"}, \"body\": \"\"}]}}", "openai:gpt-4o", cfg(), &sent);
    CHECK(r && !r->ok && r->attempts == 1 && r->http_status == 307);
    CHECK(mock_error_has(r, "https://elsewhere.example/v1") && mock_error_has(r, "--base-url"));
    CHECK(cJSON_GetArraySize(sent) == 1);
    llm_response_free(r);
    cJSON_Delete(sent);
}

static void test_huge_and_gzip(void)
{
    double t0 = clock_mono();
    llm_response *r = ask("{\"routes\": {\"/v1/chat/completions\": [{\"text\": \"big\", "
                          "\"pad_bytes\": 34000000}]}}", "openai:gpt-4o", cfg(), NULL);
    CHECK(r && !r->ok && r->attempts == 1);
    CHECK(mock_error_has(r, "32 MB"));
    CHECK(clock_mono() - t0 < 10);
    llm_response_free(r);

    cJSON *sent;
    r = ask("{\"routes\": {\"/v1/chat/completions\": [{\"text\": \"zipped\", \"gzip\": true}]}}",
            "openai:gpt-4o", cfg(), &sent);
    CHECK(r && r->ok);
    if (r && r->ok)
        CHECK_STR(r->text, "zipped");
    const char *ae = jstr(cJSON_GetArrayItem(sent, 0), "headers.accept-encoding");
    CHECK_MSG(ae && strstr(ae, "gzip"), "Accept-Encoding: %s", ae ? ae : "(none)");
    llm_response_free(r);
    cJSON_Delete(sent);
}

static void test_retry_after_date(void)
{
    char date[64], script[512];
    time_t when = time(NULL) + 2;
    struct tm tm;
    gmtime_r(&when, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    snprintf(script, sizeof script,
             "{\"routes\": {\"/v1/chat/completions\": [{\"status\": 429, \"headers\": "
             "{\"Retry-After\": \"%s\"}, \"json\": {\"error\": {\"message\": \"wait\", "
             "\"type\": \"requests\", \"code\": \"rate_limit_exceeded\"}}}]}}", date);
    double t0 = clock_mono();
    llm_response *r = ask(script, "openai:gpt-4o", cfg(), NULL);
    double dt = clock_mono() - t0;
    CHECK(r && r->ok && r->attempts == 2);
    CHECK_MSG(dt > 0.9 && dt < 4, "Retry-After %s: waited %.2f s", date, dt);
    llm_response_free(r);
}

static void test_overloaded_and_quota(void)
{
    llm_response *r = ask("{\"routes\": {\"/v1/messages\": [{\"status\": 529, \"json\": "
                          "{\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", "
                          "\"message\": \"Overloaded\"}}}]}}", "anthropic:claude-haiku-4-5",
                          cfg(), NULL);
    CHECK(r && r->ok && r->attempts == 2);
    llm_response_free(r);

    r = ask("{\"routes\": {\"/v1/chat/completions\": [{\"status\": 429, \"repeat\": 3, \"json\": "
            "{\"error\": {\"message\": \"You exceeded your current quota\", \"type\": "
            "\"insufficient_quota\", \"code\": \"insufficient_quota\"}}}]}}",
            "openai:gpt-4o", cfg(), NULL);
    CHECK(r && !r->ok && r->attempts == 1);
    CHECK(mock_error_has(r, "exceeded your current quota") && mock_error_has(r, "out of credit"));
    llm_response_free(r);
}

static void test_error_in_200_and_request_id(void)
{
    llm_config c = cfg();
    c.max_attempts = 1;
    llm_response *r = ask("{\"routes\": {\"/v1/chat/completions\": [{\"json\": {\"error\": "
                          "{\"message\": \"upstream provider failed\", \"code\": 502}}, "
                          "\"headers\": {\"x-request-id\": \"req_abc123\"}}]}}",
                          "openai:gpt-4o", c, NULL);
    CHECK(r && !r->ok && r->http_status == 200);
    CHECK(mock_error_has(r, "upstream provider failed") && mock_error_has(r, "req_abc123"));
    llm_response_free(r);

    r = ask("{\"routes\": {\"/v1/messages\": [{\"status\": 400, \"headers\": {\"request-id\": "
            "\"req_011CXyz\"}, \"json\": {\"type\": \"error\", \"error\": {\"type\": "
            "\"invalid_request_error\", \"message\": \"max_tokens: too large\"}}}]}}",
            "anthropic:claude-haiku-4-5", cfg(), NULL);
    CHECK(r && !r->ok && r->attempts == 1);
    CHECK(mock_error_has(r, "max_tokens: too large") && mock_error_has(r, "invalid_request_error"));
    CHECK(mock_error_has(r, "req_011CXyz"));
    llm_response_free(r);
}

/* A 200 whose body is not a usable completion is the endpoint's fault, as
 * transient as a 502: an HTML page, choices: [], a choice with no message,
 * a forced function call whose arguments do not parse. Each is retried in
 * the same bounded budget, and a good reply after them is used. */
static void test_garbage_200_retried(void)
{
    llm_config c = cfg();
    c.max_attempts = 5;
    llm_response *r = ask("{\"routes\": {\"/v1/chat/completions\": ["
                          "{\"body\": \"<html><body>502 Bad Gateway</body></html>\"},"
                          "{\"json\": {\"choices\": []}},"
                          "{\"json\": {\"choices\": [{\"index\": 0, \"finish_reason\": \"stop\"}]}},"
                          "{\"body\": \"{\\\"choices\\\": [\"},"
                          "{\"text\": \"fine\"}]}}", "openai:gpt-4o", c, NULL);
    CHECK(r && r->ok && r->attempts == 5);
    if (r && r->ok)
        CHECK_STR(r->text, "fine");
    llm_response_free(r);

    /* Anthropic: a 200 that is an HTML page, then a good reply */
    r = ask("{\"routes\": {\"/v1/messages\": [{\"body\": \"<html>oops</html>\"},"
            "{\"text\": \"fine\"}]}}", "anthropic:claude-haiku-4-5", cfg(), NULL);
    CHECK(r && r->ok && r->attempts == 2);
    llm_response_free(r);

    /* malformed arguments of the forced function (the review call) */
    cJSON *schema = llm_review_schema();
    llm_request req = {.messages = hi, .n_messages = 2, .temperature = -1, .tag = "t",
                       .func_name = "submit_review", .func_schema = schema};
    c = cfg();
    c.spec = "openai:gpt-4o";
    r = mock_exchange(tmp, "{\"routes\": {\"/v1/chat/completions\": ["
                      "{\"raw_arguments\": \"{\\\"is_bug\\\": tru\"},"
                      "{\"function_args\": {\"is_bug\": false, \"summary\": \"ok\", "
                      "\"metric\": 0.5, \"has_submission\": true}}]}}", c, 0, &req, NULL);
    CHECK(r && r->ok && r->attempts == 2 && cJSON_IsObject(r->func_args));
    llm_response_free(r);
    /* ... and when every attempt is malformed, the error says so */
    r = mock_exchange(tmp, "{\"routes\": {\"/v1/chat/completions\": ["
                      "{\"raw_arguments\": \"{\\\"is_bug\\\": tru\", \"repeat\": 3}]}}",
                      c, 0, &req, NULL);
    CHECK(r && !r->ok && r->attempts == 3);
    CHECK(mock_error_has(r, "submit_review") && mock_error_has(r, "gave up after 3 attempts"));
    llm_response_free(r);
    cJSON_Delete(schema);
}

/* The per-request limit bounds the whole request, retries included: a
 * server that accepts and never answers costs total_timeout_s, not
 * max_attempts times it (6 x 300 s of stall limit was 30 minutes). */
static void test_silent_total_limit(void)
{
    llm_config c = cfg();
    c.max_attempts = 6;
    c.stall_timeout_s = 100;
    c.total_timeout_s = 3;
    double t0 = clock_mono();
    llm_response *r = ask("{\"routes\": {\"/v1/chat/completions\": [{\"silent\": true, "
                          "\"repeat\": 6}]}}", "openai:gpt-4o", c, NULL);
    double dt = clock_mono() - t0;
    CHECK(r && !r->ok && r->http_status == 0);
    CHECK(mock_error_has(r, "3 s"));
    CHECK_MSG(dt < 4.5, "a silent server with a 3 s request limit took %.1f s", dt);
    llm_response_free(r);
}

/* A refused connection is retried in the budget, then the error names the
 * address and what to check. */
static void test_refused(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    close(fd); /* nothing listens there now */
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", ntohs(a.sin_port));
    llm_config c = cfg();
    c.spec = "openai:gpt-4o";
    c.base_url = url;
    llm_request req = {.messages = hi, .n_messages = 2, .temperature = -1, .tag = "t"};
    llm_response *r = NULL;
    CHECK(llm_complete_sync(&c, &req, &r) == 0);
    CHECK(r && !r->ok && r->attempts == 3);
    CHECK(mock_error_has(r, url) && mock_error_has(r, "unreachable"));
    CHECK(mock_error_has(r, "--base-url"));
    llm_response_free(r);
}

/* Errors that cannot pass are not retried and keep the server's message
 * whole: a bad key, no access, a wrong path or model, in both protocols. */
static void test_fatal_not_retried(void)
{
    static const struct { const char *spec, *path, *step, *needle; } cases[] = {
        {"anthropic:claude-nosuch", "/v1/messages",
         "{\"status\": 404, \"json\": {\"type\": \"error\", \"error\": {\"type\": "
         "\"not_found_error\", \"message\": \"model: claude-nosuch\"}}}", "model: claude-nosuch"},
        {"anthropic:claude-nosuch", "/v1/messages",
         "{\"status\": 400, \"json\": {\"type\": \"error\", \"error\": {\"type\": "
         "\"invalid_request_error\", \"message\": \"model: String should have at most 256 "
         "characters\"}}}", "at most 256 characters"},
        {"anthropic:claude-haiku-4-5", "/v1/messages",
         "{\"status\": 403, \"json\": {\"type\": \"error\", \"error\": {\"type\": "
         "\"permission_error\", \"message\": \"Your API key does not have permission to use "
         "the specified resource.\"}}}", "does not have permission to use the specified resource."},
        {"openai:gpt-nosuch", "/v1/chat/completions",
         "{\"status\": 404, \"json\": {\"error\": {\"message\": \"The model `gpt-nosuch` does "
         "not exist or you do not have access to it.\", \"type\": \"invalid_request_error\", "
         "\"param\": null, \"code\": \"model_not_found\"}}}",
         "The model `gpt-nosuch` does not exist or you do not have access to it."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *script = xasprintf("{\"routes\": {\"%s\": [%s, %s]}}", cases[i].path,
                                 cases[i].step, cases[i].step);
        llm_response *r = ask(script, cases[i].spec, cfg(), NULL);
        CHECK_MSG(r && !r->ok && r->attempts == 1, "%s: %d attempts", cases[i].spec,
                  r ? r->attempts : -1);
        CHECK(mock_error_has(r, cases[i].needle));
        llm_response_free(r);
        free(script);
    }
}

static int file_has(const char *path, const char *needle)
{
    char *text = NULL;
    if (file_read(path, &text, NULL) < 0)
        return 0;
    int found = strstr(text, needle) != NULL;
    free(text);
    return found;
}

/* A key in the base URL's query and the env key echoed by the server: the
 * request still reaches the right path with its query, and neither key
 * shows in the error or the log. */
static void test_keys_hidden(void)
{
    char *log = path_join(tmp, "keys.jsonl");
    llm_config c = cfg();
    c.base_url = "?key=" URL_KEY;
    c.log_path = log;
    c.max_attempts = 1;
    cJSON *sent;
    llm_response *r = ask("{\"routes\": {\"/v1/chat/completions\": [{\"status\": 403, \"json\": "
                          "{\"error\": {\"message\": \"key " KEY " and " URL_KEY " refused\"}}}]}}",
                          "openai:gpt-4o", c, &sent);
    CHECK(r && !r->ok && r->http_status == 403);
    CHECK_STR(jstr(cJSON_GetArrayItem(sent, 0), "path"), "/v1/chat/completions");
    CHECK(mock_error_has(r, "refused") && mock_error_has(r, "/v1/chat/completions?key=[REDACTED]"));
    CHECK_MSG(r && r->error && !strstr(r->error, KEY) && !strstr(r->error, URL_KEY), "%s",
              r && r->error ? r->error : "");
    CHECK(file_exists(log) && !file_has(log, KEY) && !file_has(log, URL_KEY));
    CHECK(file_has(log, "[REDACTED]"));
    llm_response_free(r);
    cJSON_Delete(sent);
    free(log);
}

static void test_compatible_replies(void)
{
    /* content as parts, DeepSeek's reasoning_content, no usage at all */
    llm_response *r = ask(
        "{\"routes\": {\"/v1/chat/completions\": [{\"json\": {\"choices\": [{\"index\": 0, "
        "\"message\": {\"role\": \"assistant\", \"reasoning_content\": \"hmm\", \"content\": "
        "[{\"type\": \"text\", \"text\": \"part one, \"}, {\"type\": \"text\", \"text\": "
        "\"part two\"}]}, \"finish_reason\": \"length\"}]}}]}}", "openai:gpt-4o", cfg(), NULL);
    CHECK(r && r->ok);
    if (r && r->ok) {
        CHECK_STR(r->text, "part one, part two");
        CHECK_STR(r->finish_reason, "length");
        CHECK_MSG(!r->usage.cost_known, "no usage reported, yet cost %.6f", r->usage.cost_usd);
    }
    llm_response_free(r);

    /* a refusal: content null, the reason in "refusal" */
    r = ask("{\"routes\": {\"/v1/chat/completions\": [{\"json\": {\"choices\": [{\"message\": "
            "{\"content\": null, \"refusal\": \"I can't help with that.\"}, \"finish_reason\": "
            "\"stop\"}], \"usage\": {\"prompt_tokens\": 1, \"completion_tokens\": 1}}}]}}",
            "openai:gpt-4o", cfg(), NULL);
    CHECK(r && r->ok && r->usage.cost_known);
    if (r && r->ok)
        CHECK_STR(r->text, "I can't help with that.");
    llm_response_free(r);

    /* arguments as an object (not a string), content null */
    cJSON *schema = cJSON_Parse("{\"type\":\"object\"}");
    llm_request req = {.messages = hi, .n_messages = 2, .temperature = -1,
                       .func_name = "submit", .func_schema = schema};
    llm_config c = cfg();
    c.spec = "openai:local";
    r = mock_exchange(tmp, "{\"routes\": {\"/v1/chat/completions\": [{\"json\": {\"choices\": "
                      "[{\"message\": {\"content\": null, \"tool_calls\": [{\"type\": "
                      "\"function\", \"function\": {\"name\": \"submit\", \"arguments\": "
                      "{\"x\": 2}}}]}, \"finish_reason\": \"tool_calls\"}], \"usage\": "
                      "{\"prompt_tokens\": 5, \"completion_tokens\": 3}}}]}}",
                      c, 0, &req, NULL);
    CHECK(r && r->ok && r->func_args);
    if (r && r->func_args)
        CHECK(cJSON_GetObjectItem(r->func_args, "x")->valueint == 2);
    llm_response_free(r);
    cJSON_Delete(schema);
}

static void test_anthropic_turns(void)
{
    static const llm_message prefill[] = {
        {LLM_ASSISTANT, "Earlier answer."}, {LLM_USER, "a"}, {LLM_USER, "b"},
        {LLM_ASSISTANT, "Sure: "},
    };
    static const llm_message only_system[] = {{LLM_SYSTEM, "Reply with ok."}};
    llm_config c = cfg();
    c.spec = "anthropic:claude-haiku-4-5";
    llm_request req = {.messages = prefill, .n_messages = 4, .temperature = -1};
    cJSON *sent;
    llm_response *r = mock_exchange(tmp, "{}", c, 1, &req, &sent);
    const cJSON *body = jget(cJSON_GetArrayItem(sent, 0), "body");
    CHECK(r && r->ok && cJSON_GetArraySize(jget(body, "messages")) == 4);
    CHECK_STR(jstr(body, "messages.0.role"), "user");
    CHECK_STR(jstr(body, "messages.1.role"), "assistant");
    CHECK_STR(jstr(body, "messages.2.content"), "a\n\nb");
    CHECK_STR(jstr(body, "messages.3.content"), "Sure:");
    llm_response_free(r);
    cJSON_Delete(sent);

    req = (llm_request){.messages = only_system, .n_messages = 1, .temperature = -1};
    r = mock_exchange(tmp, "{}", c, 1, &req, &sent);
    body = jget(cJSON_GetArrayItem(sent, 0), "body");
    CHECK(r && r->ok);
    CHECK_STR(jstr(body, "messages.0.role"), "user");
    CHECK_STR(jstr(body, "messages.0.content"), "Reply with ok.");
    llm_response_free(r);
    cJSON_Delete(sent);
}

int main(void)
{
    setenv("GROVE_TEST_KEY", KEY, 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    if (!mkdtemp(tmp))
        return 1;
    test_drip();
    test_silent();
    test_reset_and_empty();
    test_redirect();
    test_huge_and_gzip();
    test_retry_after_date();
    test_overloaded_and_quota();
    test_error_in_200_and_request_id();
    test_garbage_200_retried();
    test_silent_total_limit();
    test_refused();
    test_fatal_not_retried();
    test_keys_hidden();
    test_compatible_replies();
    test_anthropic_turns();
    rm_rf(tmp);
    return check_done("llm_faults");
}

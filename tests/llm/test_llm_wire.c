/*
 * test_llm_wire.c: requests and replies as the providers' published specs
 * and real compatible servers shape them, against tests/llm/mock_llm.py
 * (which, like the Messages API, rejects empty turns):
 *
 *   - Anthropic turns: an empty or blank turn (an empty earlier reply the
 *     agent sends back) is a 400 there, so it must not be sent;
 *   - OpenRouter's 200 whose choice carries an error (finish_reason
 *     "error") is an error, retried like the upstream status it names;
 *   - the retry notice on stderr (--verbose) never holds the key a server
 *     echoed;
 *   - Gemini's compatible endpoint wraps its errors in an array and gives
 *     the wait of a 429 as error.details[].retryDelay;
 *   - x-should-retry overrides the status's retry rule;
 *   - usage: thinking tokens that completion_tokens leaves out but
 *     total_tokens counts (Gemini behind compatible layers), DeepSeek's
 *     prompt_cache_hit_tokens.
 */
#include "check.h"
#include "llm.h"
#include "mock.h"
#include "util.h"

#include <fcntl.h>
#include <unistd.h>

#define KEY "sk-test-Wr3Ks9Lp2Dn6"

static char tmp[] = "/tmp/grove-llm-wire-XXXXXX";

static llm_config cfg(const char *spec)
{
    llm_config c = {0};
    c.spec = spec;
    c.api_key_env = "GROVE_TEST_KEY";
    c.retry_base_s = 0.01;
    c.max_attempts = 3;
    c.connect_timeout_s = 2;
    c.total_timeout_s = 10;
    return c;
}

static const llm_message hi[] = {{LLM_SYSTEM, "Be brief."}, {LLM_USER, "Say hi."}};

static llm_response *ask(const char *script, llm_config c, cJSON **sent)
{
    llm_request req = {.messages = hi, .n_messages = 2, .temperature = -1, .tag = "t"};
    return mock_exchange(tmp, script, c, str_starts(c.spec, "anthropic:"), &req, sent);
}

/* The agent re-asks after a reply without code by sending that reply back
 * as an assistant turn; a reply can be empty (a refusal, or every token
 * spent thinking). */
static void test_anthropic_empty_turns(void)
{
    static const llm_message convo[] = {
        {LLM_SYSTEM, "Write code."}, {LLM_USER, "Draft a script."}, {LLM_ASSISTANT, ""},
        {LLM_USER, "Your reply had no code. Reply again."},
    };
    static const llm_message blank[] = {
        {LLM_USER, " \n"}, {LLM_USER, "Draft a script."}, {LLM_ASSISTANT, "\n\n"},
        {LLM_USER, "Again."}, {LLM_ASSISTANT, "  "},
    };
    static const struct { const llm_message *msgs; size_t n; const char *turn; } cases[] = {
        {convo, 4, "Draft a script.\n\nYour reply had no code. Reply again."},
        {blank, 5, "Draft a script.\n\nAgain."},
    };
    llm_config c = cfg("anthropic:claude-haiku-4-5");
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        llm_request req = {.messages = cases[i].msgs, .n_messages = cases[i].n,
                           .temperature = -1};
        cJSON *sent;
        llm_response *r = mock_exchange(tmp, "{}", c, 1, &req, &sent);
        CHECK_MSG(r && r->ok, "case %zu: %s", i, r && r->error ? r->error : "(no response)");
        const cJSON *body = jget(cJSON_GetArrayItem(sent, 0), "body");
        CHECK(cJSON_GetArraySize(jget(body, "messages")) == 1);
        CHECK_STR(jstr(body, "messages.0.role"), "user");
        CHECK_STR(jstr(body, "messages.0.content"), cases[i].turn);
        llm_response_free(r);
        cJSON_Delete(sent);
    }
}

/* OpenRouter: "any error occurred while the LLM is producing the output
 * will be emitted in the response body" with HTTP 200 -- in the choice,
 * finish_reason "error". */
static void test_openrouter_choice_error(void)
{
    static const char fail[] =
        "{\"json\": {\"id\": \"gen-1\", \"choices\": [{\"index\": 0, \"finish_reason\": "
        "\"error\", \"native_finish_reason\": \"error\", \"error\": {\"code\": 502, "
        "\"message\": \"Upstream provider failed mid-generation\"}, \"message\": {\"role\": "
        "\"assistant\", \"content\": \"\"}}], \"usage\": {\"prompt_tokens\": 12, "
        "\"completion_tokens\": 0, \"total_tokens\": 12}}}";
    char *script = xasprintf("{\"routes\": {\"/v1/chat/completions\": [%s]}, "
                             "\"replies\": [\"kept\"]}", fail);
    llm_response *r = ask(script, cfg("openai:openai/gpt-4o"), NULL);
    CHECK_MSG(r && r->ok && r->attempts == 2, "ok %d attempts %d: %s", r ? r->ok : -1,
              r ? r->attempts : -1, r && r->error ? r->error : "");
    if (r && r->ok)
        CHECK_STR(r->text, "kept");
    llm_response_free(r);
    free(script);

    llm_config c = cfg("openai:openai/gpt-4o");
    c.max_attempts = 1;
    script = xasprintf("{\"routes\": {\"/v1/chat/completions\": [%s]}}", fail);
    r = ask(script, c, NULL);
    CHECK(r && !r->ok && r->http_status == 200);
    CHECK(mock_error_has(r, "Upstream provider failed mid-generation"));
    CHECK(r && !r->usage.cost_known);
    llm_response_free(r);
    free(script);

    /* finish_reason "error" and nothing else to say */
    r = ask("{\"routes\": {\"/v1/chat/completions\": [{\"json\": {\"choices\": [{\"index\": 0, "
            "\"finish_reason\": \"error\", \"message\": {\"role\": \"assistant\", \"content\": "
            "null}}]}}]}}", c, NULL);
    CHECK(r && !r->ok);
    CHECK(mock_error_has(r, "error"));
    llm_response_free(r);
}

/* grove --verbose prints each retry; a server that echoes the key in its
 * 429 message must not put it on stderr. */
static void test_retry_notice_redacted(void)
{
    char *errpath = path_join(tmp, "stderr.txt");
    fflush(stderr);
    int saved = dup(2);
    int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    log_set_level(LOG_DEBUG);
    llm_response *r = ask("{\"routes\": {\"/v1/chat/completions\": [{\"status\": 429, \"json\": "
                          "{\"error\": {\"message\": \"Rate limit for key " KEY " reached\"}}}]}}",
                          cfg("openai:gpt-4o"), NULL);
    log_set_level(LOG_INFO);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    CHECK(r && r->ok && r->attempts == 2);
    char *text = NULL;
    CHECK(file_read(errpath, &text, NULL) == 0);
    CHECK_MSG(text && strstr(text, "retrying"), "stderr: %s", text ? text : "");
    CHECK_MSG(text && !strstr(text, KEY), "the key reached stderr: %s", text ? text : "");
    free(text);
    llm_response_free(r);
    free(errpath);
}

/* generativelanguage.googleapis.com/v1beta/openai answers errors as
 * [{"error": {"code", "message", "status", "details"}}]. */
static void test_gemini_errors(void)
{
    llm_config c = cfg("openai:gemini-2.5-flash");
    llm_response *r = ask(
        "{\"routes\": {\"/v1/chat/completions\": [{\"status\": 400, \"json\": [{\"error\": "
        "{\"code\": 400, \"message\": \"Invalid JSON payload received. Unknown name "
        "\\\"foo\\\": Cannot find field.\", \"status\": \"INVALID_ARGUMENT\"}}]}]}}", c, NULL);
    CHECK(r && !r->ok && r->attempts == 1);
    CHECK(mock_error_has(r, "HTTP 400: Invalid JSON payload received") && mock_error_has(r, "INVALID_ARGUMENT"));
    llm_response_free(r);

    /* a 429 with no Retry-After header: the wait is in the body */
    double t0 = clock_mono();
    r = ask("{\"routes\": {\"/v1/chat/completions\": [{\"status\": 429, \"json\": [{\"error\": "
            "{\"code\": 429, \"message\": \"You exceeded your current quota\", \"status\": "
            "\"RESOURCE_EXHAUSTED\", \"details\": [{\"@type\": "
            "\"type.googleapis.com/google.rpc.QuotaFailure\", \"violations\": []}, {\"@type\": "
            "\"type.googleapis.com/google.rpc.RetryInfo\", \"retryDelay\": \"1.2s\"}]}}]}]}}",
            c, NULL);
    double dt = clock_mono() - t0;
    CHECK(r && r->ok && r->attempts == 2);
    CHECK_MSG(dt > 1.1 && dt < 5, "retryDelay 1.2s: waited %.2f s", dt);
    llm_response_free(r);
}

/* x-should-retry, which both providers' own SDKs obey before the status. */
static void test_should_retry_header(void)
{
    llm_response *r = ask("{\"routes\": {\"/v1/messages\": [{\"status\": 500, \"headers\": "
                          "{\"x-should-retry\": \"false\"}, \"json\": {\"type\": \"error\", "
                          "\"error\": {\"type\": \"api_error\", \"message\": \"fails the same "
                          "way\"}}}]}}", cfg("anthropic:claude-haiku-4-5"), NULL);
    CHECK(r && !r->ok && r->attempts == 1 && mock_error_has(r, "fails the same way"));
    llm_response_free(r);

    r = ask("{\"routes\": {\"/v1/chat/completions\": [{\"status\": 422, \"headers\": "
            "{\"x-should-retry\": \"true\"}, \"json\": {\"error\": {\"message\": "
            "\"transient\"}}}]}}", cfg("openai:gpt-4o"), NULL);
    CHECK(r && r->ok && r->attempts == 2);
    llm_response_free(r);

    /* 400, 401, 403, 404 end the request whatever the header says */
    r = ask("{\"routes\": {\"/v1/chat/completions\": [{\"status\": 400, \"headers\": "
            "{\"x-should-retry\": \"true\"}, \"json\": {\"error\": {\"message\": "
            "\"bad request\"}}}]}}", cfg("openai:gpt-4o"), NULL);
    CHECK(r && !r->ok && r->attempts == 1 && mock_error_has(r, "bad request"));
    llm_response_free(r);
}

static void test_usage_variants(void)
{
    char *prices = path_join(tmp, "prices.json");
    file_write_str(prices, "{\"openai\": {"
                   "\"gemini-2.5-flash\": {\"input\": 0.30, \"output\": 2.50},"
                   "\"deepseek-chat\": {\"input\": 0.27, \"cached_input\": 0.07, "
                   "\"output\": 1.10}}}");
    /* thinking counted in total_tokens, not in completion_tokens */
    llm_config c = cfg("openai:gemini-2.5-flash");
    c.prices_path = prices;
    llm_response *r = ask("{\"routes\": {\"/v1/chat/completions\": [{\"json\": {\"choices\": "
                          "[{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\": "
                          "\"15% of 240 is 36.\"}, \"finish_reason\": \"stop\"}], \"usage\": "
                          "{\"prompt_tokens\": 20, \"completion_tokens\": 151, \"total_tokens\": "
                          "553}}}]}}", c, NULL);
    CHECK(r && r->ok);
    if (r && r->ok) {
        CHECK_MSG(r->usage.output_tokens == 533, "output_tokens %ld", r->usage.output_tokens);
        CHECK(r->usage.reasoning_tokens == 382 && r->usage.input_tokens == 20);
        CHECK(r->usage.cost_known);
        CHECK_NEAR(r->usage.cost_usd, (20 * 0.30 + 533 * 2.50) / 1e6, 1e-12);
    }
    llm_response_free(r);

    /* DeepSeek: cache hits in its own field */
    c = cfg("openai:deepseek-chat");
    c.prices_path = prices;
    r = ask("{\"routes\": {\"/v1/chat/completions\": [{\"json\": {\"choices\": [{\"index\": 0, "
            "\"message\": {\"role\": \"assistant\", \"content\": \"hi\"}, \"finish_reason\": "
            "\"stop\"}], \"usage\": {\"prompt_tokens\": 100, \"completion_tokens\": 10, "
            "\"total_tokens\": 110, \"prompt_cache_hit_tokens\": 80, "
            "\"prompt_cache_miss_tokens\": 20}}}]}}", c, NULL);
    CHECK(r && r->ok);
    if (r && r->ok) {
        CHECK_MSG(r->usage.cached_tokens == 80, "cached_tokens %ld", r->usage.cached_tokens);
        CHECK(r->usage.output_tokens == 10 && r->usage.reasoning_tokens == 0);
        CHECK_NEAR(r->usage.cost_usd, (20 * 0.27 + 80 * 0.07 + 10 * 1.10) / 1e6, 1e-12);
    }
    llm_response_free(r);
    free(prices);
}

int main(void)
{
    setenv("GROVE_TEST_KEY", KEY, 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    if (!mkdtemp(tmp))
        return 1;
    test_anthropic_empty_turns();
    test_openrouter_choice_error();
    test_retry_notice_redacted();
    test_gemini_errors();
    test_should_retry_header();
    test_usage_variants();
    rm_rf(tmp);
    return check_done("llm_wire");
}

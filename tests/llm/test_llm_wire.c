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

int main(void)
{
    setenv("GROVE_TEST_KEY", KEY, 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    if (!mkdtemp(tmp))
        return 1;
    test_anthropic_empty_turns();
    rm_rf(tmp);
    return check_done("llm_wire");
}

/*
 * fuzz_reply.c: what a server sends back, judged as grove judges it. The
 * bytes are a reply body under each protocol and under a spread of HTTP
 * statuses (the first byte picks one), through verdict() -- which parses
 * 2xx bodies with openai_parse/anthropic_parse and quotes or reads the
 * server's message from the rest -- and through retry_body_delay(). It must never crash, leak or read out of
 * bounds, and a success must leave text and finish_reason set.
 */
#include "llm_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void judge_as(prov_kind kind, long status, const uint8_t *data, size_t size)
{
    static const char shown[] = "http://127.0.0.1/v1/chat/completions";
    llm_client c = {0};
    c.kind = kind;
    c.provider = kind == PROV_OPENAI ? "openai" : "anthropic";
    c.ep.shown = (char *)shown;
    http_req hr = {0};
    hr.status = status;
    hr.result = CURLE_OK;
    sb_append(&hr.resp, (const char *)data, size);
    llm_message m = {LLM_USER, "q"};
    llm_request req = {.messages = &m, .n_messages = 1, .func_name = "submit_review"};
    llm_response r = {0};
    int retry, usage_known;
    char *error = verdict(&c, &req, &r, &hr, &retry, &usage_known);
    if (!error && (!r.text || !r.finish_reason))
        abort();
    free(error);
    free(r.text);
    free(r.finish_reason);
    cJSON_Delete(r.func_args);
    sb_free(&hr.resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const long statuses[] = {200, 201, 307, 400, 401, 404, 429, 500, 503, 529};
    long status = size ? statuses[data[0] % 10] : 200;
    judge_as(PROV_OPENAI, status, data, size);
    judge_as(PROV_ANTHROPIC, status, data, size);
    judge_as(PROV_OPENAI, 200, data, size);
    judge_as(PROV_ANTHROPIC, 200, data, size);
    /* the wait an error body may name (Google's RetryInfo) */
    double wait = retry_body_delay((const char *)data, size);
    if (wait != wait || (wait < 0 && wait != -1))
        abort();
    return 0;
}

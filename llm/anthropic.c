/*
 * anthropic.c: the Messages API wire format ({base}/v1/messages).
 *
 * Body: model, max_tokens (required by the API, so always set), system as
 * its own top-level field (every system message merged), messages holding
 * only user/assistant turns (consecutive turns of one role merged, since the
 * API wants them alternating; blank ones, which it rejects, left out),
 * temperature where given, and a forced
 * function as `tools: [{name, description, input_schema}]` with
 * `tool_choice: {type: tool, name}`. The headers (x-api-key,
 * anthropic-version: 2023-06-01) are set by the job layer.
 *
 * Reply: content is a list of blocks; text blocks are concatenated, and the
 * tool_use block for our function carries its arguments as an object
 * (input). stop_reason is the finish reason. usage.input_tokens excludes
 * cached prompt tokens, so the neutral input count adds
 * cache_creation_input_tokens and cache_read_input_tokens back in.
 */
#include "llm_int.h"

#include <string.h>

static int blank(const char *s)
{
    return s[strspn(s, " \t\r\n")] == 0;
}

/* Turns with consecutive same-role messages joined by a blank line. The
 * API wants the first turn from the user and a final assistant turn (a
 * prefill) without trailing whitespace; both are made so here rather than
 * left to a 400. It also rejects any turn that is empty or only whitespace
 * ("all messages must have non-empty content except for the optional final
 * assistant message", "text content blocks must contain non-whitespace
 * text"), and such a turn is real: the agent sends an empty reply back when
 * it asks again (a refusal, or every token spent thinking). Blank messages
 * are dropped, and the neighbours they separated merge as one turn. */
static void add_turns(cJSON *msgs, const llm_request *req)
{
    sb cur = {0};
    llm_role role = LLM_USER;
    int have = 0;
    for (size_t i = 0; i < req->n_messages; i++) {
        const llm_message *m = &req->messages[i];
        if (m->role == LLM_SYSTEM || blank(m->content))
            continue;
        if (!have && cJSON_GetArraySize(msgs) == 0 && m->role == LLM_ASSISTANT)
            msg_add(msgs, "user", "(continue the conversation)");
        if (have && m->role != role) {
            msg_add(msgs, role == LLM_USER ? "user" : "assistant", sb_str(&cur));
            sb_reset(&cur);
            have = 0;
        }
        if (have)
            sb_puts(&cur, "\n\n");
        sb_puts(&cur, m->content);
        role = m->role;
        have = 1;
    }
    if (have && role == LLM_ASSISTANT)
        while (cur.len && strchr(" \t\r\n", cur.buf[cur.len - 1]))
            cur.buf[--cur.len] = 0;
    if (have)
        msg_add(msgs, role == LLM_USER ? "user" : "assistant", sb_str(&cur));
    sb_free(&cur);
}

cJSON *anthropic_body(const llm_request *req, const char *model, const model_info *mi,
                      int max_tokens)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", model);
    cJSON_AddNumberToObject(root, "max_tokens", max_tokens);
    sb system = {0};
    system_text(req, &system);
    cJSON *msgs = cJSON_AddArrayToObject(root, "messages");
    add_turns(msgs, req);
    /* Only system messages: the API needs a user turn, so they become it
     * (and a request with no words at all still gets a non-empty one). */
    if (cJSON_GetArraySize(msgs) == 0)
        msg_add(msgs, "user", system.len && !blank(sb_str(&system)) ? sb_str(&system)
                                                                     : "(continue)");
    else if (system.len && !blank(sb_str(&system)))
        cJSON_AddStringToObject(root, "system", sb_str(&system));
    sb_free(&system);
    if (req->temperature >= 0 && mi->temperature)
        cJSON_AddNumberToObject(root, "temperature", req->temperature > 1 ? 1 : req->temperature);
    if (req->func_name) {
        cJSON *tool = cJSON_CreateObject();
        cJSON_AddStringToObject(tool, "name", req->func_name);
        if (req->func_description)
            cJSON_AddStringToObject(tool, "description", req->func_description);
        cJSON_AddItemToObject(tool, "input_schema", req->func_schema
                              ? cJSON_Duplicate(req->func_schema, 1)
                              : cJSON_Parse("{\"type\":\"object\",\"properties\":{}}"));
        cJSON_AddItemToArray(cJSON_AddArrayToObject(root, "tools"), tool);
        cJSON *choice = cJSON_AddObjectToObject(root, "tool_choice");
        cJSON_AddStringToObject(choice, "type", "tool");
        cJSON_AddStringToObject(choice, "name", req->func_name);
    }
    return root;
}

int anthropic_parse(llm_response *r, const cJSON *root, const char *func_name)
{
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(root, "content");
    if (!cJSON_IsArray(content))
        return err_set("reply has no content array");
    sb text = {0};
    const cJSON *tool = NULL, *block;
    cJSON_ArrayForEach(block, content) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(block, "type");
        if (!cJSON_IsString(type))
            continue;
        if (strcmp(type->valuestring, "text") == 0) {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(block, "text");
            if (cJSON_IsString(t))
                sb_puts(&text, t->valuestring);
        } else if (strcmp(type->valuestring, "tool_use") == 0) {
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(block, "name");
            int match = cJSON_IsString(name) && func_name &&
                        strcmp(name->valuestring, func_name) == 0;
            if (!tool || match)
                tool = block;
        }
    }
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(tool, "input");
    if (cJSON_IsObject(input))
        r->func_args = cJSON_Duplicate(input, 1);
    r->text = sb_steal(&text);
    if (!r->text)
        r->text = xstrdup("");
    const cJSON *stop = cJSON_GetObjectItemCaseSensitive(root, "stop_reason");
    r->finish_reason = xstrdup(cJSON_IsString(stop) ? stop->valuestring : "");
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    long writes = json_count(usage, "cache_creation_input_tokens");
    long reads = json_count(usage, "cache_read_input_tokens");
    r->usage.input_tokens = json_count(usage, "input_tokens") + writes + reads;
    r->usage.output_tokens = json_count(usage, "output_tokens");
    r->usage.cached_tokens = writes + reads;
    r->usage.cache_write_tokens = writes;
    return 0;
}

/* ---- the provider ---------------------------------------------------------- */

static int anthropic_setup(llm_client *c, const llm_config *cfg)
{
    return provider_http_setup(c, cfg, "https://api.anthropic.com", "/v1/messages");
}

static cJSON *anthropic_provider_body(const llm_client *c, const llm_request *req,
                                      int max_tokens)
{
    return anthropic_body(req, c->model, &c->info, max_tokens);
}

static size_t anthropic_headers(const llm_client *c, const char **h, char **auth)
{
    size_t n = 0;
    h[n++] = "anthropic-version: 2023-06-01";
    if (c->key)
        h[n++] = *auth = xasprintf("x-api-key: %s", c->key);
    return n;
}

const provider provider_anthropic = {
    .name = "anthropic",
    .model_hint = "PROVIDER:MODEL",
    .key_env = "ANTHROPIC_API_KEY",
    .setup = anthropic_setup,
    .body = anthropic_provider_body,
    .price = provider_http_price,
    .headers = anthropic_headers,
    .parse = anthropic_parse,
    .usage_in = "input_tokens",
    .usage_out = "output_tokens",
};

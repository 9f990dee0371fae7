/*
 * openai.c: the Chat Completions wire format ({base}/chat/completions).
 *
 * Body: model, messages [{role, content}] with every system message merged
 * into one leading instruction message (role "system", or "developer" where
 * the model table says so: OpenAI's o-series and gpt-5; or "user" for o1-preview
 * and o1-mini, which refuse instructions of any role), and either max_tokens (classic models and
 * the many compatible servers that only know it) or max_completion_tokens
 * plus reasoning_effort (reasoning models, which also refuse temperature).
 * Which is which comes from the model table (prices.c), name patterns only
 * as a fallback. A forced function is `tools: [{type: function, function:
 * {name, description, parameters}}]` with `tool_choice: {type: function,
 * function: {name}}`.
 *
 * Reply: choices[0].message.content (text, may be null, or an array of text
 * parts on some compatible servers; DeepSeek's reasoning_content is the
 * model's thinking, not its answer, and is left out) and
 * .tool_calls[0].function.arguments (a JSON *string*, parsed here; when it
 * does not parse, the raw string becomes the text so the review's
 * JSON-in-text fallback still sees it), finish_reason, and usage:
 * prompt_tokens (cached included), completion_tokens (reasoning included),
 * prompt_tokens_details.cached_tokens, completion_tokens_details.
 * reasoning_tokens (and what compatible servers say instead: below).
 */
#include "llm_int.h"

#include <stdlib.h>
#include <string.h>

static const char *role_name(llm_role r)
{
    return r == LLM_SYSTEM ? "system" : r == LLM_USER ? "user" : "assistant";
}

static void add_tools(cJSON *root, const llm_request *req)
{
    cJSON *tools = cJSON_AddArrayToObject(root, "tools");
    cJSON *tool = cJSON_CreateObject();
    cJSON_AddStringToObject(tool, "type", "function");
    cJSON *fn = cJSON_AddObjectToObject(tool, "function");
    cJSON_AddStringToObject(fn, "name", req->func_name);
    if (req->func_description)
        cJSON_AddStringToObject(fn, "description", req->func_description);
    cJSON_AddItemToObject(fn, "parameters", req->func_schema
                          ? cJSON_Duplicate(req->func_schema, 1)
                          : cJSON_Parse("{\"type\":\"object\",\"properties\":{}}"));
    cJSON_AddItemToArray(tools, tool);
    cJSON *choice = cJSON_AddObjectToObject(root, "tool_choice");
    cJSON_AddStringToObject(choice, "type", "function");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(choice, "function"), "name", req->func_name);
}

cJSON *openai_body(const llm_request *req, const char *model, const model_info *mi,
                   const char *effort, int max_tokens)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", model);
    cJSON *msgs = cJSON_AddArrayToObject(root, "messages");
    sb system = {0};
    system_text(req, &system);
    if (system.len)
        msg_add(msgs, *mi->system_role ? mi->system_role : "system", sb_str(&system));
    sb_free(&system);
    for (size_t i = 0; i < req->n_messages; i++)
        if (req->messages[i].role != LLM_SYSTEM)
            msg_add(msgs, role_name(req->messages[i].role), req->messages[i].content);
    if (mi->reasoning) {
        cJSON_AddNumberToObject(root, "max_completion_tokens", max_tokens);
        if (effort && *effort)
            cJSON_AddStringToObject(root, "reasoning_effort", effort);
    } else {
        cJSON_AddNumberToObject(root, "max_tokens", max_tokens);
    }
    if (req->temperature >= 0 && mi->temperature)
        cJSON_AddNumberToObject(root, "temperature", req->temperature);
    if (req->func_name)
        add_tools(root, req);
    return root;
}

/* Two ways compatible servers stray from OpenAI's usage, both handled here
 * because both misprice a run:
 * - DeepSeek reports cache hits as prompt_cache_hit_tokens, not under
 *   prompt_tokens_details; read as fresh input they cost full price.
 * - OpenAI defines total_tokens = prompt_tokens + completion_tokens, with
 *   reasoning inside completion_tokens. Gemini (and layers translating it)
 *   may leave its thinking out of completion_tokens yet count it in
 *   total_tokens, which it bills as output; the gap is that thinking. */
static void parse_usage(llm_usage *u, const cJSON *usage)
{
    u->input_tokens = json_count(usage, "prompt_tokens");
    u->output_tokens = json_count(usage, "completion_tokens");
    u->cached_tokens = json_count(cJSON_GetObjectItemCaseSensitive(usage, "prompt_tokens_details"),
                           "cached_tokens");
    if (!u->cached_tokens)
        u->cached_tokens = json_count(usage, "prompt_cache_hit_tokens");
    u->reasoning_tokens = json_count(cJSON_GetObjectItemCaseSensitive(usage, "completion_tokens_details"),
                              "reasoning_tokens");
    long uncounted = json_count(usage, "total_tokens") - u->input_tokens - u->output_tokens;
    if (uncounted > 0) {
        u->output_tokens += uncounted;
        if (u->reasoning_tokens < uncounted)
            u->reasoning_tokens = uncounted;
    }
}

/* The arguments of the tool call to func_name (or the first one): a JSON
 * string per the API, an object from some compatible servers. */
static const cJSON *tool_arguments(const cJSON *msg, const char *func_name)
{
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(msg, "tool_calls");
    const cJSON *first = NULL;
    const cJSON *call;
    cJSON_ArrayForEach(call, calls) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(call, "function");
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(fn, "name");
        if (!cJSON_IsString(args) && !cJSON_IsObject(args))
            continue;
        if (cJSON_IsString(name) && func_name && strcmp(name->valuestring, func_name) == 0)
            return args;
        if (!first)
            first = args;
    }
    return first;
}

/* content as a string, or as an array of parts ({type: text, text}) as some
 * compatible servers send it; other parts (images, refusals) are skipped. */
static void content_text(const cJSON *content, sb *out)
{
    if (cJSON_IsString(content)) {
        sb_puts(out, content->valuestring);
        return;
    }
    const cJSON *part;
    cJSON_ArrayForEach(part, content) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");
        if (cJSON_IsString(part))
            sb_puts(out, part->valuestring);
        else if (cJSON_IsString(t))
            sb_puts(out, t->valuestring);
    }
}

int openai_parse(llm_response *r, const cJSON *root, const char *func_name)
{
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    const cJSON *choice = cJSON_GetArrayItem(choices, 0);
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(choice, "message");
    if (!cJSON_IsObject(msg))
        return err_set("reply has no choices[0].message");
    sb text = {0};
    content_text(cJSON_GetObjectItemCaseSensitive(msg, "content"), &text);
    /* A refusal comes with null content; its words are the only clue. */
    const cJSON *refusal = cJSON_GetObjectItemCaseSensitive(msg, "refusal");
    if (!text.len && cJSON_IsString(refusal))
        sb_puts(&text, refusal->valuestring);
    const cJSON *args = tool_arguments(msg, func_name);
    cJSON *parsed = cJSON_IsObject(args) ? cJSON_Duplicate(args, 1)
                  : args ? cJSON_Parse(args->valuestring) : NULL;
    if (cJSON_IsObject(parsed)) {
        r->func_args = parsed;
    } else if (args && func_name) {
        /* The forced call came back with arguments that are not a JSON
         * object (cut off, or not JSON at all): an unusable reply. */
        cJSON_Delete(parsed);
        sb_free(&text);
        return err_set("the arguments of the function call %s are not a JSON object",
                       func_name);
    } else if (args) {
        cJSON_Delete(parsed);
        if (text.len)
            sb_putc(&text, '\n');
        sb_puts(&text, args->valuestring);
    }
    r->text = xstrdup(sb_str(&text));
    sb_free(&text);
    const cJSON *fr = cJSON_GetObjectItemCaseSensitive(choice, "finish_reason");
    r->finish_reason = xstrdup(cJSON_IsString(fr) ? fr->valuestring : "");
    parse_usage(&r->usage, cJSON_GetObjectItemCaseSensitive(root, "usage"));
    return 0;
}

/* ---- the provider ---------------------------------------------------------- */

static int openai_setup(llm_client *c, const llm_config *cfg)
{
    return provider_http_setup(c, cfg, "https://api.openai.com/v1", "/chat/completions");
}

static cJSON *openai_provider_body(const llm_client *c, const llm_request *req, int max_tokens)
{
    return openai_body(req, c->model, &c->info, c->effort, max_tokens);
}

/* A local compatible server may take no key at all: then no header. */
static size_t openai_headers(const llm_client *c, const char **h, char **auth)
{
    if (!c->key)
        return 0;
    h[0] = *auth = xasprintf("Authorization: Bearer %s", c->key);
    return 1;
}

const provider provider_openai = {
    .name = "openai",
    .model_hint = "PROVIDER:MODEL",
    .key_env = "OPENAI_API_KEY",
    .setup = openai_setup,
    .body = openai_provider_body,
    .price = provider_http_price,
    .headers = openai_headers,
    .parse = openai_parse,
    .usage_in = "prompt_tokens",
    .usage_out = "completion_tokens",
    .choice_errors = 1,
};

/*
 * verdict.c: what one finished HTTP exchange means -- a usable reply, or an
 * error that says what went wrong, where, and whether trying again can help.
 *
 * Transport failures quote libcurl's specific message (and a reply cut off
 * at HTTP_MAX_BODY says so). A 2xx body is parsed by the provider's parser;
 * one that is not JSON, or not the expected shape, or that carries an
 * "error" object instead of a reply (OpenRouter and some gateways answer
 * 200 with the upstream's failure, in the body or in its choice), is an
 * error quoting the body's first bytes, and retried like a 5xx. A 3xx is reported with its Location and never followed: a
 * redirect would carry the key to another host. Other statuses carry the
 * server's own message and a hint. Retry decisions come from retry.c,
 * unless the server's x-should-retry header says otherwise, with one
 * exception read from the body: OpenAI's 429 "insufficient_quota" is an
 * empty account, not a rate limit, and waiting will not fill it.
 *
 * Every error names the endpoint in its shown form (secrets in the query
 * hidden) and, when the server sent one, its request id -- the first thing
 * a provider's support asks for.
 */
#include "llm_int.h"

#include <stdlib.h>
#include <string.h>

/* A hint for a status that will not pass; caller frees. */
static char *status_hint(const llm_client *c, long status)
{
    if (status == 401 || status == 403)
        return c->key ? xasprintf(" (check the key in %s, and that it may use this model)",
                                  c->key_env)
                      : xasprintf(" (no key was sent: set %s)", c->key_env);
    if (status == 404)
        return xstrdup(" (check --base-url and the model name)");
    return xstrdup("");
}

/* " [request-id X]" or "" */
static char *request_id_note(const http_req *hr)
{
    return hr->request_id[0] ? xasprintf(" [request-id %s]", hr->request_id) : xstrdup("");
}

static char *quote(const http_req *hr)
{
    return body_quote(sb_str(&hr->resp), hr->resp.len, 200);
}

/* The error object's code or type, "" when there is none. */
static const char *error_code(const cJSON *root)
{
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(error_root(root), "error");
    static const char *const fields[] = {"code", "type"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(err, fields[i]);
        if (cJSON_IsString(v))
            return v->valuestring;
    }
    return "";
}

static char *transport_error(const llm_client *c, const http_req *hr, int *retry)
{
    if (hr->too_big)
        return xasprintf("%s: POST %s: the reply passed %zu MB and was cut off (a broken or "
                         "hostile server; check --base-url)", c->provider, c->ep.shown,
                         HTTP_MAX_BODY >> 20);
    *retry = retry_curl_retryable(hr->result);
    int unreachable = hr->result == CURLE_COULDNT_CONNECT ||
                      hr->result == CURLE_COULDNT_RESOLVE_HOST ||
                      hr->result == CURLE_COULDNT_RESOLVE_PROXY;
    /* libcurl's error buffer is the specific message; its strerror the
     * generic one, kept for when the buffer is empty. */
    return xasprintf("%s: POST %s: %s%s", c->provider, c->ep.shown,
                     hr->errbuf[0] ? hr->errbuf : curl_easy_strerror(hr->result),
                     unreachable ? " (the endpoint is unreachable: is the server running and "
                                   "listening there? check --base-url, the host name and the "
                                   "network or proxy settings)" : "");
}

/* The object whose "error" a 2xx body carries instead of a reply, or NULL.
 * Either the body's own (OpenRouter and gateways when the upstream failed
 * before answering), or, in chat completions, the first choice's: OpenRouter
 * answers 200 once generation has begun, and an upstream failure after that
 * ends the choice with finish_reason "error" and the details, if any, in
 * choices[0].error -- a reply with no answer in it, not an empty success. */
static const cJSON *error_holder(const llm_client *c, const cJSON *root, int *in_choice)
{
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
    *in_choice = 0;
    if (err && !cJSON_IsNull(err) && !cJSON_HasObjectItem(root, "choices") &&
        !cJSON_HasObjectItem(root, "content"))
        return root;
    if (!provider_of(c)->choice_errors)
        return NULL;
    const cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "choices"), 0);
    const cJSON *cerr = cJSON_GetObjectItemCaseSensitive(choice, "error");
    const cJSON *fr = cJSON_GetObjectItemCaseSensitive(choice, "finish_reason");
    if ((cerr && !cJSON_IsNull(cerr)) ||
        (cJSON_IsString(fr) && strcmp(fr->valuestring, "error") == 0)) {
        *in_choice = 1;
        return choice;
    }
    return NULL;
}

/* A 2xx: parse it into r, or say why it is unusable. */
static char *success_body(const llm_client *c, const llm_request *req, llm_response *r,
                          const http_req *hr, const cJSON *root, int *retry)
{
    int in_choice = 0, rc;
    const cJSON *holder = root ? error_holder(c, root, &in_choice) : NULL;
    if (!root) {
        rc = err_set("body is not JSON");
    } else if (holder) {
        char *msg = provider_error_message(holder);
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(holder, "error"), "code");
        /* The code is the upstream's HTTP status where one is given; a
         * generation that failed midway with no code is the upstream's
         * trouble too, and as transient as a 502. */
        /* a code outside any HTTP status (1e300, NaN: the server's JSON is
         * anything) is no status: converting it to long is undefined */
        int status_code = cJSON_IsNumber(code) && code->valuedouble >= 100 &&
                          code->valuedouble < 1000;
        *retry = status_code ? retry_status_retryable((long)code->valuedouble) : in_choice;
        rc = err_set("the server reported an error instead of a reply: %s",
                     msg ? msg : in_choice ? "the generation ended with finish_reason "
                                             "\"error\"" : "(no message)");
        free(msg);
    } else {
        rc = provider_of(c)->parse(r, root, req->func_name);
    }
    if (rc == 0)
        return NULL;
    /* No usable completion in a 200 (an HTML page from a proxy, not JSON,
     * no choices, no message, a function call whose arguments do not
     * parse) is the endpoint's fault and as transient as a 502. */
    if (!holder)
        *retry = 1;
    char *q = quote(hr), *id = request_id_note(hr);
    char *e = xasprintf("%s: POST %s: HTTP %ld but the reply is unusable (%s)%s: %s",
                        c->provider, c->ep.shown, hr->status, err_last(), id, q);
    free(q);
    free(id);
    return e;
}

static char *failure_body(const llm_client *c, const llm_request *req, llm_response *r,
                          const http_req *hr, const cJSON *root, int *retry)
{
    if (hr->status >= 300 && hr->status < 400)
        return xasprintf("%s: POST %s: HTTP %ld: the server redirects to %s; grove does not "
                         "follow redirects (they would carry the key along): use that address "
                         "as --base-url", c->provider, c->ep.shown, hr->status,
                         hr->location[0] ? hr->location : "(no Location header)");
    char *msg = provider_error_message(root);
    if (!msg)
        msg = quote(hr);
    *retry = retry_status_retryable(hr->status);
    /* OpenAI and Anthropic may say outright whether to try again, and their
     * own SDKs obey that before looking at the status: a 5xx that will fail
     * the same way is not retried, a transient 4xx is. Except that 400, 401,
     * 403 and 404 are never retried: a bad request, key, permission or path
     * fails the same way again, whatever a proxy's header claims. */
    int never = hr->status == 400 || hr->status == 401 || hr->status == 403 ||
                hr->status == 404;
    if (strcmp(hr->should_retry, "false") == 0)
        *retry = 0;
    else if (strcmp(hr->should_retry, "true") == 0 && !never)
        *retry = 1;
    char *hint = status_hint(c, hr->status);
    if (hr->status == 429 && strcmp(error_code(root), "insufficient_quota") == 0) {
        *retry = 0;
        free(hint);
        hint = xstrdup(" (the account is out of credit: waiting will not help)");
    }
    if (hr->status == 400 && req->func_name && (strstr(msg, "tool") || strstr(msg, "function")))
        r->tools_unsupported = 1;
    char *id = request_id_note(hr);
    char *e = xasprintf("%s: POST %s: HTTP %ld: %s%s%s", c->provider, c->ep.shown, hr->status,
                        msg, hint, id);
    free(hint);
    free(id);
    free(msg);
    return e;
}

/* 1 when the reply states its token counts (compatible servers may not). */
static int usage_reported(const llm_client *c, const cJSON *root)
{
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(root, "usage");
    const provider *p = provider_of(c);
    return cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(u, p->usage_in)) &&
           cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(u, p->usage_out));
}

char *verdict(const llm_client *c, const llm_request *req, llm_response *r, const http_req *hr,
              int *retry, int *usage_known)
{
    *retry = 0;
    *usage_known = 0;
    if (hr->result != CURLE_OK || hr->too_big)
        return transport_error(c, hr, retry);
    cJSON *root = cJSON_ParseWithLength(hr->resp.buf ? hr->resp.buf : "", hr->resp.len);
    char *error;
    if (hr->status >= 200 && hr->status < 300) {
        error = success_body(c, req, r, hr, root, retry);
        *usage_known = !error && usage_reported(c, root);
    } else {
        error = failure_body(c, req, r, hr, root, retry);
    }
    cJSON_Delete(root);
    return error;
}

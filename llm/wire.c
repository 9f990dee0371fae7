/*
 * wire.c: what both protocols share when a reply goes wrong -- the server's
 * own error message, and a safe quotation of a body that is not JSON.
 *
 * Error bodies seen in the wild: OpenAI {"error": {"message", "type",
 * "code"}}, Anthropic {"type": "error", "error": {"type", "message"}},
 * Google's APIs (Gemini's compatible endpoint) the array [{"error":
 * {"code", "message", "status", "details"}}], Ollama and some proxies
 * {"error": "text"}, others {"message": "text"} or {"detail": "text"}. Anything else is quoted, bounded and escaped, so an
 * HTML 502 page or a truncated body reads as a clue, not as a crash or a
 * screenful. A few small JSON helpers both protocols share live here too.
 */
#include "llm_int.h"

#include <string.h>

/* The object holding an error: the body itself, or the first element of a
 * body that is an array -- Google's APIs, Gemini's OpenAI-compatible
 * endpoint included, answer [{"error": {"code", "message", "status",
 * "details"}}]. */
const cJSON *error_root(const cJSON *root)
{
    return cJSON_IsArray(root) ? cJSON_GetArrayItem(root, 0) : root;
}

char *provider_error_message(const cJSON *root)
{
    root = error_root(root);
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (cJSON_IsString(err))
        return xstrdup(err->valuestring);
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(err, "message");
    if (cJSON_IsString(msg)) {
        /* OpenAI and Anthropic name the kind in "type", Google in "status" */
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(err, "type");
        if (!cJSON_IsString(type))
            type = cJSON_GetObjectItemCaseSensitive(err, "status");
        if (cJSON_IsString(type) && *type->valuestring)
            return xasprintf("%s (%s)", msg->valuestring, type->valuestring);
        return xstrdup(msg->valuestring);
    }
    static const char *const fields[] = {"message", "detail"};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, fields[i]);
        if (cJSON_IsString(m))
            return xstrdup(m->valuestring);
    }
    return NULL;
}

void msg_add(cJSON *arr, const char *role, const char *content)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", role);
    cJSON_AddStringToObject(m, "content", content);
    cJSON_AddItemToArray(arr, m);
}

long json_count(const cJSON *obj, const char *field)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);
    /* An absurd count (1e300) reads as absent: converting it to long is
     * undefined, and sums of such counts would overflow. */
    return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e15
           ? (long)v->valuedouble : 0;
}

void system_text(const llm_request *req, sb *out)
{
    for (size_t i = 0; i < req->n_messages; i++)
        if (req->messages[i].role == LLM_SYSTEM) {
            if (out->len)
                sb_puts(out, "\n\n");
            sb_puts(out, req->messages[i].content);
        }
}

char *body_quote(const char *body, size_t len, size_t n)
{
    sb q = {0};
    sb_putc(&q, '"');
    size_t i;
    for (i = 0; i < len && i < n; i++) {
        unsigned char ch = (unsigned char)body[i];
        if (ch == '\n')
            sb_puts(&q, "\\n");
        else if (ch == '"' || ch == '\\')
            sb_printf(&q, "\\%c", ch);
        else if (ch < 0x20 || ch == 0x7f)
            sb_printf(&q, "\\x%02x", ch);
        else
            sb_putc(&q, (char)ch);
    }
    sb_putc(&q, '"');
    if (i < len)
        sb_printf(&q, " (first %zu of %zu bytes)", i, len);
    else if (len == 0)
        sb_puts(&q, " (empty body)");
    return sb_steal(&q);
}

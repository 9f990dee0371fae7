/*
 * endpoint.c: the endpoint URL a client posts to, the form of it that may be
 * shown, and the secrets it carries.
 *
 * The base URL is parsed with libcurl's URL API and the provider's path is
 * appended to its *path*, so a base with a query string
 * ("https://host/v1beta/openai?key=...", as some gateways want) keeps the
 * query where it belongs instead of growing "/chat/completions" inside it.
 *
 * A query can hold a key. What is shown -- in error messages, on stderr, in
 * llm.jsonl -- is the URL with the value of every secret-looking parameter
 * (a name containing key, token, secret, sig, auth or password, or any value
 * of 20 characters or more) replaced by [REDACTED], and those values join
 * the client's list of strings scrubbed from every log line and error.
 */
#include "llm_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int secret_param(const char *name, size_t name_len, size_t value_len)
{
    static const char *const words[] = {"key", "token", "secret", "sig", "auth", "password"};
    if (value_len >= 20)
        return 1;
    char lower[64];
    size_t n = name_len < sizeof lower - 1 ? name_len : sizeof lower - 1;
    for (size_t i = 0; i < n; i++)
        lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    lower[n] = 0;
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strstr(lower, words[i]))
            return 1;
    return 0;
}

/* The query with secret values hidden into *shown; the secret values are
 * appended to secrets (NULL-terminated, room for n_max). */
static void scrub_query(const char *query, sb *shown, char **secrets, size_t n_max)
{
    size_t n = 0;
    while (secrets[n])
        n++;
    const char *p = query;
    while (*p) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t name_len = eq ? (size_t)(eq - p) : len;
        size_t value_len = eq ? len - name_len - 1 : 0;
        if (eq && value_len && secret_param(p, name_len, value_len)) {
            sb_printf(shown, "%.*s=[REDACTED]", (int)name_len, p);
            if (n + 1 < n_max)
                secrets[n++] = xasprintf("%.*s", (int)value_len, eq + 1);
        } else {
            sb_append(shown, p, len);
        }
        p += len;
        if (*p == '&')
            sb_putc(shown, *p++);
    }
}

/* The base with every trailing slash of its path removed, and `suffix`
 * appended to the path (not after the query). */
static int join_path(CURLU *u, const char *suffix)
{
    char *path = NULL;
    if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
        return -1;
    size_t n = strlen(path);
    while (n && path[n - 1] == '/')
        n--;
    const char *add = suffix;
    /* accept an Anthropic base with or without /v1 */
    if (strcmp(suffix, "/v1/messages") == 0 && n >= 3 && strncmp(path + n - 3, "/v1", 3) == 0)
        add = "/messages";
    char *joined = xasprintf("%.*s%s", (int)n, path, add);
    curl_free(path);
    CURLUcode uc = curl_url_set(u, CURLUPART_PATH, joined, 0);
    free(joined);
    return uc == CURLUE_OK ? 0 : -1;
}

int endpoint_url(endpoint *out, const char *base, const char *suffix)
{
    memset(out, 0, sizeof *out);
    CURLU *u = curl_url();
    char *scheme = NULL, *url = NULL, *query = NULL;
    int ok = u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
             (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) &&
             join_path(u, suffix) == 0 && curl_url_get(u, CURLUPART_URL, &url, 0) == CURLUE_OK;
    if (!ok) {
        curl_free(scheme);
        curl_url_cleanup(u);
        size_t shown = strcspn(base, "?");
        return err_set("llm: --base-url '%.*s%s' is not an http(s) URL (e.g. "
                       "http://localhost:8000/v1)", (int)shown, base,
                       base[shown] ? "?..." : "");
    }
    out->url = xstrdup(url);
    sb shown = {0};
    if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK && query && *query) {
        sb_append(&shown, url, strcspn(url, "?"));
        sb_putc(&shown, '?');
        scrub_query(query, &shown, out->secrets, ENDPOINT_MAX_SECRETS);
    } else {
        sb_puts(&shown, url);
    }
    out->shown = sb_steal(&shown);
    curl_free(query);
    curl_free(url);
    curl_free(scheme);
    curl_url_cleanup(u);
    return 0;
}

void endpoint_free(endpoint *e)
{
    free(e->url);
    free(e->shown);
    for (size_t i = 0; e->secrets[i]; i++) {
        memset(e->secrets[i], 0, strlen(e->secrets[i]));
        free(e->secrets[i]);
    }
    memset(e, 0, sizeof *e);
}

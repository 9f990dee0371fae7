/*
 * retry.c: which failures deserve another attempt, and how long to wait.
 *
 * Retried: 408 (request timeout), 409 (conflict; OpenAI uses it for
 * transient lock contention), 429 (rate limit), every 5xx (including
 * Anthropic's 529 "overloaded"), and transport failures that a new
 * connection can cure (refused, reset, timed out, truncated body). Not
 * retried: other 4xx -- a bad key or an unknown model does not improve with
 * time, and retrying it only multiplies the bill and the wait -- and TLS
 * verification failures, which must stay loud.
 *
 * The wait is exponential backoff with "full jitter" (a uniform draw in
 * [0, base * 2^n)), which spreads a fleet of clients that were throttled
 * together; a server's Retry-After overrides it, and so does the wait an
 * error body names where the server sends no such header (Google). The RNG is the client's own
 * seeded xorshift state, so a seeded run waits the same way twice.
 */
#include "llm_int.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int retry_status_retryable(long status)
{
    return status == 408 || status == 409 || status == 429 || (status >= 500 && status <= 599);
}

int retry_curl_retryable(CURLcode code)
{
    switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
    case CURLE_PROXY:
    case CURLE_BAD_CONTENT_ENCODING:
        return 1;
    default:
        return 0;
    }
}

double retry_after_seconds(const char *retry_after, const char *retry_after_ms,
                           double now_wall)
{
    if (retry_after_ms && *retry_after_ms) {
        char *end;
        double v = strtod(retry_after_ms, &end);
        if (end != retry_after_ms && *end == 0 && isfinite(v) && v >= 0)
            return v / 1000.0;
    }
    if (!retry_after || !*retry_after)
        return -1;
    char *end;
    double v = strtod(retry_after, &end);
    if (end != retry_after && *end == 0)
        return isfinite(v) && v >= 0 ? v : -1;
    /* An HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT"); a date in the past
     * means "now". */
    time_t t = curl_getdate(retry_after, NULL);
    if (t == (time_t)-1)
        return -1;
    double d = (double)t - now_wall;
    return d > 0 ? d : 0;
}

/* Google's APIs give no Retry-After header: a 429 (RESOURCE_EXHAUSTED)
 * says how long to wait in a RetryInfo detail of the error body, as a
 * protobuf Duration in JSON ("37s", "0.5s"). Per-minute quotas there want
 * waits of tens of seconds, past what the first backoff steps would try, so
 * without this every attempt is spent before the quota refills. */
double retry_body_delay(const char *body, size_t len)
{
    cJSON *root = body ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(error_root(root), "error");
    const cJSON *detail;
    double wait = -1;
    cJSON_ArrayForEach(detail, cJSON_GetObjectItemCaseSensitive(err, "details")) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(detail, "retryDelay");
        if (!cJSON_IsString(d))
            continue;
        char *end;
        double v = strtod(d->valuestring, &end);
        if (end != d->valuestring && strcmp(end, "s") == 0 && isfinite(v) && v >= 0) {
            wait = v;
            break;
        }
    }
    cJSON_Delete(root);
    return wait;
}

uint64_t rng_next(uint64_t *state)
{
    /* splitmix64: good enough for jitter, and a zero seed still works */
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double retry_backoff(uint64_t *rng, int attempt, double base_s, double cap_s)
{
    double ceiling = base_s * ldexp(1.0, attempt > 1 ? (attempt - 1 < 30 ? attempt - 1 : 30) : 0);
    if (ceiling > cap_s)
        ceiling = cap_s;
    double u = (double)(rng_next(rng) >> 11) / 9007199254740992.0; /* [0, 1) */
    assert(u >= 0.0 && u < 1.0);
    return u * ceiling;
}

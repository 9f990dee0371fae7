/*
 * job.c: one request's life, from llm_submit to its callback.
 *
 *   submit -> [timer 0] attempt -> http done -> retry? -> [timer: backoff]
 *          -> attempt ... -> finish (accounting, log) -> [timer 0] deliver
 *
 * Each job owns a uv_timer_t used for every "later": the first attempt, the
 * backoff between attempts, and the delivery of the result. Going through
 * the loop for delivery means the caller's callback never runs inside
 * llm_submit() nor inside a libcurl callback, so it may submit more work or
 * free the client. The job is freed when its timer has closed.
 *
 * The request's limit (total_timeout_s) bounds every attempt and every
 * wait together: each attempt gets what is left of it, and no retry starts
 * that could not finish in time. Per attempt, a 6-attempt request to a
 * server that never answers waited six limits.
 *
 * Accounting happens once, at finish: tokens and cost go into the response
 * and the client's totals. Every HTTP attempt is one llm.jsonl line; the
 * final one carries the usage, the cost and the neutral reply for replay.
 */
#include "llm_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

enum { JOB_ATTEMPT, JOB_DELIVER };

struct llm_job {
    llm_client *c;
    llm_job *prev, *next;
    llm_done_cb cb;
    void *data;
    llm_request req;        /* deep copy; its pointers are owned below */
    llm_message *msgs;
    cJSON *schema, *context;
    cJSON *exchange;        /* the request's exchange as JSON, or NULL */
    char key[EXCHANGE_KEY_MAX];
    cJSON *body;            /* what is sent (http) or the canonical request */
    char *body_text;
    char hash[17];
    uv_timer_t timer;
    int state;
    http_req *http;
    double t_submit, t_attempt, waited_s;
    int attempt;
    int usage_known;        /* the last reply stated its token counts */
    llm_response *resp;
};

static void copy_request(llm_job *j, const llm_request *req)
{
    j->req = *req;
    j->msgs = xcalloc(req->n_messages ? req->n_messages : 1, sizeof *j->msgs);
    for (size_t i = 0; i < req->n_messages; i++) {
        j->msgs[i].role = req->messages[i].role;
        j->msgs[i].content = xstrdup(req->messages[i].content);
    }
    j->req.messages = j->msgs;
    j->req.func_name = xstrdup(req->func_name);
    j->req.func_description = xstrdup(req->func_description);
    j->schema = req->func_schema ? cJSON_Duplicate(req->func_schema, 1) : NULL;
    j->context = req->context ? cJSON_Duplicate(req->context, 1) : NULL;
    j->req.func_schema = j->schema;
    j->req.context = j->context;
    j->req.tag = xstrdup(req->tag);
    j->req.exchange = NULL; /* kept as JSON below; its strings are the caller's */
    j->exchange = exchange_json(req->exchange);
    exchange_key(j->exchange, j->key);
}

static void free_job(uv_handle_t *h)
{
    llm_job *j = h->data;
    for (size_t i = 0; i < j->req.n_messages; i++)
        free((char *)j->msgs[i].content);
    free(j->msgs);
    free((char *)j->req.func_name);
    free((char *)j->req.func_description);
    free((char *)j->req.tag);
    cJSON_Delete(j->schema);
    cJSON_Delete(j->context);
    cJSON_Delete(j->exchange);
    cJSON_Delete(j->body);
    cJSON_free(j->body_text);
    llm_response_free(j->resp);
    free(j);
}

static void unlink_job(llm_job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        j->c->jobs = j->next;
    if (j->next)
        j->next->prev = j->prev;
    j->prev = j->next = NULL;
}

/* Hand the response to the caller and let the job go. */
static void deliver(llm_job *j)
{
    unlink_job(j);
    llm_response *r = j->resp;
    j->resp = NULL;
    uv_timer_stop(&j->timer);
    uv_close((uv_handle_t *)&j->timer, free_job);
    j->cb(r, j->data);
}

static void on_timer(uv_timer_t *t);

static void later(llm_job *j, int state, double delay_s)
{
    assert(state == JOB_ATTEMPT || state == JOB_DELIVER);
    assert(j->state != JOB_DELIVER); /* a delivery is the job's last step */
    j->state = state;
    uv_timer_start(&j->timer, on_timer, (uint64_t)(delay_s * 1000.0 + 0.5), 0);
}

static void log_exchange(llm_job *j, const http_req *hr, const char *error, int final)
{
    llm_client *c = j->c;
    log_entry e = {
        .tag = j->req.tag, .provider = c->provider, .model = c->model, .url = c->ep.shown,
        .hash = j->hash, .exchange = j->exchange, .attempt = j->attempt, .final = final,
        .status = hr ? hr->status : 0, .latency_s = clock_mono() - j->t_attempt,
        .total_latency_s = clock_mono() - j->t_submit, .request = j->body,
        .response = hr ? sb_str(&hr->resp) : NULL, .response_len = hr ? hr->resp.len : 0,
        .error = error, .resp = j->resp,
    };
    if (jsonl_append(c->log_path, c->secrets, &e) < 0)
        log_warn("llm: cannot write the log: %s", err_last());
}

/* error with every secret replaced: a server may echo the key (or the
 * URL's) in the message it quotes. Takes error, returns what to free. */
static char *scrub(const llm_client *c, char *error)
{
    char *clean = redact_all(error, c->secrets);
    if (clean != error)
        free(error);
    return clean;
}

/* The end of the road: accounting, the final log line, delivery. */
static void finish(llm_job *j, const http_req *hr, char *error)
{
    llm_client *c = j->c;
    llm_response *r = j->resp;
    /* once per request: the accounting below must not count it twice */
    assert(r && j->state == JOB_ATTEMPT && !j->http);
    r->attempts = j->attempt;
    r->latency_s = clock_mono() - j->t_submit;
    r->ok = error == NULL;
    if (error) {
        error = scrub(c, error);
        /* A failed exchange bills nothing -- unless the server said 2xx, when
         * we cannot know what it counted. */
        int billed = hr && hr->status >= 200 && hr->status < 300;
        memset(&r->usage, 0, sizeof r->usage);
        r->usage.cost_known = !billed;
        r->error = error;
    } else {
        provider_of(c)->price(c, r, j->usage_known);
    }
    c->n_requests++;
    c->totals.input_tokens += r->usage.input_tokens;
    c->totals.output_tokens += r->usage.output_tokens;
    c->totals.cached_tokens += r->usage.cached_tokens;
    c->totals.cache_write_tokens += r->usage.cache_write_tokens;
    c->totals.reasoning_tokens += r->usage.reasoning_tokens;
    if (r->usage.cost_known)
        c->totals.cost_usd += r->usage.cost_usd;
    else
        c->totals.cost_known = 0;
    log_exchange(j, hr, error, 1);
    later(j, JOB_DELIVER, 0);
}

/* Reset what a failed attempt may have half-filled. */
static void clear_reply(llm_response *r)
{
    free(r->text);
    cJSON_Delete(r->func_args);
    free(r->finish_reason);
    r->text = r->finish_reason = NULL;
    r->func_args = NULL;
    memset(&r->usage, 0, sizeof r->usage);
}

/* Seconds left of the request's own limit (total_timeout_s), which bounds
 * every attempt and every wait between them together: a server that
 * accepts and never answers costs that limit once, not once per attempt. */
static double time_left(const llm_job *j)
{
    return j->c->http.total_timeout_s - (clock_mono() - j->t_submit);
}

static void on_http_done(http_req *hr, void *data)
{
    llm_job *j = data;
    llm_client *c = j->c;
    j->http = NULL;
    j->resp->http_status = hr->status;
    int retry;
    char *error = verdict(c, &j->req, j->resp, hr, &retry, &j->usage_known);
    if (error) {
        clear_reply(j->resp);
        /* Scrubbed here, not only in finish(): the retry notice below goes
         * to stderr under --verbose. */
        error = scrub(c, error);
    }
    if (error && retry) {
        double ra = retry_after_seconds(hr->retry_after, hr->retry_after_ms, clock_wall());
        if (ra < 0)
            ra = retry_body_delay(hr->resp.buf, hr->resp.len);
        double wait = ra >= 0 ? ra : retry_backoff(&c->rng, j->attempt, c->retry_base_s, 60);
        if (j->attempt >= c->max_attempts) {
            char *e2 = xasprintf("%s (gave up after %d attempts)", error, j->attempt);
            free(error);
            error = e2;
        } else if (j->waited_s + wait > c->max_retry_wait_s) {
            char *e2 = xasprintf("%s (gave up after %d attempts: waiting %.1f s more would "
                                 "pass the %.0f s retry budget)", error, j->attempt, wait,
                                 c->max_retry_wait_s);
            free(error);
            error = e2;
        } else if (time_left(j) - wait < 0.1) {
            char *e2 = xasprintf("%s (gave up after %d attempt%s: the request's limit of "
                                 "%g s is spent)", error, j->attempt,
                                 j->attempt == 1 ? "" : "s", c->http.total_timeout_s);
            free(error);
            error = e2;
        } else {
            log_debug("llm: %s; retrying in %.2f s", error, wait);
            log_exchange(j, hr, error, 0);
            free(error);
            j->waited_s += wait;
            http_req_free(hr);
            later(j, JOB_ATTEMPT, wait);
            return;
        }
    }
    finish(j, hr, error);
    http_req_free(hr);
}

static void attempt_http(llm_job *j)
{
    llm_client *c = j->c;
    char *auth = NULL;
    const char *headers[5];
    size_t n = 0;
    headers[n++] = "Content-Type: application/json";
    headers[n++] = "Expect:"; /* no 100-continue round trip for large prompts */
    n += provider_of(c)->headers(c, headers + n, &auth);
    assert(n <= sizeof headers / sizeof *headers); /* a provider adds at most 2 */
    http_opts o = c->http;
    o.total_timeout_s = time_left(j) > 0.1 ? time_left(j) : 0.1;
    int rc = http_post(&j->http, c->multi, c->ep.url, headers, n, j->body_text, &o,
                       on_http_done, j);
    if (auth) {
        memset(auth, 0, strlen(auth));
        free(auth);
    }
    if (rc < 0)
        finish(j, NULL, xasprintf("%s", err_last()));
}

static void attempt_local(llm_job *j)
{
    llm_client *c = j->c;
    int rc = provider_of(c)->answer(c, &j->req, j->key, j->hash, j->resp);
    if (rc < 0) {
        clear_reply(j->resp);
        finish(j, NULL, xasprintf("%s: %s", c->provider, err_last()));
    } else {
        finish(j, NULL, NULL);
    }
}

static void on_timer(uv_timer_t *t)
{
    llm_job *j = t->data;
    if (j->state == JOB_DELIVER) {
        deliver(j);
        return;
    }
    assert(!j->http); /* one attempt at a time */
    j->attempt++;
    j->t_attempt = clock_mono();
    if (provider_of(j->c)->answer)
        attempt_local(j);
    else
        attempt_http(j);
}

int job_start(llm_client *c, const llm_request *req, llm_done_cb cb, void *data)
{
    llm_job *j = xcalloc(1, sizeof *j);
    j->c = c;
    j->cb = cb;
    j->data = data;
    copy_request(j, req);
    request_hash(&j->req, j->hash);
    j->body = provider_of(c)->body(c, &j->req, req->max_output_tokens > 0
                                                   ? req->max_output_tokens : c->max_tokens);
    /* the last guard: a strict endpoint answers 400 to a body that is not
     * UTF-8, which would fail every request of a run */
    j->body_text = utf8_fix(cJSON_PrintUnformatted(j->body));
    j->resp = xcalloc(1, sizeof *j->resp);
    j->t_submit = clock_mono();
    uv_timer_init(c->loop, &j->timer);
    j->timer.data = j;
    j->next = c->jobs;
    if (c->jobs)
        c->jobs->prev = j;
    c->jobs = j;
    later(j, JOB_ATTEMPT, 0);
    return 0;
}

void job_abort_all(llm_client *c)
{
    while (c->jobs) {
        llm_job *j = c->jobs;
        if (j->http) {
            http_cancel(j->http);
            j->http = NULL;
        }
        if (j->state != JOB_DELIVER) {
            clear_reply(j->resp);
            j->resp->attempts = j->attempt;
            j->resp->latency_s = clock_mono() - j->t_submit;
            j->resp->error = xasprintf("%s: the client was closed before the reply arrived",
                                       c->provider);
        }
        deliver(j);
    }
}

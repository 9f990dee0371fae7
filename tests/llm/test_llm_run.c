/*
 * test_llm_run.c: the llm client as a run uses it: many requests on one
 * loop (16 x 200 ms finish far sooner than 3.2 s), connection reuse,
 * totals, the run directory never holding the key, a recorded llm.jsonl
 * replayed with no server, a client freed with requests in flight, and
 * `grove llm ping` against the mock.
 */
#include "check.h"
#include "llm.h"
#include "mock.h"
#include "util.h"

#define KEY "sk-test-Rk4Wn9Ty2Hb6"

static char tmp[] = "/tmp/grove-llm-run-XXXXXX";

typedef struct tally {
    int done, ok;
    double last_done;
    llm_response *last;
} tally;

static void on_done(llm_response *r, void *data)
{
    tally *t = data;
    t->done++;
    t->ok += r->ok;
    if (!r->ok)
        fprintf(stderr, "request failed: %s\n", r->error);
    t->last_done = clock_mono();
    llm_response_free(t->last);
    t->last = r;
}

static llm_config cfg_for(const char *spec, const char *base, const char *log)
{
    llm_config c = {0};
    c.spec = spec;
    c.base_url = base;
    c.api_key_env = "GROVE_TEST_KEY";
    c.log_path = log;
    c.retry_base_s = 0.01;
    c.connect_timeout_s = 2;
    c.total_timeout_s = 10;
    return c;
}

static void test_concurrency(void)
{
    mock m;
    if (mock_start(&m, tmp, "{\"delay_all_ms\": 200}") < 0) {
        CHECK(0);
        return;
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    llm_config c = cfg_for("openai:gpt-4o-mini", m.openai, NULL);
    llm_client *cl;
    CHECK(llm_client_new(&cl, &loop, &c) == 0);
    tally t = {0};
    char text[16][32];
    llm_message msg[16];
    double t0 = clock_mono();
    for (int i = 0; i < 16; i++) {
        snprintf(text[i], sizeof text[i], "request %d", i);
        msg[i] = (llm_message){LLM_USER, text[i]};
        llm_request req = {.messages = &msg[i], .n_messages = 1, .temperature = -1};
        CHECK(llm_submit(cl, &req, on_done, &t) == 0);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    double dt = t.last_done - t0;
    CHECK(t.done == 16 && t.ok == 16);
    CHECK_MSG(dt < 1.6, "16 x 200 ms took %.2f s", dt);
    llm_usage u;
    long n;
    llm_client_totals(cl, &u, &n);
    CHECK(n == 16 && u.input_tokens == 16 * 11 && u.output_tokens == 16 * 7);
    CHECK(u.cost_known);
    CHECK_NEAR(u.cost_usd, 16 * (11 * 0.15 + 7 * 0.60) / 1e6, 1e-12);
    llm_response_free(t.last);
    llm_client_free(cl);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
    mock_stop(&m);
}

/* Two requests one after the other on one client share a connection; an
 * unknown model makes the totals' cost unknown. */
static void test_reuse_and_unknown_cost(void)
{
    mock m;
    if (mock_start(&m, tmp, "{}") < 0) {
        CHECK(0);
        return;
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    llm_config c = cfg_for("openai:my-finetune", m.openai, NULL);
    llm_client *cl;
    CHECK(llm_client_new(&cl, &loop, &c) == 0);
    llm_message msg = {LLM_USER, "again"};
    llm_request req = {.messages = &msg, .n_messages = 1, .temperature = -1};
    tally t = {0};
    for (int i = 0; i < 2; i++) {
        CHECK(llm_submit(cl, &req, on_done, &t) == 0);
        uv_run(&loop, UV_RUN_DEFAULT);
    }
    CHECK(t.ok == 2);
    CHECK(t.last && !t.last->usage.cost_known);
    llm_usage u;
    llm_client_totals(cl, &u, NULL);
    CHECK(!u.cost_known && u.input_tokens == 22);
    cJSON *sent = mock_requests(&m);
    const cJSON *p0 = jget(sent, "0.client_port"), *p1 = jget(sent, "1.client_port");
    CHECK(p0 && p1 && p0->valueint == p1->valueint);
    cJSON_Delete(sent);
    llm_response_free(t.last);
    llm_client_free(cl);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    mock_stop(&m);
}

static int dir_contains(const char *dir, const char *needle)
{
    char *cmd = xasprintf("grep -r -q -F -- '%s' '%s'", needle, dir);
    int rc = system(cmd);
    free(cmd);
    return rc == 0;
}

/* Record a run (a 429 whose message echoes the key, then replies), check
 * the run directory never holds the key, then replay it with no server. */
static void test_key_and_replay(void)
{
    char *run = path_join(tmp, "run");
    mkdir_p(run, 0755);
    char *log = path_join(run, "llm.jsonl");
    mock m;
    if (mock_start(&m, tmp, "{\"routes\": {\"/v1/chat/completions\": [{\"status\": 429, "
                   "\"json\": {\"error\": {\"message\": \"Rate limited for key " KEY "\"}}}]},"
                   " \"replies\": [\"first answer\", {\"function_args\": {\"x\": 1}}]}") < 0) {
        CHECK(0);
        goto out;
    }
    llm_config c = cfg_for("openai:gpt-4o", m.openai, log);
    cJSON *schema = cJSON_Parse("{\"type\":\"object\"}");
    llm_message m1 = {LLM_USER, "question one"}, m2 = {LLM_USER, "question two"};
    llm_request q1 = {.messages = &m1, .n_messages = 1, .temperature = -1, .tag = "node 1"};
    llm_request q2 = {.messages = &m2, .n_messages = 1, .temperature = -1, .tag = "node 2",
                      .func_name = "f", .func_schema = schema};
    llm_response *r1 = NULL, *r2 = NULL;
    CHECK(llm_complete_sync(&c, &q1, &r1) == 0 && r1 && r1->ok && r1->attempts == 2);
    CHECK(llm_complete_sync(&c, &q2, &r2) == 0 && r2 && r2->ok && r2->func_args);
    mock_stop(&m);
    CHECK(file_exists(log));
    CHECK_MSG(!dir_contains(run, KEY), "the key is in %s", run);
    CHECK(dir_contains(run, "[REDACTED]"));
    CHECK(dir_contains(run, "question one"));

    llm_config rc = {0};
    char *spec = xasprintf("replay:%s", log);
    rc.spec = spec;
    llm_response *p1 = NULL, *p2 = NULL, *p3 = NULL;
    CHECK(llm_complete_sync(&rc, &q2, &p2) == 0 && p2 && p2->ok);
    CHECK(llm_complete_sync(&rc, &q1, &p1) == 0 && p1 && p1->ok);
    if (p1 && p1->ok)
        CHECK_STR(p1->text, "first answer");
    if (p2 && p2->ok)
        CHECK(cJSON_GetObjectItem(p2->func_args, "x") &&
              cJSON_GetObjectItem(p2->func_args, "x")->valueint == 1);
    CHECK(p1 && p1->usage.input_tokens == 11 && p1->usage.cost_known && p1->usage.cost_usd == 0);
    llm_message m3 = {LLM_USER, "a question never asked"};
    llm_request q3 = {.messages = &m3, .n_messages = 1, .temperature = -1};
    CHECK(llm_complete_sync(&rc, &q3, &p3) == 0 && p3 && !p3->ok);
    if (p3 && p3->error)
        CHECK_MSG(strstr(p3->error, "no recorded reply"), "%s", p3->error);
    llm_response_free(p1);
    llm_response_free(p2);
    llm_response_free(p3);
    llm_response_free(r1);
    llm_response_free(r2);
    cJSON_Delete(schema);
    free(spec);
out:
    free(log);
    free(run);
}

static void test_free_in_flight(void)
{
    mock m;
    if (mock_start(&m, tmp, "{\"delay_all_ms\": 3000}") < 0) {
        CHECK(0);
        return;
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    llm_config c = cfg_for("anthropic:claude-haiku-4-5", m.anthropic, NULL);
    llm_client *cl;
    CHECK(llm_client_new(&cl, &loop, &c) == 0);
    llm_message msg = {LLM_USER, "slow"};
    llm_request req = {.messages = &msg, .n_messages = 1, .temperature = -1};
    tally t = {0};
    CHECK(llm_submit(cl, &req, on_done, &t) == 0);
    CHECK(llm_submit(cl, &req, on_done, &t) == 0);
    for (int i = 0; i < 20; i++) /* let the requests reach the server */
        uv_run(&loop, UV_RUN_NOWAIT);
    CHECK(t.done == 0);
    llm_client_free(cl);
    CHECK(t.done == 2 && t.ok == 0);
    if (t.last && t.last->error)
        CHECK_MSG(strstr(t.last->error, "closed"), "%s", t.last->error);
    llm_response_free(t.last);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
    mock_stop(&m);
}

static int run_capture(const char *cmd, char **out)
{
    FILE *p = popen(cmd, "r");
    sb s = {0};
    char buf[512];
    size_t n;
    while (p && (n = fread(buf, 1, sizeof buf, p)) > 0)
        sb_append(&s, buf, n);
    int rc = p ? pclose(p) : -1;
    *out = sb_steal(&s);
    if (!*out)
        *out = xstrdup("");
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_ping_cli(void)
{
    const char *bin = getenv("GROVE_BIN");
    if (!bin) {
        fprintf(stderr, "GROVE_BIN not set; skipping ping\n");
        return;
    }
    mock m;
    if (mock_start(&m, tmp, "{\"routes\": {\"/v1/messages\": [{\"text\": \"pong\"}, "
                   "{\"status\": 401, \"json\": {\"type\": \"error\", \"error\": {\"type\": "
                   "\"authentication_error\", \"message\": \"invalid x-api-key " KEY "\"}}}]}}") < 0) {
        CHECK(0);
        return;
    }
    char *cmd = xasprintf("'%s' llm ping --model anthropic:claude-haiku-4-5 --base-url %s "
                          "--api-key-env GROVE_TEST_KEY 2>&1", bin, m.anthropic);
    char *out;
    CHECK(run_capture(cmd, &out) == 0);
    CHECK_MSG(strstr(out, "reply:    pong") && strstr(out, "tokens:   in 11") &&
              strstr(out, "cost:     $0.0000"), "%s", out);
    free(out);
    CHECK(run_capture(cmd, &out) == 1);
    CHECK_MSG(strstr(out, "HTTP 401") && strstr(out, "invalid x-api-key") &&
              strstr(out, "/v1/messages"), "%s", out);
    CHECK_MSG(!strstr(out, KEY), "ping printed the key: %s", out); /* echoed by the server */
    free(out);
    free(cmd);
    cmd = xasprintf("env -u OPENAI_API_KEY '%s' llm ping --model openai:gpt-4o 2>&1", bin);
    CHECK(run_capture(cmd, &out) == 1);
    CHECK_MSG(strstr(out, "OPENAI_API_KEY"), "%s", out);
    free(out);
    free(cmd);
    mock_stop(&m);
}

/* --timeout is the whole exchange's seconds, retries included (17 s for
 * --timeout 5 before: each of 3 attempts had its own 5 s); the builtin
 * coder answers a ping as what it is, with no network. */
static void test_ping_timeout_and_builtin(void)
{
    const char *bin = getenv("GROVE_BIN");
    if (!bin)
        return;
    mock m;
    if (mock_start(&m, tmp, "{\"delay_all_ms\": 20000}") < 0) {
        CHECK(0);
        return;
    }
    char *cmd = xasprintf("'%s' llm ping --model openai:gpt-4o --base-url %s --api-key-env "
                          "GROVE_TEST_KEY --timeout 3 2>&1", bin, m.openai);
    char *out;
    double t0 = clock_mono();
    CHECK(run_capture(cmd, &out) == 1);
    double dt = clock_mono() - t0;
    CHECK_MSG(dt < 4.5, "ping --timeout 3 took %.1f s: %s", dt, out);
    CHECK_MSG(strstr(out, "timed out"), "%s", out);
    free(out);
    free(cmd);
    mock_stop(&m);
    cmd = xasprintf("'%s' llm ping --model builtin 2>&1", bin);
    CHECK(run_capture(cmd, &out) == 0);
    CHECK_MSG(strstr(out, "builtin") && strstr(out, "offline") && strstr(out, "no network"),
              "%s", out);
    free(out);
    free(cmd);
}

int main(void)
{
    setenv("GROVE_TEST_KEY", KEY, 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    if (!mkdtemp(tmp))
        return 1;
    test_concurrency();
    test_reuse_and_unknown_cost();
    test_key_and_replay();
    test_free_in_flight();
    test_ping_cli();
    test_ping_timeout_and_builtin();
    rm_rf(tmp);
    return check_done("llm_run");
}

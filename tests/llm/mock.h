/*
 * mock.h: start and stop tests/llm/mock_llm.py from a C test.
 *
 * mock_start() writes the script to a file in the test's temp folder, runs
 * `/usr/bin/python3 mock_llm.py --script S --record R` with stdout on a
 * pipe, and reads the chosen port from its first line. mock_requests()
 * returns what the server received (a cJSON array of its record lines).
 */
#ifndef GROVE_TEST_MOCK_H
#define GROVE_TEST_MOCK_H

#include "llm.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct mock {
    pid_t pid;
    int port;
    char *record;         /* path of the request record */
    char openai[128];     /* base URL for the openai provider */
    char anthropic[128];  /* base URL for the anthropic provider */
} mock;

static int mock_seq;

/* 0 on success; dir is a scratch folder for the script and record. */
static inline int mock_start(mock *m, const char *dir, const char *script_json)
{
    memset(m, 0, sizeof *m);
    const char *src = getenv("GROVE_SRC");
    char *server = xasprintf("%s/tests/llm/mock_llm.py", src ? src : ".");
    char *script = xasprintf("%s/script%d.json", dir, mock_seq);
    m->record = xasprintf("%s/requests%d.jsonl", dir, mock_seq++);
    file_write_str(script, script_json ? script_json : "{}");
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    m->pid = fork();
    if (m->pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl("/usr/bin/python3", "python3", server, "--script", script, "--record",
              m->record, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char buf[32] = {0};
    size_t n = 0;
    while (n < sizeof buf - 1) {
        ssize_t r = read(fds[0], buf + n, 1);
        if (r <= 0 || buf[n] == '\n')
            break;
        n++;
    }
    close(fds[0]);
    free(server);
    free(script);
    m->port = atoi(buf);
    if (m->port <= 0) {
        fprintf(stderr, "mock: did not start (read '%s')\n", buf);
        return -1;
    }
    snprintf(m->openai, sizeof m->openai, "http://127.0.0.1:%d/v1", m->port);
    snprintf(m->anthropic, sizeof m->anthropic, "http://127.0.0.1:%d", m->port);
    return 0;
}

static inline void mock_stop(mock *m)
{
    if (m->pid > 0) {
        kill(m->pid, SIGTERM);
        waitpid(m->pid, NULL, 0);
    }
    m->pid = 0;
    free(m->record);
    m->record = NULL;
}

/* Every recorded request, in order; caller frees with cJSON_Delete. */
static inline cJSON *mock_requests(const mock *m)
{
    cJSON *arr = cJSON_CreateArray();
    char *text = NULL;
    if (file_read(m->record, &text, NULL) < 0)
        return arr;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *o = cJSON_Parse(line);
        if (o)
            cJSON_AddItemToArray(arr, o);
    }
    free(text);
    return arr;
}

/* Follow a dotted path ("body.tool_choice.function.name") in a JSON value;
 * numeric parts index arrays. */
static inline const cJSON *jget(const cJSON *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *part = strtok(buf, "."); part && o; part = strtok(NULL, "."))
        o = (part[0] >= '0' && part[0] <= '9') ? cJSON_GetArrayItem(o, atoi(part))
                                               : cJSON_GetObjectItemCaseSensitive(o, part);
    return o;
}

static inline const char *jstr(const cJSON *o, const char *path)
{
    const cJSON *v = jget(o, path);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Whether the response failed with an error naming needle; says what it
 * holds instead on stderr when not. */
static inline int mock_error_has(const llm_response *r, const char *needle)
{
    int ok = r && r->error && strstr(r->error, needle);
    if (!ok)
        fprintf(stderr, "  error lacks '%s': %s\n", needle, r && r->error ? r->error : "(none)");
    return ok;
}

/* One request with config c against a fresh mock running `script` (scratch
 * files in dir), c.base_url pointed at it; what the mock received goes to
 * *sent when sent is not NULL. The caller frees the response. */
static inline llm_response *mock_exchange(const char *dir, const char *script, llm_config c,
                                          int anthropic, const llm_request *req, cJSON **sent)
{
    mock m;
    if (sent)
        *sent = NULL;
    if (mock_start(&m, dir, script) < 0)
        return NULL;
    char *base = NULL;
    if (c.base_url) /* a path or query to add: "?key=..." */
        base = xasprintf("%s%s", anthropic ? m.anthropic : m.openai, c.base_url);
    c.base_url = base ? base : anthropic ? m.anthropic : m.openai;
    llm_response *resp = NULL;
    if (llm_complete_sync(&c, req, &resp) < 0)
        fprintf(stderr, "exchange: %s\n", err_last());
    if (sent)
        *sent = mock_requests(&m);
    mock_stop(&m);
    free(base);
    return resp;
}

#endif

/*
 * audit.c: the run's audit log of the private answers (see audit.h).
 *
 * The log is RUN/audit.jsonl, one object per line:
 *   {"time": ISO 8601, "who": "grader", "node": 3, "why": "holdout score",
 *    "file": "/abs/path/answers.csv"}
 *   {"time": ..., "who": "unexplained", "node": null, "why": "opened, not by
 *    grove's grader", "file": ...}
 *   {"time": ..., "who": "grove", "why": "the inotify watch is off: ..."}
 *
 * The watch is one inotify descriptor with IN_OPEN on each answers file,
 * polled by libuv between gradings. Grading is synchronous on the loop's
 * thread, so the order is simple: drain what is pending (others' opens),
 * log the grader's read, grade, drain again (the grader's own opens).
 */
#include "audit.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define MAX_WATCHED 8

struct audit {
    int fd;                        /* audit.jsonl, O_APPEND */
    int ino;                       /* inotify descriptor, -1 when off */
    uv_poll_t poll;                /* .loop set once initialised */
    int wd[MAX_WATCHED];
    char *path[MAX_WATCHED];
    int n;
};

/* One line, one write(2). */
static void put(audit *a, const char *who, int node, const char *why, const char *file)
{
    char when[40];
    clock_iso8601(when, sizeof when, clock_wall());
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "time", when);
    cJSON_AddStringToObject(j, "who", who);
    if (node >= 0)
        cJSON_AddNumberToObject(j, "node", node);
    else
        cJSON_AddNullToObject(j, "node");
    cJSON_AddStringToObject(j, "why", why);
    if (file) {
        char *clean = utf8_dup(file);
        cJSON_AddStringToObject(j, "file", clean);
        free(clean);
    }
    char *text = cJSON_PrintUnformatted(j);
    char *line = xasprintf("%s\n", text);
    if (write(a->fd, line, strlen(line)) < 0)
        log_warn("audit.jsonl: %s", strerror(errno));
    free(line);
    cJSON_free(text);
    cJSON_Delete(j);
}

static const char *watched(const audit *a, int wd)
{
    for (int i = 0; i < a->n; i++)
        if (a->wd[i] == wd)
            return a->path[i];
    return NULL;
}

/* Read every pending event; opens are logged as unexplained unless they are
 * the grader's (grader = 1). */
static void drain(audit *a, int grader)
{
    if (a->ino < 0)
        return;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t got = read(a->ino, buf, sizeof buf);
        if (got <= 0)
            return; /* EAGAIN: nothing more */
        for (char *p = buf; p < buf + got;) {
            const struct inotify_event *e = (const struct inotify_event *)p;
            const char *file = watched(a, e->wd);
            if ((e->mask & IN_OPEN) && file && !grader)
                put(a, "unexplained", -1, "opened, not by grove's grader", file);
            p += sizeof *e + e->len;
        }
    }
}

static void on_event(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    drain(h->data, 0);
}

int audit_open(audit **out, const char *run_dir, uv_loop_t *loop)
{
    *out = NULL;
    char *path = path_join(run_dir, "audit.jsonl");
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        err_set("%s: %s", path, strerror(errno));
        free(path);
        return -1;
    }
    free(path);
    audit *a = xcalloc(1, sizeof *a);
    a->fd = fd;
    a->ino = -1;
    if (loop) {
        a->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (a->ino < 0) {
            char *why = xasprintf("the inotify watch is off (%s): only the grader's own reads "
                                  "are logged", strerror(errno));
            put(a, "grove", -1, why, NULL);
            free(why);
        } else if (uv_poll_init(loop, &a->poll, a->ino) == 0) {
            a->poll.data = a;
            uv_poll_start(&a->poll, UV_READABLE, on_event);
        } else {
            a->poll.loop = NULL;
        }
    }
    *out = a;
    return 0;
}

int audit_watch(audit *a, const char *path)
{
    if (!a || a->ino < 0)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (!strcmp(a->path[i], path))
            return 0;
    if (a->n == MAX_WATCHED)
        return err_set("audit: more than %d answers files to watch", MAX_WATCHED);
    int wd = inotify_add_watch(a->ino, path, IN_OPEN);
    if (wd < 0)
        return err_set("audit: cannot watch %s: %s", path, strerror(errno));
    a->wd[a->n] = wd;
    a->path[a->n++] = xstrdup(path);
    return 0;
}

int audit_grade(audit *a, bench_report *out, const bench_competition *comp,
                const char *submission_path, const char *answers_path, int node,
                const char *why)
{
    if (!a)
        return bench_grade(out, comp, submission_path, answers_path);
    audit_watch(a, answers_path); /* a file first graded now is watched from now on */
    drain(a, 0);
    put(a, "grader", node, why, answers_path);
    int rc = bench_grade(out, comp, submission_path, answers_path);
    drain(a, 1);
    return rc;
}

static void free_audit(uv_handle_t *h)
{
    free(h->data);
}

void audit_free(audit *a)
{
    if (!a)
        return;
    drain(a, 0);
    close(a->fd);
    for (int i = 0; i < a->n; i++)
        free(a->path[i]);
    if (!a->poll.loop) {
        if (a->ino >= 0)
            close(a->ino);
        free(a);
        return;
    }
    /* stop polling before the descriptor goes; the handle belongs to the
     * loop until its close callback ran, which frees a */
    uv_poll_stop(&a->poll);
    close(a->ino);
    uv_close((uv_handle_t *)&a->poll, free_audit);
}

int audit_print(FILE *out, const char *run_dir)
{
    char *path = path_join(run_dir, "audit.jsonl"), *text = NULL;
    if (!file_exists(path)) {
        free(path);
        return 1;
    }
    if (file_read(path, &text, NULL) < 0) {
        free(path);
        return -1;
    }
    free(path);
    fprintf(out, "%-24s %-12s %-5s %-28s %s\n", "time", "who", "node", "why", "file");
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *node = cJSON_GetObjectItemCaseSensitive(j, "node");
        const char *f[4] = {"time", "who", "why", "file"};
        const char *v[4];
        for (int i = 0; i < 4; i++) {
            const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, f[i]));
            v[i] = s ? s : "";
        }
        char id[16] = "-";
        if (cJSON_IsNumber(node))
            snprintf(id, sizeof id, "%d", node->valueint);
        if (j)
            fprintf(out, "%-24s %-12s %-5s %-28s %s\n", v[0], v[1], id, v[2], v[3]);
        else
            fprintf(out, "(a line that is not JSON: %.60s)\n", line);
        cJSON_Delete(j);
    }
    free(text);
    return 0;
}

/*
 * http.c: HTTP POSTs on libcurl's multi interface, driven by a libuv loop.
 *
 * libcurl tells us which sockets it wants watched (CURLMOPT_SOCKETFUNCTION)
 * and when it next needs a timeout call (CURLMOPT_TIMERFUNCTION). Each socket
 * gets a uv_poll_t (created on first interest, closed on CURL_POLL_REMOVE)
 * and one uv_timer_t serves the timeouts. Readiness is fed back with
 * curl_multi_socket_action(), and finished transfers are collected with
 * curl_multi_info_read(). No threads; many transfers at once; the multi
 * handle keeps a connection cache, so sequential requests to one host reuse
 * a connection. TLS verification stays on (libcurl's default) and proxies
 * come from the usual environment variables (libcurl's default).
 *
 * Completion callbacks only ever run from a libuv callback (poll or timer),
 * never from inside http_post(), so callers may start or end requests from
 * them freely -- except freeing the multi itself, which the job layer
 * defers to a later loop turn.
 */
#include "llm_int.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct http_multi {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    struct sock_ctx *socks; /* live poll handles, so free can close them all */
};

typedef struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    http_multi *m;
    struct sock_ctx *next;
} sock_ctx;

static void check_done(http_multi *m)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        http_req *r = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        r->result = msg->data.result;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &r->status);
        curl_multi_remove_handle(m->multi, msg->easy_handle);
        r->done(r, r->data);
    }
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    sock_ctx *s = p->data;
    int flags = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    int running;
    http_multi *m = s->m;
    curl_multi_socket_action(m->multi, s->fd, flags, &running);
    check_done(m);
}

static void on_timer(uv_timer_t *t)
{
    http_multi *m = t->data;
    int running;
    curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(m);
}

static void free_sock(uv_handle_t *h) { free(h->data); }

static void sock_close(http_multi *m, sock_ctx *s)
{
    for (sock_ctx **pp = &m->socks; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t *)&s->poll, free_sock);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    http_multi *m = userp;
    sock_ctx *s = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            sock_close(m, s);
            curl_multi_assign(m->multi, fd, NULL);
        }
        return 0;
    }
    if (!s) {
        s = xcalloc(1, sizeof *s);
        s->fd = fd;
        s->m = m;
        if (uv_poll_init_socket(m->loop, &s->poll, fd) != 0) {
            free(s);
            return -1;
        }
        s->poll.data = s;
        s->next = m->socks;
        m->socks = s;
        curl_multi_assign(m->multi, fd, s);
    }
    int events = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        events |= UV_READABLE;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        events |= UV_WRITABLE;
    uv_poll_start(&s->poll, events, on_poll);
    return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    http_multi *m = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&m->timer);
    else /* 0 means "now": still go through the loop, as libcurl asks */
        uv_timer_start(&m->timer, on_timer, (uint64_t)timeout_ms, 0);
    return 0;
}

int http_multi_new(http_multi **out, uv_loop_t *loop)
{
    http_multi *m = xcalloc(1, sizeof *m);
    m->loop = loop;
    m->multi = curl_multi_init();
    if (!m->multi) {
        free(m);
        return err_set("http: curl_multi_init failed");
    }
    uv_timer_init(loop, &m->timer);
    m->timer.data = m;
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
    curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
    *out = m;
    return 0;
}

static void free_multi(uv_handle_t *h) { free(h->data); }

void http_multi_free(http_multi *m)
{
    if (!m)
        return;
    /* Cleanup closes cached connections, which reports CURL_POLL_REMOVE for
     * their sockets; whatever is left is closed here. */
    curl_multi_cleanup(m->multi);
    while (m->socks)
        sock_close(m, m->socks);
    uv_timer_stop(&m->timer);
    uv_close((uv_handle_t *)&m->timer, free_multi);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userp)
{
    http_req *r = userp;
    size_t n = size * nmemb;
    if (r->resp.len + n > HTTP_MAX_BODY) {
        r->too_big = 1;
        return 0; /* libcurl ends the transfer with CURLE_WRITE_ERROR */
    }
    sb_append(&r->resp, ptr, n);
    assert(r->resp.len <= HTTP_MAX_BODY);
    return n;
}

/* Where the value of header `name` (any case) is kept, or NULL to drop it. */
static char *header_slot(http_req *r, const char *name, size_t len, size_t *cap)
{
#define SLOT(n, f) {n, offsetof(http_req, f), sizeof ((http_req *)0)->f}
    static const struct { const char *name; size_t off, cap; } slots[] = {
        SLOT("retry-after", retry_after), SLOT("retry-after-ms", retry_after_ms),
        SLOT("x-should-retry", should_retry), SLOT("location", location),
        SLOT("request-id", request_id),
        SLOT("x-request-id", request_id),
    };
#undef SLOT
    for (size_t i = 0; i < sizeof slots / sizeof *slots; i++)
        if (strlen(slots[i].name) == len && strncasecmp(name, slots[i].name, len) == 0) {
            *cap = slots[i].cap;
            return (char *)r + slots[i].off;
        }
    return NULL;
}

/* Keep the headers of the last response only (a proxy's 100 or a CONNECT
 * response comes first on the same handle). */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userp)
{
    http_req *r = userp;
    size_t n = size * nmemb;
    if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0) {
        r->retry_after[0] = r->retry_after_ms[0] = r->location[0] = r->request_id[0] = 0;
        r->should_retry[0] = 0;
        return n;
    }
    const char *colon = memchr(ptr, ':', n);
    size_t cap = 0;
    char *dst = colon ? header_slot(r, ptr, (size_t)(colon - ptr), &cap) : NULL;
    if (!dst)
        return n;
    const char *v = colon + 1, *end = ptr + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t len = (size_t)(end - v) < cap - 1 ? (size_t)(end - v) : cap - 1;
    memcpy(dst, v, len);
    dst[len] = 0;
    return n;
}

static long ms(double s) { return s > 0 ? (long)(s * 1000.0 + 0.5) : 0; }

static void set_options(http_req *r, const char *url, const http_opts *o)
{
    CURL *e = r->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(r->body));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    /* A reasoning model may think for minutes before the first byte; TCP
     * keepalive stops idle NAT and proxy entries from dropping the line. */
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "grove/" GROVE_VERSION);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms(o->connect_timeout_s));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms(o->total_timeout_s));
    /* A stall: under HTTP_STALL_RATE for this many whole seconds. Silence
     * and a drip both count; redirects are not followed (they would carry
     * the key to wherever they point), the job layer reports them. */
    long stall = (long)(o->stall_timeout_s + 0.999);
    if (stall > 0) {
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, HTTP_STALL_RATE);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, stall);
    }
}

int http_post(http_req **out, http_multi *m, const char *url,
              const char *const *headers, size_t n_headers, const char *body,
              const http_opts *opts, http_done_fn done, void *data)
{
    http_req *r = xcalloc(1, sizeof *r);
    r->m = m;
    r->done = done;
    r->data = data;
    r->body = xstrdup(body);
    r->easy = curl_easy_init();
    if (!r->easy) {
        http_req_free(r);
        return err_set("http: curl_easy_init failed");
    }
    for (size_t i = 0; i < n_headers; i++) {
        struct curl_slist *h = curl_slist_append(r->headers, headers[i]);
        if (!h) {
            http_req_free(r);
            return err_set("http: out of memory for headers");
        }
        r->headers = h;
    }
    set_options(r, url, opts);
    CURLMcode mc = curl_multi_add_handle(m->multi, r->easy);
    if (mc != CURLM_OK) {
        http_req_free(r);
        return err_set("http: %s: %s", url, curl_multi_strerror(mc));
    }
    *out = r;
    return 0;
}

void http_cancel(http_req *r)
{
    if (!r)
        return;
    curl_multi_remove_handle(r->m->multi, r->easy);
    http_req_free(r);
}

void http_req_free(http_req *r)
{
    if (!r)
        return;
    if (r->easy)
        curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    free(r->body);
    sb_free(&r->resp);
    free(r);
}

/*
 * capture.c: what a run prints, kept two ways with bounded memory.
 *
 * On disk, output.log receives the raw bytes up to log_cap, then one marker
 * line saying where it was cut; at the end a last line says how much was not
 * written. In memory only the first head_chars and the last tail_chars
 * characters are kept: the head in a buffer that stops growing once full, the
 * tail in a ring of 4 * tail_chars + 4 bytes (room for that many UTF-8
 * characters). So a script printing 200 MB costs the runner a few KiB.
 *
 * Characters are UTF-8 code points counted by their lead bytes; the head also
 * stops at 4 * head_chars bytes, so a stream of stray continuation bytes
 * cannot make it grow. The view handed back is valid UTF-8 (invalid bytes and
 * NUL become U+FFFD), because it goes into prompts and JSON; output.log keeps
 * the bytes exactly as printed.
 */
#include "exec_internal.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int is_lead(unsigned char b) { return (b & 0xC0) != 0x80; }

int capture_open(capture *c, const char *log_path, size_t log_cap,
                 size_t head_chars, size_t tail_chars)
{
    memset(c, 0, sizeof *c);
    c->log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (c->log_fd < 0)
        return err_set("%s: %s (is the workspace writable?)", log_path, strerror(errno));
    c->log_cap = log_cap;
    c->head_chars = head_chars;
    c->tail_chars = tail_chars;
    c->ring_cap = 4 * tail_chars + 4;
    c->ring = xmalloc(c->ring_cap);
    return 0;
}

static void log_write(capture *c, const char *data, size_t n)
{
    while (c->log_fd >= 0 && n > 0) {
        ssize_t w = write(c->log_fd, data, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            log_warn("exec: output.log: %s; the rest of the output is kept in memory only",
                     w < 0 ? strerror(errno) : "short write");
            close(c->log_fd);
            c->log_fd = -1;
            return;
        }
        data += w;
        n -= (size_t)w;
        c->log_written += (size_t)w;
    }
}

static void log_feed(capture *c, const char *data, size_t n)
{
    if (c->log_fd < 0 || c->log_truncated)
        return;
    assert(c->log_written <= c->log_cap); /* only the cut's note passes the cap */
    size_t room = c->log_cap - c->log_written;
    if (n <= room) {
        log_write(c, data, n);
        return;
    }
    log_write(c, data, room);
    char note[160];
    int k = snprintf(note, sizeof note,
                     "\n[grove: output.log cut here at %zu bytes; later output was not written]\n",
                     c->log_cap);
    log_write(c, note, (size_t)k);
    c->log_truncated = 1;
}

/* Take bytes into the head until it holds head_chars characters; returns how
 * many bytes of data it took. */
static size_t head_feed(capture *c, const char *data, size_t n)
{
    size_t i = 0, max_bytes = 4 * c->head_chars;
    while (i < n) {
        if (c->head.len + i >= max_bytes) {
            c->head_full = 1;
            break;
        }
        if (is_lead((unsigned char)data[i])) {
            if (c->head_count == c->head_chars) {
                c->head_full = 1;
                break;
            }
            c->head_count++;
        }
        i++;
    }
    sb_append(&c->head, data, i);
    assert(c->head.len <= max_bytes && c->head_count <= c->head_chars);
    return i;
}

static void ring_feed(capture *c, const char *data, size_t n)
{
    if (n >= c->ring_cap) {
        memcpy(c->ring, data + n - c->ring_cap, c->ring_cap);
        c->ring_pos = 0;
        c->ring_len = c->ring_cap;
        return;
    }
    size_t first = c->ring_cap - c->ring_pos;
    if (first > n)
        first = n;
    memcpy(c->ring + c->ring_pos, data, first);
    memcpy(c->ring, data + first, n - first);
    c->ring_pos = (c->ring_pos + n) % c->ring_cap;
    c->ring_len = c->ring_len + n > c->ring_cap ? c->ring_cap : c->ring_len + n;
    assert(c->ring_pos < c->ring_cap && c->ring_len <= c->ring_cap);
}

void capture_feed(capture *c, const char *data, size_t n)
{
    log_feed(c, data, n);
    c->total += n;
    size_t chars = 0;
    for (size_t i = 0; i < n; i++)
        chars += is_lead((unsigned char)data[i]);
    c->total_chars += chars;
    size_t took = 0;
    if (!c->head_full)
        took = head_feed(c, data, n);
    if (took < n)
        ring_feed(c, data + took, n - took);
}

char *capture_finish(capture *c)
{
    if (c->log_fd >= 0) {
        if (c->log_truncated) {
            char note[160];
            int k = snprintf(note, sizeof note, "[grove: %zu of %zu bytes of output not written]\n",
                             c->total - c->log_cap, c->total);
            c->log_truncated = 0; /* let log_write through the cap for this note */
            log_write(c, note, (size_t)k);
            c->log_truncated = 1;
        }
        close(c->log_fd);
        c->log_fd = -1;
    }
    /* Unroll the ring, then drop bytes from its front until it holds at most
     * tail_chars characters and starts on a character boundary. */
    char *tail = xmalloc(c->ring_len + 1);
    size_t start = c->ring_len < c->ring_cap ? 0 : c->ring_pos;
    for (size_t i = 0; i < c->ring_len; i++)
        tail[i] = c->ring[(start + i) % c->ring_cap];
    size_t tail_count = 0, from = c->ring_len;
    while (from > 0) {
        if (is_lead((unsigned char)tail[from - 1])) {
            if (tail_count == c->tail_chars)
                break;
            tail_count++;
        }
        from--;
    }
    while (from < c->ring_len && !is_lead((unsigned char)tail[from]))
        from++; /* a character cut by the ring's edge */
    /* the head and the ring never hold the same byte, so neither count can
     * pass what was printed */
    assert(tail_count <= c->tail_chars && c->head_count + tail_count <= c->total_chars);
    size_t dropped = c->total_chars - c->head_count - tail_count;
    sb out = {0};
    utf8_sanitize(&out, c->head.buf ? c->head.buf : "", c->head.len);
    if (dropped > 0)
        sb_printf(&out, "\n ... [%zu characters truncated] ... \n", dropped);
    utf8_sanitize(&out, tail + from, c->ring_len - from);
    free(tail);
    free(c->ring);
    c->ring = NULL;
    sb_free(&c->head);
    return sb_steal(&out);
}

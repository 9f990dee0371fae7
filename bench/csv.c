/*
 * csv.c: CSV reading and writing for the grader and the holdout split.
 *
 * One tokenizer (csv_reader_next) serves two users. The grader streams rows
 * through a window of about a megabyte refilled with read() (csv_reader_stream):
 * a 200 MB submission never sits in memory whole, and the text is parsed
 * from memory the cache holds (reading a mapping page by page cost the
 * benchmark four times as much as read() into a reused buffer). A row the
 * window cuts is parsed again after a refill. The mapped reader
 * (csv_reader_open) hands consumed pages back with MADV_DONTNEED. bench_csv_parse builds a
 * table: every unescaped cell is written into ONE arena of len + 1 bytes (a
 * field's content plus its NUL never exceeds the bytes it took in the file,
 * since each field ends with a delimiter or a newline, except the very last),
 * so a table costs one allocation for the text plus the pointer arrays.
 *
 * Dialect: RFC 4180 with the usual relaxations: a UTF-8 BOM is skipped, rows
 * end with LF, CRLF or a lone CR, blank lines are skipped, a quote inside an
 * unquoted field is taken literally. Errors (unterminated quote, text after
 * a closing quote, wrong field count) name the file and line.
 */
#include "bench.h"
#include "csv_reader.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Hand consumed pages back in steps of this size. */
#define RELEASE_STEP ((size_t)1 << 20)

static void populate_ahead(csv_reader *r);

void csv_reader_init(csv_reader *r, const char *data, size_t len, const char *name)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
    r->eof = 1;
    r->file_size = len;
    r->name = name ? name : "(csv)";
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    r->base = r->p = r->released = data;
    r->end = data + len;
    r->line = 1;
}

int csv_reader_open(csv_reader *r, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set("%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return err_set("%s: not a regular file", path);
    }
    size_t len = (size_t)st.st_size;
    void *map = NULL;
    if (len > 0) {
        map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            int e = errno;
            close(fd);
            return err_set("%s: mmap: %s", path, strerror(e));
        }
        madvise(map, len, MADV_SEQUENTIAL);
    }
    close(fd);
    csv_reader_init(r, map ? map : "", len, path);
    r->map = map;
    r->map_len = len;
    r->file_size = len;
    if (map)
        populate_ahead(r);
    return 0;
}

void csv_reader_close(csv_reader *r)
{
    if (!r->buf_fixed)
        free(r->buf);
    free(r->off);
    if (r->map)
        munmap(r->map, r->map_len);
    if (r->fd >= 0)
        close(r->fd);
    free(r->win);
    r->win = NULL;
    r->fd = -1;
    r->buf = NULL;
    r->off = NULL;
    r->map = NULL;
}

/* Map the next step's pages in one call: page by page, the faults cost
 * more than reading the text. A hint (kernels before 5.14 refuse it). */
static void populate_ahead(csv_reader *r)
{
#ifdef MADV_POPULATE_READ
    const char *from = r->released, *map_end = (const char *)r->map + r->map_len;
    size_t len = (size_t)(map_end - from) < RELEASE_STEP ? (size_t)(map_end - from)
                                                          : RELEASE_STEP;
    if (len)
        madvise((void *)from, len, MADV_POPULATE_READ);
#else
    (void)r;
#endif
}

#define WINDOW ((size_t)1 << 20) /* first size of a stream's window */
#define LOW_WATER ((size_t)64 << 10) /* refill when less than this is left */

/* Move the unread text to the front of the window and read more behind it;
 * the window doubles when the unread text fills more than half of it (a row
 * longer than the window). 1: text added, 0: end of file, < 0: read error. */
static int refill(csv_reader *r)
{
    if (r->eof || r->read_errno)
        return r->read_errno ? -1 : 0;
    size_t keep = (size_t)(r->end - r->p);
    if (keep > r->win_cap / 2) {
        r->win_cap *= 2;
        char *w = xmalloc(r->win_cap);
        memcpy(w, r->p, keep);
        free(r->win);
        r->win = w;
    } else {
        memmove(r->win, r->p, keep);
    }
    r->base = r->p = r->win;
    r->end = r->win + keep;
    size_t before = keep;
    /* never past the size fstat gave: callers size their arrays by it, and
     * a file that grows while it is read must not overrun them */
    while (keep < r->win_cap && r->read_total < r->file_size) {
        size_t want = r->win_cap - keep, left = r->file_size - r->read_total;
        ssize_t got = read(r->fd, r->win + keep, want < left ? want : left);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            r->read_errno = errno;
            return -1;
        }
        if (got == 0) {
            r->eof = 1;
            break;
        }
        keep += (size_t)got;
        r->read_total += (size_t)got;
    }
    r->eof |= r->read_total == r->file_size;
    r->end = r->win + keep;
    return keep > before;
}

int csv_reader_stream_range(csv_reader *r, const char *path, size_t from, size_t to)
{
    memset(r, 0, sizeof *r);
    r->name = path;
    r->line = 1;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0)
        return err_set("%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(r->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(r->fd);
        r->fd = -1;
        return err_set("%s: not a regular file", path);
    }
    r->file_size = (size_t)st.st_size < to ? (size_t)st.st_size : to;
    r->read_total = from < r->file_size ? from : r->file_size;
    if (r->read_total && lseek(r->fd, (off_t)r->read_total, SEEK_SET) < 0) {
        err_set("%s: %s", path, strerror(errno));
        csv_reader_close(r);
        return -1;
    }
    r->win_cap = WINDOW;
    r->win = xmalloc(r->win_cap);
    r->base = r->p = r->end = r->win;
    if (refill(r) < 0) {
        err_set("%s: %s", path, strerror(r->read_errno));
        csv_reader_close(r);
        return -1;
    }
    if (from == 0 && r->end - r->p >= 3 && memcmp(r->p, "\xEF\xBB\xBF", 3) == 0)
        r->base = r->p += 3;
    return 0;
}

int csv_reader_stream(csv_reader *r, const char *path)
{
    return csv_reader_stream_range(r, path, 0, SIZE_MAX);
}

size_t csv_reader_tell(const csv_reader *r)
{
    return r->read_total - (size_t)(r->end - r->p);
}

static void release_consumed(csv_reader *r)
{
    if (!r->map || (size_t)(r->p - r->released) < RELEASE_STEP)
        return;
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t from = (uintptr_t)r->released & ~(uintptr_t)(page - 1);
    uintptr_t to = (uintptr_t)r->p & ~(uintptr_t)(page - 1);
    if (to > from)
        madvise((void *)from, to - from, MADV_DONTNEED);
    r->released = (const char *)to;
    populate_ahead(r);
}

static void reserve(csv_reader *r, size_t need)
{
    /* a fixed buffer is sized so it cannot run out (see the top comment) */
    if (r->buf_fixed || r->buf_len + need <= r->buf_cap)
        return;
    size_t cap = r->buf_cap ? r->buf_cap : 4096;
    while (cap < r->buf_len + need)
        cap *= 2;
    r->buf = xrealloc(r->buf, cap);
    r->buf_cap = cap;
}

static void push_offset(csv_reader *r)
{
    if (r->n_fields == r->off_cap) {
        r->off_cap = r->off_cap ? r->off_cap * 2 : 64;
        r->off = xrealloc(r->off, r->off_cap * sizeof *r->off);
    }
    r->off[r->n_fields++] = r->buf_len;
}

/* An unquoted field: everything up to a comma or a line end. */
static void read_plain(csv_reader *r)
{
    const char *s = r->p, *q = s;
    while (q < r->end && *q != ',' && *q != '\n' && *q != '\r')
        q++;
    r->hit_end |= q == r->end;
    size_t n = (size_t)(q - s);
    reserve(r, n + 1);
    memcpy(r->buf + r->buf_len, s, n);
    r->buf_len += n;
    r->buf[r->buf_len++] = 0;
    r->p = q;
}

/* A quoted field, cursor on the opening quote; "" is one quote. */
static int read_quoted(csv_reader *r)
{
    size_t start_line = r->line;
    const char *q = r->p + 1;
    for (;;) {
        const char *s = q;
        while (q < r->end && *q != '"') {
            if (*q == '\n')
                r->line++;
            q++;
        }
        if (q == r->end)
            r->hit_end = 1;
        if (q == r->end)
            return err_set("%s: line %zu: unterminated quoted field (a '\"' opens "
                           "a field that never closes)", r->name, start_line);
        size_t n = (size_t)(q - s);
        reserve(r, n + 2);
        memcpy(r->buf + r->buf_len, s, n);
        r->buf_len += n;
        if (q + 1 < r->end && q[1] == '"') {
            r->buf[r->buf_len++] = '"';
            q += 2;
            continue;
        }
        q++;
        break;
    }
    r->buf[r->buf_len++] = 0;
    r->p = q;
    if (q < r->end && *q != ',' && *q != '\n' && *q != '\r')
        return err_set("%s: line %zu: unexpected text after a closing quote "
                       "(quote the whole field and double inner quotes)",
                       r->name, r->line);
    return 0;
}

static void skip_line_end(csv_reader *r)
{
    if (r->p < r->end && *r->p == '\r')
        r->p++;
    if (r->p < r->end && *r->p == '\n')
        r->p++;
    r->line++;
}

static int parse_row(csv_reader *r);

/* A row that ran into the end of a stream's window is parsed again after a
 * refill (the window grows when the row is longer than it). */
int csv_reader_next(csv_reader *r)
{
    for (;;) {
        if (!csv_reader_skip_blank(r)) /* blank lines carry no row */
            return 0;
        if (r->read_errno)
            return err_set("%s: line %zu: %s", r->name, r->line, strerror(r->read_errno));
        const char *p = r->p;
        size_t line = r->line;
        r->hit_end = 0;
        int rc = parse_row(r);
        if (r->eof || !(r->hit_end || r->end - r->p <= 1))
            return rc;
        r->p = p; /* cut by the window (a CR, perhaps, whose LF is not in) */
        r->line = line;
        if (refill(r) < 0)
            return err_set("%s: line %zu: %s", r->name, r->line, strerror(r->read_errno));
    }
}

static int parse_row(csv_reader *r)
{
    if (!r->buf_fixed)
        r->buf_len = 0;
    r->n_fields = 0;
    r->row_line = r->line;
    for (;;) {
        push_offset(r);
        if (*r->p == '"') {
            if (read_quoted(r) < 0)
                return -1;
        } else {
            read_plain(r);
        }
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            if (r->p == r->end || *r->p == '\n' || *r->p == '\r') {
                push_offset(r); /* trailing comma: one more empty field */
                reserve(r, 1);
                r->buf[r->buf_len++] = 0;
                break;
            }
            continue;
        }
        break;
    }
    if (r->p < r->end)
        skip_line_end(r);
    return 1;
}

int csv_reader_skip_blank(csv_reader *r)
{
    for (;;) {
        if (!r->eof && (size_t)(r->end - r->p) < LOW_WATER && refill(r) < 0)
            return 1; /* csv_reader_next reports it */
        if (!(r->p < r->end && (*r->p == '\n' || *r->p == '\r')))
            break;
        if (!r->eof && r->end - r->p <= 1) /* a CR whose LF may follow */
            continue;
        skip_line_end(r);
    }
    release_consumed(r);
    return r->p < r->end;
}

/* ---- tables -------------------------------------------------------------- */

void bench_csv_free(bench_csv *csv)
{
    if (!csv)
        return;
    free(csv->header);
    free(csv->cells);
    free(csv->row_line);
    free(csv->arena);
    free(csv);
}

static int add_row(bench_csv *t, const csv_reader *r, size_t *cap)
{
    if (r->n_fields != t->n_cols)
        return err_set("%s: line %zu: %zu fields, but the header has %zu "
                       "(check for unquoted commas in a field)",
                       r->name, r->row_line, r->n_fields, t->n_cols);
    if (t->n_rows == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        t->cells = xrealloc(t->cells, *cap * t->n_cols * sizeof *t->cells);
        t->row_line = xrealloc(t->row_line, *cap * sizeof *t->row_line);
    }
    char **row = t->cells + t->n_rows * t->n_cols;
    for (size_t i = 0; i < t->n_cols; i++)
        row[i] = (char *)csv_reader_field(r, i);
    t->row_line[t->n_rows++] = r->row_line;
    return 0;
}

int bench_csv_parse(bench_csv **out, const char *data, size_t len, const char *name)
{
    *out = NULL;
    bench_csv *t = xcalloc(1, sizeof *t);
    csv_reader r;
    csv_reader_init(&r, data, len, name);
    /* every cell lands in one arena; see the comment at the top */
    t->arena = xmalloc(len + 1);
    r.buf = t->arena;
    r.buf_cap = len + 1;
    r.buf_fixed = 1;
    int rc = csv_reader_next(&r);
    if (rc == 0)
        rc = err_set("%s: empty file (a CSV needs a header line)", r.name);
    if (rc < 0)
        goto fail;
    t->n_cols = r.n_fields;
    t->header = xmalloc(t->n_cols * sizeof *t->header);
    for (size_t i = 0; i < t->n_cols; i++)
        t->header[i] = (char *)csv_reader_field(&r, i);
    size_t cap = 0;
    while ((rc = csv_reader_next(&r)) > 0)
        if (add_row(t, &r, &cap) < 0)
            goto fail;
    if (rc < 0)
        goto fail;
    csv_reader_close(&r);
    *out = t;
    return 0;
fail:
    csv_reader_close(&r);
    bench_csv_free(t);
    return -1;
}

int bench_csv_read(bench_csv **out, const char *path)
{
    *out = NULL;
    csv_reader r;
    if (csv_reader_open(&r, path) < 0)
        return -1;
    /* the table's arena copies the cells, so the mapping can go right after */
    int rc = bench_csv_parse(out, r.base, (size_t)(r.end - r.base), path);
    csv_reader_close(&r);
    return rc;
}

int bench_csv_col(const bench_csv *csv, const char *name)
{
    for (size_t i = 0; i < csv->n_cols; i++)
        if (strcmp(csv->header[i], name) == 0)
            return (int)i;
    return -1;
}

/* ---- writing ----------------------------------------------------------- */

static void put_field(sb *s, const char *f)
{
    if (!f[strcspn(f, ",\"\r\n")] && f[0] != ' ' && f[0] != '\t') {
        sb_puts(s, f);
        return;
    }
    sb_putc(s, '"');
    for (; *f; f++) {
        if (*f == '"')
            sb_putc(s, '"');
        sb_putc(s, *f);
    }
    sb_putc(s, '"');
}

static void put_row(sb *s, char *const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_putc(s, ',');
        put_field(s, fields[i]);
    }
    sb_putc(s, '\n');
}

int bench_csv_write(const char *path, const bench_csv *csv, const size_t *rows,
                    size_t n_rows)
{
    sb s = {0};
    put_row(&s, csv->header, csv->n_cols);
    size_t n = rows ? n_rows : csv->n_rows;
    for (size_t i = 0; i < n; i++) {
        size_t row = rows ? rows[i] : i;
        if (row >= csv->n_rows) {
            sb_free(&s);
            return err_set("%s: row %zu out of range (the table has %zu rows)", path,
                           row, csv->n_rows);
        }
        put_row(&s, csv->cells + row * csv->n_cols, csv->n_cols);
    }
    int rc = file_write(path, s.buf ? s.buf : "", s.len);
    sb_free(&s);
    return rc;
}

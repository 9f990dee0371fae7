/*
 * csv_reader.h (private to bench/): a streaming RFC 4180 row reader.
 *
 * The reader walks a buffer (usually a read-only mmap of the file) one row at
 * a time and unescapes the row's fields into a scratch buffer. The grader
 * streams answers and submissions through it without ever holding a table of
 * cells, which is what keeps grading of million-row files small; the table
 * reader (bench_csv_parse) is built on the same code.
 */
#ifndef GROVE_BENCH_CSV_READER_H
#define GROVE_BENCH_CSV_READER_H

#include <stddef.h>

typedef struct csv_reader {
    const char *name;      /* file name for messages */
    const char *base;      /* start of the data (after a BOM) */
    const char *p, *end;   /* cursor, end of data */
    size_t line;           /* 1-based line of the cursor */
    size_t row_line;       /* 1-based line where the current row starts */
    /* unescaped fields of the current row, each NUL-terminated */
    char *buf;
    size_t buf_len, buf_cap;
    int buf_fixed;         /* buf is caller-owned and large enough: never reset */
    size_t *off;           /* field i starts at buf + off[i] */
    size_t n_fields, off_cap;
    /* mmap bookkeeping (csv_reader_open) */
    void *map;
    size_t map_len;
    const char *released;  /* pages before this were handed back to the kernel */
    size_t file_size;      /* bytes in the file (csv_reader_open, _stream) */
    /* streaming (csv_reader_stream): [base, end) is a window of the file
     * in win, refilled by read() at row starts */
    int fd;                /* -1: not streaming */
    char *win;
    size_t win_cap, read_total;
    int eof;               /* the window holds the rest of the file */
    int read_errno;        /* a read() failed: csv_reader_next reports it */
    int hit_end;           /* the row being parsed ran into end */
} csv_reader;

/* Read rows from data[0..len) (not copied: must outlive the reader). */
void csv_reader_init(csv_reader *r, const char *data, size_t len, const char *name);
/* Map a file read-only and read it; consumed pages are dropped as the reader
 * advances, so a streamed file never counts whole in the resident set. */
int csv_reader_open(csv_reader *r, const char *path);
/* Read a file through a window of a megabyte or so, refilled with read():
 * the text is copied once into memory the cache already holds, where a
 * mapping makes every 4 KiB page a fault and a trip to memory. Callers that
 * parse in place must treat r->end as the end of the file only when r->eof
 * is set (csv_reader_next handles a row cut by the window itself). */
int csv_reader_stream(csv_reader *r, const char *path);
/* The same over bytes [from, to) of the file only (to past the end: up to
 * the end); line numbers count from 1 at from, and a BOM is only skipped
 * at offset 0. */
int csv_reader_stream_range(csv_reader *r, const char *path, size_t from, size_t to);
/* Where a stream's cursor is, as a byte offset in the file. */
size_t csv_reader_tell(const csv_reader *r);
/* Next row: 1 when a row was read, 0 at end of data, < 0 on a malformed row
 * (unterminated quote, text after a closing quote) with err_last() naming the
 * file and line. Blank lines are skipped. */
int csv_reader_next(csv_reader *r);
/* Skip blank lines (and hand consumed pages back): 1 when a row starts at
 * the cursor, 0 at end of data. For callers that parse a simple row in
 * place (the grader's fast path) and then move r->p, r->line and
 * r->row_line past it themselves, or leave it to csv_reader_next. */
int csv_reader_skip_blank(csv_reader *r);
static inline const char *csv_reader_field(const csv_reader *r, size_t i)
{
    return r->buf + r->off[i];
}
/* Frees the scratch buffers (not a fixed buf) and unmaps a mapped file. */
void csv_reader_close(csv_reader *r);

#endif

/*
 * parsers.c: the two binary/text container formats the Debian sources come
 * in, and the one image format grove writes.
 *
 * - ARFF (Weka's format; scikit-learn ships OpenML test files in it): a
 *   header of @attribute lines, then @data rows of comma-separated values,
 *   quoted with ' or " (backslash escapes), '?' for missing. Sparse rows
 *   ({index value, ...}) are refused with a message rather than misread.
 * - IDX (MNIST's container): magic 0x0000 0x08 <dims>, then big-endian 32-bit
 *   sizes, then the unsigned bytes.
 * - PNG, grayscale 8-bit, with "stored" deflate blocks: valid for every
 *   reader (PIL included) while needing no zlib, at the cost of no
 *   compression, which for 28x28 images is a few hundred bytes each.
 */
#include "offline.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* ---- ARFF --------------------------------------------------------------------- */

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
    return p;
}

/* One value starting at *pp (quoted or bare); advances past it. Owned. */
static char *arff_value(const char **pp, const char *end, int *quoted)
{
    const char *p = skip_ws(*pp, end);
    sb v = {0};
    *quoted = 0;
    if (p < end && (*p == '\'' || *p == '"')) {
        char q = *p++;
        *quoted = 1;
        while (p < end && *p != q) {
            if (*p == '\\' && p + 1 < end)
                p++;
            sb_putc(&v, *p++);
        }
        if (p < end)
            p++;
    } else {
        while (p < end && *p != ',' && *p != '\n')
            sb_putc(&v, *p++);
        while (v.len && (v.buf[v.len - 1] == ' ' || v.buf[v.len - 1] == '\t' ||
                         v.buf[v.len - 1] == '\r'))
            v.buf[--v.len] = 0;
    }
    *pp = skip_ws(p, end);
    return v.len ? sb_steal(&v) : xstrdup("");
}

static int keyword(const char *p, const char *end, const char *kw)
{
    size_t n = strlen(kw);
    if ((size_t)(end - p) < n || strncasecmp(p, kw, n) != 0)
        return 0;
    return p + n == end || p[n] == ' ' || p[n] == '\t' || p[n] == '\r' || p[n] == '\n';
}

static int arff_row(bench_csv *t, const char *p, const char *end, const char *name,
                    size_t line)
{
    if (*p == '{')
        return err_set("%s:%zu: sparse ARFF rows are not supported", name, line);
    char **cells = xcalloc(t->n_cols, sizeof *cells);
    size_t n = 0;
    for (;;) {
        int quoted;
        char *v = arff_value(&p, end, &quoted);
        if (n == t->n_cols) {
            free(v);
            n++;
            break;
        }
        if (!quoted && !strcmp(v, "?"))
            v[0] = 0;
        cells[n++] = v;
        if (p >= end || *p != ',')
            break;
        p++;
    }
    if (n != t->n_cols || p < end) {
        for (size_t i = 0; i < n && i < t->n_cols; i++)
            free(cells[i]);
        free(cells);
        return err_set("%s:%zu: expected %zu comma-separated values as declared by the "
                       "@attribute lines", name, line, t->n_cols);
    }
    otab_add_row(t, cells);
    free(cells);
    return 0;
}

/* *out is the caller's; free it with otab_free. */
int offline_arff_parse(bench_csv **out, const char *text, size_t len, const char *name)
{
    *out = NULL;
    const char *p = text, *end = text + len;
    char **attrs = NULL;
    size_t n_attrs = 0, line = 0;
    bench_csv *t = NULL;
    int rc = 0;
    while (p < end && rc == 0) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        line++;
        const char *q = skip_ws(p, eol);
        if (q == eol || *q == '%') {
            /* blank or comment */
        } else if (!t && keyword(q, eol, "@attribute")) {
            const char *a = q + 10;
            int quoted;
            char *nm = arff_value(&a, eol, &quoted);
            if (!quoted) { /* a bare name ends at the first blank */
                char *sp = strpbrk(nm, " \t");
                if (sp)
                    *sp = 0;
            }
            attrs = xrealloc(attrs, (n_attrs + 1) * sizeof *attrs);
            attrs[n_attrs++] = nm;
        } else if (!t && keyword(q, eol, "@data")) {
            if (n_attrs == 0)
                rc = err_set("%s:%zu: @data before any @attribute", name, line);
            else
                t = otab_new(n_attrs, (const char *const *)attrs);
        } else if (t) {
            rc = arff_row(t, q, eol, name, line);
        } else if (!keyword(q, eol, "@relation")) {
            rc = err_set("%s:%zu: expected @relation, @attribute or @data", name, line);
        }
        p = eol < end ? eol + 1 : end;
    }
    if (rc == 0 && !t)
        rc = err_set("%s: no @data section", name);
    for (size_t i = 0; i < n_attrs; i++)
        free(attrs[i]);
    free(attrs);
    if (rc < 0) {
        otab_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* ---- IDX ------------------------------------------------------------------------ */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int offline_idx_parse(const unsigned char **payload, uint32_t sizes[3], int dims,
                      const unsigned char *data, size_t len, const char *name)
{
    size_t head = 4 + 4 * (size_t)dims;
    if (dims < 1 || dims > 3 || len < head)
        return err_set("%s: too short for an IDX header", name);
    if (data[0] || data[1] || data[2] != 0x08 || data[3] != dims)
        return err_set("%s: not an IDX file of unsigned bytes with %d dimensions "
                       "(magic %02x%02x%02x%02x)", name, dims, data[0], data[1], data[2],
                       data[3]);
    uint64_t total = 1;
    for (int i = 0; i < 3; i++)
        sizes[i] = 1;
    for (int i = 0; i < dims; i++) {
        sizes[i] = be32(data + 4 + 4 * i);
        total *= sizes[i];
        if (total > len)
            break;
    }
    if (total != len - head)
        return err_set("%s: header promises %llu bytes of data, file has %zu", name,
                       (unsigned long long)total, len - head);
    *payload = data + head;
    return 0;
}

/* ---- PNG -------------------------------------------------------------------------- */

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
}

static void put32(sb *s, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    sb_append(s, b, 4);
}

static void chunk(sb *png, const char *type, const unsigned char *data, size_t n)
{
    put32(png, (uint32_t)n);
    size_t at = png->len;
    sb_append(png, type, 4);
    sb_append(png, data, n);
    put32(png, crc32_of((const unsigned char *)png->buf + at, n + 4));
}

/* zlib stream of stored blocks (each at most 65535 bytes) + Adler-32. */
static void zlib_stored(sb *z, const unsigned char *raw, size_t n)
{
    sb_append(z, "\x78\x01", 2);
    size_t off = 0;
    do {
        size_t k = n - off > 65535 ? 65535 : n - off;
        unsigned char h[5] = {off + k == n, (unsigned char)k, (unsigned char)(k >> 8),
                              (unsigned char)~k, (unsigned char)(~k >> 8)};
        sb_append(z, h, 5);
        sb_append(z, raw + off, k);
        off += k;
    } while (off < n);
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < n; i++) {
        a = (a + raw[i]) % 65521;
        b = (b + a) % 65521;
    }
    put32(z, b << 16 | a);
}

void offline_png_gray(unsigned char **out, size_t *len, const unsigned char *pix,
                      uint32_t w, uint32_t h)
{
    size_t stride = (size_t)w + 1, n = stride * h;
    unsigned char *raw = xmalloc(n ? n : 1);
    for (uint32_t y = 0; y < h; y++) {
        raw[y * stride] = 0; /* filter type None */
        memcpy(raw + y * stride + 1, pix + (size_t)y * w, w);
    }
    sb png = {0}, z = {0};
    sb_append(&png, "\x89PNG\r\n\x1a\n", 8);
    unsigned char ihdr[13] = {0};
    for (int i = 0; i < 4; i++) {
        ihdr[i] = (unsigned char)(w >> (24 - 8 * i));
        ihdr[4 + i] = (unsigned char)(h >> (24 - 8 * i));
    }
    ihdr[8] = 8; /* bit depth; color type 0 (gray), no interlace */
    chunk(&png, "IHDR", ihdr, sizeof ihdr);
    zlib_stored(&z, raw, n);
    chunk(&png, "IDAT", (const unsigned char *)z.buf, z.len);
    chunk(&png, "IEND", (const unsigned char *)"", 0);
    *len = png.len;
    *out = (unsigned char *)sb_steal(&png);
    sb_free(&z);
    free(raw);
}

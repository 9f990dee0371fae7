/*
 * preview.c: the data preview shown to the LLM (see preview.h).
 *
 * The tree lists at most a few entries per folder (an image folder of 60,000
 * files becomes "images/ (60000 files, 45.1 MB)" plus a few names). CSV files
 * up to 64 MiB are parsed whole, so their row counts are exact; larger ones
 * are parsed from a prefix and say their counts are estimates. Column types
 * are inferred from the values: int, float, bool or str, with missing counts
 * (empty, NA, NaN, null) and up to three sample values.
 */
#include "preview.h"
#include "bench.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LISTED 8
#define FULL_CSV (64u << 20)
#define PREFIX_CSV (4u << 20)

static void human_size(char *buf, size_t n, double bytes)
{
    const char *units[] = {"B", "kB", "MB", "GB", "TB"};
    int u = 0;
    while (bytes >= 1000 && u < 4) {
        bytes /= 1000;
        u++;
    }
    snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of a folder (hidden ones skipped); caller frees. */
static char **list_dir(const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            names = xrealloc(names, cap * sizeof *names);
        }
        names[(*n)++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (*n)
        xqsort(names, *n, sizeof *names, cmp_str);
    return names;
}

static void free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static void dir_totals(const char *dir, size_t *files, double *bytes, int depth)
{
    size_t n;
    char **names = list_dir(dir, &n);
    for (size_t i = 0; i < n; i++) {
        char *p = path_join(dir, names[i]);
        struct stat st;
        if (stat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode) && depth < 8)
                dir_totals(p, files, bytes, depth + 1);
            else if (S_ISREG(st.st_mode)) {
                (*files)++;
                *bytes += (double)st.st_size;
            }
        }
        free(p);
    }
    free_list(names, n);
}

static void tree(sb *out, const char *dir, int depth)
{
    size_t n;
    char **names = list_dir(dir, &n);
    for (size_t i = 0; i < n; i++) {
        char *p = path_join(dir, names[i]);
        struct stat st;
        char size[32] = "?";
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            size_t files = 0;
            double bytes = 0;
            dir_totals(p, &files, &bytes, 0);
            human_size(size, sizeof size, bytes);
            sb_printf(out, "%*s%s/ (%zu files, %s)\n", depth * 2, "", names[i], files, size);
            if (depth < 2)
                tree(out, p, depth + 1);
        } else {
            if (stat(p, &st) == 0)
                human_size(size, sizeof size, (double)st.st_size);
            sb_printf(out, "%*s%s (%s)\n", depth * 2, "", names[i], size);
        }
        free(p);
        if (i + 1 == MAX_LISTED && n > MAX_LISTED + 1) {
            sb_printf(out, "%*s... and %zu more\n", depth * 2, "", n - MAX_LISTED);
            break;
        }
    }
    free_list(names, n);
}

static int is_missing(const char *v)
{
    return !*v || !strcmp(v, "NA") || !strcmp(v, "NaN") || !strcmp(v, "nan") ||
           !strcmp(v, "null") || !strcmp(v, "None");
}

static const char *value_kind(const char *v)
{
    char *end;
    errno = 0;
    (void)strtoll(v, &end, 10);
    if (!*end && end != v)
        return "int";
    (void)strtod(v, &end);
    if (!*end && end != v)
        return "float";
    if (!strcasecmp(v, "true") || !strcasecmp(v, "false"))
        return "bool";
    return "str";
}

/* cp1252's characters for the bytes 0x80-0x9F (0: undefined there), where
 * it differs from Latin-1; Kaggle's non-UTF-8 files are mostly one of the two. */
static const unsigned short cp1252_c1[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

static void put_code_point(sb *out, unsigned cp)
{
    char b[3];
    if (cp < 0x80) {
        sb_putc(out, (char)cp);
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3F));
        sb_append(out, b, 2);
    } else {
        b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        sb_append(out, b, 3);
    }
}

/* A file that is not UTF-8 (its bytes go into a JSON request, which must
 * be): decoded as cp1252 when it holds bytes 0x80-0x9F and cp1252 defines
 * them all (curly quotes, the euro sign), else as Latin-1, which decodes any
 * byte and reads the rest as cp1252 does. *codec names the one used, in Python's spelling,
 * so the preview can tell the model how to open the file. */
static char *decode_8bit(const char *data, size_t len, const char **codec, size_t *out_len)
{
    int c1 = 0, undefined = 0; /* bytes 0x80-0x9F: control codes in Latin-1 */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        c1 |= c >= 0x80 && c <= 0x9F;
        undefined |= c >= 0x80 && c <= 0x9F && !cp1252_c1[c - 0x80];
    }
    int cp1252 = c1 && !undefined; /* else both read it the same */
    *codec = cp1252 ? "cp1252" : "latin-1";
    sb out = {0};
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        put_code_point(&out, cp1252 && c >= 0x80 && c <= 0x9F ? cp1252_c1[c - 0x80] : c);
    }
    *out_len = out.len;
    return sb_steal(&out);
}

/* One column: its type (the widest kind seen), missing count, samples. */
static void describe_column(sb *out, const bench_csv *csv, size_t col)
{
    int kind = 0; /* 0 none, 1 bool, 2 int, 3 float, 4 str */
    size_t missing = 0, samples = 0;
    double total_len = 0;
    sb ex = {0};
    for (size_t r = 0; r < csv->n_rows; r++) {
        const char *v = bench_csv_cell(csv, r, col);
        if (is_missing(v)) {
            missing++;
            continue;
        }
        total_len += (double)strlen(v);
        const char *k = value_kind(v);
        int rank = !strcmp(k, "bool") ? 1 : !strcmp(k, "int") ? 2 : !strcmp(k, "float") ? 3 : 4;
        if (kind && (kind == 1) != (rank == 1))
            kind = 4; /* booleans mixed with numbers or strings: plain strings */
        else if (rank > kind)
            kind = rank;
        if (samples < 3) {
            sb_printf(&ex, "%s%.*s%s", samples ? ", " : "", 40, v, strlen(v) > 40 ? "..." : "");
            samples++;
        }
    }
    static const char *const kinds[] = {"empty", "bool", "int", "float", "str"};
    size_t present = csv->n_rows - missing;
    const char *kname = kinds[kind];
    if (kind == 4 && present && total_len / (double)present > 60)
        kname = "text";
    sb_printf(out, "  - %s: %s", csv->header[col], kname);
    if (missing)
        sb_printf(out, ", %zu missing", missing);
    sb_printf(out, "; e.g. %s\n", sb_str(&ex));
    sb_free(&ex);
}

static void describe_csv(sb *out, const char *path, const char *name, off_t size)
{
    char *data = NULL;
    size_t len = 0;
    int partial = size > (off_t)FULL_CSV;
    if (!partial) {
        if (file_read(path, &data, &len) < 0) {
            sb_printf(out, "\n%s: unreadable (%s)\n", name, err_last());
            return;
        }
    } else {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        data = xmalloc(PREFIX_CSV + 1);
        ssize_t n = fd >= 0 ? read(fd, data, PREFIX_CSV) : -1;
        if (fd >= 0)
            close(fd);
        len = n > 0 ? (size_t)n : 0;
        while (len && data[len - 1] != '\n')
            len--;
        data[len] = 0;
    }
    const char *codec = NULL;
    if (!utf8_valid(data, len) && !memchr(data, 0, len)) {
        char *dec = decode_8bit(data, len, &codec, &len);
        free(data);
        data = dec;
    }
    bench_csv *csv = NULL;
    if (bench_csv_parse(&csv, data, len, name) < 0) {
        sb_printf(out, "\n%s: not a well-formed CSV (%s)\n", name, err_last());
        free(data);
        return;
    }
    free(data);
    if (codec)
        sb_printf(out, "\n%s is not UTF-8; it decodes as %s (shown decoded below): read it "
                       "with encoding='%s', e.g. pd.read_csv(path, encoding='%s')",
                  name, !strcmp(codec, "cp1252") ? "Windows-1252 (cp1252)" : "Latin-1",
                  codec, codec);
    if (partial)
        sb_printf(out, "\n%s: ~%.0f rows (estimated from the first %u MB) x %zu columns\n",
                  name, (double)csv->n_rows * (double)size / PREFIX_CSV, PREFIX_CSV >> 20,
                  csv->n_cols);
    else
        sb_printf(out, "\n%s: %zu rows x %zu columns\n", name, csv->n_rows, csv->n_cols);
    size_t shown = csv->n_cols < 40 ? csv->n_cols : 30;
    for (size_t c = 0; c < shown; c++)
        describe_column(out, csv, c);
    if (shown < csv->n_cols)
        sb_printf(out, "  ... and %zu more columns\n", csv->n_cols - shown);
    bench_csv_free(csv);
}

static void describe_text(sb *out, const char *path, const char *name)
{
    char buf[601];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n < 0)
        return;
    buf[n] = 0;
    sb_printf(out, "\n%s (first %zd bytes):\n%s\n", name, n, buf);
}

static void describe_files(sb *out, const char *dir, const char *rel, int depth)
{
    size_t n;
    char **names = list_dir(dir, &n);
    for (size_t i = 0; i < n && i < 32; i++) {
        char *p = path_join(dir, names[i]);
        char *r = rel ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
        struct stat st;
        if (stat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode) && depth < 1)
                describe_files(out, p, r, depth + 1);
            else if (S_ISREG(st.st_mode) && str_ends(names[i], ".csv"))
                describe_csv(out, p, r, st.st_size);
            else if (S_ISREG(st.st_mode) && depth == 0 &&
                     (str_ends(names[i], ".json") || str_ends(names[i], ".txt")))
                describe_text(out, p, r);
        }
        free(p);
        free(r);
    }
    free_list(names, n);
}

char *preview_dir(const char *dir, size_t max_chars)
{
    if (!max_chars)
        max_chars = 6000;
    sb out = {0};
    sb_puts(&out, "Files in ./input:\n");
    tree(&out, dir, 0);
    describe_files(&out, dir, NULL, 0);
    /* file names and text files can hold any bytes; the preview goes into
     * JSON requests, which must be UTF-8 */
    if (!utf8_valid(out.buf, out.len)) {
        sb fixed = {0};
        utf8_sanitize(&fixed, out.buf, out.len);
        sb_free(&out);
        out = fixed;
    }
    if (out.len > max_chars) {
        out.len = max_chars;
        while (out.len && (out.buf[out.len - 1] & 0xC0) == 0x80)
            out.len--; /* do not cut a UTF-8 sequence in half */
        out.buf[out.len] = 0;
        sb_puts(&out, "\n[preview truncated]\n");
    }
    return sb_steal(&out);
}

static int is_image_name(const char *n)
{
    return str_ends(n, ".png") || str_ends(n, ".jpg") || str_ends(n, ".jpeg") ||
           str_ends(n, ".PNG") || str_ends(n, ".JPG") || str_ends(n, ".tif") ||
           str_ends(n, ".bmp");
}

/* 1 when a folder (one level down from dir) is mostly image files. */
static int has_image_folder(const char *dir)
{
    size_t n;
    char **names = list_dir(dir, &n);
    int found = 0;
    for (size_t i = 0; i < n && !found; i++) {
        char *p = path_join(dir, names[i]);
        if (dir_exists(p)) {
            size_t m, images = 0;
            char **inner = list_dir(p, &m);
            for (size_t k = 0; k < m && k < 200; k++)
                images += is_image_name(inner[k]);
            found = m && images * 2 > (m < 200 ? m : 200);
            free_list(inner, m);
        }
        free(p);
    }
    free_list(names, n);
    return found;
}

const char *preview_modality(const char *dir, const char *train_file)
{
    if (has_image_folder(dir))
        return "image";
    char *path = path_join(dir, train_file ? train_file : "train.csv");
    char buf[1 << 16];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
    if (fd >= 0)
        close(fd);
    size_t len = n > 0 ? (size_t)n : 0;
    while (len && buf[len - 1] != '\n')
        len--;
    bench_csv *csv = NULL;
    const char *kind = "tabular";
    if (len && bench_csv_parse(&csv, buf, len, "train") == 0) {
        for (size_t c = 0; c < csv->n_cols && csv->n_rows; c++) {
            double total = 0;
            for (size_t r = 0; r < csv->n_rows; r++)
                total += (double)strlen(bench_csv_cell(csv, r, c));
            if (total / (double)csv->n_rows > 60) {
                kind = "text";
                break;
            }
        }
        bench_csv_free(csv);
    }
    return kind;
}

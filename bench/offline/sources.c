/*
 * sources.c: loaders that turn each Debian-shipped dataset into one labelled
 * table (features + the label column, no id yet). prepare.c does the rest
 * (ids, split, files), identically for every competition.
 *
 * Compressed files go through `gzip -dc`; R data sets (stored in R's own
 * lazy-load databases, which only R reads) through `Rscript`, which writes
 * them as CSV. Both run at prepare time only.
 */
#include "offline.h"
#include "sources.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Decompress src into memory; *data is the caller's. */
static int gunzip_read(char **data, size_t *len, const char *src)
{
    const char *argv[] = {"gzip", "-dc", src, NULL};
    return offline_run(argv, data, len);
}

/* A header line followed by a headerless comma-separated file, parsed by
 * the bench CSV reader. The result is converted to an otab (caller frees). */
static int csv_with_header(bench_csv **out, const char *path, const char *header)
{
    char *data = NULL;
    size_t len = 0;
    if (file_read(path, &data, &len) < 0)
        return -1;
    sb s = {0};
    sb_puts(&s, header);
    sb_putc(&s, '\n');
    sb_append(&s, data, len);
    free(data);
    bench_csv *raw = NULL;
    int rc = bench_csv_parse(&raw, s.buf, s.len, path);
    sb_free(&s);
    if (rc < 0)
        return rc;
    *out = otab_select(raw, NULL, 0);
    bench_csv_free(raw);
    return *out ? 0 : -1;
}

/* Copy of src with only the named columns (all when n == 0), as an otab
 * (caller frees). NULL with err_last() naming a missing column. */
bench_csv *otab_select(const bench_csv *src, const char *const *cols, size_t n)
{
    size_t k = n ? n : src->n_cols;
    size_t *at = xmalloc(k * sizeof *at);
    const char **hdr = xmalloc(k * sizeof *hdr);
    for (size_t i = 0; i < k; i++) {
        int c = n ? bench_csv_col(src, cols[i]) : (int)i;
        if (c < 0) {
            err_set("column '%s' not found in the source data", cols[i]);
            free(at);
            free(hdr);
            return NULL;
        }
        at[i] = (size_t)c;
        hdr[i] = src->header[c];
    }
    bench_csv *t = otab_new(k, hdr);
    char **cells = xmalloc(k * sizeof *cells);
    for (size_t r = 0; r < src->n_rows; r++) {
        for (size_t i = 0; i < k; i++)
            cells[i] = xstrdup(bench_csv_cell(src, r, at[i]));
        otab_add_row(t, cells);
    }
    free(cells);
    free(hdr);
    free(at);
    return t;
}

/* ---- titanic (scikit-learn's OpenML test copy, ARFF) ---------------------------- */

int load_titanic(bench_csv **out, void **ctx, const char *file)
{
    (void)ctx;
    char *text = NULL;
    size_t len = 0;
    if (gunzip_read(&text, &len, file) < 0)
        return -1;
    bench_csv *raw = NULL;
    int rc = offline_arff_parse(&raw, text, len, file);
    free(text);
    if (rc < 0)
        return rc;
    /* boat, body and home.dest are recorded after the fact (a lifeboat
     * number means survival), so they would leak the answer */
    static const char *const keep[] = {"pclass", "name", "sex", "age", "sibsp", "parch",
                                       "ticket", "fare", "cabin", "embarked", "survived"};
    *out = otab_select(raw, keep, sizeof keep / sizeof *keep);
    otab_free(raw);
    return *out ? 0 : -1;
}

/* ---- spambase (deap-doc) and letters (opencv-doc): headerless CSV -------------- */

int load_spambase(bench_csv **out, void **ctx, const char *file)
{
    (void)ctx;
    /* the UCI column names: 48 word frequencies, 6 character frequencies,
     * 3 statistics of runs of capital letters, then the label */
    static const char *const words[] = {
        "make", "address", "all", "3d", "our", "over", "remove", "internet", "order",
        "mail", "receive", "will", "people", "report", "addresses", "free", "business",
        "email", "you", "credit", "your", "font", "000", "money", "hp", "hpl", "george",
        "650", "lab", "labs", "telnet", "857", "data", "415", "85", "technology", "1999",
        "parts", "pm", "direct", "cs", "meeting", "original", "project", "re", "edu",
        "table", "conference"};
    static const char *const chars[] = {"semicolon", "paren", "bracket", "exclamation",
                                        "dollar", "hash"};
    sb h = {0};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        sb_printf(&h, "word_freq_%s,", words[i]);
    for (size_t i = 0; i < sizeof chars / sizeof *chars; i++)
        sb_printf(&h, "char_freq_%s,", chars[i]);
    sb_puts(&h, "capital_run_length_average,capital_run_length_longest,"
                "capital_run_length_total,spam");
    int rc = csv_with_header(out, file, sb_str(&h));
    sb_free(&h);
    return rc;
}

int load_letters(bench_csv **out, void **ctx, const char *file)
{
    (void)ctx;
    return csv_with_header(out, file,
                           "letter,x_box,y_box,width,height,onpix,x_bar,y_bar,x2bar,"
                           "y2bar,xybar,x2ybr,xy2br,x_ege,xegvy,y_ege,yegvx");
}

/* ---- R data sets ---------------------------------------------------------------- */

static int rscript_csv(bench_csv **out, const char *expr, const char *name)
{
    const char *argv[] = {"Rscript", "--vanilla", "-e", expr, NULL};
    char *text = NULL;
    size_t len = 0;
    bench_csv *raw = NULL;
    int rc = offline_run(argv, &text, &len);
    if (rc == 0)
        rc = bench_csv_parse(&raw, text, len, name);
    if (rc == 0) {
        *out = otab_select(raw, NULL, 0);
        rc = *out ? 0 : -1;
    }
    bench_csv_free(raw);
    free(text);
    return rc;
}

int load_diamonds(bench_csv **out, void **ctx, const char *file)
{
    (void)ctx, (void)file;
    return rscript_csv(out,
                       "data(diamonds, package = 'ggplot2');"
                       "write.csv(as.data.frame(diamonds), stdout(), row.names = FALSE)",
                       "ggplot2::diamonds");
}

int load_churn(bench_csv **out, void **ctx, const char *file)
{
    (void)ctx, (void)file;
    return rscript_csv(out,
                       "data(wa_churn, package = 'modeldata');"
                       "d <- as.data.frame(wa_churn);"
                       "d$churn <- as.integer(d$churn == 'Yes');"
                       "d <- d[, c(setdiff(names(d), 'churn'), 'churn')];"
                       "write.csv(d, stdout(), row.names = FALSE, na = '')",
                       "modeldata::wa_churn");
}

/* "Sense & Sensibility" -> "sense_and_sensibility": labels that are also
 * valid column names in the submission. Owned by the caller. */
static char *slug(const char *s)
{
    sb o = {0};
    for (; *s; s++) {
        if (*s == '&')
            sb_puts(&o, "and");
        else if (isalnum((unsigned char)*s))
            sb_putc(&o, (char)tolower((unsigned char)*s));
        else if (o.len && o.buf[o.len - 1] != '_')
            sb_putc(&o, '_');
    }
    while (o.len && o.buf[o.len - 1] == '_')
        o.buf[--o.len] = 0;
    return sb_steal(&o);
}

static size_t words_in(const char *s)
{
    size_t n = 0;
    for (int in = 0; *s; s++) {
        int w = !isspace((unsigned char)*s);
        n += w && !in;
        in = w;
    }
    return n;
}

/* Consecutive non-blank lines of one book make a passage; passages under
 * 12 words (chapter headings, "THE END", short replies) say too little
 * about their author's book to be a fair example. */
static void austen_passages(bench_csv *t, const bench_csv *lines)
{
    sb text = {0};
    const char *book = NULL;
    for (size_t r = 0; r <= lines->n_rows; r++) {
        const char *line = r < lines->n_rows ? bench_csv_cell(lines, r, 0) : "";
        const char *b = r < lines->n_rows ? bench_csv_cell(lines, r, 1) : "";
        int blank = strspn(line, " \t") == strlen(line);
        if ((blank || (book && strcmp(b, book))) && text.len) {
            if (words_in(sb_str(&text)) >= 12) {
                char *cells[2] = {sb_steal(&text), slug(book)};
                otab_add_row(t, cells);
            }
            sb_reset(&text);
        }
        if (!blank) {
            sb_printf(&text, "%s%s", text.len ? " " : "", line);
            book = b;
        }
    }
    sb_free(&text);
}

int load_austen(bench_csv **out, void **ctx, const char *file)
{
    (void)ctx, (void)file;
    bench_csv *lines = NULL;
    int rc = rscript_csv(&lines,
                         "b <- janeaustenr::austen_books();"
                         "write.csv(data.frame(text = b$text, book = as.character(b$book)),"
                         " stdout(), row.names = FALSE)",
                         "janeaustenr::austen_books()");
    if (rc < 0)
        return rc;
    static const char *const hdr[] = {"text", "book"};
    *out = otab_new(2, hdr);
    austen_passages(*out, lines);
    otab_free(lines);
    return 0;
}

/* ---- Fashion-MNIST (dataset-fashion-mnist): IDX files, written as PNG ------------- */

typedef struct fashion_ctx {
    char *images;              /* the decompressed IDX file */
    const unsigned char *pix;  /* n * 28 * 28 bytes inside it */
    uint32_t n, h, w;
} fashion_ctx;

void free_fashion(void *ctx)
{
    fashion_ctx *f = ctx;
    if (f)
        free(f->images);
    free(f);
}

/* Reads the images (file) and the labels beside them. The image column
 * holds the source index until finish_fashion has written the PNG. */
int load_fashion(bench_csv **out, void **ctx, const char *file)
{
    static const char *const names[] = {"tshirt_top", "trouser", "pullover", "dress",
                                        "coat", "sandal", "shirt", "sneaker", "bag",
                                        "ankle_boot"};
    fashion_ctx *f = xcalloc(1, sizeof *f);
    const char *slash = strrchr(file, '/');
    char *labels = NULL;
    char *lab_path = xasprintf("%.*s/train-labels-idx1-ubyte.gz",
                               slash ? (int)(slash - file) : 1, slash ? file : ".");
    size_t ilen = 0, llen = 0;
    uint32_t isz[3], lsz[3];
    const unsigned char *lab = NULL;
    int rc = -1;
    if (gunzip_read(&f->images, &ilen, file) < 0 ||
        gunzip_read(&labels, &llen, lab_path) < 0 ||
        offline_idx_parse(&f->pix, isz, 3, (unsigned char *)f->images, ilen, file) < 0 ||
        offline_idx_parse(&lab, lsz, 1, (unsigned char *)labels, llen, lab_path) < 0)
        goto fail;
    if (isz[0] != lsz[0]) {
        err_set("%s has %u images but %s has %u labels", file, isz[0], lab_path, lsz[0]);
        goto fail;
    }
    f->n = isz[0], f->h = isz[1], f->w = isz[2];
    static const char *const hdr[] = {"image", "label"};
    *out = otab_new(2, hdr);
    for (uint32_t i = 0; i < f->n; i++) {
        if (lab[i] >= 10) {
            err_set("%s: label %u of image %u is not a Fashion-MNIST class (0-9)",
                    lab_path, lab[i], i);
            otab_free(*out);
            *out = NULL;
            goto fail;
        }
        char *cells[2] = {xasprintf("%u", i), xstrdup(names[lab[i]])};
        otab_add_row(*out, cells);
    }
    *ctx = f;
    f = NULL;
    rc = 0;
fail:
    free_fashion(f);
    free(labels);
    free(lab_path);
    return rc;
}

/* A plain write: the whole prepared folder is renamed into place at the
 * end, so thousands of small files need no fsync each. */
static int write_plain(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return err_set("%s: %s", path, strerror(errno));
    size_t n = fwrite(data, 1, len, fp);
    if (fclose(fp) != 0 || n != len)
        return err_set("%s: write failed", path);
    return 0;
}

int finish_fashion(void *ctx, bench_csv *full, const char *public_dir)
{
    fashion_ctx *f = ctx;
    int img = bench_csv_col(full, "image"), id = bench_csv_col(full, "id");
    char *dir = path_join(public_dir, "images");
    int rc = img < 0 || id < 0 ? err_set("fashion: image or id column missing") : 0;
    if (rc == 0)
        rc = mkdir_p(dir, 0755);
    for (size_t r = 0; rc == 0 && r < full->n_rows; r++) {
        unsigned long k = strtoul(bench_csv_cell(full, r, (size_t)img), NULL, 10);
        if (k >= f->n) {
            rc = err_set("fashion: image index %lu out of range", k);
            break;
        }
        unsigned char *png = NULL;
        size_t len = 0;
        offline_png_gray(&png, &len, f->pix + (size_t)k * f->w * f->h, f->w, f->h);
        char *rel = xasprintf("images/%s.png", bench_csv_cell(full, r, (size_t)id));
        char *path = path_join(public_dir, rel);
        rc = write_plain(path, png, len);
        free(path);
        free(png);
        otab_set(full, r, (size_t)img, rel);
    }
    free(dir);
    return rc;
}

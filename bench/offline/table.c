/*
 * table.c: the small tools behind prepare and the holdout split: tables
 * assembled in memory, a seeded random generator, and running an external
 * extractor (gzip, Rscript) with its output into a file.
 */
#include "offline.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- tables ------------------------------------------------------------------ */

/* Returns a table the caller frees with otab_free. */
bench_csv *otab_new(size_t n_cols, const char *const *header)
{
    bench_csv *t = xcalloc(1, sizeof *t);
    t->n_cols = n_cols;
    t->header = xcalloc(n_cols ? n_cols : 1, sizeof *t->header);
    for (size_t c = 0; c < n_cols; c++)
        t->header[c] = xstrdup(header[c]);
    return t;
}

void otab_add_row(bench_csv *t, char **cells)
{
    /* the capacity is implicit: the smallest power of two >= n_rows, so the
     * arrays grow exactly when n_rows is 0 or a power of two */
    size_t n = t->n_rows;
    if ((n & (n - 1)) == 0) {
        size_t cap = n ? 2 * n : 1;
        t->cells = xrealloc(t->cells, cap * (t->n_cols ? t->n_cols : 1) * sizeof(char *));
        t->row_line = xrealloc(t->row_line, cap * sizeof(size_t));
    }
    memcpy(t->cells + n * t->n_cols, cells, t->n_cols * sizeof(char *));
    t->row_line[n] = n + 2; /* as if written with a header line */
    t->n_rows = n + 1;
}

void otab_set(bench_csv *t, size_t row, size_t col, char *value)
{
    free(t->cells[row * t->n_cols + col]);
    t->cells[row * t->n_cols + col] = value;
}

void otab_free(bench_csv *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
        free(t->cells[i]);
    for (size_t c = 0; c < t->n_cols; c++)
        free(t->header[c]);
    free(t->cells);
    free(t->header);
    free(t->row_line);
    free(t);
}

/* The message names the file, the column and the columns that are there,
 * which is what someone fixing a registry entry or a CSV needs to see. */
int offline_need_col(const bench_csv *t, const char *name, const char *file)
{
    int c = bench_csv_col(t, name);
    if (c >= 0)
        return c;
    sb cols = {0};
    for (size_t i = 0; i < t->n_cols; i++)
        sb_printf(&cols, "%s%s", i ? ", " : "", t->header[i]);
    err_set("column '%s' not found in %s (columns: %s)", name, file, sb_str(&cols));
    sb_free(&cols);
    return -1;
}

/* ---- randomness ---------------------------------------------------------------- */

/* The salt keeps streams for different purposes (id order, test rows) apart
 * even with the same seed. */
void orng_seed(orng *r, unsigned long seed, const char *salt)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a over the salt */
    for (const char *p = salt ? salt : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    r->s = (uint64_t)seed ^ h;
}

uint64_t orng_next(orng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void orng_shuffle(orng *r, size_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        /* modulo bias is below 2^-40 for any table grove handles */
        size_t j = (size_t)(orng_next(r) % i);
        size_t tmp = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = tmp;
    }
}

/* ---- external tools ------------------------------------------------------------- */

static void describe(sb *s, const char *const *argv)
{
    for (size_t i = 0; argv[i] && i < 3; i++)
        sb_printf(s, "%s%s", i ? " " : "", argv[i]);
    if (argv[0] && argv[1] && argv[2] && argv[3])
        sb_puts(s, " ...");
}

/* Drain fd into s; 0 or -1 (errno set). */
static int drain(int fd, sb *s)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return (int)n;
        sb_append(s, buf, (size_t)n);
    }
}

/* Output goes through a pipe straight into memory: the decompressed
 * Fashion-MNIST images are 47 MB that need not touch the disk. */
int offline_run(const char *const *argv, char **out, size_t *len)
{
    sb what = {0}, got = {0};
    describe(&what, argv);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        err_set("%s: pipe: %s", sb_str(&what), strerror(errno));
        sb_free(&what);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        if (dup2(fds[1], 1) < 0)
            _exit(126);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    int rd = pid < 0 ? 0 : drain(fds[0], &got), e = errno;
    close(fds[0]);
    int status = 0, rc = -1;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (pid < 0)
        err_set("%s: fork: %s", sb_str(&what), strerror(errno));
    else if (rd < 0)
        err_set("%s: reading its output: %s", sb_str(&what), strerror(e));
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        err_set("%s: cannot run '%s' (is it installed?)", sb_str(&what), argv[0]);
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        err_set("%s: failed (%s %d)", sb_str(&what),
                WIFEXITED(status) ? "exit status" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    else
        rc = 0;
    sb_free(&what);
    if (rc < 0) {
        sb_free(&got);
        return rc;
    }
    *len = got.len;
    *out = got.buf ? sb_steal(&got) : xstrdup("");
    return 0;
}

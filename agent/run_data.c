/*
 * run_data.c: the training data a run stands on, checked before anything is
 * made. A train.csv that is missing, empty, binary or only a header cannot be
 * split or scored; without this check grove fell back to self-report scoring
 * and spent every step on scripts that could not train. The check reads at
 * most the first 64 KiB, so a large file costs nothing here.
 */
#include "run.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEAD_BYTES (64u << 10)

/* 1 when dir holds any entry whose name starts with "train" (train.csv.gz,
 * train/, train_images/): data in a form this check does not read. */
static int has_train_entry(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0;
    while (d && !found && (e = readdir(d)))
        found = !strncmp(e->d_name, "train", 5);
    if (d)
        closedir(d);
    return found;
}

/* What is wrong with a CSV's first bytes, or NULL. */
static const char *csv_fault(const unsigned char *b, size_t n, off_t size)
{
    if (size == 0)
        return "is empty (0 bytes)";
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
        return "is gzip-compressed, not a CSV: decompress it (gunzip) where it is";
    if (memchr(b, 0, n))
        return "is binary, not a CSV (it holds NUL bytes; a spreadsheet or an archive "
               "saved under a .csv name?)";
    const unsigned char *nl = memchr(b, '\n', n);
    size_t i = nl ? (size_t)(nl - b) + 1 : n;
    while (i < n && (b[i] == '\n' || b[i] == '\r' || b[i] == ' ' || b[i] == '\t'))
        i++;
    if (i < n)
        return NULL;
    if ((off_t)n < size)
        return NULL; /* blank for 64 KiB, then rows: odd, but the split decides */
    for (size_t k = 0; k < n; k++)
        if (b[k] != '\n' && b[k] != '\r' && b[k] != ' ' && b[k] != '\t')
            return "has a header line and no data rows";
    return "holds only blank lines";
}

int run_check_train(const char *public_dir, const bench_competition *comp)
{
    const char *name = comp && comp->train_file ? comp->train_file : "train.csv";
    char *path = path_join(public_dir, name);
    struct stat st;
    const char *fault = NULL;
    unsigned char *head = NULL;
    if (stat(path, &st) < 0) {
        if ((comp && comp->train_file) || !has_train_entry(public_dir))
            fault = "is missing";
    } else if (S_ISREG(st.st_mode) && str_ends(name, ".csv")) {
        head = xmalloc(HEAD_BYTES);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, head, HEAD_BYTES) : -1;
        if (fd >= 0)
            close(fd);
        fault = n < 0 ? "cannot be read" : csv_fault(head, (size_t)n, st.st_size);
    }
    free(head);
    int rc = 0;
    if (fault)
        rc = err_set("data: %s %s: grove needs training rows to split, train and score on; "
                     "put the competition's training data there (a bundled competition: "
                     "`grove prepare ID` again)", path, fault);
    free(path);
    return rc;
}

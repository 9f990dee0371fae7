/*
 * run_submission.c: the submission file a candidate left in its workspace.
 *
 * grove grades it outside the sandbox, where the answers the sandbox hides
 * are readable. A script that makes ./submission/submission.csv (or the
 * folder) a symbolic link to the holdout or the competition's answers would
 * have grove grade the answers against themselves: a perfect score from
 * nothing. So only a regular file reached through no link counts. Nothing of
 * the candidate runs any more when this is asked (the sandbox's processes
 * die with it), so the file cannot be swapped between the check and the read.
 */
#include "run.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* 0: a regular entry of the wanted kind; 1: none; -1: a link or another kind. */
static int plain(const char *path, int want_dir, const char *shown)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT || errno == ENOTDIR ? 1 : err_set("%s: %s", shown, strerror(errno));
    if (S_ISLNK(st.st_mode))
        return err_set("%s is a symbolic link: grove grades only a file the script wrote "
                       "there itself", shown);
    if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
        return err_set("%s is not a %s", shown, want_dir ? "folder" : "regular file");
    return 0;
}

int run_submission(const char *workdir, char **path)
{
    *path = NULL;
    char *dir = path_join(workdir, "submission");
    int rc = plain(dir, 1, "./submission");
    char *file = path_join(dir, "submission.csv");
    free(dir);
    if (rc == 0)
        rc = plain(file, 0, "./submission/submission.csv");
    if (rc == 0)
        *path = file;
    else
        free(file);
    return rc;
}

/*
 * bench_slurm_state.c: what the Slurm backend keeps between runs of grove
 * (the state file, STATE/slurm-jobs.tsv; its format is in bench_slurm_int.h)
 * and where Slurm keeps its completion records (the jobcomp/filetxt file).
 *
 * The state file is appended to, line by line, and read leniently: a line
 * that does not parse (a torn last line after a crash) is skipped with a
 * warning, never fatal, since the worst a lost line costs is a task that
 * `--resume` submits again instead of adopting.
 */
#include "bench_slurm_int.h"

#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the state file ---------------------------------------------------- */

/* The job name for a bench whose state folder is dir: "grove-" and the
 * bench folder's name, in the characters Slurm shows plainly. */
static char *job_name(const char *dir)
{
    char *copy = xstrdup(dir);
    size_t n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    char *slash = strrchr(copy, '/');
    if (slash && slash != copy) /* the bench folder: the state folder's parent */
        *slash = '\0';
    const char *base = strrchr(copy, '/') ? strrchr(copy, '/') + 1 : copy;
    sb s = {0};
    sb_puts(&s, "grove-");
    for (const char *p = base; *p && s.len < 40; p++)
        sb_putc(&s, (strchr("-_.", *p) || (*p >= '0' && *p <= '9') ||
                     ((*p | 32) >= 'a' && (*p | 32) <= 'z')) ? *p : '_');
    if (s.len == 6)
        sb_puts(&s, "bench");
    free(copy);
    return sb_steal(&s);
}

static void add_array(slurm_state *s, long id, long off)
{
    s->arrays = xrealloc(s->arrays, (size_t)(s->n_arrays + 1) * sizeof *s->arrays);
    s->arrays_off = xrealloc(s->arrays_off, (size_t)(s->n_arrays + 1) * sizeof *s->arrays_off);
    s->arrays[s->n_arrays] = id;
    s->arrays_off[s->n_arrays++] = off;
}

static void add_task(slurm_state *s, long id, int index, const char *run_dir)
{
    s->tasks = xrealloc(s->tasks, (size_t)(s->n_tasks + 1) * sizeof *s->tasks);
    s->tasks[s->n_tasks++] = (slurm_task_rec){id, index, xstrdup(run_dir)};
}

/* One line of the state file; 0, or -1 when it does not parse. */
static int state_line(slurm_state *s, char *line)
{
    char *f[4] = {line, NULL, NULL, NULL};
    for (int i = 1; i < 4 && f[i - 1]; i++) {
        f[i] = strchr(f[i - 1], '\t');
        if (f[i])
            *f[i]++ = '\0';
    }
    char *end;
    if (strcmp(f[0], "name") == 0 && f[1] && f[1][0] && !s->name) {
        s->name = xstrdup(f[1]);
        return 0;
    }
    long id = f[1] ? strtol(f[1], &end, 10) : 0;
    if (id <= 0 || *end != '\0' || !f[2])
        return -1;
    long v = strtol(f[2], &end, 10);
    if (v < 0 || *end != '\0')
        return -1;
    if (strcmp(f[0], "array") == 0 && !f[3]) {
        add_array(s, id, v);
        return 0;
    }
    if (strcmp(f[0], "task") == 0 && f[3] && f[3][0] == '/' && v <= 1000000) {
        add_task(s, id, (int)v, f[3]);
        return 0;
    }
    return -1;
}

static int state_read(slurm_state *s)
{
    if (!file_exists(s->path))
        return 0;
    char *text;
    if (file_read(s->path, &text, NULL) != 0)
        return err_prefix("slurm backend: cannot read the bench's Slurm state (fix its "
                          "permissions; without it --resume may submit a run twice)");
    int lineno = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        if (line[0] != '#' && state_line(s, line) != 0)
            log_warn("slurm backend: %s line %d does not parse, skipped", s->path, lineno);
    }
    free(text);
    return 0;
}

int slurm_state_record(slurm_state *s, long id, long off, const bench_job *jobs, const int *pick,
                       int k)
{
    sb text = {0};
    if (!file_exists(s->path))
        sb_printf(&text, "# grove bench, slurm backend: arrays and their tasks "
                         "(bench_slurm_int.h)\nname\t%s\n", s->name);
    sb_printf(&text, "array\t%ld\t%ld\n", id, off);
    for (int j = 0; j < k; j++)
        sb_printf(&text, "task\t%ld\t%d\t%s\n", id, j, jobs[pick[j]].run_dir);
    int rc = file_append(s->path, text.buf, text.len);
    sb_free(&text);
    add_array(s, id, off);
    for (int j = 0; j < k; j++)
        add_task(s, id, j, jobs[pick[j]].run_dir);
    return rc != 0 ? err_prefix("slurm backend: array %ld was submitted but not recorded "
                                "(scancel %ld if this bench is not resumed)", id, id) : 0;
}

/* ---- the jobcomp file ---------------------------------------------------- */

/* "JobCompLoc              = /var/log/slurm/jobcomp.txt" -> the value. */
static char *config_value(const char *text, const char *key)
{
    size_t kn = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, key, kn) != 0 || (p[kn] != ' ' && p[kn] != '='))
            continue;
        const char *v = strchr(p, '=');
        const char *eol = p + strcspn(p, "\n");
        if (!v || v > eol)
            return NULL;
        v++;
        while (*v == ' ')
            v++;
        return xstrndup(v, (size_t)(eol - v));
    }
    return NULL;
}

static void find_jobcomp(slurm_state *s)
{
    char *argv[] = {"scontrol", "show", "config", NULL};
    subproc_result r;
    if (slurm_cmd(&r, argv, SLURM_CMD_TIMEOUT_S) != 0) {
        snprintf(s->jobcomp_note, sizeof s->jobcomp_note, "%s", err_last());
        subproc_result_free(&r);
        return;
    }
    char *type = config_value(r.out, "JobCompType");
    char *loc = config_value(r.out, "JobCompLoc");
    if (!type || strcmp(type, "jobcomp/filetxt") != 0)
        snprintf(s->jobcomp_note, sizeof s->jobcomp_note,
                 "the cluster keeps no job completion file (JobCompType=%s, grove reads "
                 "jobcomp/filetxt): final states come from squeue alone, which forgets a job "
                 "MinJobAge seconds after it ends", type ? type : "unset");
    else if (!loc || loc[0] != '/' || access(loc, R_OK) != 0)
        snprintf(s->jobcomp_note, sizeof s->jobcomp_note,
                 "the job completion file JobCompLoc=%s is not readable here (is it on the "
                 "controller's disk only?): final states come from squeue alone",
                 loc ? loc : "unset");
    else
        s->jobcomp = xstrdup(loc);
    free(type);
    free(loc);
    subproc_result_free(&r);
}

long slurm_jobcomp_size(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 ? (long)st.st_size : 0;
}

void slurm_jobcomp_scan(const char *path, long *off, void (*cb)(void *ctx, const slurm_rec *r),
                        void *ctx)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (slurm_jobcomp_size(path) < *off)
        *off = 0;
    if (fseek(f, *off, SEEK_SET) != 0) {
        fclose(f);
        return;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] != '\n') /* being written: read it next time */
            break;
        *off += n;
        slurm_rec r;
        if (slurm_parse_jobcomp(&r, line, (size_t)n - 1) == 0)
            cb(ctx, &r);
    }
    free(line);
    fclose(f);
}

/* ---- load / free ------------------------------------------------------- */

int slurm_state_load(slurm_state *s, const char *dir)
{
    memset(s, 0, sizeof *s);
    int rc = 0;
    if (dir) { /* without one, start() refuses: nothing is submitted */
        s->dir = xstrdup(dir);
        s->path = path_join(dir, "slurm-jobs.tsv");
        rc = state_read(s);
    }
    if (!s->name)
        s->name = job_name(dir ? dir : "/bench/backend");
    find_jobcomp(s);
    return rc;
}

void slurm_state_free(slurm_state *s)
{
    for (int i = 0; i < s->n_tasks; i++)
        free(s->tasks[i].run_dir);
    free(s->tasks);
    free(s->arrays);
    free(s->arrays_off);
    free(s->jobcomp);
    free(s->name);
    free(s->path);
    free(s->dir);
    memset(s, 0, sizeof *s);
}

const char *slurm_state_run_dir(const slurm_state *s, long array_id, int index)
{
    for (int i = s->n_tasks - 1; i >= 0; i--)
        if (s->tasks[i].array_id == array_id && s->tasks[i].index == index)
            return s->tasks[i].run_dir;
    return NULL;
}

long slurm_state_offset(const slurm_state *s, long array_id)
{
    for (int i = 0; i < s->n_arrays; i++)
        if (s->arrays[i] == array_id)
            return s->arrays_off[i];
    return 0;
}

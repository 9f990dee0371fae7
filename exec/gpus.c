/*
 * gpus.c: which NVIDIA GPUs this machine has, and how to share them out.
 *
 * Detection asks `nvidia-smi` first, which knows each GPU's name and memory:
 *
 *   nvidia-smi --query-gpu=index,name,memory.total,pci.bus_id \
 *              --format=csv,noheader,nounits
 *   0, NVIDIA H100 80GB HBM3, 81559, 00000000:3B:00.0
 *
 * The index is nvidia-smi's, which counts in PCI bus order; CUDA counts
 * fastest-first unless CUDA_DEVICE_ORDER=PCI_BUS_ID, which env_build sets,
 * so the index is also the number CUDA_VISIBLE_DEVICES takes. The device
 * file of a GPU is /dev/nvidiaN with N its minor number, which the driver
 * states in /proc/driver/nvidia/gpus/<bus id>/information ("Device Minor");
 * where that is unreadable N is taken to be the index, which is what the
 * driver assigns on every machine we know of.
 *
 * Without nvidia-smi (a container given the device files only, or the tests
 * here, which make them with mknod) the GPUs are the /dev/nvidia[0-9]*
 * files, in order of N, with no name or memory known.
 *
 * Division: a run's workers, or a bench's runs, each take a contiguous block
 * of GPUs (exec_gpus_divide), so that nothing running at once shares one
 * unless the caller asks for sharing.
 */
#include "exec_internal.h"

#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int gpu_cmp(const void *a, const void *b)
{
    const exec_gpu *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

static void add_gpu(exec_gpu **v, int *n, const exec_gpu *g)
{
    *v = xrealloc(*v, (size_t)(*n + 1) * sizeof **v);
    (*v)[(*n)++] = *g;
}

/* The "Device Minor" of the GPU at bus id "00000000:3B:00.0" (nvidia-smi's
 * form; the driver's folder is "0000:3b:00.0"), or -1. */
static int driver_minor(const char *bus_id)
{
    size_t n = strlen(bus_id);
    if (n < 12)
        return -1;
    char id[16], *text = NULL;
    snprintf(id, sizeof id, "%s", bus_id + n - 12);
    for (char *p = id; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    char *path = xasprintf("/proc/driver/nvidia/gpus/%s/information", id);
    int minor = -1;
    if (file_read(path, &text, NULL) == 0) {
        const char *m = strstr(text, "Device Minor:");
        if (m)
            minor = atoi(m + strlen("Device Minor:"));
    }
    free(text);
    free(path);
    return minor;
}

/* One line of nvidia-smi's CSV; 0 when it parsed. */
static int parse_smi_line(const char *line, exec_gpu *g)
{
    char name[sizeof g->name], bus[64] = "";
    long mem = 0;
    int idx;
    if (sscanf(line, "%d , %95[^,] , %ld , %63s", &idx, name, &mem, bus) < 2 || idx < 0)
        return -1;
    memset(g, 0, sizeof *g);
    g->index = idx;
    snprintf(g->name, sizeof g->name, "%s", name);
    for (size_t k = strlen(g->name); k > 0 && g->name[k - 1] == ' '; k--)
        g->name[k - 1] = 0;
    g->mem_mb = mem > 0 ? mem : 0;
    g->minor = *bus ? driver_minor(bus) : -1;
    if (g->minor < 0)
        g->minor = idx;
    return 0;
}

/* Run nvidia-smi (an absolute path) and parse its list. < 0 when it cannot
 * run or says nothing usable. */
static int from_smi(exec_gpu **out, int *n, const char *smi)
{
    char *argv[] = {(char *)smi, "--query-gpu=index,name,memory.total,pci.bus_id",
                    "--format=csv,noheader,nounits", NULL};
    char *envp[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", NULL};
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    spawn_req req = {.argv = argv, .envp = envp, .out_fd = fds[1], .stats_fd = -1};
    pid_t pid;
    int rc = spawn_process(&pid, &req);
    close(fds[1]);
    sb text = {0};
    char buf[4096];
    ssize_t got;
    while (rc == 0 && ((got = read(fds[0], buf, sizeof buf)) > 0 || (got < 0 && errno == EINTR)))
        if (got > 0)
            sb_append(&text, buf, (size_t)got);
    close(fds[0]);
    int status = -1;
    while (rc == 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        for (const char *p = sb_str(&text); *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != 0)) {
            exec_gpu g;
            if (parse_smi_line(p, &g) == 0)
                add_gpu(out, n, &g);
        }
    sb_free(&text);
    return *n > 0 ? 0 : -1;
}

/* The DEV/nvidia[0-9]* files. */
static void from_dev(exec_gpu **out, int *n, const char *dev_dir)
{
    DIR *d = opendir(dev_dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char *end;
        if (strncmp(e->d_name, "nvidia", 6) != 0 || !isdigit((unsigned char)e->d_name[6]))
            continue;
        long minor = strtol(e->d_name + 6, &end, 10);
        if (*end || minor > 255)
            continue;
        exec_gpu g = {.index = (int)minor, .minor = (int)minor};
        snprintf(g.name, sizeof g.name, "NVIDIA GPU");
        add_gpu(out, n, &g);
    }
    if (d)
        closedir(d);
    /* the files give minors, not nvidia-smi's indices: number them in order */
    if (*n > 1)
        xqsort(*out, (size_t)*n, sizeof **out, gpu_cmp);
    for (int i = 0; i < *n; i++)
        (*out)[i].index = i;
}

/* An executable named `name` on PATH, or NULL (caller frees). */
static char *on_path(const char *name)
{
    const char *path = getenv("PATH");
    for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
        size_t len = strcspn(p, ":");
        char *cand = xasprintf("%.*s/%s", (int)len, p, name);
        if (len && cand[0] == '/' && access(cand, X_OK) == 0)
            return cand;
        free(cand);
        p += len + (p[len] == ':');
    }
    return NULL;
}

int exec_gpus_detect(exec_gpu **out, int *n, const char *dev_dir, const char *smi)
{
    *out = NULL;
    *n = 0;
    char *found = smi ? xstrdup(smi) : on_path("nvidia-smi");
    int rc = found ? from_smi(out, n, found) : -1;
    free(found);
    if (rc < 0) {
        free(*out);
        *out = NULL;
        *n = 0;
        from_dev(out, n, dev_dir ? dev_dir : "/dev");
    }
    return 0;
}

int exec_gpus_select(exec_gpu **out, int *n, const exec_gpu *all, int n_all, const char *spec)
{
    *out = NULL;
    *n = 0;
    if (!spec || !strcmp(spec, "all")) {
        for (int i = 0; i < n_all; i++)
            add_gpu(out, n, &all[i]);
        return 0;
    }
    if (!strcmp(spec, "none"))
        return 0;
    for (const char *p = spec; *p;) {
        char *end;
        long idx = strtol(p, &end, 10);
        int found = -1;
        for (int i = 0; end != p && i < n_all && found < 0; i++)
            if (all[i].index == idx)
                found = i;
        for (int i = 0; found >= 0 && i < *n; i++)
            if ((*out)[i].index == idx)
                found = -2;
        if (end == p || (*end && *end != ',') || found < 0) {
            char *have = exec_gpus_list(all, n_all);
            err_set("--gpus '%s': %s '%.*s' (this machine has %s%s; use all, none or a "
                    "list like 0,1)", spec, found == -2 ? "GPU listed twice:" : "no GPU",
                    (int)strcspn(p, ","), p, n_all ? "GPUs " : "no GPU", have);
            free(have);
            free(*out);
            *out = NULL;
            *n = 0;
            return -1;
        }
        add_gpu(out, n, &all[found]);
        p = *end ? end + 1 : end;
    }
    return 0;
}

int exec_gpus_divide(int n_gpus, int parts, int part, int share, int *first, int *count)
{
    *first = 0;
    *count = 0;
    if (n_gpus <= 0 || parts <= 0 || part < 0 || part >= parts)
        return 0;
    if (parts > n_gpus) {
        if (!share && part >= n_gpus)
            return 0;
        *first = part % n_gpus;
        *count = 1;
        return 1;
    }
    /* blocks as even as possible: part p gets [p*n/parts, (p+1)*n/parts) */
    *first = (int)((long)part * n_gpus / parts);
    *count = (int)((long)(part + 1) * n_gpus / parts) - *first;
    /* every part a block of at least one GPU inside the list */
    assert(*count >= 1 && *first >= 0 && *first + *count <= n_gpus);
    return *count;
}

char *exec_gpus_list(const exec_gpu *gpus, int n)
{
    sb s = {0};
    sb_puts(&s, "");
    for (int i = 0; i < n; i++)
        sb_printf(&s, "%s%d", i ? "," : "", gpus[i].index);
    return sb_steal(&s);
}

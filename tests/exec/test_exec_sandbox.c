/*
 * test_exec_sandbox.c: what the sandbox refuses, checked from both sides
 * (the script's errors, and the host's files afterwards):
 *   - writes outside the workspace (/etc, /usr, the folder beside the
 *     workspace, input/) fail; working/, submission/ and a private /tmp work;
 *   - hidden folders (the competition's private answers, the run folder
 *     around the workspace) are empty inside, the workspace still visible;
 *   - input/ shows the given input folder, read-only;
 *   - no network: a server of ours on 127.0.0.1 cannot be reached;
 *   - the script runs as uid 65534 with no capabilities.
 * Skipped (77) where bubblewrap cannot run.
 */
#include "fixture.h"

#include <netinet/in.h>
#include <sys/socket.h>

static const char script_fmt[] =
    "import os, socket\n"
    "def attempt(path):\n"
    "    try:\n"
    "        with open(path, 'w') as f: f.write('x')\n"
    "        print('WROTE', path)\n"
    "    except OSError as e:\n"
    "        print('REFUSED', path)\n"
    "for p in ['/etc/grove-probe', '/usr/grove-probe', '%s', '%s', 'input/new.csv',\n"
    "          'working/ok', 'submission/submission.csv', '/tmp/%s']:\n"
    "    attempt(p)\n"
    "print('INPUT', open('input/train.csv').read().strip())\n"
    "for p in ['%s', '%s']:\n"
    "    print('SECRET' if os.path.exists(p) else 'HIDDEN', p)\n"
    "s = socket.socket()\n"
    "s.settimeout(2)\n"
    "try:\n"
    "    s.connect(('127.0.0.1', %d)); print('NET reached')\n"
    "except OSError as e:\n"
    "    print('NET refused')\n"
    "st = open('/proc/self/status').read()\n"
    "print('UID', os.getuid(), 'CAPEFF', [l.split()[1] for l in st.splitlines() if l.startswith('CapEff')][0])\n";

static int listen_local(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        return -1;
    *port = ntohs(a.sin_port);
    return fd;
}

static void has(const char *out, const char *what);

/* The script's side of the checks; the caller checks the host's. */
static void check_output(const exec_result *r, const char *beside, const char *outside)
{
    CHECK(r->exit_code == 0);
    has(r->output, "REFUSED /etc/grove-probe");
    has(r->output, "REFUSED /usr/grove-probe");
    has(r->output, "REFUSED input/new.csv");
    has(r->output, "WROTE working/ok");
    has(r->output, "WROTE submission/submission.csv");
    has(r->output, "INPUT id,y\n1,0");
    has(r->output, "NET refused");
    has(r->output, "UID 65534 CAPEFF 0000000000000000");
    char *refused = xasprintf("REFUSED %s", beside);
    has(r->output, refused);
    free(refused);
    refused = xasprintf("REFUSED %s", outside);
    has(r->output, refused);
    free(refused);
    CHECK(strstr(r->output, "SECRET") == NULL);
    CHECK(strstr(r->output, "WROTE /tmp/") != NULL); /* private, so allowed */
}

static void has(const char *out, const char *what)
{
    CHECK_MSG(strstr(out, what) != NULL, "missing \"%s\" in:\n%s", what, out);
}

int main(int argc, char **argv)
{
    fx_init(argc, argv);
    /* fx_base/run/ws is the workspace; fx_base/run/journal.txt and
     * fx_base/data/private/answers.csv must stay out of sight */
    char *run_dir = path_join(fx_base, "run"), *data = path_join(fx_base, "data");
    char *ws = path_join(run_dir, "ws");
    char *beside = path_join(run_dir, "beside.txt"), *journal = path_join(run_dir, "journal.txt");
    char *pub = path_join(data, "public"), *priv = path_join(data, "private");
    char *answers = path_join(priv, "answers.csv"), *train = path_join(pub, "train.csv");
    CHECK(mkdir_p(pub, 0755) == 0 && mkdir_p(priv, 0755) == 0);
    CHECK(file_write_str(train, "id,y\n1,0\n") == 0 && file_write_str(answers, "id,y\n9,1\n") == 0);
    CHECK(exec_workspace_prepare(ws) == 0 && file_write_str(journal, "run data\n") == 0);

    int port = 0, srv = listen_local(&port);
    CHECK(srv >= 0);
    char tmpname[32];
    snprintf(tmpname, sizeof tmpname, "grove-probe-%d", (int)getpid());
    /* not under /tmp (private inside) nor hidden: just the read-only host */
    char *outside = xasprintf("/var/tmp/grove-exec-outside-%d.txt", (int)getpid());
    char *script = xasprintf(script_fmt, beside, outside, tmpname, answers, journal, port);
    char *py = path_join(ws, "solution.py");
    CHECK(file_write_str(py, script) == 0);

    exec_opts o = fx_opts(ws);
    o.input_dir = pub;
    const char *hide[] = {priv, run_dir, NULL};
    o.hide_paths = hide;
    exec_result *r = fx_run(&o);
    if (r)
        check_output(r, beside, outside);
    /* and from the host's side */
    char *host_tmp = path_join("/tmp", tmpname), *in_new = path_join(pub, "new.csv");
    char *ok = path_join(ws, "working/ok");
    CHECK(!file_exists(beside) && !file_exists(in_new) && !file_exists(host_tmp));
    CHECK(!file_exists(outside));
    CHECK(!file_exists("/etc/grove-probe") && !file_exists("/usr/grove-probe"));
    CHECK(file_exists(ok));
    CHECK(file_exists(answers) && file_exists(journal));

    exec_result_free(r);
    close(srv);
    free(host_tmp), free(in_new), free(ok), free(script), free(py), free(outside);
    free(run_dir), free(data), free(ws), free(beside), free(journal);
    free(pub), free(priv), free(answers), free(train);
    fx_cleanup();
    return check_done("exec sandbox");
}

/*
 * test_exec_host_private.c: what the sandbox hides of the host beyond the
 * run's own folders. The script runs read-only over the host (as uid 65534
 * when grove is root, test_exec_rootfiles.c; else as grove's own user, whose
 * own files would be readable). So the homes (the user's dotfiles with API keys and tokens, ssh keys) and /run
 * must be out of sight, and with them the Unix sockets there: connecting to
 * a socket needs no write access to its mount, and a user's session bus or
 * docker.sock runs commands outside any sandbox.
 *   - a secret file and a listening socket in grove's $HOME: unseen, no
 *     connection;
 *   - /root and /home show nothing; /run has no socket of the host;
 *   - an interpreter that lives inside a hidden folder (a venv in the
 *     competition's folder, in the home) still runs, and the rest of that
 *     folder stays hidden.
 * The fake $HOME sits in /var/tmp, since /tmp is private inside anyway.
 * Skipped (77) where bubblewrap cannot run.
 */
#include "fixture.h"

#include <sys/socket.h>
#include <sys/un.h>

static const char script_fmt[] =
    "import os, socket\n"
    "print('SECRET' if os.path.exists('%s') else 'HIDDEN home')\n"
    "print('SECRET' if os.path.exists('%s') else 'HIDDEN answers')\n"
    "for d in ['/root', '/home']:\n"
    "    print('LISTED', d, os.listdir(d)) if os.path.isdir(d) and os.listdir(d) else print('EMPTY', d)\n"
    "for path in ['%s', '%s']:\n"
    "    s = socket.socket(socket.AF_UNIX)\n"
    "    try:\n"
    "        s.connect(path); print('CONNECTED', path)\n"
    "    except OSError as e:\n"
    "        print('NO SOCKET', path)\n";

static int listen_unix(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static void lacks(const char *out, const char *what)
{
    CHECK_MSG(strstr(out, what) == NULL, "\"%s\" in:\n%s", what, out);
}

int main(int argc, char **argv)
{
    fx_init(argc, argv);
    char home[] = "/var/tmp/grove-home-XXXXXX";
    CHECK(mkdtemp(home) != NULL);
    char *secret = path_join(home, ".bashrc"), *sock = path_join(home, "agent.sock");
    char *run_sock = xasprintf("/run/grove-test-%d.sock", (int)getpid());
    CHECK(file_write_str(secret, "export OPENAI_API_KEY=sk-secret\n") == 0);
    int s1 = listen_unix(sock), s2 = listen_unix(run_sock); /* /run: root only */
    CHECK(s1 >= 0);
    /* a venv kept in the competition's folder, which the run hides too */
    char *comp = path_join(home, "comp"), *answers = path_join(comp, "answers.csv");
    char *bin = path_join(comp, ".venv/bin"), *py = path_join(bin, "python3");
    CHECK(mkdir_p(bin, 0755) == 0 && symlink("/usr/bin/python3", py) == 0);
    CHECK(file_write_str(answers, "id,y\n1,1\n") == 0);
    setenv("HOME", home, 1);

    char *script = xasprintf(script_fmt, secret, answers, sock, run_sock);
    char *ws = fx_workspace("ws", script);
    exec_opts o = fx_opts(ws);
    o.python = py;
    const char *hide[] = {comp, NULL};
    o.hide_paths = hide;
    exec_result *r = fx_run(&o);
    if (r) {
        CHECK_MSG(r->exit_code == 0, "the interpreter in the hidden home runs:\n%s", r->output);
        CHECK_MSG(strstr(r->output, "HIDDEN home") != NULL, "home hidden:\n%s", r->output);
        CHECK_MSG(strstr(r->output, "HIDDEN answers") != NULL, "comp hidden:\n%s", r->output);
        lacks(r->output, "SECRET");
        lacks(r->output, "LISTED");
        lacks(r->output, "CONNECTED");
    }
    exec_result_free(r);
    close(s1);
    if (s2 >= 0)
        close(s2);
    unlink(run_sock);
    rm_rf(home);
    free(secret), free(sock), free(run_sock), free(bin), free(py), free(script), free(ws);
    free(comp), free(answers);
    fx_cleanup();
    return check_done("exec host private");
}

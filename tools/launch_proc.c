/*
 * Child processes of the launchers (launch_int.h): started with their output in a log
 * and a stdin pipe we hold, watched without blocking, stopped in bounded time.
 */
#include "launch_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double launch_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int launch_proc_spawn(launch_proc *p, const char *log, int want_stdin, int own_group,
                      void (*child)(void *arg), void *arg)
{
    int pipefd[2] = {-1, -1};
    p->pid = 0;
    p->stdin_fd = -1;
    p->status = 0;
    p->reported = 0;
    if (want_stdin && pipe2(pipefd, O_CLOEXEC)) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        if (want_stdin) close(pipefd[0]), close(pipefd[1]);
        errno = e;
        return -1;
    }
    if (pid == 0) {
        int in = want_stdin ? pipefd[0] : open("/dev/null", O_RDONLY);
        if (in >= 0 && in != 0) dup2(in, 0); /* dup2 clears FD_CLOEXEC on the copy */
        if (log) {
            int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
            }
        }
        if (own_group) setpgid(0, 0);
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_DFL); /* not the launcher's handler: SIGTERM stops a worker */
        signal(SIGPIPE, SIG_DFL);
        child(arg);
        _exit(127);
    }
    if (want_stdin) {
        close(pipefd[0]);
        p->stdin_fd = pipefd[1];
    }
    p->pid = pid;
    return 0;
}

int launch_proc_exited(launch_proc *p)
{
    if (!p->pid) return 1;
    int st;
    pid_t r = waitpid(p->pid, &st, WNOHANG);
    if (r == p->pid || (r < 0 && errno == ECHILD)) {
        p->status = r == p->pid ? st : 0;
        p->pid = 0;
        return 1;
    }
    return 0;
}

/* Wait until every child has exited or `secs` have passed; 1 if all did. */
static int wait_all(launch_proc *ps, int n, double secs)
{
    double end = launch_now() + secs;
    for (;;) {
        int left = 0;
        for (int i = 0; i < n; i++) left += !launch_proc_exited(&ps[i]);
        if (!left) return 1;
        if (launch_now() >= end) return 0;
        usleep(20000);
    }
}

static void signal_all(launch_proc *ps, int n, int sig)
{
    for (int i = 0; i < n; i++)
        if (ps[i].pid > 0) kill(ps[i].pid, sig);
}

void launch_proc_stop_all(launch_proc *ps, int n, double grace, int term_first)
{
    for (int i = 0; i < n; i++)
        if (ps[i].stdin_fd >= 0) {
            close(ps[i].stdin_fd);
            ps[i].stdin_fd = -1;
        }
    if (term_first) signal_all(ps, n, SIGTERM);
    if (wait_all(ps, n, grace)) return;
    signal_all(ps, n, SIGTERM);
    if (wait_all(ps, n, 2)) return;
    signal_all(ps, n, SIGKILL);
    wait_all(ps, n, 5);
}

void launch_proc_describe(int status, char *buf, size_t len)
{
    if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
    else
        snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
}

void launch_last_line(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) return;
    char line[1024];
    while (fgets(line, sizeof(line), f)) {
        size_t n = strcspn(line, "\r\n");
        line[n] = '\0';
        if (n) snprintf(buf, len, "%s", line);
    }
    fclose(f);
}

int launch_self_path(char *buf, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0 || (size_t)n >= len - 1) return -1;
    buf[n] = '\0';
    return 0;
}

int launch_run(char *const argv[], char *out, size_t outlen, char *err, size_t errlen,
               double timeout)
{
    int po[2], pe[2];
    size_t no = 0, ne = 0;
    out[0] = err[0] = '\0';
    if (pipe2(po, O_CLOEXEC)) goto cannot;
    if (pipe2(pe, O_CLOEXEC)) {
        close(po[0]), close(po[1]);
        goto cannot;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(po[0]), close(po[1]), close(pe[0]), close(pe[1]);
        goto cannot;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, 0);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_DFL);
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s", argv[0], strerror(errno));
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    struct pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
    double end = launch_now() + timeout;
    int open_fds = 2, timed_out = 0;
    while (open_fds) {
        int ms = (int)((end - launch_now()) * 1000);
        if (ms <= 0) {
            timed_out = 1;
            break;
        }
        if (poll(fds, 2, ms) < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !fds[i].revents) continue;
            char *buf = i ? err : out;
            size_t *n = i ? &ne : &no, cap = i ? errlen : outlen;
            char tmp[4096];
            ssize_t r = read(fds[i].fd, tmp, sizeof(tmp));
            if (r > 0) {
                size_t take = (size_t)r < cap - 1 - *n ? (size_t)r : cap - 1 - *n;
                memcpy(buf + *n, tmp, take);
                *n += take;
                buf[*n] = '\0';
            } else if (r == 0 || errno != EINTR) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0) close(fds[i].fd);
    if (timed_out) kill(pid, SIGKILL);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) {
        snprintf(err, errlen, "%s: no answer in %.0f s", argv[0], timeout);
        return -1;
    }
    if (!WIFEXITED(st)) {
        snprintf(err, errlen, "%s: killed by signal %d", argv[0], WTERMSIG(st));
        return -1;
    }
    return WEXITSTATUS(st) == 127 && !strncmp(err, "cannot run", 10) ? -1 : WEXITSTATUS(st);
cannot:
    snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(errno));
    return -1;
}

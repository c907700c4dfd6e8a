/*
 * `excam encode --chunk` without --coordinator: the distributed code path on this
 * machine. A coordinator (coordinator/) on a loopback port and `workers` worker
 * processes (worker/) are forked, the blob store is a temporary directory, and the job
 * client (client.c) does the rest, exactly as it would with a remote coordinator. One
 * code path to test and trust; the input streams through storage chunk by chunk.
 *
 * Everything made here goes on the way out, also on SIGINT/SIGTERM: the children are
 * stopped and the temporary directory removed; then the signal takes its course.
 */
#include "local.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "auth.h"
#include "cli.h"
#include "coordinator.h"
#include "worker.h"

/* Remove DIR and what is in it (files and one level of directories: the blob store). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[4400];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            struct stat st;
            if (!lstat(path, &st) && S_ISDIR(st.st_mode))
                remove_tree(path);
            else
                unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* stderr of a child into the work directory's log (the parent's terminal stays clean). */
static void child_log(const char *dir, const char *name)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
        dup2(fd, 2);
        close(fd);
    }
}

int local_encode(y4m_reader *in, int skip, int limit, const client_opts *o_in, int workers,
                 const char *output, client_result *res)
{
    char dir[4096], blobs[4200], portf[4200], coord[64];
    client_opts o = *o_in;
    pid_t *kids = calloc((size_t)workers + 1, sizeof(*kids));
    int nkids = 0, ret = 1;

    memset(res, 0, sizeof(*res));
    if (!kids) {
        cli_error("out of memory");
        return 1;
    }
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(dir, sizeof(dir), "%s/excam-encode.XXXXXX", tmp);
    if (!mkdtemp(dir)) {
        cli_error("cannot make a work directory in %s: %s", tmp, strerror(errno));
        free(kids);
        return 1;
    }
    /* A fresh job key per run, known to this process and its children only (they get
     * it by fork, never through a file): the default path is authenticated as well. */
    uint8_t key[AUTH_KEY_BYTES];
    char aerr[200];
    if (auth_init(aerr, sizeof(aerr))) {
        cli_error("%s", aerr);
        rmdir(dir);
        free(kids);
        return 1;
    }
    auth_random(key, sizeof(key));
    snprintf(blobs, sizeof(blobs), "%s/blobs", dir);
    snprintf(portf, sizeof(portf), "%s/port", dir);
    if (mkdir(blobs, 0700)) {
        cli_error("%s: %s", blobs, strerror(errno));
        goto done;
    }

    /* The coordinator. */
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) goto fork_failed;
    if (pid == 0) {
        coord_opts co;
        char err[1024];
        child_log(dir, "coordinator.log");
        signal(SIGINT, SIG_IGN); /* the parent stops it (Ctrl-C reaches the whole group) */
        coord_opts_default(&co);
        co.listen = "127.0.0.1:0";
        co.port_file = portf;
        co.storage = blobs;
        co.dead_ms = 30000; /* local workers do not go silent; a slow machine is no reason */
        co.key = key;
        int r = coord_run(&co, err, sizeof(err));
        if (r) fprintf(stderr, "coordinator: %s\n", err);
        _exit(r ? 1 : 0);
    }
    kids[nkids++] = pid;
    int port = 0;
    for (int i = 0; i < 1000 && !port; i++) { /* up to 10 s */
        FILE *f = fopen(portf, "r");
        if (f) {
            if (fscanf(f, "%d", &port) != 1) port = 0;
            fclose(f);
        }
        if (!port) {
            if (waitpid(pid, NULL, WNOHANG) == pid) {
                kids[0] = 0;
                break;
            }
            usleep(10000);
        }
    }
    if (!port) {
        cli_error("the local coordinator did not start (see why in %s/coordinator.log)", dir);
        goto done;
    }
    snprintf(coord, sizeof(coord), "127.0.0.1:%d", port);

    /* The workers. */
    for (int w = 0; w < workers; w++) {
        fflush(NULL);
        pid = fork();
        if (pid < 0) goto fork_failed;
        if (pid == 0) {
            worker_opts wo;
            char err[1024], name[32];
            child_log(dir, "workers.log");
            signal(SIGINT, SIG_IGN);
            worker_opts_default(&wo);
            snprintf(name, sizeof(name), "local-%d", w + 1);
            wo.coordinator = coord;
            wo.name = name;
            wo.retry_for = 5;
            wo.sec.key = key;
            int r = worker_run(&wo, err, sizeof(err));
            if (r) fprintf(stderr, "worker %d: %s\n", w + 1, err);
            _exit(r ? 1 : 0);
        }
        kids[nkids++] = pid;
    }

    o.coordinator = coord;
    o.storage = blobs;
    o.embedded = 1;
    o.sec.key = key;
    o.sec.tls = NULL;
    o.sec.insecure = 0;
    o.retry_for = 5;
    ret = client_encode(in, skip, limit, &o, output, res);
    goto done;
fork_failed:
    cli_error("cannot start a process: %s", strerror(errno));
done:
    /* Stop the children: workers first (they would only dial a coordinator that went). */
    for (int i = nkids - 1; i >= 0; i--)
        if (kids[i] > 0) kill(kids[i], SIGTERM);
    for (int i = nkids - 1; i >= 0; i--)
        if (kids[i] > 0)
            while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR) {
            }
    remove_tree(dir);
    free(kids);
    sodium_memzero(key, sizeof(key));
    if (ret > 128) { /* interrupted: now die of the signal, as the caller would have */
        signal(ret - 128, SIG_DFL);
        raise(ret - 128);
    }
    return ret;
}

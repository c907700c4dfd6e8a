/*
 * Inside the launchers (launch.h): what each one implements, and the child-process
 * helpers the local, ssh and slurm launchers share.
 */
#ifndef EXCAM_TOOLS_LAUNCH_INT_H
#define EXCAM_TOOLS_LAUNCH_INT_H

#include <stddef.h>
#include <sys/types.h>

#include "launch.h"

typedef struct launch_ops {
    const char *name;
    int (*start)(const launch_opts *o, void **state); /* 0, or 1 after printing why */
    int (*check)(void *state);                        /* as launch_check */
    void (*stop)(void *state);                        /* stop, wait, free */
    int (*capacity)(const launch_opts *o);            /* as launch_capacity; NULL: 0 */
} launch_ops;

extern const launch_ops launch_local_ops, launch_ssh_ops, launch_slurm_ops, launch_lambda_ops;

/* A child process and our end of its stdin. */
typedef struct launch_proc {
    pid_t pid;      /* 0: not started, or reaped */
    int stdin_fd;   /* the write end of its stdin pipe, or -1 */
    int status;     /* its wait status, once reaped */
    int reported;   /* its end was reported (launch_check) */
} launch_proc;

/* Fork a child that runs child(arg) (which execs or _exits). Its stderr and stdout go to
 * `log` (appended; NULL: inherited), its stdin is a pipe whose write end we keep
 * (want_stdin; when we close it or die, the child reads EOF) or /dev/null, it ignores
 * SIGINT (Ctrl-C reaches the whole terminal group; we stop the children in order), and
 * with own_group it leaves our process group. 0, or -1 with errno. */
int launch_proc_spawn(launch_proc *p, const char *log, int want_stdin, int own_group,
                      void (*child)(void *arg), void *arg);

/* 1 if the child has exited (reaped now or before), 0 if it runs. */
int launch_proc_exited(launch_proc *p);

/* Stop children: close their stdins, give them `grace` seconds to end by themselves
 * (sending SIGTERM first if term_first), then SIGTERM, then after 2 s SIGKILL; reaps all. */
void launch_proc_stop_all(launch_proc *ps, int n, double grace, int term_first);

/* "exit status 255", "killed by signal 9". */
void launch_proc_describe(int status, char *buf, size_t len);

/* The last non-empty line of a text file, without its newline ("" if none). */
void launch_last_line(const char *path, char *buf, size_t len);

/* The absolute path of the running excam (for workers on hosts that share its file
 * system layout). 0, or -1. */
int launch_self_path(char *buf, size_t len);

/* Run argv (PATH searched) to its end, at most `timeout` seconds (then it is killed):
 * its stdout into out, its stderr into err (each NUL-terminated, cut to fit). Its exit
 * status (0..255), or -1 if it could not run or timed out (err says so). */
int launch_run(char *const argv[], char *out, size_t outlen, char *err, size_t errlen,
               double timeout);

/* Seconds on a monotonic clock. */
double launch_now(void);

#endif

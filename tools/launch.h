/*
 * Launchers: how workers get started. The coordinator does not care: every worker dials
 * it (`excam worker --coordinator HOST:PORT`), so a launcher only has to run that command
 * somewhere N times, tell when its workers are gone, and stop them.
 *
 *   local   fork on this host (the default; what `excam encode --chunk` always did)
 *   ssh     `ssh HOST excam worker ...` per slot of a hosts file (launch_ssh.c)
 *   slurm   one `sbatch --array=0-(N-1)` job, stopped with scancel (launch_slurm.c)
 *   lambda  N asynchronous AWS Lambda invocations signed with SigV4 (launch_lambda.c)
 *
 * (Kubernetes has no launcher: `excam k8s-manifest` prints an Indexed Job to apply.)
 *
 * Used by `excam encode --chunk` (tools/local.c: an embedded coordinator, then these) and
 * by `excam launch` (workers for a coordinator that runs elsewhere).
 */
#ifndef EXCAM_TOOLS_LAUNCH_H
#define EXCAM_TOOLS_LAUNCH_H

#include <getopt.h>
#include <stdint.h>

typedef struct launch_opts {
    const char *launcher;        /* "local" (NULL too), "ssh", "slurm", "lambda" */
    const char *burst;           /* `--launcher A,B`: B, the launcher to burst to (encode
                                  * starts it when needed, tools/burst.h), or NULL. The
                                  * options below go to whichever launcher they are for */
    char names[32];              /* what launcher and burst point into */
    const char *coordinator;     /* HOST:PORT the workers dial */
    const char *storage;         /* the jobs' blob storage URI (lambda payloads carry it) */
    int workers;                 /* local, slurm, lambda: how many workers */
    int per_host;                /* ssh: workers per host (0: the host's slots, or 1) */
    int at_most;                 /* ssh: start at most this many of those (0: all) */
    double retry_for;            /* the workers' --retry-for (0: theirs) */
    const char *log_dir;         /* launched processes' stderr goes here (NULL: inherited) */
    const char *remote_excam;    /* ssh, slurm: excam's path where the workers run
                                  * (default: this binary's absolute path) */
    const char *hosts_file;      /* ssh: lines "[user@]host[:port] [slots]", # comments */
    const char *ssh_opts[32];    /* ssh: extra arguments (after $EXCAM_SSH's words) */
    int n_ssh_opts;
    const char *sbatch_opts[32]; /* slurm: extra sbatch arguments */
    int n_sbatch_opts;
    int dry_run;                 /* slurm: print the batch script, submit nothing */
    const char *lambda_function; /* lambda: the function's name or ARN */
    const char *lambda_region;   /* default $AWS_REGION, $AWS_DEFAULT_REGION */
    const char *lambda_endpoint; /* default $AWS_ENDPOINT_URL, else AWS's */
    const uint8_t *key;          /* the job key the workers prove (AUTH_KEY_BYTES; local:
                                  * given by fork; lambda: in the event) */
    const char *key_file;        /* ssh, slurm: that key's file, at this path on the
                                  * workers' hosts too (they get `--key FILE`) */
    int insecure;                /* the workers may dial a coordinator off loopback
                                  * without TLS (`--insecure`) */
    const char *tls_ca;          /* ssh, slurm: the CA that verifies the coordinator's
                                  * certificate, at this path on the workers' hosts too */
    const char *tls_cert, *tls_key; /* the embedded coordinator's certificate and key
                                  * (local.c; NULL: plaintext) */
    int verbose;                 /* local: the workers log every task (with its CPU time
                                  * by phase) to stderr instead of log_dir */
} launch_opts;

typedef struct launch launch;

/* The options every command that launches workers takes, for getopt_long's table, and
 * their usage lines. Codes from LAUNCH_OPT_FIRST up. */
enum {
    LAUNCH_OPT_FIRST = 1000,
    LAUNCH_OPT_LAUNCHER = LAUNCH_OPT_FIRST, LAUNCH_OPT_HOSTS, LAUNCH_OPT_PER_HOST,
    LAUNCH_OPT_REMOTE_EXCAM, LAUNCH_OPT_SSH_OPT, LAUNCH_OPT_SBATCH_OPT, LAUNCH_OPT_LAMBDA_FUNC,
    LAUNCH_OPT_LAMBDA_REGION, LAUNCH_OPT_LAMBDA_ENDPOINT,
    LAUNCH_OPT_END
};
#define LAUNCH_LONG_OPTIONS                                                        \
    {"launcher", required_argument, NULL, LAUNCH_OPT_LAUNCHER},                    \
    {"hosts", required_argument, NULL, LAUNCH_OPT_HOSTS},                          \
    {"workers-per-host", required_argument, NULL, LAUNCH_OPT_PER_HOST},            \
    {"remote-excam", required_argument, NULL, LAUNCH_OPT_REMOTE_EXCAM},            \
    {"ssh-opt", required_argument, NULL, LAUNCH_OPT_SSH_OPT},                      \
    {"sbatch-opt", required_argument, NULL, LAUNCH_OPT_SBATCH_OPT},                \
    {"lambda-function", required_argument, NULL, LAUNCH_OPT_LAMBDA_FUNC},          \
    {"lambda-region", required_argument, NULL, LAUNCH_OPT_LAMBDA_REGION},          \
    {"lambda-endpoint", required_argument, NULL, LAUNCH_OPT_LAMBDA_ENDPOINT}
extern const char launch_usage[];

/* Take one of those options into o; 0, or EXIT_USAGE after a usage error for `cmd`. */
int launch_opt(launch_opts *o, const char *cmd, int code, const char *arg);

/* Check the options for the chosen launcher (known name, hosts file given, ...), before
 * anything starts; 0, or EXIT_USAGE after a usage error for `cmd`. */
int launch_validate(const launch_opts *o, const char *cmd);

/* 1 if the launcher (both, with a burst) runs workers on this host only (the coordinator
 * can stay on loopback and the storage be a private temporary directory). */
int launch_is_local(const launch_opts *o);

/* 1 if the launcher (both, with a burst) hands the workers o->key itself (local: by fork;
 * lambda: in the event), 0 if they need o->key_file at the same path (ssh, slurm). */
int launch_ships_key(const launch_opts *o);

/* How many workers o->launcher can run at once: ssh the slots of its hosts file (or hosts
 * x --workers-per-host), local the CPUs; 0 for no limit of its own (slurm, lambda); -1
 * after printing why (an unreadable hosts file). */
int launch_capacity(const launch_opts *o);

/* Start the workers of o->launcher (o->burst is the caller's to start: a copy of o with
 * it as the launcher). Hosts or invocations that fail are reported (one line each, naming
 * them) and the rest go on; 0 if at least one worker was started, else 1 after printing
 * why. *out is freed by launch_stop. */
int launch_start(const launch_opts *o, launch **out);

/* How many workers are (or may still be) running: >0; or 0 after printing that none is
 * left. Reports each worker that stopped since the last call. Cheap: call it often. */
int launch_check(launch *l);

/* Stop every worker that was started (as far as the launcher can: a Lambda invocation
 * ends by itself once its coordinator is gone), wait for them, and free l. NULL is fine. */
void launch_stop(launch *l);

#endif

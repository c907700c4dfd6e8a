/*
 * The slurm launcher: the workers are one job array, `sbatch --array=0-(N-1)`, each task
 * one `excam worker` (Slurm queues, places and accounts for them as for any job). While
 * the job runs, squeue tells whether any task is left; stopping is `scancel`, and waiting
 * until squeue no longer lists the job.
 *
 * The batch script's #SBATCH lines are defaults: --sbatch-opt arguments come on sbatch's
 * command line, which wins (a partition, time limit, --output for the workers' logs).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "launch_int.h"

typedef struct slurm_state {
    char job[512];       /* the job id sbatch gave */
    double next_check;   /* squeue is asked at most every few seconds */
    int alive;           /* tasks squeue listed last time */
} slurm_state;

/* 'text' for a POSIX shell (the values go in a script). */
static void put_quoted(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++)
        if (*s == '\'') fputs("'\\''", f);
        else fputc(*s, f);
    fputc('\'', f);
}

/* The batch script: N array tasks, each one worker. */
static void write_script(FILE *f, const launch_opts *o, const char *excam)
{
    int n = o->workers > 0 ? o->workers : 1;
    fprintf(f, "#!/bin/sh\n"
               "#SBATCH --job-name=excam-workers\n"
               "#SBATCH --array=0-%d\n"
               "#SBATCH --ntasks=1\n"
               "#SBATCH --cpus-per-task=1\n"
               "#SBATCH --output=/dev/null\n"
               "# excam workers for the coordinator at %s (storage %s).\n"
               "exec ", n - 1, o->coordinator, o->storage ? o->storage : "(the job's)");
    put_quoted(f, excam);
    fputs(" worker --coordinator ", f);
    put_quoted(f, o->coordinator);
    fprintf(f, " --name \"slurm-${SLURM_ARRAY_JOB_ID}-${SLURM_ARRAY_TASK_ID}\" --retry-for %g",
            o->retry_for ? o->retry_for : 60);
    if (o->key_file) {
        fputs(" --key ", f);
        put_quoted(f, o->key_file);
    }
    if (o->tls_ca) {
        fputs(" --tls-ca ", f);
        put_quoted(f, o->tls_ca);
    }
    fputs(o->insecure ? " --insecure\n" : "\n", f);
}

/* Tasks of the job squeue still lists (pending or running, and with `completing` those
 * being torn down too), or -1 if squeue failed. */
static int count_tasks(const char *job, int completing, char *err, size_t errlen)
{
    char out[8192];
    char *argv[] = {"squeue", "-h", "-j", (char *)job, "-o", "%T", NULL};
    int st = launch_run(argv, out, sizeof(out), err, errlen, 20);
    if (st) {
        /* A job squeue has already forgotten is gone, not an error. */
        if (st > 0 && strstr(err, "Invalid job id")) return 0;
        if (st > 0) err[strcspn(err, "\n")] = '\0';
        return -1;
    }
    int n = 0;
    for (char *save, *t = strtok_r(out, "\n", &save); t; t = strtok_r(NULL, "\n", &save))
        if (completing || strcmp(t, "COMPLETING")) n++;
    return n;
}

static int slurm_start(const launch_opts *o, void **state)
{
    char self[4096], script[4200];
    const char *excam = o->remote_excam;
    if (!excam) {
        if (launch_self_path(self, sizeof(self))) {
            cli_error("cannot tell where this excam is (/proc/self/exe): give --remote-excam PATH");
            return 1;
        }
        excam = self;
    }
    if (o->dry_run) {
        printf("# sbatch --parsable");
        for (int i = 0; i < o->n_sbatch_opts; i++) printf(" %s", o->sbatch_opts[i]);
        printf(" SCRIPT, where SCRIPT is:\n");
        write_script(stdout, o, excam);
        *state = NULL;
        return 0;
    }
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(script, sizeof(script), "%s/excam-sbatch.XXXXXX", o->log_dir ? o->log_dir : tmp);
    int fd = mkstemp(script);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        cli_error("%s: cannot write the batch script: %s", script, strerror(errno));
        if (fd >= 0) close(fd), unlink(script);
        return 1;
    }
    write_script(f, o, excam);
    if (fclose(f)) {
        cli_error("%s: cannot write the batch script: %s", script, strerror(errno));
        unlink(script);
        return 1;
    }
    char *argv[40], out[512], err[2048];
    int a = 0;
    argv[a++] = "sbatch";
    argv[a++] = "--parsable";
    for (int i = 0; i < o->n_sbatch_opts; i++) argv[a++] = (char *)o->sbatch_opts[i];
    argv[a++] = script;
    argv[a] = NULL;
    int st = launch_run(argv, out, sizeof(out), err, sizeof(err), 60);
    unlink(script); /* sbatch keeps its own copy */
    out[strcspn(out, ";\n")] = '\0'; /* "JOBID[;CLUSTER]" */
    if (st || !*out || strspn(out, "0123456789") != strlen(out)) {
        err[strcspn(err, "\n")] = '\0';
        cli_error("slurm: sbatch failed: %s", *err ? err : "no job id");
        return 1;
    }
    slurm_state *s = calloc(1, sizeof(*s));
    if (!s) {
        char *cancel[] = {"scancel", out, NULL};
        launch_run(cancel, err, sizeof(err), err, sizeof(err), 30);
        cli_error("out of memory");
        return 1;
    }
    snprintf(s->job, sizeof(s->job), "%s", out);
    s->alive = o->workers > 0 ? o->workers : 1;
    s->next_check = launch_now() + 2;
    *state = s;
    return 0;
}

static int slurm_check(void *state)
{
    slurm_state *s = state;
    if (!s) return 1; /* a dry run */
    if (launch_now() < s->next_check) return s->alive;
    char err[1024];
    int n = count_tasks(s->job, 0, err, sizeof(err));
    s->next_check = launch_now() + 2;
    if (n < 0) return s->alive; /* squeue failed once: no reason to give up the job */
    if (n < s->alive && n > 0)
        cli_error("slurm job %s: %d of its worker tasks ended", s->job, s->alive - n);
    s->alive = n;
    if (!n) cli_error("slurm job %s: no worker task is left (see `sacct -j %s`)", s->job, s->job);
    return n;
}

static void slurm_stop(void *state)
{
    slurm_state *s = state;
    if (!s) return;
    char out[512], err[1024];
    char *argv[] = {"scancel", s->job, NULL};
    if (launch_run(argv, out, sizeof(out), err, sizeof(err), 30)) {
        err[strcspn(err, "\n")] = '\0';
        cli_error("slurm: scancel %s: %s", s->job, err);
    }
    int n = 1;
    for (double end = launch_now() + 30; launch_now() < end;) {
        if (!(n = count_tasks(s->job, 1, err, sizeof(err)))) break;
        usleep(200000);
    }
    if (n) cli_error("slurm job %s: still listed by squeue 30 s after scancel", s->job);
    free(s);
}

const launch_ops launch_slurm_ops = {"slurm", slurm_start, slurm_check, slurm_stop, NULL};

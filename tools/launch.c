/*
 * The launcher interface (launch.h): options, and the dispatch to each launcher.
 */
#include "launch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "launch_int.h"

struct launch {
    const launch_ops *ops;
    void *state;
};

const char launch_usage[] =
    "Launchers (how the workers get started; they dial the coordinator):\n"
    "      --launcher L         local (default: fork here), ssh, slurm or lambda; encode\n"
    "                           takes two, L,B: B's workers as a burst (see --deadline)\n"
    "      --hosts FILE         ssh: lines \"[user@]host[:port] [slots]\" (# comments)\n"
    "      --workers-per-host N ssh: workers per host (default: its slots, or 1)\n"
    "      --remote-excam PATH  ssh, slurm: excam on the workers' hosts (default: the\n"
    "                           absolute path of this one)\n"
    "      --ssh-opt ARG        ssh: an argument for ssh, e.g. --ssh-opt=-i --ssh-opt=KEY\n"
    "                           (repeatable; also the words of $EXCAM_SSH)\n"
    "      --sbatch-opt ARG     slurm: an argument for sbatch, e.g. --sbatch-opt=-pdebug\n"
    "      --lambda-function F  lambda: the function (see tools/lambda/README.md)\n"
    "      --lambda-region R    lambda: default $AWS_REGION or $AWS_DEFAULT_REGION\n"
    "      --lambda-endpoint U  lambda: default $AWS_ENDPOINT_URL, else AWS's\n";

static const launch_ops *find_ops(const char *name)
{
    static const launch_ops *const all[] = {&launch_local_ops, &launch_ssh_ops,
                                            &launch_slurm_ops, &launch_lambda_ops};
    if (!name) return &launch_local_ops;
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (!strcmp(all[i]->name, name)) return all[i];
    return NULL;
}

static int add_arg(const char **list, int *n, const char *cmd, const char *opt, const char *arg)
{
    if (*n >= 32) return cli_usage_error(cmd, "too many %s (at most 32)", opt);
    list[(*n)++] = arg;
    return 0;
}

int launch_opt(launch_opts *o, const char *cmd, int code, const char *arg)
{
    unsigned long v;
    switch (code) {
    case LAUNCH_OPT_LAUNCHER: {
        if (strlen(arg) >= sizeof(o->names))
            return cli_usage_error(cmd, "--launcher '%s': no such launcher", arg);
        strcpy(o->names, arg);
        char *second = strchr(o->names, ',');
        if (second) *second++ = '\0';
        if (second && strchr(second, ','))
            return cli_usage_error(cmd, "--launcher '%s': at most two launchers (the first, then "
                                        "the one to burst to)", arg);
        for (const char *name = o->names; name; name = name == second ? NULL : second) {
            if (!strcmp(name, "kubernetes") || !strcmp(name, "k8s"))
                return cli_usage_error(cmd, "Kubernetes runs the workers itself: print a Job with "
                                            "`excam k8s-manifest` and `kubectl apply` it");
            if (!find_ops(name))
                return cli_usage_error(cmd, "--launcher is local, ssh, slurm or lambda, not '%s'", name);
        }
        if (second && !strcmp(o->names, second))
            return cli_usage_error(cmd, "--launcher '%s': the same launcher twice (one launcher "
                                        "takes all its workers)", arg);
        o->launcher = o->names;
        o->burst = second;
        return 0;
    }
    case LAUNCH_OPT_HOSTS: o->hosts_file = arg; return 0;
    case LAUNCH_OPT_PER_HOST:
        if (cli_parse_uint(arg, 4096, &v) || !v)
            return cli_usage_error(cmd, "--workers-per-host needs a number from 1 to 4096, not '%s'", arg);
        o->per_host = (int)v;
        return 0;
    case LAUNCH_OPT_REMOTE_EXCAM: o->remote_excam = arg; return 0;
    case LAUNCH_OPT_SSH_OPT: return add_arg(o->ssh_opts, &o->n_ssh_opts, cmd, "--ssh-opt", arg);
    case LAUNCH_OPT_SBATCH_OPT:
        return add_arg(o->sbatch_opts, &o->n_sbatch_opts, cmd, "--sbatch-opt", arg);
    case LAUNCH_OPT_LAMBDA_FUNC: o->lambda_function = arg; return 0;
    case LAUNCH_OPT_LAMBDA_REGION: o->lambda_region = arg; return 0;
    case LAUNCH_OPT_LAMBDA_ENDPOINT: o->lambda_endpoint = arg; return 0;
    }
    return cli_usage_error(cmd, "unknown launcher option %d", code);
}

/* The launchers given: the first, and the one to burst to (NULL: none). */
static void both(const launch_opts *o, const launch_ops *ops[2])
{
    ops[0] = find_ops(o->launcher);
    ops[1] = o->burst ? find_ops(o->burst) : NULL;
}

/* 1 if one of the launchers given is `which`. */
static int uses(const launch_opts *o, const launch_ops *which)
{
    const launch_ops *ops[2];
    both(o, ops);
    return ops[0] == which || ops[1] == which;
}

int launch_is_local(const launch_opts *o)
{
    const launch_ops *ops[2];
    both(o, ops);
    return ops[0] == &launch_local_ops && (!o->burst || ops[1] == &launch_local_ops);
}

int launch_ships_key(const launch_opts *o)
{
    const launch_ops *ops[2];
    both(o, ops);
    for (int i = 0; i < (o->burst ? 2 : 1); i++)
        if (ops[i] != &launch_local_ops && ops[i] != &launch_lambda_ops) return 0;
    return 1;
}

int launch_capacity(const launch_opts *o)
{
    const launch_ops *ops = find_ops(o->launcher);
    return ops && ops->capacity ? ops->capacity(o) : 0;
}

int launch_validate(const launch_opts *o, const char *cmd)
{
    const launch_ops *ops[2];
    both(o, ops);
    if (!ops[0]) return cli_usage_error(cmd, "unknown launcher '%s'", o->launcher);
    if (o->burst && !ops[1]) return cli_usage_error(cmd, "unknown launcher '%s'", o->burst);
    int ssh = uses(o, &launch_ssh_ops), lambda = uses(o, &launch_lambda_ops);
    if (ssh && !o->hosts_file) return cli_usage_error(cmd, "--launcher ssh needs --hosts FILE");
    if (!ssh && (o->hosts_file || o->per_host || o->n_ssh_opts))
        return cli_usage_error(cmd, "--hosts, --workers-per-host and --ssh-opt are for "
                                    "--launcher ssh");
    if (!uses(o, &launch_slurm_ops) && o->n_sbatch_opts)
        return cli_usage_error(cmd, "--sbatch-opt is for --launcher slurm");
    if (!lambda && (o->lambda_function || o->lambda_region || o->lambda_endpoint))
        return cli_usage_error(cmd, "--lambda-* options are for --launcher lambda");
    if (lambda && !o->lambda_function)
        return cli_usage_error(cmd, "--launcher lambda needs --lambda-function NAME");
    if (launch_is_local(o) && o->remote_excam)
        return cli_usage_error(cmd, "--remote-excam is for --launcher ssh or slurm");
    if (lambda && o->tls_ca)
        return cli_usage_error(cmd, "--tls-* do not go with --launcher lambda yet (its workers "
                                    "have no CA file): use --insecure on a network you trust");
    if (!launch_is_local(o) && (!o->storage || !*o->storage))
        return cli_usage_error(cmd, "--launcher %s needs --storage URI (or EXCAM_STORAGE): blob "
                                    "storage its workers can reach",
                               ops[0] != &launch_local_ops ? ops[0]->name : ops[1]->name);
    return 0;
}

int launch_start(const launch_opts *o, launch **out)
{
    *out = NULL;
    launch *l = calloc(1, sizeof(*l));
    if (!l) {
        cli_error("out of memory");
        return 1;
    }
    l->ops = find_ops(o->launcher);
    if (!l->ops || l->ops->start(o, &l->state)) {
        if (!l->ops) cli_error("unknown launcher '%s'", o->launcher);
        free(l);
        return 1;
    }
    *out = l;
    return 0;
}

int launch_check(launch *l)
{
    return l->ops->check(l->state);
}

void launch_stop(launch *l)
{
    if (!l) return;
    l->ops->stop(l->state);
    free(l);
}

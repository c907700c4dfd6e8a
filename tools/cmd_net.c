/*
 * The distributed commands: excam coordinator, excam worker, excam jobs, excam cancel.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "coordinator.h"
#include "secopts.h"
#include "worker.h"

static int num_opt(const char *cmd, const char *name, const char *arg, double lo, double hi,
                   double *out)
{
    char *end;
    double v = strtod(arg, &end);
    if (!*arg || *end || v < lo || v > hi) {
        cli_usage_error(cmd, "%s needs a number from %g to %g, not '%s'", name, lo, hi, arg);
        return -1;
    }
    *out = v;
    return 0;
}

/* ------------------------------------------------------------ coordinator */

static const char coord_usage[] =
    "usage: excam coordinator [--listen HOST:PORT] [options]\n"
    "\n"
    "Run the coordinator daemon: it takes jobs from `excam encode --coordinator`, hands\n"
    "their tasks to the workers that dial in (`excam worker`), and journals finished\n"
    "tasks so that a restarted coordinator resumes its jobs. Stops on SIGINT/SIGTERM.\n"
    "\n"
    "  --listen HOST:PORT     where to listen (default 127.0.0.1:7700; port 0: any)\n"
    "  --port-file FILE       write the port there once listening (for scripts)\n"
    "  --state-dir DIR        keep the journal in DIR (default: none, nothing survives\n"
    "                         a restart)\n"
    "  --storage URI          blob storage for jobs that name none (file:///dir or a path,\n"
    "                         http(s)://host/prefix/, s3://bucket/prefix)\n"
    "  --heartbeat S          workers send a heartbeat every S seconds (default 1)\n"
    "  --dead-after S         a worker silent for S seconds is given up and its tasks\n"
    "                         run elsewhere (default 5)\n"
    "  --hello-timeout S      a connection must say hello within S seconds (default 10)\n"
    "  --max-attempts N       attempts of one task before its job fails (default 8)\n"
    "%s"
    "  -v, --verbose          log every assignment and result\n"
    "  -h, --help             this text\n"
    "\n"
    "Off loopback it needs TLS (--tls-cert, --tls-key) and a job key (--key), or\n"
    "--insecure.\n";

int cmd_coordinator(int argc, char **argv)
{
    enum { O_LISTEN = 256, O_PORTFILE, O_STATE, O_STORAGE, O_HB, O_DEAD, O_HELLO, O_ATTEMPTS };
    static const struct option opts[] = {
        {"listen", required_argument, NULL, O_LISTEN},
        {"port-file", required_argument, NULL, O_PORTFILE},
        {"state-dir", required_argument, NULL, O_STATE},
        {"storage", required_argument, NULL, O_STORAGE},
        {"heartbeat", required_argument, NULL, O_HB},
        {"dead-after", required_argument, NULL, O_DEAD},
        {"hello-timeout", required_argument, NULL, O_HELLO},
        {"max-attempts", required_argument, NULL, O_ATTEMPTS},
        SECOPTS_LONG,
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    coord_opts o;
    coord_opts_default(&o);
    secopts sec = {0};
    int c;
    double v;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
        switch (c) {
        case O_LISTEN: o.listen = optarg; break;
        case O_PORTFILE: o.port_file = optarg; break;
        case O_STATE: o.state_dir = optarg; break;
        case O_STORAGE: o.storage = optarg; break;
        case O_HB:
            if (num_opt("coordinator", "--heartbeat", optarg, 0.1, 600, &v)) return EXIT_USAGE;
            o.heartbeat_ms = (int)(v * 1000);
            break;
        case O_DEAD:
            if (num_opt("coordinator", "--dead-after", optarg, 0.2, 86400, &v)) return EXIT_USAGE;
            o.dead_ms = (int)(v * 1000);
            break;
        case O_HELLO:
            if (num_opt("coordinator", "--hello-timeout", optarg, 0.1, 86400, &v)) return EXIT_USAGE;
            o.hello_ms = (int)(v * 1000);
            break;
        case O_ATTEMPTS:
            if (num_opt("coordinator", "--max-attempts", optarg, 1, 1000, &v)) return EXIT_USAGE;
            o.max_attempts = (int)v;
            break;
        case 'v': o.verbose = 1; break;
        case 'h': printf(coord_usage, secopts_usage_server); return 0;
        case ':': return cli_usage_error("coordinator", "option '%s' needs a value", argv[optind - 1]);
        default:
            if (secopts_take(&sec, c, optarg)) break;
            return cli_usage_error("coordinator", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("coordinator", "unexpected argument '%s'", argv[optind]);
    if (o.dead_ms <= o.heartbeat_ms)
        return cli_usage_error("coordinator", "--dead-after must be longer than --heartbeat");
    int e = secopts_load(&sec, "coordinator", 1);
    if (e) return e;
    o.key = sec.have_key ? sec.key : NULL;
    o.tls = sec.tls;
    o.insecure = sec.insecure;
    char err[1024];
    e = coord_run(&o, err, sizeof(err));
    secopts_free(&sec);
    if (e) {
        cli_error("coordinator: %s", err);
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------ worker */

static const char worker_usage[] =
    "usage: excam worker --coordinator HOST:PORT [options]\n"
    "\n"
    "Run tasks for a coordinator: dial it, take a task, fetch its inputs from blob\n"
    "storage, run the codec, store the outputs, report, repeat. Start one per core.\n"
    "\n"
    "  --coordinator HOST:PORT  the coordinator to dial\n"
    "  --name NAME              how the coordinator's log calls this worker\n"
    "  --retry-for S            keep dialling a coordinator that is gone for S seconds,\n"
    "                           then exit 1 (default 60; -1: forever)\n"
    "  --max-tasks N            exit after N tasks\n"
    "  --cache-mb N             keep up to N MiB of recent blobs (outputs stored, inputs\n"
    "                           fetched) in memory for the next tasks: the rebase chain\n"
    "                           reads what it just wrote (default 128; 0: none)\n"
    "%s"
    "  -v, --verbose            log every task\n"
    "  -h, --help               this text\n"
    "\n"
    "A coordinator that refuses this worker (a wrong key, an untrusted certificate) makes\n"
    "it exit with status 1 at once: dialling again would be refused again.\n";

int cmd_worker(int argc, char **argv)
{
    enum { O_COORD = 256, O_NAME, O_RETRY, O_MAX, O_CACHE };
    static const struct option opts[] = {
        {"coordinator", required_argument, NULL, O_COORD},
        {"name", required_argument, NULL, O_NAME},
        {"retry-for", required_argument, NULL, O_RETRY},
        {"max-tasks", required_argument, NULL, O_MAX},
        {"cache-mb", required_argument, NULL, O_CACHE},
        SECOPTS_LONG,
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    worker_opts o;
    worker_opts_default(&o);
    secopts sec = {0};
    int c;
    double v;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
        switch (c) {
        case O_COORD: o.coordinator = optarg; break;
        case O_NAME:
            if (!*optarg || strlen(optarg) > 64)
                return cli_usage_error("worker", "--name needs 1 to 64 characters");
            o.name = optarg;
            break;
        case O_RETRY:
            if (num_opt("worker", "--retry-for", optarg, -1, 1e9, &v)) return EXIT_USAGE;
            o.retry_for = v;
            break;
        case O_MAX:
            if (num_opt("worker", "--max-tasks", optarg, 1, 1e9, &v)) return EXIT_USAGE;
            o.max_tasks = (int)v;
            break;
        case O_CACHE:
            if (num_opt("worker", "--cache-mb", optarg, 0, 65536, &v)) return EXIT_USAGE;
            o.cache_bytes = (size_t)(v * 1048576.0);
            break;
        case 'v': o.verbose = 1; break;
        case 'h': printf(worker_usage, secopts_usage_client); return 0;
        case ':': return cli_usage_error("worker", "option '%s' needs a value", argv[optind - 1]);
        default:
            if (secopts_take(&sec, c, optarg)) break;
            return cli_usage_error("worker", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("worker", "unexpected argument '%s'", argv[optind]);
    if (!o.coordinator) return cli_usage_error("worker", "no --coordinator HOST:PORT");
    int e = secopts_load(&sec, "worker", 0);
    if (e) return e;
    o.sec.key = sec.have_key ? sec.key : NULL;
    o.sec.tls = sec.tls;
    o.sec.insecure = sec.insecure;
    char err[1024];
    e = worker_run(&o, err, sizeof(err));
    secopts_free(&sec);
    if (e) {
        cli_error("worker: %s", err);
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------ jobs, cancel */

static const char jobs_usage[] =
    "usage: excam jobs --coordinator HOST:PORT [options]\n"
    "\n"
    "List the coordinator's jobs: id, state, name and progress per stage.\n"
    "\n%s";

static const char cancel_usage[] =
    "usage: excam cancel JOB --coordinator HOST:PORT [options]\n"
    "\n"
    "Cancel a job: its waiting tasks are dropped and its client stops with an error.\n"
    "\n%s";

static int jobs_or_cancel(int argc, char **argv, int cancel)
{
    static const struct option opts[] = {
        {"coordinator", required_argument, NULL, 'c'},
        SECOPTS_LONG,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = cancel ? "cancel" : "jobs", *coordinator = NULL;
    secopts sec = {0};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': coordinator = optarg; break;
        case 'h': printf(cancel ? cancel_usage : jobs_usage, secopts_usage_client); return 0;
        case ':': return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        default:
            if (secopts_take(&sec, c, optarg)) break;
            return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!coordinator) return cli_usage_error(cmd, "no --coordinator HOST:PORT");
    unsigned long long id = 0;
    if (!cancel) {
        if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    } else {
        if (optind + 1 != argc) return cli_usage_error(cmd, "give one job id");
        char *end;
        id = strtoull(argv[optind], &end, 10);
        if (!*argv[optind] || *end || !id)
            return cli_usage_error(cmd, "'%s' is not a job id", argv[optind]);
    }
    int e = secopts_load(&sec, cmd, 0);
    if (e) return e;
    link_sec ls = {sec.have_key ? sec.key : NULL, sec.tls, sec.insecure};
    e = cancel ? client_cancel(coordinator, &ls, id) : client_list(coordinator, &ls);
    secopts_free(&sec);
    return e;
}

int cmd_jobs(int argc, char **argv) { return jobs_or_cancel(argc, argv, 0); }
int cmd_cancel(int argc, char **argv) { return jobs_or_cancel(argc, argv, 1); }

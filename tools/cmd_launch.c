/*
 * `excam launch`: start workers for a coordinator that runs elsewhere (`excam
 * coordinator`), through a launcher (launch.h), and stay until they are gone; Ctrl-C or
 * SIGTERM stops them. Lambda invocations cannot be stopped: launch returns once they
 * are sent.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "launch.h"
#include "secopts.h"

static const char usage[] =
    "usage: excam launch --coordinator HOST:PORT --storage URI [--launcher L] [options]\n"
    "\n"
    "Start workers that dial a running coordinator, and wait until they end (when the\n"
    "coordinator has been gone for --retry-for seconds) or until Ctrl-C/SIGTERM, which\n"
    "stops them. With --launcher lambda, return once the invocations are accepted.\n"
    "\n"
    "      --coordinator H:P    the coordinator the workers dial (it must be reachable\n"
    "                           from where they run)\n"
    "      --storage URI        the blob storage the jobs use (workers must reach it)\n"
    "      --workers N          workers (local, slurm, lambda; default 1)\n"
    "      --retry-for S        the workers give up a coordinator gone for S seconds\n"
    "                           (default 60)\n"
    "      --dry-run            slurm: print the batch script, submit nothing\n"
    "  -v, --verbose            local: the workers log every task (with its CPU time by\n"
    "                           phase); other launchers' workers log to their own hosts\n"
    "  -h, --help               this text\n"
    "\n";

static volatile sig_atomic_t stop_signal;
static void on_stop(int sig) { stop_signal = sig; }

int cmd_launch(int argc, char **argv)
{
    enum { O_COORD = 256, O_STORAGE, O_WORKERS, O_RETRY, O_DRY };
    static const struct option opts[] = {
        {"coordinator", required_argument, NULL, O_COORD},
        {"storage", required_argument, NULL, O_STORAGE},
        {"workers", required_argument, NULL, O_WORKERS},
        {"retry-for", required_argument, NULL, O_RETRY},
        {"dry-run", no_argument, NULL, O_DRY},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        LAUNCH_LONG_OPTIONS,
        SECOPTS_LONG,
        {NULL, 0, NULL, 0},
    };
    launch_opts lo = {0};
    secopts sec = {0};
    unsigned long v;
    int c;
    lo.storage = getenv("EXCAM_STORAGE");
    lo.workers = 1;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
        switch (c) {
        case O_COORD: lo.coordinator = optarg; break;
        case O_STORAGE: lo.storage = optarg; break;
        case O_WORKERS:
            if (cli_parse_uint(optarg, 100000, &v) || !v)
                return cli_usage_error("launch", "--workers needs a number from 1 to 100000, not '%s'", optarg);
            lo.workers = (int)v;
            break;
        case O_RETRY:
            if (cli_parse_uint(optarg, 86400 * 365, &v) || !v)
                return cli_usage_error("launch", "--retry-for needs whole seconds (1 or more), not '%s'", optarg);
            lo.retry_for = (double)v;
            break;
        case O_DRY: lo.dry_run = 1; break;
        case 'v': lo.verbose = 1; break;
        case 'h':
            fputs(usage, stdout);
            fputs(launch_usage, stdout);
            printf("Security (what the workers get: ssh and slurm workers --key FILE at the same\n"
                   "path, Lambda workers the key itself in their event):\n"
                   "      --key FILE           the coordinator's job key (default $EXCAM_KEY_FILE)\n"
                   "      --tls-ca FILE        ssh, slurm: the workers check the coordinator's\n"
                   "                           certificate with this CA (same path on their hosts)\n"
                   "      --insecure           the workers may dial it off loopback without TLS\n");
            return 0;
        case ':': return cli_usage_error("launch", "option '%s' needs a value", argv[optind - 1]);
        default:
            if (c >= LAUNCH_OPT_FIRST && c < LAUNCH_OPT_END) {
                if (launch_opt(&lo, "launch", c, optarg)) return EXIT_USAGE;
                break;
            }
            if (c == SECOPT_KEY || c == SECOPT_INSECURE) {
                secopts_take(&sec, c, optarg);
                break;
            }
            if (c == SECOPT_TLS_CA) { /* a path for the workers, not read here */
                lo.tls_ca = optarg;
                break;
            }
            return cli_usage_error("launch", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("launch", "unexpected argument '%s'", argv[optind]);
    if (!lo.coordinator) return cli_usage_error("launch", "no --coordinator HOST:PORT");
    if (lo.dry_run && (!lo.launcher || strcmp(lo.launcher, "slurm")))
        return cli_usage_error("launch", "--dry-run is for --launcher slurm");
    if (sec.tls_cert || sec.tls_key)
        return cli_usage_error("launch", "--tls-cert/--tls-key: the workers take no client "
                                         "certificate from excam launch");
    if (lo.burst)
        return cli_usage_error("launch", "--launcher %s,%s: one launcher here (two, a burst, are "
                                         "for excam encode --chunk)", lo.launcher, lo.burst);
    if (launch_validate(&lo, "launch")) return EXIT_USAGE;
    int e = secopts_load(&sec, "launch", 0);
    if (e) return e;
    lo.key = sec.have_key ? sec.key : NULL;
    lo.key_file = sec.key_file;
    lo.insecure = sec.insecure;

    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    launch *l;
    if (launch_start(&lo, &l)) {
        secopts_free(&sec);
        return 1;
    }
    int lambda = lo.launcher && !strcmp(lo.launcher, "lambda");
    int alive = 1;
    while (!lo.dry_run && !lambda && !stop_signal && (alive = launch_check(l)) > 0) usleep(200000);
    launch_stop(l);
    secopts_free(&sec);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (stop_signal) raise(stop_signal);
    return alive > 0 ? 0 : 1;
}

/* excam: one binary with subcommands, like git. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "excam/vp8.h"

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"encode", cmd_encode, "encode Y4M video to VP8 (IVF or WebM) with excam's encoder"},
    {"decode", cmd_decode, "decode a VP8 stream (IVF or WebM) to Y4M/I420 or per-frame MD5s"},
    {"info", cmd_info, "describe every frame of a VP8 stream (IVF or WebM)"},
    {"state", cmd_state, "dump or hash the decoder state after a frame"},
    {"coordinator", cmd_coordinator, "run the coordinator daemon that hands tasks to workers"},
    {"worker", cmd_worker, "run tasks for a coordinator"},
    {"jobs", cmd_jobs, "list a coordinator's jobs"},
    {"cancel", cmd_cancel, "cancel a coordinator's job"},
    {"plan", cmd_plan, "predict the time and cost of a parallel encode; pick a plan"},
    {"keygen", cmd_keygen, "make a job key and TLS material for a coordinator and its peers"},
    {"launch", cmd_launch, "start workers for a coordinator (local, ssh, slurm, lambda)"},
    {"k8s-manifest", cmd_k8s_manifest, "print a Kubernetes Indexed Job that runs workers"},
};

static void print_usage(FILE *f)
{
    fprintf(f, "usage: excam <command> [options]\n\nCommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'excam <command> --help' describes a command. 'excam --version' prints the "
               "version.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    const char *cpu = getenv("EXCAM_CPU");
    if (cpu && excam_cpu_parse(cpu) < 0) {
        fprintf(stderr, "excam: EXCAM_CPU=%s: not an instruction set excam knows "
                        "(use c, sse2, ssse3, sse4.1 or avx2)\n", cpu);
        return EXIT_USAGE;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        print_usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("excam %s\nkernels: up to %s\n", excam_version_string(), excam_cpu_level());
        return 0;
    }
    if (!strcmp(cmd, "help")) {
        if (argc < 3) {
            print_usage(stdout);
            return 0;
        }
        cmd = argv[2];
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
            if (!strcmp(cmd, commands[i].name)) {
                char *av[] = {argv[2], "--help", NULL};
                return commands[i].run(2, av);
            }
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(cmd, commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "excam: unknown command '%s'\n\n", cmd);
    print_usage(stderr);
    return EXIT_USAGE;
}

/*
 * excam keygen: the job key (--key FILE) and TLS material (--tls DIR) for a coordinator,
 * its workers and its clients.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "auth.h"
#include "cli.h"
#include "ssl_api.h"
#include "tls_material.h"

static const char usage[] =
    "usage: excam keygen --key FILE | --tls DIR [options]\n"
    "\n"
    "Make the secrets of a cluster:\n"
    "  --key FILE       a job key: 32 random bytes as 64 hex digits, mode 0600. Give it\n"
    "                   to the coordinator, its workers and its clients with --key FILE;\n"
    "                   each proves it knows the key without sending it\n"
    "  --tls DIR        TLS 1.3 material in DIR (made with mode 0700 if missing): ca.crt,\n"
    "                   ca.key (a self-signed CA), server.crt, server.key (the\n"
    "                   coordinator's), client.crt, client.key (for clients and workers,\n"
    "                   when the coordinator asks for client certificates); keys mode 0600\n"
    "  --host NAMES     the names and addresses the server certificate is good for,\n"
    "                   comma separated (default localhost,127.0.0.1,::1): workers and\n"
    "                   clients check the one they dial against it\n"
    "  --days N         validity of the certificates (default 365)\n"
    "  --force          replace existing files\n"
    "  -h, --help       this text\n"
    "\n"
    "Keep ca.key offline; give every host ca.crt, the coordinator server.crt and\n"
    "server.key, and every worker and client the key file.\n";

int cmd_keygen(int argc, char **argv)
{
    enum { O_KEY = 256, O_TLS, O_HOST, O_DAYS, O_FORCE };
    static const struct option opts[] = {
        {"key", required_argument, NULL, O_KEY},
        {"tls", required_argument, NULL, O_TLS},
        {"host", required_argument, NULL, O_HOST},
        {"days", required_argument, NULL, O_DAYS},
        {"force", no_argument, NULL, O_FORCE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *key = NULL, *tls = NULL, *hosts = "localhost,127.0.0.1,::1";
    unsigned long days = 365;
    int force = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_KEY: key = optarg; break;
        case O_TLS: tls = optarg; break;
        case O_HOST: hosts = optarg; break;
        case O_DAYS:
            if (cli_parse_uint(optarg, 36500, &days) || !days)
                return cli_usage_error("keygen", "--days needs a number from 1 to 36500, not '%s'", optarg);
            break;
        case O_FORCE: force = 1; break;
        case 'h': fputs(usage, stdout); return 0;
        case ':': return cli_usage_error("keygen", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("keygen", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("keygen", "unexpected argument '%s'", argv[optind]);
    if (!key && !tls) return cli_usage_error("keygen", "give --key FILE, --tls DIR or both");
    char err[1200];
    /* OpenSSL first (it is loaded on first use): without it, nothing is written. */
    if (tls && ssl_api_load(err, sizeof(err))) {
        cli_error("%s", err);
        return 1;
    }
    if (key) {
        if (auth_init(err, sizeof(err)) || auth_key_create(key, force, err, sizeof(err))) {
            cli_error("%s", err);
            return 1;
        }
        fprintf(stderr, "excam keygen: job key in %s (mode 0600)\n", key);
    }
    if (tls) {
        if (tls_material_make(tls, hosts, (int)days, force, err, sizeof(err))) {
            cli_error("%s", err);
            return 1;
        }
        fprintf(stderr, "excam keygen: CA, server (%s) and client certificates in %s/\n", hosts, tls);
    }
    return 0;
}

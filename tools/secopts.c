/* The networked commands' security options (see secopts.h). */
#include "secopts.h"

#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char secopts_usage_server[] =
    "  --key FILE             the job key (excam keygen --key FILE): workers and clients\n"
    "                         must prove they know it (default: $EXCAM_KEY_FILE; none:\n"
    "                         anyone who can connect may work and submit)\n"
    "  --tls-cert FILE        TLS 1.3: this coordinator's certificate (PEM, with its chain)\n"
    "  --tls-key FILE         ...and its private key (excam keygen --tls DIR makes both)\n"
    "  --tls-ca FILE          require client certificates signed by this CA\n"
    "  --insecure             allow listening off loopback without TLS and a key\n";

const char secopts_usage_client[] =
    "  --key FILE               the job key the coordinator asks for (default:\n"
    "                           $EXCAM_KEY_FILE); the coordinator must prove it too\n"
    "  --tls-ca FILE            TLS 1.3: verify the coordinator's certificate with this CA\n"
    "                           (its name or IP must be the one dialled)\n"
    "  --tls-cert FILE          a client certificate, for a coordinator that asks for one\n"
    "  --tls-key FILE           ...and its private key\n"
    "  --insecure               allow plaintext to a coordinator off loopback\n";

int secopts_take(secopts *s, int c, const char *arg)
{
    switch (c) {
    case SECOPT_KEY: s->key_file = arg; return 1;
    case SECOPT_TLS_CA: s->tls_ca = arg; return 1;
    case SECOPT_TLS_CERT: s->tls_cert = arg; return 1;
    case SECOPT_TLS_KEY: s->tls_key = arg; return 1;
    case SECOPT_INSECURE: s->insecure = 1; return 1;
    default: return 0;
    }
}

int secopts_load(secopts *s, const char *cmd, int server)
{
    char err[1200];
    if (!s->key_file && getenv("EXCAM_KEY_FILE") && *getenv("EXCAM_KEY_FILE"))
        s->key_file = getenv("EXCAM_KEY_FILE");
    if (!s->tls_cert != !s->tls_key)
        return cli_usage_error(cmd, "--tls-cert and --tls-key go together");
    if (server && s->tls_ca && !s->tls_cert)
        return cli_usage_error(cmd, "--tls-ca (client certificates) needs --tls-cert and --tls-key");
    if (!server && s->tls_cert && !s->tls_ca)
        return cli_usage_error(cmd, "--tls-cert needs --tls-ca (the CA of the coordinator's certificate)");
    if (auth_init(err, sizeof(err))) {
        cli_error("%s", err);
        return 1;
    }
    if (s->key_file) {
        if (auth_key_load(s->key_file, s->key, err, sizeof(err))) {
            cli_error("%s", err);
            return 1;
        }
        s->have_key = 1;
    }
    /* The TLS private key gets the job key's rule (excam keygen writes both 0600). */
    if (s->tls_key && auth_private_file(s->tls_key, "TLS key", err, sizeof(err))) {
        cli_error("%s", err);
        secopts_free(s);
        return 1;
    }
    int e = 0;
    if (server && s->tls_cert)
        e = tls_server_ctx(s->tls_cert, s->tls_key, s->tls_ca, &s->tls, err, sizeof(err));
    else if (!server && s->tls_ca)
        e = tls_client_ctx(s->tls_ca, s->tls_cert, s->tls_key, &s->tls, err, sizeof(err));
    if (e) {
        cli_error("%s", err);
        secopts_free(s);
        return 1;
    }
    return 0;
}

void secopts_free(secopts *s)
{
    sodium_memzero(s->key, sizeof(s->key)); /* no copy lingers in a core file */
    s->have_key = 0;
    if (s->tls) tls_ctx_free(s->tls);
    s->tls = NULL;
}

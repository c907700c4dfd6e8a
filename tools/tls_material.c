/* A CA, a server and a client certificate (see tls_material.h). */
#include "tls_material.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ssl_api.h"

enum { F_CA_CRT, F_CA_KEY, F_SRV_CRT, F_SRV_KEY, F_CLI_CRT, F_CLI_KEY, NFILES };
static const char *const file_names[NFILES] = {"ca.crt",     "ca.key",     "server.crt",
                                               "server.key", "client.crt", "client.key"};

static int ossl_fail(char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    snprintf(err, errlen, "%s%s%s", what, r ? ": " : "", r ? r : "");
    ERR_clear_error();
    return -1;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ex) return -1;
    int ok = X509_add_ext(x, ex, -1);
    X509_EXTENSION_free(ex);
    return ok ? 0 : -1;
}

/* "DNS:a,IP:b,..." from "a,b,...", and the first name (the common name). */
static int subject_alt_names(const char *hosts, char *san, size_t sanlen, char *cn, size_t cnlen,
                             char *err, size_t errlen)
{
    char list[1024], *save = NULL;
    size_t n = 0;
    if (strlen(hosts) >= sizeof(list)) {
        snprintf(err, errlen, "--host: too long");
        return -1;
    }
    snprintf(list, sizeof(list), "%s", hosts);
    *san = *cn = '\0';
    for (char *h = strtok_r(list, ",", &save); h; h = strtok_r(NULL, ",", &save)) {
        unsigned char a[16];
        int ip = inet_pton(AF_INET, h, a) == 1 || inet_pton(AF_INET6, h, a) == 1;
        if (!ip && strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*") != strlen(h)) {
            snprintf(err, errlen, "--host: '%s' is neither a DNS name nor an IP address", h);
            return -1;
        }
        if (!*cn) snprintf(cn, cnlen, "%s", h);
        n += (size_t)snprintf(san + n, sanlen - n, "%s%s:%s", n ? "," : "", ip ? "IP" : "DNS", h);
        if (n >= sanlen) {
            snprintf(err, errlen, "--host: too long");
            return -1;
        }
    }
    if (!*cn) {
        snprintf(err, errlen, "--host: no names");
        return -1;
    }
    return 0;
}

/* A certificate for key, signed by issuer/issuer_key (both NULL: self-signed). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, int days,
                       const char *const exts[][2])
{
    X509 *x = X509_new();
    BIGNUM *bn = BN_new();
    int ok = x && bn && X509_set_version(x, 2) && BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
             BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
             /* an hour back: clocks of a cluster's hosts are never quite the same */
             X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
             X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400) && X509_set_pubkey(x, key) &&
             X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "O", MBSTRING_ASC,
                                        (const unsigned char *)"excam", -1, -1, 0) &&
             X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                        (const unsigned char *)cn, -1, -1, 0) &&
             X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
    for (int i = 0; ok && exts[i][0]; i++)
        ok = !add_ext(x, issuer ? issuer : x, OBJ_txt2nid(exts[i][0]), exts[i][1]);
    ok = ok && X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0;
    BN_free(bn);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* Write a PEM file (a key if key != NULL, else cert) to path with mode. */
static int write_pem(const char *path, int mode, EVP_PKEY *key, X509 *cert, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) : PEM_write_X509(f, cert);
    ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (fclose(f)) ok = 0;
    if (!ok) {
        snprintf(err, errlen, "%s: cannot write", path);
        return -1;
    }
    return 0;
}

int tls_material_make(const char *dir, const char *hosts, int days, int force, char *err,
                      size_t errlen)
{
    char san[1200], cn[256], path[NFILES][4200], tmp[NFILES][4300];
    EVP_PKEY *key[3] = {NULL, NULL, NULL};
    X509 *cert[3] = {NULL, NULL, NULL};
    int ret = -1, written = 0;
    struct stat st;

    if (subject_alt_names(hosts, san, sizeof(san), cn, sizeof(cn), err, errlen)) return -1;
    if (ssl_api_load(err, errlen) != 0) return -1; /* OpenSSL, loaded on first use */
    if (mkdir(dir, 0700) && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    for (int i = 0; i < NFILES; i++) {
        snprintf(path[i], sizeof(path[i]), "%s/%s", dir, file_names[i]);
        snprintf(tmp[i], sizeof(tmp[i]), "%s/%s.tmp.%ld", dir, file_names[i], (long)getpid());
        if (!force && !lstat(path[i], &st)) {
            snprintf(err, errlen, "%s exists already (--force replaces it)", path[i]);
            return -1;
        }
    }
    const char *const ca_ext[][2] = {{"basicConstraints", "critical,CA:TRUE,pathlen:0"},
                                     {"keyUsage", "critical,keyCertSign,cRLSign"},
                                     {"subjectKeyIdentifier", "hash"},
                                     {NULL, NULL}};
    const char *const srv_ext[][2] = {{"basicConstraints", "critical,CA:FALSE"},
                                      {"keyUsage", "critical,digitalSignature"},
                                      {"extendedKeyUsage", "serverAuth"},
                                      {"subjectAltName", san},
                                      {"subjectKeyIdentifier", "hash"},
                                      {"authorityKeyIdentifier", "keyid:always"},
                                      {NULL, NULL}};
    const char *const cli_ext[][2] = {{"basicConstraints", "critical,CA:FALSE"},
                                      {"keyUsage", "critical,digitalSignature"},
                                      {"extendedKeyUsage", "clientAuth"},
                                      {"subjectKeyIdentifier", "hash"},
                                      {"authorityKeyIdentifier", "keyid:always"},
                                      {NULL, NULL}};
    for (int i = 0; i < 3; i++)
        if (!(key[i] = EVP_EC_gen("P-256"))) {
            ossl_fail(err, errlen, "cannot make an EC P-256 key");
            goto done;
        }
    if (!(cert[0] = make_cert(key[0], "excam CA", NULL, NULL, days, ca_ext)) ||
        !(cert[1] = make_cert(key[1], cn, cert[0], key[0], days, srv_ext)) ||
        !(cert[2] = make_cert(key[2], "excam client", cert[0], key[0], days, cli_ext))) {
        ossl_fail(err, errlen, "cannot make a certificate");
        goto done;
    }
    /* Everything into temporary files first, then renamed: all or nothing. */
    for (int i = 0; i < NFILES; i++) {
        int is_key = i % 2;
        if (write_pem(tmp[i], is_key ? 0600 : 0644, is_key ? key[i / 2] : NULL, cert[i / 2], err, errlen))
            goto done;
        written = i + 1;
    }
    for (int i = 0; i < NFILES; i++)
        if (rename(tmp[i], path[i])) {
            snprintf(err, errlen, "%s: %s", path[i], strerror(errno));
            for (int j = 0; j < i; j++) unlink(path[j]);
            goto done;
        }
    written = 0;
    ret = 0;
done:
    for (int i = 0; i < written; i++) unlink(tmp[i]);
    for (int i = 0; i < 3; i++) {
        EVP_PKEY_free(key[i]);
        X509_free(cert[i]);
    }
    return ret;
}

/*
 * The s3:// backend of the blob store: s3://BUCKET[/PREFIX] holds blob NAME as the
 * object PREFIX/NAME of BUCKET. Requests are the http backend's (blob_http.c), signed
 * with AWS Signature Version 4 by libcurl (CURLOPT_AWS_SIGV4) with the credentials and
 * region found as the AWS tools find them (aws_config.h).
 *
 * Addressing: AWS_ENDPOINT_URL(_S3) set (MinIO, Ceph, a test server): path style,
 * ENDPOINT/BUCKET/PREFIX/NAME. Otherwise AWS's virtual-hosted style,
 * https://BUCKET.s3.REGION.amazonaws.com/PREFIX/NAME (path style on AWS for bucket names
 * with dots, which its wildcard certificate does not cover).
 *
 * S3 makes a PUT visible only when complete, so puts are atomic as the store requires.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_config.h"
#include "blob_http.h"

/* S3's rules for bucket names: 3..63 of [a-z0-9.-]. */
static int bucket_ok(const char *b, size_t n)
{
    if (n < 3 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9') || b[i] == '.' ||
              b[i] == '-'))
            return 0;
    return 1;
}

/* Key prefixes are kept to characters that need no %-escape in a URL or a signature. */
static int prefix_ok(const char *p)
{
    return strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./~") ==
               strlen(p) &&
           !strstr(p, "//") && p[0] != '/';
}

int s3_store_open(const char *where, const char *uri, const blob_log *log, void **state,
                  char *err, size_t errlen)
{
    const char *slash = strchr(where, '/');
    size_t blen = slash ? (size_t)(slash - where) : strlen(where);
    const char *prefix = slash ? slash + 1 : "";
    size_t plen = strlen(prefix);
    aws_config cfg;
    char base[2400], sigv4[100];
    int rc;

    if (!bucket_ok(where, blen))
        return blob_fail(err, errlen, BLOB_EINVAL,
                         "%s: \"%.*s\" is not an S3 bucket name (3..63 of a-z, 0-9, '.', '-')",
                         uri, (int)blen, where);
    if (!prefix_ok(prefix) || plen > 512)
        return blob_fail(err, errlen, BLOB_EINVAL,
                         "%s: the key prefix may hold only A-Z a-z 0-9 - _ . / ~ (no empty "
                         "segments), at most 512 of them", uri);
    if ((rc = aws_config_load(&cfg, err, errlen)) != BLOB_OK) {
        char why[1024];
        snprintf(why, sizeof(why), "%s", err ? err : "");
        return blob_fail(err, errlen, rc, "%s: %s", uri, why);
    }
    const char *sep = plen && prefix[plen - 1] != '/' ? "/" : "";
    if (cfg.endpoint[0]) {
        size_t e = strlen(cfg.endpoint);
        while (e > 0 && cfg.endpoint[e - 1] == '/')
            e--;
        if (strncmp(cfg.endpoint, "http://", 7) && strncmp(cfg.endpoint, "https://", 8)) {
            aws_config_clear(&cfg);
            return blob_fail(err, errlen, BLOB_EINVAL,
                             "%s: AWS_ENDPOINT_URL \"%s\" is not an http(s):// URL", uri,
                             cfg.endpoint);
        }
        snprintf(base, sizeof(base), "%.*s/%.*s/%s%s", (int)e, cfg.endpoint, (int)blen, where,
                 prefix, sep);
    } else if (memchr(where, '.', blen)) {
        snprintf(base, sizeof(base), "https://s3.%s.amazonaws.com/%.*s/%s%s", cfg.region,
                 (int)blen, where, prefix, sep);
    } else {
        snprintf(base, sizeof(base), "https://%.*s.s3.%s.amazonaws.com/%s%s", (int)blen, where,
                 cfg.region, prefix, sep);
    }
    snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:s3", cfg.region);
    char userpwd[sizeof(cfg.key_id) + sizeof(cfg.secret) + 1];
    snprintf(userpwd, sizeof(userpwd), "%s:%s", cfg.key_id, cfg.secret);
    http_signing sign = {sigv4, userpwd, cfg.token};
    /* A private CA (MinIO, Ceph): AWS_CA_BUNDLE as for the aws CLI, or CURL_CA_BUNDLE. */
    const char *ca = getenv("AWS_CA_BUNDLE");
    if (!ca || !*ca)
        ca = getenv("CURL_CA_BUNDLE");
    rc = http_store_open(base, &sign, ca && *ca ? ca : NULL, log, state, err, errlen);
    aws_config_clear(&cfg);
    sodium_memzero(userpwd, sizeof(userpwd));
    return rc;
}

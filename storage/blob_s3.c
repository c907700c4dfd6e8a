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

int s3_base_url(const char *where, const char *region, const char *endpoint, char *base,
                size_t cap, char *err, size_t errlen)
{
    const char *slash = strchr(where, '/');
    size_t blen = slash ? (size_t)(slash - where) : strlen(where);
    const char *prefix = slash ? slash + 1 : "";
    size_t plen = strlen(prefix), n;

    if (!bucket_ok(where, blen))
        return blob_fail(err, errlen, BLOB_EINVAL,
                         "s3://%s: \"%.*s\" is not an S3 bucket name (3..63 of a-z, 0-9, '.', "
                         "'-')", where, (int)blen, where);
    if (!prefix_ok(prefix) || plen > 512)
        return blob_fail(err, errlen, BLOB_EINVAL,
                         "s3://%s: the key prefix may hold only A-Z a-z 0-9 - _ . / ~ (no empty "
                         "segments), at most 512 of them", where);
    const char *sep = plen && prefix[plen - 1] != '/' ? "/" : "";
    if (endpoint && *endpoint) {
        size_t e = strlen(endpoint);
        while (e > 0 && endpoint[e - 1] == '/')
            e--;
        if (strncmp(endpoint, "http://", 7) && strncmp(endpoint, "https://", 8))
            return blob_fail(err, errlen, BLOB_EINVAL,
                             "s3://%s: AWS_ENDPOINT_URL \"%s\" is not an http(s):// URL", where,
                             endpoint);
        n = (size_t)snprintf(base, cap, "%.*s/%.*s/%s%s", (int)e, endpoint, (int)blen, where,
                             prefix, sep);
    } else if (memchr(where, '.', blen)) {
        n = (size_t)snprintf(base, cap, "https://s3.%s.amazonaws.com/%.*s/%s%s", region,
                             (int)blen, where, prefix, sep);
    } else {
        n = (size_t)snprintf(base, cap, "https://%.*s.s3.%s.amazonaws.com/%s%s", (int)blen, where,
                             region, prefix, sep);
    }
    return n < cap ? BLOB_OK : blob_fail(err, errlen, BLOB_EINVAL, "s3://%s: URL too long", where);
}

int s3_store_open(const char *where, const char *uri, const blob_log *log, void **state,
                  char *err, size_t errlen)
{
    aws_config cfg;
    char base[2400], sigv4[100];
    int rc;

    (void)uri;
    /* The URI's own mistakes first, before any about credentials. */
    if ((rc = s3_base_url(where, "us-east-1", NULL, base, sizeof(base), err, errlen)) != BLOB_OK)
        return rc;
    if ((rc = aws_config_load(&cfg, err, errlen)) != BLOB_OK) {
        char why[1024];
        snprintf(why, sizeof(why), "%s", err ? err : "");
        return blob_fail(err, errlen, rc, "s3://%s: %s", where, why);
    }
    if ((rc = s3_base_url(where, cfg.region, cfg.endpoint, base, sizeof(base), err, errlen))) {
        aws_config_clear(&cfg);
        return rc;
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

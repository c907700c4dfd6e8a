/* S3 credentials, region and endpoint from the environment and ~/.aws (aws_config.h). */
#include "aws_config.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob_backend.h"

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* Copy src into dst[cap]; -1 if it does not fit. */
static int copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

static char *trim(char *s)
{
    char *e = s + strlen(s);
    while (isspace((unsigned char)*s))
        s++;
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

/* Value of `key` in section `section` of an INI file into out[cap]: 1 found, 0 not (or no
 * file), -1 too long. */
static int ini_value(const char *path, const char *section, const char *key, char *out,
                     size_t cap)
{
    FILE *f = fopen(path, "r");
    char line[8192];
    int in = 0, found = 0;
    if (!f)
        return 0;
    while (!found && fgets(line, sizeof(line), f)) {
        char *s = trim(line), *eq;
        if (*s == '#' || *s == ';' || !*s)
            continue;
        if (*s == '[') {
            char *end = strchr(s, ']');
            if (end) {
                *end = 0;
                in = !strcmp(trim(s + 1), section);
            }
            continue;
        }
        if (!in || !(eq = strchr(s, '=')))
            continue;
        *eq = 0;
        if (strcmp(trim(s), key))
            continue;
        found = copy(out, cap, trim(eq + 1)) ? -1 : 1;
    }
    sodium_memzero(line, sizeof(line));
    fclose(f);
    return found;
}

/* $VAR, else $HOME/.aws/NAME, into path[cap]; 0 if neither is known. */
static int aws_file(const char *var, const char *name, char *path, size_t cap)
{
    const char *p = env(var), *home = env("HOME");
    if (p)
        return snprintf(path, cap, "%s", p) < (int)cap;
    if (!home)
        return 0;
    return snprintf(path, cap, "%s/.aws/%s", home, name) < (int)cap;
}

static int load_credentials(aws_config *c, const char *profile, char *err, size_t errlen)
{
    const char *id = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
    char path[1024];
    if (id || secret) {
        if (!id || !secret)
            return blob_fail(err, errlen, BLOB_EINVAL, "%s is set but %s is not",
                             id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                             id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
        const char *token = env("AWS_SESSION_TOKEN");
        if (copy(c->key_id, sizeof(c->key_id), id) || copy(c->secret, sizeof(c->secret), secret) ||
            copy(c->token, sizeof(c->token), token ? token : ""))
            return blob_fail(err, errlen, BLOB_EINVAL, "AWS credentials in the environment: too long");
        snprintf(c->source, sizeof(c->source), "AWS_ACCESS_KEY_ID");
        return BLOB_OK;
    }
    if (!aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials", path, sizeof(path)))
        return blob_fail(err, errlen, BLOB_EINVAL,
                         "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                         "(or HOME, for ~/.aws/credentials)");
    int a = ini_value(path, profile, "aws_access_key_id", c->key_id, sizeof(c->key_id));
    int b = ini_value(path, profile, "aws_secret_access_key", c->secret, sizeof(c->secret));
    int t = ini_value(path, profile, "aws_session_token", c->token, sizeof(c->token));
    if (a < 0 || b < 0 || t < 0)
        return blob_fail(err, errlen, BLOB_EINVAL, "%s [%s]: a value is too long", path, profile);
    if (a != 1 || b != 1)
        return blob_fail(err, errlen, BLOB_EINVAL,
                         "no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are "
                         "not set and %s has no aws_access_key_id and aws_secret_access_key in "
                         "[%s]", path, profile);
    snprintf(c->source, sizeof(c->source), "%s [%s]", path, profile);
    return BLOB_OK;
}

static int load_region(aws_config *c, const char *profile, char *err, size_t errlen)
{
    const char *r = env("AWS_REGION");
    char path[1024], section[300];
    if (!r)
        r = env("AWS_DEFAULT_REGION");
    if (r) {
        if (copy(c->region, sizeof(c->region), r))
            return blob_fail(err, errlen, BLOB_EINVAL, "AWS region %.80s...: too long", r);
    } else {
        /* ~/.aws/config names profiles "[profile NAME]", except "[default]". */
        if (!strcmp(profile, "default"))
            snprintf(section, sizeof(section), "default");
        else
            snprintf(section, sizeof(section), "profile %s", profile);
        if (!aws_file("AWS_CONFIG_FILE", "config", path, sizeof(path)) ||
            ini_value(path, section, "region", c->region, sizeof(c->region)) != 1)
            snprintf(c->region, sizeof(c->region), "us-east-1");
    }
    /* It goes into the signature's scope ("aws:amz:REGION:s3") and the host name. */
    for (const char *p = c->region; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-')
            return blob_fail(err, errlen, BLOB_EINVAL, "AWS region \"%s\": not a region name",
                             c->region);
    if (!c->region[0])
        return blob_fail(err, errlen, BLOB_EINVAL, "AWS region: empty");
    return BLOB_OK;
}

int aws_config_load(aws_config *c, char *err, size_t errlen)
{
    const char *profile = env("AWS_PROFILE"), *endpoint = env("AWS_ENDPOINT_URL_S3");
    int rc;
    memset(c, 0, sizeof(*c));
    if (!profile)
        profile = "default";
    if (strlen(profile) > 256)
        return blob_fail(err, errlen, BLOB_EINVAL, "AWS_PROFILE: too long");
    if ((rc = load_credentials(c, profile, err, errlen)) || (rc = load_region(c, profile, err, errlen))) {
        aws_config_clear(c);
        return rc;
    }
    if (!endpoint)
        endpoint = env("AWS_ENDPOINT_URL");
    if (endpoint && copy(c->endpoint, sizeof(c->endpoint), endpoint)) {
        aws_config_clear(c);
        return blob_fail(err, errlen, BLOB_EINVAL, "AWS_ENDPOINT_URL: too long");
    }
    return BLOB_OK;
}

void aws_config_clear(aws_config *c) { sodium_memzero(c, sizeof(*c)); }

/*
 * The lambda launcher: N asynchronous invocations (X-Amz-Invocation-Type: Event) of an
 * AWS Lambda function that runs one worker each (tools/lambda/bootstrap, a custom
 * runtime), POST {endpoint}/2015-03-31/functions/{F}/invocations with the JSON event
 * {"coordinator", "storage", "name", "retry_for", "insecure", "key"}, signed with SigV4 by libcurl
 * (CURLOPT_AWS_SIGV4 "aws:amz:REGION:lambda"). Credentials: AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and, for temporary ones, AWS_SESSION_TOKEN.
 *
 * An invocation cannot be taken back: the workers end by themselves once their
 * coordinator has been gone for retry_for seconds (10 by default here, as Lambda bills
 * the time), so stop has nothing to do and check cannot see them.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "cli.h"
#include "curl_api.h"
#include "launch_int.h"

typedef struct lambda_state {
    int invoked;
} lambda_state;

/* What the endpoint answered, kept short for a message. */
typedef struct reply {
    char text[512];
    size_t n;
} reply;

static size_t keep_reply(char *p, size_t size, size_t nmemb, void *arg)
{
    reply *r = arg;
    size_t len = size * nmemb, take = len < sizeof(r->text) - 1 - r->n ? len : sizeof(r->text) - 1 - r->n;
    memcpy(r->text + r->n, p, take);
    r->n += take;
    r->text[r->n] = '\0';
    return len;
}

/* s as a JSON string into out (cut to fit). */
static void json_str(char *out, size_t len, const char *s)
{
    size_t n = 0;
    if (len < 3) return;
    out[n++] = '"';
    for (; *s && n + 8 < len; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') n += (size_t)snprintf(out + n, len - n, "\\%c", ch);
        else if (ch < 0x20) n += (size_t)snprintf(out + n, len - n, "\\u%04x", ch);
        else out[n++] = (char)ch;
    }
    out[n++] = '"';
    out[n] = '\0';
}

static const char *env_or(const char *a, const char *b)
{
    const char *v = getenv(a);
    if (v && *v) return v;
    v = b ? getenv(b) : NULL;
    return v && *v ? v : NULL;
}

/* Function names and ARNs: letters, digits and - _ : . (nothing a URL path escapes). */
static int function_name_ok(const char *f)
{
    return *f && strlen(f) <= 170 &&
           strspn(f, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:.") == strlen(f);
}

static int lambda_start(const launch_opts *o, void **state)
{
    const char *fn = o->lambda_function;
    const char *region = o->lambda_region ? o->lambda_region : env_or("AWS_REGION", "AWS_DEFAULT_REGION");
    const char *endpoint = o->lambda_endpoint ? o->lambda_endpoint
                                              : env_or("AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL");
    const char *key = env_or("AWS_ACCESS_KEY_ID", NULL), *secret = env_or("AWS_SECRET_ACCESS_KEY", NULL);
    const char *token = env_or("AWS_SESSION_TOKEN", NULL);
    if (!function_name_ok(fn)) {
        cli_error("lambda: '%s' is not a function name or ARN", fn);
        return 1;
    }
    if (!region || strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(region)) {
        cli_error("lambda: %s: give the region with --lambda-region or AWS_REGION",
                  region ? "not a region name" : "no region");
        return 1;
    }
    if (!key || !secret) {
        cli_error("lambda: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
        return 1;
    }
    char url[1024], sigv4[128], auth[512], tokhdr[2100], why[320];
    if (curl_api_load(why, sizeof(why)) != 0) {
        cli_error("lambda: %s", why);
        return 1;
    }
    if (endpoint) {
        size_t e = strlen(endpoint);
        while (e && endpoint[e - 1] == '/') e--;
        snprintf(url, sizeof(url), "%.*s/2015-03-31/functions/%s/invocations", (int)e, endpoint, fn);
    } else {
        snprintf(url, sizeof(url), "https://lambda.%s.amazonaws.com/2015-03-31/functions/%s/invocations",
                 region, fn);
    }
    snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:lambda", region);
    snprintf(auth, sizeof(auth), "%s:%s", key, secret);

    lambda_state *s = calloc(1, sizeof(*s));
    CURL *c = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "X-Amz-Invocation-Type: Event");
    if (token) {
        snprintf(tokhdr, sizeof(tokhdr), "X-Amz-Security-Token: %s", token);
        hdrs = curl_slist_append(hdrs, tokhdr);
    }
    if (!s || !c || !hdrs) {
        cli_error("out of memory");
        goto fail;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4);
    curl_easy_setopt(c, CURLOPT_USERPWD, auth);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_reply);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");

    char q_coord[600], q_storage[2200], q_name[80], body[3400], q_key[2 * AUTH_KEY_BYTES + 32];
    q_key[0] = '\0';
    if (o->key) { /* the job key rides in the event (TLS to Lambda), never in a file */
        char hex[2 * AUTH_KEY_BYTES + 1];
        sodium_bin2hex(hex, sizeof(hex), o->key, AUTH_KEY_BYTES);
        snprintf(q_key, sizeof(q_key), ",\"key\":\"%s\"", hex);
        sodium_memzero(hex, sizeof(hex));
    }
    json_str(q_coord, sizeof(q_coord), o->coordinator);
    json_str(q_storage, sizeof(q_storage), o->storage ? o->storage : "");
    int n = o->workers > 0 ? o->workers : 1, failures = 0, in_a_row = 0;
    for (int i = 0; i < n; i++) {
        char name[64];
        reply r = {.n = 0};
        r.text[0] = '\0';
        snprintf(name, sizeof(name), "lambda-%d", i + 1);
        json_str(q_name, sizeof(q_name), name);
        snprintf(body, sizeof(body),
                 "{\"coordinator\":%s,\"storage\":%s,\"name\":%s,\"retry_for\":%g,\"insecure\":%s%s}",
                 q_coord, q_storage, q_name, o->retry_for ? o->retry_for : 10,
                 o->insecure ? "true" : "false", q_key);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
        CURLcode e = curl_easy_perform(c);
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        if (!e && code == 202) {
            s->invoked++;
            in_a_row = 0;
            continue;
        }
        failures++;
        in_a_row++;
        for (char *p = r.text; *p; p++)
            if (*p == '\n' || *p == '\r') *p = ' ';
        if (e)
            cli_error("lambda %s at %s: invocation %d: %s", fn, url, i + 1, curl_easy_strerror(e));
        else
            cli_error("lambda %s at %s: invocation %d: HTTP %ld%s%s", fn, url, i + 1, code,
                      *r.text ? ": " : "", r.text);
        /* Refused (credentials, permission, no such function): the rest would be too. */
        if (!e && code >= 400 && code < 500 && code != 429) break;
        /* Unreachable or failing: do not print the same line for every worker. */
        if (in_a_row == 3 && i + 1 < n) {
            cli_error("lambda %s: 3 invocations failed in a row; %d more not tried", fn, n - i - 1);
            break;
        }
    }
    if (failures && s->invoked)
        cli_error("lambda %s: %d of %d workers invoked; going on with them", fn, s->invoked, n);
    sodium_memzero(q_key, sizeof(q_key));
    sodium_memzero(body, sizeof(body));
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    if (!s->invoked) {
        free(s);
        return 1;
    }
    *state = s;
    return 0;
fail:
    curl_slist_free_all(hdrs);
    if (c) curl_easy_cleanup(c);
    free(s);
    return 1;
}

static int lambda_check(void *state)
{
    return ((lambda_state *)state)->invoked;
}

static void lambda_stop(void *state)
{
    free(state);
}

const launch_ops launch_lambda_ops = {"lambda", lambda_start, lambda_check, lambda_stop, NULL};

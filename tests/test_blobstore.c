/*
 * The content-addressed blob store (storage/blobstore.h), file backend:
 *  - names: BLAKE2b-256 (known vectors), hex and back;
 *  - opening: plain paths and file:// URIs; a missing directory or a file give clear
 *    errors naming the location; http(s) and s3 URIs, S3 credentials from the
 *    environment and ~/.aws-style files, and clear refusals of bad ones;
 *  - put/get/has round trip for empty to 1 MiB blobs; the blob is a file named by its
 *    hash; the same bytes twice leave one file, not rewritten (file backend);
 *  - a flipped byte is reported as corrupt and the file removed (then put again), a
 *    truncated copy is replaced by the next put;
 *  - processes putting the same and different blobs at once while others read leave
 *    only complete blobs and no temporary files, and readers never see a partial one.
 *
 * usage: test_blobstore     (uses a fresh directory under $TMPDIR, removed at the end)
 *
 * With a store and the directory where its server keeps the blobs, the same round
 * trip, corruption (bytes flipped on the server) and concurrency checks run against a
 * network store (tests/t_storage_http.sh: nginx WebDAV, a SigV4-checking S3 server, a
 * proxy failing 30% of requests), plus an unreachable server:
 *        test_blobstore URI SERVER_DIR      (SERVER_DIR/<64 hex> is blob <64 hex>)
 * Retries the store reports are printed ("retry: ...") and counted in the summary line
 * (the unreachable server's RETRY_ATTEMPTS - 1 included).
 * Exit status: 0 all passed, 1 a check failed.
 */
#include "test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blob_http.h"
#include "blobstore.h"
#include "retry.h"

static char root[2048]; /* the scratch directory */
static int retries;     /* notices from network stores */
static int remote;      /* testing a network store */

static void count_retry(void *ctx, const char *line)
{
    (void)ctx;
    retries++;
    fprintf(stderr, "retry: %s\n", line);
}

/* Open a store that reports its retries. */
static int open_store(const char *uri, blobstore **bs, char *err, size_t errlen)
{
    int rc = blobstore_open(uri, bs, err, errlen);
    if (rc == BLOB_OK)
        blobstore_set_log(*bs, count_retry, NULL);
    return rc;
}

/* ------------------------------------------------------------ helpers */

/* Entries of dir other than . and ..: all, and those starting with ".tmp". */
static void count_files(const char *dir, size_t *all, size_t *tmp)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    *all = *tmp = 0;
    if (!d)
        return;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        (*all)++;
        if (!strncmp(e->d_name, ".tmp", 4))
            (*tmp)++;
    }
    closedir(d);
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[8192];
    if (!d)
        return;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (unlink(path) != 0 && errno == EISDIR)
            remove_tree(path);
    }
    closedir(d);
    rmdir(dir);
}

/* A fresh, empty directory root/name; its path in out. */
static int make_dir(const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", root, name);
    return mkdir(out, 0755);
}

static void fill(uint8_t *p, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)tu_rand(&seed);
}

static void blob_path(const char *dir, const uint8_t hash[32], char *out, size_t len)
{
    char hex[BLOB_HEX_BYTES];
    blob_hex(hash, hex);
    snprintf(out, len, "%s/%s", dir, hex);
}

/* ------------------------------------------------------------ tests */

static void test_names(void)
{
    uint8_t h[32], back[32];
    char hex[BLOB_HEX_BYTES], upper[BLOB_HEX_BYTES];

    CHECK(blob_hash("abc", 3, h) == BLOB_OK, "blob_hash");
    blob_hex(h, hex);
    CHECK(!strcmp(hex, "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"),
          "BLAKE2b-256(abc) = %s", hex);
    CHECK(blob_hash(NULL, 0, h) == BLOB_OK, "hash of nothing");
    blob_hex(h, hex);
    CHECK(!strcmp(hex, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"),
          "BLAKE2b-256() = %s", hex);
    CHECK(blob_unhex(hex, back) == BLOB_OK && !memcmp(back, h, 32), "unhex(hex(h)) != h");
    for (int i = 0; i < BLOB_HEX_BYTES; i++)
        upper[i] = (char)(hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 32 : hex[i]);
    CHECK(blob_unhex(upper, back) == BLOB_OK && !memcmp(back, h, 32), "upper-case hex");
    CHECK(blob_unhex("0e57", back) == BLOB_EINVAL, "short hex accepted");
    upper[63] = 'g';
    CHECK(blob_unhex(upper, back) == BLOB_EINVAL, "non-hex accepted");
    CHECK(blob_unhex(NULL, back) == BLOB_EINVAL, "NULL accepted");
    {
        char longer[80];
        snprintf(longer, sizeof(longer), "%s0", hex);
        CHECK(blob_unhex(longer, back) == BLOB_EINVAL, "65 digits accepted");
    }
    CHECK(strcmp(blob_strerror(BLOB_ECORRUPT), blob_strerror(BLOB_ENOTFOUND)) &&
              !strcmp(blob_strerror(-99), "unknown blob store error"),
          "blob_strerror");
}

static void test_open(void)
{
    char dir[4096], uri[4200], err[512];
    blobstore *bs = (blobstore *)&err;
    int rc;

    if (!CHECK(make_dir("open", dir, sizeof(dir)) == 0, "mkdir %s", dir))
        return;
    CHECK(blobstore_open(dir, &bs, err, sizeof(err)) == BLOB_OK && bs, "plain path: %s", err);
    CHECK(!strcmp(blobstore_location(bs), dir), "location %s", blobstore_location(bs));
    blobstore_close(bs);
    snprintf(uri, sizeof(uri), "file://%s", dir);
    CHECK(blobstore_open(uri, &bs, err, sizeof(err)) == BLOB_OK && bs, "%s: %s", uri, err);
    blobstore_close(bs);
    snprintf(uri, sizeof(uri), "FILE://localhost%s", dir);
    CHECK(blobstore_open(uri, &bs, err, sizeof(err)) == BLOB_OK && bs, "%s: %s", uri, err);
    blobstore_close(bs);

    snprintf(uri, sizeof(uri), "%s/missing", dir);
    rc = blobstore_open(uri, &bs, err, sizeof(err));
    CHECK(rc == BLOB_ENOTFOUND && !bs && strstr(err, uri) && strstr(err, "no such directory"),
          "missing directory: %s: \"%s\"", blob_strerror(rc), err);
    snprintf(uri, sizeof(uri), "file://%s/missing", dir);
    rc = blobstore_open(uri, &bs, err, sizeof(err));
    CHECK(rc == BLOB_ENOTFOUND && !bs && strstr(err, "/missing"), "missing file:// directory: %s",
          err);
    {
        char file[4200];
        FILE *f;
        snprintf(file, sizeof(file), "%s/plain-file", dir);
        f = fopen(file, "w");
        if (f)
            fclose(f);
        rc = blobstore_open(file, &bs, err, sizeof(err));
        CHECK(rc == BLOB_EINVAL && !bs && strstr(err, file), "a file as store: %s: %s",
              blob_strerror(rc), err);
        unlink(file);
    }
    /* Network stores open without a word to the server; bad URIs are refused. */
    static const char *const network[] = {"http://example.com/blobs", "HTTPS://h:8443/b/",
                                          "http://127.0.0.1:1"};
    for (size_t i = 0; i < sizeof(network) / sizeof(network[0]); i++) {
        rc = blobstore_open(network[i], &bs, err, sizeof(err));
        CHECK(rc == BLOB_OK && bs, "%s: %s: \"%s\"", network[i], blob_strerror(rc), err);
        blobstore_close(bs);
    }
    static const char *const bad_http[] = {"http:///x", "http://h/b?q=1", "https://"};
    for (size_t i = 0; i < sizeof(bad_http) / sizeof(bad_http[0]); i++) {
        rc = blobstore_open(bad_http[i], &bs, err, sizeof(err));
        CHECK(rc == BLOB_EINVAL && !bs && strstr(err, bad_http[i]), "%s: %s", bad_http[i], err);
    }
    /* S3: credentials from the environment or the files, else a clear refusal. */
    {
        char creds[4200];
        FILE *f;
        snprintf(creds, sizeof(creds), "%s/credentials", dir);
        unsetenv("AWS_ACCESS_KEY_ID");
        unsetenv("AWS_SECRET_ACCESS_KEY");
        unsetenv("AWS_PROFILE");
        setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
        rc = blobstore_open("s3://bucket/prefix", &bs, err, sizeof(err));
        CHECK(rc == BLOB_EINVAL && !bs && strstr(err, "no AWS credentials") &&
                  strstr(err, "s3://bucket/prefix"),
              "s3 without credentials: %s", err);
        if ((f = fopen(creds, "w"))) {
            fputs("[default]\naws_access_key_id = AKIDEFAULT\n\n[other]\n"
                  "aws_access_key_id=AKIOTHER\naws_secret_access_key = s3cr3t\n", f);
            fclose(f);
        }
        rc = blobstore_open("s3://bucket", &bs, err, sizeof(err));
        CHECK(rc == BLOB_EINVAL && strstr(err, "[default]") && strstr(err, creds),
              "a profile without its secret: %s", err);
        setenv("AWS_PROFILE", "other", 1);
        rc = blobstore_open("S3://bucket/a/b", &bs, err, sizeof(err));
        CHECK(rc == BLOB_OK && bs, "s3 with a profile: %s", err);
        blobstore_close(bs);
        unsetenv("AWS_PROFILE");
        setenv("AWS_ACCESS_KEY_ID", "AKIENV", 1);
        rc = blobstore_open("s3://bucket", &bs, err, sizeof(err));
        CHECK(rc == BLOB_EINVAL && strstr(err, "AWS_SECRET_ACCESS_KEY"), "half a key: %s", err);
        setenv("AWS_SECRET_ACCESS_KEY", "x", 1);
        static const char *const bad_s3[] = {"s3://", "s3://UPPER", "s3://ab", "s3://b_b/x",
                                             "s3://bucket/a b", "s3://bucket//x", "s3://bucket/%41"};
        for (size_t i = 0; i < sizeof(bad_s3) / sizeof(bad_s3[0]); i++) {
            rc = blobstore_open(bad_s3[i], &bs, err, sizeof(err));
            CHECK(rc == BLOB_EINVAL && !bs && strstr(err, bad_s3[i]), "%s: %s", bad_s3[i], err);
        }
        /* Where requests go (no request is made here). */
        static const struct {
            const char *where, *region, *endpoint, *want;
        } urls[] = {
            {"my-bucket/a/b", "eu-west-3", NULL, "https://my-bucket.s3.eu-west-3.amazonaws.com/a/b/"},
            {"my-bucket", "us-east-1", "", "https://my-bucket.s3.us-east-1.amazonaws.com/"},
            {"my.bucket/p/", "eu-west-3", NULL, "https://s3.eu-west-3.amazonaws.com/my.bucket/p/"},
            {"my-bucket/p", "eu-west-3", "http://127.0.0.1:9000//", "http://127.0.0.1:9000/my-bucket/p/"},
        };
        for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
            char base[2400];
            rc = s3_base_url(urls[i].where, urls[i].region, urls[i].endpoint, base, sizeof(base),
                             err, sizeof(err));
            CHECK(rc == BLOB_OK && !strcmp(base, urls[i].want), "s3://%s: %s, not %s",
                  urls[i].where, rc ? err : base, urls[i].want);
        }
        setenv("AWS_ENDPOINT_URL", "minio:9000", 1);
        rc = blobstore_open("s3://bucket", &bs, err, sizeof(err));
        CHECK(rc == BLOB_EINVAL && strstr(err, "minio:9000") && strstr(err, "not an http"),
              "an endpoint without a scheme: %s", err);
        unsetenv("AWS_ENDPOINT_URL");
        setenv("AWS_REGION", "us east", 1);
        rc = blobstore_open("s3://bucket", &bs, err, sizeof(err));
        CHECK(rc == BLOB_EINVAL && strstr(err, "us east"), "a bad region: %s", err);
        unsetenv("AWS_REGION");
        unsetenv("AWS_ACCESS_KEY_ID");
        unsetenv("AWS_SECRET_ACCESS_KEY");
        unsetenv("AWS_SHARED_CREDENTIALS_FILE");
        unlink(creds);
    }
    rc = blobstore_open("gopher://x/y", &bs, err, sizeof(err));
    CHECK(rc == BLOB_EUNSUPPORTED && strstr(err, "unknown"), "gopher: %s", err);
    rc = blobstore_open("file://otherhost/dir", &bs, err, sizeof(err));
    CHECK(rc == BLOB_EUNSUPPORTED && strstr(err, "otherhost"), "remote file URI: %s", err);
    rc = blobstore_open("file:///tmp/a%20b", &bs, err, sizeof(err));
    CHECK(rc == BLOB_EUNSUPPORTED, "%%-escapes: %s", err);
    CHECK(blobstore_open("", &bs, err, sizeof(err)) == BLOB_EINVAL, "empty location");
    CHECK(blobstore_open(dir, NULL, NULL, 0) == BLOB_EINVAL, "no result pointer");
    blobstore_close(NULL);
}

/* A store at uri keeping its blobs in dir (the same for the file backend). */
static void test_round_trip(const char *uri, const char *dir)
{
    static const size_t sizes[] = {0, 1, 31, 4096, 100000, 1 << 20};
    char err[512], path[8192];
    blobstore *bs = NULL;
    uint8_t *data = malloc(1 << 20), hash[32], want[32];
    size_t files, tmp;

    if (!data || !CHECK(open_store(uri, &bs, err, sizeof(err)) == BLOB_OK, "open: %s", err)) {
        free(data);
        return;
    }
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        uint8_t *got = NULL;
        size_t n = sizes[i], got_len = 99;
        size_t file_len = 0;
        uint8_t *file;
        fill(data, n, i);
        blob_hash(data, n, want);
        CHECK(blobstore_has(bs, want, err, sizeof(err)) == 0, "%zu bytes: there before put", n);
        CHECK(blobstore_put(bs, data, n, hash, err, sizeof(err)) == BLOB_OK, "put %zu: %s", n, err);
        CHECK(!memcmp(hash, want, 32), "put %zu: hash differs from blob_hash", n);
        CHECK(blobstore_has(bs, hash, err, sizeof(err)) == 1, "%zu bytes: has after put", n);
        CHECK(blobstore_get(bs, hash, &got, &got_len, err, sizeof(err)) == BLOB_OK && got &&
                  got_len == n && !memcmp(got, data, n),
              "get %zu: %s", n, err);
        free(got);
        /* The layout is the contract with other tools: <dir>/<hex>, the bytes as is. */
        blob_path(dir, hash, path, sizeof(path));
        file = tu_read_file(path, &file_len);
        CHECK(file && file_len == n && !memcmp(file, data, n), "%s is not the blob", path);
        free(file);
    }
    count_files(dir, &files, &tmp);
    CHECK(files == sizeof(sizes) / sizeof(sizes[0]) && tmp == 0, "%zu files, %zu temporary",
          files, tmp);

    /* Same bytes again: one file, not rewritten (a network store sends them again). */
    if (!strcmp(uri, dir)) {
        struct stat before, after;
        fill(data, 4096, 3);
        blob_hash(data, 4096, want);
        blob_path(dir, want, path, sizeof(path));
        stat(path, &before);
        CHECK(blobstore_put(bs, data, 4096, hash, err, sizeof(err)) == BLOB_OK, "put again");
        CHECK(stat(path, &after) == 0 && after.st_ino == before.st_ino &&
                  after.st_mtim.tv_nsec == before.st_mtim.tv_nsec &&
                  after.st_mtim.tv_sec == before.st_mtim.tv_sec,
              "the same blob was rewritten");
        count_files(dir, &files, &tmp);
        CHECK(files == sizeof(sizes) / sizeof(sizes[0]) && tmp == 0,
              "after a second put: %zu files", files);
    }

    /* Absent blobs. */
    {
        uint8_t none[32] = {1, 2, 3}, *got = (uint8_t *)&got;
        size_t got_len = 5;
        int rc = blobstore_get(bs, none, &got, &got_len, err, sizeof(err));
        /* (s3 messages name the object's URL: bucket/prefix/name) */
        const char *where = strncmp(uri, "s3://", 5) ? uri : uri + 5;
        CHECK(rc == BLOB_ENOTFOUND && !got && got_len == 0 && strstr(err, where) &&
                  strstr(err, "010203"),
              "absent blob: %s: %s", blob_strerror(rc), err);
        CHECK(blobstore_has(bs, none, NULL, 0) == 0, "absent blob is there");
    }
    blobstore_close(bs);
    free(data);
}

static void test_corrupt(const char *uri, const char *dir)
{
    char err[512], path[8192];
    blobstore *bs = NULL;
    uint8_t data[5000], hash[32], *got = NULL;
    size_t got_len = 0, files, tmp;
    int fd, rc, local = !strcmp(uri, dir);

    if (!CHECK(open_store(uri, &bs, err, sizeof(err)) == BLOB_OK, "open: %s", err))
        return;
    fill(data, sizeof(data), 77);
    CHECK(blobstore_put(bs, data, sizeof(data), hash, err, sizeof(err)) == BLOB_OK, "put: %s", err);
    blob_path(dir, hash, path, sizeof(path));

    /* One flipped bit, same size: found on get, the copy removed. */
    fd = open(path, O_WRONLY);
    CHECK(fd >= 0 && pwrite(fd, "\x5a", 1, 2500) == 1, "cannot damage %s", path);
    close(fd);
    rc = blobstore_get(bs, hash, &got, &got_len, err, sizeof(err));
    CHECK(rc == BLOB_ECORRUPT && !got && got_len == 0, "flipped byte: %s", blob_strerror(rc));
    CHECK(strstr(err, path + strlen(dir) + 1) && strstr(err, uri) && strstr(err, "removed"),
          "corrupt message: %s", err);
    CHECK(access(path, F_OK) != 0 && blobstore_has(bs, hash, NULL, 0) == 0,
          "the corrupt copy is still there");
    CHECK(blobstore_get(bs, hash, &got, &got_len, err, sizeof(err)) == BLOB_ENOTFOUND,
          "after removal: %s", err);
    CHECK(blobstore_put(bs, data, sizeof(data), hash, err, sizeof(err)) == BLOB_OK, "re-put");
    CHECK(blobstore_get(bs, hash, &got, &got_len, err, sizeof(err)) == BLOB_OK &&
              got_len == sizeof(data) && !memcmp(got, data, sizeof(data)),
          "after re-put: %s", err);
    free(got);
    got = NULL;

    /* A truncated copy (an interrupted copy by some other tool): corrupt on get, and
     * put replaces it without waiting for a get. */
    CHECK(truncate(path, 100) == 0, "truncate");
    CHECK(blobstore_put(bs, data, sizeof(data), hash, err, sizeof(err)) == BLOB_OK, "put: %s", err);
    CHECK(blobstore_get(bs, hash, &got, &got_len, err, sizeof(err)) == BLOB_OK &&
              got_len == sizeof(data),
          "a truncated copy was not replaced: %s", err);
    free(got);
    got = NULL;
    CHECK(truncate(path, 0) == 0, "truncate");
    rc = blobstore_get(bs, hash, &got, &got_len, err, sizeof(err));
    CHECK(rc == BLOB_ECORRUPT && access(path, F_OK) != 0, "an emptied blob: %s", err);

    /* A directory where a blob should be: an error, not a crash or a removal. */
    if (local) {
        CHECK(mkdir(path, 0755) == 0, "mkdir %s", path);
        rc = blobstore_get(bs, hash, &got, &got_len, err, sizeof(err));
        CHECK(rc == BLOB_EIO && strstr(err, "not a regular file"), "a directory as blob: %s", err);
        rmdir(path);
    }
    count_files(dir, &files, &tmp);
    CHECK(tmp == 0, "%zu temporary files left", tmp);
    blobstore_close(bs);
}

/* A store whose directory cannot be written: a clear error, nothing left behind. */
static void test_read_only(void)
{
    char dir[4096], err[512];
    blobstore *bs = NULL;
    uint8_t hash[32];
    int rc;

    if (geteuid() == 0) /* root writes anyway */
        return;
    if (!CHECK(make_dir("ro", dir, sizeof(dir)) == 0, "mkdir") ||
        !CHECK(blobstore_open(dir, &bs, err, sizeof(err)) == BLOB_OK, "open: %s", err))
        return;
    chmod(dir, 0555);
    rc = blobstore_put(bs, "x", 1, hash, err, sizeof(err));
    CHECK(rc == BLOB_EIO && strstr(err, dir) && strstr(err, "ermission"),
          "put into a read-only directory: %s: %s", blob_strerror(rc), err);
    chmod(dir, 0755);
    blobstore_close(bs);
}

/* ---------------------------------------------------------- concurrency */

#define WRITERS 5
#define READERS 2
#define ROUNDS 12
#define SHARED_BYTES (3 << 20) /* big enough that a write takes a while */
#define OWN_BYTES (256 << 10)
#define BLOBS (1 + WRITERS * ROUNDS)

/* Writer id's own blob of round r. */
static void own_blob(uint8_t *buf, int id, int r)
{
    fill(buf, OWN_BYTES, 1000 * (uint64_t)id + (uint64_t)r);
}

/* A writer: each round, the shared blob (all writers race on that name) and a new blob
 * of its own; a fresh handle now and then. Exit status 0 if every put worked. */
static int writer(const char *uri, int id, const uint8_t *shared)
{
    uint8_t *own = malloc(OWN_BYTES), hash[32];
    char err[512] = "";
    blobstore *bs = NULL;
    int rc = own ? 0 : 5;
    for (int r = 0; r < ROUNDS && !rc; r++) {
        own_blob(own, id, r);
        if (!bs && open_store(uri, &bs, err, sizeof(err)) != BLOB_OK)
            rc = 2;
        else if (blobstore_put(bs, shared, SHARED_BYTES, hash, err, sizeof(err)) != BLOB_OK ||
                 blobstore_put(bs, own, OWN_BYTES, hash, err, sizeof(err)) != BLOB_OK)
            rc = 3;
        if (r % 3 == 2) {
            blobstore_close(bs);
            bs = NULL;
        }
    }
    if (rc)
        fprintf(stderr, "writer %d: %s\n", id, err);
    blobstore_close(bs);
    free(own);
    return rc;
}

/* A reader: knows every blob the writers will put, and polls for each until it appears
 * (or the writers are done: the file `done` exists). The moment a name appears its
 * bytes must be complete: a partial blob is reported corrupt. Exit status 0 if it saw
 * every blob, and all whole. */
static int reader(const char *uri, const char *done, const uint8_t *shared)
{
    uint8_t(*want)[32] = malloc(BLOBS * sizeof(*want)), *own = malloc(OWN_BYTES);
    char *seen = calloc(BLOBS, 1), err[512];
    blobstore *bs = NULL;
    int bad = 0, count = 0, last_pass = 0, gave_up = 0;

    if (!want || !own || !seen || open_store(uri, &bs, err, sizeof(err)) != BLOB_OK)
        bad = 2;
    for (int i = 0; !bad && i < BLOBS; i++) {
        if (i == 0) {
            blob_hash(shared, SHARED_BYTES, want[0]);
        } else {
            own_blob(own, (i - 1) / ROUNDS, (i - 1) % ROUNDS);
            blob_hash(own, OWN_BYTES, want[i]);
        }
    }
    while (!bad && count < BLOBS && !last_pass) {
        last_pass = access(done, F_OK) == 0;
        for (int i = 0; i < BLOBS && !bad; i++) {
            uint8_t *data = NULL;
            size_t len;
            int rc;
            if (seen[i])
                continue;
            rc = blobstore_get(bs, want[i], &data, &len, err, sizeof(err));
            if (rc == BLOB_OK) {
                seen[i] = 1;
                count++;
            } else if (rc == BLOB_EIO && remote && ++gave_up <= 5) {
                /* A flaky server beat all the retries of one poll (a task would be run
                 * again): poll again in the next pass. */
                fprintf(stderr, "reader: %s (polling again)\n", err);
            } else if (rc != BLOB_ENOTFOUND) {
                fprintf(stderr, "reader: %s\n", err);
                bad = 1;
            }
            free(data);
        }
    }
    blobstore_close(bs);
    free(want);
    free(own);
    free(seen);
    return bad ? bad : count == BLOBS ? 0 : 4;
}

static void test_parallel(const char *uri, const char *dir)
{
    char done[4096], err[512];
    uint8_t *shared = malloc(SHARED_BYTES);
    pid_t pids[WRITERS + READERS];
    size_t files, tmp;
    blobstore *bs = NULL;
    int started = 0;
    FILE *f;

    if (!shared)
        return;
    snprintf(done, sizeof(done), "%s/parallel.done", root);
    fill(shared, SHARED_BYTES, 4242);
    fflush(NULL);
    /* Readers first, so that they watch the writers from the start. */
    for (int i = 0; i < WRITERS + READERS; i++) {
        int is_reader = i < READERS;
        pid_t pid = fork();
        if (pid == 0)
            _exit(is_reader ? reader(uri, done, shared) : writer(uri, i - READERS, shared));
        if (!CHECK(pid > 0, "fork: %s", strerror(errno)))
            break;
        pids[started++] = pid;
    }
    for (int i = started - 1; i >= 0; i--) {
        int status = 0;
        if (i == READERS - 1 && (f = fopen(done, "w"))) /* the writers are done */
            fclose(f);
        waitpid(pids[i], &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s %d exited with status %d",
              i < READERS ? "reader" : "writer", i, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    if (started < READERS && (f = fopen(done, "w")))
        fclose(f);
    count_files(dir, &files, &tmp);
    CHECK(files == BLOBS && tmp == 0, "after parallel puts: %zu files (want %d), %zu temporary",
          files, BLOBS, tmp);
    if (CHECK(open_store(uri, &bs, err, sizeof(err)) == BLOB_OK, "open: %s", err)) {
        DIR *d = opendir(dir);
        struct dirent *e;
        int good = 0;
        while (d && (e = readdir(d))) {
            uint8_t hash[32], *data = NULL;
            size_t len;
            if (blob_unhex(e->d_name, hash) != BLOB_OK)
                continue;
            good += CHECK(blobstore_get(bs, hash, &data, &len, err, sizeof(err)) == BLOB_OK,
                          "after parallel puts: %s", err);
            free(data);
        }
        if (d)
            closedir(d);
        CHECK(good == BLOBS, "%d good blobs of %d", good, BLOBS);
        blobstore_close(bs);
    }
    unlink(done);
    free(shared);
}

/* A server that is not there: an error naming the URL, after a few seconds of retries
 * at most (not a hang). */
static void test_unreachable(const char *uri)
{
    char err[512], dead[600];
    blobstore *bs = NULL;
    uint8_t *got = NULL;
    size_t len;
    struct timespec t0, t1;

    /* Port 1 on loopback: nothing listens there (tests run without privileged servers). */
    snprintf(dead, sizeof(dead), "%s", strncmp(uri, "s3://", 5) ? "http://127.0.0.1:1/blobs/" : uri);
    setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1", 1);
    if (!CHECK(open_store(dead, &bs, err, sizeof(err)) == BLOB_OK, "open %s: %s", dead, err))
        return;
    int before = retries;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = blobstore_get(bs, (const uint8_t *)"0123456789abcdef0123456789abcdef", &got, &len,
                           err, sizeof(err));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(rc == BLOB_EIO && strstr(err, "127.0.0.1:1") && strstr(err, "attempts"),
          "unreachable server: %s: %s", blob_strerror(rc), err);
    CHECK(retries - before == RETRY_ATTEMPTS - 1 && s < 30, "unreachable: %d retries in %.1f s",
          retries - before, s);
    blobstore_close(bs);
}

static int remote_main(const char *uri, const char *server_dir)
{
    remote = 1;
    if (blobstore_global_init() != BLOB_OK) {
        fprintf(stderr, "test_blobstore: cannot initialize libcurl\n");
        return 1;
    }
    /* Each check in a store of its own (its counts of files are exact). */
    static const char *const parts[] = {"trip", "corrupt", "parallel"};
    char sub[3][2048], dir[3][2048];
    for (int i = 0; i < 3; i++) {
        snprintf(sub[i], sizeof(sub[i]), "%s%s%s/", uri, uri[strlen(uri) - 1] == '/' ? "" : "/",
                 parts[i]);
        snprintf(dir[i], sizeof(dir[i]), "%s/%s", server_dir, parts[i]);
    }
    test_round_trip(sub[0], dir[0]);
    test_corrupt(sub[1], dir[1]);
    test_parallel(sub[2], dir[2]);
    test_unreachable(uri);
    remove_tree(root);
    printf("blobstore %s: %d passed, %d failed, %d retries\n", uri, tu_passed, tu_failed, retries);
    return tu_failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *tmpdir = getenv("TMPDIR");
    char dir[3][4096];
    snprintf(root, sizeof(root), "%s/excam-blobstore.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(root)) {
        fprintf(stderr, "test_blobstore: mkdtemp %s: %s\n", root, strerror(errno));
        return 1;
    }
    if (argc == 3)
        return remote_main(argv[1], argv[2]);
    if (argc != 1) {
        fprintf(stderr, "usage: test_blobstore [URI SERVER_DIR]\n");
        return 2;
    }
    test_names();
    test_open();
    if (CHECK(make_dir("trip", dir[0], sizeof(dir[0])) == 0, "mkdir"))
        test_round_trip(dir[0], dir[0]);
    if (CHECK(make_dir("corrupt", dir[1], sizeof(dir[1])) == 0, "mkdir"))
        test_corrupt(dir[1], dir[1]);
    test_read_only();
    if (CHECK(make_dir("parallel", dir[2], sizeof(dir[2])) == 0, "mkdir"))
        test_parallel(dir[2], dir[2]);
    remove_tree(root);
    printf("blobstore: %d passed, %d failed\n", tu_passed, tu_failed);
    return tu_failed ? 1 : 0;
}

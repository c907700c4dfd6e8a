/*
 * The job key and its challenge-response (proto/auth.h):
 *  - a proof checks under the same key, role, nonces and channel binding, and fails
 *    when any of them differs (a different key, the other direction, the other role,
 *    either nonce, with or without a TLS binding, one flipped bit of the MAC);
 *  - key files: auth_key_create makes 64 hex digits with mode 0600 and refuses to
 *    replace a file without force; auth_key_load takes what it made (white space
 *    around is fine), refuses mode 0644 and 0640 with "chmod 600" in the message, a
 *    directory, a missing file, a short or non-hex key, and a symbolic link.
 *
 * usage: test_auth     (uses a fresh directory under $TMPDIR, removed at the end)
 */
#include "test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"

static char root[2048];

static void test_macs(void)
{
    uint8_t k1[32], k2[32], n[32], cn[32], b[32], b2[32], mac[32], bad[32];
    auth_random(k1, 32);
    auth_random(k2, 32);
    auth_random(n, 32);
    auth_random(cn, 32);
    auth_random(b, 32);
    memcpy(b2, b, 32);
    b2[31] ^= 1;
    CHECK(memcmp(n, cn, 32) != 0, "two nonces are equal");
    for (int bound = 0; bound < 2; bound++) {
        const uint8_t *bb = bound ? b : NULL;
        auth_mac(k1, AUTH_PEER, 1, n, cn, bb, mac);
        CHECK(auth_check(k1, AUTH_PEER, 1, n, cn, bb, mac), "a right proof refused (bound %d)", bound);
        CHECK(!auth_check(k2, AUTH_PEER, 1, n, cn, bb, mac), "a proof under another key accepted");
        CHECK(!auth_check(k1, AUTH_COORDINATOR, 1, n, cn, bb, mac), "the peer's proof passes as the coordinator's");
        CHECK(!auth_check(k1, AUTH_PEER, 2, n, cn, bb, mac), "a worker's proof passes as a client's");
        CHECK(!auth_check(k1, AUTH_PEER, 1, cn, n, bb, mac), "swapped nonces accepted");
        CHECK(!auth_check(k1, AUTH_PEER, 1, n, cn, bound ? NULL : b, mac), "binding %d ignored", bound);
        if (bound) CHECK(!auth_check(k1, AUTH_PEER, 1, n, cn, b2, mac), "another TLS session's binding accepted");
        for (int bit = 0; bit < 256; bit += 37) {
            memcpy(bad, mac, 32);
            bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            CHECK(!auth_check(k1, AUTH_PEER, 1, n, cn, bb, bad), "a MAC with bit %d flipped accepted", bit);
        }
        uint8_t smac[32];
        auth_mac(k1, AUTH_COORDINATOR, 1, n, cn, bb, smac);
        CHECK(memcmp(smac, mac, 32) != 0, "both directions give the same proof");
    }
}

static void write_text(const char *path, const char *text, int mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd >= 0) {
        if (write(fd, text, strlen(text)) < 0) perror(path);
        close(fd);
    }
    chmod(path, (mode_t)mode);
}

/* auth_key_load(path) fails with want in the message. */
static void refused(const char *path, const char *want, const char *what)
{
    uint8_t key[32];
    char err[600] = "";
    int r = auth_key_load(path, key, err, sizeof(err));
    CHECK(r == -1 && strstr(err, want) && strstr(err, path), "%s: %d, '%s' (want '%s')", what, r, err, want);
}

static void test_files(void)
{
    char p[2200], q[2200], err[600];
    uint8_t key[32], key2[32];
    struct stat st;
    snprintf(p, sizeof(p), "%s/job.key", root);
    CHECK(auth_key_create(p, 0, err, sizeof(err)) == 0, "create: %s", err);
    CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600, "mode %o, not 600", st.st_mode & 0777);
    CHECK(st.st_size == 65, "%lld bytes, not 65", (long long)st.st_size);
    CHECK(auth_key_load(p, key, err, sizeof(err)) == 0, "load: %s", err);
    CHECK(auth_key_create(p, 0, err, sizeof(err)) == -1 && strstr(err, "exists"), "replaced: %s", err);
    CHECK(auth_key_load(p, key2, err, sizeof(err)) == 0 && !memcmp(key, key2, 32), "the key changed");
    CHECK(auth_key_create(p, 1, err, sizeof(err)) == 0, "--force: %s", err);
    CHECK(auth_key_load(p, key2, err, sizeof(err)) == 0 && memcmp(key, key2, 32), "--force kept the key");

    snprintf(q, sizeof(q), "%s/spaces.key", root);
    write_text(q, "  00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF \n\n", 0600);
    CHECK(auth_key_load(q, key, err, sizeof(err)) == 0 && key[1] == 0x11 && key[31] == 0xff,
          "white space around the key: %s", err);
    write_text(q, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", 0644);
    refused(q, "chmod 600", "mode 0644");
    chmod(q, 0640);
    refused(q, "chmod 600", "mode 0640");
    chmod(q, 0602);
    refused(q, "chmod 600", "mode 0602");
    write_text(q, "00112233445566778899aabbccddeeff\n", 0600);
    refused(q, "not a key", "16 bytes");
    write_text(q, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00\n", 0600);
    refused(q, "not a key", "33 bytes");
    write_text(q, "g0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", 0600);
    refused(q, "not a key", "not hex");
    write_text(q, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff x\n", 0600);
    refused(q, "not a key", "trailing junk");
    write_text(q, "", 0600);
    refused(q, "not a key", "empty");
    refused(root, "not a regular file", "a directory");
    snprintf(q, sizeof(q), "%s/missing.key", root);
    refused(q, "No such file", "missing");
    snprintf(q, sizeof(q), "%s/link.key", root);
    CHECK(symlink(p, q) == 0, "symlink: %s", strerror(errno));
    refused(q, "key file", "a symbolic link");
}

int main(void)
{
    char err[200];
    const char *tmpdir = getenv("TMPDIR");
    if (auth_init(err, sizeof(err))) {
        fprintf(stderr, "test_auth: %s\n", err);
        return 1;
    }
    snprintf(root, sizeof(root), "%s/excam-auth.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(root)) {
        fprintf(stderr, "test_auth: mkdtemp %s: %s\n", root, strerror(errno));
        return 1;
    }
    test_macs();
    test_files();
    char cmd[2200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    if (system(cmd)) fprintf(stderr, "test_auth: cannot remove %s\n", root);
    printf("auth: %d passed, %d failed\n", tu_passed, tu_failed);
    return tu_failed ? 1 : 0;
}

/*
 * The job key and its challenge-response (see auth.h).
 */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(AUTH_KEY_BYTES == crypto_auth_KEYBYTES, "the key is an HMAC-SHA512-256 key");
_Static_assert(AUTH_MAC_BYTES == crypto_auth_BYTES, "the MAC is HMAC-SHA512-256's");

int auth_init(char *err, size_t errlen)
{
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium failed to initialize");
        return -1;
    }
    return 0;
}

void auth_random(uint8_t *out, size_t len) { randombytes_buf(out, len); }

/* The checks of auth_private_file on an open descriptor. */
static int private_fd(int fd, const char *path, const char *what, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s %s: not a regular file", what, path);
        return -1;
    }
    /* A key others can read is no secret: refuse it rather than use it (as ssh does). */
    if (st.st_mode & 077) {
        snprintf(err, errlen, "%s %s: mode %04o lets group or others read or write it; "
                 "chmod 600 %s", what, path, (unsigned)(st.st_mode & 07777), path);
        return -1;
    }
    return 0;
}

int auth_private_file(const char *path, const char *what, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
        return -1;
    }
    int r = private_fd(fd, path, what, err, errlen);
    close(fd);
    return r;
}

int auth_key_load(const char *path, uint8_t key[AUTH_KEY_BYTES], char *err, size_t errlen)
{
    char text[200];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        snprintf(err, errlen, "key file %s: %s", path, strerror(errno));
        return -1;
    }
    if (private_fd(fd, path, "key file", err, errlen)) {
        close(fd);
        return -1;
    }
    ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n < 0) {
        snprintf(err, errlen, "key file %s: %s", path, strerror(errno));
        return -1;
    }
    text[n] = '\0';
    size_t got = 0;
    const char *end = NULL;
    char *p = text;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    int bad = sodium_hex2bin(key, AUTH_KEY_BYTES, p, strlen(p), NULL, &got, &end) || got != AUTH_KEY_BYTES;
    if (!bad)
        for (; *end; end++)
            if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') bad = 1;
    sodium_memzero(text, sizeof(text));
    if (bad) {
        sodium_memzero(key, AUTH_KEY_BYTES);
        snprintf(err, errlen, "key file %s: not a key (64 hex digits; make one with "
                 "excam keygen --key FILE)", path);
        return -1;
    }
    return 0;
}

int auth_key_create(const char *path, int force, char *err, size_t errlen)
{
    uint8_t key[AUTH_KEY_BYTES];
    char hex[2 * AUTH_KEY_BYTES + 2], tmp[4200];
    struct stat st;
    if (!force && !lstat(path, &st)) {
        snprintf(err, errlen, "key file %s exists already (--force replaces it)", path);
        return -1;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "key file %s: %s", tmp, strerror(errno));
        return -1;
    }
    randombytes_buf(key, sizeof(key));
    sodium_bin2hex(hex, sizeof(hex) - 1, key, sizeof(key));
    sodium_memzero(key, sizeof(key));
    size_t len = strlen(hex);
    hex[len++] = '\n';
    int ok = fchmod(fd, 0600) == 0 && write(fd, hex, len) == (ssize_t)len && fsync(fd) == 0;
    int e = errno;
    sodium_memzero(hex, sizeof(hex));
    if (close(fd)) ok = 0;
    if (!ok || rename(tmp, path)) {
        if (ok) e = errno;
        unlink(tmp);
        snprintf(err, errlen, "key file %s: %s", path, strerror(e));
        return -1;
    }
    return 0;
}

/* The bytes a proof covers. Fixed layout: the domain, the direction, the role, both
 * nonces, then the channel binding (zeros and a 0 flag without TLS). */
enum { TRANSCRIPT_BYTES = 16 + 1 + 4 + 2 * AUTH_NONCE_BYTES + 1 + AUTH_BINDING_BYTES };

static void transcript(uint8_t t[TRANSCRIPT_BYTES], int who, uint32_t role, const uint8_t *nonce,
                       const uint8_t *client_nonce, const uint8_t *binding)
{
    uint8_t *p = t;
    memset(t, 0, TRANSCRIPT_BYTES);
    memcpy(p, "excam-auth-v1", 13);
    p += 16;
    *p++ = (uint8_t)who;
    *p++ = (uint8_t)(role >> 24);
    *p++ = (uint8_t)(role >> 16);
    *p++ = (uint8_t)(role >> 8);
    *p++ = (uint8_t)role;
    memcpy(p, nonce, AUTH_NONCE_BYTES);
    p += AUTH_NONCE_BYTES;
    memcpy(p, client_nonce, AUTH_NONCE_BYTES);
    p += AUTH_NONCE_BYTES;
    *p++ = binding ? 1 : 0;
    if (binding) memcpy(p, binding, AUTH_BINDING_BYTES);
}

void auth_mac(const uint8_t key[AUTH_KEY_BYTES], int who, uint32_t role,
              const uint8_t nonce[AUTH_NONCE_BYTES], const uint8_t client_nonce[AUTH_NONCE_BYTES],
              const uint8_t *binding, uint8_t mac[AUTH_MAC_BYTES])
{
    uint8_t t[TRANSCRIPT_BYTES];
    transcript(t, who, role, nonce, client_nonce, binding);
    crypto_auth(mac, t, sizeof(t), key);
}

int auth_check(const uint8_t key[AUTH_KEY_BYTES], int who, uint32_t role,
               const uint8_t nonce[AUTH_NONCE_BYTES], const uint8_t client_nonce[AUTH_NONCE_BYTES],
               const uint8_t *binding, const uint8_t mac[AUTH_MAC_BYTES])
{
    uint8_t t[TRANSCRIPT_BYTES];
    transcript(t, who, role, nonce, client_nonce, binding);
    return crypto_auth_verify(mac, t, sizeof(t), key) == 0;
}

/*
 * The job key and the challenge-response that proves knowledge of it (libsodium).
 *
 * A job key is 32 random bytes shared by the coordinator, its workers and its clients,
 * kept in a file of 64 hex digits (and a newline) that only its owner may read. After
 * a peer's Hello the coordinator sends AuthChallenge{nonce}; the peer answers
 * AuthResponse{client_nonce, mac = auth_mac(PEER, ...)}; the coordinator checks it in
 * constant time and answers HelloAck{server_mac = auth_mac(COORDINATOR, ...)}, so the
 * peer knows that the coordinator holds the key too (a fake coordinator could otherwise
 * hand out bogus tasks or swallow a job's input). The MAC is HMAC-SHA512-256
 * (crypto_auth) over a transcript that names the protocol, the direction, the peer's
 * role, both nonces and, under TLS, the TLS channel binding (an exporter value), so a
 * proof is good for one direction of one connection only and cannot be relayed through
 * another TLS session. Nonces come from randombytes_buf: fresh per connection.
 */
#ifndef EXCAM_PROTO_AUTH_H
#define EXCAM_PROTO_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_KEY_BYTES 32u
#define AUTH_NONCE_BYTES 32u
#define AUTH_MAC_BYTES 32u
#define AUTH_BINDING_BYTES 32u

/* Who computes a proof: the dialing peer (worker or client) or the coordinator. */
enum { AUTH_PEER = 1, AUTH_COORDINATOR = 2 };

/* Initialize libsodium (thread-safe, idempotent); 0, or -1 with err. */
int auth_init(char *err, size_t errlen);

/* 32 fresh random bytes (a key or a nonce). auth_init must have succeeded. */
void auth_random(uint8_t *out, size_t len);

/*
 * Read a key file: 64 hex digits, surrounding white space allowed. Refused (-1, err
 * names the file and the problem): not a regular file, readable or writable by group or
 * others ("chmod 600 FILE"), not 64 hex digits.
 */
int auth_key_load(const char *path, uint8_t key[AUTH_KEY_BYTES], char *err, size_t errlen);

/* Refuse (-1, err naming the file) a secret file that group or others may read or
 * write, or that is not a regular file: what names it (e.g. "key file", "TLS key"). */
int auth_private_file(const char *path, const char *what, char *err, size_t errlen);

/* Make a new key file with mode 0600 (atomically: a temporary file renamed into
 * place; an existing file is not replaced unless force). 0, or -1 with err. */
int auth_key_create(const char *path, int force, char *err, size_t errlen);

/*
 * The proof of `who` for one connection: role is the peer's Hello.role, binding the TLS
 * channel binding (NULL without TLS).
 */
void auth_mac(const uint8_t key[AUTH_KEY_BYTES], int who, uint32_t role,
              const uint8_t nonce[AUTH_NONCE_BYTES], const uint8_t client_nonce[AUTH_NONCE_BYTES],
              const uint8_t *binding, uint8_t mac[AUTH_MAC_BYTES]);

/* Check a proof in constant time: 1 if it is right, 0 if not. */
int auth_check(const uint8_t key[AUTH_KEY_BYTES], int who, uint32_t role,
               const uint8_t nonce[AUTH_NONCE_BYTES], const uint8_t client_nonce[AUTH_NONCE_BYTES],
               const uint8_t *binding, const uint8_t mac[AUTH_MAC_BYTES]);

#endif

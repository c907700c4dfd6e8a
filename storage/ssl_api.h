/*
 * OpenSSL (libssl with its libcrypto), loaded on first use (storage/dynlib.h): include
 * this instead of the <openssl/...> headers. Only TLS (proto/transport.c), the TLS
 * material of `excam keygen` (tools/tls_material.c) and `excam decode --md5`
 * (tools/i420.c) need it; linked, it cost every command about 0.8 ms at start, a third
 * of excam's. The OpenSSL functions excam calls, and those that OpenSSL's own macros
 * call (SSL_CTX_ctrl, SSL_ctrl, EVP_PKEY_Q_keygen), are redirected to pointers that
 * ssl_api_load fills in; call it before any of them.
 */
#ifndef EXCAM_STORAGE_SSL_API_H
#define EXCAM_STORAGE_SSL_API_H

#include <stddef.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define SSL_API_FUNCS(X) \
    X(ERR_clear_error) X(ERR_error_string_n) X(ERR_peek_last_error) \
    X(ERR_reason_error_string) \
    X(SSL_CTX_check_private_key) X(SSL_CTX_ctrl) X(SSL_CTX_free) \
    X(SSL_CTX_load_verify_locations) X(SSL_CTX_new) X(SSL_CTX_set_num_tickets) \
    X(SSL_CTX_set_verify) X(SSL_CTX_use_PrivateKey_file) \
    X(SSL_CTX_use_certificate_chain_file) X(SSL_ctrl) X(SSL_do_handshake) \
    X(SSL_export_keying_material) X(SSL_free) X(SSL_get0_param) X(SSL_get_certificate) \
    X(SSL_get_error) X(SSL_get_verify_result) X(SSL_new) X(SSL_pending) X(SSL_read_ex) \
    X(SSL_set1_host) X(SSL_set_accept_state) X(SSL_set_connect_state) X(SSL_set_fd) \
    X(SSL_shutdown) X(SSL_write_ex) X(TLS_client_method) X(TLS_server_method) \
    X(X509_VERIFY_PARAM_set1_ip_asc) X(X509_verify_cert_error_string) \
    X(EVP_DigestFinal_ex) X(EVP_DigestInit_ex) X(EVP_DigestUpdate) X(EVP_MD_CTX_free) \
    X(EVP_MD_CTX_new) X(EVP_md5) X(EVP_sha256) X(EVP_PKEY_Q_keygen) X(EVP_PKEY_free) \
    X(BN_free) X(BN_new) X(BN_rand) X(BN_to_ASN1_INTEGER) X(OBJ_txt2nid) \
    X(PEM_write_PrivateKey) X(PEM_write_X509) X(X509V3_EXT_conf_nid) X(X509V3_set_ctx) \
    X(X509_EXTENSION_free) X(X509_NAME_add_entry_by_txt) X(X509_add_ext) X(X509_free) \
    X(X509_get_serialNumber) X(X509_get_subject_name) X(X509_getm_notAfter) \
    X(X509_getm_notBefore) X(X509_gmtime_adj) X(X509_new) X(X509_set_issuer_name) \
    X(X509_set_pubkey) X(X509_set_version) X(X509_sign)

struct ssl_api {
#define SSL_API_FIELD(f) __typeof__(&f) f;
    SSL_API_FUNCS(SSL_API_FIELD)
#undef SSL_API_FIELD
};
extern struct ssl_api excam_ssl_api;

/* Load libssl (and libcrypto), once (thread-safe). 0, or -1 with err naming what is
 * missing ("TLS, keys and MD5 need libssl.so.3 (Debian package libssl3): ..."). */
int ssl_api_load(char *err, size_t errlen);

#ifndef SSL_API_IMPL
#define ERR_clear_error (*excam_ssl_api.ERR_clear_error)
#define ERR_error_string_n (*excam_ssl_api.ERR_error_string_n)
#define ERR_peek_last_error (*excam_ssl_api.ERR_peek_last_error)
#define ERR_reason_error_string (*excam_ssl_api.ERR_reason_error_string)
#define SSL_CTX_check_private_key (*excam_ssl_api.SSL_CTX_check_private_key)
#define SSL_CTX_ctrl (*excam_ssl_api.SSL_CTX_ctrl)
#define SSL_CTX_free (*excam_ssl_api.SSL_CTX_free)
#define SSL_CTX_load_verify_locations (*excam_ssl_api.SSL_CTX_load_verify_locations)
#define SSL_CTX_new (*excam_ssl_api.SSL_CTX_new)
#define SSL_CTX_set_num_tickets (*excam_ssl_api.SSL_CTX_set_num_tickets)
#define SSL_CTX_set_verify (*excam_ssl_api.SSL_CTX_set_verify)
#define SSL_CTX_use_PrivateKey_file (*excam_ssl_api.SSL_CTX_use_PrivateKey_file)
#define SSL_CTX_use_certificate_chain_file (*excam_ssl_api.SSL_CTX_use_certificate_chain_file)
#define SSL_ctrl (*excam_ssl_api.SSL_ctrl)
#define SSL_do_handshake (*excam_ssl_api.SSL_do_handshake)
#define SSL_export_keying_material (*excam_ssl_api.SSL_export_keying_material)
#define SSL_free (*excam_ssl_api.SSL_free)
#define SSL_get0_param (*excam_ssl_api.SSL_get0_param)
#define SSL_get_certificate (*excam_ssl_api.SSL_get_certificate)
#define SSL_get_error (*excam_ssl_api.SSL_get_error)
#define SSL_get_verify_result (*excam_ssl_api.SSL_get_verify_result)
#define SSL_new (*excam_ssl_api.SSL_new)
#define SSL_pending (*excam_ssl_api.SSL_pending)
#define SSL_read_ex (*excam_ssl_api.SSL_read_ex)
#define SSL_set1_host (*excam_ssl_api.SSL_set1_host)
#define SSL_set_accept_state (*excam_ssl_api.SSL_set_accept_state)
#define SSL_set_connect_state (*excam_ssl_api.SSL_set_connect_state)
#define SSL_set_fd (*excam_ssl_api.SSL_set_fd)
#define SSL_shutdown (*excam_ssl_api.SSL_shutdown)
#define SSL_write_ex (*excam_ssl_api.SSL_write_ex)
#define TLS_client_method (*excam_ssl_api.TLS_client_method)
#define TLS_server_method (*excam_ssl_api.TLS_server_method)
#define X509_VERIFY_PARAM_set1_ip_asc (*excam_ssl_api.X509_VERIFY_PARAM_set1_ip_asc)
#define X509_verify_cert_error_string (*excam_ssl_api.X509_verify_cert_error_string)
#define EVP_DigestFinal_ex (*excam_ssl_api.EVP_DigestFinal_ex)
#define EVP_DigestInit_ex (*excam_ssl_api.EVP_DigestInit_ex)
#define EVP_DigestUpdate (*excam_ssl_api.EVP_DigestUpdate)
#define EVP_MD_CTX_free (*excam_ssl_api.EVP_MD_CTX_free)
#define EVP_MD_CTX_new (*excam_ssl_api.EVP_MD_CTX_new)
#define EVP_md5 (*excam_ssl_api.EVP_md5)
#define EVP_sha256 (*excam_ssl_api.EVP_sha256)
#define EVP_PKEY_Q_keygen (*excam_ssl_api.EVP_PKEY_Q_keygen)
#define EVP_PKEY_free (*excam_ssl_api.EVP_PKEY_free)
#define BN_free (*excam_ssl_api.BN_free)
#define BN_new (*excam_ssl_api.BN_new)
#define BN_rand (*excam_ssl_api.BN_rand)
#define BN_to_ASN1_INTEGER (*excam_ssl_api.BN_to_ASN1_INTEGER)
#define OBJ_txt2nid (*excam_ssl_api.OBJ_txt2nid)
#define PEM_write_PrivateKey (*excam_ssl_api.PEM_write_PrivateKey)
#define PEM_write_X509 (*excam_ssl_api.PEM_write_X509)
#define X509V3_EXT_conf_nid (*excam_ssl_api.X509V3_EXT_conf_nid)
#define X509V3_set_ctx (*excam_ssl_api.X509V3_set_ctx)
#define X509_EXTENSION_free (*excam_ssl_api.X509_EXTENSION_free)
#define X509_NAME_add_entry_by_txt (*excam_ssl_api.X509_NAME_add_entry_by_txt)
#define X509_add_ext (*excam_ssl_api.X509_add_ext)
#define X509_free (*excam_ssl_api.X509_free)
#define X509_get_serialNumber (*excam_ssl_api.X509_get_serialNumber)
#define X509_get_subject_name (*excam_ssl_api.X509_get_subject_name)
#define X509_getm_notAfter (*excam_ssl_api.X509_getm_notAfter)
#define X509_getm_notBefore (*excam_ssl_api.X509_getm_notBefore)
#define X509_gmtime_adj (*excam_ssl_api.X509_gmtime_adj)
#define X509_new (*excam_ssl_api.X509_new)
#define X509_set_issuer_name (*excam_ssl_api.X509_set_issuer_name)
#define X509_set_pubkey (*excam_ssl_api.X509_set_pubkey)
#define X509_set_version (*excam_ssl_api.X509_set_version)
#define X509_sign (*excam_ssl_api.X509_sign)
#endif

#endif /* EXCAM_STORAGE_SSL_API_H */

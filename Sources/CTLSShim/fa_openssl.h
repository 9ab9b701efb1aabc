/*
 * The OpenSSL functions FieldAgent's shims call, looked up at first use (dlopen + dlsym) instead of linked: a
 * config without TLS never maps libssl and libcrypto (about 1.5 MB of resident, relocated data in every agent).
 *
 * FA_OPENSSL_FUNCTIONS lists them; the table's types come from OpenSSL's own headers (__typeof__), so a call
 * through it is checked exactly like a direct call. fa_openssl_calls.h then points each name at its table entry
 * for the shim sources. A name missing from the list fails the link (no libssl is linked to satisfy it); a
 * listed name OpenSSL lacks makes fa_openssl_load fail with its name.
 */
#ifndef FA_OPENSSL_H
#define FA_OPENSSL_H

#include <stddef.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* The library loaded (its dependency libcrypto.so.3 comes with it), and the Debian packages that ship it. */
#define FA_OPENSSL_SONAME "libssl.so.3"
#define FA_OPENSSL_PACKAGES "libssl3 (Debian 12, Raspberry Pi OS bookworm) or libssl3t64 (Debian 13, Raspberry Pi OS trixie)"

#define FA_OPENSSL_FUNCTIONS(X) \
    X(ASN1_INTEGER_free) X(ASN1_INTEGER_get_int64) X(ASN1_INTEGER_new) X(ASN1_INTEGER_set_int64) \
    X(ASN1_OBJECT_free) X(ASN1_OCTET_STRING_free) X(ASN1_OCTET_STRING_new) X(ASN1_OCTET_STRING_set) \
    X(ASN1_STRING_get0_data) X(ASN1_STRING_length) X(ASN1_STRING_set) X(ASN1_STRING_type) \
    X(ASN1_TIME_diff) X(ASN1_TIME_free) X(ASN1_TIME_new) X(ASN1_TIME_to_tm) \
    X(ASN1_UTF8STRING_free) X(ASN1_UTF8STRING_new) X(BIO_clear_flags) X(BIO_get_data) \
    X(BIO_get_new_index) X(BIO_meth_new) X(BIO_meth_set_create) X(BIO_meth_set_ctrl) \
    X(BIO_meth_set_puts) X(BIO_meth_set_read) X(BIO_meth_set_write) X(BIO_new) \
    X(BIO_set_data) X(BIO_set_flags) X(BIO_set_init) X(CRYPTO_free) \
    X(ERR_clear_error) X(ERR_error_string_n) X(ERR_peek_error) X(ERR_peek_last_error) \
    X(EVP_PKEY_Q_keygen) X(EVP_PKEY_free) X(EVP_sha256) X(OBJ_cmp) \
    X(OBJ_txt2obj) X(PEM_read_PrivateKey) X(PEM_read_X509) X(PEM_write_PrivateKey) \
    X(PEM_write_X509) X(PEM_write_X509_CRL) X(SSL_CTX_check_private_key) X(SSL_CTX_ctrl) \
    X(SSL_CTX_free) X(SSL_CTX_get0_certificate) X(SSL_CTX_get0_param) X(SSL_CTX_get_cert_store) \
    X(SSL_CTX_get_ex_data) X(SSL_CTX_load_verify_locations) X(SSL_CTX_new) X(SSL_CTX_set_client_CA_list) \
    X(SSL_CTX_set_ex_data) X(SSL_CTX_set_num_tickets) X(SSL_CTX_set_options) X(SSL_CTX_set_verify) \
    X(SSL_CTX_set_verify_depth) X(SSL_CTX_use_PrivateKey_file) X(SSL_CTX_use_certificate_chain_file) X(SSL_ctrl) \
    X(SSL_do_handshake) X(SSL_free) X(SSL_get0_param) X(SSL_get0_peer_certificate) \
    X(SSL_get_SSL_CTX) X(SSL_get_error) X(SSL_get_ex_data_X509_STORE_CTX_idx) X(SSL_get_verify_result) \
    X(SSL_get_version) X(SSL_is_init_finished) X(SSL_load_client_CA_file) X(SSL_new) \
    X(SSL_pending) X(SSL_read_ex) X(SSL_set_accept_state) X(SSL_set_bio) \
    X(SSL_set_connect_state) X(SSL_set_quiet_shutdown) X(SSL_shutdown) X(SSL_write_ex) \
    X(TLS_client_method) X(TLS_server_method) X(X509V3_EXT_conf_nid) X(X509V3_set_ctx) \
    X(X509_CRL_add0_revoked) X(X509_CRL_free) X(X509_CRL_new) X(X509_CRL_set1_lastUpdate) \
    X(X509_CRL_set1_nextUpdate) X(X509_CRL_set_issuer_name) X(X509_CRL_set_version) X(X509_CRL_sign) \
    X(X509_CRL_sort) X(X509_EXTENSION_create_by_OBJ) X(X509_EXTENSION_free) X(X509_EXTENSION_get_data) \
    X(X509_EXTENSION_get_object) X(X509_LOOKUP_file) X(X509_NAME_add_entry_by_txt) X(X509_NAME_get_text_by_NID) \
    X(X509_REVOKED_new) X(X509_REVOKED_set_revocationDate) X(X509_REVOKED_set_serialNumber) X(X509_STORE_CTX_get_error) \
    X(X509_STORE_CTX_get_error_depth) X(X509_STORE_CTX_get_ex_data) X(X509_STORE_add_lookup) X(X509_STORE_set_flags) \
    X(X509_VERIFY_PARAM_set1_host) X(X509_VERIFY_PARAM_set1_ip_asc) X(X509_VERIFY_PARAM_set_hostflags) X(X509_add_ext) \
    X(X509_free) X(X509_get0_notAfter) X(X509_get0_serialNumber) X(X509_get_ext) \
    X(X509_get_ext_count) X(X509_get_serialNumber) X(X509_get_subject_name) X(X509_getm_notAfter) \
    X(X509_getm_notBefore) X(X509_gmtime_adj) X(X509_load_crl_file) X(X509_new) \
    X(X509_set_issuer_name) X(X509_set_pubkey) X(X509_set_version) X(X509_sign) \
    X(X509_verify_cert_error_string) X(d2i_ASN1_UTF8STRING) X(i2d_ASN1_UTF8STRING)

#define FA_OPENSSL_ENTRY(name) __typeof__(name) *name;
/* One pointer per function, filled by fa_openssl_load. */
struct fa_openssl_functions { FA_OPENSSL_FUNCTIONS(FA_OPENSSL_ENTRY) };
#undef FA_OPENSSL_ENTRY

extern struct fa_openssl_functions fa_openssl;

/*
 * Loads OpenSSL once (later calls return the first outcome at once; safe from any thread): 0, or -1 with why and
 * which package to install in err (at most errlen bytes, NUL-terminated; err may be NULL).
 */
int fa_openssl_load(char *err, size_t errlen);

#endif

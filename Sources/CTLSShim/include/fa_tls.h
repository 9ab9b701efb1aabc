/*
 * fa_tls: FieldAgent's one facade over OpenSSL for Modbus/TCP Security (TLS on port 802).
 *
 * OpenSSL's configuration calls are C macros (SSL_CTX_set_min_proto_version, SSL_CTX_set_mode …), which
 * Swift cannot import; these plain functions wrap them. Everything is non-blocking: the socket is the
 * caller's non-blocking descriptor and every I/O call returns FA_TLS_WANT_READ / FA_TLS_WANT_WRITE instead
 * of waiting. Callers never include OpenSSL's headers.
 * OpenSSL is not linked: the calls that make something (a context, a PKI file) load it first (fa_openssl.h), and
 * fail with the package to install when it is missing, so a process that never uses TLS never maps it.
 * Functions that can fail write a one-line reason into `err` (at most `errlen` bytes, NUL-terminated).
 */
#ifndef FA_TLS_H
#define FA_TLS_H

#include <stddef.h>
#include <stdint.h>

typedef struct ssl_ctx_st fa_tls_context;
typedef struct ssl_st fa_tls_session;

/* Results of the I/O calls (negative; a positive result of fa_tls_read/fa_tls_write is a byte count). */
enum {
    FA_TLS_DONE = 0,          /* handshake finished */
    FA_TLS_FAILED = -1,       /* fatal: fa_tls_last_error says why */
    FA_TLS_WANT_READ = -2,    /* call again when the socket is readable */
    FA_TLS_WANT_WRITE = -3,   /* call again when the socket is writable */
    FA_TLS_CLOSED = -4,       /* the peer closed (close_notify or EOF) */
};

/* The role extension of MODBUS/TCP Security: an ASN.1 UTF8String. */
#define FA_TLS_ROLE_OID "1.3.6.1.4.1.50316.802.1"
#define FA_TLS_ROLE_MAX 64

/*
 * A context for servers (server = 1: the peer must present a certificate) or clients: TLS 1.2 at least,
 * 1.3 preferred, no renegotiation, no compression, peer certificates verified against `ca_file`;
 * `cert_file` (the chain, leaf first) and `key_file` are this side's identity. `crl_file` (may be NULL)
 * adds revocation lists, checked for the leaf. NULL on failure, with the reason in err.
 */
fa_tls_context *fa_tls_context_new(int server, const char *ca_file, const char *cert_file, const char *key_file,
                                   const char *crl_file, char *err, size_t errlen);
void fa_tls_context_free(fa_tls_context *ctx);
/* Whole days until this context's own certificate expires (negative once it has); INT32_MIN when unknown. */
int32_t fa_tls_context_days_left(fa_tls_context *ctx);
/* Seconds since the Epoch when this context's own certificate expires; 0 when unknown. */
int64_t fa_tls_context_not_after(fa_tls_context *ctx);

/*
 * A session on connected socket `fd` (the caller keeps the descriptor). A client session checks that the
 * server's certificate names `host` (a DNS name, or an IP address matched against the IP SANs); host may
 * be NULL for a server session. NULL on failure.
 */
fa_tls_session *fa_tls_session_new(fa_tls_context *ctx, int fd, int server, const char *host, char *err, size_t errlen);
/* Sends close_notify once without waiting, then frees the session. */
void fa_tls_session_free(fa_tls_session *s);
/* Drives the handshake: FA_TLS_DONE, FA_TLS_WANT_READ, FA_TLS_WANT_WRITE, FA_TLS_CLOSED or FA_TLS_FAILED. */
int fa_tls_handshake(fa_tls_session *s);
/* Reads decrypted bytes: a count > 0, or FA_TLS_WANT_READ / _WANT_WRITE / _CLOSED / _FAILED. */
long fa_tls_read(fa_tls_session *s, void *buffer, size_t count);
/* Writes bytes (partially, as the socket takes them): a count > 0, or a negative FA_TLS_ result. */
long fa_tls_write(fa_tls_session *s, const void *buffer, size_t count);
/* Decrypted bytes buffered inside OpenSSL, readable without touching the socket. */
int fa_tls_pending(fa_tls_session *s);
/* Why the last call failed: the certificate verification result when that failed, else OpenSSL's error
 * queue (which this call empties). */
void fa_tls_last_error(fa_tls_session *s, char *err, size_t errlen);
/* "TLSv1.3", "TLSv1.2" … */
const char *fa_tls_version(fa_tls_session *s);
/*
 * The peer certificate's role: 1 with the role copied into `role` (FA_TLS_ROLE_MAX + 1 bytes) when the
 * certificate has exactly one role extension holding a UTF8String of 1…64 printable ASCII characters;
 * 0 when it has none, 2 when it has several, 3 when the one it has is malformed.
 */
int fa_tls_peer_role(fa_tls_session *s, char *role);
/* The peer certificate's subject common name (empty when none). */
void fa_tls_peer_name(fa_tls_session *s, char *name, size_t namelen);

/* Test PKI ("fieldagent pki"): P-256 keys, SHA-256 signatures, PEM files, keys written with mode 0600. */

/* A self-signed CA valid from now for `days` days. 0 on success, -1 with err. */
int fa_pki_make_ca(const char *cert_path, const char *key_path, const char *common_name, int days, char *err, size_t errlen);
/*
 * A leaf certificate signed by the CA, valid from now + `not_before_days` for `days` days (a negative
 * start makes an already-expired one), with `role_count` role extensions (0, 1 or more: the last two make
 * the refusal cases), a subject alternative name for each of `hosts` (IP addresses become IP SANs), usable
 * for TLS server and client authentication. `serial` must be unique per CA. 0 on success, -1 with err.
 */
int fa_pki_issue(const char *ca_cert_path, const char *ca_key_path, const char *cert_path, const char *key_path,
                 const char *common_name, const char *const *roles, int role_count, const char *const *hosts,
                 int host_count, int not_before_days, int days, int64_t serial, char *err, size_t errlen);
/* A CRL signed by the CA revoking the given serials, valid for `days` days. 0 on success, -1 with err. */
int fa_pki_revoke(const char *ca_cert_path, const char *ca_key_path, const char *crl_path, const int64_t *serials,
                  int serial_count, int days, char *err, size_t errlen);
/* The serial number of a PEM certificate, or -1 with err. */
int64_t fa_pki_serial(const char *cert_path, char *err, size_t errlen);
/* Seconds since the Epoch when a PEM certificate expires, or 0 with err. */
int64_t fa_pki_not_after(const char *cert_path, char *err, size_t errlen);

#endif

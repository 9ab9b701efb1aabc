/* fa_tls: see include/fa_tls.h. OpenSSL is loaded by the calls that make something (a context, a PKI file);
   the others take what those made. */
#include "fa_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fa_openssl_calls.h"

static void set_err(char *err, size_t errlen, const char *what) {
    if (!err || errlen == 0) return;
    unsigned long e = ERR_peek_last_error();
    char detail[256] = "";
    if (e) ERR_error_string_n(e, detail, sizeof detail);
    ERR_clear_error();
    if (detail[0]) snprintf(err, errlen, "%s: %s", what, detail);
    else snprintf(err, errlen, "%s", what);
}

static int file_err(char *err, size_t errlen, const char *what, const char *path) {
    char text[512];
    snprintf(text, sizeof text, "%s %s", what, path);
    set_err(err, errlen, text);
    return -1;
}

fa_tls_context *fa_tls_context_new(int server, const char *ca_file, const char *cert_file, const char *key_file,
                                   const char *crl_file, char *err, size_t errlen) {
    if (fa_openssl_load(err, errlen) != 0) return NULL;
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!ctx) { set_err(err, errlen, "SSL_CTX_new"); return NULL; }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    /* No session tickets: every connection authenticates with its certificate (and revocation is seen at once). */
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) { file_err(err, errlen, "cannot load the CA certificates from", ca_file); goto fail; }
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) { file_err(err, errlen, "cannot load the certificate chain from", cert_file); goto fail; }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) { file_err(err, errlen, "cannot load the private key from", key_file); goto fail; }
    if (SSL_CTX_check_private_key(ctx) != 1) { file_err(err, errlen, "the private key does not match the certificate in", cert_file); goto fail; }
    /* Build this side's chain once, from the CA file (without the root), instead of on every handshake. */
    SSL_CTX_build_cert_chain(ctx, SSL_BUILD_CHAIN_FLAG_NO_ROOT | SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR);
    ERR_clear_error();
    if (crl_file && crl_file[0]) {
        X509_STORE *store = SSL_CTX_get_cert_store(ctx);
        X509_LOOKUP *lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
        if (!lookup || X509_load_crl_file(lookup, crl_file, X509_FILETYPE_PEM) <= 0) { file_err(err, errlen, "cannot load the revocation list from", crl_file); goto fail; }
        X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    }
    if (server) {
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca_file);
        if (names) SSL_CTX_set_client_CA_list(ctx, names);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    SSL_CTX_set_verify_depth(ctx, 4);
    ERR_clear_error();
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

void fa_tls_context_free(fa_tls_context *ctx) { SSL_CTX_free(ctx); }

static int64_t asn1_time_epoch(const ASN1_TIME *t) {
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
    return (int64_t)timegm(&tm);
}

int32_t fa_tls_context_days_left(fa_tls_context *ctx) {
    X509 *cert = SSL_CTX_get0_certificate(ctx);
    if (!cert) return INT32_MIN;
    int days = 0, secs = 0;
    if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert)) != 1) return INT32_MIN;
    return days;
}

int64_t fa_tls_context_not_after(fa_tls_context *ctx) {
    X509 *cert = SSL_CTX_get0_certificate(ctx);
    return cert ? asn1_time_epoch(X509_get0_notAfter(cert)) : 0;
}

/*
 * The socket under a session: OpenSSL's own socket BIO writes with write(2), which raises SIGPIPE when the
 * peer has gone; a process that has not ignored SIGPIPE (a test runner, `fieldagent modbus serve`) would die
 * of a client hanging up. This one sends with MSG_NOSIGNAL and reads with recv(2).
 */
static int nosig_write(BIO *b, const char *data, int len) {
    int fd = (int)(intptr_t)BIO_get_data(b);
    errno = 0;
    int n = (int)send(fd, data, (size_t)len, MSG_NOSIGNAL);
    BIO_clear_retry_flags(b);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) BIO_set_retry_write(b);
    return n;
}

static int nosig_read(BIO *b, char *data, int len) {
    int fd = (int)(intptr_t)BIO_get_data(b);
    errno = 0;
    int n = (int)recv(fd, data, (size_t)len, 0);
    BIO_clear_retry_flags(b);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) BIO_set_retry_read(b);
    return n;
}

static int nosig_puts(BIO *b, const char *text) { return nosig_write(b, text, (int)strlen(text)); }

static long nosig_ctrl(BIO *b, int cmd, long num, void *ptr) {
    (void)num;
    switch (cmd) {
    case BIO_C_GET_FD:
        if (ptr) *(int *)ptr = (int)(intptr_t)BIO_get_data(b);
        return (long)(intptr_t)BIO_get_data(b);
    case BIO_CTRL_FLUSH:
    case BIO_CTRL_DUP:
        return 1;
    default:
        return 0;
    }
}

static int nosig_create(BIO *b) {
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *nosig_method;
static void make_nosig_method(void) {
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR, "fieldagent socket");
    if (!m) return;
    BIO_meth_set_write(m, nosig_write);
    BIO_meth_set_read(m, nosig_read);
    BIO_meth_set_puts(m, nosig_puts);
    BIO_meth_set_ctrl(m, nosig_ctrl);
    BIO_meth_set_create(m, nosig_create);
    nosig_method = m;
}

fa_tls_session *fa_tls_session_new(fa_tls_context *ctx, int fd, int server, const char *host, char *err, size_t errlen) {
    ERR_clear_error();
    SSL *s = SSL_new(ctx);
    if (!s) { set_err(err, errlen, "SSL_new"); return NULL; }
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, make_nosig_method);
    BIO *bio = nosig_method ? BIO_new(nosig_method) : NULL;
    if (!bio) { set_err(err, errlen, "BIO_new"); SSL_free(s); return NULL; }
    BIO_set_data(bio, (void *)(intptr_t)fd);
    SSL_set_bio(s, bio, bio);
    if (server) {
        SSL_set_accept_state(s);
    } else {
        SSL_set_connect_state(s);
        if (host && host[0]) {
            unsigned char ip[16];
            X509_VERIFY_PARAM *param = SSL_get0_param(s);
            if (inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1) {
                if (X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1) { set_err(err, errlen, "bad IP address to verify"); SSL_free(s); return NULL; }
            } else {
                SSL_set_tlsext_host_name(s, host);
                X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
                if (X509_VERIFY_PARAM_set1_host(param, host, 0) != 1) { set_err(err, errlen, "bad host name to verify"); SSL_free(s); return NULL; }
            }
        }
    }
    return s;
}

void fa_tls_session_free(fa_tls_session *s) {
    if (!s) return;
    /* One close_notify if the handshake finished; never waits for the peer's. */
    if (SSL_is_init_finished(s)) {
        SSL_set_quiet_shutdown(s, 0);
        (void)SSL_shutdown(s);
    }
    ERR_clear_error();
    SSL_free(s);
}

static int classify(SSL *s, int rc) {
    switch (SSL_get_error(s, rc)) {
    case SSL_ERROR_WANT_READ: return FA_TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE: return FA_TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN: return FA_TLS_CLOSED;
    case SSL_ERROR_SYSCALL:
        /* EOF without close_notify, or a socket error: either way the connection is gone. */
        if (ERR_peek_error() == 0) return (errno == EAGAIN || errno == EINTR) ? FA_TLS_WANT_READ : FA_TLS_CLOSED;
        return FA_TLS_FAILED;
    default: return FA_TLS_FAILED;
    }
}

int fa_tls_handshake(fa_tls_session *s) {
    errno = 0;
    int rc = SSL_do_handshake(s);
    if (rc == 1) return FA_TLS_DONE;
    int r = classify(s, rc);
    /* A peer that hangs up mid-handshake failed it. */
    return r == FA_TLS_CLOSED ? FA_TLS_FAILED : r;
}

long fa_tls_read(fa_tls_session *s, void *buffer, size_t count) {
    if (count == 0) return FA_TLS_WANT_READ;
    errno = 0;
    size_t n = 0;
    int rc = SSL_read_ex(s, buffer, count, &n);
    if (rc == 1) return (long)n;
    return classify(s, 0);
}

long fa_tls_write(fa_tls_session *s, const void *buffer, size_t count) {
    if (count == 0) return 0;
    errno = 0;
    size_t n = 0;
    int rc = SSL_write_ex(s, buffer, count, &n);
    if (rc == 1) return (long)n;
    return classify(s, 0);
}

int fa_tls_pending(fa_tls_session *s) { return SSL_pending(s); }

void fa_tls_last_error(fa_tls_session *s, char *err, size_t errlen) {
    if (fa_openssl_load(err, errlen) != 0) return;
    long verify = s ? SSL_get_verify_result(s) : X509_V_OK;
    unsigned long e = ERR_peek_last_error();
    char detail[256] = "";
    if (e) ERR_error_string_n(e, detail, sizeof detail);
    ERR_clear_error();
    if (verify != X509_V_OK) {
        snprintf(err, errlen, "certificate verification failed: %s", X509_verify_cert_error_string(verify));
    } else if (detail[0]) {
        /* "error:0A00010B:SSL routines::wrong version number" → "wrong version number" */
        const char *reason = strrchr(detail, ':');
        snprintf(err, errlen, "%s", reason && reason[1] ? reason + 1 : detail);
    } else {
        snprintf(err, errlen, "connection closed during the handshake");
    }
}

const char *fa_tls_version(fa_tls_session *s) { return SSL_get_version(s); }

int fa_tls_peer_role(fa_tls_session *s, char *role) {
    role[0] = 0;
    X509 *cert = SSL_get0_peer_certificate(s);
    if (!cert) return 0;
    ASN1_OBJECT *oid = OBJ_txt2obj(FA_TLS_ROLE_OID, 1);
    if (!oid) return 3;
    int found = 0, result = 0;
    for (int i = 0; i < X509_get_ext_count(cert); i++) {
        X509_EXTENSION *ext = X509_get_ext(cert, i);
        if (OBJ_cmp(X509_EXTENSION_get_object(ext), oid) != 0) continue;
        if (++found > 1) { result = 2; break; }
        ASN1_OCTET_STRING *data = X509_EXTENSION_get_data(ext);
        const unsigned char *p = ASN1_STRING_get0_data(data);
        long left = ASN1_STRING_length(data);
        ASN1_UTF8STRING *text = d2i_ASN1_UTF8STRING(NULL, &p, left);
        int ok = text != NULL && ASN1_STRING_type(text) == V_ASN1_UTF8STRING && p == ASN1_STRING_get0_data(data) + left;
        int n = ok ? ASN1_STRING_length(text) : 0;
        ok = ok && n >= 1 && n <= FA_TLS_ROLE_MAX;
        const unsigned char *chars = ok ? ASN1_STRING_get0_data(text) : NULL;
        for (int k = 0; ok && k < n; k++) ok = chars[k] >= 0x21 && chars[k] <= 0x7E;
        if (ok) {
            memcpy(role, chars, (size_t)n);
            role[n] = 0;
            result = 1;
        } else {
            result = 3;
        }
        ASN1_UTF8STRING_free(text);
    }
    ASN1_OBJECT_free(oid);
    ERR_clear_error();
    if (result != 1) role[0] = 0;
    return found == 0 ? 0 : result;
}

void fa_tls_peer_name(fa_tls_session *s, char *name, size_t namelen) {
    name[0] = 0;
    X509 *cert = SSL_get0_peer_certificate(s);
    if (!cert || namelen == 0) return;
    int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name, (int)namelen);
    if (n < 0) name[0] = 0;
    for (char *c = name; *c; c++) if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7E) *c = '?';
}

/* ---- test PKI ---- */

static EVP_PKEY *make_key(void) { return EVP_EC_gen("P-256"); }

static int write_key(EVP_PKEY *key, const char *path, char *err, size_t errlen) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) { snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno)); return -1; }
    fchmod(fd, 0600);
    FILE *f = fdopen(fd, "w");
    if (!f) { close(fd); snprintf(err, errlen, "cannot write %s", path); return -1; }
    int ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    if (fclose(f) != 0) ok = 0;
    return ok ? 0 : file_err(err, errlen, "cannot write", path);
}

static int write_cert(X509 *cert, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "w");
    if (!f) { snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno)); return -1; }
    int ok = PEM_write_X509(f, cert);
    if (fclose(f) != 0) ok = 0;
    return ok ? 0 : file_err(err, errlen, "cannot write", path);
}

static X509 *read_cert(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    X509 *c = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    return c;
}

static EVP_PKEY *read_key(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    return k;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value) {
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (!ext) return 0;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

static int set_name(X509 *cert, const char *common_name, int issuer_too) {
    X509_NAME *name = X509_get_subject_name(cert);
    if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"FieldAgent plant", -1, -1, 0)) return 0;
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)common_name, -1, -1, 0)) return 0;
    return issuer_too ? X509_set_issuer_name(cert, name) : 1;
}

int fa_pki_make_ca(const char *cert_path, const char *key_path, const char *common_name, int days, char *err, size_t errlen) {
    if (fa_openssl_load(err, errlen) != 0) return -1;
    ERR_clear_error();
    int rc = -1;
    EVP_PKEY *key = make_key();
    X509 *cert = X509_new();
    if (!key || !cert) { set_err(err, errlen, "cannot make a key"); goto done; }
    X509_set_version(cert, 2);
    ASN1_INTEGER_set_int64(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -300);
    X509_gmtime_adj(X509_getm_notAfter(cert), (long)days * 86400L);
    X509_set_pubkey(cert, key);
    if (!set_name(cert, common_name, 1)) { set_err(err, errlen, "bad common name"); goto done; }
    if (!add_ext(cert, cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
        !add_ext(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign") ||
        !add_ext(cert, cert, NID_subject_key_identifier, "hash")) { set_err(err, errlen, "cannot add the CA extensions"); goto done; }
    if (!X509_sign(cert, key, EVP_sha256())) { set_err(err, errlen, "cannot sign"); goto done; }
    if (write_key(key, key_path, err, errlen) != 0 || write_cert(cert, cert_path, err, errlen) != 0) goto done;
    rc = 0;
done:
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

static int add_role(X509 *cert, const char *role) {
    ASN1_OBJECT *oid = OBJ_txt2obj(FA_TLS_ROLE_OID, 1);
    ASN1_UTF8STRING *text = ASN1_UTF8STRING_new();
    ASN1_OCTET_STRING *data = ASN1_OCTET_STRING_new();
    unsigned char *der = NULL;
    int ok = 0;
    if (oid && text && data && ASN1_STRING_set(text, role, -1)) {
        int n = i2d_ASN1_UTF8STRING(text, &der);
        if (n > 0 && ASN1_OCTET_STRING_set(data, der, n)) {
            X509_EXTENSION *ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, data);
            if (ext) ok = X509_add_ext(cert, ext, -1);
            X509_EXTENSION_free(ext);
        }
    }
    OPENSSL_free(der);
    ASN1_OCTET_STRING_free(data);
    ASN1_UTF8STRING_free(text);
    ASN1_OBJECT_free(oid);
    return ok;
}

int fa_pki_issue(const char *ca_cert_path, const char *ca_key_path, const char *cert_path, const char *key_path,
                 const char *common_name, const char *const *roles, int role_count, const char *const *hosts,
                 int host_count, int not_before_days, int days, int64_t serial, char *err, size_t errlen) {
    if (fa_openssl_load(err, errlen) != 0) return -1;
    ERR_clear_error();
    int rc = -1;
    X509 *ca = read_cert(ca_cert_path);
    EVP_PKEY *ca_key = read_key(ca_key_path);
    EVP_PKEY *key = make_key();
    X509 *cert = X509_new();
    if (!ca) { file_err(err, errlen, "cannot read the CA certificate", ca_cert_path); goto done; }
    if (!ca_key) { file_err(err, errlen, "cannot read the CA key", ca_key_path); goto done; }
    if (!key || !cert) { set_err(err, errlen, "cannot make a key"); goto done; }
    X509_set_version(cert, 2);
    ASN1_INTEGER_set_int64(X509_get_serialNumber(cert), serial);
    X509_gmtime_adj(X509_getm_notBefore(cert), (long)not_before_days * 86400L - 300);
    X509_gmtime_adj(X509_getm_notAfter(cert), ((long)not_before_days + days) * 86400L);
    X509_set_pubkey(cert, key);
    if (!set_name(cert, common_name, 0) || !X509_set_issuer_name(cert, X509_get_subject_name(ca))) { set_err(err, errlen, "bad common name"); goto done; }
    char san[2048] = "";
    size_t used = 0;
    for (int i = 0; i < host_count; i++) {
        unsigned char ip[16];
        int is_ip = inet_pton(AF_INET, hosts[i], ip) == 1 || inet_pton(AF_INET6, hosts[i], ip) == 1;
        int n = snprintf(san + used, sizeof san - used, "%s%s:%s", i ? "," : "", is_ip ? "IP" : "DNS", hosts[i]);
        if (n < 0 || (size_t)n >= sizeof san - used) { snprintf(err, errlen, "too many host names"); goto done; }
        used += (size_t)n;
    }
    if (!add_ext(cert, ca, NID_basic_constraints, "critical,CA:FALSE") ||
        !add_ext(cert, ca, NID_key_usage, "critical,digitalSignature,keyAgreement") ||
        !add_ext(cert, ca, NID_ext_key_usage, "serverAuth,clientAuth") ||
        !add_ext(cert, ca, NID_subject_key_identifier, "hash") ||
        !add_ext(cert, ca, NID_authority_key_identifier, "keyid:always") ||
        (host_count > 0 && !add_ext(cert, ca, NID_subject_alt_name, san))) { set_err(err, errlen, "cannot add the extensions"); goto done; }
    for (int i = 0; i < role_count; i++) {
        if (!add_role(cert, roles[i])) { set_err(err, errlen, "cannot add the role extension"); goto done; }
    }
    if (!X509_sign(cert, ca_key, EVP_sha256())) { set_err(err, errlen, "cannot sign"); goto done; }
    if (write_key(key, key_path, err, errlen) != 0 || write_cert(cert, cert_path, err, errlen) != 0) goto done;
    rc = 0;
done:
    X509_free(cert);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    X509_free(ca);
    return rc;
}

int fa_pki_revoke(const char *ca_cert_path, const char *ca_key_path, const char *crl_path, const int64_t *serials,
                  int serial_count, int days, char *err, size_t errlen) {
    if (fa_openssl_load(err, errlen) != 0) return -1;
    ERR_clear_error();
    int rc = -1;
    X509 *ca = read_cert(ca_cert_path);
    EVP_PKEY *ca_key = read_key(ca_key_path);
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *now = ASN1_TIME_new();
    if (!ca) { file_err(err, errlen, "cannot read the CA certificate", ca_cert_path); goto done; }
    if (!ca_key) { file_err(err, errlen, "cannot read the CA key", ca_key_path); goto done; }
    if (!crl || !now) { set_err(err, errlen, "out of memory"); goto done; }
    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
    X509_gmtime_adj(now, -300);
    X509_CRL_set1_lastUpdate(crl, now);
    X509_gmtime_adj(now, (long)days * 86400L);
    X509_CRL_set1_nextUpdate(crl, now);
    X509_gmtime_adj(now, -300);
    for (int i = 0; i < serial_count; i++) {
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_INTEGER *sn = ASN1_INTEGER_new();
        ASN1_INTEGER_set_int64(sn, serials[i]);
        X509_REVOKED_set_serialNumber(r, sn);
        X509_REVOKED_set_revocationDate(r, now);
        X509_CRL_add0_revoked(crl, r);
        ASN1_INTEGER_free(sn);
    }
    X509_CRL_sort(crl);
    if (!X509_CRL_sign(crl, ca_key, EVP_sha256())) { set_err(err, errlen, "cannot sign the revocation list"); goto done; }
    FILE *f = fopen(crl_path, "w");
    if (!f) { snprintf(err, errlen, "cannot create %s: %s", crl_path, strerror(errno)); goto done; }
    int ok = PEM_write_X509_CRL(f, crl);
    if (fclose(f) != 0) ok = 0;
    if (!ok) { file_err(err, errlen, "cannot write", crl_path); goto done; }
    rc = 0;
done:
    ASN1_TIME_free(now);
    X509_CRL_free(crl);
    EVP_PKEY_free(ca_key);
    X509_free(ca);
    return rc;
}

int64_t fa_pki_serial(const char *cert_path, char *err, size_t errlen) {
    if (fa_openssl_load(err, errlen) != 0) return -1;
    X509 *c = read_cert(cert_path);
    if (!c) { file_err(err, errlen, "cannot read the certificate", cert_path); return -1; }
    int64_t v = -1;
    if (ASN1_INTEGER_get_int64(&v, X509_get0_serialNumber(c)) != 1) v = -1;
    X509_free(c);
    return v;
}

int64_t fa_pki_not_after(const char *cert_path, char *err, size_t errlen) {
    if (fa_openssl_load(err, errlen) != 0) return 0;
    X509 *c = read_cert(cert_path);
    if (!c) { file_err(err, errlen, "cannot read the certificate", cert_path); return 0; }
    int64_t v = asn1_time_epoch(X509_get0_notAfter(c));
    X509_free(c);
    return v;
}

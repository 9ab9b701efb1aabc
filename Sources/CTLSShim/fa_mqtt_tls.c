/* fa_mqtt_tls: see include/fa_mqtt_tls.h. */
#include "fa_mqtt_tls.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fa_openssl_calls.h"

struct fa_mqtt_tls {
    SSL_CTX *ctx;
    char host[256];
    char refusal[384];
};

static void set_err(char *err, size_t errlen, const char *what, const char *path) {
    if (!err || errlen == 0) return;
    unsigned long e = ERR_peek_last_error();
    char detail[256] = "";
    if (e) ERR_error_string_n(e, detail, sizeof detail);
    ERR_clear_error();
    snprintf(err, errlen, "%s%s%s%s%s", what, path ? " " : "", path ? path : "", detail[0] ? ": " : "", detail);
}

/* Keeps OpenSSL's verdict; the first failure is the one worth logging (later ones follow from it). */
static int verify(int ok, X509_STORE_CTX *store) {
    if (ok) return 1;
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    fa_mqtt_tls *t = ssl ? SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)) : NULL;
    if (t && !t->refusal[0]) {
        int code = X509_STORE_CTX_get_error(store);
        if (code == X509_V_ERR_HOSTNAME_MISMATCH || code == X509_V_ERR_IP_ADDRESS_MISMATCH)
            snprintf(t->refusal, sizeof t->refusal, "the broker's certificate does not name %s", t->host);
        else
            snprintf(t->refusal, sizeof t->refusal, "the broker's certificate was refused: %s (depth %d)",
                     X509_verify_cert_error_string(code), X509_STORE_CTX_get_error_depth(store));
    }
    return 0;
}

fa_mqtt_tls *fa_mqtt_tls_new(const char *ca_file, const char *cert_file, const char *key_file, const char *expected_host,
                             char *err, size_t errlen) {
    if (fa_openssl_load(err, errlen) != 0) return NULL;
    ERR_clear_error();
    if (!expected_host || !expected_host[0] || strlen(expected_host) >= sizeof(((fa_mqtt_tls *)0)->host)) {
        set_err(err, errlen, "no host name to verify the broker's certificate against", NULL);
        return NULL;
    }
    fa_mqtt_tls *t = calloc(1, sizeof *t);
    if (!t) { set_err(err, errlen, "out of memory", NULL); return NULL; }
    snprintf(t->host, sizeof t->host, "%s", expected_host);
    t->ctx = SSL_CTX_new(TLS_client_method());
    if (!t->ctx) { set_err(err, errlen, "SSL_CTX_new", NULL); free(t); return NULL; }
    SSL_CTX_set_app_data(t->ctx, t);
    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    if (SSL_CTX_load_verify_locations(t->ctx, ca_file, NULL) != 1) { set_err(err, errlen, "cannot load the CA certificates from", ca_file); goto fail; }
    if (cert_file && cert_file[0]) {
        if (SSL_CTX_use_certificate_chain_file(t->ctx, cert_file) != 1) { set_err(err, errlen, "cannot load the certificate chain from", cert_file); goto fail; }
        if (SSL_CTX_use_PrivateKey_file(t->ctx, key_file ? key_file : cert_file, SSL_FILETYPE_PEM) != 1) { set_err(err, errlen, "cannot load the private key from", key_file ? key_file : cert_file); goto fail; }
        if (SSL_CTX_check_private_key(t->ctx) != 1) { set_err(err, errlen, "the private key does not match the certificate in", cert_file); goto fail; }
    }
    X509_VERIFY_PARAM *param = SSL_CTX_get0_param(t->ctx);
    unsigned char ip[16];
    if (inet_pton(AF_INET, expected_host, ip) == 1 || inet_pton(AF_INET6, expected_host, ip) == 1) {
        if (X509_VERIFY_PARAM_set1_ip_asc(param, expected_host) != 1) { set_err(err, errlen, "bad IP address to verify:", expected_host); goto fail; }
    } else {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (X509_VERIFY_PARAM_set1_host(param, expected_host, 0) != 1) { set_err(err, errlen, "bad host name to verify:", expected_host); goto fail; }
    }
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, verify);
    SSL_CTX_set_verify_depth(t->ctx, 4);
    ERR_clear_error();
    return t;
fail:
    SSL_CTX_free(t->ctx);
    free(t);
    return NULL;
}

void *fa_mqtt_tls_ssl_ctx(fa_mqtt_tls *t) { return t ? t->ctx : NULL; }

const char *fa_mqtt_tls_refusal(const fa_mqtt_tls *t) { return t ? t->refusal : ""; }

void fa_mqtt_tls_free(fa_mqtt_tls *t) {
    if (!t) return;
    SSL_CTX_set_app_data(t->ctx, NULL);
    SSL_CTX_free(t->ctx);
    free(t);
}

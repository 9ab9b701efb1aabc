/*
 * fa_mqtt_tls: the TLS client context the uplink hands to libmosquitto (MOSQ_OPT_SSL_CTX).
 *
 * libmosquitto checks the broker's certificate against the host it connects to; the uplink connects to a
 * numeric address (names are resolved off the loop), so that check would need an IP SAN. This context
 * checks the name from the broker URL instead (OpenSSL's host check: DNS SANs for a name, IP SANs for an
 * address), and keeps the verification's reason for the log line when the broker is refused.
 * Callers never include OpenSSL's headers.
 */
#ifndef FA_MQTT_TLS_H
#define FA_MQTT_TLS_H

#include <stddef.h>

typedef struct fa_mqtt_tls fa_mqtt_tls;

/*
 * TLS 1.2 at least; the broker's certificate must chain to `ca_file` and name `expected_host` (a DNS name,
 * or a numeric address). `cert_file` and `key_file` (both or neither; may be NULL) are the client's identity.
 * NULL on failure, with a one-line reason in err (at most errlen bytes, NUL-terminated).
 */
fa_mqtt_tls *fa_mqtt_tls_new(const char *ca_file, const char *cert_file, const char *key_file, const char *expected_host,
                             char *err, size_t errlen);
/* The OpenSSL SSL_CTX, for mosquitto_void_option(MOSQ_OPT_SSL_CTX) (libmosquitto takes its own reference). */
void *fa_mqtt_tls_ssl_ctx(fa_mqtt_tls *t);
/* Why the last handshake refused the broker's certificate, or "" when it did not. */
const char *fa_mqtt_tls_refusal(const fa_mqtt_tls *t);
void fa_mqtt_tls_free(fa_mqtt_tls *t);

#endif

/*
 * The libmosquitto functions the uplink calls, looked up at first use (dlopen + dlsym) instead of linked: an agent
 * without an uplink never maps libmosquitto (nor the OpenSSL it brings). Swift calls them through the table
 * fa_mosquitto_load returns (`api.pointee.mosquitto_publish(...)`); the types come from mosquitto.h (__typeof__),
 * so a call through the table is checked like a direct one. Nothing links libmosquitto: a direct call fails the link.
 */
#ifndef FA_MOSQUITTO_H
#define FA_MOSQUITTO_H

#include <stddef.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

/* The library loaded, and the Debian package that ships it (the same name on Debian 12 and 13). */
#define FA_MOSQUITTO_SONAME "libmosquitto.so.1"
#define FA_MOSQUITTO_PACKAGE "libmosquitto1"

#define FA_MOSQUITTO_FUNCTIONS(X) \
    X(mosquitto_connack_string) X(mosquitto_connect_async) X(mosquitto_connect_callback_set) \
    X(mosquitto_destroy) X(mosquitto_disconnect) X(mosquitto_disconnect_callback_set) \
    X(mosquitto_int_option) X(mosquitto_loop_misc) X(mosquitto_loop_read) \
    X(mosquitto_loop_write) X(mosquitto_message_callback_set) X(mosquitto_new) \
    X(mosquitto_publish) X(mosquitto_publish_callback_set) X(mosquitto_socket) \
    X(mosquitto_strerror) X(mosquitto_subscribe) X(mosquitto_username_pw_set) \
    X(mosquitto_void_option) X(mosquitto_want_write) X(mosquitto_will_set)

#define FA_MOSQUITTO_ENTRY(name) __typeof__(name) *_Nonnull name;
/* One pointer per function, all set once the table is returned. */
struct fa_mosquitto_functions { FA_MOSQUITTO_FUNCTIONS(FA_MOSQUITTO_ENTRY) };
#undef FA_MOSQUITTO_ENTRY

/*
 * Loads libmosquitto and runs mosquitto_lib_init, once (later calls return the first outcome at once; safe from any
 * thread): the table, or NULL with why and which package to install in err (at most errlen bytes, NUL-terminated).
 */
const struct fa_mosquitto_functions *_Nullable fa_mosquitto_load(char *_Nullable err, size_t errlen);

#endif

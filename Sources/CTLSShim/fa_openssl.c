/* fa_openssl: see fa_openssl.h. */
#include "fa_openssl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

struct fa_openssl_functions fa_openssl;

/*
 * The library this binary dlopens, as an ELF note (the freedesktop.org "dlopen metadata" format: owner FDO,
 * type 0x407c0c0a, a JSON description): Packaging/shlib-depends reads it to put the package into the .deb's
 * Depends, as it does for the libraries the binary links.
 */
#define FA_OPENSSL_NOTE "[{\"feature\":\"tls\",\"description\":\"Modbus/TCP Security, the uplink's TLS and fieldagent pki\"," \
                        "\"priority\":\"recommended\",\"soname\":[\"" FA_OPENSSL_SONAME "\"]}]"
__attribute__((used, section(".note.dlopen"), aligned(4)))
static const struct {
    uint32_t name_size, description_size, type;
    char name[4];
    char description[(sizeof FA_OPENSSL_NOTE + 3) & ~3u];
} fa_openssl_note = { 4, sizeof FA_OPENSSL_NOTE, 0x407c0c0a, "FDO", FA_OPENSSL_NOTE };

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;
static char why[512];

static void load(void) {
    /* RTLD_LOCAL: nothing else in the process binds to OpenSSL's symbols by accident. Never closed. */
    void *library = dlopen(FA_OPENSSL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        const char *error = dlerror();
        snprintf(why, sizeof why, "TLS needs OpenSSL 3 (%s), which cannot be loaded (%s): install %s with apt",
                 FA_OPENSSL_SONAME, error ? error : "not found", FA_OPENSSL_PACKAGES);
        return;
    }
    /* dlsym on the handle also searches its dependencies: libcrypto's functions are found through libssl. */
#define FA_OPENSSL_RESOLVE(name)                                                                               \
    if (!(*(void **)&fa_openssl.name = dlsym(library, #name))) {                                               \
        snprintf(why, sizeof why, "TLS needs OpenSSL 3: %s has no %s; install %s with apt", FA_OPENSSL_SONAME, \
                 #name, FA_OPENSSL_PACKAGES);                                                                  \
        return;                                                                                                \
    }
    FA_OPENSSL_FUNCTIONS(FA_OPENSSL_RESOLVE)
#undef FA_OPENSSL_RESOLVE
    loaded = 1;
}

int fa_openssl_load(char *err, size_t errlen) {
    pthread_once(&once, load);
    if (!loaded && err && errlen > 0) snprintf(err, errlen, "%s", why);
    return loaded ? 0 : -1;
}

/* fa_mosquitto: see include/fa_mosquitto.h. */
#include "fa_mosquitto.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The library this binary dlopens, as an ELF note (the freedesktop.org "dlopen metadata" format: owner FDO,
 * type 0x407c0c0a, a JSON description): Packaging/shlib-depends reads it to put the package into the .deb's
 * Depends, as it does for the libraries the binary links.
 */
#define FA_MOSQUITTO_NOTE "[{\"feature\":\"uplink\",\"description\":\"the Sparkplug B uplink over MQTT\"," \
                          "\"priority\":\"recommended\",\"soname\":[\"" FA_MOSQUITTO_SONAME "\"]}]"
__attribute__((used, section(".note.dlopen"), aligned(4)))
static const struct {
    uint32_t name_size, description_size, type;
    char name[4];
    char description[(sizeof FA_MOSQUITTO_NOTE + 3) & ~3u];
} fa_mosquitto_note = { 4, sizeof FA_MOSQUITTO_NOTE, 0x407c0c0a, "FDO", FA_MOSQUITTO_NOTE };

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct fa_mosquitto_functions table;
static int loaded;
static char why[512];

static void load(void) {
    /* RTLD_LOCAL: nothing else in the process binds to its symbols by accident. Never closed. */
    void *library = dlopen(FA_MOSQUITTO_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        const char *error = dlerror();
        snprintf(why, sizeof why, "the uplink needs libmosquitto (%s), which cannot be loaded (%s): apt install %s",
                 FA_MOSQUITTO_SONAME, error ? error : "not found", FA_MOSQUITTO_PACKAGE);
        return;
    }
#define FA_MOSQUITTO_RESOLVE(name)                                                                           \
    if (!(*(void **)&table.name = dlsym(library, #name))) {                                                  \
        snprintf(why, sizeof why, "the uplink needs libmosquitto 2: %s has no %s; apt install %s",           \
                 FA_MOSQUITTO_SONAME, #name, FA_MOSQUITTO_PACKAGE);                                          \
        return;                                                                                              \
    }
    FA_MOSQUITTO_FUNCTIONS(FA_MOSQUITTO_RESOLVE)
#undef FA_MOSQUITTO_RESOLVE
    __typeof__(mosquitto_lib_init) *lib_init;
    if (!(*(void **)&lib_init = dlsym(library, "mosquitto_lib_init")) || lib_init() != MOSQ_ERR_SUCCESS) {
        snprintf(why, sizeof why, "libmosquitto did not initialize (mosquitto_lib_init)");
        return;
    }
    loaded = 1;
}

const struct fa_mosquitto_functions *fa_mosquitto_load(char *err, size_t errlen) {
    pthread_once(&once, load);
    if (!loaded && err && errlen > 0) snprintf(err, errlen, "%s", why);
    return loaded ? &table : NULL;
}

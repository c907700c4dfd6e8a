/* Shared libraries loaded on first use; see dynlib.h. */
#include "dynlib.h"

#include <dlfcn.h>
#include <stdio.h>

static int fail(dynlib *lib, const char *what)
{
    snprintf(lib->why, sizeof(lib->why), "%s needs %s (Debian package %s): %s", lib->purpose,
             lib->soname, lib->package, what);
    lib->state = -1;
    return -1;
}

static int load_locked(dynlib *lib)
{
    /* RTLD_GLOBAL: a library the loaded one opens later (a plugin of libcurl's TLS, say)
     * resolves against the same copies. RTLD_NOW: a missing symbol shows here, once. */
    void *h = dlopen(lib->soname, RTLD_NOW | RTLD_GLOBAL);
    const char *e;
    char msg[256];
    if (!h)
        return fail(lib, (e = dlerror()) ? e : "cannot be loaded");
    for (size_t i = 0; i < lib->nsyms; i++) {
        dlerror();
        void *p = dlsym(h, lib->syms[i].name); /* the library and its dependencies */
        if (!p || dlerror()) {
            snprintf(msg, sizeof(msg), "it has no %s (another version?)", lib->syms[i].name);
            dlclose(h);
            return fail(lib, msg);
        }
        *lib->syms[i].slot = p;
    }
    if (lib->init && lib->init(msg, sizeof(msg)) != 0)
        return fail(lib, msg); /* kept loaded: some symbols may be in use elsewhere */
    lib->state = 1;
    return 0;
}

int dynlib_load(dynlib *lib, char *err, size_t errlen)
{
    int rc;
    pthread_mutex_lock(&lib->mu);
    rc = lib->state == 1 ? 0 : lib->state == -1 ? -1 : load_locked(lib);
    if (rc != 0 && err && errlen)
        snprintf(err, errlen, "%s", lib->why);
    pthread_mutex_unlock(&lib->mu);
    return rc;
}

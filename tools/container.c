/* IVF or WebM output; see container.h. */
#include "container.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

container_kind container_from_name(const char *path)
{
    size_t n = path ? strlen(path) : 0;
    if (n >= 5 && !strcasecmp(path + n - 5, ".webm")) return CONTAINER_WEBM;
    if (n >= 4 && !strcasecmp(path + n - 4, ".mkv")) return CONTAINER_WEBM;
    return CONTAINER_IVF;
}

static int io_fail(container_writer *w)
{
    snprintf(w->err, sizeof(w->err), "write error: %s", strerror(errno ? errno : EIO));
    return -1;
}

int container_start(container_writer *w, container_kind kind, FILE *f, int width, int height,
                    uint32_t rate, uint32_t scale)
{
    memset(w, 0, sizeof(*w));
    w->kind = kind;
    if (kind == CONTAINER_WEBM)
        return webm_writer_start(&w->webm, f, width, height, rate, scale, w->err,
                                 sizeof(w->err));
    return ivf_writer_start(&w->ivf, f, "VP80", width, height, rate, scale) ? io_fail(w) : 0;
}

int container_write(container_writer *w, const uint8_t *data, size_t len, uint64_t pts)
{
    if (w->kind == CONTAINER_WEBM)
        return webm_write_frame(w->webm, data, len, pts, w->err, sizeof(w->err));
    return ivf_write_frame(&w->ivf, data, len, pts) ? io_fail(w) : 0;
}

int container_finish(container_writer *w)
{
    if (w->kind == CONTAINER_WEBM) return webm_writer_finish(w->webm, w->err, sizeof(w->err));
    return ivf_writer_finish(&w->ivf) ? io_fail(w) : 0;
}

void container_free(container_writer *w)
{
    webm_writer_free(w->webm);
    w->webm = NULL;
}

/* Public images, error strings and version. */
#include <stdlib.h>
#include <string.h>

#include "vp8i.h"

excam_image *vp8_image_from_frame(vp8_frame *f);

/* Images from the decoder keep a reference to their picture: zero-copy. */
excam_image *vp8_image_from_frame(vp8_frame *f)
{
    excam_image *img = calloc(1, sizeof(*img));
    if (!img)
        return NULL;
    img->width = f->width;
    img->height = f->height;
    for (int p = 0; p < 3; p++) {
        img->stride[p] = (int)f->stride[p];
        img->plane[p] = f->plane[p];
    }
    img->priv = vp8_frame_ref(f);
    return img;
}

EXCAM_API excam_image *excam_image_alloc(int width, int height)
{
    vp8_frame *f;
    excam_image *img;
    if (width <= 0 || height <= 0 || width > 16383 || height > 16383)
        return NULL;
    if (!(f = vp8_frame_new(width, height)))
        return NULL;
    img = vp8_image_from_frame(f);
    vp8_frame_unref(f);
    return img;
}

EXCAM_API void excam_image_free(excam_image *img)
{
    if (!img)
        return;
    vp8_frame_unref(img->priv);
    free(img);
}

EXCAM_API void excam_free(void *p) { free(p); }

EXCAM_API const char *excam_strerror(int err)
{
    switch (err) {
    case EXCAM_OK: return "success";
    case EXCAM_ERR_INVALID_ARG: return "invalid argument";
    case EXCAM_ERR_NOMEM: return "out of memory";
    case EXCAM_ERR_CORRUPT: return "corrupt or truncated VP8 frame";
    case EXCAM_ERR_UNSUPPORTED: return "unsupported VP8 feature";
    case EXCAM_ERR_NO_KEYFRAME: return "inter frame before the first key frame";
    case EXCAM_ERR_BAD_STATE: return "invalid serialized state (magic, version, size or checksum)";
    case EXCAM_ERR_IO: return "input/output error";
    case EXCAM_ERR_INTERNAL: return "internal self-check failed (a bug in excam)";
    default: return "unknown error";
    }
}

EXCAM_API const char *excam_version_string(void) { return "0.1.0"; }

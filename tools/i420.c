/* Raw I420 output and MD5; see i420.h. */
#include "i420.h"

#include "ssl_api.h"

static int plane_w(const excam_image *img, int p) { return p ? (img->width + 1) / 2 : img->width; }
static int plane_h(const excam_image *img, int p) { return p ? (img->height + 1) / 2 : img->height; }

int i420_write(FILE *f, const excam_image *img)
{
    for (int p = 0; p < 3; p++) {
        size_t w = (size_t)plane_w(img, p);
        for (int y = 0; y < plane_h(img, p); y++)
            if (fwrite(img->plane[p] + (ptrdiff_t)y * img->stride[p], 1, w, f) != w) return -1;
    }
    return 0;
}

int i420_md5(const excam_image *img, uint8_t digest[16], char *err, size_t errlen)
{
    EVP_MD_CTX *c;
    unsigned len = 0;
    int ok;
    if (ssl_api_load(err, errlen) != 0) /* libcrypto's MD5, loaded on first use */
        return -1;
    c = EVP_MD_CTX_new();
    ok = c && EVP_DigestInit_ex(c, EVP_md5(), NULL);
    for (int p = 0; ok && p < 3; p++)
        for (int y = 0; ok && y < plane_h(img, p); y++)
            ok = EVP_DigestUpdate(c, img->plane[p] + (ptrdiff_t)y * img->stride[p],
                                  (size_t)plane_w(img, p));
    ok = ok && EVP_DigestFinal_ex(c, digest, &len) && len == 16;
    EVP_MD_CTX_free(c);
    if (!ok)
        snprintf(err, errlen, "MD5 failed (OpenSSL)");
    return ok ? 0 : -1;
}

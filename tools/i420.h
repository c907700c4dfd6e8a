/* Raw 8-bit 4:2:0 pictures: writing planes to a file and their MD5 (as vpxdec --i420 --md5). */
#ifndef EXCAM_TOOLS_I420_H
#define EXCAM_TOOLS_I420_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "excam/vp8.h"

/* Write Y, U, V (visible area only). 0 on success, -1 on a write error. */
int i420_write(FILE *f, const excam_image *img);
/* MD5 of the same bytes i420_write writes (libcrypto's, loaded on first use). 0, or -1
 * with the reason in err (OpenSSL missing or failing). */
int i420_md5(const excam_image *img, uint8_t digest[16], char *err, size_t errlen);

#endif

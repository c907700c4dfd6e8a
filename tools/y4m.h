/* YUV4MPEG2 (Y4M) output, 8-bit 4:2:0. (The reader arrives with the encoder.) */
#ifndef EXCAM_TOOLS_Y4M_H
#define EXCAM_TOOLS_Y4M_H

#include <stdint.h>
#include <stdio.h>

#include "excam/vp8.h"

/* The stream header, as vpxdec writes it (C420jpeg). A zero rate or scale means 30:1. */
int y4m_write_header(FILE *f, int width, int height, uint32_t rate, uint32_t scale);
/* "FRAME\n" and the planes. 0 on success, -1 on a write error. */
int y4m_write_frame(FILE *f, const excam_image *img);

#endif

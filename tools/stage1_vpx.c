/*
 * Stage 1 with libvpx (`excam encode --chunk n --stage1 libvpx`), as ExCamera did (its
 * first stage was vpxenc): a chunk encoded on its own by libvpx's VP8 encoder, from a key
 * frame, at the job's fixed quantizer, one pass, no lagged alt-ref frames. The rest of the
 * pipeline is excam's: its decoder reads the chunk's decisions and final state, its
 * encoder makes the re-encoded first frame, and rebase re-codes libvpx's frames onto the
 * real chain. For comparison (bench/pipeline.sh); libvpx stays out of codec/.
 */
#include "stage1_vpx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

#include "ratectl.h"

/* vpxenc's 0..63 scale for a quantizer index (the inverse of vp8_cx_iface.c's q_trans). */
static int vpx_q(int index)
{
    for (int q = 0; q < 64; q++)
        if (ratectl_index(q) >= index) return q;
    return 63;
}

int stage1_vpx_encode(excam_image *const *src, int n, const task_params *p,
                      int (*add)(void *ctx, const uint8_t *data, size_t len), void *ctx,
                      char *err, size_t errlen)
{
    vpx_codec_enc_cfg_t cfg;
    vpx_codec_ctx_t enc;
    vpx_image_t img;
    int ret = -1;

    if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0)) {
        snprintf(err, errlen, "libvpx: no VP8 encoder configuration");
        return -1;
    }
    cfg.g_w = (unsigned)src[0]->width;
    cfg.g_h = (unsigned)src[0]->height;
    cfg.g_timebase.num = 1;
    cfg.g_timebase.den = 30;
    cfg.g_threads = 1;
    cfg.g_lag_in_frames = 0;      /* no hidden alt-ref frames: one packet per frame */
    cfg.g_pass = VPX_RC_ONE_PASS;
    cfg.rc_end_usage = VPX_Q;
    cfg.rc_min_quantizer = cfg.rc_max_quantizer = (unsigned)vpx_q(p->q_inter);
    cfg.kf_mode = VPX_KF_DISABLED; /* the chunk's first frame is its only key frame */
    cfg.g_error_resilient = 0;
    if (vpx_codec_enc_init(&enc, vpx_codec_vp8_cx(), &cfg, 0)) {
        snprintf(err, errlen, "libvpx: %s", vpx_codec_error(&enc));
        return -1;
    }
    /* --good --cpu-used=1 (what bench/pipeline.sh compares with), the cq level at the
     * quantizer, token partitions and sharpness as asked. */
    vpx_codec_control(&enc, VP8E_SET_CPUUSED, 1);
    vpx_codec_control(&enc, VP8E_SET_CQ_LEVEL, (int)cfg.rc_min_quantizer);
    vpx_codec_control(&enc, VP8E_SET_TOKEN_PARTITIONS, p->token_partitions);
    vpx_codec_control(&enc, VP8E_SET_SHARPNESS, p->sharpness);
    vpx_codec_control(&enc, VP8E_SET_ENABLEAUTOALTREF, 0);
    int got = 0;
    for (int i = 0; i <= n; i++) { /* i == n: flush */
        vpx_image_t *in = NULL;
        if (i < n) {
            vpx_img_wrap(&img, VPX_IMG_FMT_I420, (unsigned)src[i]->width, (unsigned)src[i]->height,
                         1, src[i]->plane[0]);
            for (int pl = 0; pl < 3; pl++) {
                img.planes[pl] = src[i]->plane[pl];
                img.stride[pl] = src[i]->stride[pl];
            }
            in = &img;
        }
        if (vpx_codec_encode(&enc, in, i, 1, i == 0 ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_GOOD_QUALITY)) {
            snprintf(err, errlen, "libvpx: frame %d: %s", p->first_frame + i + 1,
                     vpx_codec_error(&enc));
            goto done;
        }
        vpx_codec_iter_t it = NULL;
        const vpx_codec_cx_pkt_t *pkt;
        while ((pkt = vpx_codec_get_cx_data(&enc, &it)))
            if (pkt->kind == VPX_CODEC_CX_FRAME_PKT) {
                if (add(ctx, pkt->data.frame.buf, pkt->data.frame.sz)) {
                    snprintf(err, errlen, "out of memory");
                    goto done;
                }
                got++;
            }
    }
    if (got != n) {
        snprintf(err, errlen, "libvpx made %d frames of %d", got, n);
        goto done;
    }
    ret = 0;
done:
    vpx_codec_destroy(&enc);
    return ret;
}

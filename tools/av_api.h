/*
 * libavformat (with libavcodec and libavutil), loaded on first use (storage/dynlib.h):
 * include this instead of the libav* headers. Only WebM needs them, and linked
 * normally they cost every excam command about 40 ms at start (some 130 libraries
 * mapped, relocated and initialized). The av* functions tools/webm.c calls are
 * redirected to pointers that av_api_load fills in; call it before any of them.
 */
#ifndef EXCAM_TOOLS_AV_API_H
#define EXCAM_TOOLS_AV_API_H

#include <stddef.h>

#include <libavformat/avformat.h>
#include <libavutil/mathematics.h>

#define AV_API_FUNCS(X) \
    X(av_dict_set) X(av_find_input_format) X(av_free) X(av_freep) X(av_guess_format) \
    X(av_log_set_level) X(av_malloc) X(av_packet_alloc) X(av_packet_free) \
    X(av_packet_unref) X(av_read_frame) X(av_rescale_q) X(av_strerror) X(av_write_frame) \
    X(av_write_trailer) X(avformat_alloc_context) X(avformat_alloc_output_context2) \
    X(avformat_close_input) X(avformat_free_context) X(avformat_new_stream) \
    X(avformat_open_input) X(avformat_write_header) X(avio_alloc_context) \
    X(avio_context_free) X(avio_flush)

struct av_api {
#define AV_API_FIELD(f) __typeof__(&f) f;
    AV_API_FUNCS(AV_API_FIELD)
#undef AV_API_FIELD
};
extern struct av_api excam_av_api;

/* Load libavformat, once (thread-safe), and silence its log (excam reports the failing
 * call instead). 0, or -1 with err naming what is missing. */
int av_api_load(char *err, size_t errlen);

#ifndef AV_API_IMPL
#define av_dict_set (*excam_av_api.av_dict_set)
#define av_find_input_format (*excam_av_api.av_find_input_format)
#define av_free (*excam_av_api.av_free)
#define av_freep (*excam_av_api.av_freep)
#define av_guess_format (*excam_av_api.av_guess_format)
#define av_log_set_level (*excam_av_api.av_log_set_level)
#define av_malloc (*excam_av_api.av_malloc)
#define av_packet_alloc (*excam_av_api.av_packet_alloc)
#define av_packet_free (*excam_av_api.av_packet_free)
#define av_packet_unref (*excam_av_api.av_packet_unref)
#define av_read_frame (*excam_av_api.av_read_frame)
#define av_rescale_q (*excam_av_api.av_rescale_q)
#define av_strerror (*excam_av_api.av_strerror)
#define av_write_frame (*excam_av_api.av_write_frame)
#define av_write_trailer (*excam_av_api.av_write_trailer)
#define avformat_alloc_context (*excam_av_api.avformat_alloc_context)
#define avformat_alloc_output_context2 (*excam_av_api.avformat_alloc_output_context2)
#define avformat_close_input (*excam_av_api.avformat_close_input)
#define avformat_free_context (*excam_av_api.avformat_free_context)
#define avformat_new_stream (*excam_av_api.avformat_new_stream)
#define avformat_open_input (*excam_av_api.avformat_open_input)
#define avformat_write_header (*excam_av_api.avformat_write_header)
#define avio_alloc_context (*excam_av_api.avio_alloc_context)
#define avio_context_free (*excam_av_api.avio_context_free)
#define avio_flush (*excam_av_api.avio_flush)
#endif

#endif /* EXCAM_TOOLS_AV_API_H */

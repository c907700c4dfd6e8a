/* WebM through libavformat; see webm.h. */
#include "webm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "av_api.h"

enum { IO_BUF = 1 << 16 };

/* libavformat 61 (FFmpeg 7) made the write callback's buffer const. */
#if LIBAVFORMAT_VERSION_MAJOR >= 61
#define AVIO_WRITE_BUF const uint8_t *
#else
#define AVIO_WRITE_BUF uint8_t *
#endif

static void av_fail(char *err, size_t errlen, const char *what, int code)
{
    char msg[AV_ERROR_MAX_STRING_SIZE] = "";
    av_strerror(code, msg, sizeof(msg));
    snprintf(err, errlen, "%s: %s", what, msg);
}


static int stream_is_seekable(FILE *f)
{
    struct stat st;
    return fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && ftello(f) >= 0;
}

static int64_t file_seek(FILE *f, int64_t offset, int whence)
{
    if (whence & AVSEEK_SIZE) {
        struct stat st;
        if (fflush(f) || fstat(fileno(f), &st)) return AVERROR(errno);
        return st.st_size;
    }
    if (fseeko(f, (off_t)offset, whence & ~AVSEEK_FORCE)) return AVERROR(errno);
    return ftello(f);
}

/* ------------------------------------------------------------ writing */

struct webm_writer {
    AVFormatContext *oc;
    AVIOContext *pb;
    AVPacket *pkt;
    FILE *f;
    AVRational frame_tb; /* one frame */
    int io_error;        /* errno of a failed write */
};

static int write_cb(void *opaque, AVIO_WRITE_BUF buf, int size)
{
    webm_writer *w = opaque;
    if (fwrite(buf, 1, (size_t)size, w->f) != (size_t)size) {
        w->io_error = errno ? errno : EIO;
        return AVERROR(w->io_error);
    }
    return size;
}

static int64_t writer_seek_cb(void *opaque, int64_t offset, int whence)
{
    return file_seek(((webm_writer *)opaque)->f, offset, whence);
}

void webm_writer_free(webm_writer *w)
{
    if (!w) return;
    if (w->pb) {
        av_freep(&w->pb->buffer);
        avio_context_free(&w->pb);
    }
    avformat_free_context(w->oc);
    av_packet_free(&w->pkt);
    free(w);
}

static int write_error(webm_writer *w, char *err, size_t errlen, const char *what, int code)
{
    if (w->io_error)
        snprintf(err, errlen, "%s: write error: %s", what, strerror(w->io_error));
    else
        av_fail(err, errlen, what, code);
    return -1;
}

int webm_writer_start(webm_writer **out, FILE *f, int width, int height, uint32_t rate,
                      uint32_t scale, char *err, size_t errlen)
{
    *out = NULL;
    if (!rate || !scale) {
        snprintf(err, errlen, "WebM: no frame rate");
        return -1;
    }
    if (av_api_load(err, errlen) != 0)
        return -1;
    webm_writer *w = calloc(1, sizeof(*w));
    uint8_t *buf = av_malloc(IO_BUF);
    if (!w || !buf) goto nomem;
    w->f = f;
    w->frame_tb = (AVRational){(int)scale, (int)rate};
    const AVOutputFormat *fmt = av_guess_format("webm", NULL, NULL);
    if (!fmt) {
        snprintf(err, errlen, "WebM: this libavformat has no WebM muxer");
        av_free(buf);
        webm_writer_free(w);
        return -1;
    }
    int seekable = stream_is_seekable(f);
    w->pb = avio_alloc_context(buf, IO_BUF, 1, w, NULL, write_cb, seekable ? writer_seek_cb : NULL);
    if (!w->pb) {
        av_free(buf);
        goto nomem;
    }
    w->pb->seekable = seekable ? AVIO_SEEKABLE_NORMAL : 0;
    int e = avformat_alloc_output_context2(&w->oc, fmt, NULL, NULL);
    w->pkt = av_packet_alloc();
    if (e < 0 || !w->oc || !w->pkt) goto nomem;
    w->oc->pb = w->pb;
    AVStream *st = avformat_new_stream(w->oc, NULL);
    if (!st) goto nomem;
    st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    st->codecpar->codec_id = AV_CODEC_ID_VP8;
    st->codecpar->width = width;
    st->codecpar->height = height;
    st->time_base = w->frame_tb;
    st->avg_frame_rate = (AVRational){(int)rate, (int)scale};
    st->r_frame_rate = st->avg_frame_rate;
    st->disposition = AV_DISPOSITION_DEFAULT;
    av_dict_set(&w->oc->metadata, "encoder", "excam", 0);
    if ((e = avformat_write_header(w->oc, NULL)) < 0) {
        write_error(w, err, errlen, "WebM header", e);
        webm_writer_free(w);
        return -1;
    }
    *out = w;
    return 0;
nomem:
    snprintf(err, errlen, "WebM: out of memory");
    webm_writer_free(w);
    return -1;
}

int webm_write_frame(webm_writer *w, const uint8_t *data, size_t len, uint64_t pts, char *err,
                     size_t errlen)
{
    if (len < 3 || len > INT32_MAX) {
        snprintf(err, errlen, "WebM: frame of %zu bytes", len);
        return -1;
    }
    /* RFC 6386 §9.1 frame tag: bit 0 is 0 for key frames, bit 4 is show_frame. A
     * hidden frame (an alt-ref) is a block of its own with no duration at the time of
     * the frame after it, as libvpx's muxers write it; decoders show nothing for it. */
    int hidden = !(data[0] & 0x10);
    AVStream *st = w->oc->streams[0];
    AVPacket *p = w->pkt;
    av_packet_unref(p);
    p->data = (uint8_t *)data; /* not reference-counted: av_write_frame copies nothing */
    p->size = (int)len;
    p->stream_index = 0;
    p->pts = p->dts = av_rescale_q((int64_t)pts, w->frame_tb, st->time_base);
    p->duration = hidden ? 0 : av_rescale_q(1, w->frame_tb, st->time_base);
    if (!(data[0] & 1)) p->flags |= AV_PKT_FLAG_KEY;
    int e = av_write_frame(w->oc, p);
    p->data = NULL;
    p->size = 0;
    if (e < 0) return write_error(w, err, errlen, "WebM frame", e);
    return 0;
}

int webm_writer_finish(webm_writer *w, char *err, size_t errlen)
{
    int e = av_write_trailer(w->oc);
    if (e < 0) return write_error(w, err, errlen, "WebM trailer", e);
    avio_flush(w->pb);
    if (w->io_error || w->pb->error < 0)
        return write_error(w, err, errlen, "WebM", w->pb->error);
    return 0;
}

/* ------------------------------------------------------------ reading */

struct webm_reader {
    AVFormatContext *ic;
    AVIOContext *pb;
    AVPacket *pkt;
    FILE *f;
    uint8_t prefix[64];
    size_t prefix_len, prefix_off;
    int stream;
    AVRational frame_tb;
    int64_t end;  /* where the frames read so far end, in the track's time base */
    int io_error;
};

static int read_cb(void *opaque, uint8_t *buf, int size)
{
    webm_reader *r = opaque;
    size_t n = 0;
    if (r->prefix_off < r->prefix_len) {
        n = r->prefix_len - r->prefix_off;
        if (n > (size_t)size) n = (size_t)size;
        memcpy(buf, r->prefix + r->prefix_off, n);
        r->prefix_off += n;
        return (int)n;
    }
    n = fread(buf, 1, (size_t)size, r->f);
    if (n == 0) {
        if (ferror(r->f)) {
            r->io_error = errno ? errno : EIO;
            return AVERROR(r->io_error);
        }
        return AVERROR_EOF;
    }
    return (int)n;
}

void webm_reader_close(webm_reader *r)
{
    if (!r) return;
    avformat_close_input(&r->ic);
    if (r->pb) {
        av_freep(&r->pb->buffer);
        avio_context_free(&r->pb);
    }
    av_packet_free(&r->pkt);
    free(r);
}

int webm_reader_open(webm_reader **out, FILE *f, const uint8_t *prefix, size_t prefix_len,
                     int *width, int *height, uint32_t *rate, uint32_t *scale,
                     char fourcc[5], char *err, size_t errlen)
{
    *out = NULL;
    if (av_api_load(err, errlen) != 0)
        return -1;
    webm_reader *r = calloc(1, sizeof(*r));
    uint8_t *buf = av_malloc(IO_BUF);
    if (!r || !buf || prefix_len > sizeof(r->prefix)) {
        av_free(buf);
        free(r);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->f = f;
    memcpy(r->prefix, prefix, prefix_len);
    r->prefix_len = prefix_len;
    /* Read forward only: the prefix cannot be read twice, and stdin cannot seek. */
    r->pb = avio_alloc_context(buf, IO_BUF, 0, r, read_cb, NULL, NULL);
    r->ic = avformat_alloc_context();
    r->pkt = av_packet_alloc();
    if (!r->pb || !r->ic || !r->pkt) {
        if (!r->pb) av_free(buf);
        webm_reader_close(r);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->pb->seekable = 0;
    r->ic->pb = r->pb;
    r->ic->flags |= AVFMT_FLAG_CUSTOM_IO;
    const AVInputFormat *fmt = av_find_input_format("matroska");
    int e = avformat_open_input(&r->ic, NULL, fmt, NULL); /* frees ic on failure */
    if (e < 0) {
        if (r->io_error)
            snprintf(err, errlen, "read error: %s", strerror(r->io_error));
        else
            av_fail(err, errlen, "not a readable WebM file", e);
        webm_reader_close(r);
        return -1;
    }
    r->stream = -1;
    for (unsigned i = 0; i < r->ic->nb_streams; i++)
        if (r->ic->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
            r->stream = (int)i;
            break;
        }
    if (r->stream < 0) {
        snprintf(err, errlen, "the WebM file has no video track");
        webm_reader_close(r);
        return -1;
    }
    AVStream *st = r->ic->streams[r->stream];
    enum AVCodecID id = st->codecpar->codec_id;
    snprintf(fourcc, 5, "%s", id == AV_CODEC_ID_VP8 ? "VP80" : id == AV_CODEC_ID_VP9 ? "VP90" : "????");
    *width = st->codecpar->width;
    *height = st->codecpar->height;
    /* A frame's duration: the frame rate if the file states one, else the track's
     * default duration as libavformat reads it, else 1/30 s (as vpxdec assumes). */
    AVRational fr = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    if (fr.num <= 0 || fr.den <= 0) fr = (AVRational){30, 1};
    *rate = (uint32_t)fr.num;
    *scale = (uint32_t)fr.den;
    r->frame_tb = (AVRational){fr.den, fr.num};
    *out = r;
    return 0;
}

/* At the end of the data: 0 if the frames fill the Duration the file states (less
 * half a frame), else -1. The demuxer ends quietly where a file was cut off; the
 * Duration (written last, into the header) tells that frames are missing. A live
 * stream states no Duration and cannot be checked. */
static int check_complete(webm_reader *r, char *err, size_t errlen)
{
    const AVStream *st = r->ic->streams[r->stream];
    if (r->ic->duration == AV_NOPTS_VALUE || r->ic->duration <= 0) return 0;
    int64_t want = av_rescale_q(r->ic->duration, AV_TIME_BASE_Q, st->time_base);
    int64_t half = av_rescale_q(1, r->frame_tb, st->time_base) / 2;
    if (r->end >= want - half) return 0;
    snprintf(err, errlen, "truncated: the frames end at %.3f s of the %.3f s the file states",
             r->end * av_q2d(st->time_base), r->ic->duration / (double)AV_TIME_BASE);
    return -1;
}

int webm_read_frame(webm_reader *r, const uint8_t **data, size_t *len, uint64_t *pts,
                    char *err, size_t errlen)
{
    for (;;) {
        av_packet_unref(r->pkt);
        int e = av_read_frame(r->ic, r->pkt);
        if (e == AVERROR_EOF && !r->io_error) return check_complete(r, err, errlen);
        if (e < 0) {
            if (r->io_error)
                snprintf(err, errlen, "read error: %s", strerror(r->io_error));
            else
                av_fail(err, errlen, "corrupt WebM", e);
            return -1;
        }
        if (r->pkt->stream_index != r->stream) continue;
        if (r->pkt->pts != AV_NOPTS_VALUE && r->pkt->pts + r->pkt->duration > r->end)
            r->end = r->pkt->pts + r->pkt->duration;
        *data = r->pkt->data;
        *len = (size_t)r->pkt->size;
        if (pts) {
            int64_t t = r->pkt->pts != AV_NOPTS_VALUE ? r->pkt->pts : r->pkt->dts;
            t = t == AV_NOPTS_VALUE ? 0
                                    : av_rescale_q(t, r->ic->streams[r->stream]->time_base,
                                                   r->frame_tb);
            *pts = t < 0 ? 0 : (uint64_t)t;
        }
        return 1;
    }
}

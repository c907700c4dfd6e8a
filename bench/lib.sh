# shellcheck shell=bash disable=SC2034 # (sets variables for the scripts that source it)
# Sourced by the benchmarks (pipeline.sh, vbr.sh): their common set-up and the quality of
# a stream as the README asks for it.

# usage: bench_prepare NAME: a temp dir $TMP (removed on exit), the binary $SRC_BIN copied
# to $EXCAM (so that a rebuild during the run changes nothing), $commit (the tree's, with
# "with uncommitted changes" if it differs from HEAD outside bench/results), $START.
bench_prepare() {
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/excam-$1.XXXXXX") || die "cannot make a temp dir"
    trap 'rm -rf "$TMP"' EXIT
    cp "$SRC_BIN" "$TMP/excam" || die "cannot copy $SRC_BIN"
    EXCAM=$TMP/excam
    commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    # (Results of earlier runs in bench/results are not code.)
    git -C "$ROOT" diff --quiet HEAD -- . ':!bench/results' 2>/dev/null || commit+=" with uncommitted changes"
    START=$SECONDS
}

# usage: y4m_info FILE: $W, $H, $N (frames) and $FPS of a Y4M file (4:2:0, no frame
# parameters).
y4m_info() {
    local hdr
    hdr=$(head -n 1 "$1")
    W=$(grep -o ' W[0-9]*' <<<"$hdr" | tr -d ' W')
    H=$(grep -o ' H[0-9]*' <<<"$hdr" | tr -d ' H')
    N=$(($(($(stat -c %s "$1") - ${#hdr} - 1)) / (6 + W * H + 2 * ((W + 1) / 2) * ((H + 1) / 2))))
    FPS=$(grep -o ' F[0-9]*:[0-9]*' <<<"$hdr" | tr -d ' F' | awk -F: '{ print $1 / $2 }')
}

# The quality: libvpx's decoding against the source, frames paired by index.
#
# usage: quality IVF SRC.y4m W H TMPDIR: prints "psnr ssim_db" (ffmpeg's average PSNR and
# SSIM in dB); status 1 after a message on stderr if vpxdec or ffmpeg fails.
quality() {
    local ivf=$1 src=$2 w=$3 h=$4 yuv=$5/quality-dec.yuv log
    vpxdec --i420 -o "$yuv" "$ivf" >/dev/null 2>&1 || { echo "vpxdec failed on $ivf" >&2; return 1; }
    # Both inputs get timestamps 0, 1, 2, ... in one time base: frames pair by index.
    log=$(ffmpeg -hide_banner -nostdin -f rawvideo -pix_fmt yuv420p -s "${w}x$h" -i "$yuv" \
        -i "$src" -lavfi "[0:v]settb=AVTB,setpts=N[x];[1:v]settb=AVTB,setpts=N[y];[x]split[a][b];[y]split[c][d];[a][c]ssim;[b][d]psnr" \
        -f null - 2>&1) || { rm -f "$yuv"; echo "ffmpeg psnr/ssim failed on $ivf" >&2; return 1; }
    rm -f "$yuv"
    awk '/Parsed_psnr/ { for (i = 1; i <= NF; i++) if ($i ~ /^average:/) p = substr($i, 9) }
         /Parsed_ssim/ { for (i = 1; i <= NF; i++) if ($i ~ /^All:/) d = $(i + 1) }
         END { gsub(/[()]/, "", d); if (p == "" || d == "") exit 1; print p, d }' <<<"$log" ||
        { echo "no PSNR or SSIM from ffmpeg for $ivf" >&2; return 1; }
}

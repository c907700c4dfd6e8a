#!/usr/bin/env bash
# The demo (the README's first command): install what is missing, build, and run the
# main job on a sample: encode a real camera clip with the ExCamera[6,16] pipeline on local
# worker processes, check that libvpx's decoder shows exactly the frames excam's decoder
# shows, and report size and quality next to a serial encode. Then decode a conformance
# vector against libvpx's MD5s. Without the test data, a synthetic clip stands in.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash scripts/deps.sh
make -j"$(nproc)" all >/dev/null

EXCAM=$ROOT/build/excam
DATA=${EXCAM_DATA:-$ROOT/../shared/data}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/excam-demo.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# ---------------------------------------------------------------- the sample
clip=$DATA/clips/camera/BA1_FT_C.264
if [[ -f $clip ]]; then
    echo "demo: sample: the first 60 frames of $clip (foreman, 352x288)"
    ffmpeg -v error -nostdin -i "$clip" -frames:v 60 -pix_fmt yuv420p -f yuv4mpegpipe \
        "$WORK/src.y4m"
else
    echo "demo: $clip not found; using a synthetic 352x288 clip"
    ffmpeg -v error -nostdin -f lavfi -i testsrc2=size=352x288:rate=30 -frames:v 60 \
        -pix_fmt yuv420p -f yuv4mpegpipe "$WORK/src.y4m"
fi

# ---------------------------------------------------------------- the parallel encode
workers=$(nproc)
start=$EPOCHREALTIME
"$EXCAM" encode "$WORK/src.y4m" --chunk 6 --rebase 16 --workers "$workers" -o "$WORK/out.ivf"
end=$EPOCHREALTIME
printf 'demo: ExCamera[6,16] with %d local workers: 60 frames in 10 chunks, %.2f s\n' \
    "$workers" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')"

# ---------------------------------------------------------------- verify by decoding
vpxdec --codec=vp8 --i420 --md5 -o "f-%wx%h-%4.i420" "$WORK/out.ivf" |
    sed -E 's/  .*-([0-9]+)\.i420$/ \1/' >"$WORK/vpx.md5"
"$EXCAM" decode "$WORK/out.ivf" --md5 | sed -E 's/  .*-([0-9]+)\.i420$/ \1/' >"$WORK/excam.md5"
if ! cmp -s "$WORK/vpx.md5" "$WORK/excam.md5" || [[ $(wc -l <"$WORK/vpx.md5") != 60 ]]; then
    echo "demo: FAILED: vpxdec and excam decode disagree on the encoded stream"
    diff "$WORK/vpx.md5" "$WORK/excam.md5" | head -n 10
    exit 1
fi
keys=$("$EXCAM" info "$WORK/out.ivf" | grep -c ' key ' || true)
echo "demo: vpxdec (libvpx) decodes all 60 frames to exactly excam's frames (MD5 per frame); $keys key frame"

# ---------------------------------------------------------------- next to a serial encode
# PSNR of libvpx's decoding against the source (frames paired by index).
psnr() {
    vpxdec --codec=vp8 --i420 -o "$WORK/dec.yuv" "$1"
    ffmpeg -nostdin -f rawvideo -pix_fmt yuv420p -s 352x288 -i "$WORK/dec.yuv" -i "$WORK/src.y4m" \
        -lavfi "[0:v]settb=AVTB,setpts=N[a];[1:v]settb=AVTB,setpts=N[b];[a][b]psnr" -f null - 2>&1 |
        grep -o 'average:[0-9.inf]*' | cut -d: -f2
}
"$EXCAM" encode "$WORK/src.y4m" -o "$WORK/serial.ivf" -q
printf 'demo: %-28s %7d bytes, PSNR %.2f dB\n' "parallel (ExCamera[6,16])" \
    "$(stat -c %s "$WORK/out.ivf")" "$(psnr "$WORK/out.ivf")"
printf 'demo: %-28s %7d bytes, PSNR %.2f dB\n' "serial (one encoder)" \
    "$(stat -c %s "$WORK/serial.ivf")" "$(psnr "$WORK/serial.ivf")"

# ---------------------------------------------------------------- the decoder
vec=$DATA/vp8-test-vectors/vp80-05-sharpness-1438.ivf
if [[ -f $vec ]]; then
    "$EXCAM" decode "$vec" --md5 >"$WORK/vec.md5"
    if ! diff -q "$vec.md5" "$WORK/vec.md5" >/dev/null; then
        echo "demo: FAILED: $vec decodes to other frames than libvpx's reference MD5s"
        exit 1
    fi
    echo "demo: conformance vector $(basename "$vec"): all $(wc -l <"$vec.md5") frames match libvpx's MD5s"
fi
echo "demo: OK"

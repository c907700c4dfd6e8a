#!/usr/bin/env bash
# The demo (the README's first command): install what is missing, build, and run the
# main job on a sample: encode a real camera clip with excam (in two halves, the second
# encoded against the decoder state the first one ended in, as the ExCamera pipeline
# stitches chunks), check that libvpx's decoder shows exactly the frames excam's decoder
# shows and that the stitched stream is the one-pass encode, and report size and quality.
# Then decode a conformance vector
# against libvpx's MD5s. Without the test data, a synthetic clip stands in.
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

# ---------------------------------------------------------------- encode in two halves
start=$EPOCHREALTIME
"$EXCAM" encode "$WORK/src.y4m" --limit 30 -o "$WORK/a.ivf" --state-out "$WORK/a.state" -q
"$EXCAM" encode "$WORK/src.y4m" --skip 30 -o "$WORK/b.ivf" --state-in "$WORK/a.state" -q
end=$EPOCHREALTIME
# One stream: the first half's IVF, then the second half's frames (its 32-byte header off).
{ cat "$WORK/a.ivf"; tail -c +33 "$WORK/b.ivf"; } >"$WORK/out.ivf"
keys=$("$EXCAM" info "$WORK/out.ivf" | grep -c ' key ' || true)
printf 'demo: encoded 60 frames in %.2f s as two halves of 30; the second half starts with an inter frame on the first half'"'"'s final state (%d key frame in the stream)\n' \
    "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$keys"

# ---------------------------------------------------------------- verify by decoding
vpxdec --codec=vp8 --i420 --md5 -o "f-%wx%h-%4.i420" "$WORK/out.ivf" |
    sed -E 's/  .*-([0-9]+)\.i420$/ \1/' >"$WORK/vpx.md5"
"$EXCAM" decode "$WORK/out.ivf" --md5 | sed -E 's/  .*-([0-9]+)\.i420$/ \1/' >"$WORK/excam.md5"
if ! cmp -s "$WORK/vpx.md5" "$WORK/excam.md5" || [[ $(wc -l <"$WORK/vpx.md5") != 60 ]]; then
    echo "demo: FAILED: vpxdec and excam decode disagree on the encoded stream"
    diff "$WORK/vpx.md5" "$WORK/excam.md5" | head -n 10
    exit 1
fi
echo "demo: vpxdec (libvpx) decodes all 60 frames to exactly excam's frames (MD5 per frame)"

# ---------------------------------------------------------------- one pass, quality
# PSNR of libvpx's decoding against the source (frames paired by index).
psnr() {
    vpxdec --codec=vp8 --i420 -o "$WORK/dec.yuv" "$1"
    ffmpeg -nostdin -f rawvideo -pix_fmt yuv420p -s 352x288 -i "$WORK/dec.yuv" -i "$WORK/src.y4m" \
        -lavfi "[0:v]settb=AVTB,setpts=N[a];[1:v]settb=AVTB,setpts=N[b];[a][b]psnr" -f null - 2>&1 |
        grep -o 'average:[0-9.inf]*' | cut -d: -f2
}
"$EXCAM" encode "$WORK/src.y4m" -o "$WORK/whole.ivf" -q
# Frame by frame (the IVF headers differ: the second half's timestamps restart at 0).
frames() { "$EXCAM" info "$1" | grep '^frame' | sed -E 's/ pts +[0-9]+ +/ /'; }
if [[ $(frames "$WORK/whole.ivf") == "$(frames "$WORK/out.ivf")" ]] &&
    [[ $(tail -c +33 "$WORK/whole.ivf" | wc -c) == $(($(stat -c %s "$WORK/a.ivf") + $(stat -c %s "$WORK/b.ivf") - 64)) ]] &&
    cmp -s <(vpxdec --codec=vp8 --md5 "$WORK/whole.ivf") <(vpxdec --codec=vp8 --md5 "$WORK/out.ivf"); then
    echo "demo: the stitched stream equals a one-pass encode (every frame's header and size, all decoded pictures)"
else
    echo "demo: FAILED: the stitched stream differs from the one-pass encode"
    exit 1
fi
fps=$(head -n 1 "$WORK/src.y4m" | grep -o ' F[0-9]*:[0-9]*' | tr -d ' F' | awk -F: '{ print $1 / $2 }')
printf 'demo: %d bytes (%.0f kbit/s at %s fps), PSNR %.2f dB (libvpx decoding vs the source)\n' \
    "$(stat -c %s "$WORK/out.ivf")" \
    "$(awk -v b="$(stat -c %s "$WORK/out.ivf")" -v f="$fps" 'BEGIN { print b * 8 / 60 * f / 1000 }')" \
    "$fps" "$(psnr "$WORK/out.ivf")"

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

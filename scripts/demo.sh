#!/usr/bin/env bash
# The demo (the README's first command): install what is missing, build, and run the
# main job on a sample. For now excam is a decoder: decode a VP8 conformance vector and
# check every frame's MD5 against libvpx's reference list, then show the state API
# at work (dump the state mid-stream, resume from it, compare). When the test data is
# absent, a sample is made with vpxenc and checked against vpxdec instead.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash scripts/deps.sh
make -j"$(nproc)" all >/dev/null

EXCAM=$ROOT/build/excam
DATA=${EXCAM_DATA:-$ROOT/../shared/data}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/excam-demo.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

vec=$DATA/vp8-test-vectors/vp80-05-sharpness-1438.ivf
if [[ -f $vec ]]; then
    cp "$vec.md5" "$WORK/ref.md5"
    echo "demo: sample $vec (reference MD5s: libvpx's)"
else
    echo "demo: $DATA not found; making a sample with vpxenc"
    ffmpeg -v error -nostdin -f lavfi -i testsrc2=size=352x288:rate=30 -frames:v 30 \
        -pix_fmt yuv420p -f yuv4mpegpipe "$WORK/src.y4m"
    vec=$WORK/sample.ivf
    vpxenc --codec=vp8 --ivf -q --good --cpu-used=4 --auto-alt-ref=1 --lag-in-frames=10 \
        -o "$vec" "$WORK/src.y4m" 2>/dev/null
    vpxdec --i420 --md5 -o "sample-%wx%h-%4.i420" "$vec" >"$WORK/ref.md5"
fi

"$EXCAM" info "$vec" | tail -n 1
start=$EPOCHREALTIME
"$EXCAM" decode "$vec" --md5 -o "$WORK/out.y4m" >"$WORK/out.md5"
end=$EPOCHREALTIME
n=$(wc -l <"$WORK/ref.md5")
if ! diff -q "$WORK/ref.md5" "$WORK/out.md5" >/dev/null; then
    echo "demo: FAILED: excam's frames differ from the reference:"
    diff "$WORK/ref.md5" "$WORK/out.md5" | head -n 10
    exit 1
fi
printf 'demo: decoded %d frames in %.3f s; all %d MD5s match the reference\n' \
    "$n" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$n"

# The explicit state: dump it after frame 5, resume from it, compare the rest.
"$EXCAM" state dump "$vec" --frame 5 -o "$WORK/state.bin"
"$EXCAM" decode "$vec" --state-in "$WORK/state.bin" --skip 5 --md5 >"$WORK/resume.md5"
# Lines are named by input frame number (hidden frames leave gaps): keep those after 5.
awk '{ s = $2; sub(/\.i420$/, "", s); sub(/^.*-/, "", s); if (s + 0 > 5) print }' \
    "$WORK/ref.md5" >"$WORK/ref-tail.md5"
if ! diff -q "$WORK/ref-tail.md5" "$WORK/resume.md5" >/dev/null; then
    echo "demo: FAILED: resuming from the state after frame 5 gives different frames"
    exit 1
fi
echo "demo: state after frame 5: $(stat -c %s "$WORK/state.bin") bytes, hash" \
    "$("$EXCAM" state hash --state "$WORK/state.bin" | cut -c1-16)…; resuming from it" \
    "matches the last $(wc -l <"$WORK/ref-tail.md5") shown frames"
echo "demo: OK (output: $(stat -c %s "$WORK/out.y4m") bytes of Y4M, removed)"

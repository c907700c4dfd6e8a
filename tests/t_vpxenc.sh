#!/usr/bin/env bash
# Streams made at test time with libvpx's encoder, covering encoder features the
# conformance vectors exercise little or not at all (tiny, odd and very wide frames,
# token partitions, alt-ref with lag, error resilience, sharpness, real-time speeds,
# extreme quantizers, noise sensitivity, frequent key frames, static threshold,
# spatial resampling). For each, `excam decode --md5` must print exactly what
# `vpxdec --i420 --md5` prints.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_tool ffmpeg
need_tool vpxenc
need_tool vpxdec
grep -q 'vp8 .*VP8 Encoder' <(vpxenc --help 2>&1) || skip "this vpxenc has no VP8 encoder"
need_excam

# ------------------------------------------------------------------ sources

# usage: source NAME WxH FRAMES KIND; writes $SCRATCH/NAME.y4m (once).
# KIND: testsrc2 | mandelbrot | noise | camera. Sizes are made by scaling, so any
# size works, odd ones included (lavfi sources round some sizes to even).
make_source() {
    local name=$1 size=$2 frames=$3 kind=$4 input
    local out=$SCRATCH/$name.y4m
    [[ -f $out ]] && return 0
    case $kind in
    testsrc2) input=(-f lavfi -i "testsrc2=size=320x240:rate=30") ;;
    mandelbrot) input=(-f lavfi -i "mandelbrot=size=320x240:rate=30") ;;
    noise) input=(-f lavfi -i "testsrc2=size=320x240:rate=30,noise=alls=40:allf=t+u") ;;
    camera) input=(-i "$CAMERA") ;;
    *) die "unknown source kind $kind" ;;
    esac
    ffmpeg -v error -nostdin -y "${input[@]}" -frames:v "$frames" \
        -vf "scale=${size%x*}:${size#*x}:flags=bicubic" -pix_fmt yuv420p \
        -f yuv4mpegpipe "$out"
}

# Real camera content when the test data is present, else a synthetic stand-in.
CAMERA=$DATA/clips/camera/bus_352x288_17f.y4m
camera_kind=camera
if [[ ! -f $CAMERA ]]; then
    echo "note: $CAMERA not found, using testsrc2+noise instead of camera content"
    camera_kind=noise
fi

# ------------------------------------------------------------------ cases

passed=0 failed=0

# usage: enc_case NAME SOURCE-NAME SIZE FRAMES KIND [vpxenc options...]
enc_case() {
    local name=$1 src=$2 size=$3 frames=$4 kind=$5
    shift 5
    local ivf=$SCRATCH/$name.ivf rc=0
    make_source "$src" "$size" "$frames" "$kind"
    if ! vpxenc --codec=vp8 --ivf -q --disable-warning-prompt "$@" -o "$ivf" \
        "$SCRATCH/$src.y4m" >"$SCRATCH/enc.log" 2>&1 </dev/null; then
        echo "FAIL $name: vpxenc failed: $*"
        sed 's/^/  /' "$SCRATCH/enc.log" | tail -n 5
        failed=$((failed + 1))
        return
    fi
    vpxdec --i420 --md5 -o "$name-%wx%h-%4.i420" "$ivf" >"$SCRATCH/$name.ref"
    "$EXCAM" decode "$ivf" --md5 >"$SCRATCH/$name.out" 2>"$SCRATCH/$name.err" || rc=$?
    if ((rc != 0)) || crashed "$rc" "$SCRATCH/$name.err"; then
        echo "FAIL $name: excam exited with status $rc (vpxenc $*)"
        tail -n 5 "$SCRATCH/$name.err" | sed 's/^/  /'
        failed=$((failed + 1))
    elif ! md5_compare "$SCRATCH/$name.ref" "$SCRATCH/$name.out" >"$SCRATCH/diff"; then
        echo "FAIL $name: differs from vpxdec (vpxenc $*)"
        sed 's/^/  /' "$SCRATCH/diff"
        failed=$((failed + 1))
    else
        echo "ok   $name ($(ivf_frame_count "$ivf") frames, $(wc -l <"$SCRATCH/$name.ref") shown)"
        passed=$((passed + 1))
    fi
}

good=(--good --cpu-used=4)
cam=(camera 352x288 17 "$camera_kind")

# Frame sizes: smaller than a macroblock, exactly one, odd, and wider than 2048.
enc_case size_1x1 tiny1 1x1 10 testsrc2 "${good[@]}"
enc_case size_2x2 tiny2 2x2 10 testsrc2 "${good[@]}"
enc_case size_16x16 mb16 16x16 10 mandelbrot "${good[@]}"
enc_case size_33x17_odd odd33 33x17 20 noise "${good[@]}" --kf-max-dist=7
enc_case size_2200x64_wide wide 2200x64 6 testsrc2 "${good[@]}" --token-parts=3

# Token partitions: 1, 2, 4, 8 (352x288 has 18 macroblock rows).
for tp in 0 1 2 3; do
    enc_case token_parts_$tp "${cam[@]}" "${good[@]}" --token-parts=$tp --threads=2
done

# Hidden alt-ref frames: two-pass, lagged, with ARNR filtering.
enc_case altref_lag16_2pass mandel128 128x96 64 mandelbrot --good --cpu-used=2 --passes=2 \
    --auto-alt-ref=1 --lag-in-frames=16 --arnr-maxframes=7 --arnr-strength=5
enc_case altref_camera_2pass "${cam[@]}" --good --cpu-used=1 --passes=2 \
    --auto-alt-ref=1 --lag-in-frames=16 --end-usage=vbr --target-bitrate=400

enc_case error_resilient "${cam[@]}" "${good[@]}" --error-resilient=1 --token-parts=2

for sharp in 0 3 7; do
    enc_case sharpness_$sharp "${cam[@]}" "${good[@]}" --sharpness=$sharp
done

for speed in 4 8 16; do
    enc_case rt_cpu_used_$speed "${cam[@]}" --rt --cpu-used=$speed --end-usage=cbr \
        --target-bitrate=300
done

enc_case q0 "${cam[@]}" "${good[@]}" --min-q=0 --max-q=0
enc_case q63 "${cam[@]}" "${good[@]}" --min-q=63 --max-q=63
enc_case noise_sensitivity_3 noisy 160x96 15 noise "${good[@]}" --noise-sensitivity=3
enc_case kf_max_dist_3 "${cam[@]}" "${good[@]}" --kf-min-dist=0 --kf-max-dist=3
enc_case static_thresh_800 "${cam[@]}" --rt --cpu-used=6 --static-thresh=800
enc_case screen_content mb16x_testsrc 208x120 15 testsrc2 --rt --cpu-used=8 \
    --screen-content-mode=1
# Spatial resampling: the encoder codes smaller frames with scaling bits in the key
# frame header (vpxdec outputs the coded size).
enc_case resize_cbr "${cam[@]}" --rt --cpu-used=8 --end-usage=cbr --target-bitrate=30 \
    --resize-allowed=1 --resize-down=90 --resize-up=95 --buf-initial-sz=100 --buf-sz=200

# Key frames that change the picture size mid-stream: three streams of different sizes
# (the middle one odd) joined into one IVF (the frames of each after the 32-byte header).
size_change() {
    local name=size_change ivf=$SCRATCH/size_change.ivf rc=0 part
    for part in "160x96 sc_a" "33x17 sc_b" "352x288 sc_c"; do
        set -- $part
        make_source "$2" "$1" 5 testsrc2
        vpxenc --codec=vp8 --ivf -q --disable-warning-prompt --good --cpu-used=4 \
            -o "$SCRATCH/$2.ivf" "$SCRATCH/$2.y4m" >/dev/null 2>&1 </dev/null ||
            { echo "FAIL $name: vpxenc failed on $1"; failed=$((failed + 1)); return; }
    done
    { cat "$SCRATCH/sc_a.ivf"; tail -c +33 "$SCRATCH/sc_b.ivf"; tail -c +33 "$SCRATCH/sc_c.ivf"; } >"$ivf"
    vpxdec --i420 --md5 -o "$name-%wx%h-%4.i420" "$ivf" >"$SCRATCH/$name.ref"
    "$EXCAM" decode "$ivf" --md5 >"$SCRATCH/$name.out" 2>"$SCRATCH/$name.err" || rc=$?
    if ((rc != 0)) || crashed "$rc" "$SCRATCH/$name.err"; then
        echo "FAIL $name: excam exited with status $rc"
        failed=$((failed + 1))
    elif [[ $(cut -d- -f2 "$SCRATCH/$name.ref" | sort -u | wc -l) != 3 ]]; then
        echo "FAIL $name: expected three picture sizes in vpxdec's listing"
        failed=$((failed + 1))
    elif ! md5_compare "$SCRATCH/$name.ref" "$SCRATCH/$name.out" >"$SCRATCH/diff"; then
        echo "FAIL $name: differs from vpxdec"
        sed 's/^/  /' "$SCRATCH/diff"
        failed=$((failed + 1))
    else
        echo "ok   $name (160x96 -> 33x17 -> 352x288, $(wc -l <"$SCRATCH/$name.ref") frames)"
        passed=$((passed + 1))
    fi
}
size_change

echo "vpxenc: $passed passed, $failed failed"
((failed == 0))

#!/usr/bin/env bash
# The encoder (excam encode): every stream it writes, over rate-control modes, presets,
# stream options, sizes from 1x1 to wider than 2048 and static to noisy content, must
#  - encode with --verify (the encoder's own reconstruction, loop-filtered, equals the
#    decoder's picture for every frame: a mismatch fails the encode),
#  - decode with libvpx (`vpxdec --i420 --md5`) to exactly the frames that
#    `excam decode --md5` gives, one shown frame per input frame.
# And a frame encoded against a state from another stream (--state-in; issue 4, point 2):
# vpxdec, fed stream A's frames then that inter frame, shows what excam's decoder shows.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_tool ffmpeg
need_tool vpxdec
need_excam

# usage: make_source NAME WxH FRAMES KIND; writes $SCRATCH/NAME.y4m (once).
# KIND: testsrc2 (moving synthetic), still (one picture repeated), noise (every pixel
# changes), mandelbrot (zooming), camera (real footage when the test data has it).
CAMERA=$DATA/clips/camera/bus_352x288_17f.y4m
make_source() {
    local name=$1 size=$2 frames=$3 kind=$4 input
    local out=$SCRATCH/$name.y4m
    [[ -f $out ]] && return 0
    case $kind in
    testsrc2) input=(-f lavfi -i "testsrc2=size=320x240:rate=30") ;;
    still) input=(-f lavfi -i "testsrc2=size=320x240:rate=30,trim=end_frame=1,loop=loop=-1:size=1") ;;
    noise) input=(-f lavfi -i "testsrc2=size=320x240:rate=30,noise=alls=60:allf=t+u") ;;
    stillnoise) input=(-f lavfi -i "testsrc2=size=320x240:rate=30,trim=end_frame=1,loop=loop=-1:size=1,noise=alls=10:allf=t") ;;
    mandelbrot) input=(-f lavfi -i "mandelbrot=size=320x240:rate=30") ;;
    camera)
        if [[ -f $CAMERA ]]; then
            input=(-i "$CAMERA")
        else
            input=(-f lavfi -i "testsrc2=size=320x240:rate=30,noise=alls=20:allf=t")
        fi
        ;;
    *) die "unknown source kind $kind" ;;
    esac
    ffmpeg -v error -nostdin -y "${input[@]}" -frames:v "$frames" \
        -vf "scale=${size%x*}:${size#*x}:flags=bicubic" -pix_fmt yuv420p \
        -f yuv4mpegpipe "$out"
}
[[ -f $CAMERA ]] || echo "note: $CAMERA not found: a noisy synthetic clip stands in for camera content"

passed=0 failed=0

# usage: check_stream NAME IVF FRAMES: vpxdec and excam decode agree on every frame,
# and there are FRAMES shown frames.
check_stream() {
    local name=$1 ivf=$2 frames=$3 n
    if ! vpxdec --codec=vp8 --i420 --md5 -o "$name-%wx%h-%4.i420" "$ivf" \
        >"$SCRATCH/want.md5" 2>"$SCRATCH/dec.log"; then
        echo "FAIL $name: vpxdec rejects the stream"
        sed 's/^/  /' "$SCRATCH/dec.log" | tail -n 3
        return 1
    fi
    if ! "$EXCAM" decode --md5 "$ivf" >"$SCRATCH/got.md5" 2>"$SCRATCH/dec.log"; then
        echo "FAIL $name: excam decode rejects the stream"
        sed 's/^/  /' "$SCRATCH/dec.log" | tail -n 3
        return 1
    fi
    # excam names frames after the file; vpxdec after -o: compare the hashes and numbers.
    sed -E 's/  .*-([0-9]+)\.i420$/ \1/' "$SCRATCH/want.md5" >"$SCRATCH/want"
    sed -E 's/  .*-([0-9]+)\.i420$/ \1/' "$SCRATCH/got.md5" >"$SCRATCH/got"
    if ! md5_compare "$SCRATCH/want" "$SCRATCH/got" >"$SCRATCH/diff"; then
        echo "FAIL $name: excam decode and vpxdec differ"
        sed 's/^/  /' "$SCRATCH/diff"
        return 1
    fi
    n=$(wc -l <"$SCRATCH/want")
    if ((n != frames)); then
        echo "FAIL $name: $n frames shown, $frames expected"
        return 1
    fi
    return 0
}

# usage: enc_case NAME SOURCE-NAME SIZE FRAMES KIND [excam encode options...]
# Encodes the first FRAMES frames of the source (options may override --limit).
enc_case() {
    local name=$1 src=$2 size=$3 frames=$4 kind=$5
    shift 5
    local ivf=$SCRATCH/$name.ivf rc=0
    make_source "$src" "$size" "$frames" "$kind"
    "$EXCAM" encode "$SCRATCH/$src.y4m" -o "$ivf" -q --verify --limit "$frames" "$@" >"$SCRATCH/enc.log" 2>&1 || rc=$?
    if crashed "$rc" "$SCRATCH/enc.log" || ((rc != 0)); then
        echo "FAIL $name: excam encode $* exited with $rc"
        sed 's/^/  /' "$SCRATCH/enc.log" | tail -n 5
        failed=$((failed + 1))
        return 0
    fi
    if check_stream "$name" "$ivf" "$frames"; then
        echo "ok   $name ($size, $frames frames, $(stat -c %s "$ivf") bytes): $*"
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
    rm -f "$ivf"
}

# Rate control and quantizers.
enc_case q-default cam 352x288 12 camera
enc_case q0 cam 352x288 6 camera --end-usage q --min-q 0 --max-q 0 --cq-level 0
enc_case q63 cam 352x288 12 camera --end-usage q --cq-level 63 --min-q 63
enc_case cq cam 352x288 12 camera --end-usage cq --cq-level 30 --target-bitrate 300
enc_case vbr cam 352x288 12 camera --end-usage vbr --target-bitrate 400
enc_case cbr cam 352x288 12 camera --end-usage cbr --target-bitrate 200
# Presets and speeds.
enc_case best cam 352x288 6 camera --best
enc_case good-cpu0 cam 352x288 6 camera --good --cpu-used 0
enc_case good-cpu2 cam 352x288 8 camera --good --cpu-used 2
enc_case rt cam 352x288 12 camera --rt
enc_case rt-cpu9 cam 352x288 12 camera --rt --cpu-used 9
# Stream options.
enc_case keyframes-only cam 352x288 8 camera --kf-max-dist 1
enc_case kf-every-5 cam 352x288 12 camera --kf-max-dist 5
enc_case parts2 cam 352x288 6 camera --token-parts 1
enc_case parts4 cam 352x288 6 camera --token-parts 2
enc_case parts8 cam 352x288 6 camera --token-parts 3
enc_case sharpness7 cam 352x288 6 camera --sharpness 7
enc_case error-resilient cam 352x288 8 camera --error-resilient
enc_case skip-limit cam 352x288 5 camera --skip 3 --limit 5
# Sizes: tiny, odd, not a multiple of 16, wider than 2048.
enc_case size-1x1 s1x1 1x1 4 testsrc2
enc_case size-2x2 s2x2 2x2 4 testsrc2
enc_case size-3x5 s3x5 3x5 4 testsrc2 --cq-level 5
enc_case size-17x9 s17x9 17x9 5 mandelbrot
enc_case size-33x47 s33x47 33x47 5 testsrc2 --rt
enc_case size-175x143 s175x143 175x143 5 camera
enc_case wide-2100x48 wide 2100x48 3 testsrc2
enc_case tall-40x1100 tall 40x1100 2 mandelbrot
# Content: a long inter run on a still picture, zooming, and noise.
enc_case still-long still 160x96 60 still
enc_case zoom mandel 160x120 20 mandelbrot
enc_case noise noise 160x120 8 noise
enc_case noise-q0 noise 160x120 3 noise --end-usage q --min-q 0 --max-q 0 --cq-level 0

# ----------------------------------------------------------- key frames at scene cuts

# 10 frames of camera content, then 10 of a different scene: key frames at 1 and 11
# only; a long still and a moving camera clip get no key frame but the first.
scene_cuts() {
    make_source cam 352x288 12 camera
    make_source zoom352 352x288 10 mandelbrot
    # The inputs' frame rates differ: timestamps set to 30 fps; at most 20 frames out.
    ffmpeg -v error -nostdin -y -i "$SCRATCH/cam.y4m" -i "$SCRATCH/zoom352.y4m" \
        -filter_complex "[0:v]trim=end_frame=10,setpts=N/30/TB[a];[1:v]trim=end_frame=10,setpts=N/30/TB[b];[a][b]concat=n=2:v=1" \
        -fps_mode passthrough -frames:v 20 -pix_fmt yuv420p -f yuv4mpegpipe "$SCRATCH/cut.y4m"
    "$EXCAM" encode "$SCRATCH/cut.y4m" -o "$SCRATCH/cut.ivf" -q || { echo "FAIL scene-cut: encode"; return 1; }
    local keys
    keys=$("$EXCAM" info "$SCRATCH/cut.ivf" | awk '$5 == "key" { printf "%d ", $2 }')
    if [[ $keys != "1 11 " ]]; then
        echo "FAIL scene-cut: key frames at [$keys], expected [1 11 ]"
        return 1
    fi
    for src in still cam; do
        "$EXCAM" encode "$SCRATCH/$src.y4m" -o "$SCRATCH/nocut.ivf" -q
        keys=$("$EXCAM" info "$SCRATCH/nocut.ivf" | awk '$5 == "key" { printf "%d ", $2 }')
        if [[ $keys != "1 " ]]; then
            echo "FAIL scene-cut: $src has key frames at [$keys], expected [1 ]"
            return 1
        fi
    done
    check_stream scene-cut "$SCRATCH/cut.ivf" 20 || return 1
    echo "ok   scene-cut: key frames at the cut only"
}
if scene_cuts; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

# --verbose: the encoder's line per frame (type, quantizer, bytes) is what the decoder's
# --verbose reads back from the stream, frame by frame; the scene cut is named.
verbose_lines() {
    [[ -f $SCRATCH/cut.y4m ]] || { echo "FAIL verbose: no cut.y4m (scene-cut did not run)"; return 1; }
    "$EXCAM" encode "$SCRATCH/cut.y4m" -v -o "$SCRATCH/v.ivf" 2>"$SCRATCH/venc.log" ||
        { echo "FAIL verbose: encode -v failed"; return 1; }
    "$EXCAM" decode "$SCRATCH/v.ivf" -v --noblit 2>"$SCRATCH/vdec.log" ||
        { echo "FAIL verbose: decode -v failed"; return 1; }
    local enc dec
    enc=$(grep '^frame ' "$SCRATCH/venc.log" | sed 's/ (.*)$//')
    dec=$(grep '^frame ' "$SCRATCH/vdec.log")
    if [[ $(wc -l <<<"$enc") != 20 || $enc != "$dec" ]]; then
        echo "FAIL verbose: encode -v and decode -v disagree:"
        diff <(echo "$enc") <(echo "$dec") | head -5
        return 1
    fi
    if ! grep -q '^frame 11: key, .*(scene cut)$' "$SCRATCH/venc.log"; then
        echo "FAIL verbose: frame 11 not reported as a scene cut"
        return 1
    fi
    echo "ok   verbose: 20 frame lines, encoder and decoder agree; the scene cut named"
}
if verbose_lines; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

# Bitrate targets: on 90 frames of camera footage (foreman when the test data has it),
# vbr and cbr land within 5% of 300 and 900 kbit/s with the default two passes (a first
# pass over samples of the file) and within 8% with one (the IVF headers counted, about
# 1% at 300 kbit/s). (Before ratectl's model-based control: vbr with two passes +8.4% at
# 900.) On 17 frames, two passes land within 25%. --passes 2 refuses a pipe (nothing
# written) and --passes 3 is a usage error.
FOREMAN=$DATA/clips/camera/BA1_FT_C.264
rate_targets() {
    make_source cam17 352x288 17 camera
    local src=$SCRATCH/rate90.y4m target p got mode bound
    if [[ -f $FOREMAN ]]; then
        ffmpeg -v error -nostdin -y -i "$FOREMAN" -frames:v 90 -pix_fmt yuv420p -f yuv4mpegpipe "$src"
    else
        ffmpeg -v error -nostdin -y -f lavfi -i "testsrc2=size=352x288:rate=30,noise=alls=20:allf=t" \
            -frames:v 90 -pix_fmt yuv420p -f yuv4mpegpipe "$src"
    fi || { echo "FAIL rate: cannot make the 90-frame source"; return 1; }
    for mode in vbr cbr; do
        for target in 300 900; do
            for p in 2 1; do
                "$EXCAM" encode "$src" --end-usage "$mode" --target-bitrate "$target" \
                    --passes "$p" -o "$SCRATCH/rate.ivf" 2>"$SCRATCH/rate.log" ||
                    { echo "FAIL rate: $mode $target --passes $p failed"; return 1; }
                # From the file's size: 90 frames at the clip's frame rate.
                got=$(awk -v b="$(stat -c %s "$SCRATCH/rate.ivf")" -v f="$(head -c 100 "$src" |
                    tr ' ' '\n' | sed -n 's/^F//p' | head -n 1)" \
                    'BEGIN { split(f, r, ":"); printf "%.1f", b * 8 / 90 * r[1] / r[2] / 1000 }')
                bound=$((p == 2 ? 5 : 8))
                if ! awk -v g="$got" -v t="$target" -v b="$bound" \
                    'BEGIN { exit !(g > (1 - b / 100) * t && g < (1 + b / 100) * t) }'; then
                    echo "FAIL rate: $mode $target kbit/s --passes $p gave ${got:-?} kbit/s (not within $bound%)"
                    return 1
                fi
            done
        done
    done
    for target in 300 900; do
        "$EXCAM" encode "$SCRATCH/cam17.y4m" --end-usage vbr --target-bitrate "$target" \
            -o "$SCRATCH/rate.ivf" 2>"$SCRATCH/rate.log" ||
            { echo "FAIL rate: vbr $target on 17 frames failed"; return 1; }
        got=$(grep -o '[0-9.]* kbit/s' "$SCRATCH/rate.log" | tail -n 1 | cut -d' ' -f1)
        if ! awk -v g="$got" -v t="$target" 'BEGIN { exit !(g > 0.75 * t && g < 1.25 * t) }'; then
            echo "FAIL rate: vbr $target kbit/s on 17 frames gave ${got:-?} kbit/s"
            return 1
        fi
        if ! grep -q 'first pass (.*quantizer index' "$SCRATCH/rate.log"; then
            echo "FAIL rate: --passes 2 printed no first pass line"
            return 1
        fi
    done
    local rc=0
    rm -f "$SCRATCH/pipe.ivf"
    "$EXCAM" encode <(cat "$SCRATCH/cam17.y4m") --passes 2 --end-usage vbr --target-bitrate 300 \
        -o "$SCRATCH/pipe.ivf" 2>"$SCRATCH/rate.log" || rc=$?
    if ((rc != 1)) || [[ -e $SCRATCH/pipe.ivf ]] || ! grep -q 'regular file' "$SCRATCH/rate.log"; then
        echo "FAIL rate: --passes 2 on a pipe: status $rc: $(cat "$SCRATCH/rate.log")"
        return 1
    fi
    rc=0
    "$EXCAM" encode "$SCRATCH/cam17.y4m" --passes 3 -o "$SCRATCH/pipe.ivf" 2>/dev/null || rc=$?
    if ((rc != 2)) || [[ -e $SCRATCH/pipe.ivf ]]; then
        echo "FAIL rate: --passes 3: status $rc (2 expected)"
        return 1
    fi
    echo "ok   rate: vbr and cbr within 5% (2 passes) and 8% (1 pass) of 300 and 900 kbit/s on 90 frames, 25% on 17; --passes 2 refuses a pipe"
}
if rate_targets; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

# Golden frames: frame 17 (16 after the key frame) refreshes golden at a finer
# quantizer; at speed 4 altref with it, at speed 2 altref keeps the old golden (a copy,
# shown by info as "A<G"). vpxdec must agree with excam's decoder on both streams.
golden_frames() {
    make_source cam17 352x288 17 camera
    local speed want line q2 q17
    for speed in 4 2; do
        "$EXCAM" encode "$SCRATCH/cam17.y4m" --cpu-used "$speed" -o "$SCRATCH/gold.ivf" -q ||
            { echo "FAIL golden: encode at speed $speed"; return 1; }
        want="refresh=LGA "
        ((speed == 2)) && want="refresh=LGA<G "
        line=$("$EXCAM" info "$SCRATCH/gold.ivf" | grep '^frame *17 ')
        q2=$("$EXCAM" info "$SCRATCH/gold.ivf" | grep '^frame *2 ' | grep -o 'q=[0-9]*' | tr -dc 0-9)
        q17=$(grep -o 'q=[0-9]*' <<<"$line" | tr -dc 0-9)
        if [[ $line != *"$want"* ]] || ((q17 >= q2)); then
            echo "FAIL golden: speed $speed: frame 17 is '$line' (want $want at a q below $q2)"
            return 1
        fi
        check_stream "golden-speed$speed" "$SCRATCH/gold.ivf" 17 || return 1
    done
    echo "ok   golden: frame 17 refreshes golden at a finer q (speed 4: altref too; 2: the old golden to altref)"
}
if golden_frames; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

# Alt-refs (--auto-alt-ref, default on): on a still, noisy clip the encoder adds hidden
# frames made by its temporal filter; the streams (IVF and WebM) still decode with
# vpxdec to the frames excam shows, one per input frame; over 4 quality levels they
# need at least 3% fewer bits for the same PSNR (BD-rate) than without; moving content
# and --rt get none; bad values and --chunk are refused.
alt_refs() {
    make_source stillnoise 352x288 40 stillnoise
    make_source moving 352x288 40 mandelbrot
    local src=$SCRATCH/stillnoise.y4m n q out a b
    "$EXCAM" encode "$src" --cq-level 30 --verify -v -o "$SCRATCH/arf.ivf" 2>"$SCRATCH/arf.log" ||
        { echo "FAIL alt-ref: encode"; tail -n 3 "$SCRATCH/arf.log"; return 1; }
    n=$(grep -c 'hidden (alt-ref' "$SCRATCH/arf.log" || true)
    if ((n < 2)); then
        echo "FAIL alt-ref: $n hidden alt-ref frames in 40 still frames (want 2 or more)"
        return 1
    fi
    check_stream alt-ref "$SCRATCH/arf.ivf" 40 || return 1
    "$EXCAM" encode "$src" --cq-level 30 -q -o "$SCRATCH/arf.webm" ||
        { echo "FAIL alt-ref: WebM encode"; return 1; }
    a=$("$EXCAM" decode --md5 "$SCRATCH/arf.ivf") b=$("$EXCAM" decode --md5 "$SCRATCH/arf.webm")
    if [[ -z $a || $a != "$b" ]]; then
        echo "FAIL alt-ref: the WebM stream does not decode to the IVF stream's frames"
        return 1
    fi
    if [[ $(vpxdec --codec=vp8 --i420 --md5 "$SCRATCH/arf.webm" 2>/dev/null) != \
          $(vpxdec --codec=vp8 --i420 --md5 "$SCRATCH/arf.ivf" 2>/dev/null) ]]; then
        echo "FAIL alt-ref: vpxdec decodes the WebM stream differently"
        return 1
    fi
    local pts=() arf
    for arf in 0 1; do
        local p=""
        for q in 16 28 40 52; do
            out=$("$EXCAM" encode "$src" --auto-alt-ref "$arf" --cq-level "$q" --psnr \
                -o "$SCRATCH/bd.ivf" 2>&1) || { echo "FAIL alt-ref: encode at $q"; return 1; }
            p+="$(grep -o '[0-9.]* kbit/s' <<<"$out" | head -n 1 | cut -d' ' -f1),"
            p+="$(grep 'Stream 0 PSNR' <<<"$out" | awk '{print $5}');"
        done
        pts+=("${p%;}")
    done
    local bd
    bd=$(python3 "$ROOT/bench/bdrate.py" "${pts[0]}" "${pts[1]}") ||
        { echo "FAIL alt-ref: bdrate.py"; return 1; }
    if ! awk -v b="$bd" 'BEGIN { exit !(b <= -3) }'; then
        echo "FAIL alt-ref: BD-rate with alt-refs against without: $bd% (want -3% or less)"
        echo "  without: ${pts[0]}"; echo "  with:    ${pts[1]}"
        return 1
    fi
    for args in "$SCRATCH/moving.y4m" "$src --rt" "$src --auto-alt-ref 0"; do
        # shellcheck disable=SC2086
        "$EXCAM" encode $args --cq-level 30 -v -o "$SCRATCH/none.ivf" 2>"$SCRATCH/none.log" ||
            { echo "FAIL alt-ref: encode $args"; return 1; }
        if grep -q hidden "$SCRATCH/none.log"; then
            echo "FAIL alt-ref: hidden frames in: excam encode $args"
            return 1
        fi
    done
    for args in "--auto-alt-ref 2" "--arnr-strength 7" "--arnr-maxframes 16" "--chunk 6 --auto-alt-ref 1"; do
        local opt
        opt=$(grep -oE -- '--[a-z-]+' <<<"$args" | tail -n 1)
        # shellcheck disable=SC2086
        if "$EXCAM" encode "$src" $args -o "$SCRATCH/bad.ivf" 2>"$SCRATCH/bad.log" ||
            [[ -e $SCRATCH/bad.ivf ]] || ! grep -q -- "$opt" "$SCRATCH/bad.log"; then
            echo "FAIL alt-ref: $args: not refused with a message naming it"
            cat "$SCRATCH/bad.log"
            return 1
        fi
    done
    echo "ok   alt-ref: $n hidden frames on a still noisy clip, IVF and WebM decode as vpxdec does, BD-rate $bd% against none; none on moving content, --rt or --auto-alt-ref 0"
}
if alt_refs; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

# ----------------------------------------------------------- a state from elsewhere

# Stream A: 8 frames of camera content; its state written by the encoder and, again,
# by `excam state dump` from the written stream: the two must be the same bytes.
# Then frames of clip B (different content, same size) encoded as inter frames against
# that state. vpxdec, fed A then B', must show what excam's decoder shows.
cross_state() {
    local a=$SCRATCH/a.ivf b=$SCRATCH/b.ivf ab=$SCRATCH/ab.ivf
    make_source cam 352x288 12 camera
    make_source zoom352 352x288 10 mandelbrot
    "$EXCAM" encode "$SCRATCH/cam.y4m" --limit 8 -o "$a" -q --verify \
        --state-out "$SCRATCH/a.state" || { echo "FAIL cross-state: encoding A"; return 1; }
    "$EXCAM" state dump "$a" --frame 8 -o "$SCRATCH/a.dump" ||
        { echo "FAIL cross-state: excam state dump A"; return 1; }
    if ! cmp -s "$SCRATCH/a.state" "$SCRATCH/a.dump"; then
        echo "FAIL cross-state: the encoder's final state differs from the decoder's"
        return 1
    fi
    "$EXCAM" encode "$SCRATCH/zoom352.y4m" --skip 4 --limit 3 -o "$b" -q --verify \
        --state-in "$SCRATCH/a.state" || { echo "FAIL cross-state: encoding B on A's state"; return 1; }
    # A's IVF then B's frames (B's 32-byte file header dropped).
    { cat "$a"; tail -c +33 "$b"; } >"$ab"
    if [[ $("$EXCAM" info "$ab" | grep -cE '^frame +(9|10|11) .* inter ') != 3 ]]; then
        echo "FAIL cross-state: B's frames must all be inter frames"
        "$EXCAM" info "$ab" | sed 's/^/  /'
        return 1
    fi
    check_stream cross-state "$ab" 11 || return 1
    # Without A before it, B' cannot be decoded.
    if "$EXCAM" decode --md5 "$b" >/dev/null 2>&1; then
        echo "FAIL cross-state: B' decodes without A's state"
        return 1
    fi
    echo "ok   cross-state: 3 inter frames of clip B on the state of clip A's frame 8"
}
if cross_state; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

echo "encode: $passed passed, $failed failed"
((failed == 0))

#!/usr/bin/env bash
# Bad input must give a clear error and exit status 1, never a crash:
#  * libvpx's corrupt streams (vp8-invalid/): the error must be reported at a frame
#    that libvpx also reports as corrupt (its .res file: one vpx_codec_decode result
#    per frame, 0 = OK, 7 = VPX_CODEC_CORRUPT_FRAME), and the message must name the
#    file and the frame;
#  * broken files: missing, empty, not IVF, truncated in the file header, truncated
#    in the middle of a frame; with -o, no output file may be left behind;
#  * usage errors exit with status 2.
# Also run by t_asan.sh against build-asan/excam (EXCAM_BIN).
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_excam

failures=0 checks=0
fail() {
    echo "FAIL $*"
    failures=$((failures + 1))
}

# usage: expect_status WANT NAME CMD...; runs CMD with stderr to $SCRATCH/err.
# Returns 0 if it exited with WANT and did not crash.
expect_status() {
    local want=$1 name=$2 rc=0
    shift 2
    checks=$((checks + 1))
    "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || rc=$?
    if crashed "$rc" "$SCRATCH/err"; then
        fail "$name: crashed (status $rc)"
        tail -n 20 "$SCRATCH/err" | sed 's/^/  /'
        return 1
    fi
    if ((rc != want)); then
        fail "$name: exit status $rc, expected $want"
        tail -n 3 "$SCRATCH/err" | sed 's/^/  /'
        return 1
    fi
}

# The CLI numbers input frames from 1 in its messages, as in --md5 listings.
FRAME_BASE=1

# The frame number an error message names: the number after the word "frame".
error_frame() { grep -oiE 'frame[^0-9]{0,3}[0-9]+' "$SCRATCH/err" | head -n 1 | grep -oE '[0-9]+$'; }

# ---------------------------------------------------------- corrupt streams

if [[ -d $DATA/vp8-invalid ]]; then
    streams=0
    for ivf in "$DATA"/vp8-invalid/*.ivf; do
        name=$(basename "$ivf")
        streams=$((streams + 1))
        for out in md5 y4m; do
            if [[ $out == md5 ]]; then
                expect_status 1 "$name (--md5)" "$EXCAM" decode "$ivf" --md5 || continue
            else
                expect_status 1 "$name (-o y4m)" "$EXCAM" decode "$ivf" -o "$SCRATCH/out.y4m" || continue
                [[ ! -e $SCRATCH/out.y4m ]] || fail "$name: $SCRATCH/out.y4m left behind after an error"
                rm -f "$SCRATCH/out.y4m"
            fi
            grep -qF "$name" "$SCRATCH/err" || fail "$name: error message does not name the file: $(head -c 300 "$SCRATCH/err")"
            frame=$(error_frame || true)
            if [[ -z $frame ]]; then
                fail "$name: error message does not name a frame: $(head -c 300 "$SCRATCH/err")"
                continue
            fi
            # The .res file has one result per input frame, in order; the CLI
            # numbers input frames from FRAME_BASE.
            res=$(sed -n "$((frame - FRAME_BASE + 1))p" "$ivf.res")
            if [[ $res != 7 ]]; then
                fail "$name: error reported at frame $frame, where libvpx reports '${res:-no frame}' (.res: $(tr '\n' ' ' <"$ivf.res"))"
            fi
        done
    done
    echo "vp8-invalid: $streams streams checked"
else
    echo "note: $DATA/vp8-invalid not found, corrupt streams not checked"
fi

# ---------------------------------------------------------- broken files

# A valid stream to cut up: the first conformance vector, else one made here.
good=$VECTORS/vp80-00-comprehensive-001.ivf
[[ -f $good ]] || skip_broken=1

# usage: expect_bad_input NAME FILE: decoding FILE fails cleanly, with and without -o.
expect_bad_input() {
    local name=$1 file=$2 out=$SCRATCH/out.y4m
    if expect_status 1 "$name" "$EXCAM" decode "$file" --md5; then
        [[ -s $SCRATCH/err ]] || fail "$name: no error message"
    fi
    rm -f "$out"
    expect_status 1 "$name (-o y4m)" "$EXCAM" decode "$file" -o "$out" || true
    [[ ! -e $out ]] || fail "$name: output file left behind after an error"
    rm -f "$out" "$SCRATCH/out.yuv"
    expect_status 1 "$name (-o yuv --i420)" "$EXCAM" decode "$file" -o "$SCRATCH/out.yuv" --i420 || true
    [[ ! -e $SCRATCH/out.yuv ]] || fail "$name: raw output file left behind after an error"
    expect_status 1 "$name (info)" "$EXCAM" info "$file" || true
}

expect_bad_input missing "$SCRATCH/no-such-file.ivf"
: >"$SCRATCH/empty.ivf"
expect_bad_input empty "$SCRATCH/empty.ivf"
printf 'This is not an IVF file.\n%.0s' {1..20} >"$SCRATCH/text.ivf"
expect_bad_input not-ivf "$SCRATCH/text.ivf"
if [[ -z ${skip_broken:-} ]]; then
    head -c 20 "$good" >"$SCRATCH/short-header.ivf"
    expect_bad_input truncated-file-header "$SCRATCH/short-header.ivf"
    # Cut inside frame 1 (0-based), after frame 0 decoded fine: output has begun.
    end0=$(ivf_frame_end "$good" 0)
    end1=$(ivf_frame_end "$good" 1)
    head -c $(((end0 + end1) / 2)) "$good" >"$SCRATCH/mid-frame.ivf"
    expect_bad_input truncated-mid-frame "$SCRATCH/mid-frame.ivf"
    # Cut inside the second frame's 12-byte IVF frame header.
    head -c $((end0 + 6)) "$good" >"$SCRATCH/mid-frame-header.ivf"
    expect_bad_input truncated-frame-header "$SCRATCH/mid-frame-header.ivf"
    # A frame header that declares more bytes than the file has left.
    cp "$good" "$SCRATCH/huge-frame.ivf"
    printf '\xff\xff\xff\x7f' | dd of="$SCRATCH/huge-frame.ivf" bs=1 seek="$end0" conv=notrunc status=none
    expect_bad_input oversized-frame-length "$SCRATCH/huge-frame.ivf"
    # An inter frame first: no key frame to predict from.
    { head -c 32 "$good"; tail -c +$((end0 + 1)) "$good"; } >"$SCRATCH/no-keyframe.ivf"
    expect_bad_input no-keyframe "$SCRATCH/no-keyframe.ivf"
else
    echo "note: $good not found, truncation cases not checked"
fi

# ---------------------------------------------------------- usage errors

expect_status 2 "no arguments" "$EXCAM" || true
expect_status 2 "unknown command" "$EXCAM" frobnicate || true
expect_status 2 "decode without input" "$EXCAM" decode || true
expect_status 2 "unknown option" "$EXCAM" decode "$good" --no-such-option || true
expect_status 2 "--limit without value" "$EXCAM" decode "$good" --limit || true
expect_status 2 "--threads 65" "$EXCAM" decode "$good" --md5 --threads 65 || true
expect_status 2 "--threads x" "$EXCAM" decode "$good" --md5 --threads x || true

echo "invalid: $checks checks, $failures failures"
((failures == 0))

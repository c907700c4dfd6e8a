#!/usr/bin/env bash
# excam encode's input, the Y4M reader (tools/y4m_read.c), on files made here:
#  * accepted: 8-bit 4:2:0 as C420, C420jpeg, C420mpeg2, C420paldv or no C tag (the
#    same pixels give the same stream whatever the tag), progressive (Ip, I? or no I),
#    A and X tags, FRAME lines with tags, sizes 1x1 / 3x5 / 33x17, from a file or from
#    stdin ("-"); the IVF decodes with vpxdec to as many frames of the right size, its
#    header's rate/scale are the Y4M F tag (30:1 without one) and frame n has timestamp
#    n (the time base is one frame), as vpxenc writes them, and `excam decode` gives
#    the F tag back;
#  * refused, with exit status 1, one error line that names the file (and the frame
#    where there is one), no output file and no temporary file left: wrong magic,
#    truncated or over-long header, missing or zero or oversized W/H, bad F, other
#    colorspaces (C444, C422, Cmono, C420p10), interlaced input (It/Ib/Im: like vpxenc,
#    excam encodes progressive video only), a missing or garbled or truncated FRAME
#    line, a frame cut short (also after 3 good frames: no shorter stream is written),
#    a header with no frames, an empty file, a missing file, a directory, bad stdin.
# Also run by t_asan.sh against build-asan/excam (EXCAM_BIN) when it lists this test.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_excam
need_tool vpxdec
export LC_ALL=C

failures=0 checks=0
fail() {
    echo "FAIL $*"
    failures=$((failures + 1))
}

IN=$SCRATCH/in
OUT=$SCRATCH/out
mkdir -p "$IN" "$OUT"

# usage: planes W H SEED: one frame's Y, U and V planes (4:2:0), deterministic bytes
# that vary across the picture and from frame to frame.
planes() {
    local n=$(($1 * $2 + 2 * (($1 + 1) / 2) * (($2 + 1) / 2)))
    awk -v n="$n" -v w="$1" -v s="$3" 'BEGIN {
        for (k = 0; k < n; k++) printf "%c", 16 + (int(k / w) * 3 + k % w * 5 + s * 11) % 220
    }'
}

# usage: y4m FILE "HEADER TAGS" W H FRAMES [FRAME LINE]: a Y4M file.
y4m() {
    local file=$1 tags=$2 w=$3 h=$4 frames=$5 line=${6:-FRAME} i
    {
        printf 'YUV4MPEG2 %s\n' "$tags"
        for ((i = 0; i < frames; i++)); do
            printf '%s\n' "$line"
            planes "$w" "$h" "$i"
        done
    } >"$file"
}

# The output directory must hold nothing after a failed run (no OUT.ivf, no temp file).
out_dir_empty() {
    local left
    left=$(find "$OUT" -mindepth 1 -printf '%f ')
    [[ -z $left ]] && return 0
    fail "$1: left behind in the output folder: $left"
    rm -rf "${OUT:?}"/*
    return 1
}

# ------------------------------------------------------------------ good input

# usage: good NAME FILE W H FRAMES RATE SCALE [encode options]: encodes FILE (at most
# 3 frames), checks the IVF header and timestamps, and that vpxdec decodes FRAMES
# pictures of WxH. Leaves the stream in $OUT/NAME.ivf.
good() {
    local name=$1 file=$2 w=$3 h=$4 frames=$5 rate=$6 scale=$7 rc=0 ivf=$OUT/$1.ivf
    shift 7
    checks=$((checks + 1))
    "$EXCAM" encode "$file" -o "$ivf" -q --limit 3 "$@" >"$SCRATCH/log" 2>&1 || rc=$?
    if crashed "$rc" "$SCRATCH/log" || ((rc != 0)); then
        fail "$name: excam encode exited with status $rc"
        tail -n 3 "$SCRATCH/log" | sed 's/^/  /'
        return 1
    fi
    [[ -f $ivf ]] || { fail "$name: no output file"; return 1; }
    local got header_frames n off i pts
    got="$(le_uint "$ivf" 12 2)x$(le_uint "$ivf" 14 2) $(le_uint "$ivf" 16 4):$(le_uint "$ivf" 20 4)"
    [[ $got == "${w}x$h $rate:$scale" ]] ||
        fail "$name: IVF header says size and rate:scale '$got', expected '${w}x$h $rate:$scale'"
    header_frames=$(le_uint "$ivf" 24 4)
    n=$(ivf_frame_count "$ivf")
    ((n == frames && header_frames == frames)) ||
        fail "$name: $n frames in the IVF (header: $header_frames), expected $frames"
    off=32
    for ((i = 0; i < n; i++)); do
        pts=$(le_uint "$ivf" $((off + 4)) 4)
        ((pts == i)) || { fail "$name: frame $((i + 1)) has timestamp $pts, expected $i"; break; }
        off=$((off + 12 + $(le_uint "$ivf" "$off" 4)))
    done
    if ! vpxdec --codec=vp8 --i420 -o "$SCRATCH/dec.yuv" "$ivf" >"$SCRATCH/log" 2>&1; then
        fail "$name: vpxdec rejects the stream"
        tail -n 3 "$SCRATCH/log" | sed 's/^/  /'
        return 1
    fi
    local size want=$((frames * (w * h + 2 * ((w + 1) / 2) * ((h + 1) / 2))))
    size=$(stat -c %s "$SCRATCH/dec.yuv")
    ((size == want)) ||
        fail "$name: vpxdec gave $size bytes of I420, expected $want ($frames frames of ${w}x$h)"
    # excam decode's Y4M carries the rate on as its F tag (in lowest terms). (vpxdec's
    # does not: it takes a rate under 1000 for old vpxenc's doubled time base and halves
    # it, and replaces any other by 30:1.)
    local g=$rate s=$scale t
    while ((s)); do t=$((g % s)) g=$s s=$t; done
    if "$EXCAM" decode "$ivf" -o "$SCRATCH/dec.y4m" >"$SCRATCH/log" 2>&1; then
        head -n 1 "$SCRATCH/dec.y4m" | grep -q " F$((rate / g)):$((scale / g)) " ||
            fail "$name: excam decode writes '$(head -n 1 "$SCRATCH/dec.y4m")'," \
                "expected F$((rate / g)):$((scale / g))"
    else
        fail "$name: excam decode rejects the stream: $(head -c 300 "$SCRATCH/log")"
    fi
    rm -f "$SCRATCH/dec.yuv" "$SCRATCH/dec.y4m"
    return 0
}

# usage: like_vpxenc NAME FILE: the IVF header's rate and scale and the frame
# timestamps of $OUT/NAME.ivf are vpxenc's for the same input (3 frames).
like_vpxenc() {
    command -v vpxenc >/dev/null 2>&1 || return 0
    local ivf=$OUT/$1.ivf ref=$SCRATCH/vpxenc.ivf
    checks=$((checks + 1))
    if ! vpxenc --codec=vp8 --ivf -q --limit=3 -o "$ref" "$2" >"$SCRATCH/log" 2>&1; then
        fail "$1: vpxenc rejects the input: $(head -c 300 "$SCRATCH/log")"
        return 1
    fi
    local a b
    a=$(timing "$ivf") b=$(timing "$ref")
    [[ $a == "$b" ]] || fail "$1: rate:scale and timestamps '$a', vpxenc writes '$b'"
    rm -f "$ref"
}
# "rate:scale pts pts ..." of an IVF file.
timing() {
    local off=32 size out
    size=$(stat -c %s "$1")
    out="$(le_uint "$1" 16 4):$(le_uint "$1" 20 4)"
    while ((off + 12 <= size)); do
        out+=" $(le_uint "$1" $((off + 4)) 4)"
        off=$((off + 12 + $(le_uint "$1" "$off" 4)))
    done
    echo "$out"
}

y4m "$IN/c420jpeg.y4m" "W32 H16 F30:1 Ip A1:1 C420jpeg" 32 16 4
y4m "$IN/c420.y4m" "W32 H16 F30:1 Ip A1:1 C420" 32 16 4
y4m "$IN/c420mpeg2.y4m" "W32 H16 F30:1 Ip A1:1 C420mpeg2" 32 16 4
y4m "$IN/c420paldv.y4m" "W32 H16 F30:1 Ip A1:1 C420paldv" 32 16 4
y4m "$IN/no-c.y4m" "W32 H16 F30:1" 32 16 4
good c420jpeg "$IN/c420jpeg.y4m" 32 16 3 30 1
for cs in c420 c420mpeg2 c420paldv no-c; do
    good "$cs" "$IN/$cs.y4m" 32 16 3 30 1 || continue
    # Same pixels, same stream: the chroma siting tag does not change the encode.
    cmp -s "$OUT/c420jpeg.ivf" "$OUT/$cs.ivf" || fail "$cs: stream differs from C420jpeg's"
done

# Frame rates: the IVF rate/scale are the F tag; no F tag is 30:1.
y4m "$IN/ntsc.y4m" "W16 H16 F30000:1001 Ip A10:11 C420jpeg" 16 16 3
y4m "$IN/pal.y4m" "W16 H16 F25:1 A59:54 C420mpeg2 XYSCSS=420MPEG2 XCOLORRANGE=LIMITED" 16 16 3
y4m "$IN/no-f.y4m" "W16 H16 I? C420" 16 16 3
good f30000-1001 "$IN/ntsc.y4m" 16 16 3 30000 1001 && like_vpxenc f30000-1001 "$IN/ntsc.y4m"
good f25 "$IN/pal.y4m" 16 16 3 25 1 && like_vpxenc f25 "$IN/pal.y4m"
like_vpxenc c420jpeg "$IN/c420jpeg.y4m"
good no-f "$IN/no-f.y4m" 16 16 3 30 1

# Odd sizes, tags on FRAME lines, a header with repeated spaces.
y4m "$IN/1x1.y4m" "W1 H1 F30:1 C420jpeg" 1 1 3
y4m "$IN/3x5.y4m" "W3 H5 F24:1 C420jpeg" 3 5 3 "FRAME Ip XFRAMETAG=1"
y4m "$IN/33x17.y4m" "W33  H17 F30:1  C420" 33 17 5
good size-1x1 "$IN/1x1.y4m" 1 1 3 30 1
good size-3x5 "$IN/3x5.y4m" 3 5 3 24 1
good size-33x17 "$IN/33x17.y4m" 33 17 3 30 1
good all-frames "$IN/33x17.y4m" 33 17 5 30 1 --limit 10

# stdin: the same stream as from the file.
checks=$((checks + 1))
rc=0
# shellcheck disable=SC2002 # a pipe, not a redirection: stdin must not be seekable
cat "$IN/33x17.y4m" | "$EXCAM" encode - -o "$OUT/stdin.ivf" -q --limit 3 2>"$SCRATCH/err" || rc=$?
if ((rc != 0)); then
    fail "stdin: excam encode - exited with status $rc: $(head -c 300 "$SCRATCH/err")"
elif ! cmp -s "$OUT/stdin.ivf" "$OUT/size-33x17.ivf"; then
    fail "stdin: the stream differs from the one encoded from the file"
fi
rm -rf "${OUT:?}"/*

# ------------------------------------------------------------------ bad input

# usage: bad NAME FILE PATTERN [encode options]: excam encode FILE fails with status 1
# and one error line that names FILE and matches the extended regex PATTERN; nothing
# is left in the output folder. FILE "-" reads $SCRATCH/stdin from a pipe.
bad() {
    local name=$1 file=$2 pattern=$3 rc=0 shown=$2
    shift 3
    checks=$((checks + 1))
    if [[ $file == - ]]; then
        shown='<stdin>'
        # shellcheck disable=SC2002
        cat "$SCRATCH/stdin" | "$EXCAM" encode - -o "$OUT/out.ivf" -q "$@" \
            >"$SCRATCH/log" 2>"$SCRATCH/err" || rc=$?
    else
        "$EXCAM" encode "$file" -o "$OUT/out.ivf" -q "$@" >"$SCRATCH/log" 2>"$SCRATCH/err" || rc=$?
    fi
    if crashed "$rc" "$SCRATCH/err"; then
        fail "$name: crashed (status $rc)"
        tail -n 20 "$SCRATCH/err" | sed 's/^/  /'
    elif ((rc != 1)); then
        fail "$name: exit status $rc, expected 1: $(head -c 300 "$SCRATCH/err")"
    elif [[ $(wc -l <"$SCRATCH/err") != 1 ]]; then
        fail "$name: expected one error line, got:"
        sed 's/^/  /' "$SCRATCH/err"
    elif ! grep -qF "excam: $shown: " "$SCRATCH/err"; then
        fail "$name: the error does not name $shown: $(cat "$SCRATCH/err")"
    elif ! grep -qE "$pattern" "$SCRATCH/err"; then
        fail "$name: the error does not match /$pattern/: $(cat "$SCRATCH/err")"
    else
        echo "ok   $name: $(sed "s|$SCRATCH/||" "$SCRATCH/err")"
    fi
    out_dir_empty "$name" || true
}

hdr() { printf 'YUV4MPEG2 %s\n' "$1"; }
frame() { printf 'FRAME\n'; planes "$1" "$2" "$3"; }

# The header.
: >"$IN/empty.y4m"
bad empty "$IN/empty.y4m" 'empty file'
bad missing "$IN/no-such-file.y4m" 'cannot open: No such file'
mkdir "$IN/a-directory.y4m"
bad directory "$IN/a-directory.y4m" 'Is a directory'
{ printf 'YUV4MPEG3 W16 H16 F30:1\n'; frame 16 16 0; } >"$IN/magic.y4m"
bad wrong-magic "$IN/magic.y4m" 'not a Y4M file'
{ printf 'RIFF\x24\0\0\0WAVEfmt '; head -c 200 /dev/zero; } >"$IN/wav.y4m"
bad not-y4m "$IN/wav.y4m" 'not a Y4M file'
{ printf 'YUV4MPEG2W16 H16\n'; frame 16 16 0; } >"$IN/magic-nospace.y4m"
bad magic-no-space "$IN/magic-nospace.y4m" 'not a Y4M file'
printf 'YUV4MPEG2 W16 H16 F30:1 C420jpeg' >"$IN/header-cut.y4m"
bad truncated-header "$IN/header-cut.y4m" 'truncated Y4M header'
printf 'YUV4MP' >"$IN/magic-cut.y4m"
bad truncated-magic "$IN/magic-cut.y4m" 'truncated Y4M header'
{ printf 'YUV4MPEG2 W16 H16 X'; head -c 5000 /dev/zero | tr '\0' x; printf '\n'; frame 16 16 0; } >"$IN/long-header.y4m"
bad long-header "$IN/long-header.y4m" 'header longer than'
{ printf 'YUV4MPEG2 W16 H16 F30:1 \0C444\n'; frame 16 16 0; } >"$IN/nul.y4m"
bad nul-in-header "$IN/nul.y4m" 'NUL'
{ hdr "H16 F30:1"; frame 16 16 0; } >"$IN/no-w.y4m"
bad missing-w "$IN/no-w.y4m" 'no width \(W'
{ hdr "W16 F30:1"; frame 16 16 0; } >"$IN/no-h.y4m"
bad missing-h "$IN/no-h.y4m" 'no height \(H'
{ hdr "W0 H16"; frame 16 16 0; } >"$IN/w0.y4m"
bad w0 "$IN/w0.y4m" 'width 0 is outside 1\.\.16383'
{ hdr "W16 H0"; frame 16 16 0; } >"$IN/h0.y4m"
bad h0 "$IN/h0.y4m" 'height 0 is outside 1\.\.16383'
{ hdr "W100000 H16"; frame 16 16 0; } >"$IN/w100000.y4m"
bad w100000 "$IN/w100000.y4m" 'width 100000 is outside'
{ hdr "W16 H99999999999"; frame 16 16 0; } >"$IN/h-huge.y4m"
bad h-11-digits "$IN/h-huge.y4m" "bad height in Y4M header: 'H99999999999'"
{ hdr "W-16 H16"; frame 16 16 0; } >"$IN/w-neg.y4m"
bad w-negative "$IN/w-neg.y4m" "bad width in Y4M header: 'W-16'"
{ hdr "W16 H16 F30"; frame 16 16 0; } >"$IN/f-bad.y4m"
bad bad-frame-rate "$IN/f-bad.y4m" "bad frame rate in Y4M header: 'F30'"
{ hdr "W16 H16 F0:1"; frame 16 16 0; } >"$IN/f0.y4m"
bad zero-frame-rate "$IN/f0.y4m" "bad frame rate in Y4M header: 'F0:1'"
{ hdr "W16 H16 F30:0"; frame 16 16 0; } >"$IN/f30-0.y4m"
bad zero-frame-rate-den "$IN/f30-0.y4m" "bad frame rate in Y4M header: 'F30:0'"
for cs in 444 422 mono 420p10 411 444alpha; do
    { hdr "W16 H16 F30:1 C$cs"; frame 16 16 0; } >"$IN/c$cs.y4m"
    bad "c$cs" "$IN/c$cs.y4m" "unsupported Y4M colorspace C$cs: excam encodes 8-bit 4:2:0"
done
for il in t b m; do
    { hdr "W16 H16 F30:1 I$il C420jpeg"; frame 16 16 0; } >"$IN/i$il.y4m"
    bad "interlaced-I$il" "$IN/i$il.y4m" "interlaced Y4M \\(I$il, .*progressive video only"
done
{ hdr "W16 H16 F30:1 Ix"; frame 16 16 0; } >"$IN/ix.y4m"
bad bad-interlace-tag "$IN/ix.y4m" "bad interlacing tag"

# The frames.
hdr "W16 H16 F30:1" >"$IN/header-only.y4m"
bad no-frames "$IN/header-only.y4m" 'no frames to encode'
{ hdr "W16 H16 F30:1"; planes 16 16 0; planes 16 16 1; } >"$IN/no-frame-line.y4m"
bad missing-frame-line "$IN/no-frame-line.y4m" 'frame 1: no FRAME marker'
{ hdr "W16 H16 F30:1"; frame 16 16 0; printf 'GARBAGE\n'; planes 16 16 1; } >"$IN/garbage.y4m"
bad garbage-frame-line "$IN/garbage.y4m" 'frame 2: no FRAME marker'
{ hdr "W16 H16 F30:1"; frame 16 16 0; printf 'FRAMES\n'; planes 16 16 1; } >"$IN/frames.y4m"
bad frame-line-FRAMES "$IN/frames.y4m" 'frame 2: no FRAME marker'
{
    hdr "W16 H16 F30:1"
    frame 16 16 0
    printf 'FRAME X'
    head -c 3000 /dev/zero | tr '\0' x
    printf '\n'
    planes 16 16 1
} >"$IN/long-frame-line.y4m"
bad long-frame-line "$IN/long-frame-line.y4m" 'frame 2: no FRAME marker'
{ hdr "W16 H16 F30:1"; frame 16 16 0; printf 'FRA'; } >"$IN/frame-line-cut.y4m"
bad truncated-frame-line "$IN/frame-line-cut.y4m" 'frame 2: truncated'
{ hdr "W16 H16 F30:1"; printf 'FRAME\n'; } >"$IN/frame-empty.y4m"
bad frame-without-data "$IN/frame-empty.y4m" 'frame 1: truncated: 0 of 384 bytes'
{ hdr "W16 H16 F30:1"; frame 16 16 0; printf 'FRAME\n'; planes 16 16 1 | head -c 300; } >"$IN/frame-cut.y4m"
bad truncated-frame "$IN/frame-cut.y4m" 'frame 2: truncated: 300 of 384 bytes'
# 4:2:2 planes under a 4:2:0 header: the second FRAME line is not where it should be.
{ hdr "W16 H16 F30:1 C420jpeg"; for i in 0 1; do printf 'FRAME\n'; head -c 512 /dev/zero; done; } >"$IN/422-as-420.y4m"
bad wrong-plane-size "$IN/422-as-420.y4m" 'frame 2: no FRAME marker.*not 8-bit 4:2:0'
# Three good frames, then a cut in the fourth: an error, not a shorter stream (with or
# without --limit above 3; --limit 3 never reads frame 4, so that encode succeeds).
{ hdr "W33 H17 F30:1"; for i in 0 1 2; do frame 33 17 "$i"; done; frame 33 17 3 | head -c 500; } >"$IN/cut-after-3.y4m"
bad truncated-after-3-frames "$IN/cut-after-3.y4m" 'frame 4: truncated: 494 of 867 bytes'
bad truncated-after-3-frames-limit "$IN/cut-after-3.y4m" 'frame 4: truncated' --limit 10
bad truncated-after-3-frames-skip "$IN/cut-after-3.y4m" 'frame 4: truncated' --skip 1
good truncated-after-3-frames-limit3 "$IN/cut-after-3.y4m" 33 17 3 30 1 && rm -f "$OUT"/*.ivf

# stdin.
cp "$IN/c444.y4m" "$SCRATCH/stdin"
bad stdin-c444 - 'unsupported Y4M colorspace C444'
cp "$IN/cut-after-3.y4m" "$SCRATCH/stdin"
bad stdin-truncated-frame - 'frame 4: truncated'
: >"$SCRATCH/stdin"
bad stdin-empty - 'empty file'

# A usage error is status 2 and creates nothing either.
checks=$((checks + 1))
rc=0
"$EXCAM" encode "$IN/c420.y4m" -o "$OUT/out.ivf" --no-such-option >/dev/null 2>&1 || rc=$?
((rc == 2)) || fail "unknown option: exit status $rc, expected 2"
out_dir_empty "unknown option" || true

echo "y4m: $checks checks, $failures failures"
((failures == 0))

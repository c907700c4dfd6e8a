#!/usr/bin/env bash
# WebM output and input (tools/webm.c, through libavformat):
#  * `excam encode -o x.webm` (serial and --chunk) holds exactly the frames of the IVF
#    encode: excam decode, vpxdec and ffmpeg all see the same pictures;
#  * the file is what players expect: ffprobe and mkvinfo read it; it has the frame
#    rate of the Y4M, a Duration, Cues, key frames flagged;
#  * --webm / --ivf override the name; "-o -" --webm streams to a pipe;
#  * excam info / decode read WebM (BBB, a libvpx WebM, when the test data is there);
#  * bad input: a corrupt or truncated WebM gives one error naming the file, status 1,
#    no output; a failed encode to .webm leaves no file.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_tool ffmpeg
need_tool ffprobe
need_tool vpxdec
need_tool mkvinfo
need_excam

passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

# 40 frames at 30000/1001 fps, an odd size.
ffmpeg -v error -nostdin -f lavfi -i "testsrc2=size=174x98:rate=30000/1001,noise=alls=12:allf=t" \
    -frames:v 40 -pix_fmt yuv420p -f yuv4mpegpipe "$SCRATCH/src.y4m"
E=("$EXCAM" encode "$SCRATCH/src.y4m" -q --cpu-used 4)

"${E[@]}" -o "$SCRATCH/a.ivf"
"${E[@]}" -o "$SCRATCH/a.webm"
"$EXCAM" decode "$SCRATCH/a.ivf" --md5 >"$SCRATCH/ivf.md5"
"$EXCAM" decode "$SCRATCH/a.webm" --md5 >"$SCRATCH/webm.md5"
if [[ $(wc -l <"$SCRATCH/webm.md5") -eq 40 ]] && cmp -s "$SCRATCH/ivf.md5" "$SCRATCH/webm.md5"; then
    ok "serial: the WebM holds the IVF's 40 frames (excam decode)"
else
    fail "serial: excam decode of the WebM differs from the IVF's"
fi
vpxdec --i420 -o "$SCRATCH/v.yuv" "$SCRATCH/a.webm" 2>/dev/null
"$EXCAM" decode "$SCRATCH/a.ivf" --i420 -o "$SCRATCH/e.yuv"
ffmpeg -v error -nostdin -i "$SCRATCH/a.webm" -f rawvideo -pix_fmt yuv420p "$SCRATCH/f.yuv"
if cmp -s "$SCRATCH/v.yuv" "$SCRATCH/e.yuv" && cmp -s "$SCRATCH/f.yuv" "$SCRATCH/e.yuv"; then
    ok "serial: vpxdec and ffmpeg decode the WebM to excam's pictures"
else
    fail "serial: vpxdec or ffmpeg decode the WebM to other pictures"
fi

# What players read: codec, size, rate, duration, frame count, key frames, Cues.
probe=$(ffprobe -v error -count_packets -select_streams v:0 \
    -show_entries stream=codec_name,width,height,r_frame_rate,nb_read_packets:format=format_name,duration \
    -of default=nw=1 "$SCRATCH/a.webm")
want="codec_name=vp8 width=174 height=98 r_frame_rate=30000/1001 nb_read_packets=40"
got=$(echo "$probe" | grep -E '^(codec_name|width|height|r_frame_rate|nb_read_packets)=' | tr '\n' ' ')
if [[ "$got" == "$want " ]] && echo "$probe" | grep -q '^format_name=matroska,webm$'; then
    ok "ffprobe: $want"
else
    fail "ffprobe: got '$got', want '$want'; $probe"
fi
dur=$(echo "$probe" | sed -n 's/^duration=//p')
# 40 frames at 30000/1001 fps: 1.3347 s (Matroska stores milliseconds).
if awk -v d="$dur" 'BEGIN { exit !(d > 1.330 && d < 1.340) }'; then
    ok "duration $dur s for 40 frames at 29.97 fps"
else
    fail "duration '$dur', want about 1.335 s"
fi
mkvinfo "$SCRATCH/a.webm" >"$SCRATCH/mkvinfo.txt" 2>&1 || true
mkvinfo -v "$SCRATCH/a.webm" >"$SCRATCH/mkvinfo-v.txt" 2>&1 || true
if grep -q 'Document type: webm' "$SCRATCH/mkvinfo.txt" && grep -q 'Codec ID: V_VP8' "$SCRATCH/mkvinfo.txt" &&
    grep -q '+ Duration:' "$SCRATCH/mkvinfo.txt" && grep -q 'Cues' "$SCRATCH/mkvinfo-v.txt" &&
    grep -q 'Default duration' "$SCRATCH/mkvinfo.txt"; then
    ok "mkvinfo: webm document, V_VP8, Duration, Default duration, Cues"
else
    fail "mkvinfo: $(head -c 2000 "$SCRATCH/mkvinfo.txt")"
fi
keys=$(ffprobe -v error -select_streams v:0 -show_entries packet=flags -of csv=p=0 "$SCRATCH/a.webm" |
    grep -c K || true)
ivfkeys=$("$EXCAM" info "$SCRATCH/a.ivf" | grep -c ' key ' || true)
if ((keys == ivfkeys && keys >= 1)); then
    ok "$keys key frame(s) flagged, as in the stream"
else
    fail "key frames flagged: $keys, in the stream: $ivfkeys"
fi

# The pipeline writes WebM too: the same frames as its IVF.
"${E[@]}" --chunk 6 --rebase 3 --workers 2 -o "$SCRATCH/p.ivf"
"${E[@]}" --chunk 6 --rebase 3 --workers 2 -o "$SCRATCH/p.webm"
"$EXCAM" decode "$SCRATCH/p.ivf" --md5 >"$SCRATCH/p-ivf.md5"
"$EXCAM" decode "$SCRATCH/p.webm" --md5 >"$SCRATCH/p-webm.md5"
vpxdec --md5 --i420 "$SCRATCH/p.webm" >"$SCRATCH/p-vpx.md5" 2>/dev/null
"$EXCAM" decode "$SCRATCH/p.ivf" --i420 -o "$SCRATCH/p.yuv"
if cmp -s "$SCRATCH/p-ivf.md5" "$SCRATCH/p-webm.md5" &&
    [[ $(cut -d' ' -f1 "$SCRATCH/p-vpx.md5") == $(md5sum <"$SCRATCH/p.yuv" | cut -d' ' -f1) ]]; then
    ok "--chunk 6 --rebase 3: the WebM holds the IVF's frames (excam decode, vpxdec)"
else
    fail "--chunk: the WebM and the IVF differ"
fi

# The container by flag, whatever the name.
"${E[@]}" --limit 5 --webm -o "$SCRATCH/flag.out"
"${E[@]}" --limit 5 --ivf -o "$SCRATCH/flag.webm"
if [[ $(head -c 4 "$SCRATCH/flag.out" | od -An -tx1 | tr -d ' ') == 1a45dfa3 &&
    $(head -c 4 "$SCRATCH/flag.webm") == DKIF ]]; then
    ok "--webm and --ivf choose the container whatever the name"
else
    fail "--webm/--ivf: wrong container"
fi
# To a pipe: no Cues (nothing to seek back to), still a stream players read.
"${E[@]}" --limit 10 --webm -o - | ffprobe -v error -count_packets -select_streams v:0 \
    -show_entries stream=nb_read_packets -of csv=p=0 - >"$SCRATCH/pipe.txt" 2>&1 || true
if [[ $(tr -d ' \n' <"$SCRATCH/pipe.txt") == 10 ]]; then
    ok "-o - --webm: a stream ffprobe reads from a pipe (10 frames)"
else
    fail "-o - --webm: ffprobe says $(cat "$SCRATCH/pipe.txt")"
fi

# info and decode read WebM, from a file and from stdin.
if "$EXCAM" info "$SCRATCH/a.webm" >"$SCRATCH/info.txt" &&
    grep -q 'WebM, fourcc VP80, 174x98' "$SCRATCH/info.txt" &&
    [[ $(grep -c '^frame ' "$SCRATCH/info.txt") -eq 40 ]] &&
    "$EXCAM" decode - --md5 <"$SCRATCH/a.webm" | cut -d' ' -f1 | cmp -s - <(cut -d' ' -f1 "$SCRATCH/ivf.md5"); then
    ok "excam info and decode (also from stdin) read the WebM"
else
    fail "excam info/decode of WebM: $(head -n 2 "$SCRATCH/info.txt")"
fi
BBB=$DATA/clips/vp8-webm/bbb_640x360_vp8_10s.webm
if [[ -f $BBB ]]; then
    "$EXCAM" decode "$BBB" --md5 >"$SCRATCH/bbb.md5"
    if md5_compare "$BBB.md5" "$SCRATCH/bbb.md5"; then
        ok "libvpx's WebM (BBB, 300 frames) decodes to its .md5"
    else
        fail "BBB WebM: excam decode differs from its .md5"
    fi
else
    echo "skip: $BBB not found (the libvpx WebM check)"
fi

# Bad input: one error line naming the file, status 1, no output left.
bad() { # usage: bad NAME FILE
    local rc=0
    "$EXCAM" decode "$2" -o "$SCRATCH/bad.y4m" 2>"$SCRATCH/bad.err" || rc=$?
    if ((rc == 1)) && grep -qF "$2" "$SCRATCH/bad.err" && [[ ! -e $SCRATCH/bad.y4m ]] &&
        ! crashed "$rc" "$SCRATCH/bad.err"; then
        ok "$1: status 1, '$(head -n 1 "$SCRATCH/bad.err")'"
    else
        fail "$1: status $rc, $(head -c 300 "$SCRATCH/bad.err"), output left: $([[ -e $SCRATCH/bad.y4m ]] && echo yes || echo no)"
    fi
    rm -f "$SCRATCH/bad.y4m"
}
{ printf '\x1a\x45\xdf\xa3'; head -c 3000 /dev/urandom; } >"$SCRATCH/garbage.webm"
bad "garbage after the EBML signature" "$SCRATCH/garbage.webm"
size=$(stat -c %s "$SCRATCH/a.webm")
head -c 100 "$SCRATCH/a.webm" >"$SCRATCH/header-cut.webm"
bad "cut inside the header" "$SCRATCH/header-cut.webm"
# Cut in the middle of the frames: the frames before the cut decode, then the missing
# ones are reported (the demuxer ends quietly; the Duration in the header tells).
head -c $((size / 2)) "$SCRATCH/a.webm" >"$SCRATCH/mid-cut.webm"
rc=0
"$EXCAM" decode "$SCRATCH/mid-cut.webm" --md5 >"$SCRATCH/mid.md5" 2>"$SCRATCH/mid.err" || rc=$?
n=$(wc -l <"$SCRATCH/mid.md5")
if ((rc == 1)) && grep -q 'truncated' "$SCRATCH/mid.err" && ((n < 40)) &&
    head -n "$n" "$SCRATCH/ivf.md5" | cut -d' ' -f1 | cmp -s - <(cut -d' ' -f1 "$SCRATCH/mid.md5"); then
    ok "cut in the middle: $n good frames, then status $rc ($(head -n 1 "$SCRATCH/mid.err"))"
else
    fail "cut in the middle: status $rc, $n frames, $(head -n 1 "$SCRATCH/mid.err")"
fi
# A failed encode to .webm leaves nothing: the Y4M is cut inside frame 20.
fs=$((174 * 98 + 2 * 87 * 49 + 6))
hdr=$(head -n 1 "$SCRATCH/src.y4m" | wc -c)
head -c $((hdr + fs * 19 + 1000)) "$SCRATCH/src.y4m" >"$SCRATCH/cut.y4m"
rc=0
"$EXCAM" encode "$SCRATCH/cut.y4m" -q -o "$SCRATCH/cut.webm" 2>"$SCRATCH/cut.err" || rc=$?
if ((rc == 1)) && [[ ! -e $SCRATCH/cut.webm ]] && grep -q 'frame 20' "$SCRATCH/cut.err"; then
    ok "a Y4M cut in frame 20: status 1, no .webm left ($(head -n 1 "$SCRATCH/cut.err"))"
else
    fail "cut Y4M to .webm: status $rc, file left: $([[ -e $SCRATCH/cut.webm ]] && echo yes || echo no), $(cat "$SCRATCH/cut.err")"
fi

echo "webm: $passed passed, $failed failed"
((failed == 0))

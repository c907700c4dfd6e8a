#!/usr/bin/env bash
# Decode speed: excam against libvpx's vpxdec, single-threaded, on the same 720p and
# 1080p streams in the same run. Both only decode: excam without -o/--md5 (nothing is
# written), vpxdec with --noblit. Each measurement is repeated REPEAT times,
# interleaved (excam, vpxdec, next stream, ...), and the median wall time is kept.
# Writes a Markdown table to bench/results/decode.md (and prints it) and a gnuplot bar chart
# of the same run's numbers to bench/results/decode-speed.png (excam and vpxdec fps per
# stream, the excam/vpxdec ratio above each pair).
#
# Streams: the two derived HD streams of the test data, plus two made here with vpxenc
# (cached in build/bench/): the first 150 frames of the 720p camera clip and the 54
# frames of the 1080p one (2-pass, alt-ref, 2 token-partition bits).
# Environment: EXCAM_DATA, EXCAM_BIN (default build/excam), REPEAT (5).
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${EXCAM_DATA:-$ROOT/../shared/data}
EXCAM=${EXCAM_BIN:-$ROOT/build/excam}
REPEAT=${REPEAT:-5}
CACHE=$ROOT/build/bench
RESULTS_DIR=${BENCH_RESULTS:-$ROOT/bench/results}
RESULTS=$RESULTS_DIR/decode.md
PLOT=$RESULTS_DIR/decode-speed.png

[[ -x $EXCAM ]] || { echo "decode.sh: $EXCAM is not built (run make)" >&2; exit 1; }
command -v vpxdec >/dev/null || { echo "decode.sh: vpxdec not installed" >&2; exit 1; }
mkdir -p "$CACHE" "$RESULTS_DIR"
DAT=$(mktemp "${TMPDIR:-/tmp}/excam-decode.XXXXXX")
trap 'rm -f "$DAT"' EXIT

# usage: make_stream SRC.264 FRAMES BITRATE OUT.ivf (once; kept in build/bench/)
make_stream() {
    local src=$1 frames=$2 rate=$3 out=$4 tmp
    [[ -s $out ]] && return 0
    if [[ ! -f $src ]] || ! command -v ffmpeg >/dev/null || ! command -v vpxenc >/dev/null; then
        echo "note: cannot make $(basename "$out") (needs $src, ffmpeg and vpxenc)" >&2
        return 1
    fi
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/excam-bench.XXXXXX")
    ffmpeg -v error -nostdin -y -i "$src" -frames:v "$frames" -pix_fmt yuv420p \
        -f yuv4mpegpipe "$tmp/src.y4m"
    vpxenc --codec=vp8 --ivf -q --good --cpu-used=4 --passes=2 --end-usage=vbr \
        --target-bitrate="$rate" --token-parts=2 --auto-alt-ref=1 --lag-in-frames=16 \
        --fpf="$tmp/fpf" -o "$tmp/out.ivf" "$tmp/src.y4m" </dev/null
    mv "$tmp/out.ivf" "$out"
    rm -rf "$tmp"
}

streams=()
add() { [[ -f $1 ]] && streams+=("$1"); return 0; }
add "$DATA/derived-vp8/zhling_1280x720_vp8_tp4.ivf"
make_stream "$DATA/clips/camera/VID_1280x720_cabac_temporal_direct.264" 150 5000 \
    "$CACHE/flower_1280x720_150f.ivf" && add "$CACHE/flower_1280x720_150f.ivf"
add "$DATA/derived-vp8/street_1920x1080_vp8_altref_tp8.ivf"
make_stream "$DATA/clips/camera/VID_1920x1080_cabac_temporal_direct.264" 54 8000 \
    "$CACHE/street_1920x1080_54f.ivf" && add "$CACHE/street_1920x1080_54f.ivf"
((${#streams[@]} > 0)) || { echo "decode.sh: no streams (set EXCAM_DATA)" >&2; exit 1; }

# Decode-only commands (--noblit: decode, write nothing).
excam_cmd() { "$EXCAM" decode --noblit "$1"; }
vpxdec_cmd() { vpxdec --threads=1 --noblit "$1"; }

# Wall seconds of one run (stdout discarded); fails if the decoder fails.
seconds() {
    local t0 t1
    t0=$EPOCHREALTIME
    "$@" >/dev/null
    t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

frames_of() { # IVF frame count, from walking the frame headers
    local f=$1 size off n=0
    size=$(stat -c %s "$f")
    off=$(od -An -tu2 -j 6 -N 2 "$f" | tr -d ' ')
    while ((off + 12 <= size)); do
        off=$((off + 12 + $(od -An -tu4 -j "$off" -N 4 "$f" | tr -d ' ')))
        n=$((n + 1))
    done
    echo "$n"
}

declare -A times
for s in "${streams[@]}"; do # warm the page cache and check both decode it
    excam_cmd "$s" >/dev/null || { echo "decode.sh: excam failed on $s" >&2; exit 1; }
    vpxdec_cmd "$s" >/dev/null
done
for ((r = 1; r <= REPEAT; r++)); do
    for s in "${streams[@]}"; do
        times[$s.excam]+="$(seconds excam_cmd "$s") "
        times[$s.vpxdec]+="$(seconds vpxdec_cmd "$s") "
    done
    # Process start-up alone (loading the shared libraries), which the times above include.
    times[start.excam]+="$(seconds "$EXCAM" --version) "
    times[start.vpxdec]+="$(seconds vpxdec --help) "
done

cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || commit+=" (with uncommitted changes)"
{
    echo "# Decode speed: excam vs vpxdec"
    echo
    echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); CPU: ${cpu:-unknown} ($(nproc) cores); commit $commit."
    echo "Single thread, decode only: \`excam decode --noblit IN.ivf\` vs \`vpxdec --threads=1 --noblit IN.ivf\`"
    echo "(libvpx $(vpxdec --help 2>&1 | grep -oE 'v[0-9]+\.[0-9]+\.[0-9]+' | head -n 1 || true))."
    echo "Median of $REPEAT interleaved runs, wall time; fps counts every input frame (hidden alt-ref frames included)."
    echo
    echo "| stream | frames | resolution | excam fps | vpxdec fps | excam/vpxdec |"
    echo "| --- | ---: | --- | ---: | ---: | ---: |"
    for s in "${streams[@]}"; do
        n=$(frames_of "$s")
        w=$(od -An -tu2 -j 12 -N 2 "$s" | tr -d ' ')
        h=$(od -An -tu2 -j 14 -N 2 "$s" | tr -d ' ')
        te=$(tr ' ' '\n' <<<"${times[$s.excam]}" | grep . | median)
        tv=$(tr ' ' '\n' <<<"${times[$s.vpxdec]}" | grep . | median)
        awk -v s="$(basename "$s" .ivf)" -v n="$n" -v w="$w" -v h="$h" -v te="$te" -v tv="$tv" \
            'BEGIN { printf "| %s | %d | %dx%d | %.1f | %.1f | %.2f |\n", s, n, w, h, n / te, n / tv, tv / te }'
        # The plot's data: name, excam fps, vpxdec fps, ratio (the table's numbers), size.
        awk -v s="$(basename "$s" .ivf)" -v n="$n" -v w="$w" -v h="$h" -v te="$te" -v tv="$tv" \
            'BEGIN { r = w "x" h; sub("_" r, "", s); printf "\"%s\" %.1f %.1f %.2f %s\n", s, n / te, n / tv, tv / te, r }' >>"$DAT"
    done
    awk -v e="$(tr ' ' '\n' <<<"${times[start.excam]}" | grep . | median)" \
        -v v="$(tr ' ' '\n' <<<"${times[start.vpxdec]}" | grep . | median)" -v l="$(ldd "$EXCAM" 2>/dev/null | wc -l)" \
        'BEGIN { printf "\nProcess start-up, included in the times above (median of `excam --version` and `vpxdec --help`): excam %.1f ms (ldd lists %d libraries; libavformat, libcurl and OpenSSL are loaded only by the commands that use them), vpxdec %.1f ms (excam/vpxdec %.2f).\n", e * 1000, l, v * 1000, e / v }'
    # The mean ratio over the streams (geometric): the headline number.
    awk '{ l += log($4); k++ } END { if (k) printf "\nexcam/vpxdec decode speed: %.2fx (geometric mean over the %d streams; above 1 excam is faster).\n", exp(l / k), k }' "$DAT"
    if command -v gnuplot >/dev/null; then
        printf '\n![excam and vpxdec decode speed](decode-speed.png)\n'
    fi
} >"$RESULTS"
if command -v gnuplot >/dev/null; then
    gnuplot <<EOF || echo "decode.sh: gnuplot failed; no plot" >&2
set terminal pngcairo noenhanced size 900,600 font ',10'
set output '$PLOT'
set title 'Decode speed, one thread, measured in the same run ($(date -u '+%Y-%m-%d'), $(nproc) cores); labels: excam/vpxdec'
set ylabel 'frames per second (decode only)'
set style data histogram
set style histogram clustered gap 1.5
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key top right
set yrange [0:*]
set xtics scale 0
set bmargin 4
set offsets 0, 0, graph 0.12, 0
plot '$DAT' using 2:xtic(stringcolumn(1)."\\n".stringcolumn(5)) title 'excam decode --noblit', \
     '' using 3 title 'vpxdec --threads=1 --noblit', \
     '' using 0:(\$2 > \$3 ? \$2 : \$3):(sprintf('%.2fx', \$4)) with labels offset 0,1 notitle
EOF
fi
cat "$RESULTS"

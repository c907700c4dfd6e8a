#!/usr/bin/env bash
# Bitrate targets in the pipeline: excam's serial encode and the ExCamera[6,16] pipeline
# with per-chunk quantizers at several --bias-pct (100: one quantizer for the job), all
# with --end-usage vbr at the same targets, on a real camera clip. (The default bias is
# 100 for vbr, 50 for cbr: tools/cmd_encode.c says why, from these tables.)
#
# For each target: the bitrate reached, PSNR and SSIM (vpxdec's decoding against the
# source, ffmpeg, frames paired by index), and for the pipeline how evenly its chunks'
# bitrates come out (sd/mean over the chunks that do not start a group: those carry a
# key frame). Then BD-rates (bench/bdrate.py, by SSIM in dB and by PSNR) of each bias
# against the serial encode. Writes bench/results/pipeline-vbr.md (pipeline-vbr-CLIP.md).
#
# Environment:
#   EXCAM_DATA  test data (default <repo>/../shared/data); missing clip → SKIP, exit 0
#   EXCAM_BIN   the excam binary (default build/excam; copied first)
#   CLIP        foreman (default, 352x288, 299 frames) or flower (1280x720, FRAMES of it)
#   TS          targets in kbit/s (default foreman "150 300 600 1100", flower
#               "800 1600 3000 6000")
#   BIASES      the --bias-pct values (default "100 50 0")
#   FRAMES      frames of the clip (default 300)
#   WORKERS     pipeline workers (default: nproc)
#   BENCH_RESULTS  where the results go (default bench/results)
set -uo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${EXCAM_DATA:-$ROOT/../shared/data}
SRC_BIN=${EXCAM_BIN:-$ROOT/build/excam}
FRAMES=${FRAMES:-300}
WORKERS=${WORKERS:-$(nproc)}
read -ra BIASES <<<"${BIASES:-100 50 0}"
RESULTS_DIR=${BENCH_RESULTS:-$ROOT/bench/results}
case ${CLIP:-foreman} in
foreman) CLIP=$DATA/clips/camera/BA1_FT_C.264 NAME=foreman SUFFIX="" CLIP_ENV="" DTS="150 300 600 1100" ;;
flower) CLIP=$DATA/clips/camera/VID_1280x720_cabac_temporal_direct.264 NAME=flower SUFFIX=-flower CLIP_ENV="CLIP=flower " DTS="800 1600 3000 6000" ;;
*) echo "vbr.sh: CLIP is foreman or flower" >&2; exit 2 ;;
esac
read -ra TLIST <<<"${TS:-$DTS}"

die() { echo "vbr.sh: $*" >&2; exit 1; }
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
[[ -f $CLIP ]] || { echo "SKIP vbr.sh: $CLIP not found (set EXCAM_DATA)"; exit 0; }
[[ -x $SRC_BIN ]] || die "$SRC_BIN is not built (run make)"
for t in ffmpeg vpxdec python3; do command -v "$t" >/dev/null || die "$t is not installed"; done
((${#TLIST[@]} >= 4)) || die "TS needs at least 4 targets for BD-rate"

bench_prepare vbrbench

ffmpeg -v error -nostdin -i "$CLIP" -frames:v "$FRAMES" -pix_fmt yuv420p -f yuv4mpegpipe \
    "$TMP/src.y4m" || die "ffmpeg cannot decode $CLIP"
y4m_info "$TMP/src.y4m"

# usage: measure IVF: "psnr ssim_db" of libvpx's decoding against the source.
measure() { quality "$1" "$TMP/src.y4m" "$W" "$H" "$TMP" || die "cannot measure $1"; }

# usage: spread IVF: sd/mean of the bitrates of the chunks of 6 not starting a group of 16.
spread() {
    "$EXCAM" info "$1" | awk '$1 == "frame" { n++; b[n] = $NF; sub("bytes=", "", b[n]) }
        END { for (i = 1; i <= n; i += 6) { c = (i - 1) / 6; if (c % 16 == 0) continue
                s = 0; k = 0; for (j = i; j < i + 6 && j <= n; j++) { s += b[j]; k++ }
                r[++m] = s / k }
              for (i = 1; i <= m; i++) mean += r[i] / m
              for (i = 1; i <= m; i++) v += (r[i] - mean) ^ 2 / m
              printf "%.2f", sqrt(v) / mean }'
}

IDS=(serial)
for b in "${BIASES[@]}"; do IDS+=("bias$b"); done
POINTS=$TMP/points # id target bytes kbps psnr ssimdb spread
: >"$POINTS"
for t in "${TLIST[@]}"; do
    line="target $t:"
    for id in "${IDS[@]}"; do
        out=$TMP/$id-$t.ivf
        cmd=("$EXCAM" encode "$TMP/src.y4m" -q --end-usage vbr --target-bitrate "$t" -o "$out")
        [[ $id == serial ]] || cmd+=(--chunk 6 --rebase 16 --workers "$WORKERS" --bias-pct "${id#bias}")
        "${cmd[@]}" </dev/null >"$TMP/log" 2>&1 || { cat "$TMP/log" >&2; die "failed: ${cmd[*]}"; }
        pq=$(measure "$out") || exit 1
        read -r psnr ssimdb <<<"$pq"
        bytes=$(stat -c %s "$out")
        kbps=$(awk -v b="$bytes" -v n="$N" -v f="$FPS" 'BEGIN { printf "%.1f", b * 8 / n * f / 1000 }')
        sp=-
        [[ $id == serial ]] || sp=$(spread "$out")
        echo "$id $t $bytes $kbps $psnr $ssimdb $sp" >>"$POINTS"
        line+=" $id $kbps kbit/s"
    done
    echo "$line"
done

bd() {
    python3 "$ROOT/bench/bdrate.py" \
        "$(awk -v id="$2" -v c="$3" '$1 == id { printf "%s,%s;", $4, $c }' "$POINTS")" \
        "$(awk -v id="$1" -v c="$3" '$1 == id { printf "%s,%s;", $4, $c }' "$POINTS")" 2>/dev/null || echo "n/a"
}

mkdir -p "$RESULTS_DIR" || die "cannot make $RESULTS_DIR"
MD=$RESULTS_DIR/pipeline-vbr$SUFFIX.md
{
    echo "# Bitrate targets in the pipeline: $NAME"
    echo
    echo "excam commit $commit. Clip: $NAME ($(basename "$CLIP")), $N frames ${W}x$H at $FPS fps;"
    echo "\`--end-usage vbr --target-bitrate T\`: the serial encode (its own rate control, 2 passes),"
    echo "and \`--chunk 6 --rebase 16 --workers $WORKERS --bias-pct B\` (per-chunk quantizers; 100:"
    echo "one for the job). Decoded with vpxdec; PSNR and SSIM by ffmpeg, frames paired by index."
    echo "Spread: sd/mean of the bitrates of the chunks that do not start a group."
    echo
    echo "Rerun: \`${CLIP_ENV}TS=\"${TLIST[*]}\" BIASES=\"${BIASES[*]}\" FRAMES=$FRAMES bash bench/vbr.sh\`"
    echo
    echo "| encode | BD-rate vs serial, SSIM | BD-rate vs serial, PSNR |"
    echo "|---|---|---|"
    for id in "${IDS[@]:1}"; do
        echo "| --bias-pct ${id#bias} | $(bd "$id" serial 6)% | $(bd "$id" serial 5)% |"
    done
    echo
    echo "| target kbit/s | encode | kbit/s | PSNR | SSIM dB | spread |"
    echo "|---|---|---|---|---|---|"
    awk '{ printf "| %s | %s | %s | %s | %s | %s |\n", $2, $1, $4, $5, $6, $7 }' "$POINTS"
    echo
    echo "Took $((SECONDS - START)) s."
} >"$MD"
echo "vbr.sh: done in $((SECONDS - START)) s; results in $MD"

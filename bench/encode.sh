#!/usr/bin/env bash
# Encoder benchmark: excam's VP8 encoder against libvpx's vpxenc (--good --cpu-used=0 and
# --cpu-used=1) on real camera clips, at a fixed quantizer (--end-usage q, min-q = max-q =
# cq-level = N for N in QS), which compares coding efficiency without rate control in the way.
#
# For each clip: the first frames of the H.264 camera clip are decoded to Y4M with ffmpeg (in
# a temporary directory); for each quantizer, excam, vpxenc --cpu-used=0 and vpxenc
# --cpu-used=1 encode it one after the other (interleaved, so machine noise hits all three
# alike) and each encode's wall time is taken. Every output is then decoded with libvpx
# (vpxdec --i420) and compared with the source, frame i against frame i, with ffmpeg's psnr
# and ssim filters. Bitrate is the VP8 payload (file size minus the IVF headers).
#
# Writes bench/results/encode.md (BD-rates by PSNR and SSIM with bench/bdrate.py, speed
# ratios, every RD point, the commands) and bench/results/encode-rd-<clip>.png (gnuplot).
#
# Environment:
#   EXCAM_DATA   test data (default <repo>/../shared/data); missing clips → SKIP, exit 0
#   EXCAM_BIN    the excam binary (default build/excam; copied first, so a rebuild during
#                the run does not change it half-way)
#   EXCAM_ARGS   extra excam encode options, e.g. "--good --cpu-used 1" (default: none,
#                i.e. excam's default preset)
#   QS           quantizer levels, 0..63 (default "8 20 32 44 56"; at least 4 for BD-rate)
#   FRAMES       frames per clip (default: per clip, see CLIPS below; capped at the clip's length)
#   CLIPS_ONLY   space-separated clip names to run (default: all)
#   BENCH_RESULTS  where encode.md and the plots go (default bench/results)
# Exit status: 0 (also on SKIP), 1 if an encode, a decode or a measurement failed.
set -uo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${EXCAM_DATA:-$ROOT/../shared/data}
EXCAM_SRC_BIN=${EXCAM_BIN:-$ROOT/build/excam}
QS=${QS:-8 20 32 44 56}
FRAMES=${FRAMES:-}
RESULTS_DIR=${BENCH_RESULTS:-$ROOT/bench/results}
RESULTS=$RESULTS_DIR/encode.md
read -ra EXCAM_EXTRA <<<"${EXCAM_ARGS:-}"
read -ra QLIST <<<"$QS"

# name | file in $DATA/clips/camera | default frames (foreman, Zhling and street: the whole
# clip). The defaults keep the whole run at about 15-20 minutes on a 2-core EPYC.
CLIPS=(
    "foreman_cif|BA1_FT_C.264|299"
    "flower_720p|VID_1280x720_cabac_temporal_direct.264|90"
    "zhling_720p|Zhling_1280x720.264|19"
    "street_1080p|VID_1920x1080_cabac_temporal_direct.264|54"
)
# Encoders: id | label (for tables and plots).
ENCODERS=("excam|excam" "vpx0|vpxenc --cpu-used=0" "vpx1|vpxenc --cpu-used=1")

die() { echo "encode.sh: $*" >&2; exit 1; }
skip() { echo "SKIP encode.sh: $*"; exit 0; }

[[ -d $DATA/clips/camera ]] || skip "no camera clips in $DATA/clips/camera (set EXCAM_DATA)"
[[ -x $EXCAM_SRC_BIN ]] || die "$EXCAM_SRC_BIN is not built (run make)"
for t in ffmpeg vpxenc vpxdec python3; do
    command -v "$t" >/dev/null || die "$t is not installed (scripts/deps.sh)"
done
((${#QLIST[@]} >= 4)) || die "QS needs at least 4 quantizers for BD-rate (got '$QS')"
for q in "${QLIST[@]}"; do
    if ! [[ $q =~ ^[0-9]+$ ]] || ((q > 63)); then die "bad quantizer '$q' in QS"; fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/excam-encbench.XXXXXX") || die "cannot make a temp dir"
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
cp "$EXCAM_SRC_BIN" "$TMP/excam" || die "cannot copy $EXCAM_SRC_BIN"
EXCAM=$TMP/excam
START=$EPOCHREALTIME
# What is measured: the tree's commit now (the binary was just copied) and the binary itself.
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || commit+=" with uncommitted changes"
load0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)
binary="$(date -u -r "$EXCAM_SRC_BIN" '+%Y-%m-%d %H:%M UTC'), sha256 $(sha256sum "$EXCAM" | cut -c1-12)"

# The commands measured (stdout/stderr go to a log, shown if the command fails).
# vpxenc warns that min-q = max-q is a "bad quantizer" range; it still uses that quantizer.
enc_excam() { # IN OUT Q
    "$EXCAM" encode "$1" -o "$2" -q --end-usage q --min-q "$3" --max-q "$3" --cq-level "$3" \
        "${EXCAM_EXTRA[@]}"
}
enc_vpx() { # CPU IN OUT Q
    vpxenc --codec=vp8 --ivf --quiet --disable-warning-prompt --good --cpu-used="$1" \
        --threads=1 --end-usage=q --min-q="$4" --max-q="$4" --cq-level="$4" -o "$3" "$2"
}
encode() { # ENC IN OUT Q
    case $1 in
        excam) enc_excam "$2" "$3" "$4" ;;
        vpx0) enc_vpx 0 "$2" "$3" "$4" ;;
        vpx1) enc_vpx 1 "$2" "$3" "$4" ;;
    esac
}

# Runs "$@" with its output in $TMP/log; prints "wall_seconds cpu_seconds" (cpu = user + sys
# of the command). On failure shows the log and exits 1.
timed() {
    local TIMEFORMAT='%3R %3U %3S' t
    t=$({ time "$@" </dev/null >"$TMP/log" 2>&1; } 2>&1) || { cat "$TMP/log" >&2; die "failed: $*"; }
    awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' <<<"$t"
}

# "packets payload_bytes frame_q" of an IVF file, from `excam info` (one line per frame with
# its q and bytes; checked against the file size: 32-byte header, 12 bytes per frame header).
# frame_q: the quantizer indices (0..127) in the frame headers, "43" or "40-43".
ivf_stats() {
    local info
    info=$("$EXCAM" info "$1") || return 1
    awk -v fsize="$(stat -c %s "$1")" '/^frame/ {
            n++; for (i = 1; i <= NF; i++) {
                if ($i ~ /^bytes=/) b += substr($i, 7)
                if ($i ~ /^q=/) { q = substr($i, 3) + 0; if (lo == "" || q < lo) lo = q; if (hi == "" || q > hi) hi = q }
            } }
        END { if (n == 0 || b + 32 + 12 * n != fsize) exit 1
              print n, b, (lo == hi) ? lo : lo "-" hi }' <<<"$info"
}

# Decode OUT.ivf with vpxdec and compare with SRC.y4m: prints "psnr ssim ssim_db".
measure() { # IVF SRC W H FRAMES
    local ivf=$1 src=$2 w=$3 h=$4 n=$5 yuv=$TMP/dec.yuv size log
    vpxdec --i420 -o "$yuv" "$ivf" </dev/null >"$TMP/log" 2>&1 || { cat "$TMP/log" >&2; die "vpxdec failed on $ivf"; }
    size=$(stat -c %s "$yuv")
    ((size == n * (w * h + 2 * ((w + 1) / 2) * ((h + 1) / 2)))) ||
        die "vpxdec gave $size bytes for $ivf, expected $n frames of ${w}x$h"
    # Both inputs get timestamps 0, 1, 2, ... in one time base: frames pair by index.
    log=$(ffmpeg -hide_banner -nostdin -f rawvideo -pix_fmt yuv420p -s "${w}x$h" -i "$yuv" -i "$src" \
        -lavfi "[0:v]settb=AVTB,setpts=N[x];[1:v]settb=AVTB,setpts=N[y];[x]split[a][b];[y]split[c][d];[a][c]ssim;[b][d]psnr" \
        -f null - 2>&1) || { echo "$log" >&2; die "ffmpeg psnr/ssim failed on $ivf"; }
    rm -f "$yuv"
    awk '/Parsed_psnr/ { for (i = 1; i <= NF; i++) if ($i ~ /^average:/) p = substr($i, 9) }
         /Parsed_ssim/ { for (i = 1; i <= NF; i++) if ($i ~ /^All:/) { s = substr($i, 5); d = $(i + 1) } }
         END { gsub(/[()]/, "", d); if (p == "" || s == "") exit 1; print p, s, d }' <<<"$log" ||
        { echo "$log" >&2; die "no PSNR/SSIM in ffmpeg's output for $ivf"; }
}

# --- the clips ------------------------------------------------------------------------------
mkdir -p "$RESULTS_DIR"
POINTS=$TMP/points.tsv # clip enc q packets bytes kbps psnr ssim ssim_db wall cpu frame_q
CLIPINFO=$TMP/clips.tsv # clip file frames w h fps
: >"$POINTS"
: >"$CLIPINFO"
nclips=0
for c in "${CLIPS[@]}"; do
    IFS='|' read -r name file deff <<<"$c"
    if [[ -n ${CLIPS_ONLY:-} && " $CLIPS_ONLY " != *" $name "* ]]; then continue; fi
    src=$DATA/clips/camera/$file
    [[ -f $src ]] || { echo "note: $src is missing; $name skipped" >&2; continue; }
    n=${FRAMES:-$deff}
    y4m=$TMP/$name.y4m
    ffmpeg -v error -nostdin -y -i "$src" -frames:v "$n" -pix_fmt yuv420p -f yuv4mpegpipe "$y4m" ||
        die "ffmpeg could not decode $src"
    hdr=$(head -n 1 "$y4m")
    w=$(grep -oE ' W[0-9]+' <<<"$hdr" | cut -c3-)
    h=$(grep -oE ' H[0-9]+' <<<"$hdr" | cut -c3-)
    fps=$(grep -oE ' F[0-9]+:[0-9]+' <<<"$hdr" | cut -c3-)
    fsize=$((6 + w * h + 2 * ((w + 1) / 2) * ((h + 1) / 2)))
    body=$(($(stat -c %s "$y4m") - ${#hdr} - 1))
    ((body > 0 && body % fsize == 0)) || die "$y4m: unexpected size (frames with parameters?)"
    n=$((body / fsize))
    printf '%s\t%s\t%d\t%d\t%d\t%s\n' "$name" "$file" "$n" "$w" "$h" "$fps" >>"$CLIPINFO"
    echo "== $name: $file, $n frames ${w}x$h, quantizers $QS" >&2
    for q in "${QLIST[@]}"; do
        line="   q=$q:"
        for e in "${ENCODERS[@]}"; do
            id=${e%%|*}
            secs=$(timed encode "$id" "$y4m" "$TMP/$name.$id.$q.ivf" "$q") || exit 1
            echo "$secs" >"$TMP/$name.$id.$q.sec"
            line+=" $id ${secs%% *}s"
        done
        for e in "${ENCODERS[@]}"; do
            id=${e%%|*}
            ivf=$TMP/$name.$id.$q.ivf
            st=$(ivf_stats "$ivf") || die "$ivf: bad IVF (excam info disagrees with its size)"
            read -r packets bytes fq <<<"$st"
            ((packets >= n)) || die "$ivf: $packets frames, expected $n"
            m=$(measure "$ivf" "$y4m" "$w" "$h" "$n") || exit 1
            read -r psnr ssim ssimdb <<<"$m"
            awk -v c="$name" -v e="$id" -v q="$q" -v p="$packets" -v b="$bytes" -v n="$n" -v fps="$fps" \
                -v ps="$psnr" -v ss="$ssim" -v sd="$ssimdb" -v t="$(cat "$TMP/$name.$id.$q.sec")" -v fq="$fq" \
                'BEGIN { split(fps, f, ":"); kbps = b * 8 / 1000 / (n * f[2] / f[1]); split(t, tt, " ");
                         printf "%s\t%s\t%d\t%d\t%d\t%.2f\t%s\t%s\t%s\t%s\t%s\t%s\n", c, e, q, p, b, kbps, ps, ss, sd, tt[1], tt[2], fq }' \
                >>"$POINTS"
            line+=" | $id $(printf '%.2f' "$psnr") dB"
            rm -f "$ivf"
        done
        echo "$line" >&2
    done
    rm -f "$y4m"
    nclips=$((nclips + 1))
done
((nclips > 0)) || skip "none of the camera clips were found in $DATA/clips/camera"
ELAPSED=$(awk -v a="$START" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')

# --- plots ----------------------------------------------------------------------------------
if command -v gnuplot >/dev/null; then
    while IFS=$'\t' read -r name file n w h fps; do
        plotcmd=""
        for e in "${ENCODERS[@]}"; do
            IFS='|' read -r id label <<<"$e"
            awk -F'\t' -v c="$name" -v e="$id" '$1 == c && $2 == e { print $6, $7 }' "$POINTS" |
                sort -g >"$TMP/$name.$id.dat"
            plotcmd+="${plotcmd:+, }'$TMP/$name.$id.dat' using 1:2 with linespoints title '$label'"
        done
        gnuplot <<EOF || die "gnuplot failed for $name"
set terminal pngcairo noenhanced size 800,560 font ",10"
set output '$RESULTS_DIR/encode-rd-$name.png'
set title "$name ($file, ${w}x$h, $n frames): fixed quantizer $QS"
set xlabel 'kbit/s (VP8 payload)'
set ylabel 'PSNR (dB, Y+U+V)'
set logscale x
set xtics ($(for e in 10 100 1000 10000 100000; do printf '%d,%d,%d,' $e $((2 * e)) $((5 * e)); done) 1000000)
set format x "%g"
set autoscale fix
set offsets graph 0.04, graph 0.04, graph 0.04, graph 0.04
set grid xtics mxtics ytics
set key bottom right
plot $plotcmd
EOF
    done <"$CLIPINFO"
else
    echo "note: gnuplot is not installed; no RD plots" >&2
fi

# --- the results page -----------------------------------------------------------------------
cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
libvpx=$(vpxenc --help 2>&1 | grep -oE 'v[0-9]+\.[0-9]+\.[0-9]+' | head -n 1)
excam_cmd="excam encode IN.y4m -o OUT.ivf -q --end-usage q --min-q N --max-q N --cq-level N${EXCAM_ARGS:+ $EXCAM_ARGS}"
vpx_cmd() { echo "vpxenc --codec=vp8 --ivf --quiet --disable-warning-prompt --good --cpu-used=$1 --threads=1 --end-usage=q --min-q=N --max-q=N --cq-level=N -o OUT.ivf IN.y4m"; }

python3 - "$POINTS" "$CLIPINFO" "$ROOT/bench" >"$TMP/tables.md" <<'EOF' || die "making the tables failed"
import math, sys
sys.path.insert(0, sys.argv[3])
from bdrate import bd_rate

encs = [("excam", "excam"), ("vpx0", "vpxenc --cpu-used=0"), ("vpx1", "vpxenc --cpu-used=1")]
pts = {}
for line in open(sys.argv[1]):
    c, e, q, packets, nbytes, kbps, psnr, ssim, ssimdb, secs, cpu, fq = line.rstrip("\n").split("\t")
    pts.setdefault((c, e), []).append(dict(q=int(q), packets=int(packets), bytes=int(nbytes),
        kbps=float(kbps), psnr=float(psnr), ssim=float(ssim), ssimdb=float(ssimdb),
        secs=float(secs), cpu=float(cpu), fq=fq))
clips = [l.rstrip("\n").split("\t") for l in open(sys.argv[2])]

def bd(c, ref, metric):
    try:
        return bd_rate([(p["kbps"], p[metric]) for p in pts[(c, ref)]],
                       [(p["kbps"], p[metric]) for p in pts[(c, "excam")]])
    except (ValueError, ZeroDivisionError):
        return float("nan")

def total(c, e, key="secs"):
    return sum(p[key] for p in pts[(c, e)])

def pct(v):
    return "n/a" if math.isnan(v) else "%+.1f%%" % v

keys = ("p0", "s0", "p1", "s1", "v0", "v1", "c0", "c1")
rows, avg = [], {k: [] for k in keys}
for name, f, n, w, h, fps in clips:
    r = dict(p0=bd(name, "vpx0", "psnr"), s0=bd(name, "vpx0", "ssimdb"),
             p1=bd(name, "vpx1", "psnr"), s1=bd(name, "vpx1", "ssimdb"))
    for i in "01":  # speed = vpxenc's time / excam's, by wall and by CPU time
        r["v" + i] = total(name, "vpx" + i) / total(name, "excam")
        r["c" + i] = total(name, "vpx" + i, "cpu") / total(name, "excam", "cpu")
    for k in keys:
        avg[k].append(r[k])
    nq = len(pts[(name, "excam")])
    fpsx = lambda e: int(n) * nq / total(name, e)
    rows.append("| %s | %s | %s | %s | %s | **%.2f×** (%.2f×) | **%.2f×** (%.2f×) | %.1f / %.1f / %.1f |" % (
        "%s (%sx%s, %s frames)" % (name, w, h, n), pct(r["p0"]), pct(r["s0"]), pct(r["p1"]), pct(r["s1"]),
        r["v0"], r["c0"], r["v1"], r["c1"], fpsx("excam"), fpsx("vpx0"), fpsx("vpx1")))

mean = lambda v: sum(v) / len(v)
gmean = lambda v: math.exp(sum(math.log(x) for x in v) / len(v))
a = {k: (gmean(v) if k[0] in "vc" else mean(v)) for k, v in avg.items()}
print("| clip | BD-rate PSNR vs cpu-used=0 | BD-rate SSIM vs cpu-used=0 | BD-rate PSNR vs cpu-used=1 "
      "| BD-rate SSIM vs cpu-used=1 | excam speed = X× cpu-used=0's | excam speed = X× cpu-used=1's "
      "| fps excam / cpu-used=0 / cpu-used=1 |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
print("\n".join(rows))
print("| **average** | **%s** | **%s** | **%s** | **%s** | **%.2f×** (%.2f×) | **%.2f×** (%.2f×) | |" % (
    pct(a["p0"]), pct(a["s0"]), pct(a["p1"]), pct(a["s1"]), a["v0"], a["c0"], a["v1"], a["c1"]))
print()
print("Speed: \"excam speed = X× vpxenc's\" is vpxenc's total encode wall time over the clip's %d "
      "quantizers divided by excam's (X < 1: excam is slower; excam time / vpxenc time = 1/X). In "
      "parentheses: the same ratio by CPU time (user + sys), less sensitive to other load on the "
      "machine. fps: frames × quantizers / total wall time. Average row: arithmetic mean of the "
      "clips' BD-rates, geometric mean of their speed ratios." % len(pts[(clips[0][0], "excam")]))
print()
ok = a["p1"] <= 10 and a["v1"] >= 0.5
goal = a["p1"] <= 0 and a["v1"] >= 1
print("**Against the bar** (averages, PSNR BD-rate vs `--cpu-used=1`): %s at %.2f× its speed → %s%s." % (
    pct(a["p1"]), a["v1"], "bar **met**" if ok else "bar **not met**",
    "; goal met" if goal else "; goal (≤ 0% at ≥ 1×) not met"))
print()
print("## RD points")
for name, f, n, w, h, fps in clips:
    print()
    print("### %s (%s, %sx%s, %s frames at %s fps)" % (name, f, w, h, n, fps.replace(":", "/")))
    print()
    print("![RD curve of %s](encode-rd-%s.png)" % (name, name))
    print()
    print("| encoder | N | frame q | bytes | kbit/s | PSNR (dB) | SSIM | SSIM (dB) | seconds | CPU s | fps |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for e, label in encs:
        for p in pts[(name, e)]:
            print("| %s | %d | %s | %d | %.1f | %.3f | %.5f | %.3f | %.2f | %.2f | %.1f |" % (
                label, p["q"], p["fq"], p["bytes"], p["kbps"], p["psnr"], p["ssim"], p["ssimdb"],
                p["secs"], p["cpu"], int(n) / p["secs"]))
EOF

{
    echo "# Encode: excam vs vpxenc (VP8, fixed quantizer)"
    echo
    echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); CPU: ${cpu:-unknown} ($(nproc) cores); libvpx ${libvpx:-unknown};"
    echo "ffmpeg $(ffmpeg -version | awk 'NR == 1 { print $3 }'). excam: commit $commit at the start of the run;"
    echo "the binary ($(basename "$EXCAM_SRC_BIN")) built $binary. The benchmark took $((ELAPSED / 60)) min $((ELAPSED % 60)) s;"
    echo "load average (1, 5, 15 min) ${load0:-?} at its start, $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null) at its end (other load makes wall times noisy)."
    echo
    echo "Issue \"VP8 encoder competitive with vpxenc\": **bar** BD-rate ≤ +10% against"
    echo "\`vpxenc --good --cpu-used=1\` at ≥ 0.5× its speed; **goal** ≤ 0% at equal speed."
    echo "BD-rate: positive = excam needs that many more bits for the same quality."
    echo
    cat "$TMP/tables.md"
    echo
    echo "## Method"
    echo
    echo "Inputs: the first frames of camera clips in \`\$EXCAM_DATA/clips/camera\`, decoded to Y4M with"
    echo "\`ffmpeg -i CLIP.264 -frames:v F -pix_fmt yuv420p -f yuv4mpegpipe IN.y4m\`."
    echo "For each clip and each N in $QS, in this order (interleaved, one at a time, wall time of each):"
    echo
    echo "    $excam_cmd"
    echo "    $(vpx_cmd 0)"
    echo "    $(vpx_cmd 1)"
    echo
    echo "Both are single-threaded (excam's encoder has no threads). excam's preset is its default"
    echo "(\`--good\`, \`--cpu-used 4\`)${EXCAM_ARGS:+ with \`$EXCAM_ARGS\`}. \"frame q\" is the quantizer index (0..127) in the frame"
    echo "headers (\`excam info\`): N maps to the same index in both encoders."
    echo
    echo "Rate control: fixed quantizer (\`--end-usage q\` with min-q = max-q = cq-level = N), so the curves"
    echo "compare coding efficiency only. vpxenc warns that min-q = max-q is a \"bad quantizer\" range but"
    echo "uses it. Not \`--end-usage=cq\` with a huge target bitrate: there vpxenc boosts golden frames down to"
    echo "q=4 whatever the cq-level, and the curves are not comparable."
    echo
    echo "Measurement: every output is decoded by libvpx (\`vpxdec --i420 -o dec.yuv OUT.ivf\`) and compared"
    echo "with IN.y4m, frames paired by index:"
    echo "\`ffmpeg -f rawvideo -pix_fmt yuv420p -s WxH -i dec.yuv -i IN.y4m -lavfi \"[0:v]settb=AVTB,setpts=N[x];[1:v]settb=AVTB,setpts=N[y];[x]split[a][b];[y]split[c][d];[a][c]ssim;[b][d]psnr\" -f null -\`."
    echo "PSNR is the psnr filter's \`average\` (Y, U and V together, over all frames); SSIM is the ssim filter's"
    echo "\`All\`, and BD-rate by SSIM fits its dB value, -10·log10(1 - SSIM). \"bytes\" is the VP8 payload (IVF file"
    echo "size minus its 32-byte header and 12 bytes per frame); kbit/s = bytes × 8 / duration at the clip's frame rate."
    echo "BD-rate: \`bench/bdrate.py\` (cubic fit of log-rate against quality, over the overlap)."
} >"$RESULTS"
cat "$RESULTS"
echo "encode.sh: done in ${ELAPSED}s" >&2

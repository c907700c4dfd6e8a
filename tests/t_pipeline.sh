#!/usr/bin/env bash
# The ExCamera[n,x] pipeline (excam encode --chunk n --rebase x --workers w):
#  - the same bytes for --workers 1, 2 and 7, and when the workers wait a random time
#    before each task so that tasks finish in random order (EXCAM_PIPELINE_SHUFFLE);
#  - vpxdec decodes the output to exactly excam's frames, one per input frame, with
#    ceil(chunks / x) key frames, all at the group starts;
#  - edge cases: a clip shorter than one chunk, a short last chunk, n = 1, x = 1, one
#    frame, odd sizes, x larger than the chunk count, Y4M on stdin; bad options refused;
#  - interruptions: SIGTERM, a worker or the local coordinator killed with -9;
#  - --stage1 libvpx: libvpx's chunks (with their loop-filter deltas) rebased by excam.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_tool ffmpeg
need_tool vpxdec
need_excam

CAMERA=$DATA/clips/camera/bus_352x288_17f.y4m
make_source() { # NAME WxH FRAMES
    local input
    if [[ -f $CAMERA ]]; then
        input=(-stream_loop 3 -i "$CAMERA")
    else
        input=(-f lavfi -i "testsrc2=size=320x240:rate=30,noise=alls=20:allf=t")
    fi
    ffmpeg -v error -nostdin -y "${input[@]}" -frames:v "$3" \
        -vf "scale=${2%x*}:${2#*x}:flags=bicubic" -pix_fmt yuv420p -f yuv4mpegpipe \
        "$SCRATCH/$1.y4m"
}
make_source clip 176x144 40
make_source odd 93x61 13

# Frames in a Y4M file with plain FRAME lines (as ffmpeg writes them).
y4m_frames() {
    local hdr w h
    hdr=$(head -n 1 "$1")
    w=$(grep -o ' W[0-9]*' <<<"$hdr" | tr -d ' W')
    h=$(grep -o ' H[0-9]*' <<<"$hdr" | tr -d ' H')
    echo $((($(stat -c %s "$1") - ${#hdr} - 1) / (6 + w * h + 2 * ((w + 1) / 2) * ((h + 1) / 2))))
}

passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

# usage: check NAME IVF FRAMES KEYS CHUNK REBASE: decoders agree, counts, key positions.
check() {
    local name=$1 ivf=$2 frames=$3 keys=$4 n=$5 x=$6
    vpxdec --codec=vp8 --i420 --md5 -o "p-%wx%h-%4.i420" "$ivf" 2>"$SCRATCH/vpx.log" |
        sed -E 's/  .*-([0-9]+)\.i420$/ \1/' >"$SCRATCH/want"
    if grep -qi corrupt "$SCRATCH/vpx.log"; then
        fail "$name: vpxdec reports corrupt frames"
        return
    fi
    "$EXCAM" decode --md5 "$ivf" | sed -E 's/  .*-([0-9]+)\.i420$/ \1/' >"$SCRATCH/got"
    if ! md5_compare "$SCRATCH/want" "$SCRATCH/got" >"$SCRATCH/diff"; then
        fail "$name: vpxdec and excam decode differ"
        sed 's/^/  /' "$SCRATCH/diff"
        return
    fi
    local got_frames got_keys want_pos got_pos
    got_frames=$(wc -l <"$SCRATCH/want")
    got_keys=$("$EXCAM" info "$ivf" | grep -c ' key ' || true)
    got_pos=$("$EXCAM" info "$ivf" | awk '$5 == "key" { printf "%d ", $2 }')
    want_pos=$(awk -v f="$frames" -v s="$((n * x))" 'BEGIN { for (i = 1; i <= f; i += s) printf "%d ", i }')
    if ((got_frames != frames || got_keys != keys)) || [[ $got_pos != "$want_pos" ]]; then
        fail "$name: $got_frames frames and key frames at [$got_pos], expected $frames and [$want_pos]"
        return
    fi
    ok "$name: $frames frames, $keys key frames, vpxdec = excam decode"
}

# EXCAM_QUICK=1 (t_asan.sh, where everything runs ~10x slower): fewer runs per case and
# faster encodes of the long clip.
QUICK=${EXCAM_QUICK:-0}
WORKER_COUNTS="2 7" SEEDS="1 2 3" LONG_SPEED=0
if ((QUICK)); then WORKER_COUNTS=7 SEEDS=1 LONG_SPEED=4; fi

# usage: run NAME SOURCE CHUNK REBASE [options]: encodes with 1, 2 and 7 workers and
# shuffled; all must be the same bytes; then check.
run() {
    local name=$1 src=$2 n=$3 x=$4
    shift 4
    local frames chunks keys
    frames=$(y4m_frames "$SCRATCH/$src.y4m")
    for arg in "$@"; do [[ $arg =~ ^[0-9]+$ && ${prev:-} == --limit ]] && frames=$arg; prev=$arg; done
    chunks=$(((frames + n - 1) / n))
    keys=$(((chunks + x - 1) / x))
    local ref=$SCRATCH/$name-1.ivf w
    if ! "$EXCAM" encode "$SCRATCH/$src.y4m" -q --chunk "$n" --rebase "$x" --workers 1 "$@" \
        -o "$ref" 2>"$SCRATCH/err"; then
        fail "$name: excam encode failed: $(cat "$SCRATCH/err")"
        return
    fi
    for w in $WORKER_COUNTS; do
        "$EXCAM" encode "$SCRATCH/$src.y4m" -q --chunk "$n" --rebase "$x" --workers "$w" "$@" \
            -o "$SCRATCH/$name-$w.ivf"
        cmp -s "$ref" "$SCRATCH/$name-$w.ivf" || { fail "$name: --workers $w gives other bytes"; return; }
    done
    for seed in $SEEDS; do
        EXCAM_PIPELINE_SHUFFLE=$seed "$EXCAM" encode "$SCRATCH/$src.y4m" -q --chunk "$n" \
            --rebase "$x" --workers 3 "$@" -o "$SCRATCH/$name-s.ivf"
        cmp -s "$ref" "$SCRATCH/$name-s.ivf" ||
            { fail "$name: random task order (seed $seed) gives other bytes"; return; }
    done
    check "$name" "$ref" "$frames" "$keys" "$n" "$x"
}

run chunk6-rebase4 clip 6 4                     # 7 chunks, the last one of 4 frames
run chunk6-rebase16 clip 6 16                   # one key frame
run chunk5-rebase2-q clip 5 2 --end-usage q --cq-level 40
run chunk1 clip 1 8 --limit 12                  # n = 1: every frame its own chunk
run rebase1 clip 8 1                            # x = 1: independent chunks
run short clip 50 3                             # the clip is shorter than one chunk
run stage1-libvpx clip 6 4 --stage1 libvpx      # libvpx's chunks, rebased by excam
run one-frame clip 6 4 --limit 1
run odd-size odd 4 3 --rt
run skip clip 7 3 --skip 5 --limit 30
run vbr clip 6 4 --end-usage vbr --target-bitrate 300   # the first pass picks q

# A bitrate target: the first pass (firstpass.h) picks one quantizer for the job; the
# stream's bitrate comes within 25% of each target (measured: flower 720p 299 frames
# [6,16]: 478, 1326 and 3713 kbit/s for 500, 1500 and 4000).
for target in 150 600; do
    if ! "$EXCAM" encode "$SCRATCH/clip.y4m" --chunk 6 --rebase 16 --workers 2 --end-usage vbr \
        --target-bitrate "$target" -o "$SCRATCH/vbr.ivf" 2>"$SCRATCH/vbr.log"; then
        fail "vbr $target: excam encode failed: $(tail -n 1 "$SCRATCH/vbr.log")"
        continue
    fi
    got=$(grep -o '[0-9.]* kbit/s,' "$SCRATCH/vbr.log" | tail -n 1 | cut -d' ' -f1)
    q=$(grep -o 'quantizer index [0-9]*' "$SCRATCH/vbr.log" | grep -o '[0-9]*$')
    if [[ -n $got && -n $q ]] && awk -v g="$got" -v t="$target" 'BEGIN { exit !(g > 0.75 * t && g < 1.25 * t) }'; then
        ok "vbr $target kbit/s: $got kbit/s (quantizer index $q from the first pass)"
    else
        fail "vbr $target kbit/s: got ${got:-?} kbit/s (quantizer index ${q:-?}): $(head -n 2 "$SCRATCH/vbr.log")"
    fi
done

# Per-chunk quantizers (--bias-pct below 100: complexity.h measures every frame,
# firstpass_pick_chunks spreads the quantizers): the same bytes with any worker count
# (run), the chunks' inter frames at more quantizers than the job's and its re-encoded
# first frames' (task_first_q), the bitrate still within 25% of the target, and
# --bias-pct 100 one quantizer for all (those two).
run vbr-chunks clip 6 4 --end-usage vbr --target-bitrate 300 --bias-pct 0
for bias in 0 100; do
    if ! "$EXCAM" encode "$SCRATCH/clip.y4m" --chunk 6 --rebase 16 --workers 2 --end-usage vbr \
        --target-bitrate 300 --bias-pct $bias -o "$SCRATCH/vbrc.ivf" 2>"$SCRATCH/vbrc.log"; then
        fail "vbr --bias-pct $bias: excam encode failed: $(tail -n 1 "$SCRATCH/vbrc.log")"
        continue
    fi
    got=$(grep -o '[0-9.]* kbit/s,' "$SCRATCH/vbrc.log" | tail -n 1 | cut -d' ' -f1)
    qs=$("$EXCAM" info "$SCRATCH/vbrc.ivf" | awk '$5 == "inter" { sub("q=", "", $8); print $8 }' | sort -u | wc -l)
    said=$(grep -c 'per-chunk quantizers' "$SCRATCH/vbrc.log" || true)
    if ! awk -v g="${got:-0}" 'BEGIN { exit !(g > 225 && g < 375) }'; then
        fail "vbr --bias-pct $bias: ${got:-?} kbit/s for 300"
    elif ((bias == 0 && (qs <= 2 || said != 1))); then
        fail "vbr --bias-pct 0: the inter frames have $qs quantizer(s): $(cat "$SCRATCH/vbrc.log")"
    elif ((bias == 100 && (qs > 2 || said != 0))); then
        fail "vbr --bias-pct 100: the inter frames have $qs quantizers, not one (and the first frames')"
    else
        ok "vbr --bias-pct $bias: $got kbit/s for 300, the inter frames at $qs quantizer(s)"
    fi
done

# Y4M on stdin gives the same bytes as the file.
if "$EXCAM" encode - -q --chunk 6 --rebase 4 --workers 2 -o "$SCRATCH/stdin.ivf" \
    <"$SCRATCH/clip.y4m" && cmp -s "$SCRATCH/stdin.ivf" "$SCRATCH/chunk6-rebase4-1.ivf"; then
    ok "stdin: the same bytes as from the file"
else
    fail "stdin: excam encode - --chunk gives other bytes (or failed)"
fi

# --verbose: a line per task from the workers, with its CPU time by phase and the blob
# cache's count, and the same bytes. The rebase chain reads what the worker before it
# stored: with one worker every state a rebase reads is in its cache.
if "$EXCAM" encode "$SCRATCH/clip.y4m" -v --chunk 6 --rebase 4 --workers 1 \
    -o "$SCRATCH/verbose.ivf" 2>"$SCRATCH/verbose.log" &&
    cmp -s "$SCRATCH/verbose.ivf" "$SCRATCH/chunk6-rebase4-1.ivf"; then
    tasks=$(grep -c '(rebase, .*CPU .*inputs .*codec .*outputs' "$SCRATCH/verbose.log" || true)
    hits=$(grep -o 'cache [0-9]* hits' "$SCRATCH/verbose.log" | tail -n 1 | tr -dc 0-9)
    if ((tasks > 0 && ${hits:-0} > 0)); then
        ok "--verbose: $tasks rebase tasks logged with their CPU by phase; $hits cache hits; the same bytes"
    else
        fail "--verbose: $tasks rebase task lines, ${hits:-no} cache hits"
    fi
else
    fail "--verbose: excam encode -v failed or gave other bytes: $(tail -n 2 "$SCRATCH/verbose.log")"
fi

# Interruptions. SIGTERM: the workers stop, the work directory goes, no output is left
# and excam dies of the signal (status 143). A worker killed with -9: the run fails
# (status 1) with a message naming the task, and leaves nothing behind either.
make_source long 352x288 120
mkdir -p "$SCRATCH/tmp"
# usage: interrupted NAME RC PATTERN: checks the run that just ended with status RC.
interrupted() {
    local name=$1 rc=$2 want=$3 left
    left=$(ls -A "$SCRATCH/tmp"; ls "$SCRATCH" | grep '^int\.ivf' || true)
    if ((rc != want)); then
        fail "$name: status $rc ($want expected)"
    elif [[ -n $left ]]; then
        fail "$name: left behind: $left"
    elif pgrep -f "$SCRATCH/int.ivf" >/dev/null; then
        fail "$name: worker processes are still running"
    else
        ok "$name: status $rc, nothing left behind"
    fi
}
TMPDIR=$SCRATCH/tmp "$EXCAM" encode "$SCRATCH/long.y4m" -q --chunk 6 --workers 2 --cpu-used "$LONG_SPEED" \
    -o "$SCRATCH/int.ivf" 2>"$SCRATCH/int.log" &
pid=$!
sleep 1
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
sleep 0.2
interrupted "SIGTERM" "$rc" 143
# A worker killed with -9: its task runs on another; the same bytes as without.
"$EXCAM" encode "$SCRATCH/long.y4m" -q --chunk 6 --workers 2 --cpu-used "$LONG_SPEED" -o "$SCRATCH/long-ref.ivf"
TMPDIR=$SCRATCH/tmp "$EXCAM" encode "$SCRATCH/long.y4m" -q --chunk 6 --workers 2 --cpu-used "$LONG_SPEED" \
    -o "$SCRATCH/kill-worker.ivf" 2>"$SCRATCH/int.log" &
pid=$!
# The children: the coordinator first, then the workers; wait (up to 10 s, on a busy
# machine the forks may take a while) until a worker has had a second to start a task.
victim=""
for _ in $(seq 100); do
    kids=$(pgrep -P "$pid" | sort -n || true)
    if (($(wc -w <<<"$kids") >= 2)); then
        sleep 1
        victim=$(pgrep -P "$pid" | sort -n | tail -n 1 || true)
        break
    fi
    sleep 0.1
done
[[ -n $victim ]] && kill -KILL "$victim"
rc=0
wait "$pid" || rc=$?
if [[ -z $victim ]]; then
    fail "kill -9 of a worker: no worker process found within 10 s"
elif ((rc != 0)) || ! cmp -s "$SCRATCH/kill-worker.ivf" "$SCRATCH/long-ref.ivf"; then
    fail "kill -9 of a worker: status $rc, or other bytes: $(tail -n 2 "$SCRATCH/int.log")"
elif [[ -n $(ls -A "$SCRATCH/tmp") ]]; then
    fail "kill -9 of a worker: left behind: $(ls -A "$SCRATCH/tmp")"
else
    ok "kill -9 of a worker: its task ran elsewhere; the same bytes"
fi
# The local coordinator killed with -9: the run fails with a message, nothing left.
TMPDIR=$SCRATCH/tmp "$EXCAM" encode "$SCRATCH/long.y4m" -q --chunk 6 --workers 2 --cpu-used "$LONG_SPEED" \
    -o "$SCRATCH/int.ivf" 2>"$SCRATCH/int.log" &
pid=$!
sleep 1
victim=$(pgrep -P "$pid" | sort -n | head -n 1 || true)
[[ -n $victim ]] && kill -KILL "$victim"
rc=0
wait "$pid" || rc=$?
sleep 0.2
if [[ -z $victim ]]; then
    fail "kill -9 of the coordinator: no child process found after 1 s"
elif ! grep -q "coordinator" "$SCRATCH/int.log"; then
    fail "kill -9 of the coordinator: no message saying so: $(cat "$SCRATCH/int.log")"
else
    interrupted "kill -9 of the local coordinator" "$rc" 1
fi

# Bad options: usage errors (status 2), nothing written.
for bad in "--chunk 0" "--chunk 6 --rebase 0" "--chunk 6 --workers 0" \
    "--chunk 6 --end-usage vbr" "--chunk 6 --state-in x"; do
    rc=0
    # shellcheck disable=SC2086 # the options are meant to split
    "$EXCAM" encode "$SCRATCH/clip.y4m" -q $bad -o "$SCRATCH/bad.ivf" 2>/dev/null || rc=$?
    if ((rc == 2)) && [[ ! -e $SCRATCH/bad.ivf ]]; then
        ok "refused: $bad"
    else
        fail "'$bad': status $rc (2 expected) or an output file was left"
    fi
done

echo "pipeline: $passed passed, $failed failed"
((failed == 0))

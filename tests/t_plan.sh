#!/usr/bin/env bash
# excam plan against real runs: for [6,16] with 1 and 2 local workers, the wall time
# `excam plan` predicts (from a sample of the input) is within 15% of what
# `excam encode --chunk 6 --rebase 16 --workers W` then takes, measured here: the median
# of five prediction/run pairs (tests/run.sh runs this test alone, last: it times things). Also: --deadline picks a plan whose
# predicted time meets it, and the cheapest such; an impossible deadline or budget exits
# 1; --frames plans a longer job from the same sample; bad arguments are refused.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_tool ffmpeg
need_excam

passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

CAMERA=$DATA/clips/camera/BA1_FT_C.264
if [[ -f $CAMERA ]]; then
    input=(-i "$CAMERA")
else
    input=(-f lavfi -i "testsrc2=size=352x288:rate=25,noise=alls=16:allf=t")
fi
ffmpeg -v error -nostdin -y "${input[@]}" -frames:v 200 -pix_fmt yuv420p -f yuv4mpegpipe \
    "$SCRATCH/clip.y4m"

now() { date +%s.%N; }
wall_of() { sed -n 's/^plan: .* wall \([0-9.]*\) s.*/\1/p' "$1"; }

for w in 1 2; do
    # Five rounds of: a plan (its own sample, timed now), then the encode it predicts.
    # Each prediction is compared with the run right after it, and the median of the
    # five errors is kept: this machine's speed drifts by up to 45% for seconds at a time
    # (other guests; the same plan's sample timed 13.5 or 20 ms a frame), and a stray
    # process must not decide either.
    times=() preds=() errs=()
    for i in 1 2 3 4 5; do
        "$EXCAM" plan "$SCRATCH/clip.y4m" --chunk 6 --rebase 16 --workers "$w" >"$SCRATCH/plan$w.txt"
        predicted=$(wall_of "$SCRATCH/plan$w.txt")
        [[ -n $predicted ]] || break
        t0=$(now)
        "$EXCAM" encode "$SCRATCH/clip.y4m" -q --chunk 6 --rebase 16 --workers "$w" \
            -o "$SCRATCH/out.ivf"
        times+=("$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')")
        preds+=("$predicted")
        errs+=("$(awk -v p="$predicted" -v m="${times[-1]}" 'BEGIN { printf "%.1f", 100 * (p - m) / m }')")
    done
    if [[ -z $predicted ]]; then
        fail "$w worker(s): no verdict line: $(tail -n 3 "$SCRATCH/plan$w.txt")"
        continue
    fi
    err=$(printf '%s\n' "${errs[@]}" | sort -g | sed -n 3p)
    what="predicted ${preds[*]} s, measured ${times[*]} s: errors ${errs[*]}%, median ${err}%"
    if awk -v e="$err" 'BEGIN { exit !(e <= 15 && e >= -15) }'; then
        ok "[6,16] on $w worker(s): $what"
    else
        fail "[6,16] on $w worker(s): $what"
        sed 's/^/    /' "$SCRATCH/plan$w.txt"
    fi
done

# --deadline: a plan that meets it, the cheapest of those in the table.
p2=$(wall_of "$SCRATCH/plan2.txt")
deadline=$(awk -v p="$p2" 'BEGIN { printf "%.3f", p * 1.02 }')
if "$EXCAM" plan "$SCRATCH/clip.y4m" --deadline "$deadline" --max-workers 64 >"$SCRATCH/dl.txt"; then
    chosen=$(grep -- '<- chosen' "$SCRATCH/dl.txt" | head -n 1)
    cw=$(awk '{ print $4 }' <<<"$chosen") cc=$(awk '{ print $9 }' <<<"$chosen")
    cheaper=$(awk -v d="$deadline" -v c="$cc" \
        '$1 ~ /^[0-9]+$/ && NF >= 10 && $4 <= d && $9 < c { print }' "$SCRATCH/dl.txt")
    verdict=$(tail -n 1 "$SCRATCH/dl.txt")
    if [[ -n $chosen ]] && awk -v a="$cw" -v d="$deadline" 'BEGIN { exit !(a <= d) }' &&
        [[ -z $cheaper && $verdict == plan:* ]]; then
        ok "--deadline $deadline: $verdict"
    else
        fail "--deadline $deadline: chosen '$chosen', cheaper rows: '$cheaper'"
    fi
else
    fail "--deadline $deadline: exit status $? ($(tail -n 2 "$SCRATCH/dl.txt"))"
fi
rc=0
"$EXCAM" plan "$SCRATCH/clip.y4m" -q --deadline 0.001 >"$SCRATCH/none.txt" 2>"$SCRATCH/none.err" || rc=$?
if ((rc == 1)) && grep -q 'no plan' "$SCRATCH/none.err"; then
    ok "an impossible deadline: status 1 ($(cat "$SCRATCH/none.err"))"
else
    fail "an impossible deadline: status $rc, $(cat "$SCRATCH/none.err")"
fi
rc=0
"$EXCAM" plan "$SCRATCH/clip.y4m" -q --budget 0 --price 1 >/dev/null 2>&1 || rc=$?
((rc == 1)) && ok "a budget of 0: status 1" || fail "a budget of 0: status $rc"

# --frames: the job planned is that long, the sample still the input's. The key frames of
# [6,16] follow from the length alone: 400 frames = 67 chunks = 5 groups (200: 3).
"$EXCAM" plan "$SCRATCH/clip.y4m" --frames 400 --workers 4 >"$SCRATCH/frames.txt"
keys=$(awk '$1 == 6 && $2 == 16 && $3 == 4 && NF >= 10 { print $10; exit }' "$SCRATCH/frames.txt")
if grep -q '^planned: 400 frames' "$SCRATCH/frames.txt" && [[ $keys == 5 ]] &&
    grep -q '^excam plan: .*: 200 frames' "$SCRATCH/frames.txt"; then
    ok "--frames 400 on a 200-frame input: 5 key frames at [6,16]"
else
    fail "--frames 400: keys '$keys': $(head -n 2 "$SCRATCH/frames.txt")"
fi

# Bad arguments: usage errors (2) and bad input (1), each with a message.
expect() { # usage: expect STATUS WHAT ARGS...
    local want=$1 what=$2 rc=0
    shift 2
    "$EXCAM" plan "$@" >/dev/null 2>"$SCRATCH/bad.err" || rc=$?
    if ((rc == want)) && [[ -s $SCRATCH/bad.err ]] && ! crashed "$rc" "$SCRATCH/bad.err"; then
        ok "$what: status $rc ($(head -n 1 "$SCRATCH/bad.err"))"
    else
        fail "$what: status $rc, want $want: $(cat "$SCRATCH/bad.err")"
    fi
}
expect 2 "stdin" -
expect 2 "--deadline and --budget" "$SCRATCH/clip.y4m" --deadline 5 --budget 1
expect 2 "--workers 0" "$SCRATCH/clip.y4m" --workers 0
expect 2 "--frames 0" "$SCRATCH/clip.y4m" --frames 0
expect 1 "a missing file" "$SCRATCH/nothing.y4m"
head -c 500000 "$SCRATCH/clip.y4m" >"$SCRATCH/short.y4m"
expect 1 "fewer frames than two chunks" "$SCRATCH/short.y4m" --chunk 6

echo "plan: $passed passed, $failed failed"
((failed == 0))

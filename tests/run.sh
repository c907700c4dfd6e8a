#!/usr/bin/env bash
# Run the test suite: every C test program (build/tests/<name>, one per tests/<name>.c)
# and every shell test (tests/t_*.sh), two at a time (timing tests last, alone). A test passes with exit status
# 0, is skipped with 77 (its last "SKIP: reason" line says why), and fails otherwise
# (or after EXCAM_TEST_TIMEOUT seconds). Logs are kept in build/test-logs/.
#
# usage: tests/run.sh [NAME...]      (default: all tests; NAME as in the PASS lines)
# Environment: EXCAM_DATA (test data, default <repo>/../shared/data), EXCAM_JOBS (2),
#              EXCAM_TEST_TIMEOUT (900), EXCAM_BUILD (<repo>/build).
# The last line is "N passed, N failed, N skipped"; the exit status is 1 if any failed.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${EXCAM_BUILD:-$ROOT/build}
EXCAM_DATA=${EXCAM_DATA:-$ROOT/../shared/data}
[[ -d $EXCAM_DATA ]] && EXCAM_DATA=$(cd "$EXCAM_DATA" && pwd)
export EXCAM_DATA
JOBS=${EXCAM_JOBS:-2}
TIMEOUT=${EXCAM_TEST_TIMEOUT:-900}
LOGS=$BUILD/test-logs
cd "$ROOT" || exit 1
mkdir -p "$LOGS" || exit 1

# The tests, slowest first so that the two job slots stay busy.
declare -A program
names=()
for src in tests/*.c; do
    [[ -e $src ]] || continue
    name=$(basename "$src" .c)
    names+=("$name")
    program[$name]=$BUILD/tests/$name
done
for script in tests/t_*.sh; do
    [[ -e $script ]] || continue
    name=$(basename "$script" .sh)
    names+=("$name")
    program[$name]=$script
done
slow_first() {
    local first=(t_asan test_mutate test_state_api t_state t_vectors t_vpxenc) t n
    for t in "${first[@]}"; do
        for n in "${names[@]}"; do [[ $n == "$t" ]] && echo "$n"; done
    done
    for n in "${names[@]}"; do [[ " ${first[*]} " == *" $n "* ]] || echo "$n"; done
}
mapfile -t names < <(slow_first)
if (($# > 0)); then
    for want in "$@"; do
        [[ -n ${program[$want]:-} ]] || { echo "run.sh: no test named $want" >&2; exit 2; }
    done
    names=("$@")
fi

# usage: run_one NAME: runs the test in the background job's shell, writing
# $LOGS/NAME.log and, when it is done, $LOGS/NAME.status ("STATUS SECONDS").
run_one() {
    local name=$1 prog=${program[$1]} start=$SECONDS rc=0
    local -a cmd=("$prog")
    [[ $prog == *.sh ]] && cmd=(bash "$prog")
    if [[ $prog != *.sh && ! -x $prog ]]; then
        echo "not built: $prog (run make)" >"$LOGS/$name.log"
        rc=1
    else
        timeout --kill-after=10 "$TIMEOUT" "${cmd[@]}" >"$LOGS/$name.log" 2>&1 </dev/null || rc=$?
        ((rc == 124)) && echo "timed out after ${TIMEOUT}s" >>"$LOGS/$name.log"
    fi
    echo "$rc $((SECONDS - start))" >"$LOGS/$name.status"
}

passed=0 failed=0 skipped=0
declare -A reported
report() {
    local name rc secs reason
    for name in "${names[@]}"; do
        [[ -z ${reported[$name]:-} && -f $LOGS/$name.status ]] || continue
        reported[$name]=1
        read -r rc secs <"$LOGS/$name.status"
        if ((rc == 0)); then
            passed=$((passed + 1))
            echo "PASS $name (${secs}s)$(grep -v '^\s*$' "$LOGS/$name.log" | tail -n 1 | sed 's/^/: /')"
        elif ((rc == 77)); then
            skipped=$((skipped + 1))
            reason=$(grep '^SKIP: ' "$LOGS/$name.log" | tail -n 1 | sed 's/^SKIP: //')
            echo "SKIP $name: ${reason:-$(grep -v '^\s*$' "$LOGS/$name.log" | tail -n 1)}"
        else
            failed=$((failed + 1))
            echo "FAIL $name (status $rc, ${secs}s; log: $LOGS/$name.log)"
            tail -n 40 "$LOGS/$name.log" | sed 's/^/    /'
        fi
    done
}

trap 'kill $(jobs -p) 2>/dev/null; exit 130' INT TERM
# Every status of an earlier run goes first: report() takes any status file it finds as
# this run's result (a stale one once reported an old result and hid the new).
for name in "${names[@]}"; do
    rm -f "$LOGS/$name.status"
done
# Tests that time things (t_plan compares predicted with measured wall times) run
# last, alone, with the machine to themselves.
EXCLUSIVE=" t_plan "
running=0
for name in "${names[@]}"; do
    [[ $EXCLUSIVE == *" $name "* ]] && continue
    while ((running >= JOBS)); do
        wait -n
        running=$((running - 1))
        report
    done
    run_one "$name" &
    running=$((running + 1))
done
wait
report
for name in "${names[@]}"; do
    [[ $EXCLUSIVE == *" $name "* ]] || continue
    run_one "$name"
    report
done

echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))

#!/usr/bin/env bash
# The sanitizer run: build everything with ASan+UBSan (`make asan` -> build-asan/),
# then run every C test program of build-asan/tests/ (test_mutate with fewer mutants:
# EXCAM_ASAN_MUTANTS, default 2000), and the conformance and bad-input tests
# (t_vectors.sh, t_invalid.sh, ...; t_hostile.sh: the coordinator against hostile peers,
# whose own log it checks; t_security.sh: keys, TLS, refused peers) against
# build-asan/excam. Any sanitizer report fails.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

ASAN=$ROOT/build-asan
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export EXCAM_DATA=$DATA

# A make started from `make test` must not inherit its job server.
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" -j"${EXCAM_JOBS:-2}" asan \
    >"$SCRATCH/make.log" 2>&1; then
    echo "make asan failed:"
    tail -n 30 "$SCRATCH/make.log"
    exit 1
fi
[[ -x $ASAN/excam ]] || die "make asan did not build $ASAN/excam"

failed=0 ran=0

# usage: run_test NAME CMD...: pass (0), skip (77) or fail, with sanitizers checked.
run_test() {
    local name=$1 rc=0
    shift
    "$@" >"$SCRATCH/$name.log" 2>&1 </dev/null || rc=$?
    if crashed "$rc" "$SCRATCH/$name.log" || { ((rc != 0 && rc != 77)); }; then
        echo "FAIL $name (status $rc)"
        grep -v '^\s*$' "$SCRATCH/$name.log" | tail -n 40 | sed 's/^/    /'
        failed=$((failed + 1))
    elif ((rc == 77)); then
        echo "skip $name: $(grep -v '^\s*$' "$SCRATCH/$name.log" | tail -n 1)"
    else
        echo "ok   $name: $(grep -v '^\s*$' "$SCRATCH/$name.log" | tail -n 1)"
        ran=$((ran + 1))
    fi
}

for prog in "$ASAN"/tests/*; do
    [[ -x $prog && -f $prog ]] || continue
    name=$(basename "$prog")
    if [[ $name == test_mutate ]]; then
        run_test "$name" env EXCAM_MUTANTS="${EXCAM_ASAN_MUTANTS:-2000}" "$prog"
    else
        run_test "$name" "$prog"
    fi
done
((ran > 0)) || { echo "no test program ran from $ASAN/tests"; failed=$((failed + 1)); }

for t in t_vectors t_invalid t_encode t_y4m t_pipeline t_hostile t_webm t_security; do
    run_test "$t (asan)" env EXCAM_BIN="$ASAN/excam" EXCAM_QUICK=1 bash "$ROOT/tests/$t.sh"
done

echo "asan: $ran passed, $failed failed"
((failed == 0))

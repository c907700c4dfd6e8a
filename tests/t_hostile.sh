#!/usr/bin/env bash
# Hostile peers against `excam coordinator` (tests/hostile_peer.py plays them): garbage,
# oversized length prefixes (0xFFFFFFFF; over 4 KiB before hello, over 1 MiB after it;
# exactly 1 MiB is allowed after hello), frames cut
# short, valid messages in the wrong order or from the wrong role, a wrong protocol
# version, silence (before and after hello), 200 idle connections at once, and a client
# that floods requests without reading the answers. For each: the peer's connection is
# closed, the coordinator's log has a "dropped"/"refused" line naming the peer and the
# reason, the coordinator is alive, and a well-behaved client (`excam jobs`) still gets
# answers. At the end no descriptor is left over, and SIGTERM stops the coordinator
# with status 0 (so that LeakSanitizer runs) and no sanitizer report in its log.
#
# EXCAM_BIN picks the binary (tests/t_asan.sh runs this against build-asan/excam).
set -uo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_excam
need_tool python3
PEER=$ROOT/tests/hostile_peer.py
LOG=$SCRATCH/coordinator.log

passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

"$EXCAM" coordinator --listen 127.0.0.1:0 --port-file "$SCRATCH/port" --hello-timeout 1 \
    --dead-after 2 --heartbeat 0.5 2>"$LOG" &
COORD=$!
trap 'kill -KILL "$COORD" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
for _ in $(seq 100); do
    [[ -s $SCRATCH/port ]] && break
    sleep 0.1
done
[[ -s $SCRATCH/port ]] || { cat "$LOG"; die "the coordinator wrote no port file in 10 s"; }
PORT=$(cat "$SCRATCH/port")
sleep 0.2
FDS_BEFORE=$(find /proc/"$COORD"/fd -mindepth 1 | wc -l)

# usage: wait_log ERE [SECONDS]: true once a line of the coordinator's log matches.
wait_log() {
    local i
    for ((i = 0; i < ${2:-5} * 10; i++)); do
        grep -qE "$1" "$LOG" && return 0
        sleep 0.1
    done
    return 1
}

# The coordinator's log line about the peer on local port $1: "connection from
# 127.0.0.1:P dropped: ..." or "worker N (name at 127.0.0.1:P) dropped: ...".
peer_re() { echo "(connection from 127\\.0\\.0\\.1:$1|at 127\\.0\\.0\\.1:$1\\)) (dropped|refused): "; }

# usage: serving: empty, or why the coordinator is not serving a well-behaved client.
serving() {
    if ! kill -0 "$COORD" 2>/dev/null; then
        echo "the coordinator is gone: $(tail -n 20 "$LOG")"
    elif crashed 0 "$LOG"; then
        echo "sanitizer report: $(grep -m1 -A12 -E 'Sanitizer|runtime error' "$LOG")"
    elif ! timeout 20 "$EXCAM" jobs --coordinator "127.0.0.1:$PORT" >"$SCRATCH/jobs.out" 2>"$SCRATCH/jobs.err"; then
        echo "excam jobs failed: $(cat "$SCRATCH/jobs.err")"
    elif ! grep -q '^JOB ' "$SCRATCH/jobs.out"; then
        echo "excam jobs printed no table: $(cat "$SCRATCH/jobs.out")"
    fi
}

# The value of key $1 in the peer's report line $2 ("port=... closed=yes after=0.01 ...").
field() { sed -nE "s/.*(^| )$1=([^ ]*).*/\\2/p" <<<"$2"; }

# usage: expect NAME MIN_S MAX_S REASON_ERE KIND [ARG...]: runs the peer; it must be
# closed between MIN_S and MAX_S seconds after misbehaving, with a log line naming its
# port and matching REASON_ERE; then the coordinator must still serve.
expect() {
    local name=$1 min=$2 max=$3 reason=$4 line port closed after why
    shift 4
    line=$(python3 "$PEER" "$PORT" "$@" 2>&1 | tail -n 1)
    port=$(field port "$line")
    closed=$(field closed "$line")
    after=$(field after "$line")
    if [[ -z $port || -z $after ]]; then
        fail "$name: the peer failed: $line"
    elif [[ $closed != yes ]]; then
        fail "$name: the coordinator did not close the connection ($line)"
    elif ! awk -v a="$after" -v lo="$min" -v hi="$max" 'BEGIN { exit !(a >= lo && a <= hi) }'; then
        fail "$name: closed after $after s, expected $min..$max s"
    elif ! wait_log "$(peer_re "$port")$reason"; then
        fail "$name: no log line '$(peer_re "$port")$reason'; the log says: $(grep -E "127\\.0\\.0\\.1:$port\\b" "$LOG" || echo nothing about port "$port")"
    elif why=$(serving) && [[ -n $why ]]; then
        fail "$name: $why"
    else
        ok "$name: $(grep -E "$(peer_re "$port")" "$LOG" | tail -n 1 | sed -E 's/.*\) (dropped|refused)/\1/; s/.*127\.0\.0\.1:[0-9]+ //') (after ${after} s)"
    fi
}

# A job whose per-chunk quantizers (a blob, JobSubmit.chunk_quantizers) hold a first_boost
# above q_key is refused with a message naming them, and the coordinator serves on.
mkdir -p "$SCRATCH/quant-store"
line=$(python3 "$PEER" "$PORT" bad-quantizers "$SCRATCH/quant-store" 2>&1 | tail -n 1)
if [[ $line != "answer=error message="*chunk_quantizers* ]]; then
    fail "bad per-chunk quantizers: the coordinator answered: $line"
elif why=$(serving) && [[ -n $why ]]; then
    fail "bad per-chunk quantizers: $why"
else
    ok "bad per-chunk quantizers refused: ${line#answer=error message=}"
fi

NOW=(0 5) # closed between 0 and 5 s: as soon as the bytes arrive
for seed in 1 2 3; do
    expect "garbage (seed $seed)" "${NOW[@]}" \
        "(frame too big|malformed message|connection closed inside a frame|no hello in time)" garbage "$seed"
done
expect "garbage after a plausible length" "${NOW[@]}" "malformed message" garbage-framed
# Before hello, frames are at most 4 KiB (a Hello is a few hundred bytes); after it, 1 MiB.
expect "length prefix 0xFFFFFFFF" "${NOW[@]}" "frame too big: length prefix 4294967295 > maximum 4096" prefix 4294967295
expect "length prefix 4 KiB + 1 before hello" "${NOW[@]}" "frame too big: length prefix 4097 > maximum 4096" prefix 4097
expect "length prefix 1 MiB + 1 after hello" "${NOW[@]}" "frame too big: length prefix 1048577 > maximum 1048576" prefix-after 1048577
# Exactly 1 MiB after hello is allowed: 1000 bytes of it, then silence, is a silent worker.
expect "length prefix 1 MiB after hello, then silence" 1.9 8 "silent for [0-9.]+ s" prefix-max
expect "2 of 4 length bytes, then EOF" "${NOW[@]}" "connection closed inside a frame: closed after 2 of 4 length bytes" short-prefix
expect "half a frame, then EOF" "${NOW[@]}" "connection closed inside a frame: closed after [0-9]+ of [0-9]+ frame bytes" half-frame
expect "hello, then EOF inside the next frame" "${NOW[@]}" "connection closed inside a frame" eof-mid-second
expect "task_result before hello" "${NOW[@]}" "a task_result before hello" before-hello task_result
expect "job_submit before hello" "${NOW[@]}" "a job_submit before hello" before-hello job_submit
expect "worker hello, then job_submit" "${NOW[@]}" "a job_submit from a worker" worker-submit
expect "worker hello, then a result for no task" "${NOW[@]}" "a result for a task it was not given" worker-bad-result
expect "client hello, then task_result" "${NOW[@]}" "a task_result from a client" client-result
expect "client hello, then heartbeat" "${NOW[@]}" "a heartbeat from a client" client-heartbeat
expect "client hello twice" "${NOW[@]}" "a hello from a client" client-hello-twice
expect "invalid hello (no name)" "${NOW[@]}" "malformed message: hello.name: empty" malformed
expect "hello not in canonical form" "${NOW[@]}" "malformed message: hello: not in canonical form" noncanonical
expect "silence (hello timeout 1 s)" 0.9 6 "no hello in time" silent
expect "worker hello, then silence (dead after 2 s)" 1.9 8 "silent for [0-9.]+ s" worker-silent

# Protocol version 2: a HelloAck refusing it (ERR_VERSION = 2), then the close.
line=$(python3 "$PEER" "$PORT" version 2 2>&1 | tail -n 1)
port=$(field port "$line")
if [[ $(field closed "$line") != yes || $(field ack "$line") != 1 || $(field accepted "$line") != 0 ||
    $(field code "$line") != 2 || $(field frames "$line") != 1 ]]; then
    fail "protocol version 2: expected one HelloAck accepted=0 code=2 and the close, got: $line"
elif ! wait_log "connection from 127\\.0\\.0\\.1:$port refused: protocol version 2; this coordinator speaks 1"; then
    fail "protocol version 2: no 'refused' log line for port $port"
elif why=$(serving) && [[ -n $why ]]; then
    fail "protocol version 2: $why"
else
    ok "protocol version 2: refused with a HelloAck (ERR_VERSION, \"$(field reason "$line" | tr _ ' ')\"), then closed"
fi

# 200 connections at once that say nothing: served meanwhile, then all dropped.
python3 "$PEER" "$PORT" idle-many 200 >"$SCRATCH/many.out" 2>&1 &
many=$!
for _ in $(seq 100); do
    grep -q '^open ' "$SCRATCH/many.out" && break
    sleep 0.05
done
if ! grep -q '^open ' "$SCRATCH/many.out"; then
    fail "200 idle connections: the peer could not open them: $(cat "$SCRATCH/many.out")"
elif why=$(serving) && [[ -n $why ]]; then
    fail "200 idle connections: not served while they are open: $why"
else
    ok "200 idle connections: a client is served while they are open"
fi
wait "$many"
line=$(tail -n 1 "$SCRATCH/many.out")
IFS=, read -ra ports <<<"$(field port "$line")"
sleep 0.5
missing=0
for p in "${ports[@]}"; do
    grep -qE "$(peer_re "$p")no hello in time" "$LOG" || missing=$((missing + 1))
done
if ((${#ports[@]} != 200)) || [[ $(field closed "$line") != yes ]]; then
    fail "200 idle connections: not all closed: $line"
elif ! awk -v a="$(field first "$line")" 'BEGIN { exit !(a >= 0.9) }'; then
    fail "200 idle connections: the first was closed after $(field first "$line") s, before the 1 s hello timeout"
elif ((missing)); then
    fail "200 idle connections: $missing have no 'no hello in time' log line"
elif why=$(serving) && [[ -n $why ]]; then
    fail "200 idle connections: $why"
else
    ok "200 idle connections: all dropped with 'no hello in time' after $(field first "$line")..$(field after "$line") s"
fi

# A client that floods requests and never reads the answers: the coordinator's output
# to it is bounded, so it must drop it (while it is still writing), and serve others
# meanwhile.
python3 "$PEER" "$PORT" flood 32 >"$SCRATCH/flood.out" 2>&1 &
flood=$!
sleep 0.5
why=$(serving)
wait "$flood"
line=$(tail -n 1 "$SCRATCH/flood.out")
port=$(field port "$line")
if [[ -n $why ]]; then
    fail "flood without reading: not served meanwhile: $why"
elif [[ $(field closed "$line") != yes ]]; then
    fail "flood without reading: still connected after sending $(field sent_mib "$line") MiB of requests whose answers it never read (the log: $(grep -E "127\\.0\\.0\\.1:$port\\b" "$LOG" || echo nothing))"
elif ! wait_log "$(peer_re "$port")"; then
    fail "flood without reading: closed, but no 'dropped' log line for port $port"
elif why=$(serving) && [[ -n $why ]]; then
    fail "flood without reading: $why"
else
    ok "flood without reading: dropped after $(field sent_mib "$line") MiB ($(grep -E "$(peer_re "$port")" "$LOG" | tail -n 1 | sed 's/.*dropped: //'))"
fi

# Every connection is gone: as many descriptors as before the first peer.
sleep 0.3
fds=$(find /proc/"$COORD"/fd -mindepth 1 2>/dev/null | wc -l)
if ((fds == FDS_BEFORE)); then
    ok "no descriptor left over ($fds open, as at the start)"
else
    fail "the coordinator holds $fds descriptors, $FDS_BEFORE at the start"
fi

# A worker handed malformed tasks (by hostile_peer.py playing a coordinator) answers
# each with an error naming the problem, hangs up on a garbage frame, and dials again.
mkdir -p "$SCRATCH/fake-store"
python3 "$PEER" 0 fake-coordinator "$SCRATCH/fake-store" >"$SCRATCH/fake.out" 2>&1 &
FAKE=$!
for _ in $(seq 100); do
    grep -q '^listening=' "$SCRATCH/fake.out" && break
    sleep 0.05
done
FPORT=$(sed -n 's/^listening=//p' "$SCRATCH/fake.out")
"$EXCAM" worker --coordinator "127.0.0.1:${FPORT:-1}" --retry-for 5 2>"$SCRATCH/fake-worker.log" &
WPID=$!
wait "$FAKE"
kill "$WPID" 2>/dev/null
wait "$WPID" 2>/dev/null
# usage: fake_case NAME CODE WORDS: the worker's answer to case NAME had error CODE
# (5 an input lost in storage, 6 storage, 4 bad request) and a message with WORDS
# (underscores for spaces; " lost=NAMES" after it: the inputs it reports lost).
fake_case() {
    local line
    line=$(grep "^$1 " "$SCRATCH/fake.out")
    if [[ $line == "$1 code=$2 message="*"$3"* ]]; then
        ok "worker, malformed task ($1): error $2, '${line#*message=}'"
    else
        fail "worker, malformed task ($1): '$line' (code $2, '$3' expected)"
    fi
}
fake_case missing-blob 5 "no_such_blob lost=source"
fake_case no-source 4 "no_input_named_source"
fake_case bad-source 4 "not_a_source_blob"
fake_case wrong-size 6 "bytes,_not_185 lost=-"
if grep -q '^garbage closed=yes' "$SCRATCH/fake.out" && grep -q '^redial=yes' "$SCRATCH/fake.out"; then
    ok "worker: hangs up on a garbage frame, then dials again"
else
    fail "worker and a garbage frame: $(tr '\n' ' ' <"$SCRATCH/fake.out")"
fi

# SIGTERM: status 0, "stopping on signal 15", no sanitizer report.
kill -TERM "$COORD"
rc=0
for _ in $(seq 300); do
    kill -0 "$COORD" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$COORD" 2>/dev/null; then
    kill -KILL "$COORD"
    rc=999
fi
wait "$COORD" || ((rc == 999)) || rc=$?
if ((rc == 999)); then
    fail "SIGTERM: the coordinator was still running 30 s later (killed)"
elif crashed "$rc" "$LOG"; then
    fail "SIGTERM: status $rc; $(grep -m1 -A20 -E 'Sanitizer|runtime error' "$LOG")"
elif ((rc != 0)); then
    fail "SIGTERM: status $rc, 0 expected; $(tail -n 3 "$LOG")"
elif ! grep -q 'stopping on signal 15' "$LOG"; then
    fail "SIGTERM: no 'stopping on signal 15' in the log"
else
    ok "SIGTERM: status 0, no sanitizer report ($(grep -cE 'dropped|refused' "$LOG") dropped/refused lines in the log)"
fi

if ((failed)); then
    keep=${EXCAM_BUILD:-$ROOT/build}/test-logs/$TEST_NAME-coordinator${EXCAM_BIN:+-$(basename "$(dirname "$EXCAM")")}.log
    mkdir -p "$(dirname "$keep")" && cp "$LOG" "$keep" && echo "the coordinator's log: $keep"
fi
echo "hostile: $passed passed, $failed failed"
((failed == 0))

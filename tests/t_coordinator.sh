#!/usr/bin/env bash
# The distributed pipeline: excam coordinator + many excam worker processes + excam
# encode --coordinator, all on loopback, against the local pipeline's bytes.
#  1. 200 workers: the same bytes as `excam encode --chunk` with local workers.
#  2. Faults: workers killed with -9 while they run an encode, a re-encode and a rebase
#     (and more at random moments); a worker stopped with SIGSTOP (given up, its task
#     runs elsewhere; continued later); a straggler that keeps its heartbeats (a
#     speculative copy wins): the same bytes, and the job finishes.
#  3. The coordinator killed with -9 in the middle of a job and started again on its
#     journal: the job goes on without running a finished task again; the same bytes.
#  4. Two jobs at once share the workers in turns; both give the right bytes.
#  5. excam jobs lists the jobs; excam cancel stops one and its client fails cleanly.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_tool ffmpeg
need_excam

passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

CAMERA=$DATA/clips/camera/bus_352x288_17f.y4m
if [[ -f $CAMERA ]]; then
    input=(-stream_loop 7 -i "$CAMERA")
else
    input=(-f lavfi -i "testsrc2=size=352x288:rate=30,noise=alls=20:allf=t")
fi
ffmpeg -v error -nostdin -y "${input[@]}" -frames:v 96 -vf "scale=176:144" -pix_fmt yuv420p \
    -f yuv4mpegpipe "$SCRATCH/clip.y4m"
ffmpeg -v error -nostdin -y "${input[@]}" -frames:v 120 -pix_fmt yuv420p -f yuv4mpegpipe \
    "$SCRATCH/big.y4m"
ENC=(--chunk 2 --rebase 8 --cpu-used 2)
BIG=(--chunk 2 --rebase 30 --cpu-used 0)
"$EXCAM" encode "$SCRATCH/clip.y4m" -q "${ENC[@]}" --workers 2 -o "$SCRATCH/local.ivf"
"$EXCAM" encode "$SCRATCH/big.y4m" -q "${BIG[@]}" --workers 2 -o "$SCRATCH/local-big.ivf"

STORE=$SCRATCH/blobs STATE=$SCRATCH/state LOG=$SCRATCH/coord.log
mkdir -p "$STORE"
COORD_PID="" PORT=""
WORKERS=()
cleanup() {
    kill -CONT "${WORKERS[@]}" 2>/dev/null || true
    kill -KILL "${WORKERS[@]}" 2>/dev/null || true
    [[ -n $COORD_PID ]] && kill -KILL "$COORD_PID" 2>/dev/null || true
    wait 2>/dev/null || true
    [[ -n ${EXCAM_KEEP_SCRATCH:-} ]] && echo "scratch kept: $SCRATCH" || rm -rf "$SCRATCH"
}
trap cleanup EXIT

# usage: start_coordinator [--listen H:P]: a coordinator with a journal, verbose log.
start_coordinator() {
    local listen=${1:-127.0.0.1:0}
    rm -f "$SCRATCH/port"
    "$EXCAM" coordinator --listen "$listen" --port-file "$SCRATCH/port" --state-dir "$STATE" \
        --storage "$STORE" --heartbeat 0.2 --dead-after 1.5 -v >>"$LOG" 2>&1 &
    COORD_PID=$!
    for _ in $(seq 100); do
        [[ -s $SCRATCH/port ]] && break
        sleep 0.05
    done
    [[ -s $SCRATCH/port ]] || die "the coordinator did not start: $(tail -n 5 "$LOG")"
    PORT=$(cat "$SCRATCH/port")
}

# usage: start_workers N: N more worker processes, named w-<pid>.
# Every fourth worker holds its rebases 0.2 s (EXCAM_WORKER_SLOW_KIND): a rebase takes a
# few milliseconds, too short for the fault check below to kill a worker in the middle
# of one; with these it finds one.
start_workers() {
    local i slow
    for ((i = 0; i < $1; i++)); do
        slow=0
        ((i % 4 == 3)) && slow=0.2
        EXCAM_WORKER_SLOW=$slow EXCAM_WORKER_SLOW_KIND=rebase \
            bash -c 'exec "$0" worker --coordinator "$1" --name "w-$$" --retry-for 60' \
            "$EXCAM" "127.0.0.1:$PORT" 2>>"$SCRATCH/workers.log" &
        WORKERS+=($!)
        disown $! # killed on purpose: no "Killed" notices from the shell
    done
}

# usage: same NAME GOT WANT
same() {
    if [[ -f $2 ]] && cmp -s "$2" "$3"; then
        ok "$1: the same bytes as the local pipeline"
    else
        fail "$1: $2 differs from the local pipeline's output (or is missing)"
    fi
}

start_coordinator
start_workers 200
# All 200 say hello within a second on a quiet machine; a busy one (the suite runs two
# tests at once) gets up to 30 s.
for _ in $(seq 300); do
    joined=$(grep -c 'joined' "$LOG" || true)
    ((joined >= 200)) && break
    sleep 0.1
done
if ((joined >= 200)); then ok "200 workers joined"; else fail "only $joined of 200 workers joined"; fi

# 1. A plain run.
if "$EXCAM" encode "$SCRATCH/clip.y4m" -q "${ENC[@]}" --coordinator "127.0.0.1:$PORT" \
    --storage "$STORE" -o "$SCRATCH/net.ivf" 2>"$SCRATCH/client.log"; then
    same "200 workers" "$SCRATCH/net.ivf" "$SCRATCH/local.ivf"
else
    fail "200 workers: the encode failed: $(tail -n 3 "$SCRATCH/client.log")"
fi

# 2. Faults. Kill -9 the worker that was last given a task of KIND ("encode",
# "re-encode", "rebase") in log lines after line FROM; prints what it did.
# Only a task not yet reported done: on a loaded machine this script may see the
# assignment after the task (a rebase takes a few milliseconds) has finished.
kill_running() {
    local kind=$1 from=$2 line chunk worker name pid
    line=$(tail -n +"$from" "$LOG" | grep -E ": $kind of chunk [0-9]+ \(attempt [0-9]+\) to worker" |
        tail -n 1)
    [[ -n $line ]] || return 1
    chunk=$(sed -E 's/.* of chunk ([0-9]+) .*/\1/' <<<"$line")
    worker=$(sed -E 's/.* to worker ([0-9]+) .*/\1/' <<<"$line")
    name=$(sed -E 's/.*\((w-[0-9]+)\)$/\1/' <<<"$line")
    [[ $name == w-* ]] || return 1
    tail -n +"$from" "$LOG" | grep -qE ": $kind of chunk $chunk done by worker $worker " && return 1
    pid=${name#w-}
    [[ " ${killed[*]} " == *":$pid "* ]] && return 1 # killed already (a zombie takes signals)
    kill -KILL "$pid" 2>/dev/null || return 1
    echo "$pid"
}
from=$(($(wc -l <"$LOG") + 1))
"$EXCAM" encode "$SCRATCH/big.y4m" -q "${BIG[@]}" --coordinator "127.0.0.1:$PORT" \
    --storage "$STORE" -o "$SCRATCH/net-faults.ivf" 2>"$SCRATCH/client.log" &
client=$!
killed=() stopped=""
for kind in encode re-encode rebase; do
    for _ in $(seq 200); do
        if pid=$(kill_running "$kind" "$from"); then
            killed+=("$kind:$pid")
            # The race can still be lost (a rebase takes milliseconds: done as it was
            # killed, no task to give back): then another worker of the same kind.
            for _ in $(seq 20); do
                grep -qE "job [0-9]+: $kind of chunk [0-9]+ goes back in the queue" \
                    <(tail -n +"$from" "$LOG") && break 2
                sleep 0.05
            done
        fi
        sleep 0.02
    done
done
# A worker stopped in the middle of a task, and a few more killed at random.
for _ in $(seq 100); do
    name=$(tail -n +"$from" "$LOG" | grep -E ' to worker [0-9]+ \(w-' | tail -n 1 |
        sed -E 's/.*\((w-[0-9]+)\)$/\1/')
    if [[ $name == w-* ]] && kill -STOP "${name#w-}" 2>/dev/null; then
        stopped=${name#w-}
        break
    fi
    sleep 0.02
done
for _ in 1 2 3 4 5; do
    sleep 0.1
    victim=${WORKERS[RANDOM % ${#WORKERS[@]}]}
    [[ $victim != "$stopped" ]] && kill -KILL "$victim" 2>/dev/null && killed+=("random:$victim")
done
rc=0
wait "$client" || rc=$?
# The job may end before the stopped worker has been silent for --dead-after (its task
# re-run elsewhere); keep it stopped until the coordinator gives it up, at most 10 s.
if [[ -n $stopped ]]; then
    for _ in $(seq 100); do
        grep -q "(w-$stopped at .*) dropped: silent" <(tail -n +"$from" "$LOG") && break
        sleep 0.1
    done
    kill -CONT "$stopped" 2>/dev/null
fi
echo "killed: ${killed[*]}; stopped: ${stopped:-none}"
if ((rc == 0)); then
    same "faults" "$SCRATCH/net-faults.ivf" "$SCRATCH/local-big.ivf"
else
    fail "faults: the encode failed: $(tail -n 3 "$SCRATCH/client.log")"
fi
for kind in encode re-encode rebase; do
    if [[ " ${killed[*]} " == *" $kind:"* ]] &&
        grep -qE "job [0-9]+: $kind of chunk [0-9]+ goes back in the queue" <(tail -n +"$from" "$LOG"); then
        ok "faults: a worker killed during a $kind; its task went back in the queue"
    else
        fail "faults: no worker was killed during a $kind, or its task was not re-queued"
    fi
done
if [[ -n $stopped ]] && grep -q "(w-$stopped at .*) dropped: silent" <(tail -n +"$from" "$LOG"); then
    ok "faults: the stopped worker was given up"
else
    fail "faults: no worker stopped, or the coordinator did not give it up"
fi

# A straggler that keeps its heartbeats, on a coordinator of its own (the one above has
# learnt how long tasks take with 200 workers on this machine's cores): the only worker,
# slow; a second worker joins and gets a copy of its task, which wins.
kill -KILL "${WORKERS[@]}" 2>/dev/null || true
WORKERS=()
main_pid=$COORD_PID main_port=$PORT main_log=$LOG main_state=$STATE
LOG=$SCRATCH/coord-slow.log STATE=$SCRATCH/state-slow
start_coordinator
EXCAM_WORKER_SLOW=8 "$EXCAM" worker --coordinator "127.0.0.1:$PORT" --name slow 2>>"$SCRATCH/workers.log" &
WORKERS+=($!)
disown $!
sleep 0.3
"$EXCAM" encode "$SCRATCH/clip.y4m" -q --chunk 96 --cpu-used 4 --coordinator "127.0.0.1:$PORT" \
    --storage "$STORE" -o "$SCRATCH/net-slow.ivf" 2>"$SCRATCH/client.log" &
client=$!
sleep 1.5
start_workers 1
rc=0
wait "$client" || rc=$?
"$EXCAM" encode "$SCRATCH/clip.y4m" -q --chunk 96 --cpu-used 4 --workers 1 -o "$SCRATCH/local-slow.ivf"
if ((rc == 0)) && grep -q "a second attempt on worker" "$LOG"; then
    same "straggler (speculative copy)" "$SCRATCH/net-slow.ivf" "$SCRATCH/local-slow.ivf"
else
    fail "straggler: status $rc, or no speculative copy: $(tail -n 3 "$LOG")"
fi
kill -KILL "${WORKERS[@]}" "$COORD_PID" 2>/dev/null || true
WORKERS=()
COORD_PID=$main_pid PORT=$main_port LOG=$main_log STATE=$main_state

# 3. The coordinator killed with -9 mid-job, then restarted on its journal.
start_workers 20
sleep 0.5
from=$(($(wc -l <"$LOG") + 1))
"$EXCAM" encode "$SCRATCH/big.y4m" -q "${BIG[@]}" --coordinator "127.0.0.1:$PORT" \
    --storage "$STORE" -o "$SCRATCH/net-restart.ivf" 2>"$SCRATCH/client.log" &
client=$!
for _ in $(seq 300); do
    done_now=$(tail -n +"$from" "$LOG" | grep -cE ' done by worker ' || true)
    ((done_now >= 40)) && break
    sleep 0.02
done
kill -KILL "$COORD_PID"
wait "$COORD_PID" 2>/dev/null || true
before=$(tail -n +"$from" "$LOG" | grep -cE ' done by worker ' || true)
from2=$(($(wc -l <"$LOG") + 1))
sleep 0.5
start_coordinator "127.0.0.1:$PORT"
rc=0
wait "$client" || rc=$?
after=$(tail -n +"$from2" "$LOG" | grep -cE ' done by worker ' || true)
total=$((60 + 58 + 58)) # 60 chunks: encodes, re-encodes and rebases (two groups)
echo "tasks finished before the kill: $before, after the restart: $after, in all: $total"
if ((rc == 0)); then
    same "coordinator restart" "$SCRATCH/net-restart.ivf" "$SCRATCH/local-big.ivf"
else
    fail "coordinator restart: the encode failed: $(tail -n 3 "$SCRATCH/client.log")"
fi
if ((before > 0 && before + after == total)) && grep -q 'records replayed' <(tail -n +"$from2" "$LOG"); then
    ok "coordinator restart: resumed from the journal; no finished task ran again"
else
    fail "coordinator restart: $before tasks before + $after after != $total"
fi

# 4. Two jobs at once share the workers: both give their bytes, and their tasks are
# handed out in turns (a task of the second job between the first and last of the first).
from=$(($(wc -l <"$LOG") + 1))
"$EXCAM" encode "$SCRATCH/clip.y4m" -q "${ENC[@]}" --coordinator "127.0.0.1:$PORT" \
    --storage "$STORE" -o "$SCRATCH/two-a.ivf" 2>"$SCRATCH/client-a.log" &
ca=$!
"$EXCAM" encode "$SCRATCH/clip.y4m" -q "${ENC[@]}" --coordinator "127.0.0.1:$PORT" \
    --storage "$STORE" -o "$SCRATCH/two-b.ivf" 2>"$SCRATCH/client-b.log" &
cb=$!
rca=0 rcb=0
wait "$ca" || rca=$?
wait "$cb" || rcb=$?
if ((rca == 0 && rcb == 0)) && cmp -s "$SCRATCH/two-a.ivf" "$SCRATCH/local.ivf" &&
    cmp -s "$SCRATCH/two-b.ivf" "$SCRATCH/local.ivf"; then
    ok "two jobs at once: both give the local pipeline's bytes"
else
    fail "two jobs at once: status $rca/$rcb or other bytes"
fi
ids=$(tail -n +"$from" "$LOG" | sed -nE 's/.*: job ([0-9]+): .* to worker .*/\1/p' | awk '!seen[$1]++')
first=$(head -n 1 <<<"$ids") second=$(sed -n 2p <<<"$ids")
turns=$(tail -n +"$from" "$LOG" | sed -nE 's/.*: job ([0-9]+): .* to worker .*/\1/p' |
    awk -v a="$first" -v b="$second" '$1 == a { last = NR; if (!f) f = NR } $1 == b { bs[NR] = 1 }
        END { n = 0; for (i in bs) if (i > f && i < last) n++; print n }')
if [[ -n $second ]] && ((turns > 0)); then
    ok "two jobs at once: $turns tasks of job $second handed out while job $first was being handed out"
else
    fail "two jobs at once: the second job's tasks did not come in turns with the first's"
fi

# 5. Listing and cancelling.
if "$EXCAM" jobs --coordinator "127.0.0.1:$PORT" >"$SCRATCH/jobs" && grep -q ' done ' "$SCRATCH/jobs"; then
    ok "excam jobs lists the finished jobs"
else
    fail "excam jobs: $(cat "$SCRATCH/jobs")"
fi
kill -STOP "${WORKERS[@]}"
"$EXCAM" encode "$SCRATCH/clip.y4m" -q "${ENC[@]}" --coordinator "127.0.0.1:$PORT" \
    --storage "$STORE" -o "$SCRATCH/cancelled.ivf" 2>"$SCRATCH/client.log" &
client=$!
sleep 1
id=$("$EXCAM" jobs --coordinator "127.0.0.1:$PORT" | awk '$2 == "queued" || $2 == "running" { print $1 }' | tail -n 1)
rc=0
[[ -n $id ]] && "$EXCAM" cancel "$id" --coordinator "127.0.0.1:$PORT" >/dev/null
wait "$client" || rc=$?
kill -CONT "${WORKERS[@]}"
if [[ -n $id ]] && ((rc == 1)) && [[ ! -e $SCRATCH/cancelled.ivf ]] && grep -q 'cancelled' "$SCRATCH/client.log"; then
    ok "excam cancel: the client stops with an error and writes nothing"
else
    fail "excam cancel: job '${id:-none}', client status $rc: $(tail -n 2 "$SCRATCH/client.log")"
fi

kill -TERM "$COORD_PID"
rc=0
wait "$COORD_PID" || rc=$?
COORD_PID=""
if ((rc == 0)); then ok "the coordinator stops on SIGTERM"; else fail "the coordinator exited with $rc on SIGTERM"; fi

echo "coordinator: $passed passed, $failed failed"
((failed == 0))

#!/usr/bin/env bash
# Coordinator benchmark: how many no-op tasks per second `excam coordinator` hands out to
# N simulated workers, how long a worker waits for its next task, and how much memory a
# connection costs. bench/loadgen (one process, one epoll loop) opens N worker
# connections on loopback (each: Hello, every TaskAssign answered at once with a
# TaskResult, heartbeats at the HelloAck's interval) and one client that submits a NOOP
# job of TASKS tasks and polls it until DONE. A fresh coordinator for each run
# (`--dead-after 60`, no journal). Writes bench/results/coordinator.md and, with gnuplot,
# coordinator-scale.png: tasks/s and KiB per connection against the connections (the sweep
# over NS, median run of each, every run as a dot).
#
# Issue bar: 10,000 connections held with >= 20,000 tasks/s and <= 32 KiB per connection.
#
# Environment:
#   NS       worker counts (default "100 1000 3000 10000": the sweep; 10000 is the issue bar)
#   TASKS    no-op tasks per run (default 400000: about 10 s at 10,000 connections here)
#   RUNS     runs per N; the table shows the median by tasks/s (default 3)
#   SECURITY none (default; plaintext, no job key), key (every connection proves the job
#            key: libsodium challenge-response) or tls (TLS 1.3 and the key); key and tls
#            write bench/results/coordinator-key.md or coordinator-tls.md (and
#            coordinator-key-scale.png or coordinator-tls-scale.png)
#   BENCH_RESULTS  where the results go (default bench/results)
set -uo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
read -ra NS <<<"${NS:-100 1000 3000 10000}"
TASKS=${TASKS:-400000}
RUNS=${RUNS:-3}
SECURITY=${SECURITY:-none}
[[ $SECURITY == none || $SECURITY == key || $SECURITY == tls ]] ||
    { echo "coordinator.sh: SECURITY is none, key or tls, not '$SECURITY'" >&2; exit 1; }
RESULTS_DIR=${BENCH_RESULTS:-$ROOT/bench/results}
EXCAM=$ROOT/build/excam
LOADGEN=$ROOT/build/bench/loadgen

die() { echo "coordinator.sh: $*" >&2; exit 1; }

# A make started from `make bench` must not inherit its job server.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" -j2 build/excam build/bench/loadgen \
    >/dev/null || die "make failed"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/excam-coordbench.XXXXXX") || die "cannot make a temp dir"
COORD=""
trap '[[ -n $COORD ]] && kill -KILL "$COORD" 2>/dev/null; rm -rf "$TMP"' EXIT
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || commit+=" with uncommitted changes"
START=$SECONDS
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
COORD_SEC=() LOADGEN_SEC=()
if [[ $SECURITY != none ]]; then
    "$EXCAM" keygen --key "$TMP/job.key" --tls "$TMP/tls" 2>/dev/null || die "excam keygen failed"
    COORD_SEC=(--key "$TMP/job.key") LOADGEN_SEC=(--key "$TMP/job.key")
    if [[ $SECURITY == tls ]]; then
        COORD_SEC+=(--tls-cert "$TMP/tls/server.crt" --tls-key "$TMP/tls/server.key")
        LOADGEN_SEC+=(--tls-ca "$TMP/tls/ca.crt")
    fi
fi
hard=$(ulimit -Hn)

# usage: one_run N RUN: a fresh coordinator, loadgen against it; appends loadgen's
# RESULT line (plus run=RUN) to $TMP/results, or a line "FAILED n=N ..." on failure.
one_run() {
    local n=$1 run=$2 log=$TMP/coord-$1-$2.log rc=0 line
    rm -f "$TMP/port"
    "$EXCAM" coordinator --listen 127.0.0.1:0 --port-file "$TMP/port" --dead-after 60 "${COORD_SEC[@]}" 2>"$log" &
    COORD=$!
    for _ in $(seq 100); do
        [[ -s $TMP/port ]] && break
        sleep 0.1
    done
    [[ -s $TMP/port ]] || die "the coordinator wrote no port file: $(cat "$log")"
    sleep 0.3 # let it settle before the first RSS reading
    "$LOADGEN" --coordinator "127.0.0.1:$(cat "$TMP/port")" --workers "$n" --tasks "$TASKS" \
        --pid "$COORD" --timeout 240 "${LOADGEN_SEC[@]}" >"$TMP/loadgen.out" 2>"$TMP/loadgen.err" || rc=$?
    line=$(grep '^RESULT ' "$TMP/loadgen.out" | tail -n 1)
    kill -TERM "$COORD"
    local crc=0
    wait "$COORD" || crc=$?
    COORD=""
    if ((rc != 0)) || [[ -z $line ]]; then
        echo "FAILED n=$n run=$run: $(tail -n 3 "$TMP/loadgen.err" | tr '\n' ' ')" >>"$TMP/results"
        echo "coordinator.sh: N=$n run $run failed: $(tail -n 3 "$TMP/loadgen.err")" >&2
        echo "  coordinator log: $(grep -v 'closed by the peer' "$log" | tail -n 5)" >&2
        return
    fi
    ((crc == 0)) || echo "coordinator.sh: the coordinator exited with status $crc on SIGTERM" >&2
    echo "$line run=$run" >>"$TMP/results"
    echo "N=$n run $run: $(tail -n 1 "$TMP/loadgen.err" | sed 's/^loadgen: //')" >&2
}

: >"$TMP/results"
for n in "${NS[@]}"; do
    if ((hard != 0)) && [[ $hard != unlimited ]] && ((hard < n + 64)); then
        echo "FAILED n=$n: the descriptor limit (ulimit -Hn) is $hard, $((n + 64)) needed" >>"$TMP/results"
        continue
    fi
    for ((r = 1; r <= RUNS; r++)); do one_run "$n" "$r"; done
done

# The value of key $1 in a RESULT line $2.
val() { sed -nE "s/.*(^| )$1=([^ ]*).*/\\2/p" <<<"$2"; }

mkdir -p "$RESULTS_DIR"
OUT=$RESULTS_DIR/coordinator.md
PNG=coordinator-scale.png
[[ $SECURITY == none ]] || OUT=$RESULTS_DIR/coordinator-$SECURITY.md PNG=coordinator-$SECURITY-scale.png
: >"$TMP/median.dat"
bar="not measured"
{
    echo "# The coordinator under load: dispatch rate, assignment latency, memory per connection"
    echo
    case $SECURITY in
    none) echo "Security: none (plaintext on loopback, no job key; SECURITY=key and SECURITY=tls measure those)." ;;
    key) echo "Security: every connection proves the job key (\`--key\`: AuthChallenge, AuthResponse, the coordinator's proof in HelloAck); plaintext." ;;
    tls) echo "Security: TLS 1.3 (EC P-256 certificate, \`--tls-cert/--tls-key\`; loadgen verifies it) and the job key on every connection." ;;
    esac
    echo
    echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') ($(nproc) cores);"
    echo "kernel $(uname -r); excam commit $commit. Load average at the start: $load_start; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "(anything else running skews the numbers: the two processes measured need both cores). The benchmark took $((SECONDS - START)) s."
    echo
    echo "bench/coordinator.sh: a fresh \`excam coordinator --listen 127.0.0.1:0 --dead-after 60\` (no journal,"
    echo "heartbeats every 1 s) per run; bench/loadgen (one process, one epoll loop, on the same machine) opens N"
    echo "worker connections on loopback (Hello with 1 slot; every TaskAssign answered at once with a"
    echo "TaskResult; a Heartbeat every second), waits until all are connected and idle for 2 s, then a client"
    echo "submits a NOOP job of $TASKS tasks and polls it until DONE. $RUNS runs per N; the table shows the"
    echo "median run by tasks/s (all runs below). The coordinator and the load generator share the $(nproc) cores."
    echo
    echo "- tasks/s: tasks / (last TaskResult sent - first TaskAssign received)."
    echo "- latency: on one connection, from sending a TaskResult to receiving its next TaskAssign (results"
    echo "  after which no task came, at the end, not counted). Every worker is always busy, so this is"
    echo "  mostly queueing: about N / (tasks/s) (Little's law), not the coordinator's cost per task."
    echo "- RSS: the coordinator's VmRSS before any connection, with the N workers connected and idle, and"
    echo "  at the end (the job's task graph is freed when it is done). KiB per connection = (idle - before) / N"
    echo "  (RSS moves in 4 KiB pages, so with few connections, e.g. 100, this is coarse)."
    echo "  Kernel socket buffers are not in RSS."
    echo "- coordinator CPU: its user + system time during the job, per task."
    echo
    echo "| N | tasks | seconds | tasks/s | p50 ms | p99 ms | RSS before (KiB) | RSS with N idle (KiB) | RSS end (KiB) | KiB per connection | coordinator CPU per task (us) | connect all (s) |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for n in "${NS[@]}"; do
        # The median run by tasks/s.
        med=$(grep "^RESULT workers=$n " "$TMP/results" |
            awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^rate=/) { split($i, a, "="); print a[2], $0 } }' |
            sort -n | awk '{ $1 = ""; l[NR] = substr($0, 2) } END { if (NR) print l[int((NR + 1) / 2)] }')
        if [[ -z $med ]]; then
            echo "| $n | failed: $(grep "^FAILED n=$n" "$TMP/results" | head -n 1 | sed 's/^FAILED //') | | | | | | | | | | |"
            continue
        fi
        cpu_us=$(awk -v c="$(val coord_cpu_s "$med")" -v t="$(val tasks "$med")" 'BEGIN { printf "%.1f", c * 1e6 / t }')
        echo "$n $(val rate "$med") $(val kib_per_conn "$med") $(val p50_ms "$med")" >>"$TMP/median.dat"
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$n" "$(val tasks "$med")" \
            "$(val seconds "$med")" "$(val rate "$med")" "$(val p50_ms "$med")" "$(val p99_ms "$med")" \
            "$(val rss_before_kib "$med")" "$(val rss_idle_kib "$med")" "$(val rss_end_kib "$med")" \
            "$(val kib_per_conn "$med")" "$cpu_us" "$(val connect_s "$med")"
        if ((n == 10000)); then
            if awk -v r="$(val rate "$med")" -v k="$(val kib_per_conn "$med")" 'BEGIN { exit !(r >= 20000 && k <= 32) }'; then
                bar="**met**: $(val rate "$med") tasks/s and $(val kib_per_conn "$med") KiB per connection with 10,000 connections"
            else
                bar="**missed**: $(val rate "$med") tasks/s and $(val kib_per_conn "$med") KiB per connection with 10,000 connections"
            fi
        fi
    done
    echo
    echo "Issue bar (10,000 connections held with >= 20,000 tasks/s and <= 32 KiB per connection): $bar."
    if (($(wc -l <"$TMP/median.dat") > 1)); then
        echo
        awk 'NR == 1 { n0 = $1; r0 = $2 } { n = $1; r = $2; k = $3; if (k > kmax) kmax = k
                 if (NR == 1 || r > rmax) { rmax = r; nmax = n } if (NR == 1 || r < rmin) { rmin = r; nmin = n } }
             END { printf "Scale: from %d to %d connections the dispatch rate goes from %d to %d tasks/s (%.2fx; the highest %d at %d connections, the lowest %d at %d) and a connection costs at most %.2f KiB.\n", n0, n, r0, r, r / r0, rmax, nmax, rmin, nmin, kmax }' \
            "$TMP/median.dat"
    fi
    if command -v gnuplot >/dev/null && [[ -s $TMP/median.dat ]]; then
        echo
        echo "![tasks/s and KiB per connection against connections]($PNG)"
    fi
    echo
    echo "## All runs"
    echo
    echo "| N | run | tasks/s | p50 ms | p99 ms | max ms | KiB per connection | coordinator CPU (s) | loadgen CPU (s) | heartbeats |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    while read -r line; do
        if [[ $line == FAILED* ]]; then
            echo "| ${line#FAILED } | | | | | | | | | |"
            continue
        fi
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(val workers "$line")" "$(val run "$line")" \
            "$(val rate "$line")" "$(val p50_ms "$line")" "$(val p99_ms "$line")" "$(val max_ms "$line")" \
            "$(val kib_per_conn "$line")" "$(val coord_cpu_s "$line")" "$(val loadgen_cpu_s "$line")" \
            "$(val heartbeats "$line")"
    done <"$TMP/results"
} >"$OUT"

# The plot: the sweep's median runs (lines) and every run (dots), tasks/s on the left axis,
# KiB per connection on the right; the issue bar's two limits dashed.
if command -v gnuplot >/dev/null && [[ -s $TMP/median.dat ]]; then
    grep '^RESULT ' "$TMP/results" | while read -r line; do
        echo "$(val workers "$line") $(val rate "$line") $(val kib_per_conn "$line")"
    done >"$TMP/runs.dat"
    gnuplot <<EOF || echo "coordinator.sh: gnuplot failed; no plot" >&2
set terminal pngcairo noenhanced size 900,600 font ',10'
set output '$RESULTS_DIR/$PNG'
set title 'excam coordinator, security: $SECURITY; $TASKS no-op tasks per run, loopback, $(nproc) cores shared with the load generator ($(date -u '+%Y-%m-%d'))'
set logscale x
set xlabel 'worker connections'
set ylabel 'tasks/s (dispatch rate)'
set y2label 'KiB of coordinator RSS per connection (log scale)'
set ytics nomirror
set y2tics
set yrange [0:*]
set logscale y2
set y2range [0.1:100]
set xrange [50:20000]
set grid
set key below maxrows 2
plot '$TMP/median.dat' using 1:2 with linespoints lw 2 pt 7 title 'tasks/s (median run)', \
     '$TMP/runs.dat' using 1:2 with points pt 6 lc 1 title 'tasks/s (each run)', \
     '$TMP/median.dat' using 1:3 axes x1y2 with linespoints lw 2 pt 5 title 'KiB per connection (median run)', \
     20000 with lines dt 2 lc 1 title 'bar: >= 20,000 tasks/s at 10,000', \
     32 axes x1y2 with lines dt 2 lc 3 title 'bar: <= 32 KiB per connection'
EOF
fi

echo "coordinator.sh: done in $((SECONDS - START)) s; results in $OUT"
sed -n '/^| N | tasks/,/^Issue bar/p' "$OUT"
! grep -q '^FAILED' "$TMP/results"

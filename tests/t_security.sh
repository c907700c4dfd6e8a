#!/usr/bin/env bash
# Authentication (the job key, libsodium challenge-response) and TLS 1.3 between the
# coordinator, its workers and its clients, all on loopback:
#  1. excam keygen: a key file of 64 hex digits with mode 0600, TLS material (CA, server,
#     client; keys 0600), nothing replaced without --force; a key file with mode 0644
#     is refused by every role with a message naming it, and so is a TLS key with 0640.
#  2. The local run (excam encode --chunk) makes a key of its own: a stranger without it,
#     or with another, is refused while the run goes on to the same bytes.
#     A coordinator with TLS and a key, 4 workers with TLS and the key, and a worker
#     with a wrong key started with them: the wrong one is refused (a coordinator log
#     line naming its address, its own error, exit 1 at once instead of dialling again)
#     and the job gives the same bytes as the local `excam encode --chunk` run.
#  3. Peers that must be refused while the coordinator keeps serving: plaintext bytes
#     and a plaintext client against TLS (log line; a hint to the client), a client
#     without the key, a client with a wrong key, a client whose CA did not sign the
#     coordinator's certificate (certificate verify failed), a client with a key facing
#     a coordinator without one (it cannot prove the key: not trusted); client
#     certificates when the coordinator asks for them.
#  4. The handshake itself (tests/hostile_peer.py, plaintext on loopback, with the MAC
#     computed in Python from proto/README.md's description): the right answer is
#     accepted and the coordinator's proof checks; a random MAC, an answer replayed from
#     another connection's challenge, a request instead of the answer, and silence are
#     refused or dropped with a log line naming the peer's port.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_tool ffmpeg
need_tool python3
need_excam

passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

PIDS=()
cleanup() {
    kill -KILL "${PIDS[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
S=$SCRATCH

# usage: expect_fail NAME LOG PATTERN CMD...: CMD must exit 1 within 20 s with PATTERN
# (an extended regex) in its output.
expect_fail() {
    local name=$1 log=$2 pattern=$3 rc=0
    shift 3
    timeout 20 "$@" >"$log" 2>&1 </dev/null || rc=$?
    if crashed "$rc" "$log"; then
        fail "$name: crashed (status $rc): $(tail -n 3 "$log")"
    elif ((rc == 1)) && grep -qE "$pattern" "$log"; then
        ok "$name: $(grep -E "$pattern" "$log" | head -n 1)"
    else
        fail "$name: status $rc (want 1), output: $(tail -n 3 "$log")"
    fi
}

# ---------------------------------------------------------------- 1. keygen

"$EXCAM" keygen --key "$S/job.key" 2>/dev/null
"$EXCAM" keygen --key "$S/wrong.key" 2>/dev/null
if [[ $(stat -c %a "$S/job.key") == 600 ]] && grep -qxE '[0-9a-f]{64}' "$S/job.key" &&
    ! cmp -s "$S/job.key" "$S/wrong.key"; then
    ok "keygen --key: 64 hex digits, mode 0600, a new key each time"
else
    fail "keygen --key: $(stat -c %a "$S/job.key") $(head -c 80 "$S/job.key")"
fi
cp "$S/job.key" "$S/before"
expect_fail "keygen --key on an existing file" "$S/kg.log" "exists already" \
    "$EXCAM" keygen --key "$S/job.key"
cmp -s "$S/job.key" "$S/before" || fail "keygen --key replaced an existing key without --force"

"$EXCAM" keygen --tls "$S/tls" 2>/dev/null
"$EXCAM" keygen --tls "$S/other" 2>/dev/null
modes=""
for f in ca.crt ca.key server.crt server.key client.crt client.key; do
    modes+="$f:$(stat -c %a "$S/tls/$f" 2>/dev/null || echo missing) "
done
if [[ $modes == "ca.crt:644 ca.key:600 server.crt:644 server.key:600 client.crt:644 client.key:600 " ]] &&
    grep -q 'BEGIN CERTIFICATE' "$S/tls/server.crt" && grep -q 'BEGIN PRIVATE KEY' "$S/tls/server.key" &&
    [[ $(stat -c %a "$S/tls") == 700 ]]; then
    ok "keygen --tls: CA, server and client PEM files, keys 0600, directory 0700"
else
    fail "keygen --tls: $modes"
fi
expect_fail "keygen --tls on existing files" "$S/kg2.log" "exists already" \
    "$EXCAM" keygen --tls "$S/tls"
expect_fail "keygen --tls --host with a bad name" "$S/kg3.log" "neither a DNS name nor an IP" \
    "$EXCAM" keygen --tls "$S/bad" --host 'a b'

cp "$S/job.key" "$S/open.key"
chmod 644 "$S/open.key"
expect_fail "coordinator: key file mode 0644 refused" "$S/k1.log" "open.key: mode 0644 .*chmod 600" \
    "$EXCAM" coordinator --listen 127.0.0.1:0 --key "$S/open.key"
expect_fail "worker: key file mode 0644 refused" "$S/k2.log" "open.key: mode 0644" \
    "$EXCAM" worker --coordinator 127.0.0.1:1 --key "$S/open.key"
expect_fail "jobs: key file mode 0644 refused (EXCAM_KEY_FILE)" "$S/k3.log" "open.key: mode 0644" \
    env EXCAM_KEY_FILE="$S/open.key" "$EXCAM" jobs --coordinator 127.0.0.1:1
cp "$S/tls/server.key" "$S/open-server.key"
chmod 640 "$S/open-server.key"
expect_fail "coordinator: TLS key mode 0640 refused" "$S/k5.log" "TLS key .*open-server.key: mode 0640 .*chmod 600" \
    "$EXCAM" coordinator --listen 127.0.0.1:0 --tls-cert "$S/tls/server.crt" --tls-key "$S/open-server.key"
printf 'not a key\n' >"$S/junk.key"
chmod 600 "$S/junk.key"
expect_fail "worker: a key file that is no key" "$S/k4.log" "junk.key: not a key" \
    "$EXCAM" worker --coordinator 127.0.0.1:1 --key "$S/junk.key"

# ---------------------------------------------------------------- 2. an encode

if [[ -f $DATA/clips/camera/bus_352x288_17f.y4m ]]; then
    input=(-stream_loop 2 -i "$DATA/clips/camera/bus_352x288_17f.y4m")
else
    input=(-f lavfi -i "testsrc2=size=352x288:rate=30,noise=alls=20:allf=t")
fi
ffmpeg -v error -nostdin -y "${input[@]}" -frames:v 36 -vf scale=176:144 -pix_fmt yuv420p \
    -f yuv4mpegpipe "$S/clip.y4m"
ENC=(--chunk 3 --rebase 4 --cpu-used 2)
"$EXCAM" encode "$S/clip.y4m" -q "${ENC[@]}" --workers 2 -o "$S/local.ivf"

# The local run is authenticated too: its coordinator (found by its port file in the
# work directory under TMPDIR) asks a stranger for the job key it made for this run.
mkdir -p "$S/tmp"
TMPDIR=$S/tmp EXCAM_WORKER_SLOW=0.2 "$EXCAM" encode "$S/clip.y4m" -q "${ENC[@]}" --workers 2 \
    -o "$S/local2.ivf" 2>"$S/local2.log" &
local_pid=$!
PIDS+=("$local_pid")
lport=""
for _ in $(seq 100); do
    lport=$(cat "$S"/tmp/excam-encode.*/port 2>/dev/null || true)
    [[ -n $lport ]] && break
    sleep 0.05
done
if [[ -z $lport ]]; then
    fail "local run: no port file under $S/tmp"
else
    expect_fail "local run: a stranger without the run's key" "$S/l1.log" "asks for the job key" \
        "$EXCAM" jobs --coordinator "127.0.0.1:$lport"
    expect_fail "local run: a stranger with another key" "$S/l2.log" "refused: authentication failed" \
        "$EXCAM" jobs --coordinator "127.0.0.1:$lport" --key "$S/job.key"
fi
rc=0
wait "$local_pid" || rc=$?
((rc == 0)) && cmp -s "$S/local2.ivf" "$S/local.ivf" && ok "local run: the same bytes meanwhile" ||
    fail "local run: status $rc: $(tail -n 2 "$S/local2.log")"
[[ -z $(ls "$S/tmp") ]] && ok "local run: its work directory is gone" || fail "local run left $(ls "$S/tmp")"

TLS_SRV=(--tls-cert "$S/tls/server.crt" --tls-key "$S/tls/server.key")
TLS_CLI=(--tls-ca "$S/tls/ca.crt")
mkdir -p "$S/blobs"

# usage: start_coordinator NAME ARGS...: sets PORT; the log is $S/NAME.log.
start_coordinator() {
    local name=$1
    shift
    rm -f "$S/$name.port"
    "$EXCAM" coordinator --listen 127.0.0.1:0 --port-file "$S/$name.port" --storage "$S/blobs" \
        --hello-timeout 3 -v "$@" >"$S/$name.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 100); do
        [[ -s $S/$name.port ]] && break
        sleep 0.05
    done
    [[ -s $S/$name.port ]] || die "coordinator $name did not start: $(tail -n 5 "$S/$name.log")"
    PORT=$(cat "$S/$name.port")
}

start_coordinator coord --key "$S/job.key" "${TLS_SRV[@]}"
C=127.0.0.1:$PORT
LOG=$S/coord.log
grep -q 'TLS 1.3, job key required' "$LOG" && ok "coordinator: listening with TLS 1.3 and a job key" ||
    fail "coordinator: no TLS/key in its first line: $(head -n 1 "$LOG")"
for i in 1 2 3 4; do
    "$EXCAM" worker --coordinator "$C" --name "good-$i" --key "$S/job.key" "${TLS_CLI[@]}" \
        --retry-for 30 2>>"$S/workers.log" &
    PIDS+=($!)
done
t0=$SECONDS
"$EXCAM" worker --coordinator "$C" --name bad-worker --key "$S/wrong.key" "${TLS_CLI[@]}" \
    --retry-for 30 >"$S/bad.log" 2>&1 &
bad=$!
PIDS+=("$bad")
rc=0
timeout 120 "$EXCAM" encode "$S/clip.y4m" -q "${ENC[@]}" --coordinator "$C" --storage "$S/blobs" \
    --key "$S/job.key" "${TLS_CLI[@]}" -o "$S/net.ivf" 2>"$S/client.log" || rc=$?
if ((rc == 0)) && cmp -s "$S/net.ivf" "$S/local.ivf"; then
    ok "TLS + key, 4 workers and a wrong-key one: the same bytes as the local run"
else
    fail "TLS + key encode: status $rc, $(tail -n 2 "$S/client.log")"
fi
brc=0
for _ in $(seq 100); do kill -0 "$bad" 2>/dev/null || break; sleep 0.1; done
wait "$bad" 2>/dev/null || brc=$?
if ((brc == 1)) && grep -q 'refused: authentication failed' "$S/bad.log"; then
    ok "wrong-key worker: exit 1 after $((SECONDS - t0)) s at most: $(cat "$S/bad.log")"
else
    fail "wrong-key worker: status $brc: $(cat "$S/bad.log")"
fi
n=$(grep -cE 'connection from 127\.0\.0\.1:[0-9]+ \(bad-worker\) refused: authentication failed' "$LOG" || true)
((n == 1)) && ok "coordinator log: the wrong-key worker's address, refused once" ||
    fail "coordinator log: $n refusal lines for the wrong-key worker"
grep -qE 'assign.*bad-worker|bad-worker.*joined' "$LOG" && fail "the wrong-key worker was given work" ||
    ok "the wrong-key worker was given no task"
joined=$(grep -cE 'worker [0-9]+ \(good-[0-9] at .*joined' "$LOG" || true)
((joined == 4)) && ok "the 4 good workers joined" || fail "$joined good workers joined, not 4"

# ---------------------------------------------------------------- 3. refused peers

lines() { wc -l <"$LOG"; }
# usage: logged FROM PATTERN: PATTERN in the coordinator's log after line FROM.
logged() {
    local i
    for i in $(seq 50); do
        grep -qE "$2" <(tail -n +"$(($1 + 1))" "$LOG") && return 0
        sleep 0.1
    done
    return 1
}

from=$(lines)
if exec 3<>"/dev/tcp/127.0.0.1/$PORT"; then
    printf '\0\0\0\x05hello' >&3
    exec 3>&-
fi
logged "$from" 'connection from 127\.0\.0\.1:[0-9]+ dropped: TLS handshake failed' &&
    ok "plaintext bytes against TLS: $(tail -n +"$((from + 1))" "$LOG" | grep -m1 -oE 'dropped: TLS.*')" ||
    fail "plaintext bytes: no TLS handshake log line"

from=$(lines)
expect_fail "plaintext client against TLS" "$S/p1.log" "if the coordinator uses TLS, give --tls-ca" \
    "$EXCAM" jobs --coordinator "$C" --key "$S/job.key"
logged "$from" 'dropped: TLS handshake failed' && ok "plaintext client: logged" ||
    fail "plaintext client: not logged"

from=$(lines)
expect_fail "plaintext worker against TLS" "$S/p2.log" "cannot reach the coordinator .* --tls-ca" \
    "$EXCAM" worker --coordinator "$C" --name plain-worker --key "$S/job.key" --retry-for 1
grep -q 'plain-worker' "$LOG" && fail "the plaintext worker got past hello" ||
    ok "the plaintext worker got no further than the TLS handshake"

from=$(lines)
expect_fail "client without the key" "$S/a1.log" "asks for the job key: give --key FILE" \
    "$EXCAM" jobs --coordinator "$C" "${TLS_CLI[@]}"
logged "$from" 'dropped: closed by the peer without authenticating' && ok "client without the key: logged" ||
    fail "client without the key: not logged"

from=$(lines)
expect_fail "client with a wrong key" "$S/a2.log" "refused: authentication failed: wrong job key" \
    "$EXCAM" jobs --coordinator "$C" --key "$S/wrong.key" "${TLS_CLI[@]}"
logged "$from" 'connection from 127\.0\.0\.1:[0-9]+ \(client-[0-9]+\) refused: authentication failed' &&
    ok "client with a wrong key: logged with its address" || fail "client with a wrong key: not logged"

mkdir -p "$S/blobs2"
expect_fail "encode with a wrong key" "$S/a2e.log" "refused: authentication failed" \
    "$EXCAM" encode "$S/clip.y4m" -q "${ENC[@]}" --coordinator "$C" --storage "$S/blobs2" \
    --key "$S/wrong.key" "${TLS_CLI[@]}" -o "$S/never.ivf"
n=$(find "$S/blobs2" -type f | wc -l)
[[ ! -e $S/never.ivf ]] && ((n == 0)) && ok "encode with a wrong key: no output, nothing uploaded" ||
    fail "encode with a wrong key: $n blobs uploaded, output: $(ls "$S/never.ivf" 2>&1)"

expect_fail "client with another CA" "$S/a3.log" "certificate verify failed" \
    "$EXCAM" jobs --coordinator "$C" --key "$S/job.key" --tls-ca "$S/other/ca.crt"

if timeout 20 "$EXCAM" jobs --coordinator "localhost:$PORT" --key "$S/job.key" "${TLS_CLI[@]}" \
    >"$S/jobs.out" 2>&1 && grep -qE '^1 +done' "$S/jobs.out"; then
    ok "the coordinator still serves (excam jobs by name, localhost): job 1 done"
else
    fail "excam jobs after the refusals: $(tail -n 2 "$S/jobs.out")"
fi
grep -qE 'ERROR: AddressSanitizer|runtime error:' "$LOG" && fail "coordinator: sanitizer report"

# A coordinator without the key cannot prove it: a client with a key does not trust it.
start_coordinator nokey
expect_fail "client with a key against a coordinator without one" "$S/a5.log" "did not ask for the job key" \
    "$EXCAM" jobs --coordinator "127.0.0.1:$PORT" --key "$S/job.key"

# IPv6 loopback: the certificate's ::1 entry (skipped where ::1 cannot be bound).
rm -f "$S/v6.port"
"$EXCAM" coordinator --listen '[::1]:0' --port-file "$S/v6.port" --key "$S/job.key" "${TLS_SRV[@]}" \
    >"$S/v6.log" 2>&1 &
v6=$!
PIDS+=("$v6")
for _ in $(seq 100); do
    [[ -s $S/v6.port ]] && break
    kill -0 "$v6" 2>/dev/null || break
    sleep 0.05
done
if [[ -s $S/v6.port ]]; then
    if timeout 20 "$EXCAM" jobs --coordinator "[::1]:$(cat "$S/v6.port")" --key "$S/job.key" \
        "${TLS_CLI[@]}" >"$S/v6.out" 2>&1; then
        ok "TLS to [::1] (the certificate's IP entry ::1)"
    else
        fail "TLS to [::1]: $(tail -n 2 "$S/v6.out")"
    fi
else
    echo "skip TLS to [::1]: $(tail -n 1 "$S/v6.log")"
fi

# A certificate for other names: the address dialled must be in it.
"$EXCAM" keygen --tls "$S/named" --host example.org 2>/dev/null
start_coordinator named --key "$S/job.key" --tls-cert "$S/named/server.crt" --tls-key "$S/named/server.key"
expect_fail "a certificate for another name" "$S/a4.log" "certificate verify failed: .*mismatch" \
    "$EXCAM" jobs --coordinator "127.0.0.1:$PORT" --key "$S/job.key" --tls-ca "$S/named/ca.crt"

# Client certificates: a coordinator with --tls-ca wants one.
start_coordinator certs --key "$S/job.key" "${TLS_SRV[@]}" --tls-ca "$S/tls/ca.crt"
expect_fail "no client certificate when one is required" "$S/c1.log" "give --tls-cert and --tls-key|certificate required" \
    "$EXCAM" jobs --coordinator "127.0.0.1:$PORT" --key "$S/job.key" "${TLS_CLI[@]}"
grep -q 'TLS handshake failed' "$S/certs.log" && ok "coordinator: the peer without a certificate logged" ||
    fail "coordinator: no log line for the peer without a certificate"
if timeout 20 "$EXCAM" jobs --coordinator "127.0.0.1:$PORT" --key "$S/job.key" "${TLS_CLI[@]}" \
    --tls-cert "$S/tls/client.crt" --tls-key "$S/tls/client.key" >"$S/c2.log" 2>&1; then
    ok "client certificate accepted"
else
    fail "client certificate: $(tail -n 2 "$S/c2.log")"
fi

grep -qE 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$S/workers.log" "$S/client.log" &&
    fail "workers or client: sanitizer report: $(grep -hm1 -E 'ERROR|runtime error' "$S/workers.log" "$S/client.log")"

# ---------------------------------------------------------------- 4. the handshake

start_coordinator keyed --key "$S/job.key"
LOG=$S/keyed.log
PEER=$ROOT/tests/hostile_peer.py
field() { sed -nE "s/.*(^| )$1=([^ ]*).*/\\2/p" <<<"$2"; }
# usage: peer_case NAME REASON_ERE KIND [ARG]: the peer is closed with a log line naming
# its port and matching REASON_ERE.
peer_case() {
    local name=$1 reason=$2 line port
    shift 2
    line=$(timeout 30 python3 "$PEER" "$PORT" "$@" 2>&1 | tail -n 1)
    port=$(field port "$line")
    if [[ -z $port || $(field closed "$line") != yes || $(field challenge "$line") != yes ]]; then
        fail "$name: $line"
    elif ! logged 0 "127\\.0\\.0\\.1:$port( \\([^)]*\\))? (dropped|refused): $reason"; then
        fail "$name: no log line for port $port matching '$reason': $(grep ":$port" "$LOG")"
    else
        ok "$name: $(grep -m1 -oE "127\\.0\\.0\\.1:$port.*" "$LOG")"
    fi
}
line=$(timeout 30 python3 "$PEER" "$PORT" auth-good "$S/job.key" 2>&1 | tail -n 1)
[[ $(field accepted "$line") == 1 && $(field server_mac_ok "$line") == yes ]] &&
    ok "a MAC computed from the description is accepted; the coordinator's proof checks" ||
    fail "auth-good: $line"
peer_case "a random MAC" "authentication failed" auth-bad-mac
peer_case "an answer replayed from another connection" "authentication failed" auth-replay "$S/job.key"
peer_case "a request instead of the answer" "a job_list instead of an auth_response" auth-skip
peer_case "silence after the challenge" "no answer to the authentication challenge in time" auth-silent
n=$(grep -c 'joined' "$LOG" || true)
((n == 0)) && ok "no hostile peer joined as a worker" || fail "$n joined"

# Every coordinator stops cleanly on SIGTERM.
for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
for log in coord nokey named certs keyed v6; do
    grep -qE 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$S/$log.log" &&
        fail "coordinator $log: sanitizer report: $(grep -m1 -E 'ERROR|runtime error' "$S/$log.log")"
done
wait 2>/dev/null || true
for log in coord nokey named certs keyed v6; do
    grep -qE 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$S/$log.log" &&
        fail "coordinator $log after SIGTERM: $(grep -m1 -E 'ERROR|runtime error' "$S/$log.log")"
done
PIDS=()

echo "security: $passed passed, $failed failed"
((failed == 0))

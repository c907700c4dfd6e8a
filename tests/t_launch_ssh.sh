#!/usr/bin/env bash
# The ssh launcher (excam encode --chunk --launcher ssh --hosts FILE), against an sshd this
# test starts on a free loopback port with a throwaway host key and a throwaway user key:
#  - workers on "127.0.0.1:PORT 2" and "localhost:PORT" (3 workers over ssh) give the same
#    bytes as the local run; the ssh options come from --ssh-opt, or from $EXCAM_SSH;
#  - TLS (--tls-cert/--tls-key for the embedded coordinator, --tls-ca for its client and
#    the workers): the same bytes; with another CA the run is refused;
#  - a host that refuses (a closed port) is named in a warning and the job goes on with
#    the others; when every host refuses, the encode fails naming them, leaves no output;
#  - no excam at --remote-excam: the host and the shell's complaint; `excam launch` ends
#    when its workers give up an absent coordinator (their sessions end with them);
#  - bad hosts files and a missing --storage are refused with a clear message;
#  - no worker started through sshd is left after a run, nor after Ctrl-C (SIGINT) in
#    the middle of an encode, which leaves no output and no temporary directory either.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_excam
CLIP=$(camera_clip)

passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

SSHD_PID=
# Every process a test run may leave: sshd, and workers (they run $SCRATCH/bin/excam).
cleanup() {
    [[ -n $SSHD_PID ]] && kill "$SSHD_PID" 2>/dev/null || true
    local p
    for p in $(pgrep -f "^$SCRATCH/bin/excam worker" || true); do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

# The workers run this path, so that they can be told from any other excam.
mkdir -p "$SCRATCH/bin" "$SCRATCH/tmp" "$SCRATCH/blobs"
ln -s "$EXCAM" "$SCRATCH/bin/excam"
export TMPDIR=$SCRATCH/tmp

start_sshd
PORT=$SSHD_PORT
CLOSED=$(free_port) # nothing listens there
# The job key the embedded coordinator asks for: the workers read it at the same path.
"$EXCAM" keygen --key "$SCRATCH/job.key" >/dev/null

ssh_opt_args=("${SSH_OPT_ARGS[@]}")

workers_left() {
    pgrep -f "^$SCRATCH/bin/excam worker" || true
}

# The reference: local workers.
"$EXCAM" encode "$CLIP" --chunk 6 --rebase 16 -q -o "$SCRATCH/local.ivf"

# usage: run_ssh NAME HOSTS_TEXT [extra encode args...]; status in $rc, stderr in NAME.log
run_ssh() {
    local name=$1 hosts=$2
    shift 2
    printf '%b' "$hosts" >"$SCRATCH/$name.hosts"
    rc=0
    timeout 120 "$EXCAM" encode "$CLIP" --chunk 6 --rebase 16 -q --launcher ssh \
        --hosts "$SCRATCH/$name.hosts" --remote-excam "$SCRATCH/bin/excam" \
        --storage "$SCRATCH/blobs" --key "$SCRATCH/job.key" -o "$SCRATCH/$name.ivf" "$@" \
        2>"$SCRATCH/$name.log" || rc=$?
}

# 1. Three workers over ssh: the local run's bytes.
run_ssh three "# two slots here, one there\n127.0.0.1:$PORT 2\nroot@localhost:$PORT\n" "${ssh_opt_args[@]}"
if ((rc == 0)) && cmp -s "$SCRATCH/local.ivf" "$SCRATCH/three.ivf"; then
    ok "3 workers on 2 ssh hosts: the local run's bytes"
else
    fail "3 workers on 2 ssh hosts: status $rc"
    sed 's/^/  /' "$SCRATCH/three.log"
fi
# The workers really came through ssh: the coordinator saw them dial in by name... but it
# is gone; the launcher's logs are gone too. So count sshd's sessions in its log instead.
if [[ -z $(workers_left) ]]; then ok "no ssh worker left after the run"; else fail "ssh workers left: $(workers_left)"; fi

# 2. $EXCAM_SSH instead of --ssh-opt, and --workers-per-host.
EXCAM_SSH="${SSH_OPTS[*]}" run_ssh env "127.0.0.1:$PORT 5\n" --workers-per-host 2
if ((rc == 0)) && cmp -s "$SCRATCH/local.ivf" "$SCRATCH/env.ivf"; then
    ok "options from \$EXCAM_SSH, --workers-per-host 2: the local run's bytes"
else
    fail "options from \$EXCAM_SSH: status $rc"
    sed 's/^/  /' "$SCRATCH/env.log"
fi

# 2b. TLS: the embedded coordinator with a certificate, its client and the ssh workers
#     checking it with the CA (at the same path on the "hosts"); with another CA nothing
#     gets through (so TLS was really in force).
"$EXCAM" keygen --tls "$SCRATCH/tls" >/dev/null
"$EXCAM" keygen --tls "$SCRATCH/tls-other" >/dev/null
TLS=(--tls-cert "$SCRATCH/tls/server.crt" --tls-key "$SCRATCH/tls/server.key")
run_ssh tls "127.0.0.1:$PORT 2\n" "${ssh_opt_args[@]}" "${TLS[@]}" --tls-ca "$SCRATCH/tls/ca.crt"
if ((rc == 0)) && cmp -s "$SCRATCH/local.ivf" "$SCRATCH/tls.ivf"; then
    ok "TLS between the embedded coordinator, its client and 2 ssh workers: the local run's bytes"
else
    fail "TLS: status $rc"
    sed 's/^/  /' "$SCRATCH/tls.log"
fi
run_ssh tlsbad "127.0.0.1:$PORT\n" "${ssh_opt_args[@]}" "${TLS[@]}" --tls-ca "$SCRATCH/tls-other/ca.crt"
if ((rc == 1)) && [[ ! -e $SCRATCH/tlsbad.ivf ]] && grep -qi "certificate" "$SCRATCH/tlsbad.log"; then
    ok "TLS with another CA: refused ('$(grep -m1 -i certificate "$SCRATCH/tlsbad.log")'), no output"
else
    fail "TLS with another CA: status $rc"
    sed 's/^/  /' "$SCRATCH/tlsbad.log"
fi

# 3. A host that refuses: named, and the job goes on with the other.
run_ssh refused "127.0.0.1:$CLOSED\n127.0.0.1:$PORT\n" "${ssh_opt_args[@]}"
if ((rc == 0)) && cmp -s "$SCRATCH/local.ivf" "$SCRATCH/refused.ivf" &&
    grep -q "ssh 127.0.0.1:$CLOSED: the worker stopped (exit status 255).*refused" "$SCRATCH/refused.log"; then
    ok "a refusing host is named ($(grep -m1 "127.0.0.1:$CLOSED" "$SCRATCH/refused.log")), the job goes on"
else
    fail "a refusing host: status $rc"
    sed 's/^/  /' "$SCRATCH/refused.log"
fi

# 4. Every host refuses: a clear failure, no output, quickly.
t0=$SECONDS
run_ssh none "127.0.0.1:$CLOSED 2\n" "${ssh_opt_args[@]}"
if ((rc == 1)) && [[ ! -e $SCRATCH/none.ivf ]] && grep -q "no ssh worker is left" "$SCRATCH/none.log" &&
    grep -q "ssh 127.0.0.1:$CLOSED" "$SCRATCH/none.log" && ((SECONDS - t0 < 30)); then
    ok "no host answers: exit 1 in $((SECONDS - t0)) s, '$(tail -n 1 "$SCRATCH/none.log")', no output"
else
    fail "no host answers: status $rc after $((SECONDS - t0)) s"
    sed 's/^/  /' "$SCRATCH/none.log"
fi

# 4b. No excam at --remote-excam on the host: the shell's complaint, with the host.
rc=0
printf '127.0.0.1:%s\n' "$PORT" >"$SCRATCH/noexcam.hosts"
timeout 60 "$EXCAM" encode "$CLIP" --chunk 6 -q --launcher ssh --hosts "$SCRATCH/noexcam.hosts" \
    --remote-excam "$SCRATCH/nowhere/excam" "${ssh_opt_args[@]}" --storage "$SCRATCH/blobs" \
    --key "$SCRATCH/job.key" -o "$SCRATCH/noexcam.ivf" 2>"$SCRATCH/noexcam.log" || rc=$?
if ((rc == 1)) && [[ ! -e $SCRATCH/noexcam.ivf ]] &&
    grep -q "ssh 127.0.0.1:$PORT: the worker stopped (exit status 127): .*nowhere/excam.*not found" "$SCRATCH/noexcam.log"; then
    ok "no excam on the host: '$(head -n 1 "$SCRATCH/noexcam.log")'"
else
    fail "no excam on the host: status $rc"
    sed 's/^/  /' "$SCRATCH/noexcam.log"
fi

# 4c. excam launch: workers that give up their (absent) coordinator end their ssh sessions
#     (the wrapper's stdin reader holds nothing sshd waits for), and launch ends with them.
rc=0
t0=$SECONDS
timeout 60 "$EXCAM" launch --launcher ssh --hosts "$SCRATCH/noexcam.hosts" --workers-per-host 2 \
    --remote-excam "$SCRATCH/bin/excam" "${ssh_opt_args[@]}" --coordinator "127.0.0.1:$CLOSED" \
    --retry-for 1 --storage "$SCRATCH/blobs" 2>"$SCRATCH/launch.log" || rc=$?
if ((rc == 1 && SECONDS - t0 < 30)) && grep -q "no ssh worker is left" "$SCRATCH/launch.log" &&
    (($(grep -c "ssh 127.0.0.1:$PORT: the worker stopped (exit status 1)" "$SCRATCH/launch.log") == 2)) &&
    grep -q "worker: cannot reach the coordinator .*127.0.0.1:$CLOSED" "$SCRATCH/launch.log" &&
    [[ -z $(workers_left) ]]; then
    ok "excam launch: 2 workers without a coordinator give up, their sessions and launch end ($((SECONDS - t0)) s)"
else
    fail "excam launch without a coordinator: status $rc after $((SECONDS - t0)) s"
    sed 's/^/  /' "$SCRATCH/launch.log"
fi

# 5. Refused options and hosts files.
expect_usage() { # NAME WANT_STATUS PATTERN encode-args...
    local name=$1 want=$2 pat=$3 st=0
    shift 3
    "$EXCAM" encode "$CLIP" --chunk 6 -q -o "$SCRATCH/bad.ivf" "$@" 2>"$SCRATCH/bad.log" || st=$?
    if ((st == want)) && grep -q -- "$pat" "$SCRATCH/bad.log" && [[ ! -e $SCRATCH/bad.ivf ]]; then
        ok "$name: $(head -n 1 "$SCRATCH/bad.log")"
    else
        fail "$name: status $st (want $want)"
        sed 's/^/  /' "$SCRATCH/bad.log"
    fi
}
printf '127.0.0.1:%s\n' "$PORT" >"$SCRATCH/ok.hosts"
expect_usage "no --storage" 2 "needs --storage" --launcher ssh --hosts "$SCRATCH/ok.hosts"
expect_usage "no --key" 2 "needs --key FILE" --launcher ssh --hosts "$SCRATCH/ok.hosts" \
    --storage "$SCRATCH/blobs"
expect_usage "no --hosts" 2 "needs --hosts" --launcher ssh --storage "$SCRATCH/blobs"
expect_usage "unknown launcher" 2 "not 'pbs'" --launcher pbs
printf 'good:22\nhost:99999\n' >"$SCRATCH/port.hosts"
expect_usage "a bad port" 1 "port.hosts:2: 'host:99999': the port" --launcher ssh \
    --hosts "$SCRATCH/port.hosts" --storage "$SCRATCH/blobs" --key "$SCRATCH/job.key"
printf 'a 0\n' >"$SCRATCH/slots.hosts"
expect_usage "zero slots" 1 "slots.hosts:1: 'a': slots" --launcher ssh \
    --hosts "$SCRATCH/slots.hosts" --storage "$SCRATCH/blobs" --key "$SCRATCH/job.key"
printf '# nothing\n\n' >"$SCRATCH/empty.hosts"
expect_usage "no hosts" 1 "empty.hosts: no hosts" --launcher ssh \
    --hosts "$SCRATCH/empty.hosts" --storage "$SCRATCH/blobs" --key "$SCRATCH/job.key"
expect_usage "a missing hosts file" 1 "nope.hosts: No such file" --launcher ssh \
    --hosts "$SCRATCH/nope.hosts" --storage "$SCRATCH/blobs" --key "$SCRATCH/job.key"

# 6. Ctrl-C in the middle: the workers go, nothing is left behind.
ffmpeg_ok=0
if command -v ffmpeg >/dev/null 2>&1; then
    ffmpeg -v error -nostdin -y -stream_loop 11 -i "$CLIP" -f yuv4mpegpipe -pix_fmt yuv420p \
        "$SCRATCH/long.y4m" && ffmpeg_ok=1
fi
if ((ffmpeg_ok)); then
    printf '127.0.0.1:%s 2\n' "$PORT" >"$SCRATCH/int.hosts"
    "$EXCAM" encode "$SCRATCH/long.y4m" --chunk 6 --rebase 16 --cpu-used 0 -q --launcher ssh \
        --hosts "$SCRATCH/int.hosts" --remote-excam "$SCRATCH/bin/excam" "${ssh_opt_args[@]}" \
        --storage "$SCRATCH/blobs" --key "$SCRATCH/job.key" -o "$SCRATCH/int.ivf" 2>"$SCRATCH/int.log" &
    enc=$!
    for _ in $(seq 200); do # until both workers run (up to 20 s)
        (($(workers_left | wc -l) >= 2)) && break
        sleep 0.1
    done
    seen=$(workers_left | wc -l)
    sleep 0.5
    kill -INT "$enc"
    st=0
    wait "$enc" || st=$?
    left=$(workers_left)
    if ((seen == 2 && st == 130)) && [[ -z $left && ! -e $SCRATCH/int.ivf ]] &&
        [[ -z $(ls -A "$SCRATCH/tmp") ]]; then
        ok "Ctrl-C with 2 ssh workers running: exit 130, no worker, output or work directory left"
    else
        fail "Ctrl-C: $seen workers seen, status $st, left: '$left', tmp: $(ls -A "$SCRATCH/tmp")"
        sed 's/^/  /' "$SCRATCH/int.log"
    fi
else
    echo "(no ffmpeg: the Ctrl-C check needs a longer clip; not run)"
fi

echo "t_launch_ssh: $passed passed, $failed failed"
((failed == 0))

#!/usr/bin/env bash
# Burst: `excam encode --chunk --launcher local,ssh --deadline S` (tools/burst.c, local.c),
# with ssh workers through a throwaway sshd on a loopback port (tests/lib.sh start_sshd).
#  - a deadline far away (10000 s): sshd lets nobody in (no ssh worker ran), the line says
#    the ssh workers were not needed, the bytes are a plain local run's;
#  - an impossible deadline (0.5 s) with 1 local worker: the ssh workers start (counted in
#    sshd's log), the decision line names the prediction and the deadline, the same bytes;
#    --burst-workers 1 starts exactly one; by default at most the hosts' 2 slots, and
#    --burst-workers 5 is capped to them (said so); a burst host that refuses is named and
#    the local worker finishes the job; with one launcher only a warning;
#  - no --deadline: both launchers from the start, the same bytes;
#  - usage errors (exit 2, no output): the same launcher twice, three, an unknown one, ssh
#    without --hosts, --burst-workers without a second launcher, --deadline with
#    --coordinator, a bad --deadline;
#  - Ctrl-C (SIGINT) while local and ssh workers run: exit 130, no worker, coordinator,
#    output or work directory left.
# Deadlines are far from what the encode takes (10000 s vs 0.5 s): robust on a loaded machine.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_excam
CLIP=$(camera_clip)

passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

# Everything runs as $X, so that what is left can be told from any other excam: the
# encode and its forked coordinator and local workers ("$X encode ..."), and the ssh
# workers ("$X worker ...", --remote-excam).
X=$SCRATCH/bin/excam
mkdir -p "$SCRATCH/bin" "$SCRATCH/tmp" "$SCRATCH/blobs"
ln -s "$EXCAM" "$X"
export TMPDIR=$SCRATCH/tmp
left() { pgrep -f "^$X " || true; }
ssh_workers() { pgrep -f "^$X worker" || true; }
SSHD_PID=
cleanup() {
    if [[ -n $SSHD_PID ]]; then kill "$SSHD_PID" 2>/dev/null || true; fi
    local p
    for p in $(left); do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
settle() { # wait (up to 5 s) until no process of ours is left; print what is
    for _ in $(seq 50); do [[ -z $(left) ]] && return 0; sleep 0.1; done
    left | tr '\n' ' '
}

start_sshd
"$X" keygen --key "$SCRATCH/job.key" >/dev/null
printf '127.0.0.1:%s 2\n' "$SSHD_PORT" >"$SCRATCH/two.hosts"
# Every ssh session sshd let in (the workers' and start_sshd's probe).
logins() { grep -c "Accepted publickey" "$SCRATCH/sshd.log" || true; }

# The reference: a plain local run.
"$X" encode "$CLIP" --chunk 2 --rebase 4 -q -o "$SCRATCH/local.ivf"

# usage: run_burst NAME [encode args...]; status in $rc, stderr in NAME.log, logins added in $new
run_burst() {
    local name=$1 before
    shift
    before=$(logins)
    rc=0
    timeout 120 "$X" encode "$CLIP" --chunk 2 --rebase 4 --launcher local,ssh \
        --hosts "$SCRATCH/two.hosts" --remote-excam "$X" "${SSH_OPT_ARGS[@]}" \
        --storage "$SCRATCH/blobs" --key "$SCRATCH/job.key" -o "$SCRATCH/$name.ivf" "$@" \
        2>"$SCRATCH/$name.log" || rc=$?
    new=$(($(logins) - before))
}
same() { cmp -s "$SCRATCH/local.ivf" "$SCRATCH/$1.ivf"; }
show() { sed 's/^/  /' "$SCRATCH/$1.log"; }

# 1. A deadline far away: the ssh launcher is never used.
run_burst far --workers 1 --deadline 10000
if ((rc == 0 && new == 0)) && same far &&
    grep -q "burst: the ssh workers were not needed: done at .* deadline 10000.0 s" "$SCRATCH/far.log"; then
    ok "deadline 10000 s, 1 local worker: no ssh login, '$(grep -m1 "not needed" "$SCRATCH/far.log")', the local run's bytes"
else
    fail "deadline 10000 s: status $rc, $new ssh logins"
    show far
fi

# 2. An impossible deadline: the ssh workers join (as many as the hosts' slots at most).
run_burst near --workers 1 --deadline 0.5 -v
line=$(grep -m1 "starting [0-9]* ssh workers" "$SCRATCH/near.log" || true)
n=$(sed -n 's/.*starting \([0-9]*\) ssh workers.*/\1/p' <<<"$line")
if ((rc == 0)) && same near && [[ -n $n ]] && ((n >= 1 && n <= 2 && new == n)) &&
    [[ $line == *"1 local workers alone would end at "*"after the 0.5 s deadline"* ]] &&
    grep -q "burst: at .* s, tasks done" "$SCRATCH/near.log"; then
    ok "deadline 0.5 s, 1 local worker: $new ssh workers logged in, '$line', the local run's bytes"
else
    fail "deadline 0.5 s: status $rc, $new ssh logins, line '$line'"
    show near
fi
if [[ -z $(settle) ]]; then ok "no worker left after the burst"; else fail "left after the burst: $(left)"; fi

run_burst one --workers 1 --deadline 0.5 --burst-workers 1
if ((rc == 0 && new == 1)) && same one && grep -q "starting 1 ssh workers" "$SCRATCH/one.log"; then
    ok "--burst-workers 1: exactly 1 ssh worker, the local run's bytes"
else
    fail "--burst-workers 1: status $rc, $new ssh logins"
    show one
fi

run_burst capped --workers 1 --deadline 0.5 --burst-workers 5
if ((rc == 0 && new == 2)) && same capped && grep -q -- "--burst-workers 5: ssh can run 2; at most 2 will start" "$SCRATCH/capped.log" &&
    grep -q "starting 2 ssh workers" "$SCRATCH/capped.log"; then
    ok "--burst-workers 5 on 2 slots: 2 ssh workers, said so, the local run's bytes"
else
    fail "--burst-workers 5 on 2 slots: status $rc, $new ssh logins"
    show capped
fi

# A burst host that refuses: named, and the local workers finish the job.
printf '127.0.0.1:%s\n' "$(free_port)" >"$SCRATCH/closed.hosts"
rc=0
timeout 120 "$X" encode "$CLIP" --chunk 2 --rebase 4 --workers 1 --deadline 0.5 --launcher local,ssh \
    --hosts "$SCRATCH/closed.hosts" --remote-excam "$X" "${SSH_OPT_ARGS[@]}" --storage "$SCRATCH/blobs" \
    --key "$SCRATCH/job.key" -o "$SCRATCH/closed.ivf" 2>"$SCRATCH/closed.log" || rc=$?
if ((rc == 0)) && same closed && grep -q "starting 1 ssh workers" "$SCRATCH/closed.log" &&
    grep -q "no ssh worker is left" "$SCRATCH/closed.log"; then
    ok "a burst host that refuses: '$(grep -m1 "the worker stopped" "$SCRATCH/closed.log")', the local worker finishes, same bytes"
else
    fail "a burst host that refuses: status $rc"
    show closed
fi

# One launcher: --deadline only warns of a predicted miss.
rc=0
"$X" encode "$CLIP" --chunk 2 --rebase 4 --workers 1 --deadline 0.5 -o "$SCRATCH/alone.ivf" \
    2>"$SCRATCH/alone.log" || rc=$?
if ((rc == 0)) && same alone &&
    grep -q "the deadline will be missed: 1 local workers are predicted to end at .* after 0.5 s" "$SCRATCH/alone.log"; then
    ok "one launcher, deadline 0.5 s: '$(grep -m1 "will be missed" "$SCRATCH/alone.log")', the local run's bytes"
else
    fail "one launcher, deadline 0.5 s: status $rc"
    show alone
fi

# 3. No deadline: both launchers from the start.
run_burst both --workers 1
if ((rc == 0 && new == 2)) && same both && grep -q "no --deadline: 2 ssh workers start with the local ones" "$SCRATCH/both.log"; then
    ok "no --deadline: 1 local and 2 ssh workers from the start, the local run's bytes"
else
    fail "no --deadline: status $rc, $new ssh logins"
    show both
fi

# 4. Usage errors: exit 2, one line naming the problem, no output.
usage() { # NAME PATTERN encode-args...
    local name=$1 pat=$2 st=0
    shift 2
    "$X" encode "$CLIP" --chunk 2 -o "$SCRATCH/u.ivf" "$@" 2>"$SCRATCH/usage.log" || st=$?
    if ((st == 2)) && grep -q -- "$pat" "$SCRATCH/usage.log" && [[ ! -e $SCRATCH/u.ivf ]]; then
        ok "$name: $(head -n 1 "$SCRATCH/usage.log")"
    else
        fail "$name: status $st"
        sed 's/^/  /' "$SCRATCH/usage.log"
    fi
}
S=(--storage "$SCRATCH/blobs" --key "$SCRATCH/job.key")
usage "the same launcher twice" "the same launcher twice" --launcher local,local
usage "three launchers" "at most two launchers" --launcher local,ssh,slurm "${S[@]}"
usage "an unknown second launcher" "not 'pbs'" --launcher local,pbs
usage "ssh without --hosts" "needs --hosts" --launcher local,ssh --deadline 5 "${S[@]}"
usage "a burst without --storage" "needs --storage" --launcher local,ssh --hosts "$SCRATCH/two.hosts"
usage "--burst-workers with one launcher" "is for a second launcher" --burst-workers 2
usage "--deadline with --coordinator" "not --coordinator" --deadline 5 --coordinator 127.0.0.1:1 \
    --storage "$SCRATCH/blobs"
usage "a bad --deadline" "--deadline needs seconds above 0, not '0'" --deadline 0
st=0
"$X" launch --coordinator 127.0.0.1:1 --launcher local,ssh --hosts "$SCRATCH/two.hosts" "${S[@]}" \
    2>"$SCRATCH/usage.log" || st=$?
if ((st == 2)) && grep -q "one launcher here" "$SCRATCH/usage.log"; then
    ok "excam launch with two launchers: $(head -n 1 "$SCRATCH/usage.log")"
else
    fail "excam launch with two launchers: status $st"
    sed 's/^/  /' "$SCRATCH/usage.log"
fi
[[ -z $(ls -A "$SCRATCH/tmp") ]] || fail "usage errors left files: $(ls -A "$SCRATCH/tmp")"

# 5. Ctrl-C while both launchers' workers run.
if command -v ffmpeg >/dev/null 2>&1 &&
    ffmpeg -v error -nostdin -y -stream_loop 11 -i "$CLIP" -f yuv4mpegpipe -pix_fmt yuv420p \
        "$SCRATCH/long.y4m"; then
    "$X" encode "$SCRATCH/long.y4m" --chunk 6 --cpu-used 0 -q --workers 1 --deadline 0.5 \
        --launcher local,ssh --hosts "$SCRATCH/two.hosts" --remote-excam "$X" "${SSH_OPT_ARGS[@]}" \
        "${S[@]}" -o "$SCRATCH/int.ivf" 2>"$SCRATCH/int.log" &
    enc=$!
    for _ in $(seq 300); do # until the ssh workers run (up to 30 s)
        (($(ssh_workers | wc -l) >= 1)) && break
        sleep 0.1
    done
    seen=$(ssh_workers | wc -l)
    sleep 0.5
    kill -INT "$enc"
    st=0
    wait "$enc" || st=$?
    rest=$(settle)
    if ((seen >= 1 && st == 130)) && [[ -z $rest && ! -e $SCRATCH/int.ivf && -z $(ls -A "$SCRATCH/tmp") ]]; then
        ok "Ctrl-C with $seen ssh and 1 local worker running: exit 130, no process, output or work directory left"
    else
        fail "Ctrl-C: $seen ssh workers seen, status $st, left: '$rest', tmp: $(ls -A "$SCRATCH/tmp")"
        show int
    fi
else
    echo "(no ffmpeg: the Ctrl-C check needs a longer clip; not run)"
fi

echo "t_burst: $passed passed, $failed failed"
((failed == 0))

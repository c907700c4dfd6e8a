#!/usr/bin/env bash
# The slurm launcher (excam encode --chunk --launcher slurm), on a one-node Slurm this test
# configures and starts on localhost: its own munged (key, socket in the scratch
# directory; AuthInfo=socket=... points Slurm at it), slurmctld and slurmd on free
# loopback ports, state, spool and logs in the scratch directory, proctrack/pgid and
# task/none (no cgroups needed):
#  - `excam launch --launcher slurm --dry-run` prints the batch script (array, command);
#  - 2 workers as a job array give the local run's bytes, each task logged a worker;
#  - after the run the job is gone from squeue and no worker process is left; likewise after
#    Ctrl-C (SIGINT) while the workers run (exit 130, no output);
#  - sbatch refusing (an unknown partition) gives a clear error and no output.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_excam
need_tool python3
CLIP=$(camera_clip)

passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

mkdir -p "$SCRATCH/bin" "$SCRATCH/tmp" "$SCRATCH/blobs"
ln -s "$EXCAM" "$SCRATCH/bin/excam"
export TMPDIR=$SCRATCH/tmp

# 1. The batch script, without Slurm.
"$EXCAM" keygen --key "$SCRATCH/job.key" >/dev/null # the workers read it at this path
st=0
"$EXCAM" launch --launcher slurm --dry-run --workers 3 --coordinator 127.0.0.1:7700 \
    --storage "$SCRATCH/blobs" --remote-excam "$SCRATCH/bin/excam" --sbatch-opt=-pdebug \
    --key "$SCRATCH/job.key" --tls-ca "$SCRATCH/ca.crt" >"$SCRATCH/dry.txt" 2>&1 || st=$?
if ((st == 0)) && grep -q '^# sbatch --parsable -pdebug SCRIPT' "$SCRATCH/dry.txt" &&
    grep -q '^#SBATCH --array=0-2$' "$SCRATCH/dry.txt" &&
    grep -q "^exec '$SCRATCH/bin/excam' worker --coordinator '127.0.0.1:7700' --name \"slurm-\${SLURM_ARRAY_JOB_ID}-\${SLURM_ARRAY_TASK_ID}\" --retry-for 60 --key '$SCRATCH/job.key' --tls-ca '$SCRATCH/ca.crt'$" "$SCRATCH/dry.txt" &&
    sed -n '/^#!/,$p' "$SCRATCH/dry.txt" | sh -n; then
    ok "--dry-run: a 3-task array script running the worker with its key and CA (sh -n accepts it)"
else
    fail "--dry-run: status $st"
    sed 's/^/  /' "$SCRATCH/dry.txt"
fi

for t in munged slurmctld slurmd; do
    command -v "$t" >/dev/null 2>&1 || [[ -x /usr/sbin/$t ]] ||
        skip "$t not installed (Debian packages munge slurmctld slurmd slurm-client)"
done
need_tool sbatch
need_tool squeue
[[ $(id -u) == 0 ]] || skip "the one-node Slurm runs its daemons as root (SlurmUser=root)"
PATH=$PATH:/usr/sbin

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The daemons write their pids here; the trap stops them (after cancelling every job).
S=$SCRATCH/slurm
mkdir -p "$S/munge" "$S/state" "$S/spool"
chmod 700 "$S/munge"
cleanup() {
    if [[ -f $S/slurmctld.pid ]]; then
        scancel --quiet --full --user=root 2>/dev/null || true
        for _ in $(seq 50); do [[ -z $(squeue -h 2>/dev/null) ]] && break; sleep 0.1; done
    fi
    local f
    for f in slurmd slurmctld munge/munged; do
        [[ -f $S/$f.pid ]] && kill "$(cat "$S/$f.pid")" 2>/dev/null || true
    done
    sleep 0.3
    local p
    for p in $(pgrep -f "^$SCRATCH/bin/excam worker" || true); do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

dd if=/dev/urandom of="$S/munge/key" bs=1024 count=1 2>/dev/null
chmod 400 "$S/munge/key"
munged -f --socket="$S/munge/sock" --key-file="$S/munge/key" --pid-file="$S/munge/munged.pid" \
    --log-file="$S/munge/log" --seed-file="$S/munge/seed" 2>"$S/munged.err" ||
    die "munged did not start: $(cat "$S/munged.err")"

NCPU=$(nproc)
start_slurm() {
    cat >"$S/slurm.conf" <<EOF
ClusterName=excamtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$S/munge/sock
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
PlugStackConfig=$S/plugstack.conf
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$NCPU State=UNKNOWN
PartitionName=excam Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
    : >"$S/plugstack.conf"
    export SLURM_CONF=$S/slurm.conf
    slurmctld -c -i -f "$S/slurm.conf" 2>>"$S/daemons.err" || return 1
    slurmd -N localhost -f "$S/slurm.conf" 2>>"$S/daemons.err" || return 1
    for _ in $(seq 150); do # up to 15 s for the node to be idle
        [[ $(sinfo -h -n localhost -o %t 2>/dev/null) == idle ]] && return 0
        sleep 0.1
    done
    return 1
}
if ! start_slurm; then
    echo "slurm did not come up; its logs:"
    tail -n 20 "$S"/daemons.err "$S"/slurmctld.log "$S"/slurmd.log 2>/dev/null | sed 's/^/  /'
    die "the one-node Slurm did not start (node state: $(sinfo -h -o %t 2>&1 | head -n 1))"
fi

workers_left() {
    pgrep -f "^$SCRATCH/bin/excam worker" || true
}

"$EXCAM" encode "$CLIP" --chunk 6 --rebase 16 -q -o "$SCRATCH/local.ivf"
export EXCAM_KEY_FILE=$SCRATCH/job.key

# 2. Two workers as a Slurm job array.
st=0
timeout 180 "$EXCAM" encode "$CLIP" --chunk 6 --rebase 16 -q --launcher slurm --workers 2 \
    --remote-excam "$SCRATCH/bin/excam" --storage "$SCRATCH/blobs" \
    "--sbatch-opt=--output=$S/worker-%A_%a.log" -o "$SCRATCH/slurm.ivf" 2>"$SCRATCH/slurm.log" || st=$?
if ((st == 0)) && cmp -s "$SCRATCH/local.ivf" "$SCRATCH/slurm.ivf"; then
    ok "2 workers as a Slurm job array: the local run's bytes"
else
    fail "2 workers as a Slurm job array: status $st"
    sed 's/^/  /' "$SCRATCH/slurm.log"
    tail -n 20 "$S/slurmctld.log" "$S/slurmd.log" | sed 's/^/  /'
fi
logs=$(find "$S" -maxdepth 1 -name 'worker-*_*.log' | wc -l)
if ((logs == 2)); then ok "2 array tasks ran (their logs)"; else fail "$logs array task logs, not 2"; fi
left_jobs=$(squeue -h 2>&1)
if [[ -z $left_jobs && -z $(workers_left) ]]; then
    ok "after the run: no job in squeue, no worker process"
else
    fail "after the run: squeue '$left_jobs', workers '$(workers_left)'"
fi

# 3. Ctrl-C while the array's workers run: scancel, nothing left.
if command -v ffmpeg >/dev/null 2>&1 &&
    ffmpeg -v error -nostdin -y -stream_loop 11 -i "$CLIP" -f yuv4mpegpipe -pix_fmt yuv420p "$SCRATCH/long.y4m"; then
    "$EXCAM" encode "$SCRATCH/long.y4m" --chunk 6 --cpu-used 0 -q --launcher slurm --workers 2 \
        --remote-excam "$SCRATCH/bin/excam" --storage "$SCRATCH/blobs" -o "$SCRATCH/int.ivf" \
        2>"$SCRATCH/int.log" &
    enc=$!
    for _ in $(seq 200); do # until both tasks run a worker (up to 20 s)
        (($(workers_left | wc -l) >= 2)) && break
        sleep 0.1
    done
    seen=$(workers_left | wc -l)
    kill -INT "$enc"
    st=0
    wait "$enc" || st=$?
    if ((seen == 2 && st == 130)) && [[ -z $(squeue -h) && -z $(workers_left) && ! -e $SCRATCH/int.ivf ]]; then
        ok "Ctrl-C with 2 Slurm workers running: exit 130, the job cancelled, no worker or output left"
    else
        fail "Ctrl-C: $seen workers seen, status $st, squeue '$(squeue -h)', workers '$(workers_left)'"
        sed 's/^/  /' "$SCRATCH/int.log"
    fi
else
    echo "(no ffmpeg: the Ctrl-C check needs a longer clip; not run)"
fi

# 4. sbatch refuses: a clear error, no output.
st=0
timeout 60 "$EXCAM" encode "$CLIP" --chunk 6 -q --launcher slurm --workers 1 \
    --storage "$SCRATCH/blobs" --sbatch-opt=--partition=nosuch -o "$SCRATCH/bad.ivf" \
    2>"$SCRATCH/bad.log" || st=$?
if ((st == 1)) && grep -q "slurm: sbatch failed: .*invalid partition" "$SCRATCH/bad.log" &&
    [[ ! -e $SCRATCH/bad.ivf ]]; then
    ok "sbatch refuses: '$(head -n 1 "$SCRATCH/bad.log")', exit 1, no output"
else
    fail "sbatch refuses: status $st"
    sed 's/^/  /' "$SCRATCH/bad.log"
fi

echo "t_launch_slurm: $passed passed, $failed failed"
((failed == 0))

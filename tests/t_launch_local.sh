#!/usr/bin/env bash
# The local launcher and `excam launch`:
#  - `--launcher local` is the default: the same bytes as without it;
#  - SIGINT or SIGTERM at any moment of an encode (while the workers start, while the input
#    uploads, while the job runs) leaves no process (coordinator, workers), no output and
#    no temporary directory, and the encode dies of that signal;
#  - `excam launch --launcher local --workers 2` serves a separate `excam coordinator`:
#    `excam encode --coordinator` gets the local run's bytes; SIGTERM on `excam launch`
#    stops its workers; workers whose coordinator is gone end, and so does launch;
#  - usage errors: launcher options that do not fit.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_excam
need_tool ffmpeg
CLIP=$(camera_clip)

passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

# Everything runs as $X, so that what is left can be told from any other excam (forked
# coordinators and workers keep their parent's command line).
X=$SCRATCH/bin/excam
mkdir -p "$SCRATCH/bin" "$SCRATCH/tmp" "$SCRATCH/blobs"
ln -s "$EXCAM" "$X"
export TMPDIR=$SCRATCH/tmp
left() { pgrep -f "^$X " || true; }
cleanup() {
    local p
    for p in $(left); do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
# Wait (up to 5 s) until no process of ours is left; print what is.
settle() {
    for _ in $(seq 50); do [[ -z $(left) ]] && return 0; sleep 0.1; done
    left | tr '\n' ' '
}

"$X" encode "$CLIP" --chunk 6 --rebase 16 -q -o "$SCRATCH/default.ivf"
"$X" encode "$CLIP" --chunk 6 --rebase 16 -q --launcher local --workers 3 -o "$SCRATCH/local.ivf"
if cmp -s "$SCRATCH/default.ivf" "$SCRATCH/local.ivf"; then
    ok "--launcher local --workers 3: the default run's bytes"
else
    fail "--launcher local: other bytes"
fi

# 1. Signals at every moment.
ffmpeg -v error -nostdin -y -stream_loop 20 -i "$CLIP" -f yuv4mpegpipe -pix_fmt yuv420p "$SCRATCH/long.y4m"
for sig in INT TERM; do
    for delay in 0.01 0.05 0.2 0.6 1.5; do
        "$X" encode "$SCRATCH/long.y4m" --chunk 6 -q -o "$SCRATCH/int.ivf" 2>"$SCRATCH/int.log" &
        enc=$!
        sleep "$delay"
        kill -"$sig" "$enc"
        st=0
        wait "$enc" || st=$?
        want=$((128 + $(kill -l "$sig")))
        rest=$(settle)
        if ((st == want)) && [[ -z $rest && ! -e $SCRATCH/int.ivf && -z $(ls -A "$SCRATCH/tmp") ]]; then
            ok "SIG$sig after $delay s: status $st, no process, output or work directory left"
        elif ((st == 0)) && [[ -z $rest ]]; then
            ok "SIG$sig after $delay s: the encode had finished (status 0), nothing left"
            rm -f "$SCRATCH/int.ivf"
        else
            fail "SIG$sig after $delay s: status $st (want $want), left: '$rest', tmp: $(ls -A "$SCRATCH/tmp")"
            sed 's/^/  /' "$SCRATCH/int.log"
        fi
    done
done

# 2. excam launch for a separate coordinator.
"$X" coordinator --listen 127.0.0.1:0 --port-file "$SCRATCH/port" 2>"$SCRATCH/coord.log" &
coord=$!
for _ in $(seq 100); do [[ -s $SCRATCH/port ]] && break; sleep 0.1; done
[[ -s $SCRATCH/port ]] || die "the coordinator did not start: $(cat "$SCRATCH/coord.log")"
C=127.0.0.1:$(cat "$SCRATCH/port")
"$X" launch --launcher local --workers 2 --retry-for 2 --coordinator "$C" 2>"$SCRATCH/launch.log" &
launcher=$!
st=0
timeout 120 "$X" encode "$CLIP" --chunk 6 --rebase 16 -q --coordinator "$C" --storage "$SCRATCH/blobs" \
    -o "$SCRATCH/remote.ivf" 2>"$SCRATCH/remote.log" || st=$?
if ((st == 0)) && cmp -s "$SCRATCH/default.ivf" "$SCRATCH/remote.ivf"; then
    ok "excam launch --workers 2 for excam coordinator: the local run's bytes"
else
    fail "excam launch for a coordinator: status $st"
    sed 's/^/  /' "$SCRATCH/remote.log" "$SCRATCH/launch.log"
fi
nworkers=$(pgrep -f "^$X launch" | wc -l)
kill -TERM "$launcher"
st=0
wait "$launcher" || st=$?
kill "$coord"
wait "$coord" || true
rest=$(settle)
if ((st == 143 && nworkers == 3)) && [[ -z $rest ]]; then
    ok "SIGTERM on excam launch: its 2 workers stopped with it (status $st)"
else
    fail "SIGTERM on excam launch: status $st, $nworkers processes before, left: '$rest'"
fi
# Workers whose coordinator is gone end after --retry-for, and launch with them.
t0=$SECONDS
st=0
timeout 60 "$X" launch --workers 2 --retry-for 1 --coordinator 127.0.0.1:1 2>"$SCRATCH/gone.log" || st=$?
if ((st == 1 && SECONDS - t0 < 30)) && grep -q "no local worker is left" "$SCRATCH/gone.log" &&
    [[ -z $(settle) ]]; then
    ok "no coordinator: the workers give up, launch ends: '$(tail -n 1 "$SCRATCH/gone.log")'"
else
    fail "no coordinator: status $st after $((SECONDS - t0)) s"
    sed 's/^/  /' "$SCRATCH/gone.log"
fi

# 3. Options that do not fit.
usage() { # NAME PATTERN args...
    local name=$1 pat=$2 st=0
    shift 2
    "$X" "$@" >/dev/null 2>"$SCRATCH/usage.log" || st=$?
    if ((st == 2)) && grep -q -- "$pat" "$SCRATCH/usage.log"; then
        ok "$name: $(head -n 1 "$SCRATCH/usage.log")"
    else
        fail "$name: status $st"
        sed 's/^/  /' "$SCRATCH/usage.log"
    fi
}
usage "--launcher without --chunk" "give --chunk" encode "$CLIP" -o "$SCRATCH/u.ivf" --launcher ssh
usage "--launcher with --coordinator" "not with --coordinator" encode "$CLIP" --chunk 6 \
    -o "$SCRATCH/u.ivf" --coordinator h:1 --storage /s --launcher local
usage "--hosts without ssh" "are for --launcher ssh" encode "$CLIP" --chunk 6 -o "$SCRATCH/u.ivf" \
    --hosts /dev/null
usage "kubernetes" "excam k8s-manifest" encode "$CLIP" --chunk 6 -o "$SCRATCH/u.ivf" --launcher kubernetes
usage "launch without --coordinator" "no --coordinator" launch --workers 2
usage "--dry-run for ssh" "--dry-run is for --launcher slurm" launch --coordinator h:1 --storage /s \
    --launcher ssh --hosts /dev/null --dry-run
[[ -z $(ls -A "$SCRATCH/tmp") && ! -e $SCRATCH/u.ivf ]] || fail "usage errors left files"

echo "t_launch_local: $passed passed, $failed failed"
((failed == 0))

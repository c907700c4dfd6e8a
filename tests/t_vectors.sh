#!/usr/bin/env bash
# Conformance: decode every VP8 test vector, the derived camera streams and the Big
# Buck Bunny clip with `excam decode --md5` and compare, frame for frame, with the
# reference MD5 lists made by libvpx (vpxdec --i420 --md5).
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_data vp8-test-vectors
need_excam

failed=0

# usage: check NAME IVF MD5FILE [THREADS]; prints what differs.
check() {
    local name=$1 ivf=$2 ref=$3 threads=${4:-1} out=$SCRATCH/out.md5 rc=0
    "$EXCAM" decode "$ivf" --md5 --threads "$threads" >"$out" 2>"$SCRATCH/err" || rc=$?
    if ((rc != 0)) || crashed "$rc" "$SCRATCH/err"; then
        echo "DIFF $name: excam exited with status $rc"
        tail -n 5 "$SCRATCH/err" | sed 's/^/  /'
        return 1
    fi
    if ! md5_compare "$ref" "$out" >"$SCRATCH/diff"; then
        echo "DIFF $name:"
        sed 's/^/  /' "$SCRATCH/diff"
        return 1
    fi
}

total=0 matched=0
for ivf in "$VECTORS"/vp80-0[0-6]-*.ivf; do
    total=$((total + 1))
    if check "$(basename "$ivf" .ivf)" "$ivf" "$ivf.md5"; then
        matched=$((matched + 1))
    fi
done
echo "vectors: $matched/$total match"
((total == 62)) || { echo "expected 62 conformance vectors in $VECTORS, found $total"; failed=1; }
((matched == total)) || failed=1

if [[ -d $DATA/derived-vp8 ]]; then
    total=0 matched=0
    for ivf in "$DATA"/derived-vp8/*.ivf; do
        total=$((total + 1))
        if check "$(basename "$ivf" .ivf)" "$ivf" "$ivf.md5"; then
            matched=$((matched + 1))
        fi
    done
    echo "derived-vp8: $matched/$total match"
    ((matched == total)) || failed=1
else
    echo "note: $DATA/derived-vp8 not found, derived streams not checked"
fi

# Multithreaded decode (rows in a wavefront, as many threads as token partitions):
# the same MD5s with 2, 3 and 8 threads, on the vectors (04-partitions-* have 2 to 8
# partitions) and the derived camera streams (4 and 8).
for threads in 2 3 8; do
    total=0 matched=0
    for ivf in "$VECTORS"/vp80-0[0-6]-*.ivf "$DATA"/derived-vp8/*.ivf; do
        [[ -f $ivf ]] || continue
        total=$((total + 1))
        if check "$(basename "$ivf" .ivf) --threads $threads" "$ivf" "$ivf.md5" "$threads"; then
            matched=$((matched + 1))
        fi
    done
    echo "--threads $threads: $matched/$total match"
    ((matched == total)) || failed=1
done

# The BBB clip is WebM: extract its VP8 packets to IVF (no re-encoding). It has hidden
# alt-ref frames, so its reference numbering has gaps. The IVF gets the WebM's base
# name, so the listings must match exactly, names and gaps included.
bbb=$DATA/clips/vp8-webm/bbb_640x360_vp8_10s.webm
if [[ ! -f $bbb ]]; then
    echo "note: $bbb not found, not checked"
elif ! command -v ffmpeg >/dev/null 2>&1; then
    echo "note: ffmpeg not installed, $bbb not checked"
else
    ffmpeg -v error -nostdin -y -i "$bbb" -c copy -f ivf "$SCRATCH/bbb_640x360_vp8_10s.ivf"
    if check bbb_640x360_vp8_10s "$SCRATCH/bbb_640x360_vp8_10s.ivf" "$bbb.md5"; then
        echo "bbb_640x360_vp8_10s: match ($(wc -l <"$bbb.md5") frames)"
    else
        failed=1
    fi
fi

exit "$failed"

#!/usr/bin/env bash
# The serialized decoder state, through the CLI, on every conformance vector:
#  * resuming: `state dump --frame k` then `decode --state-in --skip k+1 --md5` prints
#    exactly the tail (frames after k) of the full decode's listing;
#  * dumps are deterministic (two dumps of one frame are byte-identical);
#  * `state hash` is stable, agrees with the dump's checksum (BLAKE2b-256 of the
#    dump's body, stored in its last 32 bytes), and differs between frames.
# Here k is a 0-based input frame; the CLI numbers frames from 1, so the state after
# frame k is `--frame k+1`, and resuming after it is `--skip k+1`.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_data vp8-test-vectors
need_excam
need_tool b2sum

failures=0
fail() {
    echo "FAIL $*"
    failures=$((failures + 1))
}

# usage: run LOG CMD...; runs the command with stdout to LOG (stderr to LOG.err) and
# reports a failure (naming the command) if it fails or crashes.
run() {
    local log=$1 rc=0
    shift
    "$@" >"$log" 2>"$log.err" || rc=$?
    if ((rc != 0)) || crashed "$rc" "$log.err"; then
        fail "$vec: status $rc from: ${*#"$EXCAM"}"
        tail -n 3 "$log.err" | sed 's/^/  /'
        return 1
    fi
}

# The 64-hex-digit hash a `state hash` run printed.
hash_of() { grep -oE '\b[0-9a-f]{64}\b' "$1" | head -n 1; }

# BLAKE2b-256 of a dump's body (after the 24-byte header, before the 32-byte checksum)
# and the checksum stored in it.
body_hash() {
    local size
    size=$(stat -c %s "$1")
    dd if="$1" iflag=skip_bytes,count_bytes skip=24 count=$((size - 24 - 32)) status=none |
        b2sum -l 256 | cut -d' ' -f1
}
stored_checksum() { tail -c 32 "$1" | od -An -tx1 -v | tr -d ' \n'; }

vectors=0 resumes=0
for ivf in "$VECTORS"/vp80-0[0-6]-*.ivf; do
    vec=$(basename "$ivf" .ivf)
    vectors=$((vectors + 1))
    n=$(ivf_frame_count "$ivf")
    full=$SCRATCH/full.md5
    run "$full" "$EXCAM" decode "$ivf" --md5 || continue

    # The frames to dump: first, second, middle, next-to-last and last (distinct);
    # decoding resumes after each but the last.
    picks=$(printf '%s\n' 0 1 $((n / 2)) $((n - 2)) $((n - 1)) | awk -v n="$n" '$1 >= 0 && $1 < n' | sort -nu)
    for k in $picks; do
        dump=$SCRATCH/state-$k.bin
        run "$SCRATCH/dump.log" "$EXCAM" state dump "$ivf" --frame $((k + 1)) -o "$dump" || continue
        run "$SCRATCH/dump.log" "$EXCAM" state dump "$ivf" --frame $((k + 1)) -o "$dump.again" || continue
        cmp -s "$dump" "$dump.again" || fail "$vec: two dumps at frame $k differ"

        # Listing lines are numbered by 1-based input frame; frame k is number k+1.
        if ((k <= n - 2)); then
            awk -v k="$k" '{ s = $2; sub(/\.i420$/, "", s); sub(/^.*-/, "", s); if (s + 0 > k + 1) print }' \
                "$full" >"$SCRATCH/tail.md5"
            if run "$SCRATCH/resume.md5" "$EXCAM" decode "$ivf" --state-in "$dump" --skip $((k + 1)) --md5; then
                resumes=$((resumes + 1))
                if ! md5_compare "$SCRATCH/tail.md5" "$SCRATCH/resume.md5" >"$SCRATCH/diff"; then
                    fail "$vec: resuming after frame $k differs from the full decode"
                    sed 's/^/  /' "$SCRATCH/diff"
                fi
            fi
        fi

        run "$SCRATCH/h1" "$EXCAM" state hash "$ivf" --frame $((k + 1)) || continue
        run "$SCRATCH/h2" "$EXCAM" state hash "$ivf" --frame $((k + 1)) || continue
        h=$(hash_of "$SCRATCH/h1")
        [[ -n $h ]] || { fail "$vec: no 64-hex-digit hash in: $(head -c 200 "$SCRATCH/h1")"; continue; }
        [[ $h == "$(hash_of "$SCRATCH/h2")" ]] || fail "$vec: state hash at frame $k is not stable"
        [[ $h == "$(body_hash "$dump")" ]] ||
            fail "$vec: state hash at frame $k ($h) is not BLAKE2b-256 of the dump's body ($(body_hash "$dump"))"
        [[ $h == "$(stored_checksum "$dump")" ]] ||
            fail "$vec: state hash at frame $k is not the dump's stored checksum"
        echo "$h" >"$SCRATCH/hash-$k"
    done

    # Decoding changes the state: hashes after different frames differ.
    first=$(echo "$picks" | head -n 1) last=$(echo "$picks" | tail -n 1)
    if [[ $first != "$last" && -f $SCRATCH/hash-$first && -f $SCRATCH/hash-$last ]] &&
        cmp -s "$SCRATCH/hash-$first" "$SCRATCH/hash-$last"; then
        fail "$vec: states after frames $first and $last have the same hash"
    fi
    rm -f "$SCRATCH"/hash-* "$SCRATCH"/state-*
done

echo "state: $vectors vectors, $resumes resumed decodes, $failures failures"
((vectors == 62)) || { echo "expected 62 conformance vectors in $VECTORS, found $vectors"; exit 1; }
((failures == 0))

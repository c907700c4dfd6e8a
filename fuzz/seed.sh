#!/usr/bin/env bash
# Seed the libFuzzer corpora from the test data:
#   build/fuzz/corpus-fuzz_ivf           whole IVF files (conformance vectors, corrupt streams)
#   build/fuzz/corpus-fuzz_decode_frame  mode byte + the first frames of each stream,
#                                        each with a 2-byte little-endian length
#   build/fuzz/corpus-fuzz_state         serialized states (`excam state dump`)
# usage: fuzz/seed.sh [OUT_DIR]   (default: <repo>/build/fuzz)
# Environment: EXCAM_DATA (test data), EXCAM_BIN (the CLI, for the state dumps).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${EXCAM_DATA:-$ROOT/../shared/data}
EXCAM=${EXCAM_BIN:-$ROOT/build/excam}
OUT=${1:-$ROOT/build/fuzz}

if [[ ! -d $DATA/vp8-test-vectors ]]; then
    echo "seed.sh: no test data in $DATA (set EXCAM_DATA)" >&2
    exit 1
fi
ivf_dir=$OUT/corpus-fuzz_ivf
frame_dir=$OUT/corpus-fuzz_decode_frame
state_dir=$OUT/corpus-fuzz_state
mkdir -p "$ivf_dir" "$frame_dir" "$state_dir"

le_uint() { od -An -tu"$3" -j "$2" -N "$3" "$1" | tr -d ' \n'; }

# Write one byte of value $1 (0..255).
byte() {
    # shellcheck disable=SC2059 # the format is the byte, as an octal escape
    printf "\\$(printf %03o "$1")"
}

# usage: frame_seed IVF MODE FIRST COUNT OUT: MODE byte, then frames FIRST..FIRST+COUNT-1
# of IVF, each preceded by its length (u16 LE). Frames too long for the prefix end it.
frame_seed() {
    local ivf=$1 mode=$2 first=$3 count=$4 out=$5 size off i len
    size=$(stat -c %s "$ivf")
    off=$(le_uint "$ivf" 6 2)
    byte "$mode" >"$out"
    for ((i = 0; i < first + count && off + 12 <= size; i++)); do
        len=$(le_uint "$ivf" "$off" 4)
        ((off + 12 + len <= size && len <= 65535)) || break
        if ((i >= first)); then
            { byte $((len & 255)); byte $((len >> 8)); } >>"$out"
            dd if="$ivf" iflag=skip_bytes,count_bytes skip=$((off + 12)) count="$len" \
                status=none >>"$out"
        fi
        off=$((off + 12 + len))
    done
}

streams=("$DATA"/vp8-test-vectors/vp80-*.ivf)
if [[ -d $DATA/vp8-invalid ]]; then
    streams+=("$DATA"/vp8-invalid/*.ivf)
fi

for ivf in "${streams[@]}"; do
    name=$(basename "$ivf" .ivf)
    cp "$ivf" "$ivf_dir/$name.ivf"
    # From the empty state: the key frame and the two frames after it (stop at the
    # first error / play on / also round-trip the state).
    frame_seed "$ivf" 0 0 3 "$frame_dir/$name-0"
    frame_seed "$ivf" 6 0 3 "$frame_dir/$name-6"
    # Inter frames against the built-in 16x16 key frame's state.
    frame_seed "$ivf" 3 1 2 "$frame_dir/$name-3"
done

if [[ -x $EXCAM ]]; then
    for ivf in "$DATA"/vp8-test-vectors/vp80-*.ivf; do
        name=$(basename "$ivf" .ivf)
        # Small pictures only: a state holds up to four of them.
        (($(le_uint "$ivf" 12 2) * $(le_uint "$ivf" 14 2) <= 176 * 144)) || continue
        for k in 0 1; do
            "$EXCAM" state dump "$ivf" --frame "$k" -o "$state_dir/$name-$k.state" 2>/dev/null ||
                rm -f "$state_dir/$name-$k.state"
        done
    done
else
    echo "seed.sh: $EXCAM not built: corpus-fuzz_state left without states" >&2
fi

for d in "$ivf_dir" "$frame_dir" "$state_dir"; do
    echo "$d: $(find "$d" -type f | wc -l) files"
done

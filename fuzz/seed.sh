#!/usr/bin/env bash
# Seed the libFuzzer corpora from the test data:
#   build/fuzz/corpus-fuzz_ivf           whole IVF files (conformance vectors, corrupt streams)
#   build/fuzz/corpus-fuzz_decode_frame  mode byte + the first frames of each stream,
#                                        each with a 2-byte little-endian length
#   build/fuzz/corpus-fuzz_rebase        the same for inter frames (after the key frame)
#   build/fuzz/corpus-fuzz_state         serialized states (`excam state dump`)
#   build/fuzz/corpus-fuzz_y4m           small Y4M files: every accepted header form, odd
#                                        sizes, FRAME tags, and a few decoded vectors
#   build/fuzz/corpus-fuzz_wire          one packed wire frame per message kind
#                                        (`test_wire --write-seeds`)
# usage: fuzz/seed.sh [OUT_DIR]   (default: <repo>/build/fuzz)
# Environment: EXCAM_DATA (test data), EXCAM_BIN (the CLI, for the state dumps),
#              EXCAM_TEST_WIRE (build/tests/test_wire, for the wire frames).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${EXCAM_DATA:-$ROOT/../shared/data}
EXCAM=${EXCAM_BIN:-$ROOT/build/excam}
OUT=${1:-$ROOT/build/fuzz}
TEST_WIRE=${EXCAM_TEST_WIRE:-$ROOT/build/tests/test_wire}

if [[ ! -d $DATA/vp8-test-vectors ]]; then
    echo "seed.sh: no test data in $DATA (set EXCAM_DATA)" >&2
    exit 1
fi
ivf_dir=$OUT/corpus-fuzz_ivf
frame_dir=$OUT/corpus-fuzz_decode_frame
state_dir=$OUT/corpus-fuzz_state
y4m_dir=$OUT/corpus-fuzz_y4m
wire_dir=$OUT/corpus-fuzz_wire
rebase_dir=$OUT/corpus-fuzz_rebase
mkdir -p "$ivf_dir" "$frame_dir" "$state_dir" "$y4m_dir" "$wire_dir" "$rebase_dir"

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
    # Inter frames against the built-in 16x16 key frame's state (fuzz_rebase's too).
    frame_seed "$ivf" 3 1 2 "$frame_dir/$name-3"
    cp "$frame_dir/$name-3" "$rebase_dir/$name"
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
    # WebM (the reader takes it by its signature): two small ones made from a vector.
    for v in 001 017; do
        ivf=$DATA/vp8-test-vectors/vp80-00-comprehensive-$v.ivf
        [[ -f $ivf ]] || continue
        "$EXCAM" decode "$ivf" -o "$ivf_dir/tmp.y4m" 2>/dev/null &&
            "$EXCAM" encode "$ivf_dir/tmp.y4m" -q --limit 4 --cpu-used 8 -o "$ivf_dir/webm-$v.webm" ||
            rm -f "$ivf_dir/webm-$v.webm"
        rm -f "$ivf_dir/tmp.y4m"
    done
else
    echo "seed.sh: $EXCAM not built: corpus-fuzz_state left without states" >&2
fi

# usage: y4m_seed OUT HEADER_TAGS W H FRAMES [FRAME_LINE]: a Y4M file whose planes are
# a byte ramp (deterministic, and different from plane to plane).
y4m_seed() {
    local out=$1 tags=$2 w=$3 h=$4 frames=$5 line=${6:-FRAME} i
    local n=$((w * h + 2 * ((w + 1) / 2) * ((h + 1) / 2)))
    {
        printf 'YUV4MPEG2 %s\n' "$tags"
        for ((i = 0; i < frames; i++)); do
            printf '%s\n' "$line"
            awk -v n="$n" -v s="$i" \
                'BEGIN { for (k = 0; k < n; k++) printf "%c", 32 + (k * 7 + s) % 90 }'
        done
    } >"$out"
}
y4m_seed "$y4m_dir/c420jpeg.y4m" "W16 H16 F30:1 Ip A1:1 C420jpeg" 16 16 2
y4m_seed "$y4m_dir/c420.y4m" "W3 H5 F30000:1001 Ip A0:0 C420 XYSCSS=420" 3 5 2
y4m_seed "$y4m_dir/c420mpeg2.y4m" "W33 H17 F25:1 I? C420mpeg2" 33 17 1
y4m_seed "$y4m_dir/c420paldv.y4m" "W8 H2 F24:1 A59:54 C420paldv" 8 2 2 "FRAME Ixyz XTAG"
y4m_seed "$y4m_dir/interlaced.y4m" "W8 H2 F24:1 It C420" 8 2 1
y4m_seed "$y4m_dir/no-c.y4m" "W1 H1" 1 1 3
y4m_seed "$y4m_dir/c444.y4m" "W4 H4 F30:1 C444" 4 4 1
y4m_seed "$y4m_dir/c420p10.y4m" "W4 H4 F30:1 C420p10 XCOLORRANGE=LIMITED" 4 4 1
y4m_seed "$y4m_dir/truncated.y4m" "W16 H16 F30:1" 16 16 2
head -c 500 "$y4m_dir/truncated.y4m" >"$y4m_dir/truncated.y4m.tmp" &&
    mv "$y4m_dir/truncated.y4m.tmp" "$y4m_dir/truncated.y4m"
if [[ -x $EXCAM ]]; then
    # Real pictures: the first frames of a few small vectors, as excam decode writes them.
    for v in 06-smallsize 00-comprehensive-014 01-intra-1411; do
        ivf=$DATA/vp8-test-vectors/vp80-$v.ivf
        [[ -f $ivf ]] || continue
        "$EXCAM" decode "$ivf" --limit 2 -o "$y4m_dir/vp80-$v.y4m" 2>/dev/null ||
            rm -f "$y4m_dir/vp80-$v.y4m"
    done
fi

if [[ -x $TEST_WIRE ]]; then
    "$TEST_WIRE" --write-seeds "$wire_dir" >/dev/null
    # Two frames back to back, and one cut short: streams, not only single frames.
    cat "$wire_dir/hello.frame" "$wire_dir/task_assign.frame" >"$wire_dir/hello+task_assign.stream"
    head -c 20 "$wire_dir/job_submit.frame" >"$wire_dir/job_submit-truncated.stream"
else
    echo "seed.sh: $TEST_WIRE not built: corpus-fuzz_wire left empty" >&2
fi

for d in "$ivf_dir" "$frame_dir" "$state_dir" "$y4m_dir" "$wire_dir"; do
    echo "$d: $(find "$d" -type f | wc -l) files"
done

#!/usr/bin/env bash
# Rebase, checked by libvpx: test_rebase builds an ExCamera-style stream (chunk A, then
# chunk B's first frame re-encoded on A's final state and B's other frames rebased onto
# the chain) and writes it; vpxdec must decode it to exactly the frames excam decodes.
# With the test data, also a chain of rebased frames with segmentation (the conformance
# vector vp80-03-segmentation-1437, each frame rebased onto the rebased ones before it).
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_tool vpxdec
need_excam
PROG=${EXCAM_BUILD:-$ROOT/build}/tests/test_rebase
[[ -x $PROG ]] || die "$PROG is not built (make tests)"

"$PROG" "$SCRATCH/rebased.ivf" "$SCRATCH/segmented.ivf" >"$SCRATCH/log" 2>&1 ||
    { cat "$SCRATCH/log"; die "test_rebase failed"; }
vpxdec --codec=vp8 --i420 --md5 -o "r-%wx%h-%4.i420" "$SCRATCH/rebased.ivf" |
    sed -E 's/  .*-([0-9]+)\.i420$/ \1/' >"$SCRATCH/want"
"$EXCAM" decode --md5 "$SCRATCH/rebased.ivf" | sed -E 's/  .*-([0-9]+)\.i420$/ \1/' >"$SCRATCH/got"
md5_compare "$SCRATCH/want" "$SCRATCH/got" || die "vpxdec and excam decode differ on the rebased stream"
n=$(wc -l <"$SCRATCH/want")
((n == 10)) || die "$n frames decoded, 10 expected"
if [[ -s $SCRATCH/segmented.ivf ]]; then
    vpxdec --codec=vp8 --i420 --md5 -o "s-%wx%h-%4.i420" "$SCRATCH/segmented.ivf" |
        sed -E 's/  .*-([0-9]+)\.i420$/ \1/' >"$SCRATCH/want-seg"
    "$EXCAM" decode --md5 "$SCRATCH/segmented.ivf" | sed -E 's/  .*-([0-9]+)\.i420$/ \1/' >"$SCRATCH/got-seg"
    md5_compare "$SCRATCH/want-seg" "$SCRATCH/got-seg" ||
        die "vpxdec and excam decode differ on the rebased segmented stream"
    "$EXCAM" info "$SCRATCH/segmented.ivf" | grep -q ' inter .* seg ' ||
        die "the rebased segmented stream has no inter frame with segmentation"
    segmented="; the rebased segmented chain (1437) with vpxdec to excam's $(wc -l <"$SCRATCH/want-seg") frames"
else
    segmented="; skipped the segmented chain: no test data (set EXCAM_DATA)"
fi
echo "rebase: the stitched, rebased stream decodes with vpxdec to excam's $n frames$segmented"

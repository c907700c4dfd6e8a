#!/usr/bin/env bash
# `make install PREFIX=...` gives a usable library: a program using <excam/vp8.h>
# builds with `pkg-config --cflags --libs excam` (shared) and with --static, and
# decodes a frame; libexcam.so exports only the excam_* API; `make uninstall`
# removes everything it installed; the programs in examples/ build with their
# Makefile against the installed library and run (state_fork forks a decoder state in
# memory and through bytes; both forks decode the rest of a stream identically).
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_tool pkg-config
need_tool nm
cc=${CC:-cc}
prefix=$SCRATCH/prefix
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" --no-print-directory "$@"; }

mk install PREFIX="$prefix" >"$SCRATCH/install.log" 2>&1 || { cat "$SCRATCH/install.log"; die "make install failed"; }
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig

cat >"$SCRATCH/use.c" <<'C'
#include <excam/vp8.h>
#include <stdio.h>
/* Three bytes that are no VP8 frame: the decode must fail cleanly. The point is that
 * the API links and answers. */
int main(void)
{
    static const unsigned char junk[3] = {0x10, 0x02, 0x00};
    excam_vp8_state *s = excam_vp8_state_new(), *out = NULL;
    excam_image *img = NULL;
    int err = excam_vp8_decode(s, junk, sizeof(junk), &out, &img, NULL);
    uint8_t h[32];
    int ok = s && err < 0 && !out && excam_vp8_state_hash(s, h) == EXCAM_OK;
    printf("excam %s: %s\n", excam_version_string(), ok ? "ok" : "broken");
    excam_vp8_state_free(s);
    return !ok;
}
C
# shellcheck disable=SC2046 # word splitting of pkg-config output is intended
"$cc" "$SCRATCH/use.c" $(pkg-config --cflags --libs excam) -o "$SCRATCH/use_shared"
LD_LIBRARY_PATH=$prefix/lib "$SCRATCH/use_shared"
# shellcheck disable=SC2046
"$cc" "$SCRATCH/use.c" $(pkg-config --cflags excam) "$prefix/lib/libexcam.a" \
    $(pkg-config --static --libs-only-l excam | sed 's/-lexcam//') -o "$SCRATCH/use_static"
"$SCRATCH/use_static"

# examples/, built as a user would (a copy, with pkg-config) and run on a stream.
cp -r "$ROOT/examples" "$SCRATCH/examples"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$SCRATCH/examples" --no-print-directory \
    CFLAGS="-O2 -Wall -Wextra -Werror" >"$SCRATCH/examples.log" 2>&1 ||
    { cat "$SCRATCH/examples.log"; die "examples/ does not build against the installed library"; }
stream=$DATA/vp8-test-vectors/vp80-05-sharpness-1438.ivf
if [[ ! -f $stream ]]; then
    need_tool ffmpeg
    ffmpeg -v error -nostdin -f lavfi -i testsrc2=size=96x64:rate=30 -frames:v 20 \
        -pix_fmt yuv420p -f yuv4mpegpipe "$SCRATCH/s.y4m"
    "$prefix/bin/excam" encode "$SCRATCH/s.y4m" -q -o "$SCRATCH/s.ivf"
    stream=$SCRATCH/s.ivf
fi
LD_LIBRARY_PATH=$prefix/lib "$SCRATCH/examples/state_fork" "$stream" 7 >"$SCRATCH/fork.log" ||
    { cat "$SCRATCH/fork.log"; die "examples/state_fork failed on $stream"; }
grep -q '^ok: ' "$SCRATCH/fork.log" || die "examples/state_fork: $(cat "$SCRATCH/fork.log")"
echo "examples/state_fork: $(tail -n 1 "$SCRATCH/fork.log")"

exported=$(nm -D --defined-only "$prefix/lib/libexcam.so" | awk '$2 ~ /^[TDBR]$/ { print $3 }')
others=$(grep -v '^excam_' <<<"$exported" || true)
[[ -z $others ]] || die "libexcam.so exports symbols outside the API: $(echo $others)"
echo "exported: $(wc -l <<<"$exported") excam_* symbols"

mk uninstall PREFIX="$prefix" >/dev/null
left=$(find "$prefix" -type f | head -n 5)
[[ -z $left ]] || die "make uninstall left: $left"
echo "install: shared and static builds work; examples/ build and run; uninstall is clean"

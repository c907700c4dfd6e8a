#!/usr/bin/env bash
# Pack an excam worker as an AWS Lambda function zip (custom runtime provided.al2023):
#   bootstrap   tools/lambda/bootstrap, the runtime loop (one worker per event)
#   excam       the binary
#   lib/        the shared libraries it needs beyond glibc (Lambda puts
#               $LAMBDA_TASK_ROOT/lib on LD_LIBRARY_PATH)
# usage: tools/lambda/package.sh [EXCAM] [OUT.zip]   (default build/excam, excam-lambda.zip)
# Build excam where glibc is no newer than the runtime's (Amazon Linux 2023: 2.34), e.g. in
# the public.ecr.aws/lambda/provided:al2023 image; see tools/lambda/README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
excam=${1:-$here/../../build/excam}
out=${2:-excam-lambda.zip}
[[ $out == /* ]] || out=$PWD/$out
[[ -x $excam ]] || { echo "package.sh: $excam: not an executable (run make)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "package.sh: needs python3 (its zipfile module)" >&2; exit 1; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/lib"
install -m 755 "$here/bootstrap" "$stage/bootstrap"
install -m 755 "$excam" "$stage/excam"
# Every library the loader finds for it, except glibc's own (the runtime has those);
# and libcurl and libssl with their own, which excam loads only when it first needs
# http/S3 or TLS (storage/dynlib.h: ldd does not list them). libavformat, loaded for
# WebM only, stays out: a worker never writes WebM.
# usage: lib_path SONAME (awk reads all of ldconfig's output: an early exit would kill
# it with SIGPIPE, which pipefail turns into a failure)
lib_path() {
    ldconfig -p | awk -v n="$1" '$1 == n && /x86-64/ && !found { print $NF; found = 1 }'
}
curl=$(lib_path libcurl.so.4)
ssl=$(lib_path libssl.so.3)
[[ -n $curl ]] || { echo "package.sh: libcurl.so.4 not found (apt-get install libcurl4)" >&2; exit 1; }
[[ -n $ssl ]] || { echo "package.sh: libssl.so.3 not found (apt-get install libssl3)" >&2; exit 1; }
{ ldd "$excam"; echo " libcurl.so.4 => $curl (0)"; ldd "$curl"; echo " libssl.so.3 => $ssl (0)"; ldd "$ssl"; } |
    awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u |
    grep -vE '/(libc|libm|libpthread|libdl|librt|libresolv|ld-linux[^/]*)\.so' |
    while read -r lib; do cp -L "$lib" "$stage/lib/"; done
rm -f "$out.tmp"
(cd "$stage" && python3 -m zipfile -c "$out.tmp" bootstrap excam lib)
mv "$out.tmp" "$out"
echo "package.sh: $out: bootstrap, excam and $(ls "$stage/lib" | wc -l) libraries"

#!/usr/bin/env bash
# Run every benchmark (bench/*.sh but this one); each writes bench/results/<name>.md.
# Exit status 1 if any benchmark failed.
set -uo pipefail

dir=$(cd "$(dirname "$0")" && pwd)
failed=0
for b in "$dir"/*.sh; do
    [[ $(basename "$b") == run.sh ]] && continue
    echo "== $(basename "$b" .sh)"
    bash "$b" || { echo "benchmark $(basename "$b") failed" >&2; failed=1; }
    # The pipeline benchmark runs on a second clip too (720p).
    if [[ $(basename "$b") == pipeline.sh ]]; then
        CLIP=flower bash "$b" || { echo "benchmark pipeline (flower) failed" >&2; failed=1; }
    fi
done
exit "$failed"

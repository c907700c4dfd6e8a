#!/usr/bin/env bash
# Run every benchmark (bench/*.sh but this one and index.sh); each writes
# bench/results/<name>.md; then index.sh writes bench/results/README.md.
# Exit status 1 if any benchmark failed.
set -uo pipefail

dir=$(cd "$(dirname "$0")" && pwd)
failed=0
for b in "$dir"/*.sh; do
    [[ $(basename "$b") == run.sh || $(basename "$b") == index.sh ]] && continue
    echo "== $(basename "$b" .sh)"
    bash "$b" || { echo "benchmark $(basename "$b") failed" >&2; failed=1; }
    # The pipeline benchmark runs on a second clip too (720p).
    if [[ $(basename "$b") == pipeline.sh ]]; then
        CLIP=flower bash "$b" || { echo "benchmark pipeline (flower) failed" >&2; failed=1; }
    fi
done
bash "$dir/index.sh" || failed=1
exit "$failed"

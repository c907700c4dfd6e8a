#!/usr/bin/env bash
# bench/results/README.md: an index of the benchmark results, made from the tables
# themselves (each one's title, date line and verdict lines, and its plots). bench/run.sh
# runs it last; it can be run alone after any one benchmark.
set -euo pipefail
DIR=${BENCH_RESULTS:-$(cd "$(dirname "$0")" && pwd)/results}
cd "$DIR"
{
    echo "# Benchmark results"
    echo
    echo "Made by \`bench/index.sh\` from the tables here; \`make bench\` runs every benchmark"
    echo "(bench/run.sh) and then this. Each table says how it was measured, on which commit, and"
    echo "how to run it again. Speeds are ratios to vpxdec/vpxenc measured in the same run."
    for md in *.md; do
        [[ $md == README.md ]] && continue
        echo
        echo "## [$(head -n 1 "$md" | sed 's/^# *//')]($md)"
        echo
        grep -m 1 '^Date:' "$md" | sed 's/^/> /' || true
        # Verdict lines: the ones that state a bar and whether it is met.
        grep -E '\*\*(met|not met|bar)|^Issue bar|^Workers:|BD-rate vs|speed' "$md" | grep -v -e '^|' -e '^#' |
            head -n 4 | sed 's/^/- /' || true
        for png in "${md%.md}"*.png; do
            [[ -e $png ]] || continue
            case $md in pipeline.md) [[ $png == pipeline-flower* ]] && continue ;; esac
            echo
            echo "![$png]($png)"
        done
    done
} >README.md.tmp
mv README.md.tmp README.md
echo "bench/index.sh: wrote $DIR/README.md"

#!/usr/bin/env bash
# bench/results/README.md: an index of the benchmark results, made from the tables
# themselves: per table its title, when and on which commit it was measured, its verdict
# paragraphs whole (the bar, whether it is met, the headline numbers), and every PNG in
# bench/results that belongs to it. bench/run.sh runs it last; it can be run alone after
# any one benchmark.
#
# A paragraph is a verdict if it starts with one of the prefixes in VERDICT below; it is
# printed whole, its lines joined, so no sentence is cut. Where a table states its headline
# numbers only in a table (pipeline*.md, speedup.md), one line is derived from the table and
# says so. A PNG belongs to the table whose name (without .md) is the longest prefix of the
# PNG's name followed by '-' or '.' (pipeline-flower-rd.png to pipeline-flower.md, not to
# pipeline.md); a PNG that belongs to no table is listed at the end.
set -euo pipefail
export LC_ALL=C
DIR=${BENCH_RESULTS:-$(cd "$(dirname "$0")" && pwd)/results}
cd "$DIR"

# Paragraphs that state a verdict or a headline number.
VERDICT='^(Issue bar|Issue bars|Issue "|\*\*Against the bar|Workers:|Scale:|excam/vpxdec decode speed:|Process start-up|Planner vs paper:)'

# The tables, in reading order; any other .md after them.
ORDER=(decode encode pipeline pipeline-flower speedup plan-paper coordinator coordinator-key coordinator-tls)
mds=()
for m in "${ORDER[@]}"; do [[ -f $m.md ]] && mds+=("$m.md"); done
for m in *.md; do
    [[ $m == README.md ]] && continue
    case " ${mds[*]} " in *" $m "*) ;; *) mds+=("$m") ;; esac
done

# The table a PNG belongs to (its stem), or nothing.
owner() {
    local png=$1 best="" m s
    for m in "${mds[@]}"; do
        s=${m%.md}
        if [[ $png == "$s".* || $png == "$s"-* ]] && ((${#s} > ${#best})); then best=$s; fi
    done
    echo "$best"
}

# Every paragraph of a Markdown file on one line. A paragraph that ends by introducing a
# list ("...by stage (...):") loses that last sentence: the list is not shown.
paragraphs() {
    awk 'BEGIN { RS = "" }
         { gsub(/\n/, " ")
           if ($0 ~ /:$/) { k = 0; for (i = 1; i < length($0); i++) if (substr($0, i, 2) == ". ") k = i
                            if (k) $0 = substr($0, 1, k) }
           print }' "$1"
}

# Derived headline lines for tables that give their numbers only in a table.
derived() {
    local md=$1
    case $md in
    pipeline*.md)
        # The [6,16] row: its BD-rate columns by their headers; the rebase/encode ratio
        # from the worker CPU time lines.
        awk -F'|' '
            /^\| configuration / { for (i = 2; i < NF; i++) { h = $i; gsub(/^ +| +$/, "", h); col[h] = i } }
            /^\| ExCamera\[6,16\] / && !done {
                s = $col["BD-rate SSIM vs serial"]; p = $col["BD-rate PSNR vs serial"]; v = $col["BD-rate SSIM vs vpxenc -t 1"]
                gsub(/ /, "", s); gsub(/ /, "", p); gsub(/ /, "", v)
                if (s ~ /^[0-9]/) s = "+" s; if (p ~ /^[0-9]/) p = "+" p; if (v ~ /^[0-9]/) v = "+" v
                printf "Headline (from the table): ExCamera[6,16]'"'"'s BD-rate against excam'"'"'s serial encode is %s at equal SSIM (%s at equal PSNR); against vpxenc --cpu-used=1 -t 1, %s at equal SSIM.\n", s, p, v
                done = 1
            }' "$md"
        awk '/worker CPU time per frame: encode/ {
                 e = $0; sub(/.*frame: encode /, "", e); sub(/ ms.*/, "", e)
                 r = $0; sub(/.*, rebase /, "", r); sub(/ ms.*/, "", r)
                 if (e > 0) { x = r / e; if (!k || x < lo) lo = x; if (!k || x > hi) hi = x; k++ }
             }
             END { if (k) printf "Headline (from the worker CPU times): the serial rebase costs %.2f-%.2fx the encode time per frame over the %d quantizers.\n", lo, hi, k }' "$md"
        ;;
    speedup.md)
        awk -F'|' '
            /^\| \[[0-9]+,[0-9]+\] / {
                c = $2; gsub(/ /, "", c); w = $3 + 0; m = $4; gsub(/ /, "", m); p = $5 + 0
                if (!(c in first)) { first[c] = p; order[++nc] = c }
                if (w == 1 && m != "-") m1[c] = m
                if (w == 2 && m != "-") m2[c] = m
                if (!(c in best) || p < best[c]) { best[c] = p; bw[c] = w }
            }
            END {
                for (i = 1; i <= nc; i++) {
                    c = order[i]
                    printf "Headline (from the table): %s measured %s s on 1 worker and %s s on 2 (%.2fx); predicted to flatten at %.1f s from %d workers (%.2fx the 1-worker prediction).\n",
                        c, m1[c], m2[c], (m2[c] > 0 ? m1[c] / m2[c] : 0), best[c], bw[c], first[c] / best[c]
                }
            }' "$md"
        ;;
    esac
}

{
    echo "# Benchmark results"
    echo
    echo "Made by \`bench/index.sh\` from the tables here; \`make bench\` runs every benchmark"
    echo "(bench/run.sh) and then this. Each table says how it was measured, on which commit, and"
    echo "how to run it again. Speeds are ratios to vpxdec/vpxenc measured in the same run."
    echo "Below, per table: its verdict paragraphs as the table states them, and its plots."
    for md in "${mds[@]}"; do
        echo
        echo "## [$(head -n 1 "$md" | sed 's/^# *//')]($md)"
        echo
        sec=$(grep -m 1 '^Security:' "$md" | sed 's/\.$//' || true)
        date=$(grep -o -m 1 'Date: [0-9-]* [0-9:]* UTC' "$md" || true)
        commit=$(grep -o -m 1 -E 'commit [0-9a-f]{7,}( \(?with uncommitted changes\)?)?' "$md" || true)
        meta=${date:-undated}${commit:+, $commit}
        echo "> ${sec:+$sec. }${meta}."
        {
            paragraphs "$md" | grep -E "$VERDICT" || true
            derived "$md"
        } | sed 's/^/- /'
        for png in *.png; do
            [[ -e $png && $(owner "$png") == "${md%.md}" ]] || continue
            echo
            echo "![$png]($png)"
        done
    done
    orphans=()
    for png in *.png; do
        [[ -e $png && -z $(owner "$png") ]] && orphans+=("$png")
    done
    if ((${#orphans[@]})); then
        echo
        echo "## Other plots"
        for png in "${orphans[@]}"; do
            echo
            echo "![$png]($png)"
        done
    fi
} >README.md.tmp
mv README.md.tmp README.md
echo "bench/index.sh: wrote $DIR/README.md"

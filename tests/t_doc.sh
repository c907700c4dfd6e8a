#!/usr/bin/env bash
# The CLI's documentation: every command answers --help (status 0, a usage line) and
# appears in `excam --help`; doc/excam.1 is exactly what scripts/mkman.sh makes of this
# build's --help texts (so the man page cannot fall behind an option), and groff renders
# it without a warning; the exit statuses it documents are the ones the CLI gives.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

need_excam
passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

mapfile -t cmds < <("$EXCAM" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }')
((${#cmds[@]} >= 8)) && ok "excam --help lists ${#cmds[@]} commands" || fail "excam --help lists ${#cmds[@]} commands"
for c in "${cmds[@]}"; do
    rc=0
    "$EXCAM" "$c" --help >"$SCRATCH/help.txt" 2>&1 || rc=$?
    if ((rc == 0)) && head -n 1 "$SCRATCH/help.txt" | grep -q "^usage: excam $c"; then
        ok "excam $c --help"
    else
        fail "excam $c --help: status $rc, $(head -n 1 "$SCRATCH/help.txt")"
    fi
done

bash "$ROOT/scripts/mkman.sh" "$EXCAM" >"$SCRATCH/excam.1"
if cmp -s "$SCRATCH/excam.1" "$ROOT/doc/excam.1"; then
    ok "doc/excam.1 is up to date with the --help texts"
else
    fail "doc/excam.1 is stale: run 'bash scripts/mkman.sh > doc/excam.1' ($(diff "$ROOT/doc/excam.1" "$SCRATCH/excam.1" | head -n 4 | tr '\n' ' '))"
fi
if command -v groff >/dev/null 2>&1; then
    if groff -man -Tutf8 -ww -z "$ROOT/doc/excam.1" 2>"$SCRATCH/groff.err" && [[ ! -s $SCRATCH/groff.err ]]; then
        ok "groff renders doc/excam.1 without a warning"
    else
        fail "groff: $(head -n 3 "$SCRATCH/groff.err")"
    fi
else
    echo "skip: groff not installed (the man page's rendering)"
fi

# The documented exit statuses: 0, 1 (bad input), 2 (usage).
st() { local rc=0; "$@" >/dev/null 2>&1 || rc=$?; echo "$rc"; }
printf 'not a video\n' >"$SCRATCH/bad.ivf"
s0=$(st "$EXCAM" --version) s1=$(st "$EXCAM" decode "$SCRATCH/bad.ivf" --md5)
s2=$(st "$EXCAM" encode --no-such-option) s2b=$(st "$EXCAM" no-such-command)
if [[ $s0 == 0 && $s1 == 1 && $s2 == 2 && $s2b == 2 ]]; then
    ok "exit statuses: 0 success, 1 bad input, 2 usage"
else
    fail "exit statuses: --version $s0, bad input $s1, bad option $s2, bad command $s2b"
fi
grep -q '^\.SH EXIT STATUS' "$ROOT/doc/excam.1" && ok "the man page documents the exit statuses" ||
    fail "no EXIT STATUS section"

echo "doc: $passed passed, $failed failed"
((failed == 0))

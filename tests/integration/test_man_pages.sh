#!/usr/bin/env bash
# The build's manual pages (build/man, written from the option tables by porten itself):
# one per command that `porten --help` lists, each naming every option its --help shows,
# and, where groff is installed, rendering without a warning.
set -euo pipefail
porten=$1
man=$(dirname "$porten")/man
pass=0; fail=0
check() { if eval "$2"; then pass=$((pass+1)); else echo "FAIL: $1" >&2; fail=$((fail+1)); fi; }
cmds=$("$porten" --help | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p')
ncmd=$(echo "$cmds" | wc -w)
check "porten --help lists the commands (got $ncmd)" "[ $ncmd -ge 9 ]"
check "porten.1" "head -1 '$man/porten.1' | grep -q '^.TH PORTEN 1'"
for c in $cmds; do
  page=$man/porten-$c.1
  check "$c: page exists" "[ -s '$page' ]"
  [ -s "$page" ] || continue
  check "$c: title" "head -1 '$page' | grep -q '^.TH PORTEN-${c^^} 1'"
  check "$c: listed in porten.1" "grep -q 'porten\\\\-$c (1)' '$man/porten.1'"
  for o in $("$porten" "$c" --help | sed -n 's/^  --\([a-z0-9-]*\).*/\1/p'); do
    line=".B \\-\\-$(printf '%s' "$o" | sed 's/-/\\-/g')"
    if grep -qF -- "$line" "$page"; then pass=$((pass+1)); else echo "FAIL: $c: --$o not on the page" >&2; fail=$((fail+1)); fi
  done
  if command -v groff >/dev/null; then
    check "$c: groff renders it without warnings" "[ -z \"\$(groff -man -Tutf8 -ww -z '$page' 2>&1)\" ]"
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

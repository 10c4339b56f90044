#!/usr/bin/env bash
# The benchmark programs' flags (cli::ParseArgs / cli::NumberFlags): a bad
# number, an unknown flag or an out-of-range count is a usage error (exit 2)
# that names the flag, never a silent 0. Nothing is run: all fail first.
set -u
BTA="$1" BC="$2"
fails=0
expect() {  # expect PROGRAM PATTERN ARGS...
  local prog="$1" pattern="$2"
  shift 2
  local out rc
  out=$("$prog" "$@" 2>&1)
  rc=$?
  if [[ $rc -ne 2 ]] || ! grep -q -- "$pattern" <<<"$out"; then
    echo "FAIL: $(basename "$prog") $* -> rc $rc (want 2), output: $out"
    fails=$((fails + 1))
  fi
}
expect "$BTA" '--answers is a whole number; got "abc"' --config c --codes x --answers abc
expect "$BTA" '--seed is a whole number; got "-1"' --config c --codes x --seed -1
expect "$BTA" '1 <= --answers <= 10,000,000' --config c --codes x --answers 0
expect "$BTA" '--config and --codes are required' --answers 5
expect "$BTA" 'unknown flag --bogus' --bogus
expect "$BTA" '--codes needs a value' --config c --codes
expect "$BC" '--txs is a whole number; got "1x"' --txs 1x
expect "$BC" '--block is a whole number; got ""' --block=
expect "$BC" '1 <= --txs <= 10,000,000' --txs 0
expect "$BC" 'unknown flag --bogus' --bogus
[[ $fails -eq 0 ]] && echo "bench flags: all cases ok"
exit $((fails > 0))

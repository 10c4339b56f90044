#!/usr/bin/env bash
# The flags of traceload and the benchmark programs (cli::ParseArgs and
# cli::NumberFlags, tools/cli.h): a bad number, an unknown flag, a missing
# value or an out-of-range count is a clear error that names the flag and an
# exit code, never a crash or a silent 0. No node is needed: all fail before
# connecting or running.
#
#   tool_flags_test.sh TRACELOAD BENCH_TRACE_ANSWERS BENCH_CONTRACTS
set -u
TL="$1" BTA="$2" BC="$3"
fails=0
expect() {  # expect PROGRAM RC PATTERN ARGS...
  local prog="$1" want_rc="$2" pattern="$3"
  shift 3
  local out rc
  out=$("$prog" "$@" 2>&1)
  rc=$?
  if [[ $rc -ne $want_rc ]] || ! grep -q -- "$pattern" <<<"$out"; then
    echo "FAIL: $(basename "$prog") $* -> rc $rc (want $want_rc), output: $out"
    fails=$((fails + 1))
  fi
}
# traceload, each of its three modes
expect "$TL" 1 '--events is a whole number; got "abc"' --node http://127.0.0.1:1 --regulator r --events abc
expect "$TL" 1 '--rate is a number; got "fast"' --node http://127.0.0.1:1 --regulator r --rate fast
expect "$TL" 2 'unknown flag --bogus' --journeys --bogus 1
expect "$TL" 1 '--connections is a whole number; got "-3"' --journeys --node http://127.0.0.1:1 --regulator r --connections -3
expect "$TL" 1 '0 <= rate <= 1,000,000 events/s' --journeys --node http://127.0.0.1:1 --regulator r --rate -5
expect "$TL" 1 '1 <= batch <= 1,000 envelopes' --journeys --node http://127.0.0.1:1 --regulator r --batch 5000
expect "$TL" 2 '--node needs a value' --read --node
expect "$TL" 1 '--zipf is a number; got "1e999"' --read --node http://127.0.0.1:1 --codes-file x --zipf=1e999
expect "$TL" 1 '10 <= cockpit-every <= 60,000 ms' --read --node http://127.0.0.1:1 --codes-file x --cockpit-every 5
expect "$TL" 1 '--node and --codes-file are required' --read
expect "$TL" 1 '--route is "connection"' --read --node http://127.0.0.1:1 --codes-file x --route path
# bench_trace_answers and bench_contracts: usage errors (exit 2)
expect "$BTA" 2 '--answers is a whole number; got "abc"' --config c --codes x --answers abc
expect "$BTA" 2 '--seed is a whole number; got "-1"' --config c --codes x --seed -1
expect "$BTA" 2 '1 <= --answers <= 10,000,000' --config c --codes x --answers 0
expect "$BTA" 2 '--config and --codes are required' --answers 5
expect "$BTA" 2 'unknown flag --bogus' --bogus
expect "$BTA" 2 '--codes needs a value' --config c --codes
expect "$BC" 2 '--txs is a whole number; got "1x"' --txs 1x
expect "$BC" 2 '--block is a whole number; got ""' --block=
expect "$BC" 2 '1 <= --txs <= 10,000,000' --txs 0
expect "$BC" 2 'unknown flag --bogus' --bogus
[[ $fails -eq 0 ]] && echo "tool flags: all cases ok"
exit $((fails > 0))

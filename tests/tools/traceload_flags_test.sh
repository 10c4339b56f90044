#!/usr/bin/env bash
# traceload's flags (tools/traceload.h ParseFlags / NumberFlags): a bad number,
# an unknown flag or a missing value is a clear error and an exit code, never a
# crash, in each of its three modes. No node is needed: all fail before connecting.
set -u
TL="$1"
fails=0
expect() {  # expect RC PATTERN ARGS...
  local want_rc="$1" pattern="$2"
  shift 2
  local out rc
  out=$("$TL" "$@" 2>&1)
  rc=$?
  if [[ $rc -ne $want_rc ]] || ! grep -q -- "$pattern" <<<"$out"; then
    echo "FAIL: traceload $* -> rc $rc (want $want_rc), output: $out"
    fails=$((fails + 1))
  fi
}
expect 1 '--events is a whole number; got "abc"' --node http://127.0.0.1:1 --regulator r --events abc
expect 1 '--rate is a number; got "fast"' --node http://127.0.0.1:1 --regulator r --rate fast
expect 2 'unknown flag --bogus' --journeys --bogus 1
expect 1 '--connections is a whole number; got "-3"' --journeys --node http://127.0.0.1:1 --regulator r --connections -3
expect 1 '0 <= rate <= 1,000,000 events/s' --journeys --node http://127.0.0.1:1 --regulator r --rate -5
expect 1 '1 <= batch <= 1,000 envelopes' --journeys --node http://127.0.0.1:1 --regulator r --batch 5000
expect 2 '--node needs a value' --read --node
expect 1 '--zipf is a number; got "1e999"' --read --node http://127.0.0.1:1 --codes-file x --zipf=1e999
expect 1 '10 <= cockpit-every <= 60,000 ms' --read --node http://127.0.0.1:1 --codes-file x --cockpit-every 5
expect 1 '--node and --codes-file are required' --read
expect 1 '--route is "connection"' --read --node http://127.0.0.1:1 --codes-file x --route path
[[ $fails -eq 0 ]] && echo "traceload flags: all cases ok"
exit $((fails > 0))

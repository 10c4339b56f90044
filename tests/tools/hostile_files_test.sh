#!/usr/bin/env bash
# Hostile input files for tracenode and tracectl (issue 13): genesis, node
# configuration, key files, payloads, envelopes, submit files and trace answers
# that are empty, truncated, nested too deep, have a member twice, are not
# UTF-8, have wrong types, huge or negative numbers, missing members, are a
# directory, or are far too large (a 10 GB sparse file, /dev/zero). Each must
# give a clean exit 1 (never a signal, never an uncaught exception) and a
# message with the error code and the file's name.
# Usage: hostile_files_test.sh TRACECTL TRACENODE
set -uo pipefail
TRACECTL="$1"
TRACENODE="$2"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
cases=0

# expect NAME CODE FILE_SHOWN -- COMMAND...: exit 1, stderr+stdout hold CODE and
# FILE_SHOWN (a path or a name; "" to skip), and no crash marker.
expect() {
  local name="$1" code="$2" shown="$3"
  shift 4
  cases=$((cases + 1))
  local out rc
  out=$(timeout 20 "$@" 2>&1 </dev/null)
  rc=$?
  local why=""
  if [ $rc -ne 1 ]; then why="exit $rc (want 1)"; fi
  if [[ "$out" != *"$code"* ]]; then why="$why; no $code"; fi
  if [ -n "$shown" ] && [[ "$out" != *"$shown"* ]]; then why="$why; does not name $shown"; fi
  if [[ "$out" == *"terminate called"* || "$out" == *"Aborted"* || "$out" == *"core dumped"* ||
        "$out" == *"INTERNAL"* || "$out" == *"json.exception"* ]]; then
    why="$why; crashed"
  fi
  if [ -z "$why" ]; then
    echo "ok   $name"
  else
    echo "FAIL $name: $why"
    echo "$out" | head -5 | sed 's/^/       /'
    fails=$((fails + 1))
  fi
}

"$TRACECTL" testnet --nodes 1 --out "$T/net" >/dev/null || { echo "testnet failed"; exit 1; }
G="$T/net/genesis.json"
K="$T/net/n1/key.json"
"$TRACECTL" keygen --out "$T/k.json" >/dev/null

# The generic hostile JSON files, written to $T/h/NAME.
mkdir -p "$T/h"
H="$T/h"
: >"$H/empty"
printf '{"chain_id": "zj",' >"$H/truncated"
head -c 200000 /dev/zero | tr '\0' '[' >"$H/deep"
printf '{"a":1,"a":2}' >"$H/duplicate"
printf '{"a":"\xff\xfe"}' >"$H/not-utf8"
printf '{"a":"\xe7\xa0"}' >"$H/cut-utf8"
printf '[1,2,3]' >"$H/array"
printf '"just a string"' >"$H/string"
printf '{"a":1} trailing' >"$H/trailing"
printf '\xef\xbb\xbf{}' >"$H/bom"
mkdir -p "$H/dir"
truncate -s 10G "$H/huge"  # sparse: no disk used; must be refused without reading
GENERIC="empty truncated deep duplicate not-utf8 cut-utf8 array string trailing bom dir huge"

# ---- genesis (tracenode via a config that points at it; tracectl verify-trace).
gen() {  # gen NAME JSON: a genesis variant of the testnet's
  python3 - "$G" "$H/g-$1" "$2" <<'EOF'
import json, sys
g = json.load(open(sys.argv[1]))
patch = sys.argv[3]
exec(patch)
open(sys.argv[2], "w").write(json.dumps(g) if not isinstance(g, str) else g)
EOF
}
gen wrong-type-chain 'g["chain_id"] = 5'
gen wrong-type-validators 'g["validators"] = {"id": "n1"}'
gen missing-regulators 'del g["regulators"]'
gen huge-number 'g = json.dumps(g)[:-1] + ", \"params\": {\"max_future_skew_seconds\": 1e400}}"'
gen huge-int 'g.setdefault("params", {})["block"] = {"max_bytes": 10**30}'
gen negative-size 'g.setdefault("params", {})["block"] = {"max_bytes": -1}'
gen unknown-member 'g["colour"] = "red"'
gen dup-validator 'g = json.dumps(g).replace("\"id\": \"n1\"", "\"id\": \"n1\", \"id\": \"n9\"", 1)'
gen nul-in-name 'g["regulators"][0]["name"] = "a\u0000b"'
gen deep-params 'g["params"] = {"temperature_profiles": {"x": {"min_c": [[[[[[[[1]]]]]]]]}}}'
for f in $GENERIC; do ln -s "$H/$f" "$H/g-$f"; done
for f in "$H"/g-*; do
  n=$(basename "$f")
  mkdir -p "$T/cfg-$n"
  printf '{"node_id":"n1","genesis":"%s","key":"%s","data_dir":"%s"}' "$f" "$K" "$T/cfg-$n/data" \
    >"$T/cfg-$n/config.json"
  code=GENESIS_INVALID
  [ "$n" = g-dir ] && code=IO_ERROR
  expect "tracenode: genesis $n" "$code" "$n" -- "$TRACENODE" --config "$T/cfg-$n/config.json"
  expect "tracectl verify-trace --genesis $n" "$code" "$n" -- \
    "$TRACECTL" verify-trace --genesis "$f" "$H/array"
done
# --dev reuses DIR/genesis.json: a hostile one is refused the same way.
mkdir -p "$T/dev"
cp "$H/g-duplicate" "$T/dev/genesis.json"
expect "tracenode --dev: hostile genesis.json" GENESIS_INVALID "genesis.json" -- \
  "$TRACENODE" --dev --data "$T/dev" --http 127.0.0.1:0

# ---- the node configuration.
cfg() {  # cfg NAME JSON
  mkdir -p "$T/c-$1"
  printf '%s' "$2" >"$T/c-$1/config.json"
}
ok_cfg="\"genesis\":\"$G\",\"key\":\"$K\",\"data_dir\":\"$T/cdata\""
cfg wrong-type "{\"node_id\":1,$ok_cfg}"
cfg missing-node-id "{$ok_cfg}"
cfg unknown-member "{\"node_id\":\"n1\",\"colour\":\"red\",$ok_cfg}"
cfg dup-member "{\"node_id\":\"n1\",\"node_id\":\"n2\",$ok_cfg}"
cfg nested "{\"node_id\":{\"a\":\"n1\"},$ok_cfg}"
cfg nul-in-path "{\"node_id\":\"n1\",\"genesis\":\"$G\\u0000.bak\",\"key\":\"$K\",\"data_dir\":\"$T/cdata\"}"
cfg empty-value "{\"node_id\":\"\",$ok_cfg}"
cfg not-a-validator "{\"node_id\":\"n7\",$ok_cfg}"
cfg bad-http "{\"node_id\":\"n1\",\"http\":\"localhost\",$ok_cfg}"
cfg bad-port "{\"node_id\":\"n1\",\"p2p\":\"127.0.0.1:99999\",$ok_cfg}"
cfg huge-number "{\"node_id\":\"n1\",\"http\":1e400,$ok_cfg}"
for f in $GENERIC; do
  mkdir -p "$T/c-$f"
  ln -s "$H/$f" "$T/c-$f/config.json"
done
for d in "$T"/c-*; do
  n=$(basename "$d")
  code=CONFIG_INVALID
  [ "$n" = c-dir ] && code=IO_ERROR
  expect "tracenode: config $n" "$code" "$n/config.json" -- "$TRACENODE" --config "$d/config.json"
done
expect "tracenode: config missing" IO_ERROR "nowhere.json" -- "$TRACENODE" --config "$T/nowhere.json"

# ---- key files (tracenode via a config; tracectl sign --key, demo-load --regulator).
key() { printf '%s' "$2" >"$H/k-$1"; }
priv=$(sed -n 's/.*"private_key": "\([0-9a-f]*\)".*/\1/p' "$T/k.json")
key wrong-type '{"private_key": 1}'
key missing '{"public_key": "02aa"}'
key unknown "{\"private_key\": \"$priv\", \"comment\": \"x\"}"
key dup-member "{\"private_key\": \"$priv\", \"private_key\": \"$priv\"}"
key short '{"private_key": "abcd"}'
key zero "{\"private_key\": \"$(printf '0%.0s' $(seq 64))\"}"
key wrong-public "{\"private_key\": \"$priv\", \"public_key\": 5}"
key nested "{\"private_key\": [\"$priv\"]}"
for f in $GENERIC; do ln -s "$H/$f" "$H/k-$f"; done
for f in "$H"/k-*; do
  n=$(basename "$f")
  code=KEY_FILE_INVALID
  [ "$n" = k-dir ] && code=IO_ERROR
  [ "$n" = k-short ] && code=PRIVATE_KEY_ENCODING
  [ "$n" = k-zero ] && code=PRIVATE_KEY_INVALID
  mkdir -p "$T/kcfg-$n"
  printf '{"node_id":"n1","genesis":"%s","key":"%s","data_dir":"%s"}' "$G" "$f" "$T/kcfg-$n/data" \
    >"$T/kcfg-$n/config.json"
  expect "tracenode: key $n" "$code" "$n" -- "$TRACENODE" --config "$T/kcfg-$n/config.json"
  expect "tracectl sign --key $n" "$code" "$n" -- \
    "$TRACECTL" sign --key "$f" --payload "$H/array"
  expect "tracectl demo-load --regulator $n" "$code" "$n" -- \
    "$TRACECTL" demo-load --node http://127.0.0.1:1 --regulator "$f"
done

# ---- tracectl's other inputs: payloads, envelopes, submit files, answers.
for f in $GENERIC; do
  code_p=PAYLOAD_; code_e=ENVELOPE_; code_a=ANSWER_
  case $f in
    dir) code_p=IO_ERROR; code_e=IO_ERROR; code_a=IO_ERROR ;;
    huge) code_p=PAYLOAD_TOO_LARGE; code_e=ENVELOPE_TOO_LARGE; code_a=ANSWER_TOO_LARGE ;;
  esac
  expect "tracectl sign --payload $f" "$code_p" "$f" -- \
    "$TRACECTL" sign --key "$T/k.json" --payload "$H/$f"
  expect "tracectl verify --envelope $f" "$code_e" "$f" -- \
    "$TRACECTL" verify --envelope "$H/$f"
  expect "tracectl verify-trace $f" "$code_a" "$f" -- \
    "$TRACECTL" verify-trace --genesis "$G" "$H/$f"
  # submit refuses locally (the node address is never reached).
  case $f in
    dir) code_s=IO_ERROR ;; huge) code_s=SUBMIT_FILE_TOO_LARGE ;;
    array|string|bom) code_s="" ;;  # JSON (or not) the node must judge: sent, unreachable
    *) code_s=ENVELOPE_ ;;
  esac
  if [ -n "$code_s" ]; then
    expect "tracectl submit $f" "$code_s" "$f" -- \
      "$TRACECTL" submit --node http://127.0.0.1:1 "$H/$f"
  fi
done
expect "tracectl sign --payload /dev/zero" PAYLOAD_TOO_LARGE "standard input" -- \
  sh -c "\"$TRACECTL\" sign --key \"$T/k.json\" --payload - </dev/zero"
expect "tracectl verify-trace: answer of wrong types" ANSWER_MALFORMED "" -- \
  sh -c "printf '{\"code\":5,\"proof\":[]}' | \"$TRACECTL\" verify-trace --genesis \"$G\" -"
expect "tracectl verify-trace: deep answer" ANSWER_MALFORMED "" -- \
  sh -c "head -c 100000 /dev/zero | tr '\\0' '{' | \"$TRACECTL\" verify-trace --genesis \"$G\" -"
expect "tracectl hash of a directory" IO_ERROR "dir" -- "$TRACECTL" hash --alg sha256 "$H/dir"
expect "tracectl hash of a missing file" IO_ERROR "nothing" -- "$TRACECTL" hash --alg sha256 "$H/nothing"
# A 10 GB file is hashed as it is read (a sparse file: zeros), never held in memory.
big=$(head -c 100000000 /dev/zero | "$TRACECTL" hash --alg sha256)
check_big=$(head -c 100000000 /dev/zero | sha256sum | cut -d' ' -f1)
cases=$((cases + 1))
if [ "$big" = "$check_big" ]; then echo "ok   tracectl hash streams 100 MB"; else
  echo "FAIL tracectl hash streams 100 MB: $big"; fails=$((fails + 1)); fi

echo "hostile files: $cases cases, $fails failed"
[ $fails -eq 0 ]

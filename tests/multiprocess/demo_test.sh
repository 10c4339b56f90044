#!/usr/bin/env bash
# scripts/demo end to end: a fresh 3-node testnet, a leader, the demo load, and a
# clean stop (DEMO_EXIT=1 with stdin not a terminal). Run by ctest with the
# source directory and the directory holding tracenode and tracectl.
set -uo pipefail
SRC="$1"
BIN="$2"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
check() {  # check NAME 'SHELL CONDITION'
  if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi
}

DEMO_DIR="$T/testnet" DEMO_EXIT=1 DEMO_NO_BUILD=1 TRACELEDGER_BIN="$BIN" \
  timeout -s TERM 50 bash "$SRC/scripts/demo" </dev/null >"$T/out.txt" 2>&1
rc=$?
cat "$T/out.txt"
check "scripts/demo exits 0 after loading" '[ $rc -eq 0 ]'
check "the load finished" 'grep -q "^demo-load: done" "$T/out.txt"'
for code in DOCUMENTS_MISSING QUARANTINED INSPECTION_REQUIRED RECALLED RECALL_CLOSED; do
  check "refusal $code seen as expected" 'grep -q "^  $code: " "$T/out.txt"'
done
check "three node logs" '[ -s "$T/testnet/n1/node.log" ] && [ -s "$T/testnet/n2/node.log" ] && [ -s "$T/testnet/n3/node.log" ]'
check "every node stopped" '! pgrep -f "$T/testnet/n" >/dev/null'
check "the nodes talk over TLS with pinned identities" 'grep -q "connected to peer .* (TLS 1.3, identity pinned)" "$T/testnet/n1/node.log"'
for k in 1 2 3; do
  check "verify-chain n$k" '"$BIN/tracectl" verify-chain --quiet --data "$T/testnet/n$k/data/blocks" >/dev/null'
done
# A second run reuses the network and does not load again.
DEMO_DIR="$T/testnet" DEMO_EXIT=1 DEMO_NO_BUILD=1 TRACELEDGER_BIN="$BIN" \
  timeout -s TERM 40 bash "$SRC/scripts/demo" </dev/null >"$T/out2.txt" 2>&1
rc=$?
check "a second run reuses the network" '[ $rc -eq 0 ] && grep -q "already loaded" "$T/out2.txt"'
check "every node stopped again" '! pgrep -f "$T/testnet/n" >/dev/null'
# A network made before TLS between nodes (no pins in genesis) is named as such.
mkdir -p "$T/old" && echo '{"chain_id": "old"}' >"$T/old/genesis.json"
DEMO_DIR="$T/old" DEMO_EXIT=1 DEMO_NO_BUILD=1 TRACELEDGER_BIN="$BIN" \
  timeout -s TERM 20 bash "$SRC/scripts/demo" </dev/null >"$T/out3.txt" 2>&1
rc=$?
check "a pre-TLS network is refused with a hint" '[ $rc -eq 1 ] && grep -q "predates TLS" "$T/out3.txt" && grep -q -- "--fresh" "$T/out3.txt"'
echo "demo script: $fails failed"
[ $fails -eq 0 ]

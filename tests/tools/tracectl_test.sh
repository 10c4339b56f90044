#!/usr/bin/env bash
# End-to-end checks of the tracectl commands, run by ctest with the binary's path.
set -uo pipefail
TRACECTL="$1"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
check() {  # check NAME 'SHELL CONDITION'
  local name="$1"; shift
  if eval "$1"; then echo "ok   $name"; else echo "FAIL $name"; fails=$((fails + 1)); fi
}

# keygen: a 0600 key file, refusing to overwrite.
pub=$("$TRACECTL" keygen --out "$T/k.json")
check "keygen prints a 66-hex public key" '[[ "$pub" =~ ^0[23][0-9a-f]{64}$ ]]'
check "key file mode is 0600" '[ "$(stat -c %a "$T/k.json")" = "600" ]'
check "key file holds the public key" 'grep -q "\"public_key\": \"$pub\"" "$T/k.json"'
"$TRACECTL" keygen --out "$T/k.json" 2>/dev/null; rc=$?
check "keygen refuses to overwrite" '[ $rc -eq 1 ]'

# sign then verify round trip; tx id = sha256(signer || payload).
printf '%s' '{"chain_id":"zj-test","type":"trace.ship","nonce":"1","time":"2026-11-30T08:00:00Z","body":{}}' >"$T/p.json"
"$TRACECTL" sign --key "$T/k.json" --payload "$T/p.json" >"$T/env.json"; rc=$?
check "sign succeeds" '[ $rc -eq 0 ]'
txid=$("$TRACECTL" verify --envelope "$T/env.json"); rc=$?
check "verify succeeds" '[ $rc -eq 0 ]'
expected=$( (printf '%s' "$pub" | xxd -r -p; cat "$T/p.json") | sha256sum | cut -d' ' -f1)
check "tx id is H(signer || payload)" '[ "$txid" = "$expected" ]'
txid_stdin=$("$TRACECTL" verify - <"$T/env.json")
check "verify reads stdin" '[ "$txid_stdin" = "$txid" ]'

# SM3 chains: signed with --hash sm3, refused as sha256.
"$TRACECTL" sign --key "$T/k.json" --payload "$T/p.json" --hash sm3 >"$T/env-sm3.json"
check "sm3 envelope verifies as sm3" '"$TRACECTL" verify --hash sm3 --envelope "$T/env-sm3.json" >/dev/null'
err=$("$TRACECTL" verify --envelope "$T/env-sm3.json" 2>&1)
check "sm3 envelope fails as sha256 with SIGNATURE_INVALID" '[[ "$err" == *SIGNATURE_INVALID* ]]'

# A tampered envelope fails with its code and exit 1.
sed 's/\\"nonce\\":\\"1\\"/\\"nonce\\":\\"2\\"/' "$T/env.json" >"$T/bad.json"
check "tamper changed the file" '! cmp -s "$T/env.json" "$T/bad.json"'
err=$("$TRACECTL" verify --envelope "$T/bad.json" 2>&1); rc=$?
check "tampered envelope exits 1" '[ $rc -eq 1 ]'
check "tampered envelope names SIGNATURE_INVALID" '[[ "$err" == *SIGNATURE_INVALID* ]]'

# sign refuses a payload the ledger would refuse.
printf '%s' '{"chain_id":"zj-test","type":"trace.ship","nonce":"1","time":"yesterday","body":{}}' >"$T/p2.json"
err=$("$TRACECTL" sign --key "$T/k.json" --payload "$T/p2.json" 2>&1); rc=$?
check "sign refuses a bad time with TIME_INVALID" '[ $rc -eq 1 ] && [[ "$err" == *TIME_INVALID* ]]'

# hash: known answers.
check "hash sha256 abc" '[ "$(printf abc | "$TRACECTL" hash --alg sha256)" = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" ]'
check "hash sm3 abc" '[ "$(printf abc | "$TRACECTL" hash --alg sm3 -)" = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0" ]'

# verify-chain on a directory that holds no store fails plainly.
err=$("$TRACECTL" verify-chain --data "$T/nothing-here" 2>&1); rc=$?
check "verify-chain without a store exits 1" '[ $rc -eq 1 ] && [[ "$err" == *FAILED* ]]'

# usage errors exit 2.
"$TRACECTL" hash --alg md5 </dev/null 2>/dev/null; rc=$?
check "bad --alg is a usage error" '[ $rc -eq 2 ]'
"$TRACECTL" frobnicate 2>/dev/null; rc=$?
check "unknown command is a usage error" '[ $rc -eq 2 ]'

echo "tracectl: $fails failed"
[ $fails -eq 0 ]


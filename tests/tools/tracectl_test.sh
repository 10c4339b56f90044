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

# tls-keygen: a 0600 key and a certificate whose pin it prints; tls-pin agrees; no overwrite.
pin=$("$TRACECTL" tls-keygen --out "$T/tls" --name n9 2>/dev/null)
check "tls-keygen prints a 64-hex pin" '[[ "$pin" =~ ^[0-9a-f]{64}$ ]]'
check "tls key file mode is 0600" '[ "$(stat -c %a "$T/tls/tls-key.pem")" = "600" ] && grep -q "BEGIN PRIVATE KEY" "$T/tls/tls-key.pem"'
check "tls-pin of the certificate is the printed pin" '[ "$("$TRACECTL" tls-pin --cert "$T/tls/tls-cert.pem")" = "$pin" ]'
check "the pin is SHA-256 of the SubjectPublicKeyInfo (openssl agrees)" '! command -v openssl >/dev/null || [ "$(openssl x509 -in "$T/tls/tls-cert.pem" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d" " -f1)" = "$pin" ]'
"$TRACECTL" tls-keygen --out "$T/tls" 2>/dev/null; rc=$?
check "tls-keygen refuses to overwrite" '[ $rc -eq 1 ]'
"$TRACECTL" tls-pin --cert "$T/tls/tls-key.pem" 2>/dev/null; rc=$?
check "tls-pin of a non-certificate exits 1" '[ $rc -eq 1 ]'

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

# testnet: genesis, regulator key, per-node config, key and data dir; refuses a non-empty dir.
"$TRACECTL" testnet --nodes 3 --out "$T/net" --hash sm3 >"$T/testnet.out"; rc=$?
check "testnet succeeds" '[ $rc -eq 0 ]'
check "testnet genesis is sm3 with 3 validators" 'grep -q "\"hash\": \"sm3\"" "$T/net/genesis.json" && [ "$(grep -c "\"p2p\"" "$T/net/genesis.json")" = 3 ]'
check "testnet genesis lists http addresses" '[ "$(grep -c "\"http\": \"127.0.0.1:" "$T/net/genesis.json")" = 3 ]'
check "testnet regulator key is 0600 and in genesis" '[ "$(stat -c %a "$T/net/regulator.json")" = "600" ] && grep -q "$(sed -n "s/.*\"public_key\": \"\([0-9a-f]*\)\".*/\1/p" "$T/net/regulator.json")" "$T/net/genesis.json"'
check "testnet node files" '[ -f "$T/net/n3/config.json" ] && [ -f "$T/net/n3/key.json" ] && [ -d "$T/net/n3/data" ]'
check "testnet TLS files and pins" '[ "$(stat -c %a "$T/net/n3/tls-key.pem")" = "600" ] && grep -q "\"tls_spki_sha256\": \"$("$TRACECTL" tls-pin --cert "$T/net/n3/tls-cert.pem")\"" "$T/net/genesis.json" && grep -q "\"tls_key\": \"tls-key.pem\"" "$T/net/n3/config.json"'
check "testnet config names the node" 'grep -q "\"node_id\": \"n2\"" "$T/net/n2/config.json"'
"$TRACECTL" testnet --nodes 3 --out "$T/net" 2>"$T/err.txt"; rc=$?
check "testnet refuses a non-empty dir" '[ $rc -eq 1 ] && grep -q "not empty" "$T/err.txt"'
"$TRACECTL" testnet --nodes 0 --out "$T/net0" 2>/dev/null; rc=$?
check "testnet --nodes 0 is a usage error" '[ $rc -eq 2 ]'

# usage errors exit 2.
"$TRACECTL" hash --alg md5 </dev/null 2>/dev/null; rc=$?
check "bad --alg is a usage error" '[ $rc -eq 2 ]'
"$TRACECTL" frobnicate 2>/dev/null; rc=$?
check "unknown command is a usage error" '[ $rc -eq 2 ]'

echo "tracectl: $fails failed"
[ $fails -eq 0 ]


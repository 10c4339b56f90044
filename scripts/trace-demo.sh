#!/usr/bin/env bash
# A vaccine journey on a fresh dev node, then the public trace of one dose and
# its offline verification (docs/api.md, "Trace").
#   scripts/trace-demo.sh [DIR] [PORT]      (needs build/bin/tracenode and tracectl;
#                                           TRACE_BIN=DIR to use other binaries)
# Leaves DIR/answer.json when DIR is given (a temporary DIR is removed); stops the
# node on exit. Exits non-zero if any step or the verification fails.
set -euo pipefail
cd "$(dirname "$0")/.."
KEEP=${1:+1}
DIR=${1:-$(mktemp -d /tmp/trace-demo.XXXXXX)}
PORT=${2:-0}  # 0: the system picks a free port; the node logs the one it got
BIN=${TRACE_BIN:-build/bin}
mkdir -p "$DIR"
: >"$DIR/node.log"  # exists before the node starts: the wait below reads it at once
$BIN/tracenode --dev --data "$DIR" --http 127.0.0.1:$PORT >"$DIR/node.log" 2>&1 &
NODE=$!
cleanup() {
  kill $NODE 2>/dev/null
  wait $NODE 2>/dev/null || true
  if [ -z "$KEEP" ]; then rm -rf "$DIR"; fi
}
trap cleanup EXIT
URL=
for _ in $(seq 100); do
  URL=$(sed -n 's#.* serving \(http://[0-9.]*:[0-9]*\)/.*#\1#p' "$DIR/node.log" | head -1)
  [ -n "$URL" ] && break
  sleep 0.1
done
if [ -z "$URL" ]; then echo "trace-demo: the node did not start:" >&2; cat "$DIR/node.log" >&2; exit 1; fi
# The node is built with jemalloc (CMakeLists.txt); glibc's malloc costs ~25 % of its CPU.
# (Not in a sanitizer build, whose allocator is the sanitizer's: TRACE_JEMALLOC=0.)
if [ "${TRACE_JEMALLOC:-1}" = 1 ] && ! grep -q "memory allocator jemalloc" "$DIR/node.log"; then
  echo "trace-demo: the node does not use jemalloc:" >&2; grep serving "$DIR/node.log" >&2; exit 1
fi
for _ in $(seq 100); do curl -sf $URL/v1/status >/dev/null 2>&1 && break; sleep 0.1; done
for _ in $(seq 100); do curl -s $URL/v1/status | grep -q '"role":"leader"' && break; sleep 0.1; done
CHAIN=$(curl -s $URL/v1/status | sed 's/.*"chain_id":"\([^"]*\)".*/\1/')
N=0
now() { date -u -d '-2 seconds' +%Y-%m-%dT%H:%M:%SZ; }
# tx KEYFILE TYPE BODYJSON: sign, submit, wait for the commit, fail unless ok.
tx() {
  N=$((N + 1))
  printf '{"chain_id":"%s","type":"%s","nonce":"demo-%d-%s","time":"%s","body":%s}' \
    "$CHAIN" "$2" "$N" "$$" "$(now)" "$3" >"$DIR/payload.json"
  local out
  out=$($BIN/tracectl sign --key "$1" --payload "$DIR/payload.json" |
    curl -s -X POST --data-binary @- "$URL/v1/transactions?wait=commit")
  echo "$2: $out" | cut -c1-160
  echo "$out" | grep -q '"status":"ok"'
}
key() { $BIN/tracectl keygen --out "$DIR/$1.json"; }
MAKER=91330100MA0000001F DIST=91330100MA0000002J CARRIER=91330100MA0000003M
REG=$DIR/regulator.json
tx $REG registry.enroll "{\"uscc\":\"$MAKER\",\"name\":\"浙江疫苗有限公司\",\"roles\":[\"manufacturer\"],\"public_key\":\"$(key maker)\",\"region\":\"330106\"}"
tx $REG registry.enroll "{\"uscc\":\"$DIST\",\"name\":\"杭州医药配送有限公司\",\"roles\":[\"distributor\"],\"public_key\":\"$(key dist)\",\"region\":\"330102\"}"
tx $REG registry.enroll "{\"uscc\":\"$CARRIER\",\"name\":\"浙冷链物流\",\"roles\":[\"logistics\"],\"public_key\":\"$(key carrier)\",\"region\":\"330104\"}"
tx $DIR/maker.json product.register '{"product_code":"06901234567892","name":"乙肝疫苗 10μg","category":"vaccine"}'
tx $DIR/maker.json trace.commission '{"product_code":"06901234567892","lot":"HB2026A","expiry":"2027-06-30","codes":["(01)06901234567892(21)D0001","(01)06901234567892(21)D0002"],"location":"杭州工厂"}'
tx $DIR/maker.json trace.ship "{\"shipment_id\":\"SH-1\",\"codes\":[\"(01)06901234567892(21)D0001\",\"(01)06901234567892(21)D0002\"],\"to\":\"$DIST\",\"carrier\":\"$CARRIER\",\"vehicle\":\"浙A12345\"}"
tx $DIR/carrier.json trace.reading "{\"shipment_id\":\"SH-1\",\"device\":\"logger-7\",\"readings\":[{\"time\":\"$(now)\",\"celsius\":4.5},{\"time\":\"$(now)\",\"celsius\":5.0}]}"
tx $DIR/dist.json trace.receive '{"shipment_id":"SH-1","condition":"good"}'
tx $DIR/dist.json trace.reading "{\"codes\":[\"(01)06901234567892(21)D0001\"],\"device\":\"fridge-1\",\"readings\":[{\"time\":\"$(now)\",\"celsius\":12.0}]}"
echo
curl -s "$URL/01/06901234567892/21/D0001" >"$DIR/answer.json"
head -c 400 "$DIR/answer.json"; echo ...
# The quarantined dose says so first; element strings resolve to the same item.
grep -q '^{"warning":{"status":"quarantined"' "$DIR/answer.json"
curl -s "$URL/v1/trace/%2801%2906901234567892%2821%29D0001" | grep -q '"code":"(01)06901234567892(21)D0001"'
curl -s "$URL/v1/trace/(01)06901234567892(21)D0002" | grep -q '"status":"active"'
curl -s "$URL/v1/trace/%2801%29123" | grep -q '"code":"BAD_ELEMENT_STRING"'
$BIN/tracectl verify-trace --genesis "$DIR/genesis.json" "$DIR/answer.json"

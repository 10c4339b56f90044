#!/usr/bin/env bash
# The layering (DESIGN.md §1) is enforced by per-layer include roots: a layer
# sees only its own headers and those of the layers it links. This test
# compiles a file as the ledger layer would and checks that including a header
# of a layer above fails (for that reason: the header is not visible), while the layer's own header compiles (the control).
set -uo pipefail
CXX="$1"; SRC="$2"; ROOTS="$3"
fails=0
try() {  # try EXPECT HEADER INCLUDE_DIRS...
  local expect="$1" header="$2"; shift 2
  local flags=()
  for d in "$@"; do flags+=("-I$d"); done
  local err
  if err=$("$CXX" -std=c++20 -fsyntax-only "${flags[@]}" -DUPWARD_HEADER="\"$header\"" "$SRC" 2>&1); then
    got=compiles
  elif [[ "$err" == *"$header: No such file"* ]]; then
    got=fails  # for the right reason: the header is not visible to this layer
  else
    got="fails for another reason: ${err%%$'\n'*}"
  fi
  if [ "$got" = "$expect" ]; then echo "ok   $header $got"; else echo "FAIL $header $got (expected $expect)"; fails=$((fails+1)); fi
}
# Control: the ledger's own header compiles with the ledger root.
try compiles ledger/hex.h "$ROOTS/ledger"
# Upward includes from ledger/ fail.
try fails contracts/engine.h "$ROOTS/ledger"
try fails consensus/raft.h "$ROOTS/ledger"
try fails node/raft_storage.h "$ROOTS/ledger"
try fails api/service.h "$ROOTS/ledger"
# consensus/ and contracts/ do not see each other, nor the node.
try fails contracts/engine.h "$ROOTS/consensus" "$ROOTS/ledger"
try fails node/mempool.h "$ROOTS/contracts" "$ROOTS/genesis" "$ROOTS/ledger"
echo "layering: $fails failed"
[ $fails -eq 0 ]

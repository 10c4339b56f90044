#!/usr/bin/env bash
# Installs the Debian packages traceledger needs, only those that are missing.
# apt-get update runs only when something is missing. Safe to run repeatedly.
set -euo pipefail
TRACELEDGER_PACKAGES=(
  cmake ninja-build g++ pkg-config xxd
  libleveldb-dev libsecp256k1-dev libcrypto++-dev
  libboost-dev libboost-system-dev
  libprotobuf-dev protobuf-compiler
  nlohmann-json3-dev libgtest-dev libgmock-dev libssl-dev
)
missing=()
for p in "${TRACELEDGER_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing missing packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

#!/usr/bin/env bash
# Installs the Debian packages traceledger needs, only those that are missing.
# (g++ brings the ASan, UBSan and TSan runtimes for scripts/sanitize; clang and
# libclang-rt-14-dev are libFuzzer and its sanitizers for scripts/fuzz.)
# apt-get update runs only when something is missing. Safe to run repeatedly.
set -euo pipefail
TRACELEDGER_PACKAGES=(
  cmake ninja-build g++ pkg-config xxd time
  libleveldb-dev libsecp256k1-dev libcrypto++-dev libjemalloc-dev
  libboost-dev libboost-system-dev
  libprotobuf-dev protobuf-compiler
  nlohmann-json3-dev libgtest-dev libgmock-dev libssl-dev
  chromium fonts-wqy-microhei
  clang libclang-rt-14-dev
)
missing=()
for p in "${TRACELEDGER_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# npm (for web/): this machine's Node.js may not come from Debian, so look for
# the command rather than the package.
if ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing missing packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Front-end libraries and the browser test's playwright-core from the npm registry
# (web/package-lock.json pins them):
# npm ci only when web/node_modules is missing or the lock changed since.
WEB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/web"
if [ -f "$WEB_DIR/package-lock.json" ]; then
  stamp="$WEB_DIR/node_modules/.traceledger-lock"
  if [ ! -d "$WEB_DIR/node_modules" ] || ! cmp -s "$WEB_DIR/package-lock.json" "$stamp"; then
    echo "deps: npm ci in web/"
    (cd "$WEB_DIR" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$WEB_DIR/package-lock.json" "$stamp"
  fi
fi

#!/usr/bin/env bash
# Installs what porten needs on Debian 12, from Debian's own packages only.
#   scripts/setup.sh           build and run dependencies
#   scripts/setup.sh --test    also what the test suite uses (cmocka, Python JWT for the
#                              independent-verifier test, PostgreSQL for the pg tests)
set -euo pipefail
pkgs=(build-essential cmake pkg-config ca-certificates curl openssl
      libssl-dev libmicrohttpd-dev libjansson-dev libsqlite3-dev libpq-dev
      libcurl4-openssl-dev libxml2-dev)
if [ "${1:-}" = "--test" ]; then
  pkgs+=(libcmocka-dev python3 python3-jwt python3-cryptography postgresql)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

#!/usr/bin/env bash
# Installs, builds and runs the whole test suite (unit, integration, fuzz corpus replay).
#   scripts/test.sh              into build/
#   scripts/test.sh --sanitize   into build-asan/, with AddressSanitizer + UBSan
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
dir=build
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "${1:-}" = "--sanitize" ]; then
  dir=build-asan
  flags=(-DCMAKE_BUILD_TYPE=Debug -DPORTEN_SANITIZE=ON)
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
cmake -S . -B "$dir" "${flags[@]}"
cmake --build "$dir" -j"$(nproc)"
# The pg-labelled tests run against a throwaway PostgreSQL cluster (scripts/pg-cluster.sh)
# unless PORTEN_TEST_PG already names one; without either they report themselves skipped.
if [ -z "${PORTEN_TEST_PG:-}" ]; then
  pgdir=$(mktemp -d /tmp/porten-test-pg.XXXXXX)
  trap 'bash scripts/pg-cluster.sh stop "$pgdir" >/dev/null 2>&1 || true; rm -rf "$pgdir"' EXIT
  PORTEN_TEST_PG=$(bash scripts/pg-cluster.sh start "$pgdir")
  export PORTEN_TEST_PG
fi
ctest --test-dir "$dir" --output-on-failure -j"$(nproc)"

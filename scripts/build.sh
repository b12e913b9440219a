#!/usr/bin/env bash
# scripts/build.sh debug|release|asan|bench|fuzz — configure and build one flavour under build/.
# Output goes to build/setup.log; on failure its tail goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-debug}
case "$flavour" in
  debug) args=(-DCMAKE_BUILD_TYPE=Debug) ;;
  release) args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan) args=(-DCMAKE_BUILD_TYPE=Debug -DIKEGATE_SANITIZE=ON) ;;
  bench) args=(-DCMAKE_BUILD_TYPE=Release) ;;
  fuzz) args=(-DCMAKE_BUILD_TYPE=Debug -DIKEGATE_FUZZ=ON -DCMAKE_C_COMPILER=clang) ;;
  *) echo "usage: $0 debug|release|asan|bench|fuzz" >&2; exit 2 ;;
esac
mkdir -p build
log=build/setup.log
if ! { cmake -S . -B "build/$flavour" "${args[@]}" && cmake --build "build/$flavour" -j "$(nproc)"; } >>"$log" 2>&1; then
  echo "ikegate: $flavour build failed; last lines of $log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi

#!/usr/bin/env bash
# ctest's fuzz/NAME: one harness for a few seconds on a copy of its corpus (make test).
set -euo pipefail
cd "$(dirname "$0")/../.."
name=$1
if [[ ! -x build/fuzz/fuzz_$name ]]; then
  echo "SKIP: build/fuzz/fuzz_$name is not built (scripts/build.sh fuzz builds it)"
  exit 77
fi
FUZZ_SECONDS=${FUZZ_SECONDS:-5} scripts/fuzz.sh "$name"

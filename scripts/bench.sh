#!/usr/bin/env bash
# `make bench`: every benchmark under test/bench/ on the optimised build (build/bench),
# each beside its anchor in the same run. Results go to stdout and build/bench-results.md;
# BENCHMARKS.md records them with the machine's load.
set -euo pipefail
cd "$(dirname "$0")/.."
export IKEGATED=build/bench/ikegated IKESH=build/bench/ikesh
out=build/bench-results.md
: >"$out"
for b in test/bench/bench_*.py; do
  echo "## $(basename "$b" .py)" | tee -a "$out"
  python3 "$b" "$@" | tee -a "$out"
done

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
# The responder again with a proposal the size of strongSwan's default one in every
# IKE_SA_INIT (the SA payload real clients send): the same levels.
echo "## bench_ike_sa (initiator: a default-sized proposal)" | tee -a "$out"
python3 test/bench/bench_ike_sa.py --initiator-proposal default "$@" | tee -a "$out"

#!/usr/bin/env bash
# scripts/fuzz.sh — run every libFuzzer harness of build/fuzz (scripts/build.sh fuzz) for
# FUZZ_SECONDS seconds each (default 60), one after the other. Each starts from a fresh copy
# of its seed corpus test/fuzz/corpus/<name>/ in build/fuzz-run/<name>/ (the committed corpus
# is never written), with test/fuzz/<name>.dict if there is one. libFuzzer's output goes to
# build/fuzz-run/<name>.log; we print one line per harness, and on a crash, a leak, a timeout
# or an invariant violation the log's tail and the saved input, then exit 1 at the end.
#   FUZZ_SECONDS=5 scripts/fuzz.sh            smoke run (make test)
#   scripts/fuzz.sh cmdtree secret            only these harnesses
#   build/fuzz/fuzz_<name> <input>            replay a saved input
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
if [[ ! "$secs" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz: FUZZ_SECONDS must be a positive integer" >&2
  exit 2
fi
bindir=build/fuzz
rundir=build/fuzz-run

harnesses=()
if [[ $# -gt 0 ]]; then
  for n in "$@"; do harnesses+=("$bindir/fuzz_${n#fuzz_}"); done
else
  for b in "$bindir"/fuzz_*; do [[ -f "$b" && -x "$b" ]] && harnesses+=("$b"); done
fi
if [[ ${#harnesses[@]} -eq 0 ]]; then
  echo "fuzz: no harnesses in $bindir (build them with scripts/build.sh fuzz)" >&2
  exit 1
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$rundir"
failed=0
for bin in "${harnesses[@]}"; do
  name=$(basename "$bin")
  name=${name#fuzz_}
  if [[ ! -x "$bin" ]]; then
    printf 'fuzz %-12s MISSING %s\n' "$name" "$bin"
    failed=1
    continue
  fi
  work=$rundir/$name
  log=$rundir/$name.log
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  seeds=test/fuzz/corpus/$name
  [[ -d "$seeds" ]] && cp -R "$seeds/." "$work/corpus/"
  args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$work/artifacts/")
  [[ -f test/fuzz/$name.dict ]] && args+=(-dict="test/fuzz/$name.dict")
  rc=0
  "$bin" "${args[@]}" "$work/corpus" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2 || true)
  corp=$(find "$work/corpus" -type f | wc -l)
  artifact=$(find "$work/artifacts" -type f | head -n 1)
  if [[ $rc -eq 0 && -z "$artifact" ]]; then
    printf 'fuzz %-12s ok     %ss %10s runs %7s exec/s  cov %5s  corpus %s\n' \
      "$name" "$secs" "${runs:-?}" "${speed:-?}" "${cov:-?}" "$corp"
  else
    failed=1
    printf 'fuzz %-12s FAILED (exit %s) after %s runs; input: %s; log: %s\n' \
      "$name" "$rc" "${runs:-?}" "${artifact:-none}" "$log"
    tail -n 40 "$log" | sed 's/^/    /' >&2
  fi
done
exit $failed

#!/usr/bin/env bash
# `make test`: format and layering checks, then every test through ctest on the sanitizer build: unit
# (cmocka), cli (transcripts), lab (processes in namespaces), fuzz (each harness briefly,
# from build/fuzz) and bench (each benchmark once, briefly).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
scripts/format-check.sh
scripts/check-layers.py
scripts/build.sh fuzz
cd build/asan
ctest -j "$(nproc)" --output-on-failure --timeout 900

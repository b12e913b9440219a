#!/usr/bin/env bash
# The one formatting style (.clang-format) is checked on every C file in the tree.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -path ./build -prune -o -name '*.[ch]' -print)
if ! clang-format --dry-run --Werror $files 2>build/format.log; then
  echo "format check failed (run 'make format'):" >&2
  head -n 40 build/format.log >&2
  exit 1
fi
echo "format check: $(echo "$files" | wc -w) files clean"

#!/usr/bin/env bash
# Set up (native deps, restore, build) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
results="$(mktemp -d)"
status=0
dotnet test tests/Augment.Tests -c Release --no-build --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@" || status=$?
trx="$results/results.trx"
if [ -f "$trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  echo "tests: $(get passed) passed, $(get failed) failed, $(( $(get total) - $(get executed) )) skipped"
fi
exit $status

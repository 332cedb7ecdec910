#!/usr/bin/env bash
# Set up (native deps, restore, build) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
# The Slurm integration test needs a cluster: use a running one, else start the one-node local one where we may (root).
filter=()
if ! { command -v sinfo >/dev/null && sinfo -h >/dev/null 2>&1; } && ! { [ "$(id -u)" -eq 0 ] && bash scripts/slurm-local.sh start; }; then
  echo "NOTE: the Slurm integration test is left out: no Slurm cluster here, and starting the local one needs root (bash scripts/slurm-local.sh start)."
  filter=(--filter "needs!=slurm")
fi
results="$(mktemp -d)"
status=0
dotnet test tests/Augment.Tests -c Release --no-build --logger "trx;LogFileName=results.trx" --results-directory "$results" "${filter[@]}" "$@" || status=$?
trx="$results/results.trx"
if [ -f "$trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  echo "tests: $(get passed) passed, $(get failed) failed, $(( $(get total) - $(get executed) )) skipped"
fi
exit $status

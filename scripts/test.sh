#!/usr/bin/env bash
# Set up (native deps, restore, build) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
# The Slurm integration test runs on the one-node local cluster (scripts/slurm-local.sh), never on a real one this
# machine may be a login node of: its jobs need this machine's /tmp.
filter=()
if ! { scontrol show config 2>/dev/null | grep -q 'ClusterName *= *augment-local' && sinfo -h >/dev/null 2>&1; } \
   && ! { [ "$(id -u)" -eq 0 ] && bash scripts/slurm-local.sh start; }; then
  echo "NOTE: the Slurm integration test is left out: the local test cluster is not running and could not be started (it needs root and no other Slurm on this machine: bash scripts/slurm-local.sh start)."
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

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
# One test project per library (tests/Augment.<Project>.Tests), one after another: each is its own test host, and two
# hosts at once would share the CPU cores every libtorch test is sized for.
projects=(tests/*.Tests/*.Tests.csproj)
for project in "${projects[@]}"; do
  name="$(basename "$project" .csproj)"
  dotnet test "$project" -c Release --no-build --logger "trx;LogFileName=$name.trx" --results-directory "$results" "${filter[@]}" "$@" || status=$?
done
passed=0 failed=0 skipped=0 reported=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$((passed + $(get passed))) failed=$((failed + $(get failed))) skipped=$((skipped + $(get total) - $(get executed)))
  reported=$((reported + 1))
done
[ "$reported" -eq "${#projects[@]}" ] || echo "NOTE: $(( ${#projects[@]} - reported )) of ${#projects[@]} test projects wrote no results (see above); the counts below leave them out."
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status

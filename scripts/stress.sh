#!/usr/bin/env bash
# Runs the test suite N times (default 3) beside two busy processes, with a small GC gen-0 budget so collections (and
# finalizers) happen far more often than usual: the conditions under which the suite's host once died in libtorch.
# Each test project (tests/Augment.*.Tests) runs in a host of its own; a crashed host leaves a dump under runs/stress/
# (DOTNET_DbgEnableMiniDump); read it with `dotnet-dump analyze`.
# Exit code: the number of runs that crashed or failed.
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
out="runs/stress"
mkdir -p "$out"
source scripts/setup.sh >"$out/setup.log" 2>&1 || { echo "setup failed: see $out/setup.log"; exit 1; }
yes >/dev/null & busy1=$!
yes >/dev/null & busy2=$!
trap 'kill $busy1 $busy2 2>/dev/null' EXIT
bad=0
for i in $(seq 1 "$runs"); do
  log="$out/run-$i.log"
  DOTNET_GCgen0size=0x100000 DOTNET_DbgEnableMiniDump=1 DOTNET_DbgMiniDumpType=2 DOTNET_DbgMiniDumpName="$PWD/$out/crash-$i-%p.dmp" \
    bash scripts/test.sh >"$log" 2>&1
  rc=$?
  summary=$(grep -E '^tests: ' "$log" | tail -1)
  if grep -q "Test host process crashed\|The active test run was aborted" "$log"; then
    echo "run $i: HOST CRASHED (rc $rc) — $log, dumps: $(ls "$out"/crash-$i-* 2>/dev/null | tr '\n' ' ')"; bad=$((bad + 1))
  elif [ "$rc" -ne 0 ]; then
    echo "run $i: FAILED (rc $rc) ${summary:-} — $log"; bad=$((bad + 1))
  else
    echo "run $i: ok ${summary:-}"
  fi
done
exit "$bad"

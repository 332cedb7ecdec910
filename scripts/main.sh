#!/usr/bin/env bash
# The main job: set up (native deps, restore, build) and run the default sweep on the embedded demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
dotnet run --project src/Augment.Experiments -c Release --no-build -- sweep experiments.yaml "$@"

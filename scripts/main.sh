#!/usr/bin/env bash
# The main job: set up (native deps, restore, build) and run the default sweep on the embedded demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
src/Augment.Cli/bin/Release/net10.0/linux-x64/augment sweep experiments.yaml "$@"

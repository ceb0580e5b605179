#!/usr/bin/env bash
# `run --workers 2` vs one process, flat out against nginx on this machine (see bench/workers.ts
# for the method and the CPU bound of a 2-core machine shared with its target).
# Usage: bash bench/workers.sh [--seconds 10] [--rounds 3] [--nginx-workers 2] [--in-flight 128] [--nice=N]
#                              [--pin] [--json]
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json
exec node dist/bench/workers.js "$@"

#!/usr/bin/env bash
# The stand-in's throughput under the check-in mix: stand-in on CPU 1, autocannon on CPU 0.
# Usage: bash bench/mock-throughput.sh [--duration 10] [--connections 256] [--warmup 2]
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json
exec node dist/bench/mock-throughput.js "$@"

#!/usr/bin/env bash
# The stand-in's throughput under the check-in mix: stand-in (and a bare fastify peer) on CPU 1,
# the driver on CPU 0. See bench/mock-throughput.ts for the method.
# Usage: bash bench/mock-throughput.sh [--duration 10] [--rounds 3] [--connections 256] [--warmup 2]
#                                      [--driver raw|autocannon] [--no-peer]
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json
exec node dist/bench/mock-throughput.js "$@"

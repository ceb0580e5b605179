#!/usr/bin/env bash
# The whole test suite: system packages the tests need, type-check + build, lint, then every test
# (unit tests beside the code in src/, integration tests in test/) with Node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-deps.sh
rm -rf dist
npx tsc -p tsconfig.json
npx biome check .
node --test --test-concurrency=1 --test-timeout=300000 dist/

#!/usr/bin/env bash
# The whole test suite: system packages the tests need, type-check + build, lint, then every test
# (unit tests beside the code in src/, integration tests in test/) with Node's test runner, in the
# phases of scripts/test-suites.mjs: the files that time nothing side by side, then the
# timing-sensitive ones one at a time. One closing summary; exit 1 when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-deps.sh
rm -rf dist
npx tsc -p tsconfig.json
npx biome check .
node scripts/run-tests.mjs all

#!/usr/bin/env bash
# Every benchmark, each printing its figures and ratios against the peers measured in the same run
# (bench-peers.md). Installs the tools they drive when missing: nginx, wrk, hey, Locust (Debian),
# loadtest (npm, into bench/.peers: a peer to measure, not a dependency of the product).
# Usage: npm run bench            (all)
#        npm run bench -- engine  (one of: engine, soak, mock, workers, web; soak takes 10 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for tool in nginx wrk hey taskset locust; do command -v "$tool" >/dev/null 2>&1 || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
  pkgs=("${need[@]/taskset/util-linux}")
  pkgs=("${pkgs[@]/locust/python3-locust}")
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi
if [ ! -x bench/.peers/node_modules/.bin/loadtest ]; then
  npm install --no-save --no-audit --no-fund --prefix bench/.peers loadtest@8.2.1 >/dev/null
fi
npx tsc -p tsconfig.json

which="${1:-all}"
if [ "$which" = all ] || [ "$which" = engine ]; then
  echo "== engine: max rate and 5k req/s smoothness vs wrk, autocannon, hey (nginx on CPU 1, tools on CPU 0)"
  node dist/bench/engine-max.js
  echo "== the smoothness a perfect generator would show for the check-in flows (arithmetic, then with this machine's timer)"
  taskset -c 0 node dist/bench/smoothness-floor.js
fi
if [ "$which" = all ] || [ "$which" = soak ]; then
  echo "== engine at 5000 req/s for 10 minutes: RSS per minute"
  node dist/bench/engine-soak.js
fi
if [ "$which" = all ] || [ "$which" = mock ]; then
  echo "== stand-in: throughput of the fast preset under the check-in mix on one core"
  node dist/bench/mock-throughput.js
fi
if [ "$which" = all ] || [ "$which" = workers ]; then
  echo "== --workers 2 vs 1 against nginx"
  node dist/bench/workers.js
fi
if [ "$which" = all ] || [ "$which" = web ]; then
  echo "== the live page (run --web, one event stream open) vs none, paired, against nginx"
  node dist/bench/web-page.js
fi

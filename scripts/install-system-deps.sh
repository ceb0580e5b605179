#!/usr/bin/env bash
# Installs the Debian packages the tests use, when they are missing: Chromium (the HTML report is
# tested in a real browser), Prometheus (scrapes a live run) and openssl (TLS test certificates).
# Tests never skip for a missing tool: if this fails, the test command fails.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ ${#need[@]} -eq 0 ] && exit 0

echo "installing Debian packages for the tests: ${need[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

#!/usr/bin/env bash
# Make sure the browser tests (tests/browser/) have what they drive and inject: Debian's
# headless Chromium at /usr/bin/chromium and axe-core from the npm registry, pinned by
# tests/browser/package-lock.json. Playwright's own browser download is never used: the tests
# point Playwright at the system Chromium, so nothing outside the package registries is fetched.
# CONCORDAT_SKIP_BROWSER=1 skips this (and the browser tests skip themselves).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${CONCORDAT_SKIP_BROWSER:-}" = "1" ]; then
  echo "== browser: skipped (CONCORDAT_SKIP_BROWSER=1)"
  exit 0
fi

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "Chromium not found at /usr/bin/chromium: install it (Debian: apt-get install chromium)" \
         "or set CONCORDAT_SKIP_BROWSER=1 to skip the browser tests" >&2
    exit 1
  fi
  echo "== installing Chromium (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi

axe=tests/browser/node_modules/axe-core/axe.min.js
lock=tests/browser/package-lock.json
stamp=tests/browser/node_modules/.lock-installed
# npm ci again only when the lock file changed since the last install.
if [ ! -f "$axe" ] || [ ! -f "$stamp" ] || ! cmp -s "$lock" "$stamp"; then
  if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
      echo "npm not found: install Node.js and npm (Debian: apt-get install npm)" \
           "or set CONCORDAT_SKIP_BROWSER=1 to skip the browser tests" >&2
      exit 1
    fi
    echo "== installing npm (Debian package)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  echo "== installing axe-core (npm ci, tests/browser/package-lock.json)"
  (cd tests/browser && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
  cp "$lock" "$stamp"
fi

#!/usr/bin/env bash
# Make sure PostgreSQL's server binaries are on this machine (the tests start their own
# throwaway cluster on 127.0.0.1). Installs Debian's package when absent and we are root.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1; then
  exit 0
fi
if [ -n "${CONCORDAT_TEST_PG_URL:-}" ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "PostgreSQL server not found: install it (Debian: apt-get install postgresql)" \
       "or set CONCORDAT_TEST_PG_URL to a server the tests may use" >&2
  exit 1
fi
echo "== installing PostgreSQL (Debian package)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq postgresql >/dev/null
# Debian starts a default cluster on install; the tests use their own, so stop it.
if command -v pg_ctlcluster >/dev/null 2>&1; then
  for conf in /etc/postgresql/*/main; do
    [ -d "$conf" ] && pg_ctlcluster "$(basename "$(dirname "$conf")")" main stop || true
  done
fi

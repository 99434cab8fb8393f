#!/usr/bin/env bash
# Set up, validate the example agreements, plan the next twelve months, and fill the outbox
# of a SQLite database in ./data (embedded defaults; nothing is sent yet).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
CONFIG="${CONCORDAT_CONFIG:-config/examples}"
FROM="${FROM:-$(date +%F)}"
TO="${TO:-$(date -d "$FROM + 1 year" +%F)}"
concordat validate --config "$CONFIG"
concordat plan --config "$CONFIG" --from "$FROM" --to "$TO"
concordat db upgrade
concordat replan --config "$CONFIG" --today "$FROM"

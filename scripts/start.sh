#!/usr/bin/env bash
# Set up, validate the example agreements, show the next twelve months, then run the service
# in the foreground on embedded defaults: SQLite in ./data and mail to the Maildir
# ./data/maildir (no mail server needed). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
CONFIG="${CONCORDAT_CONFIG:-config/examples}"
FROM="${FROM:-$(date +%F)}"
TO="${TO:-$(date -d "$FROM + 1 year" +%F)}"
concordat validate --config "$CONFIG"
concordat plan --config "$CONFIG" --from "$FROM" --to "$TO" | tail -n 12
echo "Mail arrives in ./data/maildir/new (one file per message; read it with any mail reader,"
echo "or: ls data/maildir/new && cat data/maildir/new/<file>)."
exec concordat run --config "$CONFIG"

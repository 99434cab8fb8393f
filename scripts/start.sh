#!/usr/bin/env bash
# Set up, validate the example agreements, show the next twelve months, then run the service
# in the foreground on embedded defaults: SQLite in ./data, mail to the Maildir ./data/maildir
# (no mail server needed), and the dashboard and calendar feeds on http://127.0.0.1:8080.
# Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
CONFIG="${CONCORDAT_CONFIG:-config/examples}"
FROM="${FROM:-$(date +%F)}"
TO="${TO:-$(date -d "$FROM + 1 year" +%F)}"
concordat validate --config "$CONFIG"
concordat plan --config "$CONFIG" --from "$FROM" --to "$TO" | tail -n 12
DATA="${CONCORDAT_DATA:-data}"
mkdir -p "$DATA"
# The dashboard's password: $CONCORDAT_ADMIN_PASSWORD, else one made once and kept in
# ./data/admin-password (readable by you alone).
if [ -z "${CONCORDAT_ADMIN_PASSWORD:-}" ]; then
  if [ ! -s "$DATA/admin-password" ]; then
    (umask 077 && python -c "import secrets; print(secrets.token_urlsafe(18))" > "$DATA/admin-password")
  fi
  CONCORDAT_ADMIN_PASSWORD="$(cat "$DATA/admin-password")"
  export CONCORDAT_ADMIN_PASSWORD
fi
# One calendar feed for a board member of the examples (Sefton's chair), made once.
concordat db upgrade > /dev/null
FEED_CONTACT="${FEED_CONTACT:-council-chair}"
if ! concordat feeds list --config "$CONFIG" | grep -q "contact $FEED_CONTACT .*/feeds/"; then
  concordat feeds issue --config "$CONFIG" --contact "$FEED_CONTACT" > /dev/null
fi
FEED_URL="$(concordat feeds list --config "$CONFIG" | grep "contact $FEED_CONTACT " \
  | grep -o 'http[^ ]*/feeds/[0-9a-f]*\.ics' | tail -n 1)"
echo "Mail arrives in ./data/maildir/new (one file per message; read it with any mail reader,"
echo "or: ls data/maildir/new && cat data/maildir/new/<file>)."
echo "Dashboard: the address on the 'dashboard:' line below; user admin, password"
echo "  $CONCORDAT_ADMIN_PASSWORD (kept in $DATA/admin-password)."
echo "Calendar feed of $FEED_CONTACT: $FEED_URL"
echo "  their page with subscribe buttons: ${FEED_URL%.ics}" | sed 's#/feeds/#/me/#'
exec concordat run --config "$CONFIG"

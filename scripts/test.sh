#!/usr/bin/env bash
# Set up, then run every check CI runs: lint, types, and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/ensure-postgres.sh
bash scripts/ensure-browser.sh
. .venv/bin/activate
echo "== ruff"
ruff check .
ruff format --check .
echo "== mypy"
mypy
echo "== pytest"
pytest "$@"
echo "== extraction evaluation (bench/extract_eval.py: recall, precision, clause refs on the five seeds)"
python bench/extract_eval.py --check

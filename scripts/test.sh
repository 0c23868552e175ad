#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what is missing (scripts/setup.sh), then the web
# engine's type check (tsc) and unit tests (Vitest), then pytest, which includes the browser end-to-end tests.
# Extra arguments go to pytest, e.g. scripts/test.sh -k gatys
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=2
npx tsc --noEmit -p web
npx vitest run --config web/vite.config.ts
exec .venv/bin/python -m pytest --durations=15 "$@"  # the slowest 15 listed: the suite must stay well under 30 minutes

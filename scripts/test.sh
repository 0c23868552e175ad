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
# Two processes, one test handed out at a time (tests/conftest.py orders the longest first); the
# slowest 15 are listed, since the suite must stay well under 30 minutes.
exec .venv/bin/python -m pytest -n "${DEEPSTYLE_TEST_PROCESSES:-2}" --maxschedchunk 1 --durations=15 "$@"

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
# Two processes, handed tests in the order tests/conftest.py sets (the longest first), except that
# the tests of one xdist_group (those sharing a costly module fixture or JAX's compilation cache) go
# to one process together; the slowest 15 are listed, since the suite must stay well under 30 minutes.
exec .venv/bin/python -m pytest -n "${DEEPSTYLE_TEST_PROCESSES:-2}" --dist loadgroup --no-loadscope-reorder \
  --durations=15 "$@"

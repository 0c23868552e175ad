#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what is missing (scripts/setup.sh), then pytest.
# Extra arguments go to pytest, e.g. scripts/test.sh -k gatys
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=2
exec .venv/bin/python -m pytest "$@"

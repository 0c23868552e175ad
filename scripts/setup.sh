#!/usr/bin/env bash
# Installs what Deep Style needs into the checkout: a Python venv in .venv (the package, its pinned
# dependencies and test extras, every transitive version fixed by constraints.txt) and, where
# package-lock.json exists, the npm packages; and Debian's chromium for the browser tests (apt, as root
# or with password-less sudo; the browser tests are skipped without it).
# Safe to run again: each step is skipped when its inputs have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 12)))' 2>/dev/null; then
  echo "setup: Deep Style needs Python 3.11 or 3.12 (TensorFlow 2.19); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

if [ -f package-lock.json ] && ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' 2>/dev/null; then
  echo "setup: Node.js 20 or newer with npm is needed (https://nodejs.org, or apt-get install nodejs npm)" >&2
  exit 1
fi

stamp_of() { cat "$@" | sha256sum | cut -c1-16; }

# A venv that is broken (no pip: python3-venv missing) or of another Python is made again.
if ! .venv/bin/python -c 'import sys, pip; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 12)))' 2>/dev/null; then
  echo "setup: creating .venv" >&2
  rm -rf .venv
  "$PYTHON" -m venv .venv
fi
want=$(stamp_of pyproject.toml constraints.txt)
if [ "$(cat .venv/.deepstyle-stamp 2>/dev/null)" != "$want" ]; then
  # uv installs the same pinned set several times faster than pip (32 s against 173 s here); pip is
  # the fallback where uv cannot be had or cannot reach an index.
  echo "setup: installing Python packages (under a minute on a fresh machine; pip takes about 3)" >&2
  if ! { .venv/bin/python -m pip install -q uv==0.13.9 \
         && .venv/bin/python -m uv pip install -q --python .venv/bin/python -c constraints.txt -e '.[dev]'; }; then
    echo "setup: uv did not install the packages; using pip" >&2
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -c constraints.txt -e '.[dev]'
  fi
  echo "$want" > .venv/.deepstyle-stamp
fi

if [ -f package-lock.json ]; then
  want=$(stamp_of package-lock.json)
  if [ "$(cat node_modules/.deepstyle-stamp 2>/dev/null)" != "$want" ]; then
    echo "setup: installing npm packages" >&2
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" > node_modules/.deepstyle-stamp
  fi
fi

# Browser tests drive Debian's chromium (a test tool's own browser download does not work offline).
if [ ! -x /usr/bin/chromium ] && [ -z "${DEEPSTYLE_NO_BROWSER:-}" ] && command -v apt-get >/dev/null; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo -n"
  echo "setup: installing chromium with apt (about 1 minute)" >&2
  if ! ($sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium) >/dev/null 2>&1; then
    echo "setup: could not install chromium; browser tests will be skipped (apt-get install chromium)" >&2
  fi
fi

#!/usr/bin/env bash
# Builds the site with the shipped models and serves it at http://127.0.0.1:4173/ (PORT, BASE to change).
# Installs what is missing first (scripts/setup.sh). The build in web/dist/ is what GitHub Pages hosts.
set -euo pipefail
cd "$(dirname "$0")/.."
DEEPSTYLE_NO_BROWSER=1 scripts/setup.sh
export BASE=${BASE:-/}
npm run build --silent
echo "serving Deep Style at http://127.0.0.1:${PORT:-4173}${BASE}  (Ctrl-C stops)"
exec npx vite preview --config web/vite.config.ts --port "${PORT:-4173}"

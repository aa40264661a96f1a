#!/usr/bin/env bash
# Installs the web console's third-party front-end code (MapLibre GL JS) from the npm
# registry into src/khazar/console/vendor (git-ignored), where `khazar serve` serves it.
# The versions are pinned by the committed lockfile scripts/console/package-lock.json
# (`npm ci`), so every machine serves the same console. Nothing third-party is committed
# and nothing is loaded from a CDN at run time.
# Idempotent: does nothing when the locked version is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENDOR=src/khazar/console/vendor
LOCK=scripts/console/package-lock.json
DIST="$VENDOR/node_modules/maplibre-gl/dist/maplibre-gl.js"
WANT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["packages"]["node_modules/maplibre-gl"]["version"])' "$LOCK")

if [ -f "$DIST" ] && grep -q "\"version\": \"$WANT\"" "$VENDOR/node_modules/maplibre-gl/package.json" \
   && cmp -s "$LOCK" "$VENDOR/package-lock.json"; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    apt-get install -y -q nodejs npm >/dev/null
fi
if [ -L "$VENDOR" ]; then
    echo "setup-console: $VENDOR is a link; install in the checkout it points to" >&2
    exit 1
fi
mkdir -p "$VENDOR"
cp scripts/console/package.json "$LOCK" "$VENDOR/"
npm ci --silent --no-audit --no-fund --no-update-notifier --prefix "$VENDOR"
test -f "$DIST" || { echo "setup-console: $DIST missing after npm ci" >&2; exit 1; }
grep -q "\"version\": \"$WANT\"" "$VENDOR/node_modules/maplibre-gl/package.json" \
    || { echo "setup-console: maplibre-gl is not the locked $WANT" >&2; exit 1; }

#!/usr/bin/env bash
# Installs the web console's third-party front-end code (MapLibre GL JS) from the npm
# registry into src/khazar/console/vendor (git-ignored), where `khazar serve` serves it.
# Nothing third-party is committed and nothing is loaded from a CDN at run time.
# Idempotent: does nothing when the pinned major version is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENDOR=src/khazar/console/vendor
MAPLIBRE_SPEC="maplibre-gl@5"   # v5: UMD build (dist/maplibre-gl.js), no ES-module MIME needs
DIST="$VENDOR/node_modules/maplibre-gl/dist/maplibre-gl.js"

if [ -f "$DIST" ] && grep -q '"version": "5\.' "$VENDOR/node_modules/maplibre-gl/package.json"; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    apt-get install -y -q nodejs npm >/dev/null
fi
mkdir -p "$VENDOR"
npm install --silent --no-audit --no-fund --no-update-notifier --prefix "$VENDOR" "$MAPLIBRE_SPEC"
test -f "$DIST" || { echo "setup-console: $DIST missing after npm install" >&2; exit 1; }

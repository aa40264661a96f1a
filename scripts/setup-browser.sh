#!/usr/bin/env bash
# Installs what the console's end-to-end tests need: Debian's Chromium (/usr/bin/chromium)
# and fonts (DejaVu covers Azerbaijani letters such as ə). The Playwright *client* comes
# from PyPI with the dev extras; `playwright install` is never run: the tests launch
# Debian's browser through executable_path. Idempotent: skips what is present.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ "${#need[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q "${need[@]}" >/dev/null
fi
if [ -x .venv/bin/python ] && ! .venv/bin/python -c "import playwright" 2>/dev/null; then
    .venv/bin/python -m pip install --quiet playwright
fi

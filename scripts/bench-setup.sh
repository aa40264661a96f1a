#!/usr/bin/env bash
# Benchmark-only peers (never needed by Khazar itself or its tests).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pip install --quiet -e '.[bench]'

#!/usr/bin/env bash
# Sets up everything Khazar needs on a fresh Debian machine: system packages,
# the Python virtual environment and the project in editable mode.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then PYTHON=python3; fi

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
bash scripts/setup-console.sh && bash scripts/setup-browser.sh && bash scripts/setup-postgres.sh
# `khazar theatre build`: GSHHG coastlines and DCW countries through Debian's GMT
if ! command -v gmt >/dev/null 2>&1 || [ ! -e /usr/share/gmt-gshhg/binned_GSHHS_h.nc ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q gmt gmt-gshhg-high >/dev/null
fi
# `khazar detect --engine spark`: PySpark (the dev extra) runs on Java 17 from Debian
if ! command -v java >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q openjdk-17-jre-headless >/dev/null
fi

#!/usr/bin/env bash
# Installs the server profile's database (DESIGN.md C11): Debian's PostgreSQL 15 and PostGIS
# 3.3. Nothing is started here: the tests, the benchmarks and `khazar demo --server-profile`
# start a throw-away cluster of their own (khazar.store.pgcluster) as the unprivileged
# `postgres` user and remove it afterwards. Idempotent: skips what is present.
set -euo pipefail

need=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15 postgresql-client-15)
[ -f /usr/share/postgresql/15/extension/postgis.control ] || need+=(postgresql-15-postgis-3)
if [ "${#need[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: PostgreSQL 15 + PostGIS are missing (${need[*]}); install them as root:" >&2
        echo "  apt-get install -y ${need[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q "${need[@]}" >/dev/null
fi

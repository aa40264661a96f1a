"""The plans of the console's reads on both backends (issue 20, point 2).

A development tool, not used at run time: ``python tools/explain_reads.py [STORE]``.
STORE is a DuckDB store with a ``bench`` viewer (default: the 100 k store ``python -m
bench api`` caches in ``bench/work/``). It is copied into a throw-away PostgreSQL cluster
(``khazar migrate``'s copy), served there, and the console's first requests are made
(``ROUTES``); every statement they run that names a history table is then EXPLAINed on
the DuckDB copy and on PostgreSQL, and its scans printed: a sequential scan of
``positions`` or ``vessels_static`` per request is what this issue removed.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from khazar.api.server import KhazarServer, ServeOptions
from khazar.config import load_settings
from khazar.store import open_store
from khazar.store.pgcluster import running_cluster
from khazar.store.postgres import PostgresBackend
from khazar.store.transfer import migrate_store

ROUTES = ("/api/vessels?limit=500",
          "/api/alerts?state=new&state=acknowledged&state=assigned&limit=200",
          "/api/status", "/api/fleet", "/api/events?limit=100")
HISTORY = ("positions", "vessels_static", "raw_sentences", "detections", "events", "alerts",
           "alert_transitions", "alert_notes")
_PLAN_LINE = re.compile(r"Scan|Table:|Filters|Index|Filter:|Cond")
_NAMES_HISTORY = re.compile(r"\b(" + "|".join(HISTORY) + r")\b")


def _record(seen: list[tuple[str, tuple[Any, ...]]]) -> Any:
    """A stand-in for PostgresBackend.execute that notes each distinct statement."""
    run = PostgresBackend.execute

    def execute(self: PostgresBackend, sql: str, params: Any = None) -> Any:
        if _NAMES_HISTORY.search(sql) and all(s != sql for s, _ in seen):
            seen.append((sql, tuple(params or ())))
        return run(self, sql, params)

    return execute


def main(store: Path) -> None:
    seen: list[tuple[str, tuple[Any, ...]]] = []
    original = PostgresBackend.execute
    with tempfile.TemporaryDirectory() as tmp, running_cluster() as cluster:
        duck = Path(tmp) / "k.duckdb"
        shutil.copyfile(store, duck)
        url = cluster.create_database("explain")
        with open_store(duck) as source, open_store(url) as target:
            migrate_store(source, target, actor="explain")
            target.execute("ANALYZE")
        server = KhazarServer(load_settings(),
                              ServeOptions(db=url, port=0, udp_port=0, detect=False))
        base = server.start_background()
        try:
            token = httpx.post(base + "/api/login", json={
                "username": "bench", "password": "bench password 1234"}).json()["token"]
            PostgresBackend.execute = _record(seen)  # type: ignore[method-assign]
            with httpx.Client(base_url=base,
                              headers={"Authorization": f"Bearer {token}"}) as client:
                for route in ROUTES:
                    print(route, client.get(route).status_code)
        finally:
            PostgresBackend.execute = original  # type: ignore[method-assign]
            server.stop()
        with open_store(duck) as d, open_store(url) as p:
            for sql, params in seen:
                print("=" * 80)
                print(" ".join(sql.split())[:400], params[:6])
                for name, session in (("duckdb", d), ("postgresql", p)):
                    rows = session.execute("EXPLAIN " + sql, list(params)).fetchall()
                    text = "\n".join(str(r[-1]) for r in rows)
                    print(f"-- {name}:")
                    for line in [x.strip(" │") for x in text.splitlines()
                                 if _PLAN_LINE.search(x)][:12]:
                        print("   " + line)


if __name__ == "__main__":
    work = Path(__file__).parents[1] / "bench" / "work"
    found = sorted(work.glob("api-100000-*.duckdb"))
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    elif found:
        main(found[0])
    else:
        sys.exit("no store: run `python -m bench api` first, or name a DuckDB store")

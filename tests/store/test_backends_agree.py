"""DuckDB and PostgreSQL give the same answers: the same commands on the same inputs (real
receiver logs and a simulated red-team day), through every repository they touch, write
the same rows and print the same results. And the audit chain stays one chain when two
processes' handles append to one PostgreSQL database at once."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from khazar.cli import app
from khazar.domain.picture import BBox, Interval
from khazar.store import open_store
from khazar.store.audit import append, verify_store
from khazar.store.queries import latest_vessels, tracks

DATA = Path(__file__).resolve().parents[1] / "data"
START = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
END = "2026-11-20T02:00:00Z"
#: tables only one database has (PostgreSQL keeps the audit head and the servers' lease)
_ONE_SIDED = {"audit_heads", "live_outbox", "live_leader"}


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim")
    _cli("simulate", "--scenario", "mixed", "--hours", "2", "--seed", "5", "--start",
         START.isoformat().replace("+00:00", "Z"), "--out", str(out))
    return out


def _run(db: str, day: Path, work: Path) -> dict[str, object]:
    _cli("ingest", str(day / "feed.nmea"), str(day / "radar.csv"),
         str(DATA / "ais" / "dma" / "stream_example.txt"), "--db", db)
    _cli("detect", "--db", db, "--out", str(work / "events.jsonl"))
    alerts = json.loads(_cli("alerts", "--db", db, "--open", "--now", END, "--format", "json"))
    exported = {kind: _cli("export", kind, "--db", db) for kind in
                ("positions", "vessels", "events")}
    box = BBox(49.0, 38.5, 51.5, 41.0)  # Absheron and the fields east of it
    with open_store(db, read_only=True) as store:
        counts = {k: v for k, v in store.table_counts().items() if k not in _ONE_SIDED}
        report = verify_store(store)
        picture = latest_vessels(store, bbox=box, limit=100_000)
        # the latest states ingest keeps equal those computed from every position
        scanned = latest_vessels(store, bbox=box, limit=100_000,
                                 interval=Interval(None, datetime(2100, 1, 1, tzinfo=UTC)))
        assert picture == scanned
        everyone = latest_vessels(store, limit=100_000)
        assert everyone == latest_vessels(
            store, limit=100_000, interval=Interval(None, datetime(2100, 1, 1, tzinfo=UTC)))
        lines = tracks(store, Interval(START, None), bbox=box, limit=100_000)
    assert report.ok, report.problems
    assert picture[1] > 0 and lines[1] > 0, "the box holds no traffic to compare"
    return {"picture": picture, "tracks": lines,
            "alerts": [(a["id"], a["severity"], a["state"], a["mmsi"]) for a in alerts],
            "events": (work / "events.jsonl").read_text(), "exported": exported,
            "counts": counts}


def test_the_same_commands_give_the_same_results(day: Path, tmp_path: Path,
                                                  pg_url: str) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "p").mkdir()
    duck = _run(str(tmp_path / "d" / "k.duckdb"), day, tmp_path / "d")
    pg = _run(pg_url, day, tmp_path / "p")
    assert duck["counts"] == pg["counts"]
    _same_lines(str(duck["events"]), str(pg["events"]), "events.jsonl")
    assert duck["alerts"] == pg["alerts"] and duck["alerts"]
    assert duck["picture"] == pg["picture"]  # the API's bbox queries
    assert duck["tracks"] == pg["tracks"]
    for kind in ("positions", "vessels", "events"):
        _same_lines(duck["exported"][kind], pg["exported"][kind], kind)  # type: ignore[index]


def _same_lines(duck: str, pg: str, what: str) -> None:
    """Equal texts, or the first lines that differ (pytest's own diff of megabytes of text
    takes hours)."""
    if duck == pg:
        return
    a, b = duck.splitlines(), pg.splitlines()
    first = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                 min(len(a), len(b)))
    pytest.fail(f"{what}: DuckDB {len(a)} lines, PostgreSQL {len(b)}; first difference at "
                f"line {first + 1}:\n  duckdb: {a[first] if first < len(a) else '(end)'}\n"
                f"  postgresql: {b[first] if first < len(b) else '(end)'}", pytrace=False)


def test_two_handles_append_to_one_chain(pg_url: str) -> None:
    """Two open stores (as two servers) append 40 entries each at the same time: one chain
    of 80 entries, no seq taken twice, and it verifies."""
    stores = [open_store(pg_url), open_store(pg_url)]
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            for n in range(40):
                append(stores[i], f"server{i}", "test.append", target=str(n))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    try:
        assert not errors, errors
        report = verify_store(stores[0])
        assert report.ok, report.problems
        assert report.entries == 80 and report.last_seq == 80
        # tampering with one entry is found
        stores[0].execute("UPDATE audit_log SET detail = '{\"x\": 1}' WHERE seq = 40")
        assert not verify_store(stores[1]).ok
    finally:
        for s in stores:
            s.close()

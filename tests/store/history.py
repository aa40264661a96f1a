"""A store made the way an operations centre makes one, for the tests that move whole
stores (migrate, restore, archive): real recorded AIS (gpsd's and libais's corpora) and a
simulated hour of Caspian traffic with its radar contacts, ingested and detected."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from khazar.cli import app

DATA = Path(__file__).parents[1] / "data" / "ais"
runner = CliRunner()


def ok(*args: str) -> str:
    """``khazar ARGS``; its standard output, the command's whole output when it fails."""
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def build_history(out: Path, seed: int, start: str | None = None) -> Path:
    """The store ``out/k.duckdb``: the two real corpora and an hour simulated with ``seed``
    (from ``start``, ISO 8601 UTC, when given), ingested and detected."""
    db = str(out / "k.duckdb")
    ok("ingest", str(DATA / "gpsd" / "sample.aivdm"), str(DATA / "libais" / "test.aivdm"),
       "--db", db)
    ok("simulate", "--scenario", "mixed", "--hours", "1", "--seed", str(seed), "--density",
       "0.1", *(("--start", start) if start else ()), "--out", str(out / "sim"))
    ok("ingest", str(out / "sim" / "feed.nmea"), str(out / "sim" / "radar.csv"), "--db", db)
    ok("detect", "--db", db, "--out", str(out / "events.jsonl"))
    return out / "k.duckdb"

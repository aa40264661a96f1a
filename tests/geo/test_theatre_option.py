"""`--theatre NAME|DIR` on every command that reads geography (issue 17): the command list is
walked, so a new command must either take the option or be named here as one that reads
no geography."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from khazar.cli import app
from khazar.errors import KhazarError

#: commands that read no geography (stored records, users, audit, files, games)
NO_GEOGRAPHY = {
    "alerts ack", "alerts assign", "alerts escalate", "alerts note", "alerts resolve",
    "alerts show", "audit show", "audit verify", "backup", "cot", "events", "evaluate",
    "fleet", "handover", "ingest", "migrate", "nmea-out", "restore", "solve-game", "stats",
    "theatre build", "theatre list", "users add", "users change-password", "users disable",
    "users enable", "users end-session", "users list", "users passwd", "users role",
    "users roles", "users sessions",
}


def _commands(cmd: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, set[str]]]:
    if hasattr(cmd, "commands"):
        for name, sub in cmd.commands.items():
            yield from _commands(sub, (*path, name))
    else:
        yield " ".join(path), {o for p in cmd.params for o in getattr(p, "opts", [])}


def test_every_command_that_reads_geography_takes_theatre() -> None:
    commands = dict(_commands(typer.main.get_command(app)))
    without = {name for name, opts in commands.items() if "--theatre" not in opts}
    assert without == NO_GEOGRAPHY
    for name in ("simulate", "density-map", "eval-seeds", "demo", "export", "detect",
                 "report", "plan", "serve", "listen"):
        assert "--config" in commands[name], name


def _toy_theatre(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "water.geojson").write_text(json.dumps({"type": "Polygon", "coordinates": [
        [[10, 55], [11, 55], [11, 56], [10, 56], [10, 55]]]}))
    (root / "theatre.toml").write_text(
        'name = "toy"\n[files]\nwater = "water.geojson"\n[map]\nextent = [9, 54, 12, 57]\n')
    return root


def test_export_of_zones_follows_the_theatre(tmp_path: Path) -> None:
    toy = _toy_theatre(tmp_path / "toy")
    db = str(tmp_path / "k.duckdb")
    runner = CliRunner()
    sample = Path(__file__).resolve().parents[1] / "data" / "ais" / "pyais" / "sample.ais"
    assert runner.invoke(app, ["ingest", str(sample), "--db", db]).exit_code == 0
    caspian = runner.invoke(app, ["export", "zones", "--db", db])
    assert caspian.exit_code == 0, caspian.output
    assert "aze-territorial-sea" in {json.loads(x)["id"] for x in caspian.stdout.splitlines()}
    result = runner.invoke(app, ["export", "zones", "--db", db, "--theatre", str(toy)])
    assert result.exit_code == 0, result.output
    zones = [json.loads(x) for x in result.stdout.splitlines()]
    assert {z["id"] for z in zones} == {"coast-territorial-sea", "coast-contiguous-zone"}
    assert all(10 <= c[0] <= 11 for z in zones
               for c in z["geometry"]["coordinates"][0])


def test_simulate_on_another_theatre_reads_that_theatre(tmp_path: Path) -> None:
    toy = _toy_theatre(tmp_path / "toy")
    result = CliRunner().invoke(app, ["simulate", "--hours", "1", "--out",
                                      str(tmp_path / "sim"), "--theatre", str(toy)])
    # the toy sea has no platform or pipeline for the simulator's scenarios: a clear error
    assert isinstance(result.exception, KhazarError), result.output
    assert "no platform or no pipeline" in str(result.exception)

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
    "users roles", "users sessions", "users tokens issue", "users tokens list",
    "users tokens revoke", "status", "audit export-head",
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
    # the simulator's places are the Caspian's, not in the toy's extent: a clear error
    assert isinstance(result.exception, KhazarError), result.output
    assert "theatre toy" in str(result.exception)
    assert "Caspian theatre only" in str(result.exception)


def _legend_and_titles(fig: Any) -> tuple[set[str], list[str]]:
    labels = {t.get_text() for legend in fig.legends for t in legend.get_texts()}
    return labels, [ax.get_title() for ax in fig.axes]


def test_the_static_map_is_drawn_from_the_theatre(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    from khazar.config import load_settings
    from khazar.geo import load_geography
    from khazar.geo.mapplot import draw_map

    caspian = draw_map(load_geography(load_settings()))
    labels, titles = _legend_and_titles(caspian)
    assert {"territorial sea 15 nm", "fishery zone to 25 nm", "treaty line", "AZE",
            "IRN"} <= labels
    assert titles[0].startswith("Caspian Sea") and titles[1].startswith("Azerbaijan offshore")
    toy = draw_map(load_geography(load_settings(theatre=str(_toy_theatre(tmp_path / "toy")))))
    labels, titles = _legend_and_titles(toy)
    assert {"territorial sea 12 nm", "contiguous zone to 24 nm", "COAST"} <= labels
    assert "treaty line" not in labels and "AZE" not in labels
    assert titles[0].startswith("toy:") and titles[1] == "detail"
    text = " ".join([*titles, *labels, *(t.get_text() for t in toy.texts)])
    assert "Caspian" not in text and "Azerbaijan" not in text and "Natural Earth" not in text
    assert toy.axes[1].get_xlim() == (9.0, 12.0)  # the detail frame: the toy's extent
    plt.close(caspian)
    plt.close(toy)

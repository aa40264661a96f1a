"""The report's figures read right: integer counts, security events above crossings, labels
that do not overlap, the energy value explained."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PathCollection, QuadMesh
from matplotlib.figure import Figure
from matplotlib.text import Annotation

from khazar.domain.reporting import AlertRow, EventRow
from khazar.geo import load_theatre
from khazar.report import plots
from khazar.report.build import energy_value_note

AZ_BOUNDS = load_theatre(None).detail  # the Caspian theatre's detail frame

T0 = 1_777_600_800.0  # on the hour


@pytest.fixture
def kept(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Figure]]:
    """The figures the plot functions close, kept open for inspection."""
    figs: list[Figure] = []
    close = plt.close
    monkeypatch.setattr(plots.plt, "close", figs.append)
    yield figs
    monkeypatch.undo()
    for f in figs:
        close(f)


def _alert(i: int, t: float, severity: str) -> AlertRow:
    return AlertRow(f"a{i}", "loitering", severity, "new", 1, None, None, t, t, None, "")


def test_alert_timeline_counts_whole_alerts(tmp_path: Path, kept: list[Figure]) -> None:
    alerts = [_alert(0, T0, "high"), _alert(1, T0 + 3600, "low"), _alert(2, T0 + 3700, "low"),
              _alert(3, T0 + 5 * 3600, "critical")]
    plots.alert_timeline(alerts, tmp_path / "t.png")
    (ax,) = kept[0].axes
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks


def _event(i: int, typ: str, lon: float, lat: float) -> EventRow:
    return EventRow(f"e{i}", typ, 1, None, T0, T0 + 60, lat, lon, None, None, {})


def test_events_map_draws_security_events_last_above_the_crossings() -> None:
    rng = np.random.default_rng(1)
    crossings = [_event(i, "zone_entry" if i % 2 else "zone_exit", 50.0 + rng.normal(0, 0.2),
                        40.2 + rng.normal(0, 0.2)) for i in range(2445)]
    security = [_event(10_000 + i, typ, 50.0, 40.2) for i, typ in
                enumerate(["loitering"] * 10 + ["anchor_drag"] * 2 + ["spoofing"] * 12)]
    fig, ax = plt.subplots()
    try:
        artists = plots.draw_events(ax, crossings + security, AZ_BOUNDS)
        layer, *points = artists
        assert isinstance(layer, QuadMesh)  # crossings: one density layer, not 2,445 dots
        assert {p.get_label().split(" ")[0] for p in points} == {
            "loitering", "anchor_drag", "spoofing"}
        assert all(isinstance(p, PathCollection) for p in points)
        assert min(p.get_zorder() for p in points) > layer.get_zorder()
        assert ax.collections[-len(points):] == points  # drawn last
        assert points[-1].get_label().startswith("anchor_drag")  # the rarest on top
    finally:
        plt.close(fig)


def test_coverage_chart_labels_do_not_overlap(tmp_path: Path, kept: list[Figure]) -> None:
    # as in the demo: most assets small and unpatrolled, bunched in a corner, a few large
    # ones covered stretching the axes
    ids = [f"asset-{i:02d}-platform" for i in range(24)]
    value = {k: 0.2 + 0.01 * i for i, k in enumerate(ids[:21])}
    value.update({ids[21]: 12.0, ids[22]: 31.0, ids[23]: 60.0})
    coverage = {k: 0.0 if i < 21 else 0.6 + 0.1 * (i - 21) for i, k in enumerate(ids)}
    plots.coverage_vs_value(value, coverage, tmp_path / "c.png")
    fig = kept[0]
    (ax,) = fig.axes
    renderer: Any = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    boxes = [t.get_window_extent(renderer) for t in ax.texts if isinstance(t, Annotation)]
    assert boxes
    assert not any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))
    unlabelled = [t for t in fig.texts if "not labelled" in t.get_text()]
    assert len(boxes) == len(ids) or unlabelled  # a crowded label is listed, not dropped


def test_energy_value_is_explained() -> None:
    text = energy_value_note(1.0, 0.01)
    for needle in ("a = 1 per bcm/yr", "b = 0.01 per kb/d", "billion cubic metres",
                   "thousand barrels a day", "max-flow", "BP Statistical Review",
                   "100 kb/d of oil weigh as much as 1 bcm/yr of gas", "18 kb/d"):
        assert needle in text, needle

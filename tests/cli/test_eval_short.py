"""The short evaluation CI runs (DESIGN: 2 seeds of 6 h): the real pipeline, scored.

`khazar eval-seeds` simulates the first two fixed evaluation seeds, ingests and detects them
through child `khazar` processes, raises alerts and scores both against the ground truth.
"""

from __future__ import annotations

import json

from typer.testing import CliRunner

from khazar.cli import app


def test_short_evaluation_detects_every_planted_behaviour() -> None:
    result = CliRunner().invoke(
        app, ["eval-seeds", "--seeds", "2", "--hours", "6", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    pooled = json.loads(result.output)
    for name, s in pooled["scenarios"].items():
        assert s["detected"] == s["planted"], (name, s)
    assert "sts_transfer" in pooled["scenarios"]  # what `encounter` is scored on
    for t in pooled["types"]:
        if t["required_by"]:
            assert t["recall"] >= 0.95, t
    tp = sum(t["true_positives"] for t in pooled["types"])
    fp = sum(t["false_positives"] for t in pooled["types"])
    assert tp / (tp + fp) >= 0.95, pooled["types"]
    alerts = pooled["alerts"]
    assert alerts["lookalike_alerts"] == 0
    assert alerts["authorised_alerts"] == 0
    assert alerts["false_alerts"] <= 1  # ≤ 2 a day over these 0.5 days

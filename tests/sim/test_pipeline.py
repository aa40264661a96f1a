"""`eval-seeds` glue: simulate → ingest → detect → evaluate → pool, with a fake command line."""

from __future__ import annotations

import json
from pathlib import Path

from khazar.config import Settings
from khazar.services.evaluation import EVAL_SEEDS, evaluate_seed
from khazar.sim.evaluate import aggregate
from khazar.sim.truth import Truth
from khazar.sim.world import World


def test_evaluate_seed_drives_ingest_then_detect_and_scores(
    tmp_path: Path, sim_settings: Settings, world: World
) -> None:
    calls: list[list[str]] = []

    def fake_cli(args: list[str]) -> str:
        calls.append(args)
        if args[0] == "detect":
            # a perfect detector: one event of each required type per planted behaviour
            truth = Truth.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
            lines = []
            for b in truth.behaviours:
                for group in b.expected.required:
                    t = group[0]
                    lines.append(json.dumps({
                        "id": f"{b.id}-{t}", "type": t,
                        "mmsi": b.mmsis[0] if b.mmsis else None, "other_mmsi": None,
                        "start": b.start.isoformat(), "end": b.end.isoformat(),
                        "lat": b.radar_targets[0].track[0][1] if b.radar_targets else b.lat,
                        "lon": b.radar_targets[0].track[0][2] if b.radar_targets else b.lon,
                        "zone_id": b.zone_id, "asset_id": b.asset_id, "evidence": {},
                    }))
            Path(args[args.index("--out") + 1]).write_text("\n".join(lines) + "\n")
        return "{}"

    report = evaluate_seed(0, EVAL_SEEDS[0], 1.5, tmp_path, sim_settings, world, cli=fake_cli)
    assert [c[0] for c in calls] == ["ingest", "detect"]
    assert calls[0][1:3] == [str(tmp_path / "feed.nmea"), str(tmp_path / "radar.csv")]
    assert report.seed == EVAL_SEEDS[0] and report.scenario == "mixed"
    assert report.detected_fraction == 1.0
    pooled = aggregate([report, report])
    assert pooled["days"] == round(2 * report.days, 3)
    assert all(s["rate"] == 1.0 for s in pooled["scenarios"].values())
    by = {t["type"]: t for t in pooled["types"]}
    assert by["spoofing"]["required_by"] == 4 and by["spoofing"]["false_positives"] == 0


def test_tuning_seeds_are_fixed_and_disjoint_from_the_evaluation_seeds() -> None:
    from khazar.services.evaluation import EVAL_START, SEED_SETS, TUNING_SEEDS, TUNING_START

    assert EVAL_SEEDS == (11, 23, 37, 41, 59, 67, 73, 89, 97, 103)
    assert set(range(201, 211)) == set(TUNING_SEEDS) and len(TUNING_SEEDS) == 10
    assert not set(TUNING_SEEDS) & set(EVAL_SEEDS)
    assert SEED_SETS == {"eval": (EVAL_SEEDS, EVAL_START), "tuning": (TUNING_SEEDS, TUNING_START)}
    assert TUNING_START != EVAL_START  # other simulated days as well

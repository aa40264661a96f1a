"""A short `mixed` run: determinism, decodable and valid NMEA, vessels in water, truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from pyais import decode
from typer.testing import CliRunner

from khazar.cli import app
from khazar.config import Settings
from khazar.errors import InputError
from khazar.sim.engine import SimulationRun, simulate
from khazar.sim.nmea import nmea_checksum
from khazar.sim.output import write_run
from khazar.sim.scenarios import RED_TEAM
from khazar.sim.truth import SCENARIO_EVENTS, Truth
from khazar.sim.world import World
from khazar.units import epoch_s

from .conftest import DENSITY, HOURS, START


def test_same_seed_same_bytes_other_seed_differs(
    mixed_dir: Path, sim_settings: Settings, world: World, tmp_path: Path
) -> None:
    again = simulate("mixed", HOURS, 5, START, sim_settings, world=world, density=DENSITY)
    write_run(again, tmp_path / "again")
    for name in ("feed.nmea", "truth.json", "radar.csv"):
        assert (mixed_dir / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
    other = simulate("mixed", HOURS, 6, START, sim_settings, world=world, density=DENSITY)
    write_run(other, tmp_path / "other")
    for name in ("feed.nmea", "truth.json"):
        assert (mixed_dir / name).read_bytes() != (tmp_path / "other" / name).read_bytes()


def test_every_sentence_is_valid_and_decodes(mixed_dir: Path) -> None:
    lines = (mixed_dir / "feed.nmea").read_text(encoding="ascii").splitlines()
    assert len(lines) > 10_000
    last_t = 0
    stations: set[str] = set()
    pending: list[str] = []
    types: set[int] = set()
    for line in lines:
        assert line.startswith("\\s:")
        tag, sentence = line[1:].split("\\", 1)
        body, cs = tag.split("*")
        assert nmea_checksum(body) == cs
        fields = dict(kv.split(":", 1) for kv in body.split(","))
        stations.add(fields["s"])
        t = int(fields["c"])
        assert t >= last_t  # ordered by receive time
        last_t = t
        sbody, scs = sentence[1:].split("*")
        assert nmea_checksum(sbody) == scs
        parts = sbody.split(",")
        if parts[1] == "1":
            types.add(decode(sentence).msg_type)
            continue
        pending.append(sentence)
        if parts[2] == parts[1]:
            types.add(decode(*pending).msg_type)
            pending = []
    assert not pending
    assert {1, 5, 18, 24} <= types
    assert stations <= {"AZ-BAKU", "AZ-SANGACHAL", "AZ-SUMQAYIT", "AZ-LANKARAN",
                        "AZ-NEFTDASLARI"}
    assert int(lines[0].split("c:")[1][:10]) >= epoch_s(START)


def test_vessels_stay_in_water(mixed_run: SimulationRun, world: World) -> None:
    lat = np.concatenate([v.movement.lat for v in mixed_run.vessels])
    lon = np.concatenate([v.movement.lon for v in mixed_run.vessels])
    wet = world.in_water(lat, lon)
    # vertices may sit on the coast at a berth; nothing deeper inland than that
    assert wet.mean() > 0.995
    from shapely.geometry import Point

    water = world.geo.water.buffer(0.01)  # ≈ 1 km: a berth at the coastline
    dry = [(a, o) for a, o, w in zip(lat, lon, wet, strict=True) if not w]
    assert all(water.contains(Point(o, a)) for a, o in dry)


def test_truth_lists_every_red_team_behaviour(mixed_run: SimulationRun, mixed_dir: Path) -> None:
    truth = Truth.loads((mixed_dir / "truth.json").read_text(encoding="utf-8"))
    scenarios = [b.scenario for b in truth.behaviours]
    assert set(scenarios) == set(RED_TEAM)
    assert scenarios.count("spoofing") == 2  # teleport and MMSI clash
    for b in truth.behaviours:
        assert truth.start <= b.start < b.end <= truth.end
        assert b.mmsis or b.radar_targets
        assert b.expected is SCENARIO_EVENTS[b.scenario]
    dark = [b for b in truth.behaviours if b.scenario in ("fast_dark_boat", "dark_rendezvous")]
    assert all(len(b.radar_targets[0].track) > 10 for b in dark)
    kinds = {la.kind for la in truth.lookalikes}
    assert {"supply_idle_platform", "anchored_off_baku", "fishing_boats_in_harbour",
            "harbour_craft_working"} <= kinds
    assert truth.zone_entry_scope and truth.authorised[423900001] == ("*",)
    assert truth.stats["vessels"] >= 150


def test_radar_sees_the_dark_boats(mixed_run: SimulationRun) -> None:
    radar = mixed_run.radar
    for b in mixed_run.truth.behaviours:
        if b.scenario != "fast_dark_boat":
            continue
        hits = 0
        for t, lat, lon in b.radar_targets[0].track:
            sel = np.abs(radar.t_s - t.timestamp()) <= 120
            if sel.any():
                d = np.hypot((radar.lat[sel] - lat) * 111_000, (radar.lon[sel] - lon) * 85_000)
                hits += bool((d < 1500).any())
        assert hits > 5


def test_spoofed_track_is_invisible_to_radar(mixed_run: SimulationRun) -> None:
    fakes = [v for v in mixed_run.vessels if not v.physical]
    assert len(fakes) == 2 and all(v.transmits for v in fakes)  # teleport and clash
    dark = [v for v in mixed_run.vessels if not v.transmits]
    assert len(dark) == 2  # rendezvous boat and fast boat


def test_cli_simulate_and_evaluate(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "run"
    res = runner.invoke(app, ["simulate", "--scenario", "safety_zone_entry", "--hours", "1.5",
                              "--density", "0.3", "--seed", "3", "--start", "2026-02-01T00:00:00Z",
                              "--out", str(out), "--format", "json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    assert summary["behaviours"] == 1 and summary["sentences"] > 500
    truth = Truth.loads((out / "truth.json").read_text(encoding="utf-8"))
    (b,) = truth.behaviours
    event = {"id": "x", "type": "zone_entry", "mmsi": b.mmsis[0], "other_mmsi": None,
             "start": b.start.isoformat(), "end": b.end.isoformat(), "lat": b.lat,
             "lon": b.lon, "zone_id": b.zone_id, "asset_id": b.asset_id, "evidence": {}}
    (tmp_path / "ev.jsonl").write_text(json.dumps(event) + "\n")
    res = runner.invoke(app, ["evaluate", "--truth", str(out / "truth.json"), "--events",
                              str(tmp_path / "ev.jsonl"), "--format", "json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    ze = next(t for t in report["types"] if t["type"] == "zone_entry")
    assert ze["recall"] == 1.0 and ze["precision"] == 1.0
    assert report["behaviours_detected"] == 1.0


def test_unknown_scenario_is_an_input_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["simulate", "--scenario", "pirates", "--out", str(tmp_path)])
    # the app's runner turns InputError into exit code 2 with this message
    assert isinstance(res.exception, InputError)
    assert "'pirates'" in str(res.exception) and "mixed" in str(res.exception)


def test_khazar_ingest_accepts_the_feed_with_zero_rejects(mixed_dir: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["ingest", str(mixed_dir / "feed.nmea"),
                                   str(mixed_dir / "radar.csv"), "--db",
                                   str(tmp_path / "k.duckdb"), "--format", "json"])
    assert res.exit_code == 0, res.output
    total = json.loads(res.output)["total"]
    assert total["rejected"] == 0 and total["by_reason"] == {}
    assert total["pending"] == 0
    assert total["positions"] > 10_000 and total["detections"] > 1_000
    assert total["vessels_static"] > 100


def test_no_simulated_vessel_takes_a_registry_mmsi(
    mixed_run: SimulationRun, sim_settings: Settings
) -> None:
    registry = {m for ms in sim_settings.registry.authorised.values() for m in ms}
    fleet = sim_settings.own_fleet_mmsis
    for v in mixed_run.vessels:
        if v.mmsi in registry:
            assert v.kind in ("supply", "crew")
        if v.mmsi in fleet:
            assert v.kind == "patrol"
    # only the spoofing scenario puts one MMSI on two tracks: the teleport's hull and its
    # spoofed track, the clash victim and the clashing hull
    mmsis = [v.mmsi for v in mixed_run.vessels]
    dupes = {m for m in mmsis if mmsis.count(m) > 1}
    spoof = {m for b in mixed_run.truth.behaviours if b.scenario == "spoofing" for m in b.mmsis}
    assert len(dupes) == 2 and dupes <= spoof


def test_normal_traffic_keeps_out_of_platform_safety_zones(
    mixed_run: SimulationRun, sim_settings: Settings, world: World
) -> None:
    from khazar.units import haversine_m

    registry = {m for ms in sim_settings.registry.authorised.values() for m in ms}
    registry |= set(sim_settings.own_fleet_mmsis)
    planted = {m for b in mixed_run.truth.behaviours for m in b.mmsis}
    for v in mixed_run.vessels:
        if v.mmsi in registry or v.mmsi in planted or not v.physical:
            continue
        ts = np.arange(v.movement.start_s, v.movement.end_s, 10.0)
        lat, lon = v.movement.position_at(ts)
        for p in world.platforms:
            assert float(haversine_m(lat, lon, p.lat, p.lon).min()) > p.safety_radius_m, v.mmsi


def test_fishing_harbours_are_ports_of_the_geography(
    mixed_run: SimulationRun, world: World
) -> None:
    from khazar.units import haversine_m

    harbours = [lk for lk in mixed_run.truth.lookalikes if lk.kind == "fishing_boats_in_harbour"]
    assert len(harbours) >= 5
    for lk in harbours:
        # the harbour's point snapped to the (coarse) coast's water lies within the visit circle
        d_m = min(float(haversine_m(lk.lat, lk.lon, p.lat, p.lon)) for p in world.geo.ports)
        assert d_m < 4000.0, (lk.note, d_m)


def test_fishing_stays_out_of_corridors_and_the_anchorage(
    mixed_run: SimulationRun, world: World
) -> None:
    from khazar.sim.movement import NAV_FISHING
    from khazar.units import haversine_m

    anchored = [(lk.lat, lk.lon) for lk in mixed_run.truth.lookalikes
                if lk.kind == "anchored_off_baku"]
    assert anchored
    for v in mixed_run.vessels:
        if v.kind != "fishing":
            continue
        m = v.movement
        for i in np.flatnonzero(m.status == NAV_FISHING):
            lat, lon = float(m.lat[i]), float(m.lon[i])
            assert world.protected_distance_m(lat, lon) > 500.0, v.mmsi
            # nor among the ships at anchor off Baku
            assert min(float(haversine_m(lat, lon, a, o)) for a, o in anchored) > 1000.0


def test_normal_traffic_does_not_vanish_at_sea(
    mixed_run: SimulationRun, world: World
) -> None:
    from khazar.units import haversine_m

    planted = {m for b in mixed_run.truth.behaviours for m in b.mmsis}
    end_s = epoch_s(START) + HOURS * 3600.0
    places = list(world.places.values())
    for v in mixed_run.vessels:
        if v.mmsi in planted or not (v.physical and v.transmits) or v.movement.end_s >= end_s - 60:
            continue
        lat, lon = float(v.movement.lat[-1]), float(v.movement.lon[-1])
        d_m = min(float(haversine_m(lat, lon, a, b)) for a, b in places)
        assert d_m < 5000.0, (v.mmsi, v.kind, lat, lon)


def test_the_dark_rendezvous_meets_where_a_coastal_radar_sees_it(
    sim_settings: Settings, world: World
) -> None:
    from khazar.sim.ais import DEFAULT_STATIONS
    from khazar.sim.engine import simulate_movements
    from khazar.sim.scenarios.dark_rendezvous import RADAR_NM
    from khazar.units import M_PER_NM, haversine_m

    for seed in range(1, 7):
        mv = simulate_movements("dark_rendezvous", 3.0, seed, START, sim_settings, world=world,
                                density=0.05)
        (b,) = mv.red.behaviours
        d_nm = min(float(haversine_m(b.lat, b.lon, s.lat, s.lon)) for s in DEFAULT_STATIONS)
        assert d_nm / M_PER_NM <= RADAR_NM


def test_the_sts_transfer_lies_alongside_in_open_water(
    sim_settings: Settings, world: World
) -> None:
    from khazar.sim.engine import simulate_movements
    from khazar.sim.geometry import destination
    from khazar.sim.scenarios.sts_transfer import PORT_MIN_M, SHORE_MIN_M
    from khazar.units import haversine_m

    ports = [(p.lat, p.lon) for p in world.geo.ports]
    for seed in range(1, 5):
        mv = simulate_movements("sts_transfer", 8.0, seed, START, sim_settings, world=world,
                                density=0.05)
        (b,) = mv.red.behaviours
        assert b.expected.types == {"encounter"}
        assert min(float(haversine_m(b.lat, b.lon, a, o)) for a, o in ports) >= PORT_MIN_M
        ring = [destination(b.lat, b.lon, brg, SHORE_MIN_M) for brg in range(0, 360, 10)]
        assert world.in_water(np.asarray([p[0] for p in ring]),
                              np.asarray([p[1] for p in ring])).all()  # open water
        ships = [v for v in mv.red.vessels if v.mmsi in b.mmsis]
        assert len(ships) == 2 and all(v.transmits and v.physical for v in ships)
        ts = np.arange(b.start.timestamp() + 120, b.end.timestamp() - 120, 60.0)
        (la, lo), (lb, ob) = (v.movement.position_at(ts) for v in ships)
        apart_m = haversine_m(la, lo, lb, ob)
        assert (b.end - b.start).total_seconds() >= 1.5 * 3600
        assert float(np.max(apart_m)) < 100.0  # alongside for the whole transfer
        speed_kn = haversine_m(la[1:], lo[1:], la[:-1], lo[:-1]) / 60.0 / 0.514444
        assert float(np.median(speed_kn)) < 2.0  # drifting together

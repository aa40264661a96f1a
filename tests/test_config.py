from __future__ import annotations

from pathlib import Path

import pytest

from khazar.config import load_settings
from khazar.errors import ConfigError


def test_defaults_have_twelve_boats_and_published_thresholds() -> None:
    s = load_settings()
    assert len(s.fleet) == 12
    assert len(s.own_fleet_mmsis) == 12
    assert s.detect.loiter_speed_kn == 2.0
    assert s.detect.encounter_distance_m == 500.0
    assert s.detect.dark_distance_m == 1500.0
    assert s.detect.lateness_window_s == 600.0


def test_toml_file_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "k.toml"
    cfg.write_text('[detect]\nloiter_min_h = 2.0\n[energy]\noil_weight_per_kbd = 0.05\n')
    s = load_settings(cfg)
    assert s.detect.loiter_min_h == 2.0
    assert s.energy.oil_weight_per_kbd == 0.05
    monkeypatch.setenv("KHAZAR_DETECT__LOITER_MIN_H", "3.5")
    assert load_settings(cfg).detect.loiter_min_h == 3.5


def test_unknown_key_is_rejected_with_its_name(tmp_path: Path) -> None:
    cfg = tmp_path / "k.toml"
    cfg.write_text("[detect]\nloiter_speed_knots = 2.0\n")
    with pytest.raises(ConfigError, match="loiter_speed_knots"):
        load_settings(cfg)


def test_fleet_from_toml(tmp_path: Path) -> None:
    cfg = tmp_path / "k.toml"
    cfg.write_text(
        "[[fleet]]\nname='A'\nmmsi=423000001\nbase='Baku'\nbase_lat=40.33\nbase_lon=49.87\n"
        "cruise_speed_kn=15\nmax_speed_kn=30\nendurance_h=10\n"
    )
    s = load_settings(cfg)
    assert [b.name for b in s.fleet] == ["A"]


def test_boat_speeds_are_checked(tmp_path: Path) -> None:
    cfg = tmp_path / "k.toml"
    cfg.write_text(
        "[[fleet]]\nname='A'\nmmsi=423000001\nbase='Baku'\nbase_lat=40.33\nbase_lon=49.87\n"
        "cruise_speed_kn=30\nmax_speed_kn=20\nendurance_h=10\n"
    )
    with pytest.raises(ConfigError, match="max_speed_kn"):
        load_settings(cfg)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_log_level_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    """KHAZAR_LOG_LEVEL=warning as `--log-level warning` takes it; a wrong name still fails."""
    monkeypatch.setenv("KHAZAR_LOG_LEVEL", "warning")
    assert load_settings().log_level == "WARNING"
    monkeypatch.setenv("KHAZAR_LOG_LEVEL", "loud")
    with pytest.raises(ConfigError, match="log_level"):
        load_settings()

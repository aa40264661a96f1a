"""The console's dictionaries (src/khazar/console/i18n.js), read as text: no browser.

Both languages have the same keys, no value is empty, every literal key the console's
scripts and page ask for exists, and the verbs a watch officer tells apart are distinct."""

from __future__ import annotations

import json
import re
from pathlib import Path

CONSOLE = Path(__file__).resolve().parents[2] / "src" / "khazar" / "console"
_ENTRY = re.compile(r'^\s*("(?:[^"\\]|\\.)*")\s*:\s*("(?:[^"\\]|\\.)*"),?\s*$')


def dictionaries() -> dict[str, dict[str, str]]:
    """{language: {key: value}} from i18n.js's STRINGS, one ``"key": "value",`` a line."""
    text = (CONSOLE / "i18n.js").read_text(encoding="utf-8")
    out: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.splitlines():
        head = re.match(r"^\s{4}([a-z]{2}): \{\s*$", line)
        if head:
            current = out.setdefault(head.group(1), {})
            continue
        if current is not None and re.match(r"^\s{4}\},?\s*$", line):
            current = None
            continue
        if current is not None:
            # several pairs may share a line: "a": "x", "b": "y",
            for key, value in re.findall(r'("(?:[^"\\]|\\.)*")\s*:\s*("(?:[^"\\]|\\.)*")', line):
                k = json.loads(key)
                assert k not in current, f"{k} twice"
                current[k] = json.loads(value)
    return out


def test_both_languages_have_the_same_keys() -> None:
    d = dictionaries()
    assert set(d) == {"en", "az"}
    assert len(d["en"]) > 150
    only_en = sorted(set(d["en"]) - set(d["az"]))
    only_az = sorted(set(d["az"]) - set(d["en"]))
    assert only_en == [] and only_az == [], (only_en, only_az)
    empty = [(lang, k) for lang, table in d.items() for k, v in table.items() if not v.strip()]
    assert empty == []


def test_every_literal_key_used_exists() -> None:
    d = dictionaries()
    used: set[str] = set()
    for path in CONSOLE.glob("*.js"):
        used |= set(re.findall(r'\bt\("([a-z_]+(?:\.[a-z_:\-0-9]+)+|logout)"\)', path.read_text()))
    html = (CONSOLE / "index.html").read_text()
    used |= set(re.findall(r'data-i18n(?:-title)?="([^"]+)"', html))
    assert len(used) > 50
    missing = sorted(used - set(d["en"]))
    assert missing == []


def test_distinct_verbs_in_azerbaijani() -> None:
    az = dictionaries()["az"]
    assert az["dispatch.button"] != az["dispatch.send"]  # Dispatch ≠ Send
    assert az["alerts.resolve"] != az["dispatch.close"]  # Resolve ≠ Close
    assert az["alerts.ack"] != az["alerts.assign"]


def test_alert_types_and_map_labels_are_translated() -> None:
    d = dictionaries()
    for key in [k for k in d["en"] if k.startswith(("type.", "place.port:", "severity."))]:
        if key == "type.at":
            continue
        assert d["az"][key] != d["en"][key], key

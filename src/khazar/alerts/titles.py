"""Human titles of alerts, in English and Azerbaijani: "Anchor drag by CASPIAN STAR across
the ACG 24-inch oil export line" rather than ``anchor_drag``. Pure.

A title is built from the alert's type, its vessel's name (its MMSI when the vessel never
sent one; the pair for an encounter) and its place: the protected asset's name, else the
zone's. Each type has one template per language and a form without a place; a type this
module does not know is titled from its words, never left raw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ALERT_TYPES", "LANGUAGES", "TEMPLATES", "Titles", "alert_titles", "short_place"]

LANGUAGES = ("en", "az")


@dataclass(frozen=True, slots=True)
class _Template:
    at: str  # with {place}
    bare: str  # without a place


#: alert (event) type → language → template; {vessel}, {other} and {place} are filled in
TEMPLATES: dict[str, dict[str, _Template]] = {
    "anchor_drag": {
        "en": _Template("Anchor drag by {vessel} across the {place}", "Anchor drag by {vessel}"),
        "az": _Template("Lövbərin sürüklənməsi: {vessel}, {place} üzərindən",
                        "Lövbərin sürüklənməsi: {vessel}"),
    },
    "anchor_down": {
        "en": _Template("{vessel}, anchor likely down, heading for the {place}",
                        "{vessel}, anchor likely down"),
        "az": _Template("Lövbər yəqin ki, salınıb: {vessel}, {place} istiqamətində",
                        "Lövbər yəqin ki, salınıb: {vessel}"),
    },
    "loitering": {
        "en": _Template("{vessel} loitering at the {place}", "{vessel} loitering"),
        "az": _Template("Şübhəli dolaşma: {vessel}, {place} yanında",
                        "Şübhəli dolaşma: {vessel}"),
    },
    "zone_entry": {
        "en": _Template("{vessel} entered the {place}", "{vessel} entered a watched zone"),
        "az": _Template("Zonaya daxil olma: {vessel}, {place}",
                        "Nəzarət zonasına daxil olma: {vessel}"),
    },
    "zone_exit": {
        "en": _Template("{vessel} left the {place}", "{vessel} left a watched zone"),
        "az": _Template("Zonadan çıxma: {vessel}, {place}",
                        "Nəzarət zonasından çıxma: {vessel}"),
    },
    "encounter": {
        "en": _Template("Rendezvous of {vessel} and {other} near the {place}",
                        "Rendezvous of {vessel} and {other}"),
        "az": _Template("Gəmilərin dənizdə görüşü: {vessel} və {other}, {place} yaxınlığında",
                        "Gəmilərin dənizdə görüşü: {vessel} və {other}"),
    },
    "ais_gap": {
        "en": _Template("AIS gap of {vessel} near the {place}", "AIS gap of {vessel}"),
        "az": _Template("AIS siqnalının kəsilməsi: {vessel}, {place} yaxınlığında",
                        "AIS siqnalının kəsilməsi: {vessel}"),
    },
    "spoofing": {
        "en": _Template("Identity spoofing by {vessel} near the {place}",
                        "Identity spoofing by {vessel}"),
        "az": _Template("AIS kimliyinin saxtalaşdırılması: {vessel}, {place} yaxınlığında",
                        "AIS kimliyinin saxtalaşdırılması: {vessel}"),
    },
    "port_visit": {
        "en": _Template("{vessel} called at the {place}", "{vessel} called at a port"),
        "az": _Template("Limana giriş: {vessel}, {place}", "Limana giriş: {vessel}"),
    },
    "dark_vessel": {
        "en": _Template("Vessel without AIS near the {place}", "Vessel without AIS"),
        "az": _Template("AIS-siz gəmi: {place} yaxınlığında", "AIS-siz gəmi"),
    },
}

#: every alert type with a title (the detectors' event types)
ALERT_TYPES = tuple(TEMPLATES)

_UNNAMED = {"en": "an unidentified vessel", "az": "naməlum gəmi"}
_FALLBACK = {"en": _Template("{kind} of {vessel} near the {place}", "{kind} of {vessel}"),
             "az": _Template("{kind}: {vessel}, {place} yaxınlığında", "{kind}: {vessel}")}


@dataclass(frozen=True, slots=True)
class Titles:
    en: str
    az: str


def short_place(name: str | None) -> str | None:
    """An asset or zone name as a title uses it: without remarks in brackets and, for a
    line, without its route or corridor after the word "line" ("ACG 24-inch oil export line
    Chirag-1 → Sangachal" → "ACG 24-inch oil export line"); else up to an arrow."""
    if not name or not name.strip():
        return None
    base = re.sub(r"\s*\([^)]*\)", "", name).strip()
    words = base.split()
    ends = [i for i, w in enumerate(words) if w.lower() in _LINE_WORDS]
    if ends:
        base = " ".join(words[: ends[-1] + 1])
    elif "→" in base:
        base = base.split("→")[0].strip()
    return base or name.strip()


_LINE_WORDS = frozenset({"line", "pipeline", "cable"})


def _vessel(name: str | None, mmsi: int | None, lang: str) -> str:
    if name and name.strip():
        return name.strip()
    return f"MMSI {mmsi}" if mmsi is not None else _UNNAMED[lang]


def alert_titles(
    alert_type: str,
    vessel_name: str | None,
    mmsi: int | None,
    place: str | None,
    other_name: str | None = None,
    other_mmsi: int | None = None,
    minutes: float | None = None,
) -> Titles:
    """The alert's title in English and Azerbaijani. ``place`` is the asset's (else the
    zone's) name as :func:`short_place` gives it, or None; ``minutes``: a pre-alert's time
    to impact, said after the place ("… heading for the ACG 24-inch oil export line, in
    about 48 min")."""
    out = {}
    for lang in LANGUAGES:
        tpl = TEMPLATES.get(alert_type, {}).get(lang) or _FALLBACK[lang]
        kind = alert_type.replace("_", " ").strip().capitalize() or "Alert"
        text = (tpl.at if place else tpl.bare).format(
            vessel=_vessel(vessel_name, mmsi, lang),
            other=_vessel(other_name, other_mmsi, lang),
            place=place or "", kind=kind,
        )
        if minutes is not None and place:
            text += _IN_ABOUT[lang].format(minutes=round(minutes))
        out[lang] = text[:1].upper() + text[1:]
    return Titles(en=out["en"], az=out["az"])


_IN_ABOUT = {"en": ", in about {minutes} min", "az": ", təxminən {minutes} dəq ərzində"}

"""Reading ``energy_network.csv`` rows: what kind of number each row holds, in which unit.

The ``unit`` column says what a number is ("b/d actual", "bcm/yr design capacity",
"Mt condensate actual, H1 only", …). This module classifies it and converts it to the two
units of the model: **gas in bcm/yr, oil (crude and condensate) in kb/d**.

Unit factors (stated once, here):

=====================  ===========================================================
1 mcm/d                × 0.365 → bcm/yr
1 b/d                  ÷ 1000 → kb/d
1 t of oil             × 7.33 bbl (the factor the data's derivations use)
1 Mt/yr                × 1e6 × 7.33 ÷ 365 ÷ 1000 → kb/d  (= 20.08 kb/d)
1 t/yr                 × 7.33 ÷ 365 ÷ 1000 → kb/d
1 million bbl/yr       × 1e6 ÷ 365 ÷ 1000 → kb/d
=====================  ===========================================================
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "BBL_PER_TONNE",
    "BCM_YR_PER_MCM_D",
    "FlowRow",
    "RowKind",
    "classify_unit",
    "parse_network_csv",
    "to_model_unit",
]

BBL_PER_TONNE = 7.33
BCM_YR_PER_MCM_D = 0.365
DAYS_PER_YEAR = 365.0

#: words that make a figure cover only part of a year (never used as annual supply)
_PART_YEAR = re.compile(r"\bH1\b|\bonly\b|Jan-|from July|cumulative|expected|not actual|planned")
#: rows whose number is not a flow at all
_NOT_A_FLOW = re.compile(r"^km\b|option on|\bkm of\b")

#: rows the unit text calls full-year but whose source says otherwise: Absheron started in
#: July 2023 (its gas row of the same year says "from July start")
KNOWN_PART_YEAR = frozenset({("Absheron_platform", "Neft_Daslari", "oil", 2023)})


class RowKind(StrEnum):
    actual = "actual"
    design = "design"
    other = "other"  # part-year, planned, cumulative, not a flow, or no number


@dataclass(frozen=True, slots=True)
class FlowRow:
    """One row of the network file, classified; ``value`` in bcm/yr (gas) or kb/d (oil)."""

    src: str
    dst: str
    commodity: str
    kind: RowKind
    value: float | None
    year: int | None
    unit: str
    confidence: str
    source_url: str

    @property
    def is_aggregate(self) -> bool:
        return self.src.startswith("AGG:") or self.dst.startswith("AGG:")

    @property
    def is_bookkeeping(self) -> bool:
        return self.src.startswith("(") or self.dst.startswith("(")


def classify_unit(unit: str) -> RowKind:
    """``actual`` (full-year), ``design`` (nameplate, maximum, allocation) or ``other``."""
    u = unit.strip()
    if not u or _NOT_A_FLOW.search(u) or _PART_YEAR.search(u):
        return RowKind.other
    if "actual" in u or "delivered" in u:
        return RowKind.actual
    if "design" in u or "maximum capacity" in u or "capacity" in u:
        return RowKind.design
    return RowKind.other


def to_model_unit(value: float, unit: str, commodity: str) -> float | None:
    """Convert to bcm/yr (gas) or kb/d (oil); ``None`` for a unit we cannot convert."""
    u = unit.strip()
    if commodity == "gas":
        if u.startswith("mcm/d"):
            return value * BCM_YR_PER_MCM_D
        if u.startswith("bcm"):
            return value
        return None
    if u.startswith("b/d"):
        return value / 1000.0
    if u.startswith("Mt"):
        return value * 1e6 * BBL_PER_TONNE / DAYS_PER_YEAR / 1000.0
    if u.startswith("t/yr"):
        return value * BBL_PER_TONNE / DAYS_PER_YEAR / 1000.0
    if u.startswith("million bbl/yr"):
        return value * 1e6 / DAYS_PER_YEAR / 1000.0
    return None


def parse_network_csv(text: str) -> list[FlowRow]:
    """Parse ``energy_network.csv`` (header ``from,to,commodity,capacity,unit,year,…``)."""
    rows: list[FlowRow] = []
    for rec in csv.DictReader(io.StringIO(text)):
        unit = rec["unit"]
        commodity = rec["commodity"].strip()
        raw = rec["capacity"].strip()
        year = int(rec["year"]) if rec["year"].strip() else None
        kind = classify_unit(unit)
        value = to_model_unit(float(raw), unit, commodity) if raw else None
        if value is None:
            kind = RowKind.other
        if (rec["from"], rec["to"], commodity, year) in KNOWN_PART_YEAR:
            kind = RowKind.other
        rows.append(
            FlowRow(
                src=rec["from"].strip(),
                dst=rec["to"].strip(),
                commodity=commodity,
                kind=kind,
                value=value,
                year=year,
                unit=unit,
                confidence=rec["confidence"].strip(),
                source_url=rec["source_url"].strip(),
            )
        )
    return rows

"""Render the report as one self-contained HTML page (figures as sibling PNG files)."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from html import escape

from khazar.domain.reporting import AlertRow, EventRow
from khazar.report.prealerts import prealert_rows
from khazar.report.scorecard import GOALS, Indicator
from khazar.units import from_epoch_s

__all__ = ["ReportPage", "render"]


@dataclass(frozen=True, slots=True)
class ReportPage:
    title: str
    generated: datetime
    period: tuple[float, float] | None
    totals: dict[str, int]
    indicators: Sequence[Indicator]
    figures: Sequence[tuple[str, str]]  # (file name, caption)
    events: Sequence[EventRow]
    alerts: Sequence[AlertRow]
    notes: Sequence[str]
    #: the theatre's local time shown beside UTC: (hours east of UTC, its name); none at 0
    local: tuple[float, str] = (0.0, "UTC")


def _both(t: datetime, local: tuple[float, str]) -> str:
    offset_h, name = local
    if offset_h == 0:
        return f"{t:%Y-%m-%d %H:%M} UTC"
    tz = timezone(timedelta(hours=offset_h))
    return (f"{t:%Y-%m-%d %H:%M} UTC "
            f"<span class=local>({t.astimezone(tz):%H:%M} {escape(name)})</span>")


def _fmt(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1b2631;background:#f6f8fa}
header{background:#0b2545;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#c9d6e3}main{padding:16px 32px;max-width:1200px}
section{background:#fff;border:1px solid #dde3ea;border-radius:6px;padding:12px 18px;
margin:14px 0}h2{font-size:17px;margin:4px 0 10px;color:#0b2545}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 8px;
border-bottom:1px solid #eef1f4;vertical-align:top}th{background:#f0f3f6;font-weight:600}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.def{color:#5d6d7e;font-size:12px}.note{color:#b9770e;font-size:12px}
.goal{background:#e8eef5;font-weight:700}.local{color:#5d6d7e}
.figs{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:12px}
figure{margin:0}figure img{width:100%;border:1px solid #dde3ea}
figcaption{font-size:12px;color:#5d6d7e}.sev-critical{color:#a50f15;font-weight:700}
.sev-high{color:#e6550d;font-weight:600}.totals span{display:inline-block;margin-right:22px}
.totals b{font-size:18px}
"""


def _scorecard(indicators: Sequence[Indicator]) -> str:
    rows: list[str] = []
    for goal, label in GOALS:
        rows.append(f"<tr><td class=goal colspan=3>{escape(label)}</td></tr>")
        for ind in (i for i in indicators if i.goal == goal):
            note = f"<div class=note>{escape(ind.note)}</div>" if ind.note else ""
            rows.append(
                f"<tr><td>{escape(ind.name)}<div class=def>{escape(ind.definition)}</div>"
                f"{note}</td><td class=num>{_fmt(ind.value)}</td><td>{escape(ind.unit)}</td></tr>"
            )
    return ("<table><tr><th>indicator</th><th>value</th><th>unit</th></tr>"
            + "".join(rows) + "</table>")


def _events_table(events: Sequence[EventRow]) -> str:
    counts = Counter(e.type for e in events)
    vessels: dict[str, set[int]] = {}
    for e in events:
        if e.mmsi is not None:
            vessels.setdefault(e.type, set()).add(e.mmsi)
    rows = "".join(
        f"<tr><td>{escape(t)}</td><td class=num>{n}</td>"
        f"<td class=num>{len(vessels.get(t, ()))}</td></tr>"
        for t, n in sorted(counts.items())
    )
    return ("<table><tr><th>event type</th><th>events</th><th>vessels</th></tr>"
            f"{rows or '<tr><td colspan=3>no events</td></tr>'}</table>")


def _alerts_table(alerts: Sequence[AlertRow], local: tuple[float, str], limit: int = 25
                  ) -> str:
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    top = sorted(alerts, key=lambda a: (order.get(a.severity, 9), -a.first_s))[:limit]
    rows = "".join(
        f"<tr><td class=sev-{escape(a.severity)}>{escape(a.severity)}</td>"
        f"<td>{escape(a.type)}</td><td>{escape(a.state)}</td>"
        f"<td>{a.mmsi if a.mmsi is not None else '—'}</td>"
        f"<td>{escape(a.asset_id or a.zone_id or '—')}</td>"
        f"<td>{_both(from_epoch_s(a.first_s), local)}</td><td>{escape(a.summary)}</td></tr>"
        for a in top
    )
    return ("<table><tr><th>severity</th><th>type</th><th>state</th><th>MMSI</th>"
            "<th>asset / zone</th><th>first seen</th><th>summary</th></tr>"
            f"{rows or '<tr><td colspan=7>no alerts</td></tr>'}</table>")


def _prealerts_table(events: Sequence[EventRow], local: tuple[float, str]) -> str:
    """Pre-alerts (issue 21): decided when, the line, the projected and the real lead."""
    rows = prealert_rows(events)
    body = "".join(
        f"<tr><td>{r.mmsi}</td><td>{escape(r.asset_id)}</td>"
        f"<td>{_both(from_epoch_s(r.decided_s), local)}</td>"
        f"<td class=num>{_fmt(r.projected_min)}</td>"
        f"<td class=num>{_fmt(r.lead_min) if r.lead_min is not None else 'not reached'}</td>"
        f"<td class=num>{_fmt(r.confidence)}</td></tr>"
        for r in rows
    )
    leads = [r.lead_min for r in rows if r.lead_min is not None]
    head = (f"<p>{len(rows)} pre-alerts; {len(leads)} ships reached the line, "
            f"median lead {_fmt(statistics.median(leads))} min.</p>" if leads else
            f"<p>{len(rows)} pre-alerts; none of the ships has reached its line.</p>"
            if rows else "")
    return (head + "<table><tr><th>MMSI</th><th>line</th><th>anchor judged down</th>"
            "<th>projected min to impact</th><th>lead time, min (decision → corridor)</th>"
            "<th>confidence</th></tr>"
            f"{body or '<tr><td colspan=6>no pre-alerts</td></tr>'}</table>")


def render(page: ReportPage) -> str:
    """The whole page as a string."""
    period = ""
    if page.period is not None:
        period = (f"Data from {_both(from_epoch_s(page.period[0]), page.local)} to "
                  f"{_both(from_epoch_s(page.period[1]), page.local)}. ")
    totals = "".join(
        f"<span>{escape(k)}: <b>{v:,}</b></span>" for k, v in page.totals.items()
    )
    figs = "".join(
        f"<figure><img src='{escape(f)}' alt='{escape(c)}'><figcaption>{escape(c)}"
        f"</figcaption></figure>"
        for f, c in page.figures
    )
    notes = "".join(f"<li>{escape(n)}</li>" for n in page.notes)
    pre = _prealerts_table(page.events, page.local)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(page.title)}</title>
<style>{_CSS}</style></head><body>
<header><h1>{escape(page.title)}</h1>
<p>Generated {_both(page.generated, page.local)}. {period}Exercise traffic is excluded.</p></header>
<main>
<section class=totals>{totals}</section>
<section><h2>Charter scorecard</h2>{_scorecard(page.indicators)}</section>
<section><h2>Figures</h2><div class=figs>{figs}</div></section>
<section><h2>Events</h2>{_events_table(page.events)}</section>
<section><h2>Pre-alerts: anchor likely down, lead times</h2>{pre}</section>
<section><h2>Alerts (most severe first)</h2>{_alerts_table(page.alerts, page.local)}</section>
<section><h2>Notes</h2><ul>{notes}</ul></section>
</main></body></html>
"""

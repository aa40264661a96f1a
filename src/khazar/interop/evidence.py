"""The evidence pack of a fault back-trace: HTML + KML with the tracks, the ranking as JSON,
and SHA256SUMS with the SHA-256 of every file; the pack hash covers them all.

Rendering is pure (:func:`render_html`, :func:`render_kml`); :func:`write_pack` writes the
files. The pack hash is the SHA-256 of the ``"<sha256>  <name>\\n"`` lines in name order
(the ``SHA256SUMS`` file, ``sha256sum`` format): ``sha256sum -c SHA256SUMS`` checks each
file and ``sha256sum SHA256SUMS`` gives the pack hash that the audit log records.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from khazar.alerts.backtrace import TraceTarget, VesselFixes, VesselTrace
from khazar.domain.picture import TrackRow
from khazar.errors import InputError
from khazar.interop.features import Feature, geometry_feature, point_feature, track_feature
from khazar.interop.kml import features_to_kml
from khazar.units import epoch_s, from_epoch_s

__all__ = ["EvidencePack", "pack_sha256", "render_html", "render_kml", "write_pack"]

_PALETTE = ("#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2")


@dataclass(frozen=True, slots=True)
class EvidencePack:
    directory: Path
    files: dict[str, str]  # name → sha256
    sha256: str

    def to_dict(self) -> dict[str, object]:
        return {"directory": str(self.directory), "files": self.files, "sha256": self.sha256}


def _window(v: VesselFixes, start: datetime, end: datetime) -> np.ndarray:
    return (v.t_s >= epoch_s(start)) & (v.t_s <= epoch_s(end))


def _track_features(
    ranking: Sequence[VesselTrace], fixes: dict[int, VesselFixes], start: datetime, end: datetime
) -> list[Feature]:
    out: list[Feature] = []
    for rank, r in enumerate(ranking, 1):
        v = fixes[r.mmsi]
        m = _window(v, start, end)
        if not m.any():
            continue
        times = [from_epoch_s(float(t)) for t in v.t_s[m]]
        sogs = [None if np.isnan(x) else float(x) for x in v.sog_kn[m]]
        track = track_feature(TrackRow(r.mmsi, times, [float(x) for x in v.lat[m]],
                                       [float(x) for x in v.lon[m]], sogs))
        # the pack's own rank, score and reasons on top of the vessel's one track shape
        track["id"] = f"track-{r.mmsi}"
        track["properties"].update(
            name=f"#{rank} MMSI {r.mmsi}",
            rank=rank,
            score=round(r.score, 4),
            description="; ".join(r.reasons),
        )
        out.append(track)
        out.append(
            point_feature(
                f"closest-{r.mmsi}",
                r.closest_lat,
                r.closest_lon,
                {
                    "name": f"#{rank} closest {r.closest_m:.0f} m",
                    "timestamp": r.closest_at.isoformat(),
                    "mmsi": r.mmsi,
                },
            )
        )
    return out


def render_kml(
    target: TraceTarget,
    ranking: Sequence[VesselTrace],
    fixes: dict[int, VesselFixes],
    start: datetime,
    end: datetime,
) -> str:
    """KML: the asset, its protected area, the fault point, each ranked vessel's track."""
    asset = [geometry_feature(target.asset_id, target.geometry, {"name": target.asset_id})]
    if target.protected_area is not None:
        asset.append(
            geometry_feature(
                f"{target.asset_id}-area",
                target.protected_area,
                {"name": f"{target.asset_id} protected area"},
            )
        )
    if target.point is not None:
        asset.append(
            point_feature(
                "fault",
                target.point[0],
                target.point[1],
                {"name": "fault", "radius_m": target.radius_m},
            )
        )
    return features_to_kml(
        asset,
        f"Back-trace {target.asset_id} {start.isoformat()} – {end.isoformat()}",
        folders={"vessels": _track_features(ranking, fixes, start, end)},
    )


def _svg(
    target: TraceTarget,
    ranking: Sequence[VesselTrace],
    fixes: dict[int, VesselFixes],
    start: datetime,
    end: datetime,
    size: int = 900,
) -> str:
    lines: list[tuple[str, np.ndarray, np.ndarray]] = []
    for i, r in enumerate(ranking[: len(_PALETTE)]):
        v = fixes[r.mmsi]
        m = _window(v, start, end)
        if m.sum() >= 2:
            lines.append((_PALETTE[i], v.lon[m], v.lat[m]))
    # the view: the ranked tracks (the asset may be a 170 km line; it is clipped to the view)
    if lines:
        lons = np.concatenate([x for _, x, _ in lines])
        lats = np.concatenate([y for _, _, y in lines])
    else:
        area = target.protected_area if target.protected_area is not None else target.geometry
        b = area.bounds
        lons, lats = np.array([b[0], b[2]]), np.array([b[1], b[3]])
    if target.point is not None:
        lats = np.append(lats, target.point[0])
        lons = np.append(lons, target.point[1])
    lon0, lon1, lat0, lat1 = lons.min(), lons.max(), lats.min(), lats.max()
    kx = np.cos(np.radians((lat0 + lat1) / 2))
    span = max((lon1 - lon0) * kx, lat1 - lat0, 1e-6)
    scale = (size - 20) / span
    height = int(max(160.0, (lat1 - lat0) * scale + 20))

    def pts(xs: np.ndarray, ys: np.ndarray) -> str:
        px = 10 + (xs - lon0) * kx * scale
        py = height - 10 - (ys - lat0) * scale
        return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{height}" '
        f'style="background:#eef4f8;border:1px solid #999;overflow:hidden">'
    ]
    geoms = [target.geometry]
    if target.protected_area is not None:
        geoms.insert(0, target.protected_area)
    for g in geoms:
        for part in getattr(g, "geoms", [g]):
            ring = part.exterior if hasattr(part, "exterior") else part
            xy = np.asarray(ring.coords)
            if len(xy) >= 2:
                fill = "#f6d7a7" if hasattr(part, "exterior") else "none"
                parts.append(
                    f'<polyline points="{pts(xy[:, 0], xy[:, 1])}" fill="{fill}" '
                    f'stroke="#a05a00" stroke-width="2"/>'
                )
    for color, x, y in reversed(lines):
        parts.append(
            f'<polyline points="{pts(x, y)}" fill="none" stroke="{color}" stroke-width="1.5"/>'
        )
    if target.point is not None:
        cx, cy = pts(np.array([target.point[1]]), np.array([target.point[0]])).split(",")
        parts.append(
            f'<circle cx="{cx}" cy="{cy}" r="6" fill="none" stroke="red" stroke-width="2"/>'
        )
    parts.append("</svg>")
    legend = " ".join(
        f'<span style="color:{_PALETTE[i]}">&#9632; #{i + 1} MMSI {r.mmsi}</span>'
        for i, r in enumerate(ranking[: len(_PALETTE)])
    )
    return "".join(parts) + f"<p>{legend}; asset and protected area in brown.</p>"


def render_html(
    target: TraceTarget,
    ranking: Sequence[VesselTrace],
    fixes: dict[int, VesselFixes],
    start: datetime,
    end: datetime,
) -> str:
    """A self-contained HTML page: the question, the ranking with reasons, a track map."""
    esc = html.escape
    where = (
        f"within {target.radius_m / 1000:.1f} km of {target.point[0]:.5f}, {target.point[1]:.5f}"
        if target.point is not None and target.radius_m is not None
        else "along the asset"
    )
    rows = []
    for rank, r in enumerate(ranking, 1):
        rows.append(
            "<tr>"
            f"<td>{rank}</td><td>{r.mmsi}</td><td>{r.score:.3f}</td>"
            f"<td>{r.closest_m:.0f}</td><td>{esc(r.closest_at.isoformat())}</td>"
            f"<td>{r.inside_s / 60:.0f}</td><td>{r.speed_drop:.0%}</td>"
            f"<td>{'yes' if r.anchored_moving else ''}</td><td>{r.gap_near_s / 60:.0f}</td>"
            f"<td>{esc('; '.join(r.reasons))}</td>"
            "</tr>"
        )
    table = "\n".join(rows) or '<tr><td colspan="10">no vessel came near</td></tr>'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Khazar back-trace {esc(target.asset_id)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #bbb;padding:3px 6px;font-size:13px}}th{{background:#eee}}</style>
</head><body>
<h1>Fault back-trace: {esc(target.asset_id)}</h1>
<p>Window {esc(start.isoformat())} – {esc(end.isoformat())}, {esc(where)}.
Vessels ranked by score (proximity, time inside the protected area, speed anomaly,
AIS silence near the asset). Tracks are in <code>tracks.kml</code>; the SHA-256 of every
file is in <code>SHA256SUMS</code> and recorded in the audit log.</p>
<table><tr><th>#</th><th>MMSI</th><th>score</th><th>closest m</th><th>closest at</th>
<th>min inside</th><th>speed drop</th><th>at anchor moving</th><th>min AIS gap</th>
<th>reasons</th></tr>
{table}
</table>
<h2>Tracks in the window (top {min(len(ranking), len(_PALETTE))})</h2>
{_svg(target, ranking, fixes, start, end)}
</body></html>
"""


def pack_sha256(files: dict[str, str]) -> str:
    """The pack hash: SHA-256 of ``"<sha256>  <name>\\n"`` lines in name order."""
    listing = "".join(f"{files[name]}  {name}\n" for name in sorted(files))
    return hashlib.sha256(listing.encode()).hexdigest()


def write_pack(
    out_dir: Path,
    target: TraceTarget,
    ranking: Sequence[VesselTrace],
    fixes: Sequence[VesselFixes],
    start: datetime,
    end: datetime,
) -> EvidencePack:
    """Write ``evidence.html``, ``tracks.kml``, ``ranking.json`` and ``SHA256SUMS``."""
    by_mmsi = {v.mmsi: v for v in fixes}
    ranking_doc = {
        "asset_id": target.asset_id,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "point": list(target.point) if target.point else None,
        "radius_m": target.radius_m,
        "vessels": [r.to_dict() for r in ranking],
    }
    contents = {
        "evidence.html": render_html(target, ranking, by_mmsi, start, end),
        "tracks.kml": render_kml(target, ranking, by_mmsi, start, end),
        "ranking.json": json.dumps(ranking_doc, indent=2, ensure_ascii=False) + "\n",
    }
    files: dict[str, str] = {}
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, text in contents.items():
            data = text.encode("utf-8")
            (out_dir / name).write_bytes(data)
            files[name] = hashlib.sha256(data).hexdigest()
        listing = "".join(f"{files[n]}  {n}\n" for n in sorted(files))
        (out_dir / "SHA256SUMS").write_text(listing, encoding="ascii")
    except OSError as exc:
        raise InputError(f"cannot write the evidence pack to {out_dir}: {exc}") from exc
    return EvidencePack(out_dir, files, pack_sha256(files))

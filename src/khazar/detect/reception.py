"""Reception learned from the data: per grid cell, the share of expected AIS reports that
were actually received, with the configured receivers' nominal range as a prior.

Each link between consecutive fixes of a vessel (``dt`` apart) stands for ``dt / interval``
expected reports, of which one (the fix that ends it) was received; ``interval`` is the
vessel's own report interval: the shortest of its previous :data:`RATE_LINKS` links while
under way. The expected reports are spread along the straight path between the two fixes
(a silence is charged to the cells the vessel crossed), one silence adding at most
:data:`LINK_CAP` expected reports to a cell (one vessel switching off must not blind the
map where others are received), and a silence of :data:`SILENCE_S` or more not at all to the
cell where the vessel was last heard: it was being received there, and that silence is what
the gap detector judges against this map. A vessel at rest (under 1 kn across the link) reports
slowly by design: its links count as received, they teach nothing about holes.

The share of a cell is the mean of a Beta posterior: ``(received + S·p) / (expected + S)``
with prior strength ``S`` = :data:`PRIOR_STRENGTH` reports and prior share ``p`` =
:data:`PRIOR_IN` inside a receiver's reliable range (or everywhere when none is
configured), :data:`PRIOR_OUT` outside. A cell is *covered* when its share is at least
:data:`MIN_SHARE`; a cell without data keeps the prior (the receivers' nominal range).
Pure: arrays in, a :class:`ReceptionMap` out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from khazar.units import haversine_m

__all__ = ["CELL_DEG", "LINK_CAP", "MIN_SHARE", "PRIOR_IN", "PRIOR_OUT", "PRIOR_STRENGTH",
           "Reception", "ReceptionMap", "learn_reception", "within_receivers"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

#: grid cell side, degrees (≈ 11 km north–south, 8 km east–west in the Caspian)
CELL_DEG = 0.1
#: the prior is worth this many expected reports
PRIOR_STRENGTH = 20.0
#: prior share received inside a receiver's reliable range, and outside every range
PRIOR_IN = 0.9
PRIOR_OUT = 0.1
#: a cell with at least this share received is covered
MIN_SHARE = 0.5
#: at most this many expected reports per cell from one link (one silence)
LINK_CAP = 20.0
#: a cell with fewer expected reports than this borrows half its neighbours' evidence
FILL_BELOW = 60.0
#: links shorter than this are duplicates (two receivers, one report)
MIN_DT_S = 2.0
#: no AIS transponder reports less often than every 3 min; a longer "own interval" is a
#: reception loss
MAX_INTERVAL_S = 360.0
#: the vessel's own interval: the shortest of this many previous links under way
RATE_LINKS = 20
#: a link slower than this is at rest (anchored or moored: reports every 3 min)
REST_KN = 1.0
#: links longer than this are a vessel gone (switched off for the night, in port): ignored
MAX_LINK_S = 6 * 3600.0
#: a silence this long (the shortest gap) is not charged to the cell it began in
SILENCE_S = 1800.0
#: a link implying more than this is a bad or spoofed position (the tracker's jump speed)
JUMP_KN = 50.0
#: a long silence is charged to at most this many points along its path
_MAX_STEPS = 32


def within_receivers(receivers: tuple[tuple[float, float, float], ...], lat: F64,
                     lon: F64) -> B:
    """Within reliable range of one of the receivers (lat, lon, range in metres)."""
    covered = np.zeros(lat.shape[0], bool)
    for r_lat, r_lon, r_m in receivers:
        dl = r_m / 110_574.0
        dlo = dl / max(0.2, float(np.cos(np.radians(r_lat))))
        near = np.flatnonzero(~covered & (np.abs(lat - r_lat) < dl)
                              & (np.abs(lon - r_lon) < dlo))
        if near.size:
            covered[near] = haversine_m(lat[near], lon[near], r_lat, r_lon) <= r_m
    return covered


def _keys(lat: F64, lon: F64, cell: float) -> I64:
    ix = np.floor(lon / cell).astype(np.int64)
    iy = np.floor(lat / cell).astype(np.int64)
    return np.asarray((ix + (1 << 20)) * (1 << 21) + (iy + (1 << 20)), dtype=np.int64)


def _unkey(key: I64) -> tuple[I64, I64]:
    return key // (1 << 21) - (1 << 20), key % (1 << 21) - (1 << 20)


@dataclass(frozen=True, eq=False)
class ReceptionMap:
    """Learned reception per grid cell (only the cells the data touched)."""

    cell_deg: float
    key: I64  # sorted cell keys
    expected: F64
    received: F64
    prior: F64  # prior share of each cell
    days: float
    since_s: float
    until_s: float
    prior_strength: float = PRIOR_STRENGTH
    min_share: float = MIN_SHARE

    @property
    def share(self) -> F64:
        s = self.prior_strength
        return np.asarray(np.minimum(1.0, (self.received + s * self.prior)
                                     / (self.expected + s)))

    @property
    def covered_cells(self) -> B:
        return np.asarray(self.share >= self.min_share)

    def lookup(self, lat: F64, lon: F64) -> I64:
        """Index of each point's cell in the map, -1 where the map has no data."""
        k = _keys(lat, lon, self.cell_deg)
        if self.key.size == 0:
            return np.full(lat.shape[0], -1, np.int64)
        i = np.clip(np.searchsorted(self.key, k), 0, self.key.size - 1)
        return np.asarray(np.where(self.key[i] == k, i, -1), dtype=np.int64)

    def covered(self, lat: F64, lon: F64, nominal: B) -> B:
        """Covered per the learned map; ``nominal`` (the prior) where it has no data."""
        if self.key.size == 0:
            return nominal
        i = self.lookup(lat, lon)
        ok = self.covered_cells
        return np.asarray(np.where(i >= 0, ok[np.maximum(i, 0)], nominal), dtype=bool)

    def records(self) -> list[dict[str, Any]]:
        """One row per cell: its bounds, share, expected and received reports, prior."""
        ix, iy = _unkey(self.key)
        c = self.cell_deg
        share = self.share
        out: list[dict[str, Any]] = []
        for j in range(self.key.size):
            w, s = float(ix[j]) * c, float(iy[j]) * c
            out.append({"west": round(w, 6), "south": round(s, 6), "east": round(w + c, 6),
                        "north": round(s + c, 6), "share": round(float(share[j]), 4),
                        "expected": round(float(self.expected[j]), 1),
                        "received": round(float(self.received[j]), 1),
                        "prior": round(float(self.prior[j]), 2),
                        "covered": bool(share[j] >= self.min_share)})
        return out

    def blind(self) -> list[dict[str, Any]]:
        """The cells the map says are not covered, worst first."""
        return sorted((r for r in self.records() if not r["covered"]),
                      key=lambda r: (r["share"], -r["expected"]))


@dataclass(eq=False)
class Reception:
    """The learned map the detectors consult, replaceable while they run (the live path
    refreshes it); ``None``: the receivers' nominal range alone."""

    map: ReceptionMap | None = field(default=None)

    def covered(self, lat: F64, lon: F64, nominal: B) -> B:
        m = self.map
        return nominal if m is None else m.covered(lat, lon, nominal)


def learn_reception(mmsi: I64, t_s: F64, lat: F64, lon: F64,
                    receivers: tuple[tuple[float, float, float], ...],
                    days: float, cell_deg: float = CELL_DEG) -> ReceptionMap:
    """The reception map of these fixes (any order); ``receivers`` give the prior (empty:
    reception expected everywhere)."""
    order = np.lexsort((t_s, mmsi))
    m, t, la, lo = mmsi[order], t_s[order], lat[order], lon[order]
    if m.size:
        keep = np.ones(m.size, bool)
        keep[1:] = (m[1:] != m[:-1]) | (np.diff(t) >= MIN_DT_S)
        m, t, la, lo = m[keep], t[keep], la[keep], lo[keep]
    since = float(t.min()) if t.size else 0.0
    until = float(t.max()) if t.size else 0.0
    link = np.flatnonzero((m[1:] == m[:-1]) & (np.diff(t) <= MAX_LINK_S)) if m.size > 1 \
        else np.empty(0, np.int64)
    a, b = link, link + 1
    dt = t[b] - t[a]
    dist = np.asarray(haversine_m(la[a], lo[a], la[b], lo[b]), dtype=np.float64)
    moving = dist >= REST_KN * 0.514444 * dt
    # the vessel's own interval: the shortest of its previous RATE_LINKS links under way
    own = np.where(moving, dt, np.inf)
    best = np.full(link.size, np.inf)
    for k in range(1, RATE_LINKS + 1):
        if k >= link.size:
            break
        same = m[a[k:]] == m[a[:-k]]
        cand = np.where(same, own[:-k], np.inf)
        best[k:] = np.minimum(best[k:], cand)
    interval = np.clip(np.where(np.isfinite(best), best, dt), MIN_DT_S, MAX_INTERVAL_S)
    expected = np.where(moving, np.maximum(1.0, dt / interval), 1.0)
    # spread along the path: one point per half cell crossed, at most _MAX_STEPS
    half_cell_m = cell_deg * 111_000.0 / 2.0
    # a jump faster than JUMP_KN is a bad or spoofed position, not a path: charged at its end
    sail = dist <= JUMP_KN * 0.514444 * dt
    steps = np.where((expected > 1.5) & sail,
                     np.clip(np.ceil(dist / half_cell_m), 1, _MAX_STEPS), 1).astype(np.int64)
    rep = np.repeat(np.arange(link.size), steps)
    first = np.repeat(np.cumsum(steps) - steps, steps)
    f = (np.arange(rep.size) - first + 1) / steps[rep]
    plat = la[a][rep] + f * (la[b][rep] - la[a][rep])
    plon = lo[a][rep] + f * (lo[b][rep] - lo[a][rep])
    w = expected[rep] / steps[rep]
    pkey = _keys(plat, plon, cell_deg)
    # a silence as long as a gap is not charged to the cell where the vessel was last heard
    # (it was being received there; the gap detector judges that silence against this map)
    skey = _keys(la[a], lo[a], cell_deg)
    charged = ~((dt[rep] >= SILENCE_S) & (pkey == skey[rep]))
    rep, pkey, w = rep[charged], pkey[charged], w[charged]
    rkey = _keys(la[b], lo[b], cell_deg)
    cells, cinv = np.unique(np.concatenate((pkey, rkey)), return_inverse=True)
    cinv = cinv.ravel().astype(np.int64)
    pc, rc = cinv[:pkey.size], cinv[pkey.size:]
    # one link's charge to one cell is capped: (link, cell) pairs as one integer
    pair = rep.astype(np.int64) * cells.size + pc
    lk, inv = np.unique(pair, return_inverse=True)
    lw = np.minimum(np.bincount(inv.ravel(), weights=w, minlength=lk.size), LINK_CAP)
    exp_c: F64 = np.asarray(np.bincount(lk % max(cells.size, 1), weights=lw,
                                        minlength=cells.size), dtype=np.float64)
    rec_c: F64 = np.bincount(rc, minlength=cells.size).astype(np.float64)
    # a cell with little evidence of its own borrows half its neighbours' (reception is
    # smooth in space; a vessel heard all along that just entered a cell is heard there)
    thin = exp_c < FILL_BELOW
    if thin.any():
        add_e, add_r = np.zeros(cells.size), np.zeros(cells.size)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                if dx or dy:
                    nk = cells + dx * (1 << 21) + dy
                    j = np.clip(np.searchsorted(cells, nk), 0, cells.size - 1)
                    hit = thin & (cells[j] == nk)
                    add_e[hit] += exp_c[j[hit]]
                    add_r[hit] += rec_c[j[hit]]
        exp_c = exp_c + 0.5 * add_e
        rec_c = rec_c + 0.5 * add_r
    ix, iy = _unkey(cells)
    clat = (iy.astype(np.float64) + 0.5) * cell_deg
    clon = (ix.astype(np.float64) + 0.5) * cell_deg
    nominal = (within_receivers(receivers, clat, clon) if receivers
               else np.ones(cells.size, bool))
    prior = np.where(nominal, PRIOR_IN, PRIOR_OUT)
    return ReceptionMap(cell_deg, np.asarray(cells, np.int64), np.asarray(exp_c, np.float64),
                        rec_c, np.asarray(prior, np.float64), days, since, until)

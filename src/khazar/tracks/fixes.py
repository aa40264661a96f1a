"""Columnar position fixes: the unit of work of the tracker and the detectors.

A :class:`Fixes` holds parallel NumPy arrays (one element per AIS position report).
Times are float epoch seconds UTC (``t_s``); "not available" is NaN for floats and -1
for the integer status/heading columns. Everything here is pure (no I/O).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from khazar.domain import Position
from khazar.units import epoch_s

__all__ = ["Fixes", "canonical_order", "dedupe_sorted", "mmsi_time_order"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I16 = npt.NDArray[np.int16]


@dataclass(frozen=True, slots=True)
class Fixes:
    """Parallel arrays of position reports (any order unless a function says otherwise)."""

    mmsi: I64
    t_s: F64
    lat: F64
    lon: F64
    sog_kn: F64
    cog_deg: F64
    heading_deg: I16
    status: I16

    def __len__(self) -> int:
        return int(self.mmsi.shape[0])

    @staticmethod
    def empty() -> Fixes:
        """A container with no fixes."""
        return Fixes.from_arrays(
            np.empty(0, np.int64), np.empty(0), np.empty(0), np.empty(0)
        )

    @staticmethod
    def from_arrays(
        mmsi: npt.ArrayLike,
        t_s: npt.ArrayLike,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        sog_kn: npt.ArrayLike | None = None,
        cog_deg: npt.ArrayLike | None = None,
        heading_deg: npt.ArrayLike | None = None,
        status: npt.ArrayLike | None = None,
    ) -> Fixes:
        """Build from array-likes; missing optional columns are "not available"."""
        m = np.asarray(mmsi, dtype=np.int64)
        n = m.shape[0]

        def fcol(a: npt.ArrayLike | None) -> F64:
            return np.full(n, np.nan) if a is None else np.asarray(a, dtype=np.float64)

        def icol(a: npt.ArrayLike | None) -> I16:
            return np.full(n, -1, np.int16) if a is None else np.asarray(a, dtype=np.int16)

        return Fixes(m, fcol(t_s), fcol(lat), fcol(lon), fcol(sog_kn), fcol(cog_deg),
                     icol(heading_deg), icol(status))

    @staticmethod
    def from_positions(positions: Iterable[Position]) -> Fixes:
        """Build from domain :class:`~khazar.domain.Position` values (None → not available)."""
        rows = list(positions)
        nan = float("nan")
        return Fixes.from_arrays(
            [p.mmsi for p in rows],
            [epoch_s(p.timestamp) for p in rows],
            [p.lat for p in rows],
            [p.lon for p in rows],
            [nan if p.sog_kn is None else p.sog_kn for p in rows],
            [nan if p.cog_deg is None else p.cog_deg for p in rows],
            [-1 if p.heading_deg is None else p.heading_deg for p in rows],
            [-1 if p.status is None else p.status for p in rows],
        )

    def take(self, index: npt.NDArray[np.intp] | npt.NDArray[np.bool_] | slice) -> Fixes:
        """The fixes selected by an index array, boolean mask or slice."""
        return Fixes(*(getattr(self, f.name)[index] for f in fields(self)))

    @staticmethod
    def concat(parts: Iterable[Fixes]) -> Fixes:
        """All fixes of ``parts`` one after the other."""
        items = [p for p in parts if len(p)]
        if not items:
            return Fixes.empty()
        return Fixes(*(np.concatenate([getattr(p, f.name) for p in items])
                       for f in fields(Fixes)))


def canonical_order(fx: Fixes) -> npt.NDArray[np.intp]:
    """Indices sorting by (mmsi, time, lat, lon): a total order, so ties never depend on
    arrival order (live and batch see the same sequence)."""
    return mmsi_time_order(fx.mmsi, fx.t_s, fx.lat, fx.lon)


def mmsi_time_order(mmsi: I64, t_s: F64, lat: F64 | None = None,
                    lon: F64 | None = None) -> npt.NDArray[np.intp]:
    """Indices sorting by (mmsi, time[, lat, lon]), stably (equal rows keep their order).

    Input already in (mmsi, time) order costs one linear check. Otherwise one two-key
    :func:`numpy.lexsort`; only the rows of exact (mmsi, time) ties are then re-sorted by
    position (a ``np.unique(..., return_inverse=True)`` ranking, as before, cost three
    times the sort on 10 M fixes).
    """
    n = mmsi.shape[0]
    if n < 2:
        return np.arange(n)
    dm = np.diff(mmsi)
    if bool(np.all(dm >= 0)) and bool(np.all((dm > 0) | (np.diff(t_s) >= 0))):
        order = np.arange(n)
    else:
        order = np.lexsort((t_s, mmsi))
    del dm
    if lat is None or lon is None:
        return order
    m, t = mmsi[order], t_s[order]
    tie = (m[1:] == m[:-1]) & (t[1:] == t[:-1])
    if not tie.any():
        return order
    # rows in a run of equal (mmsi, time): sort each run by (lat, lon), stably
    first = np.flatnonzero(tie)
    in_run = np.zeros(n, bool)
    in_run[first] = True
    in_run[first + 1] = True
    rows = np.flatnonzero(in_run)
    run_id = np.cumsum(np.concatenate(([True], ~tie)))[rows]
    sub = order[rows]
    order[rows] = sub[np.lexsort((lon[sub], lat[sub], run_id))]
    return order


def dedupe_sorted(fx: Fixes) -> Fixes:
    """Drop exact repeats (same mmsi, time and position) from canonically sorted fixes:
    the same report heard by several receivers."""
    n = len(fx)
    if n < 2:
        return fx
    same = (
        (fx.mmsi[1:] == fx.mmsi[:-1])
        & (fx.t_s[1:] == fx.t_s[:-1])
        & (fx.lat[1:] == fx.lat[:-1])
        & (fx.lon[1:] == fx.lon[:-1])
    )
    if not same.any():
        return fx
    keep = np.ones(n, dtype=bool)
    keep[1:] = ~same
    return fx.take(keep)

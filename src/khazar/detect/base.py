"""The detector protocol, the chunk every detector reads, and the run machinery.

A detector is a kernel ``step(state, chunk) -> (state, events)``. A :class:`Chunk` holds the
fixes released since the previous step (tracked and annotated, sorted by vessel key and
time) and the *watermark*: every fix earlier than it has now been seen. Batch calls
``step`` once with all history and the end of the data as watermark; live calls it on each
released slice. Kernels keep only what the next fix needs (bounded per vessel), so both
modes close the same events. Events still in progress come out with ``open=True`` and are
re-emitted, updated, until they close.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from khazar.config import DetectSettings
from khazar.detect.geography import Annotation, DetectGeography
from khazar.domain import Event
from khazar.tracks.fixes import mmsi_time_order
from khazar.tracks.tracker import TrackedFixes
from khazar.units import from_epoch_s

__all__ = [
    "Chunk",
    "Detections",
    "Detector",
    "KeyState",
    "RunDetector",
    "RunSpec",
    "make_event",
]

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
S = TypeVar("S")
Key = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Detections:
    """Radar/SAR contacts: parallel arrays, epoch seconds."""

    t_s: F64
    lat: F64
    lon: F64
    length_m: F64
    source: npt.NDArray[np.str_]

    @staticmethod
    def empty() -> Detections:
        e = np.empty(0)
        return Detections(e, e, e, e, np.empty(0, dtype="<U16"))

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    def take(self, index: npt.NDArray[np.intp] | B) -> Detections:
        return Detections(self.t_s[index], self.lat[index], self.lon[index],
                          self.length_m[index], self.source[index])


@dataclass(frozen=True)
class Chunk:
    """Fixes released by one step, with the tracker's and the geography's columns."""

    tr: TrackedFixes
    ann: Annotation
    detections: Detections
    watermark_s: float
    #: end of the data: decide everything still pending (batch's end, live's ``finish``)
    final: bool = False
    starts: npt.NDArray[np.int64] = field(init=False)
    ends: npt.NDArray[np.int64] = field(init=False)

    def __post_init__(self) -> None:
        n = len(self.tr)
        fx = self.tr.fixes
        if n:
            change = (np.diff(fx.mmsi) != 0) | (np.diff(self.tr.seg) != 0)
            cuts = np.flatnonzero(change) + 1
            object.__setattr__(self, "starts", np.concatenate(([0], cuts)).astype(np.int64))
            object.__setattr__(self, "ends", np.concatenate((cuts, [n])).astype(np.int64))
        else:
            object.__setattr__(self, "starts", np.empty(0, np.int64))
            object.__setattr__(self, "ends", np.empty(0, np.int64))

    @property
    def by_mmsi_time(self) -> npt.NDArray[np.intp]:
        """Indices ordering the chunk by (mmsi, time), across an MMSI's segments."""
        fx = self.tr.fixes
        n = len(fx)
        same = fx.mmsi[1:] == fx.mmsi[:-1]
        if n < 2 or not np.any(same & (np.diff(fx.t_s) < 0)):
            return np.arange(n)
        return mmsi_time_order(fx.mmsi, fx.t_s)

    def groups(self) -> Iterator[tuple[Key, int, int]]:
        """(vessel key, first index, end index) of each (mmsi, segment) in the chunk."""
        mmsi = self.tr.fixes.mmsi
        seg = self.tr.seg
        for a, b in zip(self.starts.tolist(), self.ends.tolist(), strict=True):
            yield (int(mmsi[a]), int(seg[a])), a, b


class Detector(Protocol[S]):
    """One behaviour detector: a pure kernel over chunks."""

    name: str

    def init(self) -> S:
        """The empty state."""
        ...

    def step(self, state: S, chunk: Chunk) -> tuple[S, list[Event]]:
        """Consume one chunk; return the new state and the events closed or updated."""
        ...

    def size(self, state: S) -> int:
        """How many items the state holds (for boundedness checks)."""
        ...


def make_event(
    etype: str,
    mmsi: int | None,
    start_s: float,
    end_s: float,
    lat: float,
    lon: float,
    *,
    other_mmsi: int | None = None,
    zone_id: str | None = None,
    asset_id: str | None = None,
    evidence: dict[str, Any] | None = None,
    is_open: bool = False,
) -> Event:
    """An :class:`~khazar.domain.Event` from epoch seconds; evidence floats rounded so
    that the same measurements always print the same."""
    ev = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in (evidence or {}).items()}
    return Event(etype, mmsi, from_epoch_s(start_s), from_epoch_s(end_s), round(lat, 6),
                 round(lon, 6), other_mmsi, zone_id, asset_id, ev, is_open)


# --------------------------------------------------------------------------- runs
@dataclass(slots=True)
class KeyState:
    """Per-vessel-key state of a run detector: the last fix's carried values, the open run."""

    last_t: float
    carry: dict[str, float] = field(default_factory=dict)
    run: dict[str, float] | None = None
    #: detector-specific bounded history (e.g. recent corridor crossings)
    history: list[tuple[float, ...]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RunSpec:
    """What a run detector measures on one vessel slice.

    ``cond``: fix belongs to a run; ``brk``: the link from the previous fix is broken (a new
    run must start); ``feats``: per-fix values aggregated over each run with ``ops``
    (``sum``, ``min``, ``max``, ``first``, ``last``); ``carry``: per-fix values whose last
    one is kept for the next chunk (read back through :attr:`KeyState.carry`).
    """

    cond: B
    brk: B
    feats: dict[str, F64]
    carry: dict[str, F64]


_MERGE: dict[str, Callable[[float, float], float]] = {
    "sum": lambda a, b: a + b,
    "min": min,
    "max": max,
    "first": lambda a, b: a,
    "last": lambda a, b: b,
}


def _reduce(op: str, values: F64, bounds: npt.NDArray[np.intp], ends: npt.NDArray[np.intp]) -> F64:
    if op == "sum":
        return np.add.reduceat(values, bounds)
    if op == "min":
        return np.minimum.reduceat(values, bounds)
    if op == "max":
        return np.maximum.reduceat(values, bounds)
    if op == "first":
        return values[bounds]
    return values[ends - 1]


class RunDetector:
    """Base for detectors of "a run of consecutive fixes where a condition holds".

    Subclasses give ``ops`` (aggregation of each feature), ``measure`` (the :class:`RunSpec`
    of a slice) and ``decide`` (the event of a run, or None). The base merges a run that
    spans chunks, closes runs on a failing fix or when the vessel key expires, and emits open
    events for runs in progress. Runs always carry ``t0``, ``t1`` (first/last time), ``n``.
    """

    name = "run"
    ops: ClassVar[dict[str, str]] = {}

    def __init__(self, settings: DetectSettings, geo: DetectGeography) -> None:
        self.settings = settings
        self.geo = geo

    def init(self) -> dict[Key, KeyState]:
        return {}

    def size(self, state: dict[Key, KeyState]) -> int:
        return len(state)

    def measure(self, ks: KeyState | None, chunk: Chunk, a: int, b: int) -> RunSpec:
        raise NotImplementedError

    def decide(self, key: Key, ks: KeyState, run: dict[str, float], is_open: bool) -> Event | None:
        raise NotImplementedError

    def step(self, state: dict[Key, KeyState], chunk: Chunk) -> tuple[dict[Key, KeyState],
                                                                      list[Event]]:
        events: list[Event] = []
        t = chunk.tr.fixes.t_s
        ops = {"t0": "first", "t1": "last", "n": "sum", **self.ops}
        for key, a, b in chunk.groups():
            ks = state.get(key)
            spec = self.measure(ks, chunk, a, b)
            feats = {"t0": t[a:b], "t1": t[a:b], "n": np.ones(b - a), **spec.feats}
            cond = spec.cond
            has_run = ks is not None and ks.run is not None
            prevc = np.concatenate(([has_run], cond[:-1]))
            start = cond & (spec.brk | ~prevc)
            cont = bool(cond[0] and not start[0] and has_run)
            if ks is not None and ks.run is not None and not cont:
                ev = self.decide(key, ks, ks.run, False)
                if ev is not None:
                    events.append(ev)
                ks.run = None
            idx = np.flatnonzero(cond)
            runs: list[dict[str, float]] = []
            if idx.size:
                label = np.cumsum(start)[idx]  # 0 = continuation of the carried run
                bounds = np.flatnonzero(np.diff(label, prepend=-1) != 0)
                ends = np.append(bounds[1:], idx.size)
                cols = {name: _reduce(op, feats[name][idx], bounds, ends)
                        for name, op in ops.items()}
                runs = [{name: float(cols[name][j]) for name in ops} for j in range(bounds.size)]
                if cont and ks is not None and ks.run is not None:
                    first = runs[0]
                    runs[0] = {k: _MERGE[ops[k]](ks.run[k], first[k]) for k in ops}
            if ks is None:
                ks = state[key] = KeyState(float(t[b - 1]))
            ks.last_t = float(t[b - 1])
            ks.carry = {k: float(v[-1]) for k, v in spec.carry.items()}
            open_tail = bool(cond[-1])
            ks.run = None  # a continued carried run is now runs[0]
            for j, run in enumerate(runs):
                if open_tail and j == len(runs) - 1:
                    ks.run = run
                else:
                    ev = self.decide(key, ks, run, False)
                    if ev is not None:
                        events.append(ev)
        horizon = self.settings.track_gap_split_h * 3600.0
        for key in list(state):
            ks = state[key]
            if chunk.watermark_s - ks.last_t > horizon:
                if ks.run is not None:
                    ev = self.decide(key, ks, ks.run, False)
                    if ev is not None:
                        events.append(ev)
                del state[key]
            elif ks.run is not None:
                ev = self.decide(key, ks, ks.run, True)
                if ev is not None:
                    events.append(ev)
        return state, events


def prev_of(values: npt.NDArray[Any], carried: float | None, default: float) -> F64:
    """Each fix's previous value on its vessel slice, the carried one (or default) first."""
    first = default if carried is None else carried
    return np.concatenate(([first], values[:-1])).astype(np.float64)

"""Multi-part assembly: fragments are grouped per (feed, tag-block group) when the tag block
has a ``g:`` group, else per (feed, station, channel, sequence id).

A group completes when fragments 1..n arrived in order. It is abandoned (its lines rejected as
``incomplete_multipart``) when a fragment breaks the order, when the same key starts again,
when it waited longer than ``timeout_s`` of feed time or ``max_lines`` lines, and at the end of
the feed (:meth:`Assembler.flush`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from khazar.ingest.decode import LineRef, Message
from khazar.ingest.framing import Sentence

__all__ = ["Assembler"]

_Key = tuple[str, ...]


@dataclass(slots=True)
class _Group:
    count: int
    seq: int  # line counter when the group started
    time_us: int
    station: str
    refs: list[LineRef] = field(default_factory=list)
    payloads: list[str] = field(default_factory=list)


class Assembler:
    """Stateful across batches; one per ingestor. Returns messages and abandoned lines."""

    def __init__(self, timeout_s: float = 60.0, max_lines: int = 2000) -> None:
        self.timeout_us = int(timeout_s * 1_000_000)
        self.max_lines = max_lines
        self._pending: OrderedDict[_Key, _Group] = OrderedDict()

    @property
    def pending_lines(self) -> int:
        return sum(len(g.refs) for g in self._pending.values())

    def add(
        self, source: str, s: Sentence, ref: LineRef, seq: int, done: list[Message],
        abandoned: list[LineRef],
    ) -> None:
        """Add fragment ``s`` (line counter ``seq``); complete messages go to ``done``."""
        self._expire(seq, s.time_us if s.own_time else None, abandoned)
        key: _Key = (source, "g", s.group.rsplit("-", 1)[-1]) if s.group else (
            source, s.tag_station, s.channel, s.seq_id)
        group = self._pending.get(key)
        if group is not None and (s.num != len(group.refs) + 1 or s.count != group.count):
            abandoned.extend(self._pending.pop(key).refs)
            group = None
        if group is None:
            if s.num != 1:
                abandoned.append(ref)
                return
            group = _Group(s.count, seq, s.time_us, s.station)
            self._pending[key] = group
        group.refs.append(ref)
        group.payloads.append(s.payload)
        group.station = group.station or s.station
        if len(group.refs) == group.count:
            del self._pending[key]
            done.append(
                Message("".join(group.payloads), s.fill, group.station, group.time_us, -1,
                        tuple(group.refs))
            )

    def _expire(self, seq: int, time_us: int | None, abandoned: list[LineRef]) -> None:
        while self._pending:
            key, group = next(iter(self._pending.items()))
            late = time_us is not None and time_us - group.time_us > self.timeout_us
            if seq - group.seq <= self.max_lines and not late:
                return
            del self._pending[key]
            abandoned.extend(group.refs)

    def flush(self) -> list[LineRef]:
        """End of feed: every pending fragment is abandoned."""
        out = [ref for g in self._pending.values() for ref in g.refs]
        self._pending.clear()
        return out

"""The receiver network's output: tag-blocked NMEA lines ordered by receive time.

Position reports are encoded once (vectorised) and framed per receiving station; static
messages are framed per copy. Lines are produced in hourly chunks so that a week of traffic
streams to a file or a UDP socket without holding every line in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from khazar.sim.ais import (
    ReceptionModel,
    StaticTransmissions,
    Station,
    Transmissions,
    outages,
    receive,
)
from khazar.sim.nmea import position_payloads, tag_block, tagged_position_lines

__all__ = ["Feed", "build_feed"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
CHUNK_S = 3600.0


@dataclass(frozen=True, slots=True)
class Feed:
    """Received copies of every transmission, ready to be written in receive-time order."""

    stations: tuple[Station, ...]
    positions: Transmissions
    payloads: npt.NDArray[np.uint8]  # (len(positions), 28)
    pos_idx: I64  # received copy → transmission index
    pos_sta: I64  # received copy → station index
    pos_rx: F64
    pos_chan_b: npt.NDArray[np.bool_]
    statics: StaticTransmissions
    st_idx: I64
    st_sta: I64
    st_rx: F64

    @property
    def line_count(self) -> int:
        per_static = np.asarray([len(s) for s in self.statics.sentences], dtype=np.int64)
        n_static = int(per_static[self.st_idx].sum()) if self.st_idx.size else 0
        return int(self.pos_idx.shape[0]) + n_static

    def chunks(self) -> Iterator[tuple[F64, list[bytes]]]:
        """(receive times, lines) per hour of receive time, each chunk sorted by time."""
        if self.pos_rx.size == 0 and self.st_rx.size == 0:
            return
        lo = float(min(self.pos_rx.min(initial=np.inf), self.st_rx.min(initial=np.inf)))
        hi = float(max(self.pos_rx.max(initial=-np.inf), self.st_rx.max(initial=-np.inf)))
        start = np.floor(lo / CHUNK_S) * CHUNK_S
        pos_order = np.argsort(self.pos_rx, kind="stable")
        st_order = np.argsort(self.st_rx, kind="stable")
        pos_sorted = self.pos_rx[pos_order]
        st_sorted = self.st_rx[st_order]
        t = start
        while t <= hi:
            a, b = t, t + CHUNK_S
            yield self._chunk(
                pos_order[np.searchsorted(pos_sorted, a) : np.searchsorted(pos_sorted, b)],
                st_order[np.searchsorted(st_sorted, a) : np.searchsorted(st_sorted, b)],
            )
            t = b

    def _chunk(self, pos_sel: I64, st_sel: I64) -> tuple[F64, list[bytes]]:
        times: list[F64] = []
        lines: list[bytes] = []
        for k, station in enumerate(self.stations):
            sel = pos_sel[self.pos_sta[pos_sel] == k]
            if sel.size:
                rx = self.pos_rx[sel]
                lines.extend(
                    tagged_position_lines(
                        station.name,
                        np.floor(rx).astype(np.int64),
                        self.pos_chan_b[sel],
                        self.payloads[self.pos_idx[sel]],
                    )
                )
                times.append(rx)
        st_times: list[float] = []
        for j in st_sel:
            rx = float(self.st_rx[j])
            tag = tag_block(self.stations[int(self.st_sta[j])].name, int(rx))
            for part, s in enumerate(self.statics.sentences[int(self.st_idx[j])]):
                lines.append((tag + s).encode("ascii"))
                # parts of one message stay adjacent and in order
                st_times.append(rx + part * 1e-6)
        times.append(np.asarray(st_times, dtype=np.float64))
        all_t = np.concatenate(times) if times else np.empty(0)
        order = np.argsort(all_t, kind="stable")
        return all_t[order], [lines[i] for i in order]


def build_feed(
    positions: Transmissions,
    statics: StaticTransmissions,
    stations: tuple[Station, ...],
    model: ReceptionModel,
    rng: np.random.Generator,
    t0: float,
    t1: float,
) -> Feed:
    """Receive every transmission at the coastal stations and encode what was received."""
    down = outages(stations, model, rng, t0, t1)
    p_idx, p_sta, p_rx = receive(
        positions.t_s, positions.lat, positions.lon, stations, model, down, rng
    )
    s_idx, s_sta, s_rx = receive(statics.t_s, statics.lat, statics.lon, stations, model, down, rng)
    payloads = position_payloads(
        positions.msg_type,
        positions.mmsi,
        positions.lat,
        positions.lon,
        positions.sog_kn,
        positions.cog_deg,
        positions.heading,
        np.floor(positions.t_s).astype(np.int64) % 60,
        positions.status,
    )
    chan_b = np.asarray(rng.random(p_idx.shape[0]) < 0.5, dtype=np.bool_)
    return Feed(
        stations, positions, payloads, p_idx, p_sta, p_rx, chan_b, statics, s_idx, s_sta, s_rx
    )

"""Invariants of movements, schedules and the UDP replay (small builders, Hypothesis)."""

from __future__ import annotations

import socket

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from khazar.sim.ais import _schedule
from khazar.sim.engine import SimulationRun
from khazar.sim.movement import NAV_UNDER_WAY, MovementBuilder, Vessel, VesselStatic
from khazar.sim.output import UdpTarget, replay_udp

T0 = 1_767_225_600.0
STATIC = VesselStatic("PROP", "4J0002", 70, 80.0, 12.0)

LEG = st.tuples(
    st.floats(-0.2, 0.2), st.floats(-0.2, 0.2), st.floats(0.5, 30.0), st.booleans()
)


def _build(legs: list[tuple[float, float, float, bool]]) -> MovementBuilder:
    b = MovementBuilder(T0, 40.0, 50.0)
    for dlat, dlon, speed, ais in legs:
        lat, lon = b.here
        b.sail([(lat + dlat, lon + dlon)], speed, NAV_UNDER_WAY, ais_on=ais)
    b.dwell(900.0, 1, np.random.default_rng(0))
    return b


@settings(max_examples=40, deadline=None)
@given(st.lists(LEG, min_size=1, max_size=6), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_clipping_keeps_positions_and_flags(
    legs: list[tuple[float, float, float, bool]], fa: float, fb: float
) -> None:
    m = _build(legs).build()
    # a window that starts before the end overlaps the movement (one starting at its very
    # end does not: Hypothesis found fa = fb = 1.0)
    a = m.start_s + min(fa, fb) * (m.end_s - m.start_s - 1.0)
    b = m.start_s + max(fa, fb) * (m.end_s - m.start_s) + 1.0
    c = m.clipped(a, b)
    assert c is not None
    assert m.clipped(m.end_s, m.end_s + 60.0) is None
    assert c.start_s >= a - 1e-6 and c.end_s <= b + 1e-6
    ts = np.linspace(c.start_s, c.end_s, 50)
    la1, lo1 = m.position_at(ts)
    la2, lo2 = c.position_at(ts)
    assert np.allclose(la1, la2, atol=1e-9) and np.allclose(lo1, lo2, atol=1e-9)
    assert np.all(np.diff(c.t_s) >= 0)


@settings(max_examples=40, deadline=None)
@given(st.lists(LEG, min_size=1, max_size=6), st.sampled_from(["A", "B"]), st.integers(0, 99))
def test_reports_only_while_ais_is_on_and_in_order(
    legs: list[tuple[float, float, float, bool]], ais_class: str, seed: int
) -> None:
    m = _build(legs).build()
    v = Vessel(423000009, "cargo", ais_class, STATIC, m)
    ts = _schedule(v, np.random.default_rng(seed), m.start_s, m.end_s)
    assert np.all(np.diff(ts) > 0)
    seg = np.clip(np.searchsorted(m.t_s, ts, side="right") - 1, 0, len(m.status) - 1)
    # jitter of ±0.2 s may cross a segment boundary by that much
    near_edge = np.minimum(np.abs(ts - m.t_s[seg]), np.abs(m.t_s[seg + 1] - ts)) < 0.25
    assert np.all(m.ais_on[seg] | near_edge)


def test_udp_replay_sends_every_line_in_scaled_time(mixed_run: SimulationRun) -> None:
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(5.0)
    port = rx.getsockname()[1]
    slept: list[float] = []
    clock = [0.0]

    def fake_sleep(s: float) -> None:
        slept.append(s)
        clock[0] += s

    first_chunk = next(mixed_run.feed.chunks())
    n = 200

    class _Run:  # the first 200 lines of the run, through the same replay code
        class feed:
            @staticmethod
            def chunks():  # type: ignore[no-untyped-def]
                yield first_chunk[0][:n], first_chunk[1][:n]

    sent = replay_udp(_Run(), UdpTarget.parse(f"127.0.0.1:{port}"), speed=10.0,  # type: ignore[arg-type]
                      sleep=fake_sleep, clock=lambda: clock[0])
    got = [rx.recv(200) for _ in range(sent)]
    rx.close()
    assert sent == n
    assert got[0] == first_chunk[1][0] + b"\r\n"
    span = float(first_chunk[0][n - 1] - first_chunk[0][0])
    assert abs(sum(slept) - span / 10.0) < 0.05

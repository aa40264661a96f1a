"""The in-band clock rules on hand-made readings: interpolation by line order, held outside
the readings, held where the clock steps back; a base station with a wrong clock outvoted."""

from __future__ import annotations

import numpy as np
from tests.ingest.helpers import sentence

from khazar.ingest.clocks import Clock, ClockKind, ClockScan, clock_reading

S = 1_000_000


def test_interpolated_between_readings_held_outside() -> None:
    clock = Clock(ClockKind.gnss, np.array([10, 20, 30]), np.array([100 * S, 110 * S, 105 * S]))
    t = dict(zip(range(1, 41), clock.times(1, 40), strict=True))
    assert t[1] == t[10] == 100 * S  # before the first reading: its time, no extrapolation
    assert t[15] == 105 * S  # halfway by line order
    assert t[20] == 110 * S
    assert t[25] == t[29] == 110 * S  # the clock steps back at 30: held, never backwards
    assert t[30] == t[40] == 105 * S  # after the last: held


def test_receiver_sentences_and_their_ranks() -> None:
    assert clock_reading("$GPZDA,114702.51,27,01,2012,,*66") == (
        ClockKind.gnss, 1327664822 * S + 510_000)
    assert clock_reading("$GPZDA,114702.51,27,01,2012,,*67") is None  # bad checksum
    assert clock_reading("$PGHP,1,2010,6,11,11,46,11,390,231,45,992190934,1,2B*5B") == (
        ClockKind.gatehouse, 1276256771 * S + 390_000)
    scan = ClockScan()
    scan.feed(1, ["$PGHP,1,2010,6,11,11,46,11,390,231,45,992190934,1,2B*5B",
                  "$GPZDA,114702.51,27,01,2012,,*66"])
    clock = scan.clock()
    assert clock is not None and clock.kind is ClockKind.gnss and clock.readings == 1


def test_a_base_station_with_a_wrong_clock_is_outvoted() -> None:
    # real type-4 payload (DMA log) at 2010-06-11 11:46:11; the same with the hour changed
    good = "402=481uaUcf;OQ55JS9ITi025Jp"
    kind, t = clock_reading(sentence(good)) or (None, 0)
    assert kind is ClockKind.base_station
    bad = good[:10] + chr(ord(good[10]) + 1) + good[11:]  # bits of hour/minute changed
    _, t_bad = clock_reading(sentence(bad)) or (None, 0)
    assert abs(t_bad - t) > 60 * S
    scan = ClockScan()
    scan.feed(1, [sentence(good)] * 5 + [sentence(bad)] + [sentence(good)] * 5)
    clock = scan.clock()
    assert clock is not None and clock.kind is ClockKind.base_station
    assert clock.readings == 10 and set(clock.time_us.tolist()) == {t}

"""The speculative path: provisional events at once, committed ones still equal batch's,
roll-back on reordering, and the "hot" pre-test loses nothing against speculating all."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from khazar.config import DetectSettings
from khazar.detect import Detections, LiveDetector, detect_batch, merge_updates
from khazar.domain import Event
from khazar.tracks import Fixes
from khazar.units import epoch_s

from .builders import T0, Track, at
from .feeds import CORRIDOR_X, PLATFORM_XY, Feed, feed_geography, feeds
from .test_live_batch import closed

SETTINGS = DetectSettings()
GEO = feed_geography()
W = SETTINGS.lateness_window_s


def loiterer(mmsi: int = 273_100_001, minutes: float = 45.0) -> Fixes:
    """Slow (0.5 kn) on the corridor from T0 + 10 min, a fix every 30 s, then away."""
    return (Track(mmsi, t=600.0, x=CORRIDOR_X - 100, y=0.0, every_s=30)
            .leg(minutes, 0.5, course_deg=0).leg(20, 10, course_deg=270).fixes())


def deliver(live: LiveDetector, fx: Fixes, arrive: np.ndarray, commit_every: int = 1
            ) -> list[tuple[float, list[Event], list[Event]]]:
    """Push each message at its arrival time and tick; (clock, provisional, committed)."""
    out = []
    order = np.argsort(arrive, kind="stable")
    for k, i in enumerate(order.tolist()):
        live.push(fx.take(np.array([i])))
        clock = float(arrive[i])
        up = live.tick(clock, commit=k % commit_every == 0)
        out.append((clock, up.provisional, up.committed))
    return out


def test_loitering_alert_does_not_wait_for_the_lateness_window() -> None:
    fx = loiterer()
    live = LiveDetector(SETTINGS, GEO)
    steps = deliver(live, fx, fx.t_s.copy())
    first = next((c, ev) for c, prov, _ in steps for ev in prov if ev.type == "loitering")
    clock, ev = first
    # 20 min in the corridor: the provisional open event comes with that very message
    assert ev.open
    assert abs(clock - (epoch_s(ev.start) + SETTINGS.loiter_protected_min_h * 3600)) <= 30.0
    committed_before = [e for c, _, com in steps if c <= clock for e in com
                        if e.type == "loitering"]
    assert committed_before == []  # the watermark path is still W behind
    later = [e for c, _, com in steps for e in com if e.type == "loitering"]
    assert later and later[0].id == ev.id  # same start, same id: it supersedes
    done = live.finish(float(fx.t_s.max()))
    assert any(e.id == ev.id and not e.open for e in done + later)
    assert live.stats.withdrawn == 0 and live.stats.confirmed >= 1


def test_safety_zone_entry_is_provisional_with_its_message() -> None:
    fx = Track(273_100_002, t=0.0, x=PLATFORM_XY[0] - 3000, y=PLATFORM_XY[1],
               every_s=20).leg(40, 6).fixes()
    live = LiveDetector(SETTINGS, GEO)
    steps = deliver(live, fx, fx.t_s.copy())
    hit = [(c, ev) for c, prov, _ in steps for ev in prov
           if ev.type == "zone_entry" and ev.zone_id == "plat-1-safety"]
    assert hit
    clock, ev = hit[0]
    assert clock == epoch_s(ev.start)  # decided on the message that entered
    live.finish(float(fx.t_s.max()))
    assert live.stats.withdrawn == 0 and live.stats.confirmed >= 1


def alongside(minutes: float, apart_m: float = 120.0) -> Fixes:
    """Two ships drifting side by side (0.6 kn) 25 km offshore from T0 + 5 min, a fix
    every 30 s each, then sailing apart."""
    a = Track(273_100_011, t=300.0, x=30_000, y=25_000, every_s=30).leg(minutes, 0.6)
    b = Track(273_100_012, t=310.0, x=30_000 + apart_m, y=25_000, every_s=30).leg(minutes, 0.6)
    a.leg(30, 9)
    b.leg(30, 9, course_deg=0)
    return Fixes.concat([a.fixes(), b.fixes()])


def test_an_encounter_does_not_wait_for_the_lateness_window() -> None:
    fx = alongside(50)
    order = np.argsort(fx.t_s, kind="stable")
    fx = fx.take(order)
    live = LiveDetector(SETTINGS, GEO)
    steps = deliver(live, fx, fx.t_s.copy())
    prov = [(c, ev) for c, p, _ in steps for ev in p if ev.type == "encounter"]
    assert prov, "no provisional encounter"
    clock, ev = prov[0]
    assert ev.open and {ev.mmsi, ev.other_mmsi} == {273_100_011, 273_100_012}
    # reported at the first grid time that makes 30 min together, not W later
    step = SETTINGS.encounter_step_s
    qualifying = epoch_s(ev.start) + SETTINGS.encounter_min_h * 3600.0
    assert qualifying <= clock < qualifying + step
    com = [(c, e) for c, _, cs in steps for e in cs if e.type == "encounter"]
    assert com and com[0][0] >= clock + W - step  # the watermark path, W behind
    assert com[0][1].id == ev.id  # the same event: it supersedes the provisional one
    live.finish(float(fx.t_s.max()))
    assert live.stats.withdrawn == 0 and live.stats.confirmed >= 1
    # switched off, the encounter waits for the committed path
    off = LiveDetector(SETTINGS, GEO, encounters=False)
    assert not [e for _, p, _ in deliver(off, fx, fx.t_s.copy()) for e in p
                if e.type == "encounter"]


def test_an_encounter_is_speculated_while_a_committed_step_runs() -> None:
    fx = alongside(50)
    fx = fx.take(np.argsort(fx.t_s, kind="stable"))
    ref = [(c, e.id) for c, p, _ in deliver(LiveDetector(SETTINGS, GEO), fx, fx.t_s.copy())
           for e in p if e.type == "encounter"]
    live = LiveDetector(SETTINGS, GEO)
    got: list[tuple[float, str]] = []
    for i in range(len(fx)):  # every look happens while a committed step is running
        live.push(fx.take(np.array([i])))
        clock = float(fx.t_s[i])
        job = live.begin_commit(clock - W)
        got += [(clock, e.id) for e in live.speculate(clock) if e.type == "encounter"]
        if job is not None:
            live.run_commit(job)
            live.end_commit(job)
    assert got and got[0] == ref[0]  # as soon, and the same event
    live.finish(float(fx.t_s.max()))
    assert live.stats.withdrawn == 0 and live.stats.confirmed >= 1


def test_ships_alongside_too_briefly_make_no_provisional_encounter() -> None:
    fx = alongside(20)
    fx = fx.take(np.argsort(fx.t_s, kind="stable"))
    live = LiveDetector(SETTINGS, GEO)
    steps = deliver(live, fx, fx.t_s.copy())
    assert not [e for _, p, c in steps for e in p + c if e.type == "encounter"]


def test_an_out_of_order_message_rolls_the_vessel_back_and_replays() -> None:
    fx = loiterer(minutes=40)
    arrive = fx.t_s.copy()
    late = 50  # this message (inside the loitering) arrives 5 min late
    arrive[late] += 300.0
    live = LiveDetector(SETTINGS, GEO)
    steps = deliver(live, fx, arrive)
    assert live.stats.rollbacks == 1
    ref = LiveDetector(SETTINGS, GEO)
    ref_steps = deliver(ref, fx, fx.t_s.copy())

    def last_open(st: list[tuple[float, list[Event], list[Event]]], until: float) -> Event:
        evs = [e for c, prov, _ in st if c <= until for e in prov if e.type == "loitering"]
        return evs[-1]

    # once the late message is in, the speculative state is the in-order one again
    t = float(arrive[late]) + 60.0
    got, want = last_open(steps, t), last_open(ref_steps, t)
    assert (got.id, got.end, got.evidence) == (want.id, want.end, want.evidence)
    live.finish(float(fx.t_s.max()))
    assert live.stats.withdrawn == 0


def test_a_provisional_event_the_late_message_disproves_is_withdrawn() -> None:
    # a boat crosses into the platform's safety zone; the message that shows it already
    # inside one fix earlier arrives late: the entry's start (and id) moves
    fx = Track(273_100_003, t=0.0, x=PLATFORM_XY[0] - 1200, y=PLATFORM_XY[1],
               every_s=20).leg(15, 6).fixes()
    live_ref = LiveDetector(SETTINGS, GEO)
    ref = deliver(live_ref, fx, fx.t_s.copy())
    entry = next(ev for _, prov, _ in ref for ev in prov if ev.type == "zone_entry")
    k = int(np.flatnonzero(fx.t_s == epoch_s(entry.start))[0])
    assert k > 0
    arrive = fx.t_s.copy()
    arrive[k] += 120.0  # the entering message is 2 min late
    live = LiveDetector(SETTINGS, GEO)
    steps = deliver(live, fx, arrive)
    end = live.finish(float(fx.t_s.max()))
    early = [ev for _, prov, _ in steps for ev in prov if ev.type == "zone_entry"]
    assert early[0].id != entry.id  # decided on the next message, before the late one
    committed = merge_updates([e for _, _, com in steps for e in com] + end)
    assert entry.id in committed and early[0].id not in committed
    assert live.stats.withdrawn >= 1 and live.stats.rollbacks == 1


def run(feed: Feed, seed: int, delay: bool, eager: bool = False) -> tuple[
        list[Event], list[Event], list[Event], LiveDetector]:
    """Every message delivered (with a random delay in [0, W) when ``delay``), a tick each
    60 s of clock; returns (provisional, committed, withdrawn, detector). With ``delay``,
    every other commit is split in its phases with messages pushed and speculated in the
    middle, as ``khazar serve`` does from two threads."""
    rng = np.random.default_rng(seed)
    fx = feed.fixes
    arrive = fx.t_s + (rng.uniform(0, W * 0.999, len(fx)) if delay else 0.0)
    order = np.argsort(arrive, kind="stable")
    fx, arrive = fx.take(order), arrive[order]
    live = LiveDetector(SETTINGS, GEO, eager=eager)
    prov: list[Event] = []
    com: list[Event] = []
    gone: list[Event] = []
    dets = feed.detections.take(np.argsort(feed.detections.t_s, kind="stable"))
    i = j = 0
    clock = float(arrive.min())
    while i < len(fx) and clock - W < feed.end_s:
        k = int(np.searchsorted(arrive, clock, side="right"))
        kd = int(np.searchsorted(dets.t_s, clock, side="right"))
        # (a commit begun at the previous tick's clock: what arrives now is not late for it)
        split = delay and i > 0 and rng.random() < 0.5
        job = live.begin_commit(clock - 60.0 - W) if split else None
        if k > i:
            live.push(fixes=fx.take(np.arange(i, k)))
            i = k
        if kd > j:
            live.push(detections=dets.take(np.arange(j, kd)))
            j = kd
        if job is not None:  # speculate while the committed step is "running"
            prov += live.speculate(clock)
            live.run_commit(job)
            com += live.end_commit(job)
        up = live.tick(clock, commit=job is None)
        prov += up.provisional
        com += up.committed
        gone += up.withdrawn
        clock += 60.0
    live.push(fixes=fx.take(np.arange(i, len(fx))),
              detections=dets.take(np.arange(j, len(dets))))
    up = live.tick(clock, commit=False)
    prov += up.provisional
    com += live.finish(feed.end_s)
    gone += live.tick(clock, commit=False).withdrawn
    return prov, com, gone, live


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True, phases=[Phase.explicit, Phase.generate])
@given(feed=feeds(), seed=st.integers(0, 2**32 - 1))
def test_committed_events_still_equal_batch_and_every_provisional_one_is_settled(
        feed: Feed, seed: int) -> None:
    batch = detect_batch(feed.fixes, SETTINGS, GEO, feed.detections, end_s=feed.end_s)
    batch_closed = closed(batch)
    for delay in (False, True):
        prov, com, gone, live = run(feed, seed, delay)
        latest = merge_updates(com)
        assert live.stats.late_dropped == 0
        assert closed(list(latest.values())) == batch_closed
        settled = set(latest) | {e.id for e in gone}
        assert {e.id for e in prov} <= settled
        assert not {e.id for e in gone} & set(latest)
        if not delay:  # in order, speculation is never wrong
            assert gone == [] and live.stats.rollbacks == 0


PER_VESSEL = ("zone_entry", "zone_exit", "loitering", "ais_gap", "spoofing", "anchor_drag")


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True, phases=[Phase.explicit, Phase.generate])
@given(feed=feeds())
def test_the_hot_pretest_loses_no_provisional_event(feed: Feed) -> None:
    lazy, _, _, _ = run(feed, 0, delay=False)
    eager, _, _, _ = run(feed, 0, delay=False, eager=True)

    def first_seen(evs: list[Event]) -> dict[str, Event]:
        out: dict[str, Event] = {}
        for e in evs:
            if e.type in PER_VESSEL:
                out.setdefault(e.id, e)
        return out

    got, want = first_seen(lazy), first_seen(eager)
    assert set(got) == set(want)
    assert all(got[i].end == want[i].end for i in got)  # and just as early


def test_the_speculative_store_empties_when_vessels_go_quiet() -> None:
    fx = Fixes.concat([loiterer(273_100_010 + k) for k in range(5)])
    live = LiveDetector(SETTINGS, GEO)
    deliver(live, fx, fx.t_s.copy(), commit_every=10)
    assert live.state_size()["speculative"] > 0
    end = float(fx.t_s.max())
    live.tick(end + 2 * W)
    live.tick(end + 3 * W)
    assert live.state_size()["speculative"] <= 5  # only the remembered last positions
    # the slow fixes on the corridor are speculated; the cold ones sailing away are not
    assert 5 * 45 * 2 <= live.stats.speculated < len(fx)


def test_a_vessel_turning_hot_while_a_commit_runs_is_speculated_at_once() -> None:
    fx = Track(273_100_004, t=0.0, x=PLATFORM_XY[0] - 3000, y=PLATFORM_XY[1],
               every_s=20).leg(40, 6).fixes()
    ref = LiveDetector(SETTINGS, GEO)
    entry = next(ev for _, prov, _ in deliver(ref, fx, fx.t_s.copy()) for ev in prov
                 if ev.type == "zone_entry")
    k = int(np.flatnonzero(fx.t_s == epoch_s(entry.start))[0])
    live = LiveDetector(SETTINGS, GEO)
    live.push(fx.take(np.arange(k)))  # the approach, all cold
    assert live.speculate(float(fx.t_s[k - 1])) == []
    # a commit of the whole approach is running when the entering message comes: only the
    # step's own copy knows the fix before it, outside the zone
    job = live.begin_commit(float(fx.t_s[k]))
    assert job is not None and len(job.fixes) == k
    live.push(fx.take(np.array([k])))
    got = [ev for ev in live.speculate(float(fx.t_s[k])) if ev.type == "zone_entry"]
    assert [ev.id for ev in got] == [entry.id]
    live.run_commit(job)
    live.end_commit(job)
    assert live.stats.materialised == 1


def radar(t_s: list[float], xy: list[tuple[float, float]]) -> Detections:
    pts = [at(x, y) for x, y in xy]
    return Detections(T0 + np.asarray(t_s, np.float64), np.array([p[0] for p in pts]),
                      np.array([p[1] for p in pts]), np.full(len(t_s), 15.0),
                      np.array(["radar:A"] * len(t_s)))


def look_each_minute(live: LiveDetector, fx: Fixes, fx_arrive: np.ndarray,
                     dets: Detections, end_s: float, commit_every: int = 1
                     ) -> tuple[list[tuple[float, Event]], list[Event], list[Event]]:
    """Push what has arrived and tick once a minute of feed time (the committed path
    every ``commit_every`` ticks), then finish; returns (clock and provisional event,
    committed events, withdrawn events)."""
    prov: list[tuple[float, Event]] = []
    com: list[Event] = []
    gone: list[Event] = []
    sent_fx = np.zeros(len(fx), bool)
    sent_d = np.zeros(len(dets), bool)
    for k, clock in enumerate(np.arange(T0, end_s + 60.0, 60.0).tolist()):
        fnew = ~sent_fx & (fx_arrive <= clock)
        dnew = ~sent_d & (dets.t_s <= clock)
        sent_fx |= fnew
        sent_d |= dnew
        live.push(fx.take(fnew), dets.take(np.flatnonzero(dnew)))
        up = live.tick(clock, commit=k % commit_every == 0)
        prov += [(clock, e) for e in up.provisional]
        com += up.committed
        gone += up.withdrawn
    com += live.finish(end_s)
    gone += live.take_withdrawn()
    return prov, com, gone


def test_a_dark_contact_does_not_wait_for_the_committed_path() -> None:
    # AIS traffic elsewhere; a boat with no AIS seen by radar every 2 min for 20 min
    ferry = Track(273_100_021, t=0.0, x=-40_000, y=-20_000, every_s=10).leg(80, 12).fixes()
    dets = radar([600.0 + 120 * k for k in range(10)],
                 [(-15_000 + 300 * k, 15_000.0) for k in range(10)])
    live = LiveDetector(SETTINGS, GEO)
    prov, com, gone = look_each_minute(live, ferry, ferry.t_s.copy(), dets,
                                       float(ferry.t_s.max()))
    dark = [(c, e) for c, e in prov if e.type == "dark_vessel"]
    assert dark, "no provisional dark contact"
    clock, first = dark[0]
    # a radar contact needs two detections: with the second, not 30 min + W later
    assert clock == T0 + 720.0 and first.open and first.evidence["detections"] == 2
    assert [e.evidence["detections"] for _, e in dark] == list(range(2, 11))  # it grows
    committed = merge_updates(com)
    assert first.id in committed and not committed[first.id].open
    assert gone == [] and live.stats.confirmed >= 1
    # between commits each look steps only what came since: the same contacts, as soon
    rare = look_each_minute(LiveDetector(SETTINGS, GEO), ferry, ferry.t_s.copy(), dets,
                            float(ferry.t_s.max()), commit_every=10)[0]
    assert [(c, e.id, e.evidence["detections"]) for c, e in rare
            if e.type == "dark_vessel"] == [(c, e.id, e.evidence["detections"])
                                            for c, e in dark]
    # the same as batch, and switched off it waits for the committed path
    batch = detect_batch(ferry, SETTINGS, GEO, dets, end_s=float(ferry.t_s.max()))
    assert [e.id for e in batch if e.type == "dark_vessel"] == [first.id]
    off = LiveDetector(SETTINGS, GEO, dark=False)
    assert not [e for _, e in look_each_minute(off, ferry, ferry.t_s.copy(), dets,
                                               float(ferry.t_s.max()))[0]
                if e.type == "dark_vessel"]


def test_a_dark_contact_whose_ais_comes_late_is_withdrawn() -> None:
    # radar echoes of a ship whose AIS reports of those minutes reach us 8 min late: dark
    # on what was heard at the time, not once the late reports are in
    # (16 kn: more than the 1.5 km of the test from the last fix heard, 190 s before)
    ship = Track(273_100_022, t=0.0, x=-25_000, y=15_000, every_s=10).leg(60, 16)
    fx = ship.fixes()
    rows = ship.rows
    k = [i for i, r in enumerate(rows) if 1320.0 <= r[0] <= 1560.0 and r[0] % 120 == 0]
    dets = radar([rows[i][0] for i in k], [(rows[i][1], rows[i][2]) for i in k])
    arrive = fx.t_s.copy()
    late = (fx.t_s >= T0 + 1140.0) & (fx.t_s <= T0 + 1680.0)
    arrive[late] += 480.0
    live = LiveDetector(SETTINGS, GEO)
    prov, com, gone = look_each_minute(live, fx, arrive, dets, float(fx.t_s.max()))
    dark = {e.id for _, e in prov if e.type == "dark_vessel"}
    assert dark, "the echoes looked dark on what was heard at the time"
    assert not [e for e in com if e.type == "dark_vessel"]
    assert dark <= {e.id for e in gone}

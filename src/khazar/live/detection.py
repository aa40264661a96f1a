"""Live detection inside ``khazar serve``: new positions → detectors → events → alerts.

The ingest thread wakes this stage after each batch it stores (:meth:`LiveDetection.wake`;
at the latest every ``period_s``); the positions (and radar detections) stored since the
last look are pushed into the detection package's :class:`~khazar.detect.LiveDetector`,
whose clock is the feed's clock (the newest message time), so a replayed or simulated feed
is judged on its own time line. Its speculative path runs at once on every look (an alert
in well under a second, DESIGN's live target); its committed path, W behind, runs every
``commit_period_s`` (its work is larger and nobody waits for it). Events are stored, the
alert rules run on them (:func:`khazar.services.alerts.update_alerts`, audited) and new or
changed alerts go to the browsers on the live stream. A provisional event the committed
path withdraws is deleted; an alert resting only on withdrawn events, still unacknowledged,
is closed by ``system`` with the reason (audited). Exercise traffic is left out of the live
picture: a second instance with ``exercise=True`` reads only exercise positions, with its own
detectors and clock, and stores its events and alerts flagged exercise.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Collection, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from khazar.interop.features import alert_feature
from khazar.live.state import ServerState
from khazar.store import live as repo

__all__ = ["LiveDetection"]

logger = logging.getLogger(__name__)


def _filled(values: Any) -> Any:
    return np.asarray(np.ma.filled(np.ma.asarray(values, dtype=np.float64), np.nan))


class _Swapped(Collection[int]):
    """A set of MMSIs replaced whole (one atomic assignment): the committed path reads it
    on its own thread while the speculative path refreshes it."""

    def __init__(self) -> None:
        self._items: frozenset[int] = frozenset()

    def set(self, items: Iterable[int]) -> None:
        self._items = frozenset(items)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __iter__(self) -> Iterator[int]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


class LiveDetection:
    """The detection and alerting stage of the live picture."""

    def __init__(self, state: ServerState, period_s: float | None = None, exercise: bool = False,
                 commit_period_s: float | None = None, update_every_s: float = 5.0,
                 origin: tuple[int, int] | None = None) -> None:
        """``period_s`` and ``commit_period_s`` (seconds) default to the settings'
        ``live.detect_period_s`` and ``live.commit_period_s``. ``origin`` (the rowids of
        positions and detections after which rows are live) defaults to the store's newest
        rows: a successor that takes over another server's detection passes that one's."""
        self.state = state
        live = state.settings.live
        self.period_s = period_s if period_s is not None else live.detect_period_s
        self.commit_period_s = (commit_period_s if commit_period_s is not None
                                else live.commit_period_s)
        #: a provisional open event already in an alert updates it at most this often
        #: (new ones, and those no rule has alerted on yet, go at once: their next version
        #: may be the one that crosses a rule's threshold): the audit log and the browsers
        #: are not flooded
        self.update_every_s = update_every_s
        self._sent_at: dict[str, float] = {}
        #: ids of the events that alerts rest on (bounded with ``_sent_at``)
        self._alerted: set[str] = set()
        #: each vessel's latest static report: (its time, its AIS ship type)
        self._types: dict[int, tuple[float, int]] = {}
        self._fishing = _Swapped()
        self.prefix = "exercise." if exercise else ""
        self._wake = threading.Event()
        self._lock = threading.Lock()  # the detector: speculative and committed threads
        self.exercise = exercise
        self.component = "exercise.detection" if exercise else "detection"
        self.detector: Any = None
        self.context: Any = None
        self.escalate_after = timedelta(minutes=state.settings.alerts.escalate_after_min)
        self.clock_s = float("-inf")
        self._reception_at = float("-inf")
        # positions stored from now on are live; older history is `khazar detect`'s job
        if origin is None:
            with state.locked() as store:
                origin = (repo.top_rowid(store, "positions"), repo.top_rowid(store, "detections"))
        self.pos_wm, self.det_wm = origin
        self.static_wm = -1  # every static report is read at the first look
        self._stop = threading.Event()
        #: set once the detectors are set up (or failed to be): the long-lived state exists
        self.ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="khazar-detect-exercise" if exercise else "khazar-detect",
            daemon=True)
        self._committer = threading.Thread(
            target=self._commit_loop, name=self._thread.name + "-commit", daemon=True)

    def _setup(self) -> None:
        """Geography, detectors and rule context: seconds of work, done off the HTTP path."""
        from khazar.alerts.context import rule_context
        from khazar.detect import LiveDetector
        from khazar.detect.adapters import geography_from_geo
        from khazar.geo import load_geography

        settings = self.state.settings
        geo = load_geography(settings)
        self.detector = LiveDetector(settings.detect,
                                     geography_from_geo(geo, settings, self._fishing))
        self._learn_reception()
        self.context = rule_context(settings, geo)

    def _learn_reception(self) -> None:
        """(Re-)learn the reception map from the stored positions (at set-up, then every
        ``detect.reception_refresh_min``): the detectors see the new map from their next
        step."""
        from khazar.store.picture import load_reception

        days = self.state.settings.detect.reception_days
        self._reception_at = time.monotonic()
        if days <= 0:
            return
        geo = self.detector.geo
        with self.state.locked() as store:
            learned = load_reception(store, geo, days)
        with self._lock:
            geo.reception.map = learned

    def start(self) -> None:
        self.state.components[self.component] = "starting"
        self._thread.start()

    def _pull(self, store: Any) -> tuple[Any, Any]:
        from khazar.detect import Detections
        from khazar.tracks import Fixes

        top = repo.top_rowid(store, "positions")
        tbl = repo.positions_between(store, self.pos_wm, top, self.exercise)
        self.pos_wm = top
        fixes = Fixes.from_arrays(tbl["mmsi"], tbl["t"], tbl["lat"], tbl["lon"],
                                  _filled(tbl["sog_kn"]), _filled(tbl["cog_deg"]),
                                  tbl["hd"], tbl["st"])
        dtop = repo.top_rowid(store, "detections")
        dt = repo.detections_between(store, self.det_wm, dtop, self.exercise)
        self.det_wm = dtop
        dets = Detections(np.asarray(dt["t"], np.float64), np.asarray(dt["lat"], np.float64),
                          np.asarray(dt["lon"], np.float64), _filled(dt["length_m"]),
                          np.asarray(dt["source"]).astype(str))
        return fixes, dets

    def wake(self) -> None:
        """New rows are stored: look now rather than at the next period (any thread)."""
        self._wake.set()

    def step(self, commit: bool = False) -> int:
        """One look at the store and a speculative step (and, with ``commit``, a committed
        one); returns the number of new or changed alerts."""
        refresh_s = self.state.settings.detect.reception_refresh_min * 60.0
        if time.monotonic() - self._reception_at >= refresh_s:
            self._learn_reception()
        with self.state.locked() as store:
            # the types in the same look as the positions: a rule's ship-type exemption
            # does not depend on how the feed was cut into looks
            self._read_types(store)
            fixes, dets = self._pull(store)
        # the detectors are pure computation: run them without holding the store
        if len(fixes):
            self.clock_s = max(self.clock_s, float(np.max(fixes.t_s)))
        if len(dets):
            self.clock_s = max(self.clock_s, float(np.max(dets.t_s)))
        if self.clock_s == float("-inf"):
            return 0
        started = time.monotonic()
        with self._lock:
            self.detector.push(fixes, dets)
            provisional = self.detector.speculate(self.clock_s)
            withdrawn = self.detector.take_withdrawn()
        self.state.count(self.prefix + "detect.speculate_ms",
                         round((time.monotonic() - started) * 1000))
        if provisional:
            self.state.count(self.prefix + "detect.provisional", len(provisional))
        changed = self._apply(self._throttled(provisional), withdrawn)
        return changed + (self.commit() if commit else 0)

    def commit(self) -> int:
        """One step of the committed (watermark) path; the speculative path goes on
        meanwhile. Returns the number of new or changed alerts."""
        started = time.monotonic()
        with self._lock:
            job = self.detector.begin_commit(self.clock_s - self.detector.lateness_s)
        if job is None:
            self._measure_lag()
            return 0
        try:
            self.detector.run_commit(job)
        finally:
            with self._lock:
                events = self.detector.end_commit(job)
                withdrawn = self.detector.take_withdrawn()
                st = self.detector.stats
                size = self.detector.state_size()
        self.state.components[self.component + ".live"] = (
            f"committed path {self.detector.lateness_s:.0f} s behind the feed clock, "
            f"{size['buffer']} messages held back; speculative path: {st.speculated} "
            f"messages, {st.materialised} vessels materialised, {st.rollbacks} roll-backs, "
            f"{st.provisional} provisional events, {st.confirmed} confirmed, "
            f"{st.withdrawn} withdrawn")
        self.state.count(self.prefix + "detect.commit_ms",
                         round((time.monotonic() - started) * 1000))
        self._measure_lag()
        return self._apply(events, withdrawn)

    def _measure_lag(self) -> None:
        """``state.detection_lag_s``: seconds from the committed watermark to the newest
        position time seen (the live instance's; the exercise one has its own clock)."""
        if self.exercise:
            return
        wm = self.detector.watermark_s
        if np.isfinite(wm) and np.isfinite(self.clock_s):
            self.state.detection_lag_s = max(0.0, self.clock_s - float(wm))

    def _read_types(self, store: Any) -> None:
        """Ship types arrive with static reports: read those stored since the last look
        (every one at the first), before that look's positions, so that the rules'
        ship-type exemptions (tugs, pilots, fishing) and the detectors' fishing boats judge
        a position knowing every static report stored with or before it, as batch does."""
        from khazar.detect.adapters import FISHING_SHIP_TYPE

        top = repo.top_rowid(store, "vessels_static")
        if top <= self.static_wm:
            return
        changed = False
        for mmsi, t, kind in repo.ship_types_between(store, self.static_wm, top):
            known = self._types.get(mmsi)
            if known is None or (t >= known[0] and kind != known[1]):
                changed = True
            if known is None or t >= known[0]:
                self._types[mmsi] = (t, kind)
        self.static_wm = top
        if changed:
            types = {m: k for m, (_, k) in self._types.items()}
            self.context = dataclasses.replace(self.context, ship_types=types)
            self._fishing.set(m for m, k in types.items() if k == FISHING_SHIP_TYPE)

    def _apply(self, events: list[Any], withdrawn: list[Any]) -> int:
        """Store events, run the alert rules, settle withdrawals, publish the alerts."""
        from khazar.services.alerts import update_alerts

        if not events and not withdrawn:
            return 0
        now = datetime.now(UTC)
        with self.state.locked() as store:
            repo.store_events(store, events, detected_at=now, exercise=self.exercise)
            if self.exercise:  # flagged exercise; the live instance escalates for both
                result = update_alerts(store, self.context, events, now,
                                       exercise_event_ids=[e.id for e in events])
            else:
                result = update_alerts(store, self.context, events, now,
                                       escalate_after=self.escalate_after)
            closed = self._withdraw(store, withdrawn, now)
        self.state.count(self.prefix + "detect.events", len(events))
        changed = [*result.new, *result.updated, *result.escalated, *closed]
        for alert in changed:
            self._alerted.update(alert.event_ids)
        self.state.count(self.prefix + "alerts.raised", len(result.new))
        self._log(result.new, result.escalated, closed)
        for alert in changed:
            self.state.hub.publish("alert", alert_feature(alert))
        return len(changed)

    def _log(self, new: Iterable[Any], escalated: Iterable[Any], closed: Iterable[Any]
             ) -> None:
        kind = "exercise alert" if self.exercise else "alert"
        for a in new:
            logger.warning("%s %s raised: %s, severity %s, vessel %s", kind, a.id, a.type,
                           a.severity, a.mmsi)
        for a in escalated:
            logger.warning("%s %s escalated: %s, severity %s, vessel %s", kind, a.id, a.type,
                           a.severity, a.mmsi)
        for a in closed:
            logger.info("%s %s closed: its provisional detection was withdrawn", kind, a.id)

    def _throttled(self, provisional: list[Any]) -> list[Any]:
        """New provisional events, updates of those no alert rests on yet, and updates of
        the others not sent for ``update_every_s``."""
        now = time.monotonic()
        out = []
        for ev in provisional:
            if (not ev.open or ev.id not in self._alerted
                    or now - self._sent_at.get(ev.id, -np.inf) >= self.update_every_s):
                self._sent_at[ev.id] = now
                out.append(ev)
        if len(self._sent_at) > 10_000 or len(self._alerted) > 10_000:
            # bounded: forget what was not updated lately
            horizon = now - 10 * self.update_every_s
            self._sent_at = {k: t for k, t in self._sent_at.items() if t >= horizon}
            self._alerted &= set(self._sent_at)
        return out

    def _withdraw(self, store: Any, withdrawn: list[Any], now: datetime) -> list[Any]:
        """Delete withdrawn provisional events; close the unacknowledged alerts that rest
        only on them. Returns the alerts closed."""
        from khazar.services.alerts import acknowledge_alert, resolve_alert

        if not withdrawn:
            return []
        ids = sorted({e.id for e in withdrawn})
        self.state.count(self.prefix + "detect.withdrawn", len(ids))
        repo.delete_events(store, ids)
        gone = set(ids)
        closed = []
        for alert in repo.new_alerts(store):
            if alert.event_ids and set(alert.event_ids) <= gone:
                acknowledge_alert(store, alert.id, "system", now)
                closed.append(resolve_alert(
                    store, alert.id, "system",
                    "withdrawn: a provisional detection that messages arriving late "
                    "did not confirm", now))
        return closed

    def _run(self) -> None:
        try:
            self._setup()
        except Exception as exc:
            logger.exception("%s: setting up the detectors failed; live detection is off",
                             self.component)
            self.state.components[self.component] = (
                f"unavailable: {type(exc).__name__}: {exc}")
            return
        finally:
            self.ready.set()
        self.state.components[self.component] = "running"
        self._committer.start()
        while not self._stop.is_set():
            self._wake.wait(self.period_s)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.step()
            except Exception as exc:  # keep the live picture up; report on /api/status
                self._failed("speculative", exc)

    def _commit_loop(self) -> None:
        while not self._stop.wait(self.commit_period_s):
            try:
                self.commit()
            except Exception as exc:  # keep the live picture up; report on /api/status
                self._failed("committed", exc)

    def _failed(self, path: str, exc: Exception) -> None:
        """Log a failed step with its traceback (called from an ``except`` block) and show
        it on /api/status; the loop goes on with the next step."""
        logger.exception("%s: a %s step failed", self.component, path)
        self.state.components[self.component] = f"error: {type(exc).__name__}: {exc}"
        self.state.count(self.prefix + "detect.errors")

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)
        if self._committer.is_alive():
            self._committer.join(timeout=5)
        if not self.exercise:
            self.state.detection_lag_s = None

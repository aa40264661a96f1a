"""Live detection inside ``khazar serve``: new positions → detectors → events → alerts.

The ingest thread wakes this stage after each batch it stores (:meth:`LiveDetection.wake`;
at the latest every ``period_s``); the positions (and radar detections) stored since the
last look are pushed into the detection package's :class:`~khazar.detect.LiveDetector`,
whose clock is the feed's clock (the newest message time), so a replayed or simulated feed
is judged on its own time line. Its speculative path runs at once on every look (an alert
in well under a second, DESIGN's live target); its committed path, W behind, runs every
``commit_period_s`` (its work is larger and nobody waits for it). Events are stored, the
alert rules run on them (:func:`khazar.alerts.service.update_alerts`, audited) and new or
changed alerts go to the browsers on the live stream. A provisional event the committed
path withdraws is deleted; an alert resting only on withdrawn events, still unacknowledged,
is closed by ``system`` with the reason (audited). Exercise traffic is left out of the live
picture: a second instance with ``exercise=True`` reads only exercise positions, with its own
detectors and clock, and stores its events and alerts flagged exercise.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from khazar.api.geojson import alert_feature
from khazar.api.state import ServerState

__all__ = ["LiveDetection"]


def _filled(values: Any) -> Any:
    return np.asarray(np.ma.filled(np.ma.asarray(values, dtype=np.float64), np.nan))


class LiveDetection:
    """The detection and alerting stage of the live picture."""

    def __init__(self, state: ServerState, period_s: float = 0.5, exercise: bool = False,
                 commit_period_s: float = 2.0) -> None:
        self.state = state
        self.period_s = period_s
        self.commit_period_s = commit_period_s
        self._last_commit = 0.0
        self._wake = threading.Event()
        self.exercise = exercise
        self.component = "exercise.detection" if exercise else "detection"
        self._flag = "exercise" if exercise else "NOT exercise"
        self.detector: Any = None
        self.context: Any = None
        self.escalate_after = timedelta(minutes=state.settings.alerts.escalate_after_min)
        self.clock_s = float("-inf")
        # positions stored from now on are live; older history is `khazar detect`'s job
        with state.locked() as store:
            self.pos_wm = self._top(store.conn, "positions")
            self.det_wm = self._top(store.conn, "detections")
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="khazar-detect-exercise" if exercise else "khazar-detect",
            daemon=True)

    def _setup(self) -> None:
        """Geography, detectors and rule context: seconds of work, done off the HTTP path."""
        from khazar.alerts.context import rule_context
        from khazar.detect import LiveDetector
        from khazar.detect.adapters import geography_from_geo
        from khazar.geo import load_geography

        settings = self.state.settings
        geo = load_geography(settings)
        self.detector = LiveDetector(settings.detect, geography_from_geo(geo, settings))
        # the committed path's first step, before any feed arrives, is cheap: warm it up
        self._last_commit = time.monotonic()
        self.context = rule_context(settings, geo)

    @staticmethod
    def _top(conn: Any, table: str) -> int:
        row = conn.execute(f"SELECT coalesce(max(rowid), -1) FROM {table}").fetchone()
        return int(row[0]) if row else -1

    def start(self) -> None:
        self.state.components[self.component] = "starting"
        self._thread.start()

    def _pull(self, conn: Any) -> tuple[Any, Any]:
        from khazar.detect import Detections
        from khazar.tracks import Fixes

        top = self._top(conn, "positions")
        tbl = conn.execute(
            "SELECT mmsi, epoch_us(ts) / 1e6 AS t, lat, lon, sog_kn, cog_deg, "
            "coalesce(heading_deg, -1) AS hd, coalesce(status, -1) AS st FROM positions "
            f"WHERE rowid > ? AND rowid <= ? AND {self._flag} ORDER BY ts",
            [self.pos_wm, top],
        ).fetchnumpy()
        self.pos_wm = top
        fixes = Fixes.from_arrays(tbl["mmsi"], tbl["t"], tbl["lat"], tbl["lon"],
                                  _filled(tbl["sog_kn"]), _filled(tbl["cog_deg"]),
                                  tbl["hd"], tbl["st"])
        dtop = self._top(conn, "detections")
        dt = conn.execute(
            "SELECT epoch_us(ts) / 1e6 AS t, lat, lon, length_m, source FROM detections "
            f"WHERE rowid > ? AND rowid <= ? AND {self._flag} ORDER BY ts",
            [self.det_wm, dtop],
        ).fetchnumpy()
        self.det_wm = dtop
        dets = Detections(np.asarray(dt["t"], np.float64), np.asarray(dt["lat"], np.float64),
                          np.asarray(dt["lon"], np.float64), _filled(dt["length_m"]),
                          np.asarray(dt["source"]).astype(str))
        return fixes, dets

    def wake(self) -> None:
        """New rows are stored: look now rather than at the next period (any thread)."""
        self._wake.set()

    def step(self, commit: bool | None = None) -> int:
        """One look at the store; returns the number of new or changed alerts.

        ``commit`` runs the committed path too (default: when ``commit_period_s`` has
        passed since it last ran)."""
        from khazar.alerts.service import update_alerts
        from khazar.store.events import upsert_events
        from khazar.store.picture import ship_types

        with self.state.locked() as store:
            fixes, dets = self._pull(store.conn)
        # the detectors are pure computation: run them without holding the store
        if len(fixes):
            self.clock_s = max(self.clock_s, float(np.max(fixes.t_s)))
        if len(dets):
            self.clock_s = max(self.clock_s, float(np.max(dets.t_s)))
        self.detector.push(fixes, dets)
        if self.clock_s == float("-inf"):
            return 0
        if commit is None:
            commit = time.monotonic() - self._last_commit >= self.commit_period_s
        if commit:
            self._last_commit = time.monotonic()
        update = self.detector.tick(self.clock_s, commit=commit)
        events = [*update.provisional, *update.committed]
        prefix = "exercise." if self.exercise else ""
        if update.provisional:
            self.state.count(prefix + "detect.provisional", len(update.provisional))
        if not events and not update.withdrawn:
            return 0
        now = datetime.now(UTC)
        with self.state.locked() as store:
            # ship types arrive with static reports: refresh them so the rules' ship-type
            # exemptions (tugs, pilots, fishing) hold live as they do in batch
            self.context = dataclasses.replace(self.context, ship_types=ship_types(store))
            upsert_events(store.conn, events, detected_at=now, exercise=self.exercise)
            if self.exercise:  # flagged exercise; the live instance escalates for both
                result = update_alerts(store, self.context, events, now,
                                       exercise_event_ids=[e.id for e in events])
            else:
                result = update_alerts(store, self.context, events, now,
                                       escalate_after=self.escalate_after)
            closed = self._withdraw(store, update.withdrawn, now)
        self.state.count(prefix + "detect.events", len(events))
        changed = [*result.new, *result.updated, *result.escalated, *closed]
        self.state.count(prefix + "alerts.raised", len(result.new))
        for alert in changed:
            self.state.hub.publish("alert", alert_feature(alert.to_dict()))
        return len(changed)

    def _withdraw(self, store: Any, withdrawn: list[Any], now: datetime) -> list[Any]:
        """Delete withdrawn provisional events; close the unacknowledged alerts that rest
        only on them. Returns the alerts closed."""
        from khazar.alerts.model import AlertState
        from khazar.alerts.service import acknowledge_alert, resolve_alert
        from khazar.store import alerts as repo

        if not withdrawn:
            return []
        ids = sorted({e.id for e in withdrawn})
        self.state.count(("exercise." if self.exercise else "") + "detect.withdrawn", len(ids))
        store.conn.execute(
            f"DELETE FROM events WHERE id IN ({', '.join('?' * len(ids))})", ids)
        gone = set(ids)
        closed = []
        for alert in repo.list_alerts(store.conn, [AlertState.new]):
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
            self.state.components[self.component] = (
                f"unavailable: {type(exc).__name__}: {exc}")
            return
        self.state.components[self.component] = "running"
        while not self._stop.is_set():
            self._wake.wait(self.period_s)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.step()
            except Exception as exc:  # keep the live picture up; report on /api/status
                self.state.components[self.component] = f"error: {type(exc).__name__}: {exc}"
                self.state.count(("exercise." if self.exercise else "") + "detect.errors")

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)

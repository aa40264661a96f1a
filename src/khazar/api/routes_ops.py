"""Operations: ``/api/health`` (no login) and ``/metrics`` (Prometheus text format).

``/api/health`` answers 200 when the server is ready to serve its purpose and 503 when
not, with each check and its value in the body; ``/api/health/live`` only says that the
process answers (for a supervisor that should restart a hung process, not one whose feed
is down). ``/metrics`` is read at scrape time from the runtime state through a collector
of its own registry (one per app: tests build many apps, and the global registry would
mix them); who may read it is :func:`khazar.api.auth.operations_reader`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from starlette.routing import Mount

from khazar.api.auth import StateDep, operations_reader
from khazar.errors import KhazarError
from khazar.live.state import ServerState

__all__ = ["RouteTemplates", "ServerMetrics", "StateCollector", "health_checks", "router"]

logger = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])

#: the methods counted by name; anything else is ``other`` (a label must stay bounded)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: seconds; API reads are milliseconds, a login (argon2) a fraction of a second
_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_PICTURES = (("live", ""), ("exercise", "exercise."))


class StateCollector:
    """The runtime state as metrics, read when Prometheus scrapes (nothing to keep in step).

    Only the counters' own small locks are taken, never the store's: a scrape never
    waits for ingest or a long query.
    """

    def __init__(self, state: ServerState) -> None:
        self.state = state

    def describe(self) -> Iterable[Metric]:
        """The families' names (no samples), so the registry refuses a clashing metric."""
        return list(self._families().values())

    def collect(self) -> Iterable[Metric]:
        state = self.state
        feeds = state.feeds.snapshot()
        with state.counters_lock:
            counters = dict(state.counters)
        now = time.monotonic()
        fam = self._families()
        for source, s in sorted(feeds.items()):
            fam["received"].add_metric([source], s.received)
            fam["accepted"].add_metric([source], s.accepted)
            fam["rejected"].add_metric([source], s.rejected)
            fam["dropped"].add_metric([source], s.dropped)
            fam["kernel_drops"].add_metric([source], s.kernel_drops)
            for reason, n in sorted(s.reasons.items()):
                fam["by_reason"].add_metric([source, reason], n)
            fam["connects"].add_metric([source], s.connects)
            fam["connected"].add_metric([source], 1.0 if s.connected else 0.0)
            if s.last_line_monotonic is not None:
                fam["line_age"].add_metric([source], max(0.0, now - s.last_line_monotonic))
        for picture, prefix in _PICTURES:
            fam["positions"].add_metric([picture], counters.get(prefix + "positions", 0))
            fam["alerts"].add_metric([picture], counters.get(prefix + "alerts.raised", 0))
        lag = state.detection_lag_s
        if lag is not None:  # absent while detection does not run: absent() alerts on it
            fam["lag"].add_metric([], lag)
        fam["clients"].add_metric([], state.hub.subscribers)
        fam["published"].add_metric([], state.hub.published)
        fam["sessions"].add_metric([], len(state.sessions))
        for name, answers in (("alerts", state.alert_answers),
                              ("vessels", state.vessel_answers)):
            fam["answers"].add_metric([name, "kept"], answers.hits)
            fam["answers"].add_metric([name, "built"], answers.misses)
        return list(fam.values())

    @staticmethod
    def _families() -> dict[str, Any]:
        def counter(name: str, doc: str, labels: list[str]) -> CounterMetricFamily:
            return CounterMetricFamily(name, doc, labels=labels)

        def gauge(name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
            return GaugeMetricFamily(name, doc, labels=labels)

        src = ["source"]
        return {
            "received": counter("khazar_feed_lines_received",
                                "Lines received from a feed's transport", src),
            "accepted": counter("khazar_feed_lines_accepted",
                                "Lines ingest accepted (decoded or kept as a fragment)", src),
            "rejected": counter("khazar_feed_lines_rejected",
                                "Lines ingest rejected (bad checksum, garbage, ...)", src),
            "dropped": counter("khazar_feed_lines_dropped",
                               "Lines dropped: queue full (slow consumer) or over a bound", src),
            "kernel_drops": counter("khazar_feed_kernel_drops",
                                    "Datagrams the kernel dropped on a UDP feed's socket "
                                    "(receive buffer full)", src),
            "by_reason": counter("khazar_feed_lines_rejected_by_reason",
                                 "Lines rejected, by reason (line_too_long, rate_limited, "
                                 "bad_checksum, ...)", ["source", "reason"]),
            "connects": counter("khazar_feed_connects",
                                "Times a feed's connection was (re)established", src),
            "connected": gauge("khazar_feed_connected",
                               "1 while a feed is connected (TCP), listening (UDP) or open", src),
            "line_age": gauge("khazar_feed_last_line_age_seconds",
                              "Seconds since a feed's last line", src),
            "positions": counter("khazar_positions_stored",
                                 "Positions stored, live picture or exercise", ["picture"]),
            "alerts": counter("khazar_alerts_raised",
                              "Alerts raised by live detection, live picture or exercise",
                              ["picture"]),
            "lag": gauge("khazar_detection_lag_seconds",
                         "Seconds live detection's committed path lags the newest position", []),
            "clients": gauge("khazar_live_clients", "Open live streams (/api/live)", []),
            "published": counter("khazar_live_messages_published",
                                 "Messages published to the live streams", []),
            "sessions": gauge("khazar_sessions", "Open login sessions", []),
            "answers": counter("khazar_list_answers",
                               "GET /api/alerts and /api/vessels answers: kept (given again "
                               "while nothing they show changed) or built (from the store)",
                               ["list", "how"]),
        }


class ServerMetrics:
    """The app's Prometheus registry: the state (:class:`StateCollector`), the process
    (CPU seconds, memory bytes, open files) and the HTTP requests the app answered."""

    def __init__(self, state: ServerState) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(StateCollector(state))
        ProcessCollector(registry=self.registry)
        self.http_requests = Counter(
            "khazar_http_requests", "HTTP requests answered, by route template and status",
            ["method", "route", "status"], registry=self.registry)
        self.http_seconds = Histogram(
            "khazar_http_request_duration_seconds",
            "Seconds from a request's arrival to the end of its answer, by route template",
            ["method", "route"], registry=self.registry, buckets=_DURATION_BUCKETS)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request; ``route`` is the template (``/api/alerts/{alert_id}``),
        never the raw path, so the number of series stays bounded."""
        method = method if method in _METHODS else "other"
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_seconds.labels(method, route).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


# health ---------------------------------------------------------------------------------
def _store_check(state: ServerState) -> dict[str, Any]:
    """Writable store: the lock free within the probe's timeout, the handle not read-only,
    the file writable, and one trivial query answered."""
    timeout = state.settings.serve.health_lock_timeout_s
    started = time.monotonic()
    if not state.lock.acquire(timeout=timeout):
        return {"ok": False, "reason": f"busy: the store was not free within {timeout:g} s"}
    try:
        waited = time.monotonic() - started
        try:
            state.store.schema_version  # noqa: B018 -- a query: the connection answers
        except Exception:  # a driver error of any kind means not ready; the log has it
            logger.warning("health: the store did not answer a trivial query", exc_info=True)
            return {"ok": False, "reason": "the store did not answer (see the server log)"}
    finally:
        state.lock.release()
    read_only = state.store.read_only
    path = state.store.path  # a DuckDB file; a database server checks its own rights
    file_writable = path is None or os.access(path, os.W_OK)
    check: dict[str, Any] = {"ok": not read_only and file_writable,
                             "read_only": read_only, "file_writable": file_writable,
                             "lock_wait_s": round(waited, 4)}
    if read_only:
        check["reason"] = "the store is open read-only"
    elif not file_writable:
        check["reason"] = "the store file is not writable by this process"
    return check


def _feeds_check(state: ServerState, detail: bool) -> dict[str, Any]:
    """Every feed the server knows is connected (none configured: nothing to wait for)."""
    feeds = state.feeds.snapshot()
    down = sorted(source for source, s in feeds.items() if not s.connected)
    check: dict[str, Any] = {"ok": not down, "sources": len(feeds),
                             "connected": len(feeds) - len(down)}
    if detail:  # feed addresses: only to the operations readers (see operations_reader)
        check["down"] = down
    return check


def _detection_check(state: ServerState) -> dict[str, Any]:
    """Live detection keeps up: its lag (seconds) within ``serve.health_max_detection_lag_s``;
    not running (lag unknown) is not a failure of readiness."""
    lag = state.detection_lag_s
    limit = state.settings.serve.health_max_detection_lag_s
    return {"ok": lag is None or lag <= limit,
            "lag_s": None if lag is None else round(lag, 3), "max_lag_s": limit}


def health_checks(state: ServerState, detail: bool = False) -> dict[str, Any]:
    """The readiness checks by name, and ``ready`` when all pass."""
    checks = {"store": _store_check(state), "feeds": _feeds_check(state, detail),
              "detection": _detection_check(state)}
    ready = all(c["ok"] for c in checks.values())
    return {"live": True, "ready": ready, "checks": checks}


def _may_see_detail(request: Request, state: ServerState) -> bool:
    try:
        operations_reader(request, state)
    except KhazarError:
        return False
    return True


# Not in the OpenAPI document, which describes the authenticated API (every route there
# needs a session; the fuzzer reads a 503 as a server error): these are for probes and
# scrapers, documented in docs/console.md.
@router.get(
    "/api/health",
    summary="Readiness (no login): store, feeds, detection lag; 200 ready, 503 not",
    include_in_schema=False,
)
def health(request: Request, state: StateDep) -> JSONResponse:
    """``{"live", "ready", "checks": {"store", "feeds", "detection"}}``, each check with
    ``ok`` and its values; the names of feeds that are down only for the operations
    readers (a scraper on this host, the metrics token, an administrator)."""
    body = health_checks(state, detail=_may_see_detail(request, state))
    # a line when readiness changes, not one per probe (a probe every few seconds)
    previous = getattr(request.app.state, "last_ready", None)
    if body["ready"] != previous:
        request.app.state.last_ready = body["ready"]
        failing = [name for name, c in body["checks"].items() if not c["ok"]]
        if failing:
            logger.warning("health: not ready (%s)", ", ".join(failing),
                           extra={"failing": failing})
        elif previous is not None:
            logger.info("health: ready again")
    return JSONResponse(body, status_code=200 if body["ready"] else 503,
                        headers={"Cache-Control": "no-store"})


@router.get("/api/health/live", summary="Liveness (no login): the process answers",
            include_in_schema=False)
def health_live() -> dict[str, bool]:
    """Always ``{"live": true}``: no store, no feeds, nothing that can be slow."""
    return {"live": True}


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, state: StateDep) -> Response:
    """Prometheus text format; for a scraper on this host, the metrics token or an admin."""
    operations_reader(request, state)
    server_metrics: ServerMetrics = request.app.state.metrics
    return Response(server_metrics.exposition(), media_type=CONTENT_TYPE_PLAIN_0_0_4)


class RouteTemplates:
    """Which path template answered a request, for the HTTP metrics' ``route`` label.

    A router's routes do not know the prefix they were included under (``/alerts/{alert_id}``
    served as ``/api/alerts/{alert_id}``), and static mounts leave no route in the request's
    scope, so the app records both as it builds itself.
    """

    def __init__(self) -> None:
        # keyed by id(): routes define __eq__ without __hash__; they live as long as the app
        self._by_id: dict[int, str] = {}

    def add_router(self, router: APIRouter, prefix: str) -> None:
        for route in router.routes:
            path = getattr(route, "path", None)
            if isinstance(path, str):
                self._by_id[id(route)] = prefix + path

    def add_mounts(self, routes: Iterable[Any]) -> None:
        """The static mounts among the app's own routes: ``/console`` → ``/console/{path}``."""
        for route in routes:
            if isinstance(route, Mount):
                self._by_id[id(route.app)] = route.path.rstrip("/") + "/{path}"

    def __call__(self, scope: Any) -> str:
        """The template of the route or mount that answered, or ``unmatched`` (a 404 of
        no route, a 405): never the raw path, so the number of series stays bounded."""
        route = scope.get("route")
        if route is not None:
            found = self._by_id.get(id(route))
            if found is not None:
                return found
            path = getattr(route, "path", None)  # a route of the app itself
            if isinstance(path, str):
                return path
        return self._by_id.get(id(scope.get("endpoint")), "unmatched")

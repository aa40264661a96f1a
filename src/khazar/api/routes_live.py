"""Live updates as Server-Sent Events (``/api/live``) and the server's status."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from khazar.api.auth import Reader, StateDep
from khazar.audit import Role
from khazar.live.hub import LiveMessage
from khazar.services.sessions import EndReason
from khazar.store import queries

__all__ = ["ADMIN_ONLY", "router"]

router = APIRouter(tags=["live"])

#: live events only an admin's stream carries (``security``: login lockouts)
ADMIN_ONLY = frozenset({"security"})
#: a comment line this often keeps proxies and the browser from timing the stream out
_KEEPALIVE_S = 15.0


@router.get(
    "/live",
    summary="Live updates (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def live(
    request: Request,
    who: Reader,
    state: StateDep,
) -> StreamingResponse:
    """Events ``positions`` (batches of vessel updates), ``alert``, ``note``, ``event``
    and ``status``; for admins also ``security`` (an account or address locked out).
    Each stream has a bounded queue: a slow client loses updates (counted
    in ``/api/status``), never slows ingest. Reconnecting clients re-read the collections.

    The stream lasts as long as its session: when the session ends (logout, the user
    disabled, a new role or password, an admin ending it, here or on another server of
    the database) the stream sends ``session_ended`` (``reason``, ``message``) and closes
    at once, before any further update; a client must not reconnect after it."""
    sub = state.hub.subscribe()
    session_id = who.session.id

    async def stream() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        ended: asyncio.Future[EndReason] = loop.create_future()

        def on_end(reason: EndReason) -> None:  # on whichever thread ended the session
            if not loop.is_closed():
                loop.call_soon_threadsafe(_settle, ended, reason)

        unwatch = state.sessions.watch(session_id, on_end)
        if unwatch is None:  # ended between the authentication and now
            _settle(ended, EndReason.logout)
        getter: asyncio.Future[LiveMessage] | None = None
        try:
            yield "retry: 2000\n\n"
            yield f"event: hello\ndata: {{\"user\": \"{who.username}\"}}\n\n"
            while True:
                if ended.done():
                    state.count("live.sessions_ended")
                    yield _ended_frame(ended.result())
                    break
                if await request.is_disconnected():
                    break
                if getter is None:
                    getter = asyncio.ensure_future(sub.queue.get())
                await asyncio.wait((getter, ended), timeout=_KEEPALIVE_S,
                                   return_when=asyncio.FIRST_COMPLETED)
                if ended.done():
                    continue
                if not getter.done():
                    if state.sessions.get(session_id) is None:  # expired
                        _settle(ended, EndReason.expired)
                        continue
                    yield ": keep-alive\n\n"
                    continue
                msg, getter = getter.result(), None
                if msg.kind in ADMIN_ONLY and who.role is not Role.admin:
                    continue
                yield msg.to_sse()
        finally:
            if getter is not None:
                getter.cancel()
            if unwatch is not None:
                unwatch()
            state.hub.unsubscribe(sub)

    return StreamingResponse(
        stream(), media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _settle(ended: asyncio.Future[EndReason], reason: EndReason) -> None:
    if not ended.done():
        ended.set_result(reason)


def _ended_frame(reason: EndReason) -> str:
    data = json.dumps({"reason": reason.value, "message": reason.message})
    return f"event: session_ended\ndata: {data}\n\n"


@router.get("/status", summary="Server status: store, listeners, queues, components")
def status(
    who: Reader,
    state: StateDep,
) -> dict[str, Any]:
    """Counters of the ingest pipeline and the live stream, per feed source (received,
    accepted, rejected by reason, dropped by the queue, dropped by the kernel; totals since
    the store was made, carried across restarts), and which optional components
    (geography, detection, patrol …) are available."""
    from khazar.api.services import optional

    with state.counters_lock:
        counters = dict(state.counters)
    components = dict(state.components)
    with state.locked() as store:  # the one connection refuses concurrent calls
        schema_version = store.schema_version
        newest = queries.newest_position(store)
    capabilities = {
        "geography": optional("khazar.geo", "load_geography") is not None,
        "energy": optional("khazar.energy", "asset_criticality") is not None,
        "alerts": optional("khazar.store.alerts", "list_alerts") is not None,
        "patrol_plan": "patrol_plan" in state.cache,
        # boat ETAs and intercept courses: the patrol package's dispatch
        "dispatch": optional("khazar.patrol", "plan_dispatch") is not None,
        "detection": optional("khazar.detect", "LiveDetector") is not None,
        "ingest": optional("khazar.ingest.pipeline", "Ingestor") is not None,
    }
    return {
        "store": state.store.location,
        "schema_version": schema_version,
        "live": {"subscribers": state.hub.subscribers, "published": state.hub.published,
                 "dropped": state.hub.dropped, "queue_max": state.hub.queue_max},
        "sessions": len(state.sessions),
        "counters": counters,
        "feeds": state.feeds.report(),
        "components": components,
        "capabilities": capabilities,
        "picture": picture_clock(newest, datetime.now(UTC), state.settings.serve.stale_after_s),
    }


def picture_clock(newest: tuple[datetime, str] | None, now: datetime, stale_after_s: float
                  ) -> dict[str, Any]:
    """The live picture's clock against the wall's: ``time`` (the newest position's),
    ``wall_lag_s`` (how far it is behind the wall clock; negative when ahead) and
    ``replay``: true when the data's clock is not the wall clock — the newest report came
    from a file (a replayed or simulated feed, ``name@hash``) or is more than
    ``stale_after_s`` away from the wall clock. The console shows a banner when it is."""
    if newest is None:
        return {"time": None, "wall_lag_s": None, "replay": False, "source": None}
    ts, source = newest
    lag = round((now - ts).total_seconds(), 1)
    from_file = "@" in source  # files are stored as "<name>@<content hash>"
    return {"time": ts.isoformat(timespec="seconds"), "wall_lag_s": lag,
            "replay": from_file or abs(lag) > stale_after_s, "source": source}

"""Live updates as Server-Sent Events (``/api/live``) and the server's status."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from khazar.api.auth import Reader, StateDep
from khazar.audit import Role
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
    in ``/api/status``), never slows ingest. Reconnecting clients re-read the collections."""
    sub = state.hub.subscribe()

    async def stream() -> AsyncIterator[str]:
        try:
            yield "retry: 2000\n\n"
            yield f"event: hello\ndata: {{\"user\": \"{who.username}\"}}\n\n"
            while True:
                if await request.is_disconnected():
                    break
                try:
                    msg = await asyncio.wait_for(sub.queue.get(), timeout=_KEEPALIVE_S)
                except TimeoutError:
                    if state.sessions.get(who.session.id) is None:
                        break
                    yield ": keep-alive\n\n"
                    continue
                if msg.kind in ADMIN_ONLY and who.role is not Role.admin:
                    continue
                yield msg.to_sse()
        finally:
            state.hub.unsubscribe(sub)

    return StreamingResponse(
        stream(), media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


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

"""The HTTP API and the console server (DESIGN C8).

- :func:`create_app` builds the FastAPI app for a :class:`ServerState` (the one store
  handle, its lock, the sessions and the live hub).
- :mod:`~khazar.api.auth`: session cookie or bearer token, CSRF, role checks.
- :mod:`~khazar.api.features`: OGC API Features parameters and responses.
- :mod:`~khazar.live.hub`: bounded fan-out of live updates (SSE on ``/api/live``).
- :mod:`~khazar.api.server`: ``khazar serve``: uvicorn around the live runtime (:mod:`khazar.live`).
"""

from khazar.api.app import create_app
from khazar.live.hub import LiveHub, LiveMessage
from khazar.live.state import ServerState

__all__ = [
    "LiveHub",
    "LiveMessage",
    "ServerState",
    "create_app",
]

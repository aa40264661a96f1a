"""CLI commands through a running ``khazar serve``: find it, log in, read and act.

DuckDB lets one process open the store. While ``khazar serve`` holds it, opening fails
with :class:`~khazar.errors.StoreLockedError` naming the holder (``PID n (command)``).
When that holder is a ``khazar serve`` (or ``khazar demo``), its address is read from its
own command line (``--host``/``--port``, defaults 127.0.0.1:8000) unless the environment
variable ``KHAZAR_SERVER`` names it (``http://HOST:PORT``). The command then logs in as
``--user`` (or ``KHAZAR_USER``) with the password from ``KHAZAR_PASSWORD`` or a prompt,
so every action is the named user's, checked by role and audited by the server.

The functions here turn API answers back into the domain values the commands print
(:class:`~khazar.domain.alerts.Alert`, :class:`~khazar.domain.Event`), so a command's
output is the same whichever way it reached the data.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from khazar.api.client import ApiClient
from khazar.domain import Event
from khazar.domain.alerts import Alert, AlertState, Severity, triage_order
from khazar.errors import InputError, StoreLockedError

__all__ = [
    "PASSWORD_ENV",
    "SERVER_ENV",
    "USER_ENV",
    "alert_from_dict",
    "alerts",
    "connect",
    "event_from_dict",
    "events",
    "server_url",
    "server_url_from_args",
]

SERVER_ENV = "KHAZAR_SERVER"
USER_ENV = "KHAZAR_USER"
PASSWORD_ENV = "KHAZAR_PASSWORD"
#: commands that hold the store and serve the API on --host/--port
_SERVING = ("serve", "demo")
_PID = re.compile(r"^PID (\d+)\b")


def _holder_args(holder: str | None) -> list[str] | None:
    """The command line of the process named ``PID n (…)`` by the lock error."""
    match = _PID.match(holder or "")
    if match is None:
        return None
    try:
        raw = Path(f"/proc/{match.group(1)}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _option(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def server_url_from_args(args: list[str]) -> str | None:
    """``http://HOST:PORT`` of a ``khazar serve``/``demo`` command line, else None."""
    if not any(a in _SERVING for a in args):
        return None
    host = _option(args, "--host") or "127.0.0.1"
    port = _option(args, "--port") or "8000"
    if host in ("0.0.0.0", "::", ""):  # listening everywhere: loopback reaches it
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def server_url(error: StoreLockedError, env: Mapping[str, str] | None = None) -> str:
    """Where the server holding the store answers, or the lock error itself when the
    holder is not a server (an ingest, a backup: wait for it to finish)."""
    env = os.environ if env is None else env
    if env.get(SERVER_ENV):
        return env[SERVER_ENV].rstrip("/")
    args = _holder_args(error.holder)
    url = server_url_from_args(args) if args else None
    if url is None:
        raise error
    return url


def connect(
    error: StoreLockedError,
    user: str | None,
    prompt_password: Callable[[str], str],
    env: Mapping[str, str] | None = None,
) -> ApiClient:
    """A logged-in client of the server holding the store (see the module text)."""
    env = os.environ if env is None else env
    url = server_url(error, env)
    name = user or env.get(USER_ENV)
    if not name:
        raise InputError(
            f"store {error.path} is held by the Khazar server at {url}; this command goes "
            f"through its API: pass --user NAME (or set {USER_ENV}), with the password in "
            f"{PASSWORD_ENV} or typed at the prompt"
        )
    password = env.get(PASSWORD_ENV) or prompt_password(f"Password for {name} at {url}")
    client = ApiClient(url)
    try:
        client.login(name, password)
    except BaseException:
        client.close()
        raise
    return client


def _ts(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def alert_from_dict(d: Mapping[str, Any]) -> Alert:
    """An :class:`Alert` from its ``to_dict()`` form (an API feature's properties)."""
    return Alert(
        id=str(d["id"]), rule=str(d["rule"]), type=str(d["type"]),
        severity=Severity(d["severity"]), score=float(d["score"]),
        state=AlertState(d["state"]), mmsi=d.get("mmsi"), other_mmsi=d.get("other_mmsi"),
        asset_id=d.get("asset_id"), zone_id=d.get("zone_id"),
        lat=float(d["lat"]), lon=float(d["lon"]),
        first_ts=_ts(d["first_ts"]), last_ts=_ts(d["last_ts"]),
        event_ids=tuple(d.get("event_ids") or ()), summary=str(d.get("summary") or ""),
        created_at=_ts(d["created_at"]), updated_at=_ts(d["updated_at"]),
        assigned_boat=d.get("assigned_boat"), resolution=d.get("resolution"),
        escalated=bool(d.get("escalated")), exercise=bool(d.get("exercise")),
    )


def event_from_dict(d: Mapping[str, Any]) -> Event:
    """An :class:`Event` from the API's event properties (DESIGN's event line)."""
    return Event(
        type=str(d["type"]), mmsi=d.get("mmsi"), start=_ts(d["start"]), end=_ts(d["end"]),
        lat=float(d["lat"]), lon=float(d["lon"]), other_mmsi=d.get("other_mmsi"),
        zone_id=d.get("zone_id"), asset_id=d.get("asset_id"),
        evidence=dict(d.get("evidence") or {}), open=bool(d.get("open")),
    )


def alerts(api: ApiClient, states: Iterable[AlertState] | None = None) -> list[Alert]:
    """Every alert (live and exercise) in the watch floor's order (most severe first, then
    the longest waiting), as the store lists them."""
    params: dict[str, Any] = {"limit": 10_000}
    if states is not None:
        params["state"] = [s.value for s in states]
    found = [alert_from_dict(f["properties"])
             for exercise in (False, True)
             for f in api.get("/alerts", exercise=exercise, **params)["features"]]
    return triage_order(found)


def events(api: ApiClient, type_: str | None, mmsi: int | None, since: datetime | None,
           limit: int | None) -> list[Event]:
    """Stored events (live and exercise), oldest first, as ``khazar events`` lists them
    (at most 10,000 of each kind: the API's page)."""
    params: dict[str, Any] = {"limit": 10_000, "type": type_, "mmsi": mmsi}
    if since is not None:
        params["datetime"] = f"{since.isoformat()}/.."
    found = [event_from_dict(f["properties"])
             for exercise in (False, True)
             for f in api.get("/events", exercise=exercise, **params)["features"]]
    found.sort(key=lambda e: (e.start, e.type, e.id))
    return found[:limit] if limit is not None else found

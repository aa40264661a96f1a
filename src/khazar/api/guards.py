"""Guards every request passes before a route sees it (issue 18, finding 6).

* :class:`JsonGuard`: a JSON body with ``NaN``, ``Infinity`` (or a number too large for a
  double) or an integer beyond 64 bits is refused with 422, naming what was wrong; Python's
  parser accepts them, and they reached the routes and the database as 500s.
* :class:`OriginGuard`: a state-changing request (POST, PUT, PATCH, DELETE) that carries an
  ``Origin`` header must come from this server's own host (``Host``, http or https) or one of
  ``serve.allowed_origins`` (403 otherwise). Browsers send ``Origin`` on such requests;
  scripts and the CLI send none and are not affected. With the SameSite cookies and the
  CSRF token this closes cross-site writes, the login included.

Which client address a request has is uvicorn's to say: it believes ``X-Forwarded-For``
only from ``serve.trusted_proxies`` (:mod:`khazar.api.server`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["JsonGuard", "OriginGuard", "check_json"]

_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_INT64 = 2**63
#: a body larger than this is not JSON any route takes (the biggest, a patrol plan, is
#: far smaller); refused with 413 rather than buffered
MAX_JSON_BYTES = 4 * 1024 * 1024


class _Refused(ValueError):
    pass


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number; send a finite number or null")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > 19 or not -_INT64 <= int(text) < _INT64:
        raise _Refused(f"the integer {text[:24]}{'…' if len(text) > 24 else ''} is beyond "
                       f"64 bits")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text[:24]} is too large for a double")
    return value


def check_json(body: bytes) -> str | None:
    """Why ``body`` is refused (NaN, Infinity, an integer beyond 64 bits), or None. A body
    that is not JSON at all is left to the route's own validation."""
    try:
        json.loads(body, parse_constant=_constant, parse_int=_integer, parse_float=_float)
    except _Refused as exc:
        return str(exc)
    except ValueError:  # not JSON (or not UTF-8): the route answers 422 itself
        return None
    return None


async def _answer(send: Send, status: int, detail: str, error: str) -> None:
    body = json.dumps({"detail": detail, "error": error}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _too_large() -> str:
    return f"a request body of more than {MAX_JSON_BYTES} bytes is not accepted"


class JsonGuard:
    """Reads a state-changing request's JSON body, refuses what :func:`check_json`
    refuses (422), and hands the body on unchanged. A body of any type larger than
    ``MAX_JSON_BYTES`` is refused with 413: at once when its ``Content-Length`` says so,
    else as soon as that much has arrived (it is never buffered whole)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None and length.strip().isdigit() and \
                int(length) > MAX_JSON_BYTES:
            await _answer(send, 413, _too_large(), "InputError")
            return
        if scope["method"] not in _UNSAFE or \
                "json" not in (_header(scope, b"content-type") or "").lower():
            await self.app(scope, _bounded(receive), send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_JSON_BYTES:
                await _answer(send, 413, _too_large(), "InputError")
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        problem = check_json(body)
        if problem is not None:
            await _answer(send, 422, f"the JSON body is not acceptable: {problem}",
                          "InputError")
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _bounded(receive: Receive) -> Receive:
    """``receive`` that ends a body beyond ``MAX_JSON_BYTES`` as if the client had gone
    (the route stops reading; what it read is bounded)."""
    size = 0

    async def bounded() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > MAX_JSON_BYTES:
                return {"type": "http.disconnect"}
        return message

    return bounded


class OriginGuard:
    """403 for a state-changing request whose ``Origin`` is neither this server's nor
    one of ``allowed`` (``scheme://host[:port]``, lower case)."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str] = ()) -> None:
        self.app = app
        self.allowed = frozenset(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in _UNSAFE:
            origin = _header(scope, b"origin")
            if origin is not None and not self._accepted(scope, origin.strip().lower()):
                await _answer(send, 403, f"requests from origin {origin[:100]!r} may not "
                              "change anything here; use the console this server serves "
                              "(or list the origin in serve.allowed_origins)",
                              "PermissionDeniedError")
                return
        await self.app(scope, receive, send)

    def _accepted(self, scope: Scope, origin: str) -> bool:
        if origin in self.allowed:
            return True
        # the same host, by either scheme: behind a proxy that ends TLS the server sees
        # http while the browser's origin says https
        host = (_header(scope, b"host") or "").strip().lower()
        return bool(host) and origin in (f"http://{host}", f"https://{host}")

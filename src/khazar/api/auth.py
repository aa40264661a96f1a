"""Authentication and authorisation for every route.

A request is authenticated by the session cookie (browsers) or by
``Authorization: Bearer <session id>`` (the CLI and scripts). Unsafe methods
(POST/PUT/PATCH/DELETE) authenticated by the cookie must also carry the session's CSRF
token in the ``X-CSRF-Token`` header (double submit: the token is readable by the page
in the ``khazar_csrf`` cookie and the login response, never by another site). Bearer
requests need no CSRF token: a browser never adds that header by itself.
Each route names the :class:`~khazar.audit.Action` it needs; the role table decides.

The operations views (``/metrics``, the detail of ``/api/health``) have their own rule,
:func:`operations_reader`: see docs/console.md, "Health, metrics and logs".
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from khazar.audit import Action, Role, parse_role, require
from khazar.errors import AuthenticationError, PermissionDeniedError
from khazar.live.state import ServerState
from khazar.services.sessions import Session

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "CurrentUser",
    "Principal",
    "Reader",
    "StateDep",
    "authorize",
    "get_state",
    "operations_reader",
    "principal",
]

SESSION_COOKIE = "khazar_session"
CSRF_COOKIE = "khazar_csrf"
CSRF_HEADER = "X-CSRF-Token"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: set by a reverse proxy: the request is not the proxy's own, even when it comes from loopback
_FORWARDED = ("forwarded", "x-forwarded-for", "x-real-ip")


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of a request (satisfies audit's ``HasRole``)."""

    username: str
    role_name: str
    session: Session
    via_cookie: bool

    @property
    def role(self) -> Role:
        return parse_role(self.role_name)

    @property
    def disabled(self) -> bool:
        return False


async def get_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.khazar
    return state


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def principal(request: Request, state: StateDep) -> Principal:
    """The caller, or 401. Cookie-authenticated unsafe requests must pass the CSRF check.

    The dependencies here are coroutines (memory only: the session table's short lock):
    a plain function would cost each request a trip to a worker thread and back, and
    with a feed running each such trip waits for the interpreter (issue 18)."""
    token = _bearer(request)
    via_cookie = token is None
    if token is None:
        token = request.cookies.get(SESSION_COOKIE)
    session = state.sessions.get(token)
    if session is None:
        raise AuthenticationError(
            "not logged in or the session expired; log in at /api/login (POST username, "
            "password) and send the session cookie or 'Authorization: Bearer <token>'"
        )
    if via_cookie and request.method in _UNSAFE:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
            raise PermissionDeniedError(
                f"missing or wrong {CSRF_HEADER} header for a cookie-authenticated "
                f"{request.method}; send the csrf_token from the login response"
            )
    return Principal(session.username, session.role, session, via_cookie)


def authorize(action: Action) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the authenticated caller, if their role grants ``action`` (else 403)."""

    async def dependency(who: CurrentUser) -> Principal:
        require(who, action)
        return who

    dependency.__name__ = f"authorize_{action.value.replace('.', '_')}"
    return dependency


#: route parameter types: ``state: StateDep``, ``who: CurrentUser``, ``who: Reader``
StateDep = Annotated[ServerState, Depends(get_state)]
CurrentUser = Annotated[Principal, Depends(principal)]
Reader = Annotated[Principal, Depends(authorize(Action.picture_read))]


def _from_loopback(request: Request) -> bool:
    """The peer is this host (127.0.0.0/8, ::1) and no proxy says it forwards someone else."""
    if request.client is None or any(h in request.headers for h in _FORWARDED):
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:  # not an address (a Unix socket's peer, a test client's name)
        return False


def operations_reader(request: Request, state: ServerState) -> str:
    """How the caller may read the operations views, or :class:`AuthenticationError` (401)
    / :class:`PermissionDeniedError` (403): ``"loopback"`` (a scraper on this host),
    ``"token"`` (``Authorization: Bearer`` the configured ``serve.metrics_token``), or
    ``"admin"`` (an admin's session, cookie or bearer).

    They name the feeds' addresses and show when the picture is blind, which is worth
    knowing to someone planning to go unseen; so not for anyone who reaches the port.
    """
    if _from_loopback(request):
        return "loopback"
    token = _bearer(request)
    configured = state.settings.serve.metrics_token
    if (token is not None and configured is not None
            and hmac.compare_digest(token.encode(), configured.get_secret_value().encode())):
        return "token"
    session = state.sessions.get(token if token is not None
                                 else request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise AuthenticationError(
            "the operations views need a scraper on this host, 'Authorization: Bearer' the "
            "configured serve.metrics_token, or an administrator's session"
        )
    if parse_role(session.role) is not Role.admin:
        raise PermissionDeniedError(
            f"role {session.role!r} may not read the operations views; an administrator may"
        )
    return "admin"

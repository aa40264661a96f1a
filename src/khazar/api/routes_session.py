"""Login, logout, "who am I" and one's own password (``/api/login``, ``/api/logout``,
``/api/me``, ``/api/me/password``)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from khazar.api.auth import CSRF_COOKIE, SESSION_COOKIE, CurrentUser, Principal, StateDep
from khazar.audit import PERMISSIONS
from khazar.errors import AuthenticationError, PermissionDeniedError, ThrottledError
from khazar.live.state import ServerState
from khazar.services.logins import (
    Failure,
    Lockout,
    check_allowed_with,
    record_failure,
    record_success,
)
from khazar.services.sessions import EndReason
from khazar.services.users import authenticate_with, change_own_password
from khazar.store.audit import append

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter(tags=["session"])


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class SessionInfo(BaseModel):
    username: str
    role: str
    actions: list[str]
    csrf_token: str
    token: str | None = None
    expires_at: str


def _info(who: Principal, with_token: bool = False) -> SessionInfo:
    return SessionInfo(
        username=who.username,
        role=who.role.value,
        actions=sorted(a.value for a in PERMISSIONS[who.role]),
        csrf_token=who.session.csrf_token,
        token=who.session.id if with_token else None,
        expires_at=who.session.expires_at.isoformat(timespec="seconds"),
    )


@router.post("/login", response_model=SessionInfo, summary="Log in; sets the session cookie")
async def login(
    body: LoginRequest, request: Request, response: Response,
    state: StateDep,
) -> SessionInfo:
    """Check the password (argon2), open a session, set the ``khazar_session`` cookie
    (HttpOnly, SameSite=Strict) and the ``khazar_csrf`` cookie. The JSON answer holds the
    CSRF token for cookie requests and the bearer ``token`` for scripts.

    A login refused because the account or the address must wait (429) is answered after
    ``login.refusal_delay_s`` (or the rest of the wait, if shorter) on the event loop,
    holding no thread: eight clients guessing in a loop then cost a few requests a second
    instead of hundreds, and the server's other readers do not notice them."""
    try:
        return await run_in_threadpool(_login, body, request, response, state)
    except ThrottledError as exc:
        settings = state.settings.login
        delay = min(settings.refusal_delay_s, exc.retry_after_s)
        if delay > 0 and state.login_waits.hold(settings.max_delayed):
            try:
                await asyncio.sleep(delay)
            finally:
                state.login_waits.release()
        raise


def _login(body: LoginRequest, request: Request, response: Response,
           state: ServerState) -> SessionInfo:
    client = request.client.host if request.client else None
    # 429 while the account or the address must wait (a known wait costs no store time)
    check_allowed_with(state.locked, body.username, client, datetime.now(UTC),
                       state.login_waits)
    try:
        # the store is held only for the reads and writes; argon2 runs on state.passwords
        user = authenticate_with(state.locked, body.username, body.password,
                                 run=state.passwords.run)
    except AuthenticationError as exc:
        with state.locked() as store:
            failure = record_failure(store, body.username, client, datetime.now(UTC),
                                     state.settings.login)
        _remember(state, failure)
        if failure.audited:
            # for the operator watching the log (guessing, a locked-out colleague), at the
            # audit's bounded rate; the name as typed, repr'd so a crafted name cannot
            # forge a log line; never the password
            logger.warning("failed login as %r from %s: %s", body.username[:64], client, exc,
                           extra={"event": "login_failed", "username": body.username[:64],
                                  "client": client, "reason": str(exc)})
        for lock in failure.lockouts:
            _tell_admins(state, lock)
        raise
    session = state.sessions.create(user.username, user.role.value)
    state.login_waits.forget(f"user:{user.username}")
    with state.locked() as store:
        record_success(store, user.username)
        append(store, user.username, "session.login", detail={"role": user.role.value})
    max_age = int(state.sessions.max_age.total_seconds())
    secure = request.url.scheme == "https"
    response.set_cookie(SESSION_COOKIE, session.id, max_age=max_age, httponly=True,
                        samesite="strict", secure=secure, path="/")
    response.set_cookie(CSRF_COOKIE, session.csrf_token, max_age=max_age, httponly=False,
                        samesite="strict", secure=secure, path="/")
    who = Principal(user.username, user.role.value, session, via_cookie=True)
    return _info(who, with_token=True)


def _remember(state: ServerState, failure: Failure) -> None:
    now_us = int(datetime.now(UTC).timestamp() * 1_000_000)
    for key, until_us in failure.waits:
        if until_us > now_us:
            state.login_waits.remember(key, until_us, now_us)


def _tell_admins(state: ServerState, lock: Lockout) -> None:
    """A lockout is a burst of guessing: the admins' consoles show it at once (the live
    stream's ``security`` event, sent to admins only, relayed to every server), and the
    log and the audit (``session.lockout``) keep it."""
    logger.warning("login lockout of %s %r after %d failures (last from %s) until %s",
                   lock.kind, lock.name, lock.failures, lock.client, lock.until,
                   extra={"event": "login_lockout", "lock_kind": lock.kind,
                          "locked": lock.name, "client": lock.client})
    state.hub.publish("security", {"event": "login_lockout", **lock.as_dict()})


@router.post("/logout", summary="End the session")
def logout(
    response: Response, who: CurrentUser,
    state: StateDep,
) -> dict[str, Any]:
    """End the caller's session and clear the cookies (audited)."""
    state.sessions.delete(who.session.id, EndReason.logout)
    with state.locked() as store:
        append(store, who.username, "session.logout")
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return {"logged_out": who.username}


class OwnPasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


@router.post("/me/password", summary="Change your own password (ends your other sessions)")
def change_password(
    body: OwnPasswordChange, request: Request, who: CurrentUser, state: StateDep,
) -> dict[str, Any]:
    """Any logged-in user may replace their own password, giving the current one (a
    wrong one counts as a failed login: the same back-off and lockout). The new one must
    pass the policy. The user's other sessions end; this one stays."""
    client = request.client.host if request.client else None
    check_allowed_with(state.locked, who.username, client, datetime.now(UTC),
                       state.login_waits)
    try:
        change_own_password(state.locked, who.username, body.current_password,
                            body.new_password, run=state.passwords.run)
    except AuthenticationError:
        with state.locked() as store:
            failure = record_failure(store, who.username, client, datetime.now(UTC),
                                     state.settings.login)
        _remember(state, failure)
        for lock in failure.lockouts:
            _tell_admins(state, lock)
        raise PermissionDeniedError(
            "the current password is wrong; the password was not changed") from None
    ended = state.sessions.delete_user(who.username, keep=who.session.id,
                                       reason=EndReason.password_changed)
    return {"username": who.username, "sessions_ended": ended}


@router.get("/me", response_model=SessionInfo, summary="The logged-in user and their actions")
def me(who: CurrentUser) -> SessionInfo:
    """Who is logged in, the role, the actions it grants and the CSRF token."""
    return _info(who)

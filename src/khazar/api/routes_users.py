"""User administration while ``khazar serve`` holds the store (``/api/users``).

Every route needs ``users.manage`` (admin). The work is :mod:`khazar.audit`'s (policy,
argon2, the last-admin rule, the audit entry); this module adds one thing the store
cannot: a user who is disabled, changes role or gets a new password loses every open
session at once, so a role taken away is taken away now, not when the session expires.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from khazar.api.auth import Principal, StateDep, authorize
from khazar.audit import Action
from khazar.errors import NotFoundError
from khazar.live.state import ServerState
from khazar.services.sessions import EndReason
from khazar.services.users import (
    add_user_with,
    disable_user,
    enable_user,
    get_user,
    list_users,
    set_password_with,
    set_role,
)
from khazar.store.audit import append

__all__ = ["router"]

router = APIRouter(tags=["users"])

Admin = Annotated[Principal, Depends(authorize(Action.users_manage))]


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    role: str = Field(min_length=1, max_length=32,
                      description="viewer, analyst, operator, planner, exercise_director, admin")
    password: str = Field(min_length=1, max_length=1024)


class RoleChange(BaseModel):
    role: str = Field(min_length=1, max_length=32)


class PasswordChange(BaseModel):
    password: str = Field(min_length=1, max_length=1024)


def _answer(user: Any, sessions_ended: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = user.as_dict()
    out["sessions_ended"] = sessions_ended
    return out


def _known(state: ServerState, username: str) -> None:
    with state.locked() as store:
        if get_user(store, username) is None:
            raise NotFoundError(f"no user {username!r}; see GET /api/users")


@router.get("/users", summary="Users with their role and state")
def users(who: Admin, state: StateDep) -> dict[str, Any]:
    with state.locked() as store:
        found = list_users(store)
    return {"users": [u.as_dict() for u in found]}


@router.post("/users", summary="Add a user (audited users.add)")
def add(body: NewUser, who: Admin, state: StateDep) -> dict[str, Any]:
    """The password must pass the policy; it is hashed with argon2id and never echoed."""
    user = add_user_with(state.locked, body.username, body.password, body.role,
                         actor=who.username, run=state.passwords.run)
    return _answer(user)


@router.post("/users/{username}/disable", summary="Disable a user and end their sessions")
def disable(username: str, who: Admin, state: StateDep) -> dict[str, Any]:
    _known(state, username)
    with state.locked() as store:
        user = disable_user(store, username, actor=who.username)
    return _answer(user, state.sessions.delete_user(user.username, reason=EndReason.disabled))


@router.post("/users/{username}/enable", summary="Enable a disabled user")
def enable(username: str, who: Admin, state: StateDep) -> dict[str, Any]:
    _known(state, username)
    with state.locked() as store:
        user = enable_user(store, username, actor=who.username)
    return _answer(user)


@router.post("/users/{username}/role", summary="Change a user's role and end their sessions")
def role(username: str, body: RoleChange, who: Admin, state: StateDep) -> dict[str, Any]:
    """The user logs in again to act with the new role (sessions keep the role they
    were opened with, so ending them is what makes the change immediate)."""
    _known(state, username)
    with state.locked() as store:
        before = get_user(store, username)
        user = set_role(store, username, body.role, actor=who.username)
    changed = before is not None and before.role is not user.role
    ended = (state.sessions.delete_user(user.username, reason=EndReason.role_changed)
             if changed else 0)
    return _answer(user, ended)


@router.post("/users/{username}/password", summary="Set a password and end the sessions")
def password(username: str, body: PasswordChange, who: Admin,
             state: StateDep) -> dict[str, Any]:
    _known(state, username)
    # argon2 on the password workers, the store held only to read and write
    set_password_with(state.locked, username, body.password, actor=who.username,
                      run=state.passwords.run)
    with state.locked() as store:
        user = get_user(store, username)
    assert user is not None
    return _answer(user, state.sessions.delete_user(user.username,
                                                    reason=EndReason.password_changed))


@router.get("/sessions", summary="Open sessions on this server (who, since, until)")
def sessions(who: Admin, state: StateDep) -> dict[str, Any]:
    """Each session's ``handle`` (a digest of its id: the id itself is the credential and
    is never shown), user, role, when it opened and when it expires. Sessions live in the
    memory of each ``khazar serve``: this lists the ones of the server answering."""
    return {"sessions": [
        {"handle": s.handle, "username": s.username, "role": s.role,
         "created_at": s.created_at.isoformat(timespec="seconds"),
         "expires_at": s.expires_at.isoformat(timespec="seconds"),
         "current": s.id == who.session.id}
        for s in state.sessions.live()]}


@router.delete("/sessions/{handle}", summary="End a session (audited session.end)")
def end_session(handle: str, who: Admin, state: StateDep) -> dict[str, Any]:
    """The session ends at once, and with it its live streams. On a server of a shared
    PostgreSQL database a handle that is not this server's is passed to the others, which
    end it if they hold it (``ended`` false, ``relayed`` true: this server cannot know)."""
    ended = state.sessions.delete_handle(handle, EndReason.ended_by_admin)
    relayed = ended is None and state.sessions.relay is not None
    if ended is None and not relayed:
        raise NotFoundError(f"no open session {handle!r} on this server; see GET /api/sessions")
    with state.locked() as store:
        append(store, who.username, "session.end",
               target=ended.username if ended is not None else None,
               detail={"handle": handle, **({"relayed": True} if relayed else {})})
    return {"handle": handle, "username": ended.username if ended is not None else None,
            "ended": ended is not None, "relayed": relayed}

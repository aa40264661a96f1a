"""Users in the store: add, list, disable / enable, change password or role, authenticate.

Every change is written in the same transaction as its audit entry (actions
``users.add``, ``users.disable``, ``users.enable``, ``users.passwd``, ``users.role``,
``users.rehash``); passwords never reach the store or the audit log, only their
argon2id hashes reach the store. User names are normalised to lower case.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher

from khazar.audit.passwords import (
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
    waste_verify,
)
from khazar.audit.roles import Role, parse_role
from khazar.errors import AuthenticationError, AuthError, InputError
from khazar.store import Store
from khazar.store import users as repo
from khazar.store.audit import audited

__all__ = [
    "Locked",
    "Runner",
    "User",
    "add_user",
    "add_user_with",
    "authenticate",
    "authenticate_with",
    "change_own_password",
    "disable_user",
    "enable_user",
    "get_user",
    "list_users",
    "normalise_username",
    "set_password",
    "set_password_with",
    "set_role",
]

_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")


@dataclass(frozen=True, slots=True)
class User:
    """A user as the rest of Khazar sees it (never with the password hash)."""

    username: str
    role: Role
    disabled: bool
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "role": self.role.value,
            "disabled": self.disabled,
            "created_at": self.created_at.isoformat(),
        }


def normalise_username(username: str) -> str:
    """``username`` stripped and lower-cased; :class:`InputError` if it is not a valid name."""
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise InputError(
            f"user name {username!r} is not valid: 2 to 32 characters, a letter first, "
            f"then letters, digits, '.', '_' or '-'"
        )
    return name


def _user(row: repo.StoredUser) -> User:
    try:
        parsed = Role(row.role)
    except ValueError:
        raise AuthError(
            f"user {row.username!r} has unknown role {row.role!r} in the store; set a valid "
            f"one with `khazar users role {row.username} ROLE`"
        ) from None
    return User(row.username, parsed, row.disabled, row.created_at)


def get_user(store: Store, username: str) -> User | None:
    """The user called ``username``, or None."""
    row = repo.select_user(store, username.strip().lower())
    return _user(row) if row else None


def list_users(store: Store) -> list[User]:
    """Every user, by name."""
    return [_user(row) for row in repo.select_users(store)]


def _existing(store: Store, username: str) -> User:
    user = get_user(store, username)
    if user is None:
        raise InputError(f"no user {username!r}; see `khazar users list`")
    return user


def _keep_an_admin(store: Store, user: User, change: str) -> None:
    if (user.role is Role.admin and not user.disabled
            and repo.count_enabled(store, Role.admin.value) == 1):
        raise InputError(
            f"cannot {change} {user.username!r}: it is the last enabled admin; "
            f"add another admin first"
        )


def disable_user(store: Store, username: str, *, actor: str) -> User:
    """Disable a user: it can no longer log in nor act (audited as ``users.disable``)."""
    user = _existing(store, username)
    if user.disabled:
        return user
    _keep_an_admin(store, user, "disable")
    with audited(store) as tx:
        repo.update_disabled(tx, user.username, True)
        tx.append(actor, "users.disable", target=user.username)
    return _existing(store, user.username)


def enable_user(store: Store, username: str, *, actor: str) -> User:
    """Enable a disabled user again (audited as ``users.enable``)."""
    user = _existing(store, username)
    if not user.disabled:
        return user
    with audited(store) as tx:
        repo.update_disabled(tx, user.username, False)
        tx.append(actor, "users.enable", target=user.username)
    return _existing(store, user.username)


def set_role(store: Store, username: str, role: Role | str, *, actor: str) -> User:
    """Change a user's role (audited as ``users.role`` with the old and new role)."""
    user = _existing(store, username)
    parsed = role if isinstance(role, Role) else parse_role(role)
    if parsed is user.role:
        return user
    _keep_an_admin(store, user, "demote")
    with audited(store) as tx:
        repo.update_role(tx, user.username, parsed.value)
        tx.append(
            actor,
            "users.role",
            target=user.username,
            detail={"from": user.role.value, "to": parsed.value},
        )
    return _existing(store, user.username)


#: a context manager factory giving the store for one short unit of work (the server's
#: ``ServerState.locked``); the slow password work never runs inside it
Locked = Callable[[], AbstractContextManager[Store]]
#: runs a callable (the server's :class:`~khazar.services.passwords.PasswordWorkers.run`)
Runner = Callable[[Callable[[], Any]], Any]


def _direct(fn: Callable[[], Any]) -> Any:
    return fn()


def add_user(
    store: Store,
    username: str,
    password: str,
    role: Role | str,
    *,
    actor: str,
    hasher: PasswordHasher | None = None,
) -> User:
    """Create an enabled user with an argon2id-hashed password (audited as ``users.add``)."""
    return add_user_with(lambda: nullcontext(store), username, password, role, actor=actor,
                         hasher=hasher)


def add_user_with(
    locked: Locked,
    username: str,
    password: str,
    role: Role | str,
    *,
    actor: str,
    run: Runner = _direct,
    hasher: PasswordHasher | None = None,
) -> User:
    """:func:`add_user` holding the store (``locked()``) only for the write; the hashing
    runs through ``run``, with the store free."""
    name = normalise_username(username)
    parsed = role if isinstance(role, Role) else parse_role(role)
    check_password_policy(password, name)
    digest: str = run(lambda: hash_password(password, hasher))  # slow: outside the store
    now = datetime.now(UTC)
    with locked() as store:
        with audited(store) as tx:
            if not repo.insert_user(tx, name, digest, parsed.value, now):
                raise InputError(
                    f"user {name!r} already exists; pick another name, or change its "
                    f"password with `khazar users passwd {name}`"
                )
            tx.append(actor, "users.add", target=name, detail={"role": parsed.value})
        return _existing(store, name)


def set_password(
    store: Store,
    username: str,
    password: str,
    *,
    actor: str,
    hasher: PasswordHasher | None = None,
) -> None:
    """Replace a user's password (audited as ``users.passwd``; the password is not logged)."""
    set_password_with(lambda: nullcontext(store), username, password, actor=actor,
                      hasher=hasher)


def set_password_with(
    locked: Locked,
    username: str,
    password: str,
    *,
    actor: str,
    run: Runner = _direct,
    hasher: PasswordHasher | None = None,
) -> None:
    """:func:`set_password` holding the store (``locked()``) only for the read and the
    write; the hashing runs through ``run``, with the store free."""
    with locked() as store:
        user = _existing(store, username)
    check_password_policy(password, user.username)
    digest: str = run(lambda: hash_password(password, hasher))
    with locked() as store, audited(store) as tx:
        repo.update_password_hash(tx, user.username, digest)
        tx.append(actor, "users.passwd", target=user.username)


def change_own_password(
    locked: Locked,
    username: str,
    current: str,
    new: str,
    *,
    run: Runner = _direct,
    hasher: PasswordHasher | None = None,
) -> None:
    """A user replaces their own password, proving the current one first
    (:class:`AuthenticationError` when it is wrong; audited ``users.passwd`` by the user)."""
    user = authenticate_with(locked, username, current, run=run, hasher=hasher)
    if new == current:
        raise InputError("the new password is the current one; choose another")
    set_password_with(locked, user.username, new, actor=user.username, run=run,
                      hasher=hasher)


def authenticate(
    store: Store,
    username: str,
    password: str,
    *,
    hasher: PasswordHasher | None = None,
) -> User:
    """:func:`authenticate_with` on a store the caller holds (the CLI, tests)."""
    return authenticate_with(lambda: nullcontext(store), username, password, hasher=hasher)


def authenticate_with(
    locked: Locked,
    username: str,
    password: str,
    *,
    run: Runner = _direct,
    hasher: PasswordHasher | None = None,
) -> User:
    """The user whose name and password these are, or :class:`AuthenticationError`.

    The store is held (``locked()``) only to read the hash and, after a rehash, to write
    it; the argon2 work runs through ``run`` (a worker pool in the server) with the store
    free, so a crowd of wrong passwords does not stall everyone else's requests.

    An unknown name costs the same argon2 verification as a wrong password, and both
    give the same message, so a failure does not reveal whether the user exists. A
    disabled user is refused even with the right password. A hash made with outdated
    parameters is replaced (``users.rehash``) when the store is writable.
    """
    failure = AuthenticationError(
        f"login failed for {username!r}: unknown user name or wrong password"
    )
    name = username.strip().lower()
    with locked() as store:
        stored = repo.password_hash(store, name) if _USERNAME.match(name) else None
    if stored is None:
        run(lambda: waste_verify(password, hasher))
        raise failure
    if not run(lambda: verify_password(stored, password, hasher)):
        raise failure
    with locked() as store:
        user = _existing(store, name)
        read_only = store.read_only
    if user.disabled:
        raise AuthenticationError(
            f"user {name!r} is disabled; ask an administrator (`khazar users enable {name}`)"
        )
    if needs_rehash(stored, hasher) and not read_only:
        digest: str = run(lambda: hash_password(password, hasher))
        with locked() as store, audited(store) as tx:
            repo.update_password_hash(tx, name, digest)
            tx.append(name, "users.rehash", target=name)
    return user

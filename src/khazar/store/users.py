"""The ``users`` table: the only SQL about users. The use cases (policy, hashing, audit
entries) are :mod:`khazar.services.users`; every function here takes a
:class:`~khazar.store.backend.Session` (the store, or an audited transaction, so a change
commits with its audit entry). User names arrive normalised (lower case)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from khazar.store.backend import Session

__all__ = [
    "StoredUser",
    "count_enabled",
    "insert_user",
    "password_hash",
    "select_user",
    "select_users",
    "update_disabled",
    "update_password_hash",
    "update_role",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SELECT = "SELECT username, role, disabled, epoch_us(created_at) FROM users"


@dataclass(frozen=True, slots=True)
class StoredUser:
    """A row of ``users`` without its password hash; ``role`` as stored (not validated)."""

    username: str
    role: str
    disabled: bool
    created_at: datetime


def _row(row: tuple[Any, ...]) -> StoredUser:
    name, role, disabled, created_us = row
    return StoredUser(str(name), str(role), bool(disabled),
                      _EPOCH + timedelta(microseconds=int(created_us)))


def select_user(db: Session, username: str) -> StoredUser | None:
    """The user called ``username``, or None."""
    row = db.execute(f"{_SELECT} WHERE username = ?", [username]).fetchone()
    return _row(row) if row else None


def select_users(db: Session) -> list[StoredUser]:
    """Every user, by name."""
    return [_row(r) for r in db.execute(f"{_SELECT} ORDER BY username").fetchall()]


def password_hash(db: Session, username: str) -> str | None:
    """The stored argon2 hash of ``username``'s password, or None for an unknown user."""
    row = db.execute("SELECT password_hash FROM users WHERE username = ?", [username]).fetchone()
    return str(row[0]) if row else None


def count_enabled(db: Session, role: str) -> int:
    """How many enabled users have ``role``."""
    row = db.execute(
        "SELECT count(*) FROM users WHERE role = ? AND NOT disabled", [role]
    ).fetchone()
    return int(row[0]) if row else 0


def insert_user(db: Session, username: str, digest: str, role: str, created_at: datetime
                ) -> bool:
    """Add an enabled user; False (nothing written) when the name is taken."""
    if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        return False
    db.execute(
        "INSERT INTO users (username, password_hash, role, disabled, created_at) "
        "VALUES (?, ?, ?, false, ?)",
        [username, digest, role, created_at],
    )
    return True


def update_disabled(db: Session, username: str, disabled: bool) -> None:
    db.execute("UPDATE users SET disabled = ? WHERE username = ?", [disabled, username])


def update_role(db: Session, username: str, role: str) -> None:
    db.execute("UPDATE users SET role = ? WHERE username = ?", [role, username])


def update_password_hash(db: Session, username: str, digest: str) -> None:
    db.execute("UPDATE users SET password_hash = ? WHERE username = ?", [digest, username])

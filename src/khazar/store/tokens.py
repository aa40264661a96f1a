"""The ``api_tokens`` table: the only SQL about API tokens (the use cases are
:mod:`khazar.services.tokens`). A token's secret is never stored, only its SHA-256."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from khazar.store.backend import Session

__all__ = ["StoredToken", "insert_token", "revoke_token", "select_token", "select_tokens"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SELECT = ("SELECT id, username, secret_hash, epoch_us(created_at), created_by, "
           "epoch_us(revoked_at) FROM api_tokens")


@dataclass(frozen=True, slots=True)
class StoredToken:
    """A row of ``api_tokens``."""

    id: str
    username: str
    secret_hash: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None


def _ts(us: Any) -> datetime | None:
    return None if us is None else _EPOCH + timedelta(microseconds=int(us))


def _row(row: tuple[Any, ...]) -> StoredToken:
    tid, user, digest, created, by, revoked = row
    created_at = _ts(created)
    assert created_at is not None
    return StoredToken(str(tid), str(user), str(digest), created_at, str(by), _ts(revoked))


def insert_token(db: Session, token: StoredToken) -> None:
    db.execute("INSERT INTO api_tokens (id, username, secret_hash, created_at, created_by) "
               "VALUES (?, ?, ?, ?, ?)",
               [token.id, token.username, token.secret_hash, token.created_at,
                token.created_by])


def select_token(db: Session, token_id: str) -> StoredToken | None:
    row = db.execute(f"{_SELECT} WHERE id = ?", [token_id]).fetchone()
    return _row(row) if row else None


def select_tokens(db: Session) -> list[StoredToken]:
    return [_row(r) for r in db.execute(f"{_SELECT} ORDER BY created_at, id").fetchall()]


def revoke_token(db: Session, token_id: str, when: datetime) -> bool:
    """Mark the token revoked; False when there is no such open token."""
    rows = db.execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS "
                      "NULL RETURNING id", [when, token_id]).fetchall()
    return bool(rows)

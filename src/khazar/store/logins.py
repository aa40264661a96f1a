"""The ``login_throttle`` table: failed-login counters per account and per source address,
shared by every server on the store. The decisions (back-off, lockout, audit rate) are
:mod:`khazar.services.logins`; times are epoch microseconds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from khazar.store.backend import Session

__all__ = ["ThrottleRow", "delete_row", "prune", "select_rows", "upsert_row"]

_COLUMNS = "key, failures, last_us, locked_until_us, unaudited, audited_us"


@dataclass(frozen=True, slots=True)
class ThrottleRow:
    """``failures`` since the window last restarted; ``unaudited`` of them not yet in an
    audit entry (the next one counts them)."""

    key: str
    failures: int
    last_us: int
    locked_until_us: int
    unaudited: int
    audited_us: int


def select_rows(db: Session, keys: Sequence[str]) -> dict[str, ThrottleRow]:
    """The rows of these keys (absent keys have none)."""
    if not keys:
        return {}
    marks = ", ".join("?" for _ in keys)
    rows = db.execute(f"SELECT {_COLUMNS} FROM login_throttle WHERE key IN ({marks})",
                      list(keys)).fetchall()
    return {str(r[0]): ThrottleRow(str(r[0]), *(int(v) for v in r[1:])) for r in rows}


def upsert_row(db: Session, row: ThrottleRow) -> None:
    db.execute(
        f"INSERT INTO login_throttle ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, "
        "last_us = excluded.last_us, locked_until_us = excluded.locked_until_us, "
        "unaudited = excluded.unaudited, audited_us = excluded.audited_us",
        [row.key, row.failures, row.last_us, row.locked_until_us, row.unaudited,
         row.audited_us],
    )


def delete_row(db: Session, key: str) -> None:
    db.execute("DELETE FROM login_throttle WHERE key = ?", [key])


def prune(db: Session, before_us: int) -> None:
    """Forget rows whose last failure is older than ``before_us`` and that are not locked."""
    db.execute("DELETE FROM login_throttle WHERE last_us < ? AND locked_until_us < ?",
               [before_us, before_us])

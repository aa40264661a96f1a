"""Users for tests whose commands write: every CLI write is authenticated (a user of the
store, its password in $KHAZAR_PASSWORD), so a test adds the users it acts as."""

from __future__ import annotations

from pathlib import Path

import pytest

from khazar.services.users import add_user, get_user
from khazar.store import open_store

#: every test user's password (long enough, not on the blocklist)
PASSWORD = "tide-gauge-harbour-42"


def add_users(db: Path | str, *users: tuple[str, str]) -> None:
    """Add ``(name, role)`` users to the store at ``db`` (each adds itself: a test's
    bootstrap), skipping those that exist."""
    with open_store(db) as store:
        for name, role in users:
            if get_user(store, name) is None:
                add_user(store, name, PASSWORD, role, actor=name)


def acting_as(monkeypatch: pytest.MonkeyPatch, db: Path | str, name: str,
              role: str = "admin") -> None:
    """``name`` exists in ``db`` with ``role``, and the CLI gets its password."""
    add_users(db, (name, role))
    monkeypatch.setenv("KHAZAR_PASSWORD", PASSWORD)

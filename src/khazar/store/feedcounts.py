"""The feed counters kept across restarts (``feed_counters``): per source and counter name
(``received``, ``accepted``, ``rejected``, ``dropped``, ``connects``, ``kernel_drops``,
``reason:<reason>``), the count since the store was made.

A server adds what it counted since its last save (:func:`add_counts`), so several servers
on one PostgreSQL database add up rather than overwrite one another; a server that starts
reads the totals (:func:`load_counts`) and counts on from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from khazar.store.backend import Session

__all__ = ["add_counts", "load_counts"]


def load_counts(db: Session) -> dict[str, dict[str, int]]:
    """Source → counter name → total."""
    out: dict[str, dict[str, int]] = {}
    for source, counter, value in db.execute(
            "SELECT source, counter, value FROM feed_counters ORDER BY source, counter"
    ).fetchall():
        out.setdefault(str(source), {})[str(counter)] = int(value)
    return out


def add_counts(db: Session, increments: Mapping[str, Mapping[str, int]]) -> int:
    """Add ``increments`` (source → counter → how much more) in one transaction; returns
    the rows written (zero increments are left out)."""
    now = datetime.now(UTC)
    rows = [(source, counter, int(n), now) for source, counters in sorted(increments.items())
            for counter, n in sorted(counters.items()) if n]
    if not rows:
        return 0
    with db.transaction() as tx:
        tx.executemany(
            "INSERT INTO feed_counters (source, counter, value, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (source, counter) DO UPDATE SET "
            "value = feed_counters.value + excluded.value, updated_at = excluded.updated_at",
            rows)
    return len(rows)

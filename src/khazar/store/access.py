"""What a repository function is given: the :class:`~khazar.store.Store`, or a session
already inside a transaction (the :class:`~khazar.store.audit.AuditTransaction` of an
:func:`~khazar.store.audit.audited` block, or ``store.transaction()``'s session): then its
change commits with the rest. Callers never pass a connection: only the store package
touches one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from khazar.store.backend import Session
from khazar.store.db import Store

__all__ = ["Db", "reader", "reading", "writing"]

#: a repository's handle: the store, or a session inside a transaction in progress
Db = Session


def reading(db: Db) -> Session:
    """The session to read through (inside the transaction when there is one)."""
    return db


def reader(store: Store) -> Session:
    """A session of its own on ``store`` for one thread's reads (committed data, no lock
    shared with the store's writers): a DuckDB cursor, pooled PostgreSQL connections."""
    return store.cursor()


@contextmanager
def writing(db: Db) -> Iterator[Session]:
    """The session to write through: given the store, a transaction of its own, so a
    multi-statement write is all or nothing; given a session inside a transaction (an
    audited block's), that session, so the write commits or rolls back with it."""
    if isinstance(db, Store):
        with db.transaction() as tx:
            yield tx
        return
    yield db

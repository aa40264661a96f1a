"""What a repository function is given: the :class:`~khazar.store.Store`, or the
:class:`~khazar.store.audit.AuditTransaction` of an :func:`~khazar.store.audit.audited`
block (then its change commits with the audit entry). Callers never pass a connection:
only the store package touches one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from khazar.store.audit import AuditTransaction
from khazar.store.db import Store

__all__ = ["Db", "reading", "writing"]

#: a repository's handle: the store, or the audited transaction in progress
Db = Store | AuditTransaction


def reading(db: Db) -> duckdb.DuckDBPyConnection:
    """The connection to read through (inside the transaction when there is one)."""
    return db.conn


@contextmanager
def writing(db: Db) -> Iterator[duckdb.DuckDBPyConnection]:
    """The connection to write through: the audited transaction's own, or — given the
    store — a transaction of its own, so a multi-statement write is all or nothing."""
    if isinstance(db, AuditTransaction):
        yield db.conn
        return
    with db.transaction() as conn:
        yield conn

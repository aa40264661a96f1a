"""The store: repositories over a backend interface (:mod:`khazar.store.backend`; embedded
DuckDB today); the only place with SQL. Outside this package a :class:`Store` is an opaque
handle passed to the repositories."""

from khazar.store.db import Store, open_store
from khazar.store.schema import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "Store", "open_store"]

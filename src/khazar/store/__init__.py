"""The store: embedded DuckDB repositories; the only place with SQL."""

from khazar.store.db import Store, open_store
from khazar.store.schema import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "Store", "open_store"]

"""Shared fixtures. Real data lives in tests/data (copied from shared/data with licences).

``store_at`` is the one parametrised fixture that runs a store test against both backends:
a DuckDB file in the test's folder, and a fresh database in a throw-away PostgreSQL cluster
that the session starts once (``initdb`` + ``pg_ctl`` as an unprivileged user) and stops at
the end. Each test's database is a copy of a migrated template, so no test sees another's
rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
_TEMPLATE = "khazar_template"
_numbers = itertools.count(1)


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[object]:
    """The session's PostgreSQL cluster, with a migrated template database."""
    from khazar.store import open_store
    from khazar.store.pgcluster import running_cluster

    with running_cluster() as cluster:
        url = cluster.create_database(_TEMPLATE)
        open_store(url).close()
        yield cluster


@pytest.fixture
def pg_url(pg_cluster: object) -> str:
    """A new database, migrated to the current schema."""
    from khazar.store.pgcluster import Cluster

    assert isinstance(pg_cluster, Cluster)
    return pg_cluster.create_database(f"t{next(_numbers)}", template=_TEMPLATE)


@pytest.fixture(params=["duckdb", "postgresql"])
def store_at(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where to open a store: a DuckDB file, or a PostgreSQL database's URL."""
    if request.param == "duckdb":
        return tmp_path / "k.duckdb"
    return str(request.getfixturevalue("pg_url"))

"""Shared fixtures. Real data lives in tests/data (copied from shared/data with licences).

``store_at`` is the one parametrised fixture that runs a store test against both backends:
a DuckDB file in the test's folder, and a fresh database in a throw-away PostgreSQL cluster
that the session starts once (``initdb`` + ``pg_ctl`` as an unprivileged user) and stops at
the end. Each test's database is a copy of a migrated template, so no test sees another's
rows.
"""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

DATA = Path(__file__).parent / "data"
_TEMPLATE = "khazar_template"
_numbers = itertools.count(1)
#: pytest-xdist's workers have COLUMNS=80 and LINES=24 set; the CLI's console reads them
#: once, at import, and would cut every table to 80 columns whatever a test asks for
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)


def _patient(call: Callable[..., httpx.Response]) -> Callable[..., httpx.Response]:
    @functools.wraps(call)
    def wrapper(*args: Any, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("timeout", 30.0)
        return call(*args, **kwargs)
    return wrapper


@pytest.fixture(scope="session", autouse=True)
def _patient_http() -> Iterator[None]:
    """A bare ``httpx.get``/``post`` in a test waits 30 s for its answer, not httpx's 5:
    ``make test`` runs two test processes on two cores, where a login's password hash can
    take longer. Tests that measure time set their own bounds."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("get", "post", "put", "patch", "delete"):
            patch.setattr(httpx, name, _patient(getattr(httpx, name)))
        yield


@pytest.fixture(scope="session", autouse=True)
def _session_audit_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The audit head key of the session (module and session fixtures write stores too):
    outside every store's folder, as on a host, never the user's ~/.config/khazar."""
    path = tmp_path_factory.mktemp("audit-key") / "audit.key"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KHAZAR_AUDIT__KEY_FILE", str(path))
        yield path


@pytest.fixture(autouse=True)
def audit_key(_session_audit_key: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The audit head key file of every test (the session's, set again: a test may have
    changed the environment)."""
    monkeypatch.setenv("KHAZAR_AUDIT__KEY_FILE", str(_session_audit_key))
    return _session_audit_key


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

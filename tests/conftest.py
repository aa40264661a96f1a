"""Shared fixtures. Real data lives in tests/data (copied from shared/data with licences)."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data_dir() -> Path:
    return DATA

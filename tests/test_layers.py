"""The layer contracts of pyproject.toml hold, and they do catch a forbidden import.

The second test copies the package's sources, adds one import that runs upward (a pure core
importing the store) and checks that ``lint-imports`` fails on it, naming the import; so the
contracts that `make check` and CI run are known to bite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "khazar"


def _lint_imports(pythonpath: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-c",
            "import sys; from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command())",
            str(ROOT / "pyproject.toml"), "--no-cache", "--no-logo"]
    for c in contracts:
        args += ["--contract", c]
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=300, check=False)


def _copy_sources(dest: Path) -> Path:
    """The package's Python files (no data, no console) under ``dest/khazar``."""
    shutil.copytree(SRC, dest / "khazar",
                    ignore=shutil.ignore_patterns("data", "console", "__pycache__"))
    return dest / "khazar"


def test_the_package_keeps_every_contract() -> None:
    result = _lint_imports(ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract", "message"),
    [
        ("geo/zones.py", "import khazar.store.queries", "layers",
         "khazar.geo is not allowed to import khazar.store"),
        ("services/alerts.py", "import khazar.live.hub", "layers",
         "khazar.services is not allowed to import khazar.live"),
        ("detect/loitering.py", "import duckdb", "one-gateway",
         "khazar.detect is not allowed to import duckdb"),
        ("patrol/game.py", "import fastapi", "http-at-the-edge",
         "khazar.patrol is not allowed to import fastapi"),
    ],
)
def test_a_forbidden_import_breaks_a_contract(
    tmp_path: Path, module: str, line: str, contract: str, message: str
) -> None:
    pkg = _copy_sources(tmp_path)
    assert _lint_imports(tmp_path, contract).returncode == 0
    target = pkg / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # upward\n",
                      encoding="utf-8")
    result = _lint_imports(tmp_path, contract)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert message in result.stdout, result.stdout

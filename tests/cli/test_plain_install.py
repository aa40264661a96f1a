"""A plain ``pip install .`` (no extras) in a fresh virtual environment is enough to run
``khazar serve`` and, against it, ``khazar alerts --user U``.

The CLI reaches a running server through httpx: it must be a runtime dependency, not a dev
extra (a plain install once failed every server-bound command with an import error).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import venv
from pathlib import Path

import pytest
from tests.api.conftest import ALERT_IDS, PASSWORD, build_store

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def plain_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with ``pip install ROOT`` and nothing else."""
    env_dir = tmp_path_factory.mktemp("plain") / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    py = env_dir / "bin" / "python"
    done = subprocess.run([str(py), "-m", "pip", "install", "--quiet", str(ROOT)],
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return env_dir


def test_no_dev_extra_is_installed(plain_env: Path) -> None:
    py = plain_env / "bin" / "python"
    probe = ("import importlib.util as u; "
             "print(json.dumps({m: u.find_spec(m) is not None for m in "
             "('httpx', 'prometheus_client', 'pytest', 'hypothesis', 'importlinter')}))")
    out = subprocess.run([str(py), "-c", "import json; " + probe], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    found = json.loads(out)
    assert found == {"httpx": True, "prometheus_client": True, "pytest": False,
                     "hypothesis": False, "importlinter": False}


def test_alerts_through_a_running_server(plain_env: Path, tmp_path: Path) -> None:
    khazar = plain_env / "bin" / "khazar"
    db = tmp_path / "khazar.duckdb"
    build_store(db)
    port = _free_port()
    # no configuration from the environment, but the host's audit key (the one the store
    # was sealed with: the tests' own, never ~/.config/khazar)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("KHAZAR_") or k == "KHAZAR_AUDIT__KEY_FILE"}
    with (tmp_path / "serve.log").open("wb") as log:
        server = subprocess.Popen([str(khazar), "serve", "--db", str(db), "--port", str(port)],
                                  stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("khazar serve did not start:\n"
                                + (tmp_path / "serve.log").read_text(errors="replace"))
                time.sleep(0.3)
            done = subprocess.run(
                [str(khazar), "alerts", "--db", str(db), "--user", "omar", "--format", "json"],
                capture_output=True, text=True, timeout=120, check=False,
                env={**env, "KHAZAR_PASSWORD": PASSWORD}, stdin=subprocess.DEVNULL)
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    listed = json.loads(done.stdout)
    assert set(ALERT_IDS) <= {a["id"] for a in listed}

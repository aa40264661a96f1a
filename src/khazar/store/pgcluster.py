"""A throw-away PostgreSQL cluster: ``initdb`` and ``pg_ctl`` in a temporary folder, for
the tests, the benchmarks and ``khazar demo --server-profile``. Production databases are
set up as docs/deploy.md says, not with this.

PostgreSQL refuses to run as root: when this process is root the cluster runs as the
unprivileged ``postgres`` user that Debian's package creates. It listens on 127.0.0.1 only,
on a free port, with ``trust`` authentication for that address (no password to leak, no
other host can reach it).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from khazar.errors import StoreError

__all__ = ["Cluster", "bin_dir", "running_cluster"]

_USER = "postgres"


def bin_dir() -> Path | None:
    """The folder of ``initdb``/``pg_ctl`` (Debian keeps them out of PATH), or None."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    return versions[0].parent if versions else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """A running cluster: its folder, port and superuser."""

    root: Path
    port: int
    user: str
    bin: Path
    run_as: str | None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def run(self, *args: str, check: bool = True, as_owner: bool = False
            ) -> subprocess.CompletedProcess[str]:
        """Run a command (``as_owner``: as the cluster's unprivileged owner, for the server
        programs; clients such as psql and pg_restore run as this process)."""
        cmd = list(args)
        if as_owner and self.run_as is not None:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if check and done.returncode != 0:
            raise StoreError(f"{Path(args[0]).name} failed: "
                             f"{(done.stderr or done.stdout).strip()[-400:]}")
        return done

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database ``name`` (from ``template`` when given); its URL."""
        sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        self.psql(sql)
        return self.url(name)

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = self.run(str(self.bin / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At",
                        "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
                        "-d", database, "-c", sql)
        return done.stdout

    def stop(self) -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate",
                 "-w", "stop", check=False, as_owner=True)
        shutil.rmtree(self.root, ignore_errors=True)


def start(parent: Path | None = None) -> Cluster:
    """initdb + pg_ctl start in a new temporary folder; :class:`StoreError` saying what is
    missing when PostgreSQL is not installed."""
    binaries = bin_dir()
    if binaries is None or not (binaries / "initdb").exists():
        raise StoreError("PostgreSQL is not installed (initdb, pg_ctl): run the project's "
                         "set-up (scripts/setup.sh installs postgresql-15 and PostGIS)")
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(_USER)
        except KeyError:
            raise StoreError("running as root and there is no 'postgres' user to run the "
                             "cluster as; install Debian's postgresql package") from None
        run_as = _USER
    root = Path(tempfile.mkdtemp(prefix="khazar-pg-", dir=parent))
    root.chmod(0o755)
    if run_as is not None:
        shutil.chown(root, run_as, run_as)
    cluster = Cluster(root, _free_port(), _USER, binaries, run_as)
    data, sock = root / "data", root / "sock"
    try:
        cluster.run(str(binaries / "initdb"), "-D", str(data), "-U", _USER, "-A", "trust",
                    "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", as_owner=True)
        cluster.run("mkdir", "-p", str(sock), as_owner=True)
        options = (f"-c listen_addresses=127.0.0.1 -c port={cluster.port} "
                   f"-c unix_socket_directories={sock} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
                   "-c shared_buffers=256MB")
        cluster.run(str(binaries / "pg_ctl"), "-D", str(data), "-l", str(root / "log"),
                    "-o", options, "-w", "-t", "60", "start", as_owner=True)
    except BaseException:
        log = root / "log"
        tail = log.read_text(errors="replace")[-600:] if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        if tail:
            raise StoreError(f"PostgreSQL did not start: {tail}") from None
        raise
    return cluster


@contextlib.contextmanager
def running_cluster(parent: Path | None = None) -> Iterator[Cluster]:
    """A cluster for the block, stopped and removed afterwards."""
    cluster = start(parent)
    try:
        yield cluster
    finally:
        cluster.stop()

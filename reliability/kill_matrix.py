"""The kill matrix (issue 18): ``kill -9`` of each command that writes, at a quarter, half
and three quarters of its own clean run, then what a user would do next.

Each case starts from a copy of one prepared store (a simulated red-team day ingested and
detected). After the kill it records whether the store opened, whether the audit chain
verified, which committed rows were lost (a table with fewer rows than before the command
started), what the command left behind (a partial output file), and whether running the
command again finished with the same store as a clean run. Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from khazar.store import open_store

KHAZAR = [sys.executable, "-c", "import sys; from khazar.cli import main; "
          "sys.argv[0] = 'khazar'; main()"]
FRACTIONS = (0.25, 0.5, 0.75)
ADMIN, ADMIN_PASSWORD = "reliability", "kill matrix passphrase 2026"
#: tables whose row counts say whether committed work was lost
TABLES = ("positions", "raw_sentences", "vessels_static", "events", "alerts", "audit_log")


def _run(args: list[str], timeout_s: float = 900.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KHAZAR, *args], capture_output=True, text=True, timeout=timeout_s)


def _counts(db: Path | str) -> dict[str, int]:
    with open_store(db, read_only=True) as store:
        all_counts = store.table_counts()
    return {t: all_counts.get(t, 0) for t in TABLES}


def _untouched(url: str) -> bool:
    """The PostgreSQL database at ``url`` has no table at all (nothing was committed)."""
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT count(*) FROM information_schema.tables WHERE "
                               "table_schema = current_schema()").fetchone()
    except psycopg.Error:
        return False
    return row is not None and row[0] == 0


def _copy(base: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(base, dest)
    head = base.with_name(base.name + ".audit-head")
    if head.exists():
        shutil.copyfile(head, dest.with_name(dest.name + ".audit-head"))
    return dest


@dataclass
class Case:
    """One command of the matrix: ``args(db, out)`` the command line, ``ready(db, out)``
    what to do while it runs (a feed for ``serve``), ``again`` whether a user runs it again
    to finish (ingest, migrate) or it is a read of the store with an output (plan, report)."""

    name: str
    args: Callable[[Path, Path], list[str]]
    output: Callable[[Path], Path] | None = None
    during: Callable[[Path, Path], Any] | None = None
    again: bool = True
    #: the store the command writes, when it is not ``db`` (migrate's target)
    target: Callable[[Path], str] | None = None
    #: a server runs until stopped: its "clean run" is this long, then SIGTERM
    runs_for_s: float | None = None
    results: list[dict[str, Any]] = field(default_factory=list)


def _check(case: Case, db: Path, out: Path, before: dict[str, int]) -> dict[str, Any]:
    """What a user finds after the kill."""
    row: dict[str, Any] = {}
    where: Path | str = case.target(out) if case.target else db
    try:
        after = _counts(where)
        row["store_opened"] = True
    except Exception as exc:  # the finding itself: reported, not raised
        if case.target is not None and _untouched(str(where)):
            # killed before the migration's first commit: the database the operator
            # created is as it was (no table); `khazar migrate` again fills it
            row["store_opened"] = "untouched: an empty database, as created (no table)"
            row["target_rows_after_kill"] = 0
            row["audit_verifies"] = None
            return row
        row["store_opened"] = False
        row["open_error"] = f"{type(exc).__name__}: {exc}"[:300]
        return row
    if case.target is None:
        row["lost_rows"] = {t: before[t] - after[t] for t in TABLES if after[t] < before[t]}
        row["added_rows"] = {t: after[t] - before[t] for t in TABLES if after[t] > before[t]}
    else:  # a migration is one transaction: nothing, or everything
        row["target_rows_after_kill"] = sum(after.values())
    verify = _run(["audit", "verify", "--db", str(where)], 300)
    row["audit_verifies"] = verify.returncode == 0
    if not row["audit_verifies"]:
        row["verify_output"] = (verify.stdout + verify.stderr)[-400:]
    if case.output is not None:
        path = case.output(out)
        row["output_left"] = _output_state(path)
    return row


def _output_state(path: Path) -> str:
    if not path.exists():
        return "none"
    if path.is_dir():
        index = path / "index.html"
        if not index.exists():
            return "folder without index.html"
        return "complete" if index.read_text(errors="replace").rstrip().endswith(
            "</html>") else "partial index.html"
    try:
        json.loads(path.read_text())
        return "complete"
    except ValueError:
        return "partial (not valid JSON)"


def _timed(case: Case, base: Path, work: Path) -> tuple[float, dict[str, int]]:
    """A clean run: its duration and the store it leaves."""
    db = _copy(base, work / "clean" / "k.duckdb")
    out = work / "clean"
    t0 = time.monotonic()
    proc = subprocess.Popen([*KHAZAR, *case.args(db, out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    helper = case.during(db, out) if case.during else None
    try:
        if case.runs_for_s is not None:
            time.sleep(case.runs_for_s)
            proc.terminate()
        _, err = proc.communicate(timeout=900)
    finally:
        if helper is not None:
            helper.stop()
    took = time.monotonic() - t0
    if proc.returncode not in (0, -signal.SIGTERM):
        raise RuntimeError(f"{case.name}: the clean run failed ({proc.returncode}): {err[-500:]}")
    return took, _counts(case.target(out) if case.target else db)


def run_case(case: Case, base: Path, work: Path) -> None:
    clean_s, clean = _timed(case, base, work / case.name)
    for fraction in FRACTIONS:
        out = work / case.name / f"kill-{int(fraction * 100)}"
        db = _copy(base, out / "k.duckdb")
        before = _counts(db)
        proc = subprocess.Popen([*KHAZAR, *case.args(db, out)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        helper = case.during(db, out) if case.during else None
        time.sleep(clean_s * fraction)
        finished_first = proc.poll() is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        if helper is not None:
            helper.stop()
        row: dict[str, Any] = {"killed_at_s": round(clean_s * fraction, 2),
                               "of_clean_s": round(clean_s, 2),
                               "finished_before_kill": finished_first}
        row.update(_check(case, db, out, before))
        if case.again:
            again = _run(case.args(db, out))
            row["again_exit"] = again.returncode
            if again.returncode != 0:
                row["again_output"] = (again.stdout + again.stderr)[-400:]
            if case.output is not None:
                row["output_after_again"] = _output_state(case.output(out))
            final = _counts(case.target(out) if case.target else db)
            # the audit log also records the second run: compare the data
            row["again_equals_clean"] = {t: final[t] == clean[t] for t in TABLES
                                         if t != "audit_log"}
        case.results.append(row)
        print(f"   {case.name} killed at {fraction:.0%}: {json.dumps(row)}", flush=True)


class _UdpFeed:
    """Send a feed's lines to a UDP port (2,000 lines a second) while a server runs."""

    def __init__(self, lines: list[bytes], port: int) -> None:
        import threading

        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._send, args=(lines, port), daemon=True)
        self.thread.start()

    def _send(self, lines: list[bytes], port: int) -> None:
        time.sleep(2.0)  # the server binds its port
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            t0 = time.monotonic()
            for i, line in enumerate(lines):
                if self.stop_event.is_set():
                    return
                sock.sendto(line + b"\r\n", ("127.0.0.1", port))
                ahead = i / 2000.0 - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=10)


def _free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cases(feed: Path, ports: dict[str, int], pg: Any | None) -> list[Case]:
    lines = [ln for ln in feed.read_bytes().splitlines() if ln.strip()]

    def serve_args(db: Path, out: Path) -> list[str]:
        ports["http"], ports["udp"] = _free_port(socket.SOCK_STREAM), _free_port(
            socket.SOCK_DGRAM)
        return ["serve", "--db", str(db), "--port", str(ports["http"]), "--udp",
                str(ports["udp"])]

    out: list[Case] = [
        Case("ingest", lambda db, o: ["ingest", str(feed), "--db", str(db)]),
        Case("serve under a feed", serve_args,
             during=lambda db, o: _UdpFeed(lines, ports["udp"]), again=False,
             runs_for_s=20.0),
        Case("plan", lambda db, o: ["plan", "--db", str(db), "--out", str(o / "plan.geojson"),
                                    "--hours", "6"],
             output=lambda o: o / "plan.geojson", again=True),
        Case("report", lambda db, o: ["report", "--db", str(db), "--out", str(o / "report")],
             output=lambda o: o / "report", again=True),
    ]
    if pg is not None:
        names = iter(range(1000))

        def target(o: Path) -> str:
            key = str(o)
            if key not in _TARGETS:
                _TARGETS[key] = pg.create_database(f"kill{next(names)}")
            return _TARGETS[key]

        out.append(Case("migrate to PostgreSQL",
                        lambda db, o: ["migrate", "--from", str(db), "--to", target(o)],
                        target=target))
    return out


_TARGETS: dict[str, str] = {}


def run(work: Path, quick: bool = False) -> dict[str, Any]:
    """Prepare the store, run every case; the rows per case."""
    from khazar.store.pgcluster import running_cluster

    sim = work / "sim"
    day = work / "day"
    for out, seed, hours in ((sim, 3, 2.0 if quick else 6.0), (day, 4, 2.0 if quick else 6.0)):
        done = _run(["simulate", "--scenario", "mixed", "--hours", str(hours), "--seed",
                     str(seed), "--start", "2026-11-20T00:00:00Z", "--out", str(out)])
        if done.returncode != 0:
            raise RuntimeError(f"simulate failed: {done.stderr[-500:]}")
    # the matrix's own audit key and admin: migrate and the audited writes need a login
    # (a folder of its own: the key is refused inside a store's folder)
    keys = Path(tempfile.mkdtemp(prefix="khazar-kill-key-"))
    os.environ["KHAZAR_AUDIT__KEY_FILE"] = str(keys / "audit.key")
    os.environ["KHAZAR_USER"], os.environ["KHAZAR_PASSWORD"] = ADMIN, ADMIN_PASSWORD
    base = work / "base.duckdb"
    from argon2 import PasswordHasher

    from khazar.services.users import add_user

    with open_store(base) as store:
        add_user(store, ADMIN, ADMIN_PASSWORD, "admin", actor=ADMIN,
                 hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    for args in (["ingest", str(sim / "feed.nmea"), "--db", str(base)],
                 ["detect", "--db", str(base), "--out", str(work / "events.jsonl")]):
        done = _run(args)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr[-500:]}")
    os.environ.setdefault("KHAZAR_LOG_LEVEL", "WARNING")
    results: dict[str, Any] = {"store": _counts(base)}
    with running_cluster() as pg:
        for case in cases(day / "feed.nmea", {}, pg):
            print(f"== kill -9: {case.name}", flush=True)
            try:
                run_case(case, base, work)
                results[case.name] = case.results
            except Exception as exc:  # one failing case is reported; the others still run
                results[case.name] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    return results

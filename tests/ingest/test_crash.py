"""kill -9 in the middle of an ingest, restart: the store ends exactly as after a clean run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
from tests.ingest.helpers import sentence, table_contents, tagged

PAYLOADS = ["15RTgt0PAso;90TKcjM8h6g208CQ", "16SteH0P00Jt63hHaa6SagvJ087r",
            "38Id705000rRVJhE7cl9n;160000", "B3KLehP0B@LTN6`Vl;rrBE063P06"]
STATIC = ("55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8", "88888888880")
TABLES = ("raw_sentences", "positions", "vessels_static", "base_stations", "detections",
          "rejects")


def _big_file(path: Path, n: int) -> int:
    lines = []
    for k in range(n):
        t = 1_700_000_000 + 120 * k  # a new report time for every line: all distinct
        lines.append(tagged(sentence(PAYLOADS[k % 4]), "AZ-BAKU", t))
        if k % 50 == 0:
            lines.append(tagged(sentence(STATIC[0], 0, 2, 1, "3"), "AZ-BAKU", t))
            lines.append(tagged(sentence(STATIC[1], 2, 2, 2, "3"), "AZ-BAKU", t))
    path.write_text("\n".join(lines) + "\n")
    return n


def _khazar(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", "from khazar.cli import main; main()", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def _snapshot(db: Path) -> dict[str, list[tuple[object, ...]]]:
    with duckdb.connect(str(db), read_only=True) as conn:
        snap = {t: table_contents(conn, t) for t in TABLES}
        snap["ingest_runs"] = table_contents(conn, "ingest_runs",
                                             exclude=("started_at", "finished_at"))
    return snap


def test_sigkill_then_restart_equals_clean_run(tmp_path: Path) -> None:
    feed = tmp_path / "big.nmea"
    total = _big_file(feed, 12_000)
    clean_db = tmp_path / "clean.duckdb"
    args = ["ingest", str(feed), "--batch-size", "500", "--format", "json"]
    clean = _khazar(*args, "--db", str(clean_db))
    out, err = clean.communicate(timeout=300)
    assert clean.returncode == 0, err
    assert json.loads(out)["total"]["positions"] == total

    db = tmp_path / "crashed.duckdb"
    proc = _khazar(*args, "--db", str(db), "--progress-jsonl",
                   env={"KHAZAR_INGEST__PAUSE_AFTER_BATCH_S": "0.05"})
    assert proc.stderr is not None
    committed = 0
    for line in proc.stderr:
        if line.startswith("{"):
            committed = json.loads(line)["positions"]
            if committed >= 1000:
                break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    proc.stderr.close()
    if proc.stdout is not None:
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    with duckdb.connect(str(db), read_only=True) as conn:
        row = conn.execute("SELECT count(*) FROM positions").fetchone()
        finished = conn.execute("SELECT finished_at FROM ingest_runs").fetchone()
    assert row is not None and 0 < row[0] < total  # killed mid-way, batches committed
    assert finished is not None and finished[0] is None

    again = _khazar(*args, "--db", str(db))
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert _snapshot(db) == _snapshot(clean_db)

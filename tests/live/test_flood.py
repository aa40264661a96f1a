"""A running ``khazar serve`` under a flood of oversized datagrams (issue 18, point 4): 4,000
datagrams of 65 kB, each one line far over the maximum, sent as fast as loopback takes them.
The server's memory stays within 100 MiB of what it was before (it once rose from 448 MiB to
2.1 GiB), every datagram is counted — accepted, rejected with its reason, dropped by the
queue or dropped by the kernel — and only a bounded prefix of each is stored. The counts are
kept in the store: a restarted server shows them on /api/status."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from tests.api.conftest import PASSWORD, build_store
from tests.serving import wait_until_serving

from khazar.api.remote import PASSWORD_ENV
from khazar.store import open_store
from khazar.store.feedcounts import load_counts

from .helpers import free_udp_port

KHAZAR = Path(sys.executable).with_name("khazar")
DATAGRAMS = 4000
SIZE = 65_000
MIB = 1 << 20


def _free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss(pid: int) -> int:
    """Resident memory of ``pid`` in bytes (/proc/PID/status, VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@contextmanager
def serving(db: Path, udp: int, log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = _free_tcp_port()
    with log.open("ab") as out:
        proc = subprocess.Popen([str(KHAZAR), "serve", "--db", str(db), "--port", str(port),
                                 "--udp", str(udp)], stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(proc, url, log)
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # a clean stop: the counts are saved
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def feed_metrics(url: str, source: str) -> dict[str, float]:
    """The feed counters of ``source`` from /metrics (read from loopback: no login)."""
    text = httpx.get(url + "/metrics", timeout=10).text
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("source") != source or not sample.name.endswith("_total"):
                continue
            name = sample.name.removeprefix("khazar_feed_").removesuffix("_total")
            if "reason" in sample.labels:
                name = f"reason:{sample.labels['reason']}"
            out[name] = sample.value
    return out


def settled_rss(pid: int, timeout_s: float = 60.0) -> int:
    """RSS once the server has settled (two readings a second apart within 2 MiB)."""
    deadline = time.monotonic() + timeout_s
    last = rss(pid)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = rss(pid)
        if abs(now - last) < 2 * MIB:
            return now
        last = now
    return last


def test_a_flood_of_oversized_datagrams_is_bounded_and_counted(tmp_path: Path) -> None:
    db, udp, log = tmp_path / "k.duckdb", free_udp_port(), tmp_path / "serve.log"
    build_store(db)
    source = f"udp:{udp}"
    payload = b"!AIVDM,1,1,,A," + b"5" * (SIZE - 14)  # one line, no newline, 65 kB
    with serving(db, udp, log) as (proc, url):
        before = settled_rss(proc.pid)
        peak = [before]
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.wait(0.05):
                peak[0] = max(peak[0], rss(proc.pid))
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
            for _ in range(DATAGRAMS):
                tx.sendto(payload, ("127.0.0.1", udp))
        deadline = time.monotonic() + 60
        while True:
            m = feed_metrics(url, source)
            counted = (m.get("lines_accepted", 0) + m.get("lines_rejected", 0)
                       + m.get("lines_dropped", 0) + m.get("kernel_drops", 0))
            if counted >= DATAGRAMS or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        time.sleep(1.0)  # nothing more comes
        sampling.set()
        sampler.join()
        after = rss(proc.pid)
        m = feed_metrics(url, source)
    print(f"RSS before {before / MIB:.0f} MiB, peak {peak[0] / MIB:.0f} MiB, after "
          f"{after / MIB:.0f} MiB; counts {m}")
    assert peak[0] - before < 100 * MIB and after - before < 100 * MIB
    received = m.get("lines_received", 0)
    # every datagram is in one bucket: read and refused (too long), or dropped by the kernel
    assert received + m.get("kernel_drops", 0) == DATAGRAMS
    assert m.get("lines_accepted", 0) == 0
    assert m.get("lines_rejected", 0) + m.get("lines_dropped", 0) == received
    assert m.get("reason:line_too_long", 0) == m.get("lines_rejected", 0) > 0

    with open_store(db, read_only=True) as store:
        row = store.execute("SELECT count(*), max(length(line)) FROM rejects WHERE reason = "
                            "'line_too_long'").fetchone()
        assert row is not None and row[0] == m["lines_rejected"] and row[1] == 256
        longest = store.execute("SELECT max(length(line)) FROM raw_sentences").fetchone()
        assert longest is not None and (longest[0] or 0) <= 1024
        saved = load_counts(store)[source]
    assert saved["received"] == received and saved.get("kernel_drops", 0) == m.get(
        "kernel_drops", 0)

    # a restarted server counts on from the store and shows it on /api/status
    with serving(db, udp, log) as (_, url), httpx.Client(base_url=url, timeout=10) as client:
        assert client.post("/api/login", json={"username": "ada",
                                               "password": PASSWORD}).status_code == 200
        feeds = {f["source"]: f for f in client.get("/api/status").json()["feeds"]}
        # `khazar status` goes through the running server's API
        through_api = status_command(db, "--user", "ada")
    shown = feeds[source]
    assert shown["open"] and shown["received"] == received
    assert shown["kernel_drops"] == m.get("kernel_drops", 0)
    assert shown["by_reason"] == {"line_too_long": m["lines_rejected"]}
    assert through_api["server"] is True and through_api["feeds"][0] == shown
    stored = status_command(db)  # the server stopped: from the store
    assert stored["server"] is False
    row = next(f for f in stored["feeds"] if f["source"] == source)
    assert (row["received"], row["kernel_drops"], row["by_reason"]) == (
        received, m.get("kernel_drops", 0), {"line_too_long": m["lines_rejected"]})
    assert os.stat(db).st_mode & 0o077 == 0


def status_command(db: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run([str(KHAZAR), "status", "--db", str(db), "--format", "json", *args],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, PASSWORD_ENV: PASSWORD})
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout)
    return out

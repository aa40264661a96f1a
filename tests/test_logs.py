"""The log set-up of the ``khazar`` command (:mod:`khazar.logs`): JSON lines parsed one by
one, the text format, tracebacks only for the server's operator, uvicorn's lines through
the same handler, and ``khazar serve --log-level`` checked before anything starts."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

import khazar.api  # noqa: F401  (the api package first: live.state imports its sessions)
from khazar.api.server import KhazarServer, ServeOptions
from khazar.cli import app
from khazar.config import load_settings
from khazar.errors import InputError
from khazar.logs import LOGGERS, configure, parse_level


@pytest.fixture(autouse=True)
def _restore_loggers() -> Iterator[None]:
    """configure() changes process-wide loggers; put them back for the other tests
    (pytest's caplog listens on the root logger, which needs propagation)."""
    saved = {name: (list(lg.handlers), lg.level, lg.propagate)
             for name in LOGGERS if (lg := logging.getLogger(name))}
    yield
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


def _lines(buffer: io.StringIO) -> list[dict[str, object]]:
    """Every line of the stream as one JSON object (fails on a line that is not)."""
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_json_format_is_one_object_per_line() -> None:
    out = io.StringIO()
    configure("info", "json", stream=out)
    log = logging.getLogger("khazar.test.feeds")
    before = datetime.now(UTC)
    log.debug("not at info")
    log.info("feed %s connected", "tcp:ais.example:5631",
             extra={"source": "tcp:ais.example:5631", "connects": 3, "path": Path("/x")})
    log.warning("two\nlines in one message", extra={"level": "clash"})
    try:
        raise ValueError("bad frame 17")
    except ValueError:
        log.exception("ingest thread failed")
    logging.getLogger("uvicorn.error").info("Started server process [%d]", 123,
                                            extra={"color_message": "\x1b[36mStarted\x1b[0m"})

    lines = _lines(out)
    assert len(out.getvalue().splitlines()) == 4
    assert [(x["level"], x["logger"]) for x in lines] == [
        ("INFO", "khazar.test.feeds"), ("WARNING", "khazar.test.feeds"),
        ("ERROR", "khazar.test.feeds"), ("INFO", "uvicorn.error")]
    for line in lines:
        assert str(line["time"]).endswith("Z")
        moment = datetime.fromisoformat(str(line["time"]).replace("Z", "+00:00"))
        assert moment.utcoffset() == timedelta(0)
        assert before - timedelta(seconds=1) <= moment <= datetime.now(UTC)
    connected, two, failed, uvicorn = lines
    assert connected["message"] == "feed tcp:ais.example:5631 connected"
    assert connected["source"] == "tcp:ais.example:5631" and connected["connects"] == 3
    assert connected["path"] == "/x"
    assert "traceback" not in connected
    assert two["message"] == "two\nlines in one message"
    assert two["level"] == "WARNING" and two["extra.level"] == "clash"
    traceback = str(failed["traceback"])
    assert traceback.startswith("Traceback (most recent call last)")
    assert "ValueError: bad frame 17" in traceback
    assert uvicorn["message"] == "Started server process [123]"
    assert "color_message" not in uvicorn


def test_text_format_and_the_command_line_without_tracebacks() -> None:
    out = io.StringIO()
    configure("warning", "text", stream=out)
    log = logging.getLogger("khazar.test")
    try:
        raise OSError("disk full")
    except OSError:
        log.exception("could not write the backup")
    text = out.getvalue()
    first = text.splitlines()[0]
    stamp, level, name, *_ = first.split(" ")
    assert datetime.fromisoformat(stamp.replace("Z", "+00:00")).utcoffset() == timedelta(0)
    assert (level, name) == ("ERROR", "khazar.test:")
    assert first.endswith("could not write the backup")
    assert "Traceback (most recent call last)" in text and "OSError: disk full" in text

    cli = io.StringIO()
    configure("warning", "text", tracebacks=False, stream=cli)
    try:
        raise OSError("disk full")
    except OSError:
        log.exception("could not write the backup")
    log.info("not at warning")
    assert len(cli.getvalue().splitlines()) == 1  # the error, one line; not the info
    assert cli.getvalue().rstrip().endswith("could not write the backup (OSError: disk full)")
    assert "Traceback" not in cli.getvalue()

    as_json = io.StringIO()
    configure("warning", "json", tracebacks=False, stream=as_json)
    try:
        raise OSError("disk full (sda1)")
    except OSError:
        log.exception("could not write the backup")
    assert _lines(as_json)[0]["traceback"] == "OSError: disk full (sda1)"


def test_configuring_again_replaces_the_handler() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure("info", "text", stream=first)
    configure("info", "json", stream=second)
    logging.getLogger("khazar.test").info("once")
    logging.getLogger("uvicorn.access").info("also once")
    assert first.getvalue() == ""
    assert [x["message"] for x in _lines(second)] == ["once", "also once"]
    for name in LOGGERS:
        assert len(logging.getLogger(name).handlers) == 1


def test_levels_are_named() -> None:
    assert parse_level("INFO") == logging.INFO
    assert parse_level(" debug ") == logging.DEBUG
    with pytest.raises(ValueError, match="'verbose' is not one of debug, info, warning"):
        parse_level("verbose")


def test_serve_refuses_an_unknown_log_level_before_starting(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    result = CliRunner().invoke(app, ["serve", "--db", str(db), "--log-level", "loud"])
    assert isinstance(result.exception, InputError), result.output
    assert "--log-level" in str(result.exception) and "'loud'" in str(result.exception)
    assert not db.exists()  # refused before the store was opened


def test_the_server_logs_through_the_same_handler(tmp_path: Path) -> None:
    """A real server: uvicorn's start-up line and a failed login come out as JSON lines of
    the one handler (uvicorn is told not to install its own)."""
    out = io.StringIO()
    configure("info", "json", stream=out)
    server = KhazarServer(load_settings(),
                          ServeOptions(db=tmp_path / "k.duckdb", port=0, detect=False,
                                       log_level="info"))
    url = server.start_background()
    try:
        r = httpx.post(url + "/api/login", json={"username": "nobody", "password": "pw" * 8})
        assert r.status_code == 401
    finally:
        server.stop()
    lines = _lines(out)
    loggers = {str(x["logger"]) for x in lines}
    assert "uvicorn.error" in loggers, lines
    failed = [x for x in lines if x.get("event") == "login_failed"]
    assert len(failed) == 1 and failed[0]["username"] == "nobody", lines
    assert failed[0]["client"] == "127.0.0.1" and failed[0]["level"] == "WARNING"
    assert "pw" * 8 not in out.getvalue()


def test_khazar_serve_json_log_is_json_lines_only(tmp_path: Path) -> None:
    """The real command: with ``--log-format json`` every line on stderr is one JSON object
    (no banner), from start-up to shutdown, a failed login included."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    err = (tmp_path / "stderr.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-c", "from khazar.cli import main; main()", "serve", "--db",
         str(tmp_path / "k.duckdb"), "--port", str(port), "--log-format", "json"],
        stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, "COLUMNS": "80"})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).is_success:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, (
                (tmp_path / "stderr.log").read_text())
            time.sleep(0.2)
        r = httpx.post(f"http://127.0.0.1:{port}/api/login",
                       json={"username": "eve", "password": "guessing-123"})
        assert r.status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=20)
        err.close()
    text = (tmp_path / "stderr.log").read_text()
    lines = [json.loads(line) for line in text.splitlines()]  # fails on a non-JSON line
    assert any(x["logger"] == "khazar.cli.serve" and x["port"] == port for x in lines), text
    assert any(x["logger"] == "uvicorn.error" for x in lines), text
    assert [x["username"] for x in lines if x.get("event") == "login_failed"] == ["eve"]
    assert "guessing-123" not in text

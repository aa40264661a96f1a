"""Fuzz every `khazar` command: bad arguments end in one clean line and a documented exit
code, never an uncaught exception or a traceback.

The commands and their parameters are read from the Typer/Click command tree, so a new
command or option is fuzzed without editing this test. Hypothesis picks a command and, per
parameter, a value of its type drawn mostly from the bad side: out of range, negative, huge,
empty, unicode, missing paths, malformed coordinates, times and alert ids. The commands run
in-process against a small temporary store.

A command that accepted its arguments and is still working after a short budget is stopped
(that is a pass: it validated its input before starting the job). Commands that serve
forever or start child processes run only with a port out of range, and no generated
address leaves the host (only 127.0.0.1 appears).
"""

from __future__ import annotations

import enum
import json
import os
import shutil
import signal
import types
import typing
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from khazar.cli import app
from khazar.cli._app import EXIT_CODES, exit_code_of
from khazar.domain import Event
from khazar.errors import KhazarError
from khazar.store import open_store
from khazar.store.events import upsert_events

T0 = datetime(2026, 5, 1, 6, 0, tzinfo=UTC)
NOW = "2026-05-01T09:00:00Z"
#: seconds a command may run before it counts as "accepted its arguments, working"
BUDGET_S = 3
#: commands that serve until stopped or start child processes: bad arguments only
BAD_ONLY = {"serve": ["--port", "70000"], "listen": ["--udp", "70000"],
            "demo": ["--udp", "70000"], "eval-seeds": ["--jobs", "0"]}


def _commands() -> list[tuple[tuple[str, ...], Any]]:
    """Every runnable command of the tree with its path of names (``alerts ack``); a
    group that runs without a subcommand (``alerts``) is one too."""
    root = typer.main.get_command(app)
    out: list[tuple[tuple[str, ...], Any]] = []

    def walk(path: tuple[str, ...], cmd: Any) -> None:
        subs = getattr(cmd, "commands", None)
        if subs is None or (path and getattr(cmd, "invoke_without_command", False)):
            out.append((path, cmd))
        for name, sub in (subs or {}).items():
            walk((*path, name), sub)

    walk((), root)
    return out


COMMANDS = _commands()
GROUPS = {p[0] for p, _ in COMMANDS if len(p) > 1}


class _StillRunning(BaseException):
    """Raised by the budget alarm: the command accepted its arguments and is working."""


# -- values ------------------------------------------------------------------------------
WEIRD_TEXT = st.sampled_from(["", " ", "-", "--", "é", "Баку", "\u202e", "\x00", "💥",
                              "nan", "inf", "-1", "0", "1e308", "'", "%", "A" * 300])
NUMBERS = st.sampled_from([0, -1, 1, 2, 13, -10**9, 10**12, 10**30])
FLOATS = st.sampled_from(["0", "-1", "0.5", "1", "1.5", "13", "1000", "-0.0", "nan", "inf",
                          "-inf", "1e308", "1e-320"])
POINTS = st.sampled_from(["40.35,49.95", "40.35,49.95 ", "0,0", "1,1", "91,0", "0,181",
                          "nan,nan", "inf,0", "40.35", "40.35,49.95,1", ",", "a,b",
                          "40,3549,95", "37.0,54.0", "35.69,51.39", "42.0,51.5", "-40.35,-49.95"])
TIMES = st.sampled_from(["2026-05-01T06:00Z", NOW, "2026-13-01", "yesterday", "",
                         "9999-12-31T23:59:59Z", "0001-01-01", "2026-05-01T06:00+14:00",
                         "1970-01-01T00:00:00Z"])
ADDRESSES = st.sampled_from(["udp://127.0.0.1:9", "tcp://127.0.0.1:1", "udp://127.0.0.1:0",
                             "udp://127.0.0.1:99999", "udp://127.0.0.1:-1", "127.0.0.1:9",
                             "127.0.0.1:70000", "127.0.0.1", "http://127.0.0.1:1", "udp://",
                             ":", "", "127.0.0.1:abc"])
PORTS = st.sampled_from(["-1", "0", "65536", "70000", "99999999999"])


def _paths(tmp: Path, store: Path) -> st.SearchStrategy[str]:
    return st.sampled_from([
        str(store), str(tmp / "missing" / "deep" / "x.duckdb"), str(tmp / "nope.json"), "",
        str(tmp), "/bin/ls", str(tmp / "é ünï.geojson"), str(tmp / "out" / "plan.geojson"),
        str(tmp / "out" / "plan.gpx"), str(tmp / "out" / "plan.txt"), "/proc/version",
        str(tmp / "junk.csv"), str(tmp / "radar.csv"), "/dev/null",
    ])


def _base(annotation: Any) -> tuple[Any, bool]:
    """The element type of a parameter's annotation and whether it repeats (``list[X]``)."""
    if typing.get_origin(annotation) is list:
        return typing.get_args(annotation)[0], True
    return annotation, False


def _value(param: Any, tmp: Path, store: Path, ids: list[str]) -> st.SearchStrategy[str]:
    """Values for one parameter, picked by its annotated type and (for strings) its name."""
    name = (param.name or "").lower()
    kind, _ = _base(param.type_descriptor.annotation)
    if name in ("to", "tcp", "udp_host", "host") or (name == "udp" and kind is str):
        return ADDRESSES
    if name in ("port", "udp", "exercise_udp", "udp_port"):
        return st.one_of(PORTS, st.sampled_from(["10110", "abc"]))
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return st.one_of(st.sampled_from([str(m.value) for m in kind]), WEIRD_TEXT)
    if kind is int:
        return st.one_of(NUMBERS.map(str), WEIRD_TEXT)
    if kind is float:
        return st.one_of(FLOATS, WEIRD_TEXT)
    if kind is datetime:
        return TIMES
    if kind is Path:
        return _paths(tmp, store)
    if "alert" in name:
        prefixes = [i[:k] for i in ids for k in (1, 4, 6, 16)]
        return st.one_of(st.sampled_from(prefixes or ["A"]), WEIRD_TEXT)
    if name in ("since", "now", "from_", "until", "received_at"):
        return TIMES
    return st.one_of(WEIRD_TEXT, POINTS, TIMES, st.text(max_size=12))


@st.composite
def invocations(draw: st.DrawFn, tmp: Path, store: Path, ids: list[str]) -> list[str]:
    path, cmd = draw(st.sampled_from(COMMANDS))
    argv = list(path)
    for param in cmd.params:
        if getattr(param, "hidden", False):
            continue
        if not param.required and not draw(st.booleans()):
            continue
        _, repeats = _base(param.type_descriptor.annotation)
        n = draw(st.integers(1, 2)) if repeats else 1
        if param.param_type_name == "argument":
            argv += [draw(_value(param, tmp, store, ids)) for _ in range(n)]
        elif param.is_flag:
            argv.append(draw(st.sampled_from([*param.opts, *param.secondary_opts])))
        else:
            for _ in range(n):
                argv += [param.opts[0], draw(_value(param, tmp, store, ids))]
    if path and path[-1] in BAD_ONLY:
        argv += BAD_ONLY[path[-1]]
    return argv


# -- the store ---------------------------------------------------------------------------
def _build_store(path: Path) -> list[str]:
    """Two events (an anchor drag in a pipeline corridor, one of them exercise) and the
    alerts they raise."""
    drag = Event("anchor_drag", 273_123_456, T0, T0 + timedelta(minutes=40), 40.2, 50.6,
                 zone_id="acg-30in-oil-corridor", asset_id="acg-30in-oil",
                 evidence={"speed_in_corridor_kn": 6.4, "fixes": 80})
    zone_exit = Event("zone_exit", 273_000_001, T0, T0, 40.0, 50.0)
    with open_store(path) as store, store.transaction() as conn:
        upsert_events(conn, [drag, zone_exit], T0)
    result = CliRunner().invoke(app, ["alerts", "--db", str(path), "--now", NOW,
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    return [a["id"] for a in json.loads(result.stdout)]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, list[str]]]:
    tmp = tmp_path_factory.mktemp("fuzz")
    store = tmp / "k.duckdb"
    ids = _build_store(store)
    (tmp / "junk.csv").write_text("mmsi,timestamp,lat,lon\nabc,xx,1000,2000\n,,,\n")
    (tmp / "radar.csv").write_text("foo,bar\n1,2\n")
    pristine = tmp / "pristine.duckdb"
    shutil.copy(store, pristine)
    old = Path.cwd()
    os.chdir(tmp)  # defaults such as khazar.duckdb and docs/map.png land here
    try:
        yield tmp, store, ids
    finally:
        os.chdir(old)


def _alarm(signum: int, frame: types.FrameType | None) -> None:
    raise _StillRunning


def _invoke(argv: list[str]) -> tuple[int, str, BaseException | None]:
    """Run one command line in-process; (exit code as `khazar` would give it, output,
    the exception if it was not a clean one)."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(BUDGET_S)
    try:
        result = CliRunner().invoke(app, argv, catch_exceptions=True)
    except _StillRunning:
        return 0, "", None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    exc = result.exception
    if isinstance(exc, _StillRunning):
        return 0, result.output, None
    if exc is None or isinstance(exc, SystemExit | KhazarError):
        code = exit_code_of(exc) if isinstance(exc, KhazarError) else result.exit_code
        return code, result.output, None
    return result.exit_code, result.output, exc


@pytest.fixture(scope="module")
def strategy(workdir: tuple[Path, Path, list[str]]) -> st.SearchStrategy[list[str]]:
    tmp, store, ids = workdir
    return invocations(tmp, store, ids)


def test_the_tree_is_walked() -> None:
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {"route", "plan", "ingest", "alerts", "alerts ack", "handover", "serve"} <= names


def test_every_command_exits_cleanly_on_fuzzed_arguments(
    workdir: tuple[Path, Path, list[str]], strategy: st.SearchStrategy[list[str]]
) -> None:
    """Every distinct failure (command, kind of failure) is collected and reported at once,
    with the first command line that showed it."""
    tmp, store, _ = workdir
    seen: dict[str, int] = {}
    failures: dict[tuple[str, str], str] = {}

    @settings(max_examples=int(os.environ.get("KHAZAR_FUZZ_EXAMPLES", "200")), deadline=None,
              suppress_health_check=list(HealthCheck), derandomize=True, database=None)
    @given(argv=strategy)
    def run(argv: list[str]) -> None:
        command = " ".join(argv[:2]) if argv[0] in GROUPS else argv[0]
        seen[command] = seen.get(command, 0) + 1
        code, output, exc = _invoke(argv)
        if exc is not None:
            kind = f"{type(exc).__name__}: {str(exc)[:160]}"
        elif code not in EXIT_CODES:
            kind = f"exit code {code}"
        elif "Traceback" in output:
            kind = "traceback in the output"
        else:
            kind = ""
        if kind:
            failures.setdefault((command, kind.split(":")[0]), f"{kind}\n    khazar {argv!r}")
        if not store.exists():  # a command removed or moved the store: put it back
            shutil.copy(tmp / "pristine.duckdb", store)

    run()
    assert not failures, "\n".join(f"{c}: {m}" for (c, _), m in sorted(failures.items()))
    assert len(seen) >= 20, seen  # the draw reached most commands

"""Tiny builders for ingest tests: run the real CLI, read the exports, build NMEA lines."""

from __future__ import annotations

import json
from functools import reduce
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from khazar.cli import app

DATA = Path(__file__).parent.parent / "data" / "ais"
runner = CliRunner()


def cli(*args: str) -> str:
    """Run ``khazar ARGS`` in-process; fail the test on a non-zero exit."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def ingest(db: Path, *files: Path, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    out = cli("ingest", *map(str, files), "--db", str(db), "--format", "json", *extra)
    return json.loads(out)  # type: ignore[no-any-return]


def export(db: Path, kind: str) -> list[dict[str, Any]]:
    out = cli("export", kind, "--db", str(db), "--format", "jsonl")
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def checksum(body: str) -> str:
    return f"{reduce(lambda a, c: a ^ c, body.encode('latin-1'), 0):02X}"


def sentence(payload: str, fill: int = 0, count: int = 1, num: int = 1, seq: str = "",
             channel: str = "A", talker: str = "AIVDM") -> str:
    body = f"{talker},{count},{num},{seq},{channel},{payload},{fill}"
    return f"!{body}*{checksum(body)}"


def tagged(line: str, station: str, t_s: int, group: str = "") -> str:
    fields = (f"g:{group}," if group else "") + f"s:{station},c:{t_s}"
    return f"\\{fields}*{checksum(fields)}\\{line}"


def table_contents(db_conn: Any, table: str,
                   exclude: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
    cols = [r[0] for r in db_conn.execute(f"DESCRIBE {table}").fetchall() if r[0] not in exclude]
    sql = f"SELECT {', '.join(cols)} FROM {table} ORDER BY ALL"
    return [tuple(r) for r in db_conn.execute(sql).fetchall()]

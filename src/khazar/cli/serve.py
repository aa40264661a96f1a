"""`khazar serve`: the API, the console and the live feed listeners in one process."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from khazar.cli._app import (
    ConfigOption,
    DbOption,
    TheatreOption,
    app,
    check_port,
    err_console,
    settings_from,
)
from khazar.errors import InputError
from khazar.logs import LogFormat, configure, parse_level

logger = logging.getLogger(__name__)


@app.command()
def serve(
    db: DbOption = "khazar.duckdb",
    host: Annotated[str, typer.Option(help="HTTP address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port")] = 8000,
    udp: Annotated[
        int | None,
        typer.Option(help="listen for NMEA over UDP on this port (AIS-catcher, gpsd: 10110)"),
    ] = None,
    udp_host: Annotated[str, typer.Option(help="UDP address to listen on")] = "127.0.0.1",
    tcp: Annotated[
        str | None, typer.Option(help="read NMEA from a TCP server HOST:PORT (reconnects)")
    ] = None,
    follow: Annotated[
        Path | None, typer.Option(help="follow a growing NMEA file (tail -f), as a feed")
    ] = None,
    exercise_udp: Annotated[
        int | None,
        typer.Option(help="UDP port for exercise traffic (stored flagged, kept out of the "
                          "live picture), e.g. `khazar simulate --udp` of a red-team scenario"),
    ] = None,
    radar_udp: Annotated[
        int | None,
        typer.Option(help="UDP port for radar/SAR detections, one CSV row a line: "
                          "timestamp,lat,lon,length_m,source (the columns of `khazar simulate`'s "
                          "radar.csv)"),
    ] = None,
    plan: Annotated[
        Path | None, typer.Option(help="patrol plan GeoJSON from `khazar plan` to show")
    ] = None,
    config: ConfigOption = None,
    theatre: TheatreOption = None,
    log_level: Annotated[
        str | None,
        typer.Option(help="debug, info, warning or error (default: log_level of the "
                          "configuration, itself info by default)", show_default=False),
    ] = None,
    log_format: Annotated[
        LogFormat, typer.Option(help="text for a terminal or journald, json (one object per "
                                     "line) for a log shipper")
    ] = LogFormat.text,
) -> None:
    """Serve the console at / and the API at /api/; the only writer of the store while it
    runs (other commands reach it through the API). Stop with Ctrl-C."""
    from khazar.api.server import KhazarServer, ServeOptions, parse_host_port

    # every port and path is checked before anything starts
    check_port("--port", port)
    for option, value in (("--udp", udp), ("--exercise-udp", exercise_udp),
                          ("--radar-udp", radar_udp)):
        if value is not None:
            check_port(option, value)
    ports = [(o, v) for o, v in (("--udp", udp), ("--exercise-udp", exercise_udp),
                                 ("--radar-udp", radar_udp)) if v is not None]
    for k, (a, va) in enumerate(ports):
        for b, vb in ports[k + 1:]:
            if va == vb:
                raise InputError(f"{a} and {b} are both {va}: each feed needs its own port")
    if follow is not None and follow.is_dir():
        raise InputError(f"--follow {follow} is a folder: give the NMEA file to follow")
    if plan is not None and not plan.is_file():
        raise InputError(f"--plan {str(plan)!r} is not a file: give a plan GeoJSON from "
                         f"`khazar plan`")
    settings = settings_from(config, theatre)
    level = log_level if log_level is not None else settings.log_level
    try:
        parse_level(level)
    except ValueError as exc:
        raise InputError(f"--log-level: {exc}") from None
    # the server's log is for its operator: tracebacks included
    configure(level, log_format, tracebacks=True)
    options = ServeOptions(
        db=db, host=host, port=port, udp_port=udp, udp_host=udp_host,
        tcp=parse_host_port(tcp) if tcp else None, plan_file=plan,
        exercise_udp_port=exercise_udp, radar_udp_port=radar_udp,
        follow=(follow,) if follow else (),
        log_level=level.lower(),
    )
    server = KhazarServer(settings, options)
    feeds = []
    if udp is not None:
        feeds.append(f"UDP {udp_host}:{udp}")
    if tcp:
        feeds.append(f"TCP {tcp}")
    if follow:
        feeds.append(f"file {follow}")
    if exercise_udp is not None:
        feeds.append(f"exercise UDP {udp_host}:{exercise_udp}")
    if radar_udp is not None:
        feeds.append(f"radar UDP {udp_host}:{radar_udp}")
    if log_format is LogFormat.text:  # stderr holds only JSON lines for a log shipper
        err_console.print(
            f"Khazar console on http://{host}:{port}/  (API http://{host}:{port}/api/, "
            f"store {db}" + (f", feeds: {', '.join(feeds)}" if feeds else "") + ")",
            highlight=False,
        )
    logger.info("serving http://%s:%d/ from store %s", host, port, db,
                extra={"host": host, "port": port, "store": str(db), "feeds": feeds})
    server.serve_forever()

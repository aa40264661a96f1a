"""Alert commands: `alerts` (list, ack, assign, resolve, note, show), `handover`, `trace`,
`cot` and `nmea-out`. Thin: parse options, call khazar.alerts / khazar.interop, print.

While `khazar serve` holds the store, `alerts` (list, ack, assign, resolve, note, show) and
`handover` go through its API as the `--user` given (password from $KHAZAR_PASSWORD or a
prompt): the server checks the role and audits the action, its clock stamps it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.table import Table

from khazar.alerts import AlertState
from khazar.alerts.context import rule_context
from khazar.audit import Action
from khazar.cli._app import (
    ActingUserOption,
    ApiUserOption,
    ConfigOption,
    DbOption,
    OptionalDbOption,
    OutputFormat,
    PasswordFileOption,
    TheatreOption,
    acting,
    app,
    check_range,
    console,
    parse_point,
    parse_time,
    print_json,
    settings_from,
    store_or_api,
)
from khazar.domain.alerts import Alert
from khazar.domain.fixes import VesselFixes
from khazar.errors import InputError
from khazar.interop import (
    alert_cot,
    parse_endpoint,
    send_messages,
    to_protobuf,
    vessel_cot,
    vessel_sentences,
)
from khazar.interop.export import render_features
from khazar.interop.features import (
    alert_feature,
    asset_feature,
    event_feature,
    export_record,
    feature,
    point_feature,
    zone_feature,
)
from khazar.services import alerts as svc
from khazar.store import Store, open_store
from khazar.store import alerts as repo
from khazar.store.picture import latest_states, ship_types

if TYPE_CHECKING:
    from khazar.api.client import ApiClient

__all__ = ["alert_id_in", "alerts_app", "parse_time"]

#: an alert id's length ("A" and 15 hex digits): the id column is never narrower
_ID_WIDTH = 16

alerts_app = typer.Typer(
    help="The alert queue: list alerts (brought up to date with the stored events), "
    "acknowledge, assign to a boat, resolve with a reason, add notes.",
    no_args_is_help=False,
    invoke_without_command=True,
)
app.add_typer(alerts_app, name="alerts")

NowOption = Annotated[
    str | None,
    typer.Option("--now", help="clock for escalation, ISO 8601 UTC (default: now)"),
]


def alert_id_in(where: Store | ApiClient, text: str) -> str:
    """The full id of the alert ``text`` names (its id or a unique prefix), in the store or
    through a running server's API."""
    if isinstance(where, Store):
        return repo.resolve_alert_id(where, text)
    if not text.strip():
        return repo.resolve_alert_id(where, text)  # type: ignore[arg-type]  # raises
    from khazar.api import remote

    wanted = text.strip().lower()
    ids = sorted(a.id for a in remote.alerts(where, None) if a.id.lower().startswith(wanted))
    return repo.pick_alert_id(text, ids)


def _now(value: str | None) -> datetime:
    return parse_time(value, "--now") if value else datetime.now(UTC)


def _no_clock_over_api(now: str | None) -> None:
    if now is not None:
        raise InputError(
            f"--now {now!r} cannot be used while `khazar serve` holds the store: the server's "
            f"clock stamps actions taken through its API; drop --now"
        )


def _remote_alert(answer: Any) -> Alert:
    from khazar.api.remote import alert_from_dict

    return alert_from_dict(answer["properties"])


def _update(store: Store, config: Path | None, now: datetime,
            theatre: str | None = None) -> svc.UpdateResult:
    settings = settings_from(config, theatre)
    events, exercise = repo.stored_events(store)
    return svc.update_alerts(
        store,
        rule_context(settings, ship_types=ship_types(store)),
        events,
        now,
        exercise_event_ids=exercise,
    )


def _table(alerts: Iterable[Alert], title: str) -> Table:
    table = Table(title=title)
    # the id whole, never cut or wrapped, so it can be typed back (a prefix is enough)
    table.add_column("id", no_wrap=True, min_width=_ID_WIDTH, overflow="ignore")
    for col in ("severity", "score", "state", "rule", "vessel", "place", "events", "last"):
        table.add_column(col)
    table.add_column("exercise")
    for a in alerts:
        vessel = "" if a.mmsi is None else str(a.mmsi)
        if a.other_mmsi is not None:
            vessel += f"+{a.other_mmsi}"
        sev = a.severity.value + (" ↑" if a.escalated else "")
        table.add_row(
            a.id,
            sev,
            f"{a.score:.0f}",
            a.state.value + (f" ({a.assigned_boat})" if a.assigned_boat else ""),
            a.rule,
            vessel,
            a.asset_id or a.zone_id or f"{a.lat:.3f},{a.lon:.3f}",
            str(a.event_count),
            a.last_ts.strftime("%Y-%m-%d %H:%M"),
            "EXERCISE" if a.exercise else "",
        )
    return table


@alerts_app.callback()
def alerts_cmd(
    ctx: typer.Context,
    db: OptionalDbOption = None,
    state: Annotated[
        list[AlertState] | None, typer.Option("--state", help="only these states (repeatable)")
    ] = None,
    open_only: Annotated[bool, typer.Option("--open", help="only unresolved alerts")] = False,
    update: Annotated[
        bool,
        typer.Option(
            "--update/--no-update",
            help="first raise/merge alerts from the events stored by `khazar detect` "
            "(overdue alerts are escalated by the server or `khazar alerts escalate`)",
        ),
    ] = True,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
    now: NowOption = None,
    config: ConfigOption = None,
    theatre: TheatreOption = None,
    user: ApiUserOption = None,
) -> None:
    """List alerts, most recent activity first. Through a running server the list is
    its own (its live detection keeps alerts up to date; --update does not apply)."""
    if ctx.invoked_subcommand is not None:
        return
    if db is None:
        raise InputError("`khazar alerts` needs --db FILE or URL (the store)")
    states = state or (
        [AlertState.new, AlertState.acknowledged, AlertState.assigned] if open_only else None
    )
    result = None
    with store_or_api(db, user) as where:
        if isinstance(where, Store):
            result = _update(where, config, _now(now), theatre) if update else None
            alerts = repo.list_alerts(where, states)
        else:
            from khazar.api import remote

            alerts = remote.alerts(where, states)
    if fmt is OutputFormat.json:
        print_json([a.to_dict() for a in alerts])
        return
    if result is not None:
        console.print(
            f"{len(result.new)} new, {len(result.updated)} updated, "
            f"{len(result.escalated)} escalated"
        )
    drills = sum(a.exercise for a in alerts)
    console.print(_table(alerts, f"{len(alerts)} alerts"
                         + (f", {drills} of them EXERCISE (not live)" if drills else "")))


def _print_alert(alert: Alert, fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        print_json(alert.to_dict())
    else:
        console.print(_table([alert], alert.summary))


FmtOption = Annotated[OutputFormat, typer.Option("--format")]


@alerts_app.command("ack")
def ack_cmd(
    alert_id: str,
    db: DbOption,
    user: ActingUserOption = None,
    fmt: FmtOption = OutputFormat.table,
    now: NowOption = None,
    password_file: PasswordFileOption = None,
) -> None:
    """Acknowledge a new alert (new → acknowledged)."""
    with acting(db, user, Action.alerts_ack, password_file) as (where, actor):
        alert_id = alert_id_in(where, alert_id)
        if isinstance(where, Store):
            alert = svc.acknowledge_alert(where, alert_id, actor, _now(now))
        else:
            _no_clock_over_api(now)
            alert = _remote_alert(where.post(f"/alerts/{alert_id}/acknowledge"))
    _print_alert(alert, fmt)


@alerts_app.command("assign")
def assign_cmd(
    alert_id: str,
    db: DbOption,
    boat: Annotated[str, typer.Option("--boat", help="fleet boat name, e.g. SBS-04")],
    user: ActingUserOption = None,
    fmt: FmtOption = OutputFormat.table,
    now: NowOption = None,
    config: ConfigOption = None,
    password_file: PasswordFileOption = None,
) -> None:
    """Assign an acknowledged alert to a patrol boat (or reassign it)."""
    with acting(db, user, Action.alerts_assign, password_file) as (where, actor):
        alert_id = alert_id_in(where, alert_id)
        if isinstance(where, Store):
            alert = svc.assign_alert(where, settings_from(config), alert_id, actor, boat,
                                     _now(now))
        else:
            _no_clock_over_api(now)
            alert = _remote_alert(where.post(f"/alerts/{alert_id}/assign", {"boat": boat}))
    _print_alert(alert, fmt)


@alerts_app.command("resolve")
def resolve_cmd(
    alert_id: str,
    db: DbOption,
    reason: Annotated[str, typer.Option("--reason", help="what was found and done")],
    user: ActingUserOption = None,
    fmt: FmtOption = OutputFormat.table,
    now: NowOption = None,
    password_file: PasswordFileOption = None,
) -> None:
    """Resolve an acknowledged or assigned alert with a documented reason."""
    with acting(db, user, Action.alerts_resolve, password_file) as (where, actor):
        alert_id = alert_id_in(where, alert_id)
        if isinstance(where, Store):
            alert = svc.resolve_alert(where, alert_id, actor, reason, _now(now))
        else:
            _no_clock_over_api(now)
            alert = _remote_alert(where.post(f"/alerts/{alert_id}/resolve",
                                             {"reason": reason}))
    _print_alert(alert, fmt)


@alerts_app.command("note")
def note_cmd(
    alert_id: str,
    db: DbOption,
    text: Annotated[str, typer.Option("--text", help="the note")],
    user: ActingUserOption = None,
    now: NowOption = None,
    password_file: PasswordFileOption = None,
) -> None:
    """Add a note to an alert (any state)."""
    with acting(db, user, Action.alerts_note, password_file) as (where, actor):
        alert_id = alert_id_in(where, alert_id)
        if isinstance(where, Store):
            note = svc.add_note(where, alert_id, actor, text, _now(now))
            added_to, author = note.alert_id, note.author
        else:
            _no_clock_over_api(now)
            answer = where.post(f"/alerts/{alert_id}/notes", {"text": text})
            added_to, author = answer["alert_id"], answer["author"]
    console.print(f"note added to {added_to} by {author}")


@alerts_app.command("show")
def show_cmd(alert_id: str, db: DbOption, fmt: FmtOption = OutputFormat.table,
             user: ApiUserOption = None) -> None:
    """One alert with its transitions and notes."""
    with store_or_api(db, user, read_only=True) as where:
        alert_id = alert_id_in(where, alert_id)
        if isinstance(where, Store):
            alert = repo.get_alert(where, alert_id)
            doc: dict[str, Any] = alert.to_dict()
            doc["transitions"] = [
                t.to_dict() for t in repo.list_transitions(where, alert_id=alert_id)]
            doc["notes"] = [n.to_dict()
                            for n in repo.list_notes(where, alert_id=alert_id)]
        else:
            props = where.get(f"/alerts/{alert_id}")["properties"]
            alert = _remote_alert({"properties": props})
            doc = alert.to_dict()
            doc["transitions"], doc["notes"] = props["transitions"], props["notes"]
    if fmt is OutputFormat.json:
        print_json(doc)
        return
    _print_alert(alert, fmt)
    for t in doc["transitions"]:
        frm = t["from"] or "—"
        extra = f" boat {t['boat']}" if t["boat"] else ""
        extra += f" ({t['reason']})" if t["reason"] else ""
        console.print(f"{_clock(t['ts'])} {t['actor']}: {frm} → {t['to']}{extra}")
    for n in doc["notes"]:
        console.print(f"{_clock(n['ts'])} note by {n['author']}: {n['text']}")


def _clock(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


@alerts_app.command("escalate")
def escalate_cmd(
    db: DbOption,
    user: ActingUserOption = None,
    fmt: FmtOption = OutputFormat.table,
    now: NowOption = None,
    config: ConfigOption = None,
    password_file: PasswordFileOption = None,
) -> None:
    """Escalate every alert left unacknowledged longer than alerts.escalate_after_min
    (raise its severity once; audited, this run under --user, who may acknowledge
    alerts). `khazar serve` does it by itself; reading commands (`handover`, `alerts
    show`) never do."""
    from khazar.store.audit import append

    after = timedelta(minutes=settings_from(config).alerts.escalate_after_min)
    # the server escalates by itself: no login to it, the lock error says who holds it
    with acting(db, user, Action.alerts_ack, password_file, api=False) as (where, actor):
        assert isinstance(where, Store)
        clock = _now(now)
        done = svc.escalate_alerts(where, clock, after)
        append(where, actor, "alerts.escalate.run", None,
               {"escalated": [a.id for a in done], "after_min": after.total_seconds() / 60,
                "at": clock.isoformat()})
    if fmt is OutputFormat.json:
        print_json([a.to_dict() for a in done])
        return
    console.print(_table(done, f"{len(done)} alerts escalated by {actor}"))


@app.command("handover")
def handover_cmd(
    db: DbOption,
    since: Annotated[str, typer.Option("--since", help="start of the shift, ISO 8601 UTC")],
    fmt: FmtOption = OutputFormat.table,
    now: NowOption = None,
    include_exercise: Annotated[
        bool, typer.Option("--exercise", help="include exercise alerts")
    ] = False,
    config: ConfigOption = None,
    user: ApiUserOption = None,
) -> None:
    """Shift handover: open alerts by severity, changes since --since, unacknowledged and
    escalated alerts, boats assigned."""
    from khazar.api.remote import alert_from_dict

    start = parse_time(since, "--since")
    doc: dict[str, Any]
    with store_or_api(db, user) as where:
        if isinstance(where, Store):
            # a reading command: it reports overdue alerts, it does not escalate them (the
            # server does, or `khazar alerts escalate --user U`, audited under U)
            clock = _now(now)
            doc = cast(dict[str, Any], svc.handover(where, settings_from(config), start,
                                                    clock, include_exercise).to_dict())
        else:
            _no_clock_over_api(now)
            doc = where.get("/handover", since=start.isoformat(), exercise=include_exercise)
            clock = parse_time(str(doc["now"]), "now")
    if fmt is OutputFormat.json:
        print_json(doc)
        return
    open_alerts = [alert_from_dict(a) for a in doc["open"]]
    counts = ", ".join(f"{n} {sev}" for sev, n in doc["open_by_severity"].items())
    console.print(f"[bold]Handover[/] {start:%Y-%m-%d %H:%M} → {clock:%Y-%m-%d %H:%M} UTC")
    console.print(f"open alerts: {len(open_alerts)} ({counts})")
    overdue = doc.get("overdue", [])
    console.print(f"unacknowledged: {len(doc['unacknowledged'])}, "
                  f"escalated: {len(doc['escalated'])}"
                  + (f", overdue (not yet escalated): {len(overdue)}" if overdue else ""))
    console.print(
        f"new since: {len(doc['new_since'])}, resolved since: {len(doc['resolved_since'])}, "
        f"changes: {len(doc['changes'])}"
    )
    for boat, ids in doc["boats_assigned"].items():
        console.print(f"  {boat}: {', '.join(ids)}")
    console.print(_table(open_alerts, "open alerts, most severe first"))


def _point(value: str | None) -> tuple[float, float] | None:
    return None if value is None else parse_point(value, "--at")


@app.command("trace")
def trace_cmd(
    db: DbOption,
    asset: Annotated[str, typer.Option("--asset", help="asset id (see `khazar assets`)")],
    start: Annotated[str, typer.Option("--from", help="fault window start, ISO 8601 UTC")],
    end: Annotated[str, typer.Option("--to", help="fault window end, ISO 8601 UTC")],
    out: Annotated[Path, typer.Option("--out", help="directory for the evidence pack")],
    at: Annotated[str | None, typer.Option("--at", help="fault point LAT,LON")] = None,
    radius_km: Annotated[
        float | None, typer.Option("--radius-km", help="radius around --at (default 5 km)")
    ] = None,
    user: ActingUserOption = None,
    password_file: PasswordFileOption = None,
    include_own: Annotated[
        bool, typer.Option("--include-own", help="rank our own patrol boats too")
    ] = False,
    fmt: FmtOption = OutputFormat.table,
    config: ConfigOption = None,
    theatre: TheatreOption = None,
    archive: Annotated[Path | None, typer.Option(
        "--archive", help="read the tracks from this archive (`khazar archive`) on Spark; "
        "the audit record still goes to --db")] = None,
    engine: Annotated[str, typer.Option(
        "--engine", help="embedded (tracks from --db) or spark (tracks from --archive)")] = (
        "embedded"),
    master: Annotated[str, typer.Option(
        "--master", help="Spark master URL with --engine spark")] = "local[*]",
) -> None:
    """Rank the vessels that passed near an asset in a fault window; write an evidence pack
    (HTML + KML + JSON, SHA-256 recorded in the audit log). With --engine spark --archive
    DIR the tracks come from an archive of years of history, read on Apache Spark."""
    from khazar.geo import load_geography
    from khazar.services.tracing import TrackReader, trace_asset

    if radius_km is not None:
        check_range("--radius-km", radius_km, 0.01, 500.0, " km")
    if engine not in ("embedded", "spark"):
        raise InputError(f"--engine {engine!r}: embedded or spark")
    if (engine == "spark") != (archive is not None):
        raise InputError("--engine spark and --archive DIR go together")
    settings = settings_from(config, theatre)
    geo = load_geography(settings)
    read: TrackReader | None = None
    spark = None
    if archive is not None:
        from khazar.services.spark_detect import (
            archive_fixes_in_box,
            archive_table,
            spark_session,
        )

        archive_table(archive, "positions")  # a clear error before Spark starts
        spark = spark_session(master, "khazar-trace")
        where = archive

        def read_archive(a: datetime, b: datetime, box: tuple[float, float, float, float],
                         pad: timedelta) -> list[VesselFixes]:
            assert spark is not None
            return archive_fixes_in_box(spark, where, a, b, box, pad)

        read = read_archive
    try:
        with acting(db, user, Action.trace_run, password_file, api=False) as (store, actor):
            assert isinstance(store, Store)
            result = trace_asset(
                store,
                geo,
                asset,
                parse_time(start, "--from"),
                parse_time(end, "--to"),
                out,
                actor,
                point=_point(at),
                radius_km=radius_km,
                exclude=() if include_own else settings.own_fleet_mmsis,
                authorised=settings.registry.authorised,
                read=read,
            )
    finally:
        if spark is not None:
            spark.stop()
    if fmt is OutputFormat.json:
        print_json(result.to_dict())
        return
    table = Table(title=f"vessels near {asset} ({result.candidates} candidates)")
    for col in ("#", "MMSI", "score", "closest m", "inside min", "reasons"):
        table.add_column(col)
    for i, r in enumerate(result.ranking, 1):
        table.add_row(
            str(i),
            str(r.mmsi),
            f"{r.score:.3f}",
            f"{r.closest_m:.0f}",
            f"{r.inside_s / 60:.0f}",
            "; ".join(r.reasons),
        )
    console.print(table)
    console.print(f"evidence pack: {out} (sha256 {result.pack.sha256})")


@app.command("cot")
def cot_cmd(
    db: DbOption,
    to: Annotated[str, typer.Option("--to", help="udp://HOST:PORT or tcp://HOST:PORT")],
    framing: Annotated[
        str, typer.Option("--framing", help="xml (CoT XML), mesh (TAK protobuf UDP) or stream")
    ] = "xml",
    vessels: Annotated[bool, typer.Option("--vessels/--no-vessels")] = True,
    alerts: Annotated[bool, typer.Option("--alerts/--no-alerts", help="open alerts")] = True,
    max_age_min: Annotated[float, typer.Option("--max-age-min", help="skip older vessels")] = 60,
    config: ConfigOption = None,
) -> None:
    """Send the picture (vessels, open alerts) as Cursor-on-Target to a TAK endpoint."""
    if framing not in ("xml", "mesh", "stream"):
        raise InputError(f"--framing {framing!r}: choose xml, mesh or stream")
    check_range("--max-age-min", max_age_min, 0.0, 525_600.0, " min")
    endpoint = parse_endpoint(to)
    own = settings_from(config).own_fleet_mmsis
    with open_store(db, read_only=True) as store:
        xmls: list[str] = []
        if vessels:
            states = latest_states(store, max_age=timedelta(minutes=max_age_min))
            xmls += [vessel_cot(v, own) for v in states]
        if alerts:
            open_states = [AlertState.new, AlertState.acknowledged, AlertState.assigned]
            xmls += [alert_cot(a) for a in repo.list_alerts(store, open_states)]

    def encode() -> Iterator[bytes]:
        for x in xmls:
            if framing == "xml":
                yield x.encode("utf-8")
            else:
                yield to_protobuf(x, "mesh" if framing == "mesh" else "stream")

    n = send_messages(endpoint, encode())
    console.print(f"sent {n} CoT events to {to}")


@app.command("nmea-out")
def nmea_out_cmd(
    db: DbOption,
    to: Annotated[str | None, typer.Option("--to", help="udp://HOST:PORT (OpenCPN)")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="write sentences to a file")] = None,
    max_age_min: Annotated[float, typer.Option("--max-age-min", help="skip older vessels")] = 60,
) -> None:
    """The picture as AIS NMEA (!AIVDM types 1 and 5) for OpenCPN and chart plotters."""
    if (to is None) == (out is None):
        raise InputError("give exactly one of --to udp://HOST:PORT or --out FILE")
    check_range("--max-age-min", max_age_min, 0.0, 525_600.0, " min")
    with open_store(db, read_only=True) as store:
        states = latest_states(store, max_age=timedelta(minutes=max_age_min))
    sentences = list(vessel_sentences(states))
    if out is not None:
        try:
            out.write_text("".join(s + "\r\n" for s in sentences), encoding="ascii")
        except OSError as exc:
            raise InputError(f"cannot write {out}: {exc.strerror or exc}") from exc
        console.print(f"{len(states)} vessels, {len(sentences)} sentences → {out}")
    else:
        assert to is not None
        n = send_messages(parse_endpoint(to), (s.encode() + b"\r\n" for s in sentences))
        console.print(f"{len(states)} vessels, {n} sentences → {to}")


# -- khazar export: alerts, events, assets and zones as kinds, KML and GPX as formats
# (registered on the ingest helper's export command, which owns the registry)
def _alert_records(store: Store) -> Iterator[dict[str, Any]]:
    return (export_record(alert_feature(a)) for a in repo.list_alerts(store))


def _event_records(store: Store) -> Iterator[dict[str, Any]]:
    from khazar.store.events import list_events

    return (export_record(event_feature(ev)) for ev in list_events(store))


def _geo_records(kind: str) -> Any:
    def records(store: Store) -> Iterator[dict[str, Any]]:
        from khazar.cli.export import export_settings
        from khazar.energy import asset_criticality
        from khazar.geo import load_geography

        settings = export_settings()  # its --config and --theatre
        geo = load_geography(settings)
        if kind == "assets":
            crit = asset_criticality(settings, geo.assets)
            for a in geo.assets:
                yield export_record(asset_feature(a, crit[a.id]))
        else:
            for z in geo.zones:
                yield export_record(zone_feature(z))

    return records


def _features(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    feats = []
    for i, rec in enumerate(records):
        lat, lon = rec.get("lat"), rec.get("lon")
        geometry = rec.get("geometry")
        if geometry is None and (lat is None or lon is None):
            continue
        props = {k: v for k, v in rec.items() if k != "geometry"}
        if not isinstance(geometry, dict):  # positions and vessels: flat records, no shape
            props = {k: v for k, v in props.items() if k not in ("lat", "lon")}
        props.setdefault("name", str(rec.get("id") or rec.get("mmsi") or i))
        fid = str(rec.get("id") or i)
        if isinstance(geometry, dict):
            feats.append(feature(geometry, props, fid))
        else:
            feats.append(point_feature(fid, float(lat), float(lon), props))  # type: ignore[arg-type]
    return feats


def _kml_writer(records: Iterable[dict[str, Any]], stream: IO[str]) -> int:
    feats = _features(records)
    stream.write(render_features(feats, "kml", "Khazar export"))
    return len(feats)


def _gpx_writer(records: Iterable[dict[str, Any]], stream: IO[str]) -> int:
    feats = _features(records)
    stream.write(render_features(feats, "gpx", "Khazar export"))
    return len(feats)


def _register_exports() -> None:
    from khazar.cli import export as export_cli

    kinds = {
        "alerts": _alert_records,
        "events": _event_records,
        "assets": _geo_records("assets"),
        "zones": _geo_records("zones"),
    }
    for kind, records in kinds.items():
        if kind not in export_cli.EXPORTS:
            export_cli.register_export(kind, records)
    for fmt, writer in (("kml", _kml_writer), ("gpx", _gpx_writer)):
        if fmt not in export_cli.WRITERS:
            export_cli.register_writer(fmt, writer)


_register_exports()

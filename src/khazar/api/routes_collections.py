"""Read-only collections shaped like OGC API – Features: ``/api/{collection}`` and
``/api/collections/{collection}/items`` answer the same GeoJSON FeatureCollection."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import Field

from khazar.api.auth import Reader, StateDep
from khazar.api.features import parse_bbox, parse_datetime
from khazar.api.geography import geography_features
from khazar.domain import Event
from khazar.domain.picture import BBox, Interval
from khazar.errors import InputError, NotFoundError
from khazar.interop.features import (
    event_feature,
    feature_collection,
    track_feature,
    vessel_feature,
)
from khazar.live.answers import Answers
from khazar.live.state import ServerState
from khazar.store import queries
from khazar.store.geofeatures import features_in
from khazar.units import to_utc

__all__ = ["COLLECTIONS", "router"]

router = APIRouter(tags=["collections"])


BBoxQ = Annotated[
    str | None, Query(description="minLon,minLat,maxLon,maxLat in degrees (WGS84)")
]
DatetimeQ = Annotated[
    str | None, Query(description="ISO 8601 instant or interval start/end ('..' open), UTC")
]
LimitQ = Annotated[int, Query(ge=1, le=10_000, description="maximum number of features")]
ExerciseQ = Annotated[bool, Query(description="exercise traffic instead of the live picture")]

#: collection id → description (the OGC ``/collections`` listing)
COLLECTIONS = {
    "vessels": "Latest position and static data of every vessel (AIS)",
    "tracks": "Track history per vessel as LineStrings",
    "events": "Detected behaviours (zone entries, loitering, encounters, gaps, spoofing …)",
    "alerts": "Alerts with their life-cycle state",
    "assets": "Protected energy assets (platforms, pipelines, terminals) with criticality",
    "zones": "Territorial sea, fishery zone, safety zones, corridors, port approaches",
    "patrols": "Patrol routes of the current plan",
    "fleet": "Own patrol boats: status and latest position",
}


def _self(request: Request) -> str:
    return str(request.url)


@router.get("/", summary="Landing page (OGC API)")
def landing(request: Request, who: Reader) -> dict[str, Any]:
    """Links to the API definition, conformance and collections."""
    base = str(request.base_url).rstrip("/") + "/api"
    return {
        "title": "Khazar API",
        "description": "Caspian maritime picture, alerts and patrols",
        "links": [
            {"href": f"{base}/openapi.json", "rel": "service-desc",
             "type": "application/vnd.oai.openapi+json;version=3.0"},
            {"href": f"{base}/conformance", "rel": "conformance"},
            {"href": f"{base}/collections", "rel": "data"},
        ],
    }


@router.get("/conformance", summary="Conformance classes (OGC API)")
def conformance(who: Reader) -> dict[str, list[str]]:
    return {
        "conformsTo": [
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        ]
    }


@router.get("/collections", summary="The collections (OGC API)")
def collections(request: Request, who: Reader) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/") + "/api"
    return {
        "collections": [
            {
                "id": cid,
                "title": cid,
                "description": text,
                "itemType": "feature",
                "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
                "links": [{"href": f"{base}/{cid}", "rel": "items",
                           "type": "application/geo+json"}],
            }
            for cid, text in COLLECTIONS.items()
        ]
    }


def _registry(state: ServerState) -> tuple[frozenset[int], frozenset[int]]:
    authorised = frozenset(m for ms in state.settings.registry.authorised.values() for m in ms)
    return state.settings.own_fleet_mmsis, authorised


@router.get("/vessels", summary="Vessels: latest position and static data",
            response_class=JSONResponse)
async def vessels(
    request: Request,
    who: Reader,
    state: StateDep,
    bbox: BBoxQ = None,
    datetime: DatetimeQ = None,
    limit: LimitQ = 5000,
    exercise: ExerciseQ = False,
) -> Response:
    """Each vessel's latest position (as of the end of ``datetime``, for replay), with
    name, IMO, type, destination, speed, course, age and whether it is stale.
    ``invalidMmsi`` counts the reports left out because their MMSI is no valid number
    (0, 123456789 …: several transmitters, not one vessel)."""
    box, interval = parse_bbox(bbox), parse_datetime(datetime)

    def build() -> bytes:
        with state.reading() as store:
            rows, matched = queries.latest_vessels(store, box, interval, limit,
                                                   exercise=exercise)
            clock = queries.picture_time(store, exercise)
            invalid, numbers = queries.invalid_mmsi_reports(store, interval, exercise)
        if interval is not None and interval.end is not None:
            clock = interval.end
        own, authorised = _registry(state)
        stale_s = state.settings.serve.stale_after_s
        feats = [vessel_feature(v, clock, stale_s, own, authorised) for v in rows]
        extra = {"pictureTime": clock.isoformat(timespec="seconds") if clock else None,
                 "invalidMmsi": {"reports": invalid, "numbers": numbers}}
        return _json(feature_collection(feats, matched, _self(request), extra=extra))

    # the live picture changes at the publisher's tick (its "positions" message); the
    # exercise picture has no such message: built every time
    return await _kept(state.vessel_answers if not exercise else None, request, build)


async def _kept(answers: Answers | None, request: Request, build: Callable[[], bytes]
                ) -> Response:
    """``build()``'s answer, or the one ``answers`` kept for this same request: a kept
    one is given on the event loop, a new one is built on a worker thread."""
    key = str(request.url)
    body = answers.kept(key) if answers is not None else None
    if body is None:
        body = await run_in_threadpool(
            build if answers is None else partial(answers.get, key, build))
    return Response(body, media_type="application/json")


#: an MMSI as AIS carries it: a 30-bit field (a larger number is no MMSI: 422, not a
#: database error)
MMSI_MAX = 2**30 - 1
MmsiPath = Annotated[int, Path(ge=0, le=MMSI_MAX, description="MMSI")]
MmsiValue = Annotated[int, Field(ge=0, le=MMSI_MAX)]


@router.get("/vessels/{mmsi}", summary="One vessel")
def vessel(
    mmsi: MmsiPath, who: Reader, state: StateDep
) -> dict[str, Any]:
    with state.reading() as store:
        rows, _ = queries.latest_vessels(store, mmsi=mmsi, limit=1)
        clock = queries.picture_time(store)
        invalid = queries.invalid_mmsi_reports(store, mmsi=mmsi)[0] if not rows else 0
    if not rows:
        if invalid:
            raise NotFoundError(
                f"MMSI {mmsi} is no valid station number: its {invalid} reports are stored "
                "but are not one vessel (several transmitters may send it); see the export")
        raise NotFoundError(f"no positions stored for MMSI {mmsi}")
    own, authorised = _registry(state)
    return vessel_feature(rows[0], clock, state.settings.serve.stale_after_s, own,
                          authorised)


@router.get("/tracks", summary="Track history as LineStrings, in pages",
            response_class=JSONResponse)
async def tracks(
    request: Request,
    who: Reader,
    state: StateDep,
    mmsi: Annotated[list[MmsiValue] | None, Query(description="vessels (repeatable)")] = None,
    bbox: BBoxQ = None,
    datetime: DatetimeQ = None,
    limit: Annotated[int, Query(ge=1, le=5000, description="vessels a page")] = 100,
    hours: Annotated[float, Query(gt=0, le=24 * 31,
                                  description="without datetime: hours before now")] = 6.0,
    exercise: ExerciseQ = False,
    after: Annotated[int | None, Query(ge=0, le=MMSI_MAX, description=(
        "the page after this MMSI (the `next` link sets it)"))] = None,
) -> Response:
    """Tracks in ``datetime`` (default: the last ``hours`` of the picture), in MMSI order,
    one page at a time: at most ``limit`` vessels and ``serve.track_page_points`` points a
    page. While more follow, ``links`` holds a ``next`` link (OGC API – Features) with the
    time interval fixed, so the pages add up to one answer however the picture moves.

    At most ``serve.track_readers`` pages are built at once; further track requests wait
    for a turn without holding a worker thread, so viewers pulling long histories share
    the processor with everyone else instead of taking it (issue 18)."""
    box, interval = parse_bbox(bbox), parse_datetime(datetime)
    async with _track_turn(state):
        body = await run_in_threadpool(
            _track_page, request, state, interval, hours, mmsi, box, limit, exercise, after)
    return Response(body, media_type="application/json")


def _track_turn(state: ServerState) -> asyncio.Semaphore:
    """The server's turns for building track pages (made in the serving event loop)."""
    turns = state.cache.get("track_turns")
    if not isinstance(turns, asyncio.Semaphore):
        turns = state.cache["track_turns"] = asyncio.Semaphore(state.settings.serve.track_readers)
    return turns


def _track_page(request: Request, state: ServerState, interval: Interval | None,
                hours: float, mmsi: list[int] | None, box: BBox | None, limit: int,
                exercise: bool, after: int | None) -> bytes:
    """One page of tracks as JSON text (encoded here, in a worker thread: not in the event
    loop, where every other request would wait for it)."""
    with state.reading() as store:
        if interval is None:
            clock = queries.picture_time(store, exercise)
            if clock is None:
                return _json(feature_collection([], 0, _self(request)))
            interval = Interval(clock - timedelta(hours=hours), clock)
        page = queries.track_page(store, interval, mmsi, box, limit, exercise=exercise,
                                  after=after,
                                  page_points=state.settings.serve.track_page_points)
    feats = []
    for t in page.tracks:
        feats.append(track_feature(t))
        time.sleep(0)  # let other requests' threads have the interpreter between vessels
    fc = feature_collection(feats, page.matched, _self(request))
    if page.next_after is not None:
        fc["links"].append({"href": _next_page(request, interval, page.next_after),
                            "rel": "next", "type": "application/geo+json"})
    return _json(fc)


def _json(value: dict[str, Any]) -> bytes:
    """As FastAPI's JSONResponse writes it (times as ISO 8601, as its encoder gives them),
    without its generic encoder: a collection of a few hundred features took 6 ms in it,
    four times what building them takes (issue 20)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=None,
                      separators=(",", ":"), default=_iso).encode()


def _iso(value: object) -> str:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _next_page(request: Request, interval: Interval, after: int) -> str:
    """This request's URL for the page after ``after``, its interval written out."""
    def instant(t: Any) -> str:
        return ".." if t is None else to_utc(t).isoformat().replace("+00:00", "Z")

    span = f"{instant(interval.start)}/{instant(interval.end)}"
    url = request.url.remove_query_params(["after", "hours", "datetime"])
    return str(url.include_query_params(datetime=span, after=after))


@router.get("/events", summary="Detected events")
def events(
    request: Request,
    who: Reader,
    state: StateDep,
    bbox: BBoxQ = None,
    datetime: DatetimeQ = None,
    limit: LimitQ = 1000,
    type: Annotated[list[str] | None, Query(description="event types (repeatable)")] = None,
    mmsi: Annotated[int | None, Query(ge=0, le=MMSI_MAX)] = None,
    exercise: ExerciseQ = False,
) -> dict[str, Any]:
    """Events overlapping ``datetime``, newest first."""
    box, interval = parse_bbox(bbox), parse_datetime(datetime)
    with state.reading() as store:
        rows, matched = queries.events(
            store, box, interval, limit, type, mmsi, exercise
        )
    feats = [event_feature(_stored_event(r)) for r in rows]
    return feature_collection(feats, matched, _self(request))


def _stored_event(row: dict[str, Any]) -> Event:
    """A stored event row as the Event it was: times back in UTC, so that its id (made from
    the start time's text) is the stored one."""
    fields = {k: v for k, v in row.items() if k != "id"}
    fields.update(start=to_utc(row["start"]), end=to_utc(row["end"]),
                  evidence=json.loads(str(row["evidence"])))
    return Event(**fields)


AlertStates = Annotated[
    list[str] | None, Query(description="new, acknowledged, assigned, resolved (repeatable)")
]


@router.get("/alerts", summary="Alerts", response_class=JSONResponse)
async def alerts(
    request: Request,
    who: Reader,
    state: StateDep,
    bbox: BBoxQ = None,
    datetime: DatetimeQ = None,
    limit: LimitQ = 500,
    state_: Annotated[AlertStates, Query(alias="state")] = None,
    exercise: ExerciseQ = False,
) -> Response:
    """Alerts in the watch floor's order: by severity (critical, high, medium, low), then
    by age (oldest ``created_at`` first within a severity: the longest waiting on top),
    filtered by state, place and time. Each feature has the alert's fields plus:

    - ``title`` (English) and ``title_az`` (Azerbaijani): "Anchor drag by CASPIAN STAR
      across the ACG 24-inch oil export line", from the type, vessel and asset names;
    - ``vessel_name`` (``other_vessel_name`` for a pair), ``asset_name``, ``zone_name``
      (None when unknown);
    - ``escalated`` (bool) and ``escalated_at`` (ISO 8601 or null);
    - ``incident_id`` and ``incident_size``: alerts of one vessel (or pair) overlapping
      in time or within ``alerts.incident_gap_min`` of each other share an incident; a
      single alert is its own (size 1).
    """
    from khazar.api.services import place_names
    from khazar.domain.alerts import AlertState
    from khazar.services.triage import alert_features
    from khazar.store.alerts import find_alerts, vessels_alerts

    try:
        wanted = [AlertState(s) for s in state_] if state_ else None
    except ValueError:
        raise InputError(
            f"state {state_!r}: use new, acknowledged, assigned or resolved"
        ) from None
    box, interval = parse_bbox(bbox), parse_datetime(datetime)

    def build() -> bytes:
        names = place_names(state)
        with state.reading() as store:
            # the page in SQL; the incidents linked over the alerts of the page's vessels
            # (an incident is one vessel's or pair's): no read of every alert ever raised
            picked, matched = find_alerts(
                store, wanted, exercise,
                None if box is None else (box.min_lon, box.min_lat, box.max_lon, box.max_lat),
                None if interval is None else (interval.start, interval.end), limit)
            population = vessels_alerts(
                store, [m for a in picked for m in (a.mmsi, a.other_mmsi) if m is not None],
                exercise)
            feats = alert_features(store, state.settings, names, picked, population)
        return _json(feature_collection(feats, matched, _self(request)))

    # consoles polling the same list share one answer while no alert changes
    return await _kept(state.alert_answers, request, build)


def _geo_collection(kind: str) -> Callable[..., dict[str, Any]]:
    def handler(
        request: Request,
        who: Reader,
        state: StateDep,
        bbox: BBoxQ = None,
        limit: LimitQ = 10_000,
    ) -> dict[str, Any]:
        box = parse_bbox(bbox)
        feats = geography_features(state, kind)
        if box is not None:  # in the database (PostGIS's index on the server profile)
            with state.reading() as store:
                found = features_in(store, kind, box)
            feats = found if found is not None else [f for f in feats if _bbox_hits(f, box)]
        return feature_collection(feats[:limit], len(feats), _self(request))

    handler.__name__ = kind
    handler.__doc__ = COLLECTIONS.get(kind, kind)
    return handler


def _bbox_hits(f: dict[str, Any], box: Any) -> bool:
    b = f.get("bbox")
    if not b:
        return True
    return not (b[2] < box.min_lon or b[0] > box.max_lon or b[3] < box.min_lat
                or b[1] > box.max_lat)


for _kind in ("assets", "zones"):
    router.add_api_route(f"/{_kind}", _geo_collection(_kind), methods=["GET"],
                         summary=COLLECTIONS[_kind])
router.add_api_route("/basemap", _geo_collection("basemap"), methods=["GET"],
                     summary="Water polygon and ports: the console's own basemap")


@router.get("/collections/{collection_id}/items", summary="Items of a collection (OGC API)")
def items(
    collection_id: str, request: Request, who: Reader
) -> Any:
    """Same answer as ``/api/{collection_id}`` (query parameters pass through)."""
    if collection_id not in COLLECTIONS:
        raise NotFoundError(
            f"no collection {collection_id!r}; choose one of {', '.join(COLLECTIONS)}"
        )
    from fastapi.responses import RedirectResponse

    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"/api/{collection_id}{query}", status_code=307)



@router.get("/reception", summary="AIS reception learned from the stored positions (GeoJSON)")
def reception(who: Reader, state: StateDep) -> dict[str, Any]:
    """Per 0.1° cell over the last ``detect.reception_days``: the share of expected reports
    received, expected and received counts, the prior from the receivers' range, and
    whether an AIS gap counts there (``covered``)."""
    from khazar.services.reception import learned_reception, reception_geojson

    with state.locked() as store:
        m = learned_reception(store, state.settings)
    return reception_geojson(m)

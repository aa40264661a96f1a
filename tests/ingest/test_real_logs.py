"""Real receiver logs as they come (issue 17, points 5 and 6), end to end through `khazar ingest`:

- the Danish Maritime Authority log (Gatehouse headers) and the Australian Maritime Safety
  Authority log (receiver sentences, gzip, no tag blocks): every position pyais decodes is
  stored, one row per transmission (copies heard by several stations are one report), and
  the counts per message type equal pyais's — pyais decodes the files independently here;
- the AMSA log's lines take their time from its $GPZDA / $GPRMC clock, interpolated by line
  order, not the file's modification time; a file without any clock says how many lines got it;
- invalid MMSIs (0, 123456789 …) are stored and flagged, never one "vessel 0" in the picture;
- the Ever Given CSV goes through the generic CSV path, every row accounted for.
"""

from __future__ import annotations

import calendar
import gzip
import itertools
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pyais.messages import NMEAMessage
from tests.ingest.helpers import DATA, cli, ingest

from khazar.domain.picture import Interval
from khazar.domain.vessels import mmsi_kind
from khazar.store import open_store, queries
from khazar.store.picture import latest_states

AMSA = DATA / "amsa" / "ais.txt.gz"
DMA = DATA / "dma" / "stream_example.txt"
EVERGIVEN = DATA / "evergiven" / "boat-positions-2021-03-20_21.csv"
POSITION_TYPES = {1, 2, 3, 18, 19, 27}
_SENTENCE = re.compile(r"^(!.*?\*[0-9A-Fa-f]{2})")


def _lines(path: Path) -> list[str]:
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as f:
        return f.read().split("\n")


def pyais_positions(path: Path) -> dict[str, int]:
    """pyais's view: distinct payloads of single-sentence position reports that carry a
    position (not lat 91 / lon 181), whose checksum is right → their message type."""
    out: dict[str, int] = {}
    for line in _lines(path):
        m = _SENTENCE.match(line.strip())  # the sentence without a receiver's trailer
        if m is None:
            continue
        try:
            msg = NMEAMessage.from_string(m.group(1))
        except Exception:  # pyais refuses the line: no position it decodes
            continue
        if not msg.is_valid or msg.frag_cnt != 1:
            continue
        try:
            d = msg.decode()
        except Exception:
            continue
        if d.msg_type not in POSITION_TYPES:
            continue
        lat, lon = getattr(d, "lat", None), getattr(d, "lon", None)
        if lat is None or lon is None or lat == 91 or lon == 181 or abs(lat) > 90 \
                or abs(lon) > 180:
            continue
        out.setdefault(msg.payload, d.msg_type)
    return out


@pytest.fixture(scope="module")
def amsa_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    db = tmp_path_factory.mktemp("amsa") / "k.duckdb"
    return db, ingest(db, AMSA)["files"][0]


@pytest.mark.parametrize("name", ["dma", "amsa"])
def test_every_pyais_position_is_stored_once(name: str, amsa_db: tuple[Path, dict[str, Any]],
                                             tmp_path: Path) -> None:
    if name == "amsa":
        db, result = amsa_db
        path = AMSA
    else:
        path = DMA
        result = ingest(db := tmp_path / "k.duckdb", path)["files"][0]
    want = pyais_positions(path)
    with duckdb.connect(str(db), read_only=True) as conn:
        rows = conn.execute("SELECT msg_type, msg_key, epoch(report_ts) FROM positions "
                            "ORDER BY msg_key, report_ts").fetchall()
    keys_by_type: dict[int, set[int]] = defaultdict(set)
    times: dict[int, list[float]] = defaultdict(list)
    for t, key, report in rows:
        keys_by_type[int(t)].add(int(key))
        times[int(key)].append(float(report))
    # each distinct payload pyais decodes is stored, and nothing else: counts per type equal
    assert {t: len(k) for t, k in keys_by_type.items()} == dict(Counter(want.values()))
    # a payload is stored again only as another transmission (a report time at least a
    # minute apart: class B "CS" units repeat identical reports), never as a second copy of
    # one transmission heard by another station
    for ts in times.values():
        assert all(b - a >= 60 for a, b in itertools.pairwise(ts))
    assert result["positions"] == len(rows)
    copies = sum(len(ts) - 1 for ts in times.values())
    assert result["duplicates"] >= copies if name == "dma" else result["duplicates"] > 0
    if name == "dma":  # the figures of shared/data/README.md
        assert len(rows) == len(want) == 2965
    else:
        assert len(want) == 17_847
        assert len(rows) < 25_481  # positions decoded, before copies are dropped


def _clock_us(line: str) -> int | None:
    """The test's own reading of a $GPZDA / valid $GPRMC line (µs since the epoch)."""
    f = line.split("*")[0].split(",")
    if f[0] == "$GPZDA":
        day = calendar.timegm((int(f[4]), int(f[3]), int(f[2]), 0, 0, 0))
    elif f[0] == "$GPRMC" and f[2] == "A":
        day = calendar.timegm((2000 + int(f[9][4:]), int(f[9][2:4]), int(f[9][:2]), 0, 0, 0))
    else:
        return None
    hms = f[1]
    return (day + int(hms[:2]) * 3600 + int(hms[2:4]) * 60) * 1_000_000 \
        + round(float(hms[4:]) * 1_000_000)


def test_amsa_times_come_from_its_gpzda(amsa_db: tuple[Path, dict[str, Any]]) -> None:
    db, result = amsa_db
    assert result["clock"] == "gnss"  # not its Gatehouse headers of satellite reports
    assert result["lines_with_file_time"] == 0
    lines = _lines(AMSA)
    # the known line: the first sentence after the first $GPZDA (line 16, 11:47:02.51)
    assert lines[15] == "$GPZDA,114702.51,27,01,2012,,*66"
    assert lines[16] == "!AIVDM,1,1,,A,17P<7N?0009Fv:epoA@=eWv4081N,0*48"
    with duckdb.connect(str(db), read_only=True) as conn:
        got = dict(conn.execute(
            "SELECT line_no, epoch_us(received_at) FROM raw_sentences").fetchall())
        mmsi = NMEAMessage.from_string(lines[16]).decode().mmsi
        pos = conn.execute("SELECT list(epoch_us(ts)) FROM positions WHERE mmsi = ?",
                           [mmsi]).fetchone()
    zda = datetime(2012, 1, 27, 11, 47, 2, 510_000, tzinfo=UTC)
    assert got[16] == int(zda.timestamp() * 1_000_000)
    # the next clock is the $GPRMC at line 112 (11:47:03.00): line 17 lies 1/96 of the way
    assert lines[111].startswith("$GPRMC,114703.00,A,")
    step = 490_000 / 96
    assert got[17] == pytest.approx(zda.timestamp() * 1e6 + step, abs=1)
    assert pos is not None and got[17] in pos[0]  # its position has the line's time
    # every line without a trailer time lies between its clock readings, in order
    clocks = [(n, t) for n, line in enumerate(lines, start=1)
              if (t := _clock_us(line)) is not None]
    assert len(clocks) == 384 + 383
    own = {n for n, line in enumerate(lines, start=1)  # lines with a trailer's time
           if re.search(r"\*[0-9A-F]{2},\d{10}", line)}
    header = False
    for n, line in enumerate(lines, start=1):  # a Gatehouse header dates the next sentence
        if line.startswith("$PGHP"):
            own.add(n)
            header = True
        elif line.startswith("!") and header:
            own.add(n)
            header = False
    for (n0, t0), (n1, t1) in itertools.pairwise(clocks):
        between = [got[n] for n in range(n0, n1 + 1) if n in got and n not in own]
        assert between == sorted(between)
        assert t0 <= min(between) and max(between) <= t1
        for n in range(n0 + 1, n1):
            if n in got and n not in own:
                assert got[n] == pytest.approx(t0 + (t1 - t0) * (n - n0) / (n1 - n0), abs=1)
    # before the first clock: held at its reading (not the file's modification time)
    assert {got[n] for n in range(1, 16) if n not in own} == {clocks[0][1]}


def test_a_file_without_a_clock_reports_its_fallback(tmp_path: Path) -> None:
    f = DATA / "gpsd" / "ais-18-27.log"  # bare sentences of types 18-27: no clock at all
    texts = [t for t in f.read_text().splitlines() if t.strip() and not t.startswith("#")]
    assert all(t.startswith("!AIVDM") and t.split(",")[5][0] not in "4;" for t in texts)
    result = ingest(tmp_path / "k.duckdb", f)["files"][0]
    assert result["clock"] == "none"
    assert result["lines_with_file_time"] == len(texts) == result["lines"] - 4  # 4 comments
    out = cli("ingest", str(f), "--db", str(tmp_path / "k2.duckdb"))
    assert f"{len(texts)} lines got the file's time" in " ".join(out.split())
    # tag blocks are a time of their own: no fallback although there is no clock line
    tagged = ingest(tmp_path / "k3.duckdb", DATA / "libais" / "tagblock.nmea")["files"][0]
    assert tagged["clock"] == "none"
    assert tagged["lines_with_file_time"] == 0 < tagged["lines"]


def test_base_stations_are_the_clock_of_last_resort(tmp_path: Path) -> None:
    # the AMSA sentences without the receiver's clock lines: type 4 / 11 reports remain
    lines = [t for t in _lines(AMSA) if t.startswith("!")]
    f = tmp_path / "no-receiver-clock.nmea"
    f.write_text("\n".join(lines) + "\n")
    result = ingest(tmp_path / "k.duckdb", f)["files"][0]
    assert result["clock"] == "base_station"
    assert result["lines_with_file_time"] == 0
    with duckdb.connect(str(tmp_path / "k.duckdb"), read_only=True) as conn:
        lo, hi = conn.execute("SELECT min(received_at), max(received_at) FROM raw_sentences "
                              "WHERE line NOT SIMILAR TO '.*\\*[0-9A-F]{2},[0-9]{10}'"
                              ).fetchone()
    # the log runs 11:47:02–11:53:27 by its GPS clock; base stations agree within a minute
    assert datetime(2012, 1, 27, 11, 46, tzinfo=UTC) <= lo
    assert hi <= datetime(2012, 1, 27, 11, 55, tzinfo=UTC)


def test_invalid_mmsis_are_flagged_not_merged(amsa_db: tuple[Path, dict[str, Any]]) -> None:
    db, result = amsa_db
    with duckdb.connect(str(db), read_only=True) as conn:
        rows = conn.execute("SELECT mmsi, mmsi_valid, count(*), max(lat) - min(lat) "
                            "FROM positions GROUP BY ALL").fetchall()
    flagged = {m: (n, spread) for m, ok, n, spread in rows if not ok}
    # the flag is the MMSI rule, row by row
    assert all(ok == (mmsi_kind(m) is not None) for m, ok, _, _ in rows)
    # MMSI 0 comes from several transmitters ~20 degrees of latitude apart
    assert flagged[0][0] > 300 and flagged[0][1] > 10
    assert 123456789 in flagged and 111111111 in flagged
    assert result["positions_invalid_mmsi"] == sum(n for n, _ in flagged.values())
    # valid station forms are not flagged: a base station 00MID…, a group 0MID…
    assert all(ok for m, ok, _, _ in rows if m in (2190062, 31423000))
    with open_store(db, read_only=True) as store:
        vessels, matched = queries.latest_vessels(store, limit=100_000)
        assert matched == len({m for m, ok, _, _ in rows if ok})
        assert not {v.mmsi for v in vessels} & set(flagged)
        assert queries.invalid_mmsi_reports(store) == (sum(n for n, _ in flagged.values()),
                                                       len(flagged))
        assert not {v.mmsi for v in latest_states(store)} & set(flagged)
        valid = min(m for m, ok, _, _ in rows if ok)
        tracks, _ = queries.tracks(store, Interval(None, None), mmsis=[0, valid])
        assert [t.mmsi for t in tracks] == [valid]
    # still in the store: the export has them
    exported = cli("export", "positions", "--db", str(db), "--format", "jsonl")
    assert exported.count('"mmsi": 0,') == flagged[0][0]


def test_evergiven_csv_every_row_accounted_for(tmp_path: Path) -> None:
    rows = EVERGIVEN.read_text(encoding="utf-8-sig").splitlines()[1:]
    total = ingest(db := tmp_path / "k.duckdb", EVERGIVEN)["total"]
    assert total["lines"] == len(rows) + 1 == 14_022
    assert total["rejected"] == 0
    distinct = len(set(rows))  # 170 rows repeat another one exactly
    assert total["positions"] == distinct and total["duplicates"] == len(rows) - distinct
    with open_store(db, read_only=True) as store:
        vessels, matched = queries.latest_vessels(store, limit=1000)
        assert matched == 157  # the dataset's own IDs are vessels, not invalid MMSIs
        first = store.execute("SELECT min(ts), max(ts) FROM positions").fetchone()
    assert first is not None  # day-first dd/mm/yyyy HH:MM, UTC
    assert first[0].astimezone(UTC).date() == date(2021, 3, 20)
    assert first[1].astimezone(UTC).date() == date(2021, 3, 21)
    assert {v.mmsi for v in vessels} == {int(r.split(",")[0]) for r in rows}

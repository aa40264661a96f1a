"""The pure hash chain: building, verifying, and detecting every single-entry mutation."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from khazar.audit.chain import (
    GENESIS_HASH,
    AuditEntry,
    HeadRecord,
    ProblemKind,
    canonical_detail,
    compute_hash,
    make_entry,
    verify_chain,
)
from khazar.errors import AuditError

T0 = datetime(2026, 5, 1, 6, 0, tzinfo=UTC)


def chain(n: int, details: list[dict[str, Any]] | None = None) -> list[AuditEntry]:
    """n entries, one second apart, as the store would hold them."""
    out: list[AuditEntry] = []
    for i in range(n):
        detail = details[i] if details else {"n": i}
        prev = out[-1] if out else None
        out.append(
            make_entry(prev, T0 + timedelta(seconds=i), "ann", "alerts.ack", f"A{i}", detail)
        )
    return out


def head_of(entries: list[AuditEntry]) -> list[HeadRecord]:
    return [HeadRecord(e.seq, e.hash) for e in entries]


def rehash_from(entries: list[AuditEntry], start: int) -> list[AuditEntry]:
    """What an attacker with database access does: re-hash every entry from index start."""
    out = list(entries[:start])
    for e in entries[start:]:
        prev_hash = out[-1].hash if out else GENESIS_HASH
        digest = compute_hash(prev_hash, e.seq, e.ts, e.actor, e.action, e.target, e.detail)
        out.append(dataclasses.replace(e, prev_hash=prev_hash, hash=digest))
    return out


def kinds(report_problems: Any) -> set[tuple[ProblemKind, int]]:
    return {(p.kind, p.seq) for p in report_problems}


def test_clean_chain_verifies() -> None:
    entries = chain(5)
    report = verify_chain(entries, head_of(entries))
    assert report.ok
    assert (report.entries, report.last_seq, report.head_records) == (5, 5, 5)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))


def test_empty_log_without_head_is_ok() -> None:
    assert verify_chain([], None).ok


def test_hash_covers_every_field_and_is_stable() -> None:
    e = chain(1)[0]
    # fixed vector: the canonical encoding must never change silently
    assert e.hash == compute_hash(GENESIS_HASH, 1, T0, "ann", "alerts.ack", "A0", '{"n":0}')
    base = (GENESIS_HASH, 1, T0, "ann", "alerts.ack", "A0", '{"n":0}')
    variants = [
        ("1" * 64, *base[1:]),
        (base[0], 2, *base[2:]),
        (*base[:2], T0 + timedelta(microseconds=1), *base[3:]),
        (*base[:3], "bob", *base[4:]),
        (*base[:4], "alerts.resolve", *base[5:]),
        (*base[:5], None, base[6]),
        (*base[:5], "", base[6]),
        (*base[:6], '{"n":1}'),
    ]
    hashes = {compute_hash(*v) for v in variants}
    assert len(hashes) == len(variants) and e.hash not in hashes


def test_fields_cannot_bleed_into_each_other() -> None:
    a = compute_hash(GENESIS_HASH, 1, T0, "ann", "x.y", "ab", "{}")
    b = compute_hash(GENESIS_HASH, 1, T0, "ann", "x.ya", "b", "{}")
    assert a != b


def test_detail_is_canonical_and_strict() -> None:
    assert canonical_detail({"b": 1, "a": [1, "ü"]}) == '{"a":[1,"ü"],"b":1}'
    assert canonical_detail(None) == "{}"
    with pytest.raises(AuditError, match="not plain JSON"):
        canonical_detail({"t": T0})
    with pytest.raises(AuditError, match="not plain JSON"):
        canonical_detail({"x": float("nan")})


def test_naive_time_and_empty_names_are_refused() -> None:
    with pytest.raises(AuditError, match="no time zone"):
        make_entry(None, datetime(2026, 5, 1), "ann", "alerts.ack")
    with pytest.raises(AuditError, match="actor"):
        make_entry(None, T0, " ", "alerts.ack")
    with pytest.raises(AuditError, match="action"):
        make_entry(None, T0, "ann", "")


def test_edit_is_reported_at_its_seq() -> None:
    entries = chain(5)
    entries[2] = dataclasses.replace(entries[2], actor="mallory")
    report = verify_chain(entries, head_of(chain(5)))
    assert kinds(report.problems) == {(ProblemKind.edited, 3)}


def test_removed_entry_is_reported_as_a_gap() -> None:
    entries = chain(6)
    head = head_of(entries)
    del entries[2:4]
    report = verify_chain(entries, head)
    [problem] = report.problems
    assert (problem.kind, problem.seq, problem.seq_end) == (ProblemKind.removed, 3, 4)


def test_reordered_entries_name_where_they_were_written() -> None:
    entries = chain(5)
    head = head_of(entries)
    # swapping the seq numbers of two rows, then reading by seq
    a, b = entries[1], entries[3]
    entries[1] = dataclasses.replace(b, seq=2)
    entries[3] = dataclasses.replace(a, seq=4)
    report = verify_chain(entries, head)
    assert kinds(report.problems) == {(ProblemKind.moved, 2), (ProblemKind.moved, 4)}
    assert "written as seq 4" in report.problems[0].message


def test_delete_and_renumber_is_found_without_the_head_file() -> None:
    entries = chain(5)
    renumbered = entries[:2] + [dataclasses.replace(e, seq=e.seq - 1) for e in entries[3:]]
    report = verify_chain(renumbered, None)
    found = kinds(report.problems)
    assert (ProblemKind.edited, 3) in found or (ProblemKind.moved, 3) in found
    assert (ProblemKind.head_missing, 1) in found


def test_truncated_tail_needs_the_head_file() -> None:
    entries = chain(6)
    head = head_of(entries)
    assert verify_chain(entries[:4], head_of(entries[:4])).ok  # a consistent prefix...
    report = verify_chain(entries[:4], head)  # ...is caught by the head file
    [problem] = report.problems
    assert (problem.kind, problem.seq, problem.seq_end) == (ProblemKind.truncated, 5, 6)


def test_rewritten_chain_is_caught_by_the_head_file() -> None:
    entries = chain(6)
    head = head_of(entries)
    forged = rehash_from(
        [*entries[:2], dataclasses.replace(entries[2], actor="x"), *entries[3:]], 2
    )
    assert verify_chain(forged, head_of(forged)).ok  # internally consistent
    report = verify_chain(forged, head)
    [problem] = report.problems
    assert (problem.kind, problem.seq, problem.seq_end) == (ProblemKind.rewritten, 3, 6)


def test_entries_missing_from_the_head_are_unsealed() -> None:
    entries = chain(4)
    report = verify_chain(entries, head_of(entries[:2]))
    [problem] = report.problems
    assert (problem.kind, problem.seq, problem.seq_end) == (ProblemKind.unsealed, 3, 4)


def test_missing_head_file_with_entries_is_a_problem() -> None:
    report = verify_chain(chain(3), None)
    assert [p.kind for p in report.problems] == [ProblemKind.head_missing]
    assert "no head file" in report.problems[0].message


def test_head_file_out_of_order_is_reported() -> None:
    entries = chain(3)
    head = head_of(entries)
    report = verify_chain(entries, [head[0], head[2], head[1]])
    assert ProblemKind.head_malformed in {p.kind for p in report.problems}


# -- the property: any single-entry mutation is detected ---------------------------------

_FIELDS = ("ts", "actor", "action", "target", "detail", "prev_hash", "hash", "seq")


@st.composite
def chains(draw: st.DrawFn) -> list[AuditEntry]:
    n = draw(st.integers(min_value=1, max_value=10))
    details = draw(
        st.lists(
            st.dictionaries(
                st.text(min_size=1, max_size=4),
                st.one_of(st.integers(), st.text(max_size=6), st.booleans(), st.none()),
                max_size=3,
            ),
            min_size=n,
            max_size=n,
        )
    )
    return chain(n, details)


def _edit(entry: AuditEntry, field: str, data: st.DataObject) -> AuditEntry:
    if field == "ts":
        shift = data.draw(st.integers(min_value=-(10**9), max_value=10**9).filter(bool))
        return dataclasses.replace(entry, ts=entry.ts + timedelta(microseconds=shift))
    if field == "seq":
        seq = data.draw(st.integers(min_value=1, max_value=50).filter(lambda s: s != entry.seq))
        return dataclasses.replace(entry, seq=seq)
    if field in ("prev_hash", "hash"):
        digest = data.draw(st.text(alphabet="0123456789abcdef", min_size=64, max_size=64))
        changes: dict[str, Any] = {field: digest}
        return dataclasses.replace(entry, **changes)
    text = st.text(max_size=12)
    value = data.draw(st.one_of(st.none(), text) if field in ("target", "detail") else text)
    edits: dict[str, Any] = {field: value}
    return dataclasses.replace(entry, **edits)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), entries=chains())
def test_any_single_entry_mutation_is_detected(
    data: st.DataObject, entries: list[AuditEntry]
) -> None:
    head = head_of(entries)
    n = len(entries)
    i = data.draw(st.integers(min_value=0, max_value=n - 1), label="index")
    kind = data.draw(st.sampled_from(["edit", "delete", "swap", "truncate", "rewrite"]))
    mutated = list(entries)
    if kind == "edit":
        field = data.draw(st.sampled_from(_FIELDS), label="field")
        edited = _edit(entries[i], field, data)
        assume(edited != entries[i])
        mutated[i] = edited
        mutated.sort(key=lambda e: e.seq)  # the store reads by seq
        if field == "seq":
            assume(len({e.seq for e in mutated}) == n)  # the primary key forbids duplicates
    elif kind == "delete":
        del mutated[i]
    elif kind == "swap":
        assume(n >= 2)
        j = data.draw(st.integers(min_value=0, max_value=n - 1).filter(lambda j: j != i))
        mutated[i] = dataclasses.replace(entries[j], seq=entries[i].seq)
        mutated[j] = dataclasses.replace(entries[i], seq=entries[j].seq)
    elif kind == "truncate":
        mutated = mutated[:i]
    else:  # change entry i and re-hash everything after it
        mutated[i] = dataclasses.replace(entries[i], action=entries[i].action + ".forged")
        mutated = rehash_from(mutated, i)

    report = verify_chain(mutated, head)
    assert not report.ok
    seqs = {p.seq for p in report.problems}
    spans = [(p.seq, p.seq_end if p.seq_end is not None else p.seq) for p in report.problems]
    target = entries[i].seq
    if kind == "edit" and field != "seq":
        # an edited hash also breaks the next link; the entry itself is always named
        assert target in seqs
    elif kind in ("delete", "truncate", "rewrite"):
        assert any(lo <= target <= hi for lo, hi in spans)
    elif kind == "swap":
        moved = {p.seq for p in report.problems if p.kind is ProblemKind.moved}
        assert target in moved


def test_verification_scales_linearly() -> None:
    entries = chain(10_000)
    report = verify_chain(entries, head_of(entries))
    assert report.ok and report.entries == 10_000

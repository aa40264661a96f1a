"""The audit log's hash chain: pure computation and verification, no I/O.

Each entry's hash is SHA-256 over a canonical encoding (:func:`canonical_bytes`) of
``(prev_hash, seq, ts, actor, action, target, detail)``, where ``prev_hash`` is the hash
of the entry before (:data:`GENESIS_HASH` for seq 1), ``ts`` is the UTC time in ISO 8601
with microseconds and ``detail`` is the canonical JSON text exactly as stored. Editing any
field of any entry, removing, reordering or renumbering entries breaks the chain.

A chain rewritten and re-hashed end to end is internally consistent, which is why the
latest hash is also appended to a file outside the database (the *head file*, one
``seq hash mac`` line per entry). :func:`verify_chain` checks the chain against that file:
entries cut off the tail, or whose hash the file recorded differently, are reported too.

Each head record is *keyed*: ``mac`` is an HMAC-SHA256 of ``(seq, hash)`` under a key kept
outside the store's folder (:func:`head_mac`). Whoever can write the store's folder but not
read the key cannot rewrite the head to match a re-hashed chain: the records they write do
not carry a valid mac (:data:`ProblemKind.forged`). Because each entry's hash covers every
entry before it, one valid keyed record for seq N vouches for entries 1..N. Entries cut off
the tail together with their head lines are found against a copy of the head kept elsewhere
(``khazar audit export-head``; :func:`verify_chain` with ``sparse=True``).

Entry times never go backwards: :func:`make_entry` refuses a time before the previous
entry's (:class:`~khazar.errors.AuditTimeError`).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from khazar.errors import AuditError, AuditTimeError

__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
    "ChainReport",
    "HeadRecord",
    "Problem",
    "ProblemKind",
    "canonical_bytes",
    "canonical_detail",
    "compute_hash",
    "head_mac",
    "iso_utc",
    "make_entry",
    "verify_chain",
]

#: ``prev_hash`` of the first entry.
GENESIS_HASH = "0" * 64
_DOMAIN = "khazar-audit-v1"
_HEAD_DOMAIN = "khazar-audit-head-v1"


def head_mac(key: bytes, seq: int, digest: str) -> str:
    """The HMAC-SHA256 (hex) that keys the head record ``(seq, digest)``."""
    message = f"{_HEAD_DOMAIN}\n{seq}\n{digest}".encode("ascii")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def iso_utc(ts: datetime) -> str:
    """``ts`` as ISO 8601 in UTC with microseconds (a naive ``ts`` is refused)."""
    if ts.tzinfo is None:
        raise AuditError(f"audit timestamp {ts!r} has no time zone; use UTC datetimes")
    return ts.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_detail(detail: Mapping[str, Any] | None) -> str:
    """The canonical JSON text of an entry's detail: sorted keys, no spaces, UTF-8."""
    try:
        return json.dumps(
            dict(detail or {}),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
        )
    except (TypeError, ValueError) as exc:
        raise AuditError(
            f"audit detail {detail!r} is not plain JSON ({exc}); pass str/int/float/bool/None, "
            f"lists and dicts only (times as ISO strings)"
        ) from exc


def canonical_bytes(
    prev_hash: str,
    seq: int,
    ts: datetime,
    actor: str,
    action: str,
    target: str | None,
    detail: str | None,
) -> bytes:
    """The bytes an entry's hash covers. A JSON array, so no field can bleed into another."""
    fields = [_DOMAIN, prev_hash, seq, iso_utc(ts), actor, action, target, detail]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def compute_hash(
    prev_hash: str,
    seq: int,
    ts: datetime,
    actor: str,
    action: str,
    target: str | None,
    detail: str | None,
) -> str:
    """SHA-256 (hex) of :func:`canonical_bytes`."""
    data = canonical_bytes(prev_hash, seq, ts, actor, action, target, detail)
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One row of the audit log. ``detail`` is the canonical JSON text as stored
    (None only when someone set it to NULL in the store: Khazar always writes text)."""

    seq: int
    ts: datetime
    actor: str
    action: str
    target: str | None
    detail: str | None
    prev_hash: str
    hash: str

    def recomputed_hash(self, seq: int | None = None) -> str:
        """The hash this entry's content gives (at ``seq``, its own by default)."""
        return compute_hash(
            self.prev_hash,
            self.seq if seq is None else seq,
            self.ts,
            self.actor,
            self.action,
            self.target,
            self.detail,
        )

    def detail_dict(self) -> dict[str, Any]:
        """The detail parsed back (an unparsable stored detail gives ``{"_raw": text}``)."""
        if self.detail is None:
            return {}
        try:
            value = json.loads(self.detail)
        except ValueError:
            return {"_raw": self.detail}
        return value if isinstance(value, dict) else {"_value": value}


def make_entry(
    prev: AuditEntry | None,
    ts: datetime,
    actor: str,
    action: str,
    target: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """The entry that follows ``prev`` (the first one when ``prev`` is None)."""
    if not actor.strip():
        raise AuditError("audit entry needs an actor (who did it); got an empty name")
    if not action.strip():
        raise AuditError("audit entry needs an action (e.g. 'alerts.ack'); got an empty name")
    seq = 1 if prev is None else prev.seq + 1
    prev_hash = GENESIS_HASH if prev is None else prev.hash
    ts = datetime.fromisoformat(iso_utc(ts))  # UTC, microseconds: what the store keeps
    if prev is not None and ts < prev.ts:
        raise AuditTimeError(
            f"refused: the audit entry for {action} would be dated {iso_utc(ts)}, before "
            f"the chain's last entry (seq {prev.seq}, {iso_utc(prev.ts)}); entry times never "
            f"go backwards. Check this host's clock (several servers: keep them in sync)"
        )
    text = canonical_detail(detail)
    digest = compute_hash(prev_hash, seq, ts, actor, action, target, text)
    return AuditEntry(seq, ts, actor, action, target, text, prev_hash, digest)


@dataclass(frozen=True, slots=True)
class HeadRecord:
    """One line of the head file: the chain's hash after entry ``seq`` and its keyed mac
    (:func:`head_mac`; None on a line written before heads were keyed)."""

    seq: int
    hash: str
    mac: str | None = None

    def line(self) -> str:
        """The record as a head-file line (with its newline)."""
        return f"{self.seq} {self.hash}" + (f" {self.mac}" if self.mac else "") + "\n"


class ProblemKind(enum.StrEnum):
    """What :func:`verify_chain` can find. Stable names, used in ``--format json``."""

    edited = "edited"  # the content does not give the stored hash
    moved = "moved"  # a genuine entry sits at another seq (reordered or renumbered)
    removed = "removed"  # seq numbers missing inside the chain
    broken_link = "broken_link"  # prev_hash is not the hash of the entry before
    out_of_order = "out_of_order"  # seq repeated or decreasing in the input
    truncated = "truncated"  # the head file records entries past the store's last one
    rewritten = "rewritten"  # the store's hash differs from the head file's for that seq
    unsealed = "unsealed"  # entries the head file never recorded
    head_missing = "head_missing"  # entries in the store but no head file
    head_malformed = "head_malformed"  # a head-file line is not ``seq hash mac`` in order
    forged = "forged"  # a head record whose mac the key does not give (head rewritten)
    unkeyed = "unkeyed"  # the newest head records carry no mac: nothing vouches for them


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding, located by ``seq`` (a range ``seq..seq_end`` when it spans entries)."""

    kind: ProblemKind
    seq: int
    message: str
    seq_end: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "seq": self.seq,
            "seq_end": self.seq_end if self.seq_end is not None else self.seq,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome of :func:`verify_chain`: ``ok`` exactly when there is no problem."""

    entries: int
    last_seq: int
    head_records: int | None  # None: no head file
    problems: tuple[Problem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems


def _span(first: int, last: int) -> str:
    return f"seq {first}" if first == last else f"seq {first}..{last}"


def _ranges(seqs: Sequence[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s in sorted(seqs):
        if out and s == out[-1][1] + 1:
            out[-1] = (out[-1][0], s)
        else:
            out.append((s, s))
    return out


def _true_seq(entry: AuditEntry, candidates: Sequence[int]) -> int | None:
    for cand in candidates:
        if cand > 0 and cand != entry.seq and entry.recomputed_hash(cand) == entry.hash:
            return cand
    return None


def _check_hashes(
    entries: Sequence[AuditEntry],
    head_seq_of: Mapping[str, int],
    problems: list[Problem],
    flagged: set[int],
) -> dict[str, int]:
    """Each entry against its own hash: edited, or genuine but moved (where it can be
    established at which seq it was written). Returns hash -> the seq it was written at."""
    true_seq: dict[str, int] = {}
    delta = 0  # offset of the last moved entry: renumbered runs share it
    for e in entries:
        if e.recomputed_hash() == e.hash:
            true_seq[e.hash] = e.seq
            continue
        cands = [head_seq_of.get(e.hash, 0), e.seq + delta]
        if e.prev_hash == GENESIS_HASH:
            cands.append(1)
        elif e.prev_hash in true_seq:
            cands.append(true_seq[e.prev_hash] + 1)
        found = _true_seq(e, cands)
        flagged.add(e.seq)
        if found is None:
            problems.append(
                Problem(
                    ProblemKind.edited,
                    e.seq,
                    f"seq {e.seq}: content does not match its hash (entry edited)",
                )
            )
            continue
        true_seq[e.hash] = found
        delta = found - e.seq
        problems.append(
            Problem(
                ProblemKind.moved,
                e.seq,
                f"seq {e.seq}: genuine entry written as seq {found} "
                f"(entries reordered or renumbered)",
            )
        )
    return true_seq


def _check_sequence(
    entries: Sequence[AuditEntry],
    true_seq: Mapping[str, int],
    problems: list[Problem],
    flagged: set[int],
) -> None:
    """Seq continuity (removed entries) and the prev_hash links between neighbours."""
    prev: AuditEntry | None = None
    for e in entries:
        expected_seq = 1 if prev is None else prev.seq + 1
        expected_prev = GENESIS_HASH if prev is None else prev.hash
        if prev is not None and e.seq <= prev.seq:
            problems.append(
                Problem(
                    ProblemKind.out_of_order,
                    e.seq,
                    f"seq {e.seq} follows seq {prev.seq} (repeated or out of order)",
                )
            )
            flagged.add(e.seq)
        elif e.seq > expected_seq:
            problems.append(
                Problem(
                    ProblemKind.removed,
                    expected_seq,
                    f"{_span(expected_seq, e.seq - 1)} missing from the store (entries removed)",
                    e.seq - 1,
                )
            )
            flagged.update(range(expected_seq, e.seq))
        elif (
            e.prev_hash != expected_prev
            and e.seq not in flagged
            # pointing at a moved genuine entry that belongs just before: already reported
            and true_seq.get(e.prev_hash, -1) != true_seq.get(e.hash, e.seq) - 1
        ):
            before = "the chain's start" if prev is None else f"seq {prev.seq}"
            problems.append(
                Problem(
                    ProblemKind.broken_link,
                    e.seq,
                    f"seq {e.seq}: prev_hash is not the hash of {before} "
                    f"(an entry removed and the rest renumbered, or prev_hash edited)",
                )
            )
            flagged.add(e.seq)
        prev = e


def _check_macs(head: Sequence[HeadRecord], key: bytes, label: str) -> list[Problem]:
    """Each record's mac against ``key``: forged ones, and the unkeyed records after the
    last keyed one (a keyed record vouches for every entry up to its seq)."""
    problems: list[Problem] = []
    forged = [r.seq for r in head if r.mac is not None
              and not hmac.compare_digest(r.mac, head_mac(key, r.seq, r.hash))]
    for first, last in _ranges(forged):
        problems.append(
            Problem(
                ProblemKind.forged,
                first,
                f"{label}: {_span(first, last)}: the record's mac does not match the audit key "
                f"(the head was rewritten without the key, or sealed with another key)",
                last,
            )
        )
    keyed = [r.seq for r in head if r.mac is not None]
    last_keyed = max(keyed, default=0)
    unkeyed = [r.seq for r in head if r.mac is None and r.seq > last_keyed]
    for first, last in _ranges(unkeyed):
        problems.append(
            Problem(
                ProblemKind.unkeyed,
                first,
                f"{label}: {_span(first, last)} recorded without a mac after the last keyed "
                f"record (seq {last_keyed}): nothing vouches for them; the next audited "
                f"write seals the chain with the key",
                last,
            )
        )
    return problems


def _check_head(
    entries: Sequence[AuditEntry],
    head: Sequence[HeadRecord],
    flagged: set[int],
    label: str = "head file",
    sparse: bool = False,
) -> list[Problem]:
    problems: list[Problem] = []
    by_seq = {e.seq: e for e in entries}
    last_seq = entries[-1].seq if entries else 0
    recorded: set[int] = set()
    mismatched: list[int] = []
    beyond: list[int] = []
    prev_seq = 0
    for rec in head:
        if rec.seq <= prev_seq:
            problems.append(
                Problem(
                    ProblemKind.head_malformed,
                    rec.seq,
                    f"{label}: seq {rec.seq} after seq {prev_seq} (the head was edited)",
                )
            )
        prev_seq = max(prev_seq, rec.seq)
        recorded.add(rec.seq)
        if rec.seq > last_seq:
            beyond.append(rec.seq)
            continue
        entry = by_seq.get(rec.seq)
        if entry is not None and entry.hash != rec.hash and rec.seq not in flagged:
            mismatched.append(rec.seq)
    if beyond:
        first, last = min(beyond), max(beyond)
        problems.append(
            Problem(
                ProblemKind.truncated,
                first,
                f"{_span(first, last)} recorded in the {label} but missing from the store, "
                f"which ends at seq {last_seq} (tail truncated)",
                last,
            )
        )
    for first, last in _ranges(mismatched):
        problems.append(
            Problem(
                ProblemKind.rewritten,
                first,
                f"{_span(first, last)}: the store's hash differs from the {label}'s "
                f"(chain rewritten and re-hashed in the store)",
                last,
            )
        )
    if sparse:  # an exported copy records some heads only: entries may come after it
        return problems
    unsealed = [e.seq for e in entries if e.seq not in recorded and e.seq not in flagged]
    for first, last in _ranges(unsealed):
        problems.append(
            Problem(
                ProblemKind.unsealed,
                first,
                f"{_span(first, last)} not recorded in the {label} (appended outside "
                f"Khazar, or lost between commit and head write)",
                last,
            )
        )
    return problems


def verify_chain(
    entries: Sequence[AuditEntry],
    head: Sequence[HeadRecord] | None,
    head_errors: Sequence[Problem] = (),
    *,
    key: bytes | None = None,
    copies: Sequence[tuple[str, Sequence[HeadRecord], Sequence[Problem]]] = (),
) -> ChainReport:
    """Check ``entries`` (in store order, by seq) against the head file's records.

    ``head`` is None when there is no head file; ``head_errors`` are problems found
    while parsing it (:data:`ProblemKind.head_malformed`). With ``key``, every record's mac
    is checked (:func:`head_mac`). ``copies`` are heads kept elsewhere (``label, records,
    parse problems``; e.g. ``khazar audit export-head`` files): each may record some seqs
    only, and is checked for truncation, rewriting and (with ``key``) forged records.
    Every problem names its seq.
    """
    problems: list[Problem] = []
    flagged: set[int] = set()  # seqs with a problem already: not reported twice
    known = {r.hash: r.seq for r in head or ()}
    for _label, records, _errors in copies:
        known.update({r.hash: r.seq for r in records})
    true_seq = _check_hashes(entries, known, problems, flagged)
    _check_sequence(entries, true_seq, problems, flagged)
    problems.extend(head_errors)
    if head is None:
        if entries:
            problems.append(
                Problem(
                    ProblemKind.head_missing,
                    entries[0].seq,
                    f"{len(entries)} entries in the store but no head file: it was deleted "
                    f"or the store was copied without it; restore it from a backup",
                    entries[-1].seq,
                )
            )
    else:
        problems.extend(_check_head(entries, head, flagged))
        if key is not None:
            problems.extend(_check_macs(head, key, "head file"))
    for label, records, errors in copies:
        problems.extend(errors)
        problems.extend(_check_head(entries, records, flagged, label, sparse=True))
        if key is not None:
            problems.extend(_check_macs(records, key, label))
    problems.sort(key=lambda p: (p.seq, p.kind.value))
    return ChainReport(
        entries=len(entries),
        last_seq=entries[-1].seq if entries else 0,
        head_records=None if head is None else len(head),
        problems=tuple(problems),
    )

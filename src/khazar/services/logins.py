"""Failed-login throttling: exponential back-off and a temporary lockout per account and
per source address, kept in the store so every server on it sees the same counts.

* Each failure counts against the account (when the name is a real user) and against the
  source address. Failures older than ``window_s`` before the newest are forgotten.
* From ``backoff_after`` failures on, the key waits ``backoff_base_s``, doubling with each
  further failure; at ``lockout_after`` it is locked for ``lockout_s``. A source address
  gets ``address_factor`` times the counts (several users may share one). While a key
  waits, a login is refused (:class:`~khazar.errors.ThrottledError`, HTTP 429 with
  ``Retry-After``) without looking at the password.
* A success clears the account's count (not the address's).
* The audit log gets at most one ``session.login_failed`` entry per key per
  ``audit_every_s``, counting the failures it stands for; an unknown user name is never
  written (the entry is the address's, actor ``anonymous``), so a caller who is not
  logged in cannot fill the log. Reaching the lockout writes ``session.lockout`` and
  returns it, for the server to tell the admins.
"""

from __future__ import annotations

import math
import threading
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime

from khazar.config import LoginSettings
from khazar.errors import ThrottledError
from khazar.services.users import Locked
from khazar.store import Store
from khazar.store import logins as repo
from khazar.store import users as users_repo
from khazar.store.audit import audited

__all__ = ["Failure", "Lockout", "Waits", "check_allowed", "check_allowed_with",
           "record_failure", "record_success"]

_US = 1_000_000


@dataclass(frozen=True, slots=True)
class Lockout:
    """A key that reached the lockout with this failure: ``kind`` ``account`` or
    ``address``, ``name`` the user name or address, locked until ``until``."""

    kind: str
    name: str
    failures: int
    client: str | None
    until: datetime

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "name": self.name, "failures": self.failures,
                "client": self.client, "until": self.until.isoformat(timespec="seconds")}


@dataclass(frozen=True, slots=True)
class Failure:
    """What counting a failure did: the lockouts it started, and whether it wrote an
    audit entry (the server logs the failure only then, at the same bounded rate)."""

    lockouts: tuple[Lockout, ...]
    audited: bool
    #: each key's wait after this failure (epoch µs; 0: none), for :meth:`Waits.remember`
    waits: tuple[tuple[str, int], ...] = ()


def _us(t: datetime) -> int:
    return int(t.timestamp() * _US)


def _keys(username: str | None, client: str | None) -> list[str]:
    keys = []
    if username:
        keys.append(f"user:{username}")
    if client:
        keys.append(f"addr:{client}")
    return keys


class Waits:
    """This process's memory of the waits it found in the store, so that a flood of
    attempts on a locked account or from a locked address is refused without taking the
    store at all. A wait ends when its time is up, or for an account when it logs in
    (:meth:`forget`), so the memory is never more lenient than the store. At most
    ``limit`` keys are kept. It also counts the refusals the server holds back
    (:meth:`hold`), so that their number stays bounded."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._until: dict[str, int] = {}
        self._held = 0
        self._lock = threading.Lock()

    def longest(self, keys: list[str], now_us: int) -> tuple[int, str] | None:
        with self._lock:
            found = [(self._until.get(k, 0) - now_us, k) for k in keys]
        waits = [w for w in found if w[0] > 0]
        return max(waits) if waits else None

    def hold(self, limit: int) -> bool:
        """Take one of ``limit`` places for a refusal held back (:meth:`release` it)."""
        with self._lock:
            if self._held >= limit:
                return False
            self._held += 1
            return True

    def release(self) -> None:
        with self._lock:
            self._held -= 1

    def forget(self, key: str) -> None:
        with self._lock:
            self._until.pop(key, None)

    def remember(self, key: str, until_us: int, now_us: int) -> None:
        with self._lock:
            if len(self._until) >= self.limit:
                self._until = {k: u for k, u in self._until.items() if u > now_us}
                if len(self._until) >= self.limit:
                    return
            self._until[key] = until_us


def check_allowed(store: Store, username: str, client: str | None, now: datetime) -> None:
    """:class:`ThrottledError` when the account or the address must still wait."""
    check_allowed_with(lambda: nullcontext(store), username, client, now)


def check_allowed_with(locked: Locked, username: str, client: str | None, now: datetime,
                       waits: Waits | None = None) -> None:
    """:func:`check_allowed` taking the store (``locked()``) only when ``waits`` does not
    already know of a wait: a flood on a locked account costs no store time."""
    keys = _keys(username.strip().lower()[:64], client)
    now_us = _us(now)
    known = waits.longest(keys, now_us) if waits is not None else None
    if known is None:
        with locked() as store:
            rows = repo.select_rows(store, keys)
        found = [(r.locked_until_us - now_us, r.key) for r in rows.values()
                 if r.locked_until_us > now_us]
        if not found:
            return
        known = max(found)
        if waits is not None:
            for r in rows.values():
                if r.locked_until_us > now_us:
                    waits.remember(r.key, r.locked_until_us, now_us)
    wait_us, key = known
    seconds = max(1, math.ceil(wait_us / _US))
    what = "this account" if key.startswith("user:") else "this address"
    raise ThrottledError(
        f"too many failed logins for {what}; try again in {seconds} s", retry_after_s=seconds)


def _wait_s(failures: int, backoff_after: int, lockout_after: int,
            settings: LoginSettings) -> float:
    if failures >= lockout_after:
        return settings.lockout_s
    if failures >= backoff_after:
        return min(settings.backoff_base_s * 2.0 ** (failures - backoff_after),
                   settings.lockout_s)
    return 0.0


def record_failure(store: Store, username: str, client: str | None, now: datetime,
                   settings: LoginSettings) -> Failure:
    """Count one failed login, audit it at the bounded rate, start back-off or lockout."""
    name = username.strip().lower()[:64]
    now_us = _us(now)
    lockouts: list[Lockout] = []
    wrote = False
    waits: list[tuple[str, int]] = []
    with audited(store) as tx:
        known = users_repo.select_user(tx, name) is not None
        keys = _keys(name if known else None, client)
        rows = repo.select_rows(tx, keys)
        for key in keys:
            factor = 1 if key.startswith("user:") else settings.address_factor
            old = rows.get(key)
            fresh = old is None or now_us - old.last_us > settings.window_s * _US
            failures = 1 if fresh or old is None else old.failures + 1
            unaudited = 1 if old is None else old.unaudited + 1
            audited_us = 0 if old is None else old.audited_us
            lockout_after = settings.lockout_after * factor
            wait = _wait_s(failures, settings.backoff_after * factor, lockout_after, settings)
            locked_until = now_us + int(wait * _US) if wait else 0
            # the account's entry when the name is a user's; else the address's, which
            # never holds the name typed
            speaks = key.startswith("user:") or not known
            if speaks and now_us - audited_us >= settings.audit_every_s * _US:
                tx.append(name if known else "anonymous", "session.login_failed",
                          target=name if known else None,
                          detail={"client": client, "failures": unaudited})
                unaudited, audited_us, wrote = 0, now_us, True
            if failures == lockout_after:
                kind = "account" if key.startswith("user:") else "address"
                lock = Lockout(kind, key.split(":", 1)[1], failures, client,
                               datetime.fromtimestamp(locked_until / _US, tz=now.tzinfo))
                tx.append("system", "session.lockout", target=lock.name,
                          detail=lock.as_dict())
                lockouts.append(lock)
            repo.upsert_row(tx, repo.ThrottleRow(key, failures, now_us, locked_until,
                                                 unaudited, audited_us))
            waits.append((key, locked_until))
        repo.prune(tx, now_us - int(settings.window_s * _US))
    return Failure(tuple(lockouts), wrote, tuple(waits))


def record_success(store: Store, username: str) -> None:
    """A successful login clears the account's failures."""
    with store.transaction() as tx:
        repo.delete_row(tx, f"user:{username}")

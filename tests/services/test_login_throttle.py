"""Failed-login throttling in the store, on both backends (issue 18, finding 1): back-off,
lockout, bounded audit entries, unknown names never written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher

from khazar.config import LoginSettings
from khazar.errors import ThrottledError
from khazar.services.logins import check_allowed, record_failure, record_success
from khazar.services.users import add_user
from khazar.store import open_store
from khazar.store.audit import list_entries

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SETTINGS = LoginSettings(backoff_after=3, backoff_base_s=1.0, lockout_after=6,
                         lockout_s=600.0, address_factor=2, window_s=900.0,
                         audit_every_s=60.0)
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _retry(store: object, name: str, client: str | None, t: datetime) -> float | None:
    try:
        check_allowed(store, name, client, t)  # type: ignore[arg-type]
    except ThrottledError as exc:
        return exc.retry_after_s
    return None


def test_account_backs_off_then_locks_and_success_clears(store_at: Path | str) -> None:
    with open_store(store_at) as store:
        add_user(store, "omar", "correct horse battery", "operator", actor="t", hasher=FAST)
        t = T0
        for _ in range(2):
            assert record_failure(store, "omar", "10.0.0.1", t, SETTINGS).lockouts == ()
            assert _retry(store, "omar", "10.0.0.2", t) is None
        # the third failure starts the back-off: 1 s, then 2 s, 4 s, …
        record_failure(store, "omar", "10.0.0.1", t, SETTINGS)
        assert _retry(store, "OMAR ", "10.0.0.2", t + timedelta(seconds=0.5)) == 1
        assert _retry(store, "omar", "10.0.0.2", t + timedelta(seconds=1.1)) is None
        t += timedelta(seconds=2)
        record_failure(store, "omar", "10.0.0.1", t, SETTINGS)
        assert _retry(store, "omar", None, t) == 2
        t += timedelta(seconds=3)
        record_failure(store, "omar", "10.0.0.1", t, SETTINGS)
        assert _retry(store, "omar", None, t) == 4
        t += timedelta(seconds=5)
        failure = record_failure(store, "omar", "10.0.0.1", t, SETTINGS)  # the sixth
        assert [(lk.kind, lk.name, lk.failures) for lk in failure.lockouts] == [
            ("account", "omar", 6)]
        # locked for lockout_s, from any address
        assert _retry(store, "omar", "192.0.2.7", t + timedelta(seconds=300)) == 300
        assert _retry(store, "vera", "192.0.2.7", t + timedelta(seconds=300)) is None
        entries = list_entries(store)
        failed = [e for e in entries if e.action == "session.login_failed"]
        # six failures within a minute: one entry, counting the first
        assert [(e.actor, e.target) for e in failed] == [("omar", "omar")]
        assert [e.target for e in entries if e.action == "session.lockout"] == ["omar"]
        # a minute on, the next entry counts the failures since
        t += timedelta(seconds=61)
        record_failure(store, "omar", "10.0.0.1", t, SETTINGS)
        failed = [e for e in list_entries(store) if e.action == "session.login_failed"]
        assert len(failed) == 2 and '"failures":6' in (failed[-1].detail or "").replace(" ", "")
        record_success(store, "omar")
        assert _retry(store, "omar", None, t) is None


def test_unknown_names_are_never_audited_and_the_address_locks(store_at: Path | str) -> None:
    with open_store(store_at) as store:
        lockouts = []
        for i in range(14):  # address: back-off from 6, lockout at 12
            failure = record_failure(store, f"guess{i:03d}x", "6.6.6.6",
                                     T0 + timedelta(seconds=i), SETTINGS)
            lockouts.extend(failure.lockouts)
        assert [(lk.kind, lk.name) for lk in lockouts] == [("address", "6.6.6.6")]
        assert _retry(store, "anyone", "6.6.6.6", T0 + timedelta(seconds=20)) is not None
        assert _retry(store, "anyone", "6.6.6.7", T0 + timedelta(seconds=20)) is None
        entries = list_entries(store)
        failed = [e for e in entries if e.action == "session.login_failed"]
        assert [(e.actor, e.target) for e in failed] == [("anonymous", None)]
        text = " ".join(f"{e.actor} {e.target} {e.detail}" for e in entries)
        assert "guess" not in text
        # the address's failures are forgotten a window after the last one
        later = T0 + timedelta(seconds=13 + 900 + 601)
        assert _retry(store, "anyone", "6.6.6.6", later) is None
        assert record_failure(store, "guess", "6.6.6.6", later, SETTINGS).lockouts == ()
        assert _retry(store, "anyone", "6.6.6.6", later) is None


def test_a_known_wait_is_refused_without_the_store(store_at: Path | str) -> None:
    from contextlib import contextmanager

    from khazar.services.logins import Waits, check_allowed_with

    with open_store(store_at) as store:
        for i in range(12):
            record_failure(store, f"guess{i}", "6.6.6.6", T0, SETTINGS)
        taken = 0

        @contextmanager
        def locked():  # type: ignore[no-untyped-def]
            nonlocal taken
            taken += 1
            yield store

        waits = Waits()
        refused = 0
        for _ in range(50):
            try:
                check_allowed_with(locked, "someone", "6.6.6.6", T0 + timedelta(seconds=5),
                                   waits)
            except ThrottledError as exc:
                refused += 1
                assert exc.retry_after_s == 595
        assert (refused, taken) == (50, 1)
        # another address still reads the store, and is let in
        check_allowed_with(locked, "someone", "6.6.6.7", T0, waits)
        assert taken == 2

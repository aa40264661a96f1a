"""The alert list's kept answers (:class:`khazar.live.answers.Answers`): given back while no
alert message was published and younger than the ttl; built anew otherwise."""

from __future__ import annotations

from collections.abc import Callable

from khazar.live.answers import Answers
from khazar.live.hub import LiveHub


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _builder() -> tuple[list[int], Callable[[], bytes]]:
    built: list[int] = []

    def build() -> bytes:
        built.append(1)
        return b"answer %d" % len(built)

    return built, build


def test_an_answer_is_kept_until_an_alert_moves_or_it_ages() -> None:
    hub, clock = LiveHub(), _Clock()
    answers = Answers(hub, ("alert", "note"), ttl_s=1.0, clock=clock)
    _built, build = _builder()
    assert answers.get("/api/alerts", build) == b"answer 1"
    clock.now += 0.5
    assert answers.get("/api/alerts", build) == b"answer 1"
    # positions do not touch the alert list; an alert does
    hub.publish("positions", {"n": 1})
    assert answers.get("/api/alerts", build) == b"answer 1"
    hub.publish("alert", {"id": "a1"})
    assert answers.get("/api/alerts", build) == b"answer 2"
    hub.publish("note", {"id": "a1"})
    assert answers.get("/api/alerts", build) == b"answer 3"
    # what no message announces shows within the ttl
    clock.now += 1.0
    assert answers.get("/api/alerts", build) == b"answer 4"
    assert (answers.hits, answers.misses) == (2, 4)
    # each request its own answer
    assert answers.get("/api/alerts?state=new", build) == b"answer 5"
    assert answers.get("/api/alerts", build) == b"answer 4"


def test_a_relayed_alert_also_makes_the_answer_stale() -> None:
    hub = LiveHub()
    answers = Answers(hub, ("alert",), ttl_s=60.0)
    built, build = _builder()
    answers.get("k", build)
    hub.publish("alert", {"id": "from another server"}, relay=False)
    answers.get("k", build)
    assert len(built) == 2


def test_ttl_zero_keeps_nothing_and_entries_are_bounded() -> None:
    hub = LiveHub()
    built, build = _builder()
    off = Answers(hub, ("alert",), ttl_s=0)
    for _ in range(3):
        off.get("k", build)
    assert len(built) == 3
    small = Answers(hub, ("alert",), ttl_s=60.0, max_entries=2)
    for key in ("a", "b", "c", "a"):
        small.get(key, build)
    # "a" was evicted by "c" and built again
    assert len(built) == 7 and small.misses == 4


def test_kept_bytes_are_bounded() -> None:
    hub = LiveHub()
    answers = Answers(hub, ("alert",), ttl_s=60.0, max_bytes=1000)
    for key in "abcde":
        answers.get(key, lambda: b"x" * 240)
    # four of 240 bytes fit in 1000; "a" went first
    assert answers.kept_bytes == 960 and answers.kept("a") is None
    assert answers.kept("e") == b"x" * 240
    # an answer over a quarter of the bound is given but not kept
    assert answers.get("big", lambda: b"y" * 251) == b"y" * 251
    assert answers.kept("big") is None and answers.kept_bytes == 960
    # the same key built again replaces its bytes, not adds to them
    hub.publish("alert", {})
    answers.get("e", lambda: b"z" * 10)
    assert answers.kept_bytes == 730

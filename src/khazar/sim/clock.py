"""When a simulated period is placed on the calendar: one clock for the picture and the wall.

A simulated day that ends months before the wall clock mixes two clocks as soon as an operator
acts on it (the action is stamped with the wall clock, the alert with the data's): durations
between them measure nothing. So a simulation shown to operators ends at the wall clock's
"now", and a replay paced faster than real time starts early enough that its last report
arrives when the wall clock reaches its time: the picture never runs ahead of the wall clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["day_ending", "replay_start"]


def _minute(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(second=0, microsecond=0)


def day_ending(now: datetime, hours: float) -> tuple[datetime, datetime]:
    """``(start, end)`` of ``hours`` simulated hours ending at ``now`` (UTC) rounded down to
    the minute, so that the picture's newest reports are the wall clock's present."""
    if hours <= 0:
        raise ValueError(f"hours {hours} must be positive")
    end = _minute(now)
    return end - timedelta(hours=hours), end


def replay_start(now: datetime, hours: float, speed: float) -> datetime:
    """The simulated start of ``hours`` replayed from ``now`` at ``speed`` × real time, so
    that the replay's last report is stamped when the wall clock reaches it: the replay
    takes ``hours / speed`` of wall time, its period ends at ``now + hours / speed``. At
    ``speed`` 1 that is ``now`` (a live feed); faster, the picture starts in the past and
    catches the wall clock up at its end. Whole seconds, UTC."""
    if hours <= 0 or speed < 1:
        raise ValueError(f"hours {hours} must be positive and speed {speed} at least 1")
    wall_span = timedelta(hours=hours / speed)
    end = now.astimezone(UTC) + wall_span
    return (end - timedelta(hours=hours)).replace(microsecond=0)

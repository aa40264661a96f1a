"""Log set-up for the ``khazar`` command: one stderr handler for Khazar's and uvicorn's loggers.

Every module logs through ``logging.getLogger(__name__)`` (so under the ``khazar`` logger);
this module only decides where the lines go and how they look, once per process:

- ``text``: ``2026-11-20T08:00:00.123Z WARNING khazar.api.routes_session: message`` —
  for a terminal or journald;
- ``json``: one object per line, ``{"time", "level", "logger", "message"}``, a
  ``"traceback"`` string when the record carries an exception, and every ``extra=`` field
  of the call — for a log shipper.

``khazar serve`` chooses the level and the format (``--log-level``, ``--log-format``);
the other commands log warnings and errors only, and never print a traceback: a user of
the command line gets one line per problem, the operator of the server gets the traceback.
"""

from __future__ import annotations

import enum
import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

__all__ = [
    "LOGGERS",
    "JsonFormatter",
    "LogFormat",
    "TextFormatter",
    "configure",
    "parse_level",
]

#: the loggers the handler is attached to: Khazar's own and uvicorn's (``uvicorn.error``
#: and ``uvicorn.access`` propagate to ``uvicorn``)
LOGGERS = ("khazar", "uvicorn")
_UVICORN_CHILDREN = ("uvicorn.error", "uvicorn.access")

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
           "error": logging.ERROR}

#: attributes every LogRecord has; anything else on a record came from ``extra=``
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName",
    # uvicorn duplicates its message with ANSI colours for its own formatter
    "color_message",
}
#: keys of the JSON object itself; an ``extra`` field of the same name is renamed
_JSON_KEYS = frozenset({"time", "level", "logger", "message", "traceback", "stack"})


class LogFormat(enum.StrEnum):
    text = "text"
    json = "json"


def parse_level(name: str) -> int:
    """``debug|info|warning|error`` (any case) → the logging level; ValueError names the value."""
    try:
        return _LEVELS[name.strip().lower()]
    except KeyError:
        raise ValueError(
            f"log level {name!r} is not one of {', '.join(_LEVELS)}"
        ) from None


def _utc_iso(created: float) -> str:
    """A record's time (seconds since the epoch) as ISO 8601 UTC with milliseconds."""
    moment = datetime.fromtimestamp(created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _exception_line(record: logging.LogRecord) -> str:
    """``Type: message`` of the record's exception ("" without one): the traceback's last line."""
    exc = record.exc_info[1] if record.exc_info else None
    return "" if exc is None else f"{type(exc).__name__}: {exc}"


class TextFormatter(logging.Formatter):
    """``TIME LEVEL LOGGER: MESSAGE``, time in UTC; the traceback below it, or — with
    ``tracebacks=False`` (the command line) — only the exception's type and message."""

    def __init__(self, tracebacks: bool = True) -> None:
        super().__init__()
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        line = (f"{_utc_iso(record.created)} {record.levelname} {record.name}: "
                f"{record.getMessage()}")
        if not self.tracebacks:
            summary = _exception_line(record)
            return f"{line} ({summary})" if summary else line
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line (see the module's docstring); values JSON does not know
    (paths, datetimes …) are written as their ``str``."""

    def __init__(self, tracebacks: bool = True) -> None:
        super().__init__()
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": _utc_iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["traceback"] = (self.formatException(record.exc_info) if self.tracebacks
                                else _exception_line(record))
        if record.stack_info and self.tracebacks:
            out["stack"] = self.formatStack(record.stack_info)
        for key, value in vars(record).items():
            if key in _RECORD_ATTRS:
                continue
            out[f"extra.{key}" if key in _JSON_KEYS else key] = value
        # one line per record whatever the message holds: json.dumps escapes newlines
        return json.dumps(out, default=str, ensure_ascii=False)


class _KhazarHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler :func:`configure` installed, so a second call replaces it."""


def configure(
    level: str | int = "warning",
    fmt: LogFormat | str = LogFormat.text,
    *,
    tracebacks: bool = True,
    stream: IO[str] | None = None,
) -> logging.Handler:
    """Send the ``khazar`` and ``uvicorn`` loggers at ``level`` and above to ``stream``
    (stderr) in ``fmt``; returns the handler. Calling it again replaces the previous
    set-up (the CLI configures once at start, ``khazar serve`` again with its options).

    The two loggers stop propagating to the root logger so that a library which
    configures the root (``logging.basicConfig``) does not print every line twice.
    """
    numeric = parse_level(level) if isinstance(level, str) else level
    kind = LogFormat(fmt)
    handler = _KhazarHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter(tracebacks) if kind is LogFormat.json
                         else TextFormatter(tracebacks))
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if isinstance(h, _KhazarHandler)]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(numeric)
        logger.propagate = False
    # uvicorn sets its children's level and cuts uvicorn.access off (access_log=False)
    # when a server starts; an earlier server in this process must not silence them:
    # they follow ``level`` and this handler until the next server says otherwise
    for child in _UVICORN_CHILDREN:
        logging.getLogger(child).setLevel(logging.NOTSET)
        logging.getLogger(child).propagate = True
    return handler

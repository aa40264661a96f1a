"""The fixed list of reasons a line is rejected. Every line read is either accepted or
rejected with exactly one of these; ``internal_error`` must stay at zero (a bug if not)."""

from __future__ import annotations

import enum

__all__ = ["REASONS", "Reason"]


class Reason(enum.StrEnum):
    """Why a line was not turned into a record. Stable names: they are stored in ``rejects``."""

    #: blank line or ``#`` comment
    empty = "empty"
    #: a well-formed NMEA sentence that is not AIS (``$GPGGA``, ``$IIMWV`` …)
    not_ais = "not_ais"
    #: the line is neither NMEA nor a known wrapper, or an NMEA field is unreadable
    malformed = "malformed"
    #: NMEA or tag-block checksum does not match
    bad_checksum = "bad_checksum"
    #: AIS message type with no decoder (0, 28–63)
    unknown_type = "unknown_type"
    #: payload shorter than the message type requires
    truncated = "truncated"
    #: fragment of a multi-part message whose other fragments never came (or timed out)
    incomplete_multipart = "incomplete_multipart"
    #: a decoded value outside its valid range (latitude 95°, MMSI 0, a 1850 timestamp …)
    out_of_range = "out_of_range"
    #: a CSV row that cannot be read (missing column, unparsable number or time)
    bad_row = "bad_row"
    #: a feed line longer than ``ingest.max_line_chars``: refused before decoding, only a
    #: prefix of it is kept
    line_too_long = "line_too_long"
    #: a feed line over its source's ``ingest.rate_lines_s``: counted, not kept
    rate_limited = "rate_limited"
    #: a bug in Khazar: the line is kept in ``rejects`` so it can be reproduced
    internal_error = "internal_error"


REASONS: tuple[str, ...] = tuple(r.value for r in Reason)

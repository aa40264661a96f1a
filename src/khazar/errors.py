"""The one error tree of Khazar.

    KhazarError
     ├── ConfigError              configuration file or environment is invalid
     ├── StoreError               the store cannot be opened or used
     │    ├── StoreLockedError     another process holds the DuckDB file
     │    └── SchemaVersionError   the store was written by an incompatible version
     ├── InputError               a file or value given by the user is unusable
     │    ├── UnknownFormatError   a file's layout is not recognised
     │    ├── AssetValidationError an asset registry entry is invalid
     │    ├── AlertStateError      an alert action the alert's state does not allow
     │    └── StateConflictError   the object's state does not allow it (HTTP 409)
     │         └── AuditTimeError  an audit entry dated before the chain's last one
     ├── GeoError                 geography: routing, zones, projection
     ├── GameError                a security game is malformed
     ├── AuthError                users, passwords, roles
     │    ├── AuthenticationError  who you are could not be established
     │    └── PermissionDeniedError you are known but not allowed
     ├── AuditError               the audit log cannot be written or read
 └── Unavailable              a capability is not installed or failed to load (HTTP 503)

Low-level exceptions (duckdb, OSError, pydantic) are turned into one of these at the
boundary of the adapter that met them. Messages say what was wrong, with the offending
value, and what to do about it. Bad *data lines* are never exceptions: ingest counts
them as rejections with a reason (see ``khazar.ingest.reasons``).
"""

from __future__ import annotations

__all__ = [
    "AlertStateError",
    "AssetValidationError",
    "AuditError",
    "AuditTimeError",
    "AuthError",
    "AuthenticationError",
    "ConfigError",
    "GameError",
    "GeoError",
    "InputError",
    "KhazarError",
    "NotFoundError",
    "PermissionDeniedError",
    "SchemaVersionError",
    "StateConflictError",
    "StoreError",
    "StoreLockedError",
    "ThrottledError",
    "Unavailable",
    "UnknownFormatError",
]


class KhazarError(Exception):
    """Base of every error Khazar raises on purpose."""

    #: process exit code the CLI uses for this family
    exit_code: int = 1


class ConfigError(KhazarError):
    exit_code = 2


class StoreError(KhazarError):
    exit_code = 3


class StoreLockedError(StoreError):
    """The store file is held by another process (DuckDB allows one writer process)."""

    def __init__(self, path: str, holder: str | None) -> None:
        self.path = path
        self.holder = holder
        who = f" by {holder}" if holder else " by another process"
        super().__init__(
            f"store {path} is locked{who}; while `khazar serve` holds it, use the API "
            f"(or stop that process) and try again"
        )


class SchemaVersionError(StoreError):
    pass


class InputError(KhazarError):
    exit_code = 2


class NotFoundError(InputError):
    """An id names nothing (404 over HTTP)."""


class StateConflictError(InputError):
    """The request is valid but the object's state does not allow it (409 over HTTP)."""


class AuditTimeError(StateConflictError):
    """An audited write dated before the audit chain's last entry (a clock set back, or a
    time given by hand): refused, so entry times never go backwards (HTTP 409)."""


class UnknownFormatError(InputError):
    pass


class AssetValidationError(InputError):
    pass


class AlertStateError(InputError):
    """E.g. resolving an alert twice, or assigning one nobody acknowledged."""


class GeoError(KhazarError):
    pass


class GameError(InputError):
    pass


class AuthError(KhazarError):
    exit_code = 4


class AuthenticationError(AuthError):
    pass


class PermissionDeniedError(AuthError):
    pass


class ThrottledError(AuthError):
    """Too many failed logins for this account or from this address (HTTP 429); try again
    after ``retry_after_s`` seconds."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class AuditError(KhazarError):
    exit_code = 5


class Unavailable(KhazarError):
    """A capability the request needs is not installed or failed to load (HTTP 503)."""

    exit_code = 6

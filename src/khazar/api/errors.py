"""Khazar errors → HTTP statuses, in one place (as datasette does).

    AuthenticationError    401  (who you are could not be established)
    PermissionDeniedError  403  (you are known but your role does not allow it)
    InputError and family  400 / 404 / 409 (bad parameters, unknown ids, wrong state)
    StoreError             503  (the store cannot be used right now)
    other KhazarError      500
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from khazar import errors as e
from khazar.api.services import Unavailable

__all__ = ["NotFoundError", "StateConflictError", "http_status", "install_error_handlers"]


class NotFoundError(e.InputError):
    """An id in the URL names nothing (404)."""


class StateConflictError(e.InputError):
    """The request is valid but the object's state does not allow it (409)."""


def http_status(exc: e.KhazarError) -> int:
    """The HTTP status for a Khazar error."""
    if isinstance(exc, e.AuthenticationError):
        return 401
    if isinstance(exc, e.PermissionDeniedError):
        return 403
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, StateConflictError | e.AlertStateError):
        return 409
    if isinstance(exc, e.InputError | e.ConfigError):
        return 400
    if isinstance(exc, e.StoreError | Unavailable):
        return 503
    return 500


def install_error_handlers(app: FastAPI) -> None:
    """Answer every KhazarError as ``{"detail": message, "error": class name}``."""

    async def handle(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, e.KhazarError)
        status = http_status(exc)
        headers = {"WWW-Authenticate": 'Cookie realm="khazar"'} if status == 401 else None
        return JSONResponse(
            {"detail": str(exc), "error": type(exc).__name__}, status_code=status, headers=headers
        )

    app.add_exception_handler(e.KhazarError, handle)

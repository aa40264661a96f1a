"""Khazar errors → HTTP statuses, in one place (as datasette does).

    AuthenticationError    401  (who you are could not be established)
    ThrottledError         429  (too many failed logins; Retry-After says when to retry)
    PermissionDeniedError  403  (you are known but your role does not allow it)
    InputError and family  400 / 404 / 409 (bad parameters, unknown ids, wrong state)
    StoreError             503  (the store cannot be used right now)
    other KhazarError      500
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from khazar import errors as e

__all__ = [
    "ERROR_RESPONSES",
    "ErrorBody",
    "http_status",
    "install_error_handlers",
]


class ErrorBody(BaseModel):
    """Every error answer: the message (what was wrong, what to do) and the error class."""

    detail: str
    error: str


#: the error statuses any route may answer, for the OpenAPI document
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "bad parameter or body (the message names it)"},
    401: {"model": ErrorBody, "description": "not logged in, or the session expired"},
    403: {"model": ErrorBody, "description": "the role does not allow it, or CSRF token missing"},
    404: {"model": ErrorBody, "description": "the id in the path names nothing"},
    409: {"model": ErrorBody, "description": "the object's state does not allow it"},
    422: {"model": ErrorBody, "description": "the body is not acceptable JSON or fails "
          "validation (NaN, Infinity, integers beyond 64 bits, missing fields)"},
    429: {"model": ErrorBody, "description": "too many failed logins; see Retry-After"},
    503: {"model": ErrorBody, "description": "the store or a capability is unavailable"},
}


def http_status(exc: e.KhazarError) -> int:
    """The HTTP status for a Khazar error."""
    if isinstance(exc, e.ThrottledError):
        return 429
    if isinstance(exc, e.AuthenticationError):
        return 401
    if isinstance(exc, e.PermissionDeniedError):
        return 403
    if isinstance(exc, e.NotFoundError):
        return 404
    if isinstance(exc, e.StateConflictError | e.AlertStateError):
        return 409
    if isinstance(exc, e.InputError | e.ConfigError):
        return 400
    if isinstance(exc, e.StoreError | e.Unavailable):
        return 503
    return 500


def install_error_handlers(app: FastAPI) -> None:
    """Answer every KhazarError as ``{"detail": message, "error": class name}``."""

    async def handle(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, e.KhazarError)
        status = http_status(exc)
        headers = {"WWW-Authenticate": 'Cookie realm="khazar"'} if status == 401 else None
        if isinstance(exc, e.ThrottledError):
            headers = {"Retry-After": str(int(exc.retry_after_s))}
        return JSONResponse(
            {"detail": str(exc), "error": type(exc).__name__}, status_code=status, headers=headers
        )

    app.add_exception_handler(e.KhazarError, handle)

"""A small client of a running ``khazar serve``, for CLI commands and scripts.

While the server holds the store (DuckDB allows one writing process), commands reach the
data through the API: log in once for a bearer token, then call the routes. HTTP errors
become Khazar errors with the server's message (401 → AuthenticationError, 403 →
PermissionDeniedError, other 4xx → InputError, 5xx and connection problems → StoreError).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx

from khazar.errors import (
    AuthenticationError,
    InputError,
    KhazarError,
    PermissionDeniedError,
    StoreError,
    ThrottledError,
)

__all__ = ["ApiClient"]


def _error(response: httpx.Response) -> KhazarError:
    try:
        detail = str(response.json().get("detail", response.text))
    except ValueError:
        detail = response.text
    where = f"{response.request.method} {response.request.url.path}"
    status = response.status_code
    if status == 401:
        return AuthenticationError(f"{where}: {detail}")
    if status == 429:
        after = response.headers.get("Retry-After", "")
        return ThrottledError(f"{where}: {detail}", float(after) if after.isdigit() else 60.0)
    if status == 403:
        return PermissionDeniedError(f"{where}: {detail}")
    if status < 500:
        return InputError(f"{where} ({status}): {detail}")
    return StoreError(f"{where} ({status}): {detail}")


class ApiClient:
    """Bearer-token client of the Khazar API at ``base_url`` (e.g. http://127.0.0.1:8000)."""

    def __init__(self, base_url: str, token: str | None = None, timeout_s: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout_s,
                                  transport=transport)

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._send(method, "/api" + path, **kwargs)

    def _send(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = self._http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise StoreError(
                f"cannot reach the Khazar server at {self.base_url}: {exc}; is `khazar serve` "
                f"running there?"
            ) from exc
        if response.status_code >= 400:
            raise _error(response)
        return response.json()

    def login(self, username: str, password: str) -> dict[str, Any]:
        """Log in; keeps the bearer token for the next calls and returns the session."""
        info: dict[str, Any] = self._request(
            "POST", "/login", json={"username": username, "password": password}
        )
        self.token = str(info["token"])
        return info

    def logout(self) -> None:
        self._request("POST", "/logout")
        self.token = None

    def get(self, path: str, **params: Any) -> Any:
        """GET ``/api{path}`` with query parameters; the decoded JSON."""
        return self._request("GET", path, params={k: v for k, v in params.items()
                                                  if v is not None})

    def items(self, path: str, max_pages: int = 100_000, **params: Any) -> dict[str, Any]:
        """A collection's whole answer (``/api/tracks`` …): GET ``/api{path}``, then each
        page its ``next`` link names (OGC API – Features), their features in one
        FeatureCollection (``numberReturned`` counting them all; the ``next`` link gone)."""
        first: dict[str, Any] = self.get(path, **params)
        page = first
        for _ in range(max_pages):
            after = next((link["href"] for link in page.get("links", ())
                          if link.get("rel") == "next"), None)
            if after is None:
                first["links"] = [link for link in first.get("links", ())
                                  if link.get("rel") != "next"]
                first["numberReturned"] = len(first["features"])
                return first
            page = self._send("GET", self._same_server(after))
            first["features"].extend(page["features"])
        raise StoreError(f"GET /api{path}: more than {max_pages} pages; ask for less")

    def _same_server(self, href: str) -> str:
        """A ``next`` link as a path on this client's server: the token goes nowhere else
        (a link naming another host, as a proxy may rewrite it, keeps only its path)."""
        url = httpx.URL(href)
        return url.raw_path.decode("ascii")

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """POST JSON to ``/api{path}``; the decoded JSON answer."""
        return self._request("POST", path, json=body or {})

    def delete(self, path: str) -> Any:
        """DELETE ``/api{path}``; the decoded JSON answer."""
        return self._request("DELETE", path)

"""The CLI's way to a running server: ApiClient with a bearer token."""

from __future__ import annotations

import pytest
from tests.api.conftest import ALERT_IDS, PASSWORD, Served

from khazar.api.client import ApiClient
from khazar.errors import AuthenticationError, InputError, PermissionDeniedError, StoreError


def test_client_reads_and_maps_errors(served: Served) -> None:
    with ApiClient(served.url) as api:
        with pytest.raises(AuthenticationError, match="/api/vessels"):
            api.get("/vessels")
        api.login("vera", PASSWORD)
        fc = api.get("/vessels", limit=2)
        assert fc["numberReturned"] == 2
        with pytest.raises(PermissionDeniedError, match=r"alerts\.ack"):
            api.post(f"/alerts/{ALERT_IDS[0]}/acknowledge")
        with pytest.raises(InputError, match="bbox"):
            api.get("/vessels", bbox="1,2")
        api.logout()
        with pytest.raises(AuthenticationError):
            api.get("/me")


def test_client_names_an_unreachable_server() -> None:
    with ApiClient("http://127.0.0.1:9", timeout_s=2) as api,  \
            pytest.raises(StoreError, match="is `khazar serve` running"):
        api.get("/vessels")

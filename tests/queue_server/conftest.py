"""A hall server per test, on a temp data dir, driven over HTTP only."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from queue_server.app import create_app
from queue_server.config import Settings
from tests.queue_server.site import PASSWORD, test_site


@dataclass
class FakeClock:
    """A clock the test moves by hand."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 23, 2, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


class Hall:
    """A running server plus helpers to log in and act."""

    def __init__(self, client: TestClient[Any, Any], clock: FakeClock) -> None:
        self.client = client
        self.clock = clock
        self.tokens: dict[str, str] = {}

    async def token(self, username: str) -> str:
        if username not in self.tokens:
            response = await self.client.post(
                "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
            )
            assert response.status == 200, await response.text()
            self.tokens[username] = (await response.json())["token"]
        return self.tokens[username]

    async def kiosk_token(self) -> str:
        if "kiosk" not in self.tokens:
            response = await self.post("manager", "/api/v1/halls/h1/devices", {"role": "kiosk"})
            assert response.status == 201
            self.tokens["kiosk"] = (await response.json())["token"]
        return self.tokens["kiosk"]

    async def post(self, who: str, path: str, body: dict[str, Any] | None = None) -> Any:
        token = await self.kiosk_token() if who == "kiosk" else await self.token(who)
        return await self.client.post(
            path, json=body or {}, headers={"Authorization": f"Bearer {token}"}
        )

    async def get(self, who: str | None, path: str) -> Any:
        headers = {}
        if who is not None:
            headers["Authorization"] = f"Bearer {await self.token(who)}"
        return await self.client.get(path, headers=headers)

    async def issue(self, service_id: str = "s-b", **extra: Any) -> dict[str, Any]:
        response = await self.post(
            "kiosk", "/api/v1/halls/h1/tickets", {"service_id": service_id, **extra}
        )
        assert response.status == 201, await response.text()
        ticket: dict[str, Any] = (await response.json())["ticket"]
        return ticket

    async def call_next(self, window: str = "w1") -> dict[str, Any] | None:
        response = await self.post("manager", f"/api/v1/windows/{window}/call-next")
        if response.status == 204:
            return None
        assert response.status == 200, await response.text()
        ticket: dict[str, Any] = (await response.json())["ticket"]
        return ticket


MakeHall = Callable[..., Awaitable[Hall]]


@pytest.fixture
def make_hall(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]]
) -> MakeHall:
    """Start a server with a site definition (default: the test site) and a fake clock."""

    async def make(
        site: dict[str, Any] | None = None, clock: FakeClock | None = None, **settings: Any
    ) -> Hall:
        site_file = tmp_path / "site.json"
        site_file.write_text(json.dumps(site or test_site(), ensure_ascii=False), encoding="utf-8")
        config = Settings(data_dir=tmp_path / "data", site_file=site_file, **settings)
        clock = clock or FakeClock()
        client = await aiohttp_client(create_app(config, clock=clock))
        return Hall(client, clock)

    return make


@pytest.fixture
async def hall(make_hall: MakeHall) -> Hall:
    """The default test hall."""
    return await make_hall()

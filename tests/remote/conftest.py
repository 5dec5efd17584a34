"""A hall server with remote visitors enabled (simulated outbox, fast sweeps)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.queue_server.conftest import FakeClock, Hall, MakeHall, make_hall  # noqa: F401

REMOTE = {"outbox_public": True, "sweep_seconds": 0.05}


class Remote:
    """Helpers for the phone's side of things."""

    def __init__(self, hall: Hall) -> None:
        self.hall = hall
        self.client = hall.client

    async def outbox(self) -> list[dict[str, Any]]:
        response = await self.client.get("/api/v1/remote/outbox")
        assert response.status == 200
        messages: list[dict[str, Any]] = (await response.json())["messages"]
        return messages

    async def code(self, phone: str) -> str:
        response = await self.client.post("/api/v1/remote/otp", json={"phone": phone})
        assert response.status == 202, await response.text()
        masked = f"{phone[:3]}****{phone[-4:]}"
        for message in await self.outbox():
            if message["template"] == "otp" and message["to"] == masked:
                return str(message["params"]["code"])
        raise AssertionError("no code in the outbox")

    async def take(self, phone: str, service_id: str = "s-a", **extra: Any) -> Any:
        code = await self.code(phone)
        self.hall.clock.advance(1.1)
        return await self.client.post(
            "/api/v1/halls/h1/remote-tickets",
            json={"service_id": service_id, "phone": phone, "code": code, **extra},
        )

    async def ticket(self, phone: str, service_id: str = "s-a", **extra: Any) -> dict[str, Any]:
        response = await self.take(phone, service_id, **extra)
        assert response.status == 201, await response.text()
        ticket: dict[str, Any] = (await response.json())["ticket"]
        return ticket

    async def track(self, ticket: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.get(
            f"/api/v1/tickets/{ticket['id']}?token={ticket['track_token']}"
        )
        assert response.status == 200
        data: dict[str, Any] = await response.json()
        return data

    async def wait_status(self, ticket: dict[str, Any], status: str, seconds: float = 3) -> None:
        for _ in range(int(seconds / 0.05)):
            if (await self.track(ticket))["status"] == status:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"ticket never became {status}: {await self.track(ticket)}")


@pytest.fixture
async def remote(make_hall: MakeHall) -> Remote:  # noqa: F811
    hall = await make_hall(extra={"remote": dict(REMOTE)})
    return Remote(hall)

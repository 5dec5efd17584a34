"""The real kiosk client against the real hall server: every call the kiosk makes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from kiosk.client import ApiError, HallClient, Unreachable
from kiosk.samples import PEOPLE
from queue_server.app import create_app
from queue_server.config import Settings
from tests.kiosk import harness
from tests.queue_server.conftest import FakeClock
from tests.queue_server.site import PASSWORD


async def test_the_kiosk_client_speaks_the_servers_api(tmp_path: Path, aiohttp_server: Any) -> None:
    server = await harness.start_server(tmp_path, harness.kiosk_site(), aiohttp_server)
    token = await harness.kiosk_token(server)
    url = str(server.make_url(""))
    client = HallClient(url, token, "h1")
    try:
        catalogue = await client.catalogue()
        assert catalogue["hall"]["green_age"] == 70
        assert {s["id"]: s["id_required"] for s in catalogue["services"]} == {
            "s-a": True,
            "s-b": False,
        }
        assert catalogue["services"][0]["materials"][0]["zh"] == "居民身份证原件"
        sample = await client.heartbeat([{"kind": "printer", "status": "ok"}])
        assert abs(sample.offset) < 1.0
        lease = await client.lease("s-a", 5)
        assert (lease["first_seq"], lease["last_seq"]) == (1, 5)
        person = PEOPLE["elder"]["id_number"]
        ticket = await client.issue({"service_id": "s-a", "id_number": person, "class": "green"})
        assert (ticket["number"], ticket["class"]) == ("A006", "green")
        with pytest.raises(ApiError) as refused:
            await client.issue({"service_id": "s-a", "id_number": person})
        assert refused.value.code == "duplicate_ticket"
        assert refused.value.details["ticket"]["number"] == "A006"
        progress = await client.track(ticket["id"], ticket["track_token"])
        assert progress["people_ahead"] == 0
        with pytest.raises(ApiError) as forbidden:
            await client.issue({"service_id": "s-a", "id_number": PEOPLE["adult"]["id_number"],
                                "class": "green"})  # fmt: skip
        assert forbidden.value.code == "forbidden"
        halls = await client.halls()
        assert [h["id"] for h in halls] == ["h1", "h2"]
        help_request = await client.help_request("help")
        assert help_request["status"] == "open"
        offline = {"id": "00112233445566778899aabb", "track_token": "abcdefghijklmnop1234",
                   "lease_id": lease["id"], "seq": 1, "service_id": "s-a",
                   "issued_at": "2026-01-01T00:00:00.000000Z"}  # fmt: skip
        results = await client.sync([offline, offline])
        assert [r["status"] for r in results] == ["accepted", "already"]
        released = await client.release(lease["id"])
        assert (released["used"], released["unused"]) == (1, 4)
        with pytest.raises(ApiError) as missing:
            await client.check_in("20261123001")
        assert (missing.value.status, missing.value.code) == (404, "appointment_not_found")
    finally:
        await client.close()
    await server.close()
    gone = HallClient(url, token, "h1", timeout=1.0, retries=1)
    try:
        with pytest.raises(Unreachable):
            await gone.catalogue()
    finally:
        await gone.close()


MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TUESDAY_10 = "2026-11-24T02:00:00.000000Z"


class Phone:
    """A citizen's phone booking over HTTP, with the one-time codes from the demo outbox."""

    def __init__(self, http: aiohttp.ClientSession, server: TestServer, clock: FakeClock) -> None:
        self.http, self.server, self.clock = http, server, clock

    async def _post(self, path: str, body: dict[str, Any], token: str = "") -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.post(self.server.make_url(path), json=body, headers=headers) as r:
            assert r.status < 300, await r.text()
            return await r.json()

    async def code(self, phone: str) -> str:
        self.clock.advance(1.1)
        await self._post("/api/v1/remote/otp", {"phone": phone})
        async with self.http.get(self.server.make_url("/api/v1/remote/outbox")) as response:
            messages = (await response.json())["messages"]
        return str(next(m for m in messages if m["template"] == "otp")["params"]["code"])

    async def book(self, phone: str, id_number: str) -> dict[str, Any]:
        body = {"service_id": "s-a", "slot_start": TUESDAY_10, "phone": phone,
                "code": await self.code(phone), "id_number": id_number}  # fmt: skip
        answer = await self._post("/api/v1/halls/h1/appointments", body)
        appointment: dict[str, Any] = answer["appointment"]
        return appointment

    async def remote_ticket(self, phone: str) -> dict[str, Any]:
        body = {"service_id": "s-b", "phone": phone, "code": await self.code(phone)}
        answer = await self._post("/api/v1/halls/h1/remote-tickets", body)
        ticket: dict[str, Any] = answer["ticket"]
        return ticket

    async def enable_appointments(self) -> None:
        login = await self._post(
            "/api/v1/auth/login", {"username": "manager", "password": PASSWORD}
        )
        change = {"services": [{"service_id": "s-a", "enabled": True, "capacity_per_slot": 5}]}
        async with self.http.put(
            self.server.make_url("/api/v1/halls/h1/appointment-rules"),
            json=change,
            headers={"Authorization": f"Bearer {login['token']}"},
        ) as response:
            assert response.status == 200, await response.text()


async def test_the_kiosk_client_checks_in_appointments_and_remote_tickets(
    tmp_path: Path, aiohttp_server: Any
) -> None:
    clock = FakeClock(MONDAY_10)
    site_file = tmp_path / "site.json"
    site_file.write_text(json.dumps(harness.kiosk_site(), ensure_ascii=False), encoding="utf-8")
    remote = {"outbox_public": True, "code_interval_seconds": 0}
    settings = Settings(data_dir=tmp_path / "server", site_file=site_file, extra={"remote": remote})
    server = await aiohttp_server(create_app(settings, clock=clock))
    token = await harness.kiosk_token(server)
    client = HallClient(str(server.make_url("")), token, "h1")
    http = aiohttp.ClientSession()
    phone = Phone(http, server, clock)
    try:
        await phone.enable_appointments()
        appointment = await phone.book("13812345678", PEOPLE["adult"]["id_number"])
        clock.now = datetime(2026, 11, 24, 1, 55, tzinfo=UTC)
        answer = await client.check_in(appointment["code"])
        assert answer["arrival"] == "on_time"
        assert (answer["slot_start"], answer["slot_end"]) == (TUESDAY_10, appointment["slot_end"])
        ticket = answer["ticket"]
        assert (ticket["number"], ticket["class"], ticket["service_id"]) == (
            "A001",
            "appointment",
            "s-a",
        )
        assert ticket["track_token"] and ticket["eta"]["minutes"] is not None
        again = await client.check_in(appointment["code"])
        assert again["ticket"]["id"] == ticket["id"]
        remote_ticket = await phone.remote_ticket("13987654321")
        checked = await client.check_in(remote_ticket["checkin_code"])
        assert checked["ticket"]["id"] == remote_ticket["id"]
        assert checked["ticket"]["status"] == "waiting"
        assert (checked["arrival"], checked["slot_start"], checked["slot_end"]) == (
            None,
            None,
            None,
        )
    finally:
        await http.close()
        await client.close()
        await server.close()

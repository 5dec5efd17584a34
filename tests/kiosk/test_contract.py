"""The real kiosk client against the real hall server: every call the kiosk makes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kiosk.client import ApiError, HallClient, Unreachable
from kiosk.samples import PEOPLE
from tests.kiosk import harness


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
            await client.check_in("20261123001")  # appointments come with issue 8
        assert missing.value.status == 404
    finally:
        await client.close()
    await server.close()
    gone = HallClient(url, token, "h1", timeout=1.0, retries=1)
    try:
        with pytest.raises(Unreachable):
            await gone.catalogue()
    finally:
        await gone.close()

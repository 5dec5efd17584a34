"""The server side of offline kiosks: leases never overlap, syncs are idempotent and flagged."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from tests.kiosk.conftest import Hall
from tests.queue_server.conftest import FakeClock


def _ticket(lease: dict[str, Any], seq: int, at: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": secrets.token_hex(8),
        "track_token": secrets.token_urlsafe(16),
        "lease_id": lease["id"],
        "seq": seq,
        "service_id": lease["service_id"],
        "issued_at": at,
        **extra,
    }


async def _lease(hall: Hall, service: str = "s-a", size: int = 5) -> dict[str, Any]:
    response = await hall.post(
        "kiosk", "/api/v1/halls/h1/kiosk/leases", {"service_id": service, "size": size}
    )
    assert response.status == 201, await response.text()
    lease: dict[str, Any] = (await response.json())["lease"]
    return lease


async def test_leases_and_online_numbers_never_overlap(hall: Hall) -> None:
    first = await hall.issue("s-a", id_number="11010519491231002X")
    lease = await _lease(hall, size=5)
    second = await hall.issue("s-b")
    third = await hall.issue("s-a", id_number="110101199003070011")
    assert first["number"] == "A001"
    assert (lease["first_seq"], lease["last_seq"]) == (2, 6)
    assert second["number"] == "B001"
    assert third["number"] == "A007"
    assert lease["valid_until"] == "2026-11-23T20:00:00.000000Z"


async def test_sync_is_idempotent_and_flags_a_second_ticket_for_the_same_id(
    hall: Hall, make_hall: Any
) -> None:
    person = "110101199003070011"
    await hall.issue("s-a", id_number=person)
    lease = await _lease(hall)
    at = "2026-11-23T01:59:00.000000Z"
    tickets = [
        _ticket(lease, lease["first_seq"], at, id_number=person),
        _ticket(lease, lease["first_seq"] + 1, at, **{"class": "green"}),
    ]
    for _ in range(2):
        response = await hall.post("kiosk", "/api/v1/halls/h1/kiosk/sync", {"tickets": tickets})
        assert response.status == 200, await response.text()
    results = (await response.json())["results"]
    assert [r["status"] for r in results] == ["already", "already"]
    assert results[0]["number"] == "A002"
    assert "duplicate_id" in results[0]["flags"]
    assert "class_downgraded" in results[1]["flags"]
    flags = await (await hall.get("manager", "/api/v1/halls/h1/kiosk/flags")).json()
    assert {f["number"] for f in flags["flagged"]} == {"A002", "A003"}
    assert flags["leases"][0]["used"] == 2
    outside = _ticket(lease, lease["last_seq"] + 1, at)
    response = await hall.post("kiosk", "/api/v1/halls/h1/kiosk/sync", {"tickets": [outside]})
    assert (await response.json())["results"][0]["status"] == "rejected"


async def test_no_lease_outside_issuing_hours(make_hall: Any) -> None:
    from tests.queue_server.site import test_site

    site = test_site()
    site["halls"][0]["schedule"]["weekly"] = {"mon": [["09:00", "17:00"]]}
    evening = FakeClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    hall = await make_hall(site, evening)
    response = await hall.post(
        "kiosk", "/api/v1/halls/h1/kiosk/leases", {"service_id": "s-a", "size": 3}
    )
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "outside_issuing_hours"

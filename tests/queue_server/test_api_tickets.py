"""Issuing and following tickets over HTTP."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from tests.queue_server.conftest import FakeClock, Hall, MakeHall
from tests.queue_server.site import test_site

ELDER = "11010519491231002X"  # born 1949-12-31: 76 on the test clock
YOUNG = "110105199003071239"


def valid_id(n: int) -> str:
    """A valid resident ID number, distinct for each ``n``."""
    body = f"330102{1980 + n % 20:04d}0101{n % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


async def test_health_and_openapi(hall: Hall) -> None:
    response = await hall.client.get("/healthz")
    assert await response.json() == {"status": "ok"}
    doc = await (await hall.client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/halls/{hall_id}/tickets" in doc["paths"]


async def test_issue_numbers_are_sequential_per_prefix(hall: Hall) -> None:
    numbers = [(await hall.issue("s-b"))["number"] for _ in range(3)]
    assert numbers == ["B001", "B002", "B003"]
    first_a = await hall.issue("s-a", id_number=YOUNG)
    assert first_a["number"] == "A001"
    assert first_a["people_ahead"] == 0
    assert set(first_a["eta"]) == {"minutes", "low", "high"}
    assert first_a["track_token"]


async def test_numbers_restart_on_the_next_business_day(make_hall: MakeHall) -> None:
    clock = FakeClock()
    hall = await make_hall(clock=clock)
    assert (await hall.issue())["number"] == "B001"
    assert (await hall.issue())["number"] == "B002"
    clock.advance(24 * 60)
    assert (await hall.issue())["number"] == "B001"


async def test_second_ticket_for_the_same_id_is_a_reprint(hall: Hall) -> None:
    first = await hall.issue("s-a", id_number=YOUNG)
    response = await hall.post(
        "kiosk", "/api/v1/halls/h1/tickets", {"service_id": "s-a", "id_number": YOUNG}
    )
    assert response.status == 409
    body = await response.json()
    assert body["error"]["code"] == "duplicate_ticket"
    assert body["error"]["ticket"]["number"] == first["number"]
    assert body["error"]["ticket"]["track_token"] == first["track_token"]


async def test_bad_id_numbers_are_refused(hall: Hall) -> None:
    for bad in ("110105199003071238", "12345", "11010519900230123X"):
        response = await hall.post(
            "kiosk", "/api/v1/halls/h1/tickets", {"service_id": "s-a", "id_number": bad}
        )
        assert response.status == 422
        assert (await response.json())["error"]["code"] == "invalid_id_number"
    response = await hall.post("kiosk", "/api/v1/halls/h1/tickets", {"service_id": "s-a"})
    assert (await response.json())["error"]["code"] == "id_required"


async def test_priority_comes_from_staff_or_the_age_rule(hall: Hall) -> None:
    response = await hall.post(
        "kiosk", "/api/v1/halls/h1/tickets", {"service_id": "s-b", "class": "green"}
    )
    assert response.status == 403
    elder = await hall.issue("s-a", id_number=ELDER)
    assert elder["class"] == "green"
    response = await hall.post(
        "manager", "/api/v1/halls/h1/tickets", {"service_id": "s-b", "class": "green"}
    )
    assert response.status == 201
    assert (await response.json())["ticket"]["class"] == "green"


async def test_auth_is_required_and_checked(hall: Hall) -> None:
    response = await hall.client.post("/api/v1/halls/h1/tickets", json={"service_id": "s-b"})
    assert response.status == 401
    response = await hall.client.post(
        "/api/v1/halls/h1/tickets",
        json={"service_id": "s-b"},
        headers={"Authorization": "Bearer nope"},
    )
    assert response.status == 401
    response = await hall.client.post(
        "/api/v1/auth/login", json={"username": "manager", "password": "wrong"}
    )
    assert response.status == 401


async def test_revoked_device_is_refused(hall: Hall) -> None:
    await hall.issue()
    devices = await (await hall.get("manager", "/api/v1/halls/h1/devices")).json()
    device_id = devices["devices"][0]["device_id"]
    response = await hall.post("manager", f"/api/v1/halls/h1/devices/{device_id}/revoke")
    assert response.status == 200
    response = await hall.post("kiosk", "/api/v1/halls/h1/tickets", {"service_id": "s-b"})
    assert response.status == 401


async def test_bad_input_gets_json_errors(hall: Hall) -> None:
    token = await hall.kiosk_token()
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    cases = [
        (b"{", 400, "malformed_json"),
        (b'{"service_id": 5}', 422, "invalid_request"),
        (b'{"service_id": "nope"}', 422, "invalid_request"),
        (b'{"service_id": "s-b", "extra": 1}', 422, "invalid_request"),
        (b'{"service_id": "' + b"x" * 70000 + b'"}', 413, "body_too_large"),
    ]
    for body, status, code in cases:
        response = await hall.client.post("/api/v1/halls/h1/tickets", data=body, headers=auth)
        assert response.status == status, body[:40]
        assert (await response.json())["error"]["code"] == code
    response = await hall.client.get("/api/v1/halls/nowhere")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


async def test_track_ticket_with_its_token_only(hall: Hall) -> None:
    first = await hall.issue()
    second = await hall.issue()
    response = await hall.client.get(f"/api/v1/tickets/{second['id']}?token=wrong")
    assert response.status == 404
    body = await (
        await hall.client.get(f"/api/v1/tickets/{second['id']}?token={second['track_token']}")
    ).json()
    assert body["people_ahead"] == 1
    assert body["status"] == "waiting"
    await hall.call_next("w2")
    body = await (
        await hall.client.get(f"/api/v1/tickets/{first['id']}?token={first['track_token']}")
    ).json()
    assert body["status"] == "called"
    assert body["window"] == {"id": "w2", "number": 2}


async def test_public_reads_carry_no_personal_data(hall: Hall) -> None:
    ticket = await hall.issue("s-a", id_number=YOUNG)
    halls = await (await hall.client.get("/api/v1/halls")).text()
    tracked = await (
        await hall.client.get(f"/api/v1/tickets/{ticket['id']}?token={ticket['track_token']}")
    ).text()
    for text in (halls, tracked):
        assert YOUNG not in text
        assert YOUNG[-4:] not in text
    assert "id_masked" not in ticket


async def test_daily_quota(make_hall: MakeHall) -> None:
    site = test_site()
    site["halls"][0]["services"][1]["rules"]["daily_quota"] = 2
    hall = await make_hall(site)
    await hall.issue()
    await hall.issue()
    response = await hall.post("kiosk", "/api/v1/halls/h1/tickets", {"service_id": "s-b"})
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "quota_reached"


async def test_outside_issuing_hours_says_when_to_come_back(make_hall: MakeHall) -> None:
    site = test_site()
    weekly = {
        d: [["09:00", "12:00"], ["13:30", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")
    }
    site["halls"][0]["schedule"] = {"timezone": "Asia/Shanghai", "weekly": weekly}
    clock = FakeClock()
    clock.now = clock.now.replace(hour=4, minute=0)  # 12:00 local, Monday: lunch break
    hall = await make_hall(site, clock)
    response = await hall.post("kiosk", "/api/v1/halls/h1/tickets", {"service_id": "s-b"})
    assert response.status == 409
    error = (await response.json())["error"]
    assert error["code"] == "outside_issuing_hours"
    assert error["next_issuing_at"].startswith("2026-11-23T05:30")
    clock.now = clock.now.replace(hour=14)  # 22:00 local
    response = await hall.post("kiosk", "/api/v1/halls/h1/tickets", {"service_id": "s-b"})
    assert (await response.json())["error"]["code"] == "hall_closed"
    halls = await (await hall.client.get("/api/v1/halls")).json()
    assert halls["halls"][0]["closes_at"] == "17:00"
    assert halls["halls"][0]["open_now"] is False


async def test_personal_data_is_purged_after_retention(make_hall: MakeHall, tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock()
    hall = await make_hall(clock=clock, purge_interval_seconds=0.05)
    await hall.issue("s-a", id_number=YOUNG)
    db = tmp_path / "data" / "onevisit.sqlite3"

    def stored() -> list[tuple[object, ...]]:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT id_hash, id_enc, id_masked FROM tickets").fetchall()

    assert all(value is not None for value in stored()[0])
    assert YOUNG not in str(stored())
    clock.now += timedelta(days=31)
    import asyncio

    for _ in range(100):
        await asyncio.sleep(0.05)
        if stored()[0] == (None, None, None):
            break
    assert stored()[0] == (None, None, None)


async def test_public_reads_are_rate_limited_but_tokens_are_not(make_hall: MakeHall) -> None:
    hall = await make_hall(trusted_networks=(), public_burst=6, public_rate_per_minute=1)
    await hall.kiosk_token()  # logs in (anonymous: counts against the burst), then a token
    statuses = [(await hall.client.get("/api/v1/halls")).status for _ in range(8)]
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429] * 3, "login and the first five reads used the burst"
    response = await hall.client.get("/api/v1/halls")
    assert response.headers["Retry-After"]
    assert (await response.json())["error"]["code"] == "rate_limited"
    assert (await hall.client.get("/healthz")).status == 200
    for _ in range(10):
        await hall.issue()
    assert (await hall.get("manager", "/api/v1/halls/h1/windows")).status == 200


def _day_hall_site(capacity_policy: str) -> dict[str, object]:
    site = test_site(windows=1)
    weekly = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    site["halls"][0]["schedule"] = {"timezone": "Asia/Shanghai", "weekly": weekly}
    site["halls"][0]["rules"] = {"capacity_policy": capacity_policy}
    return site


@pytest.mark.parametrize("policy", ["warn", "refuse"])
async def test_late_tickets_warn_or_refuse_when_they_cannot_be_served(
    make_hall: MakeHall, policy: str
) -> None:
    clock = FakeClock()
    clock.now = clock.now.replace(hour=8, minute=30)  # 16:30 local, closes 17:00
    hall = await make_hall(_day_hall_site(policy), clock)
    first = await hall.issue()
    assert first["warnings"] == []
    second = await hall.issue()
    assert second["warnings"] == [], "its range (up to 21 minutes) ends before 17:00"
    response = await hall.post("kiosk", "/api/v1/halls/h1/tickets", {"service_id": "s-b"})
    body = await response.json()
    if policy == "warn":
        assert response.status == 201
        assert body["ticket"]["warnings"] == ["no_capacity_today"]
    else:
        assert response.status == 409
        assert body["error"]["code"] == "no_capacity_today"


async def test_slot_quota(make_hall: MakeHall) -> None:
    site = test_site()
    site["halls"][0]["services"][1]["rules"]["slot_quotas"] = [
        {"start": "09:00", "end": "11:00", "limit": 2},
        {"start": "11:00", "end": "12:00", "limit": 1},
    ]
    clock = FakeClock()
    clock.now = clock.now.replace(hour=2)  # 10:00 local
    hall = await make_hall(site, clock)
    await hall.issue()
    await hall.issue()
    response = await hall.post("kiosk", "/api/v1/halls/h1/tickets", {"service_id": "s-b"})
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "quota_reached"
    clock.now = clock.now.replace(hour=3, minute=30)  # 11:30 local: the next slot
    await hall.issue()
    response = await hall.post("kiosk", "/api/v1/halls/h1/tickets", {"service_id": "s-b"})
    assert response.status == 409

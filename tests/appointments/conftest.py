"""A hall with office hours, a lunch break, weekends and a holiday, and appointments on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from queue_server.domain.ids import check_digit
from tests.queue_server.conftest import FakeClock, Hall, MakeHall, make_hall  # noqa: F401
from tests.queue_server.site import test_site

REMOTE = {
    "outbox_public": True,
    "sweep_seconds": 0.05,
    "phones_per_address_hour": 10_000,
    "phones_per_address_day": 10_000,
    "codes_per_phone_hour": 100,
    "codes_per_phone_day": 100,
    "code_interval_seconds": 0,
}
OFFICE = [["09:00", "12:00"], ["13:30", "17:00"]]
HOLIDAY = "2026-11-27"
"""A Friday the test hall keeps as a public holiday."""
MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
"""Monday 23 November 2026, 10:00 in Shanghai."""


def person(n: int) -> str:
    """A valid resident ID number, different for each ``n``."""
    first = f"330106199001{n % 28 + 1:02d}{n % 1000:03d}"
    return first + check_digit(first)


def office_site() -> dict[str, Any]:
    """The test site with weekday office hours, a holiday and a make-up Saturday."""
    site = test_site()
    weekly = dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), OFFICE)
    weekly.update(sat=[], sun=[])
    site["halls"][0]["schedule"] = {
        "timezone": "Asia/Shanghai",
        "weekly": weekly,
        "calendar": [
            {"day": HOLIDAY, "kind": "holiday", "note": "test holiday"},
            {"day": "2026-12-05", "kind": "workday", "as_weekday": 0},
        ],
    }
    return site


class Booking:
    """The phone's and the manager's side of appointments, over HTTP."""

    def __init__(self, hall: Hall) -> None:
        self.hall = hall
        self.client = hall.client

    async def move(self, instant: datetime) -> None:
        """Set the hall's clock; staff log in again (their tokens expire), the kiosk's stays."""
        await self.hall.kiosk_token()
        self.hall.clock.now = instant
        self.hall.tokens = {"kiosk": self.hall.tokens["kiosk"]}

    async def code(self, phone: str) -> str:
        response = await self.client.post("/api/v1/remote/otp", json={"phone": phone})
        assert response.status == 202, await response.text()
        masked = f"{phone[:3]}****{phone[-4:]}"
        outbox = await (await self.client.get("/api/v1/remote/outbox")).json()
        for message in outbox["messages"]:
            if message["template"] == "otp" and message["to"] == masked:
                return str(message["params"]["code"])
        raise AssertionError("no code in the outbox")

    async def rules(self, change: dict[str, Any], who: str = "manager") -> Any:
        token = await self.hall.token(who)
        return await self.client.put(
            "/api/v1/halls/h1/appointment-rules",
            json=change,
            headers={"Authorization": f"Bearer {token}"},
        )

    async def enable(self, service_id: str = "s-a", capacity: int = 5, minutes: int = 60) -> None:
        change = {"service_id": service_id, "enabled": True, "capacity_per_slot": capacity,
                  "slot_minutes": minutes}  # fmt: skip
        response = await self.rules({"services": [change]})
        assert response.status == 200, await response.text()

    async def slots(self, service_id: str = "s-a") -> Any:
        return await self.client.get(f"/api/v1/halls/h1/services/{service_id}/slots")

    async def open_slots(self, service_id: str = "s-a") -> list[dict[str, Any]]:
        response = await self.slots(service_id)
        assert response.status == 200, await response.text()
        data = await response.json()
        return [dict(slot, date=day["date"]) for day in data["days"] for slot in day["slots"]]

    async def book(
        self, slot_start: str, who: int = 1, phone: str | None = None, service_id: str = "s-a",
        code: str | None = None,
    ) -> Any:  # fmt: skip
        phone = phone or f"138{who:08d}"
        if code is None:
            code = await self.code(phone)
        return await self.client.post(
            "/api/v1/halls/h1/appointments",
            json={"service_id": service_id, "slot_start": slot_start, "phone": phone,
                  "code": code, "id_number": person(who)},
        )  # fmt: skip

    async def booked(self, slot_start: str, who: int = 1, **extra: Any) -> dict[str, Any]:
        response = await self.book(slot_start, who, **extra)
        assert response.status == 201, await response.text()
        data: dict[str, Any] = await response.json()
        return data

    async def check_in(self, code: str, who: str = "kiosk") -> Any:
        return await self.hall.post(who, "/api/v1/halls/h1/appointments/check-in", {"code": code})


@pytest.fixture
async def booking(make_hall: MakeHall) -> Booking:  # noqa: F811
    hall = await make_hall(
        office_site(), clock=FakeClock(MONDAY_10), extra={"remote": dict(REMOTE)}
    )
    return Booking(hall)

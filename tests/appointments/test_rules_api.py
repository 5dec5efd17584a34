"""Booking rules over HTTP: defaults, validation naming the field, who may change them, the
audit, the event, and the release horizon with a moving clock across a weekend and a holiday."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from tests.appointments.conftest import MONDAY_10, REMOTE, Booking, person
from tests.queue_server.conftest import FakeClock, MakeHall
from tests.queue_server.site import test_site
from tests.queue_server.sse_client import messages

TUE_10 = "2026-11-24T02:00:00.000000Z"


def local(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}:00+08:00").astimezone(UTC)


async def _rules(booking: Booking, who: str = "manager") -> Any:
    return await booking.hall.get(who, "/api/v1/halls/h1/appointment-rules")


async def test_defaults_list_every_service_disabled(booking: Booking) -> None:
    response = await _rules(booking, "clerk1")
    assert response.status == 200
    data = await response.json()
    assert data["hall"] == {
        "min_days_ahead": 1,
        "max_days_ahead": 5,
        "release_time": "16:40",
        "per_person_per_day": 1,
        "per_person_per_week": 2,
        "cancel_before_minutes": 120,
        "late_grace_minutes": 15,
        "no_show_limit": 2,
        "no_show_window_days": 90,
        "block_days": 90,
    }
    services = [(s["service_id"], s["enabled"], s["slot_minutes"], s["capacity_per_slot"])
                for s in data["services"]]  # fmt: skip
    assert services == [("s-a", False, 60, 0), ("s-b", False, 60, 0)]
    anonymous = await booking.client.get("/api/v1/halls/h1/appointment-rules")
    assert anonymous.status == 401


async def test_bad_values_are_refused_naming_the_field(booking: Booking) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"hall": {"release_time": "4pm"}}, "hall.release_time"),
        ({"hall": {"max_days_ahead": 0}}, "hall.max_days_ahead"),
        ({"hall": {"colour": "red"}}, "hall.colour"),
        ({"services": [{"service_id": "s-a", "slot_minutes": 5}]}, "services[0].slot_minutes"),
        ({"services": [{"service_id": "s-a", "capacity_per_slot": 501}]},
         "services[0].capacity_per_slot"),
        ({"services": [{"service_id": "s-b"}, {"service_id": "nope"}]}, "services[1].service_id"),
        ({"services": [{"service_id": "s-a", "enabled": "yes"}]}, "services[0].enabled"),
    ]  # fmt: skip
    for change, field in cases:
        response = await booking.rules(change)
        assert response.status == 422, (change, await response.text())
        error = (await response.json())["error"]
        assert (error["code"], error["field"]) == ("invalid_rules", field)
    unchanged = await (await _rules(booking)).json()
    assert unchanged["hall"]["release_time"] == "16:40"
    assert unchanged["services"][0]["slot_minutes"] == 60


async def test_only_a_manager_changes_rules_and_every_change_is_audited(booking: Booking) -> None:
    clerk = await booking.rules({"hall": {"max_days_ahead": 3}}, who="clerk1")
    assert clerk.status == 403
    changed = await booking.rules({"hall": {"max_days_ahead": 3}})
    assert changed.status == 200
    assert (await changed.json())["hall"]["max_days_ahead"] == 3
    audit = await (await booking.hall.get("manager", "/api/v1/halls/h1/audit")).json()
    record = audit["audit"][0]
    assert (record["actor"], record["action"]) == ("manager", "appointment.rules")
    assert record["detail"]["before"]["hall"]["max_days_ahead"] == 5
    assert record["detail"]["after"]["hall"]["max_days_ahead"] == 3


async def test_a_change_applies_to_the_next_booking_and_keeps_existing_ones(
    booking: Booking,
) -> None:
    await booking.enable("s-a", capacity=1)
    first = await booking.booked(TUE_10, who=1)
    full = await booking.book(TUE_10, who=2)
    assert (await full.json())["error"]["code"] == "slot_full"
    await booking.enable("s-a", capacity=2)
    assert (await booking.book(TUE_10, who=2)).status == 201
    response = await booking.rules({"services": [{"service_id": "s-a", "enabled": False}]})
    assert response.status == 200
    disabled = await booking.book(TUE_10, who=3)
    assert (await disabled.json())["error"]["code"] == "appointments_disabled"
    appointment = first["appointment"]
    mine = await booking.client.get(
        f"/api/v1/appointments/{appointment['id']}?holder={first['holder_token']}"
    )
    assert (await mine.json())["appointment"]["status"] == "booked"
    listed = await booking.hall.get("manager", "/api/v1/halls/h1/appointments?date=2026-11-24")
    assert [a["status"] for a in (await listed.json())["appointments"]] == ["booked", "booked"]


async def test_rule_changes_and_bookings_are_events_without_personal_data(
    booking: Booking,
) -> None:
    stream = await booking.client.get("/api/v1/halls/h1/events?last_event_id=0")
    await booking.enable("s-a", capacity=3)
    answer = await booking.booked(TUE_10, who=1)
    seen: list[tuple[str, dict[str, Any]]] = []
    async with asyncio.timeout(10):
        async for message in messages(stream):
            seen.append((message.event, message.data))
            if message.event == "appointment.booked":
                break
    stream.close()
    kinds = [kind for kind, _ in seen]
    assert kinds == ["appointment.rules_changed", "appointment.booked"]
    text = json.dumps([data for _, data in seen])
    for secret in (person(1), "13800000001", "0001", answer["appointment"]["code"]):
        assert secret not in text


async def test_release_and_horizon_across_a_weekend_and_a_holiday(booking: Booking) -> None:
    await booking.enable("s-a", capacity=5)

    async def days() -> list[str]:
        response = await booking.slots()
        return [day["date"] for day in (await response.json())["days"]]

    assert await days() == ["2026-11-24", "2026-11-25", "2026-11-26", "2026-11-30"]
    early = await booking.book("2026-12-01T02:00:00.000000Z", who=1)
    assert (await early.json())["error"]["code"] == "slot_not_open"
    await booking.move(local("2026-11-23", "16:40"))
    assert (await days())[-1] == "2026-12-01"
    assert (await booking.book("2026-12-01T02:00:00.000000Z", who=1)).status == 201
    await booking.move(local("2026-11-27", "17:00"))  # the holiday: nothing new is released
    assert await days() == ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"]
    response = await booking.slots()
    assert (await response.json())["next_release"] == "2026-11-30T08:40:00.000000Z"
    await booking.move(local("2026-11-30", "16:40"))  # the make-up Saturday is a working day
    assert (await days())[-1] == "2026-12-05"


async def test_a_hall_open_every_day_books_on_weekends(make_hall: MakeHall) -> None:
    hall = await make_hall(test_site(), clock=FakeClock(MONDAY_10), extra={"remote": REMOTE})
    booking = Booking(hall)
    await booking.enable("s-b", capacity=1, minutes=240)
    response = await booking.slots("s-b")
    data = await response.json()
    assert [d["date"] for d in data["days"]] == [
        "2026-11-24",
        "2026-11-25",
        "2026-11-26",
        "2026-11-27",
    ]
    assert len(data["days"][0]["slots"]) == 6


async def test_a_malformed_service_entry_is_a_clear_error_not_a_crash(booking: Booking) -> None:
    for services in ([{"service_id": ["s-a"]}], [{"service_id": 7}], [{}], ["s-a"]):
        response = await booking.rules({"services": services})
        assert response.status == 422, (services, await response.text())


async def test_after_a_slot_length_change_the_listing_counts_old_bookings_like_booking(
    booking: Booking,
) -> None:
    await booking.enable("s-a", capacity=1, minutes=60)
    await booking.booked(TUE_10, who=1)  # 10:00-11:00
    await booking.enable("s-a", capacity=1, minutes=30)
    listed = {slot["start"]: slot for slot in await booking.open_slots("s-a")}
    halves = [start for start in listed if start.startswith("2026-11-24T02:")]
    assert len(halves) == 2, sorted(listed)  # 10:00-10:30 and 10:30-11:00 in the hall
    for start in halves:
        assert listed[start]["left"] == 0, listed[start]
        refused = await booking.book(start, who=2)
        assert (await refused.json())["error"]["code"] == "slot_full"
    after = [s for s in listed.values() if s["start"].startswith("2026-11-24T03:")]
    assert after and all(s["left"] == 1 for s in after)

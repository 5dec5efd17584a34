"""Checking in with an appointment's code at the kiosk: early, on time, late, twice, on the wrong
day; a remote ticket's 6-digit code through the same route; the no-show sweep and the block."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.appointments.conftest import MONDAY_10, REMOTE, Booking, person
from tests.queue_server.conftest import FakeClock, MakeHall
from tests.queue_server.site import test_site
from tests.queue_server.sse_client import messages

TUE_10 = "2026-11-24T02:00:00.000000Z"
"""Tuesday 24 November, 10:00-11:00 in Shanghai."""


def tuesday(hhmm: str) -> datetime:
    return datetime.fromisoformat(f"2026-11-24T{hhmm}:00+08:00").astimezone(UTC)


async def _book(booking: Booking, who: int = 1) -> dict[str, Any]:
    await booking.enable("s-a", capacity=5)
    answer = await booking.booked(TUE_10, who=who)
    appointment: dict[str, Any] = answer["appointment"]
    appointment["holder_token"] = answer["holder_token"]
    return appointment


async def _checked_in(booking: Booking, code: str) -> dict[str, Any]:
    response = await booking.check_in(code)
    assert response.status == 200, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


async def test_on_time_check_in_gives_an_appointment_ticket_once(booking: Booking) -> None:
    appointment = await _book(booking)
    wrong_day = await booking.check_in(appointment["code"])
    assert wrong_day.status == 409
    assert (await wrong_day.json())["error"]["code"] == "wrong_day"
    await booking.move(tuesday("09:55"))
    answer = await _checked_in(booking, appointment["code"])
    ticket = answer["ticket"]
    assert answer["arrival"] == "on_time"
    assert (answer["slot_start"], answer["slot_end"]) == (TUE_10, "2026-11-24T03:00:00.000000Z")
    assert (ticket["class"], ticket["channel"], ticket["status"]) == (
        "appointment",
        "appointment",
        "waiting",
    )
    assert ticket["number"] == "A001" and ticket["track_token"]
    again = await _checked_in(booking, appointment["code"])
    assert again["ticket"]["id"] == ticket["id"] and again["ticket"]["number"] == "A001"
    scanned = await _checked_in(booking, f"APPT:{appointment['code']}")  # a scanner types the QR
    assert scanned["ticket"]["id"] == ticket["id"]
    mine = await booking.client.get(
        f"/api/v1/appointments/{appointment['id']}?holder={appointment['holder_token']}"
    )
    seen = (await mine.json())["appointment"]
    assert (seen["status"], seen["ticket_id"], seen["ticket_number"]) == (
        "checked_in",
        ticket["id"],
        "A001",
    )
    assert seen["ticket_track_token"] == ticket["track_token"]


async def test_an_early_arrival_is_called_first_once_its_slot_opens(booking: Booking) -> None:
    appointment = await _book(booking)
    await booking.move(tuesday("09:00"))
    walk_in = await booking.hall.issue("s-a", id_number=person(50))
    await booking.move(tuesday("09:20"))
    answer = await _checked_in(booking, appointment["code"])
    assert (answer["arrival"], answer["ticket"]["class"]) == ("early", "appointment")
    await booking.move(tuesday("09:51"))
    called = await booking.hall.call_next("w1")
    assert called is not None and called["id"] == answer["ticket"]["id"]
    assert called["call_rule"] == "appointment", "in its slot, ahead of a longer wait"
    called = await booking.hall.call_next("w2")
    assert called is not None and called["id"] == walk_in["id"]


async def test_late_arrival_gets_a_normal_ticket_in_the_normal_queue(booking: Booking) -> None:
    appointment = await _book(booking)
    await booking.move(tuesday("11:16"))
    answer = await _checked_in(booking, appointment["code"])
    assert (answer["arrival"], answer["ticket"]["class"]) == ("late", "normal")
    listed = await booking.hall.get("manager", "/api/v1/halls/h1/appointments?date=2026-11-24")
    item = (await listed.json())["appointments"][0]
    assert (item["status"], item["ticket_number"]) == ("checked_in", answer["ticket"]["number"])


async def test_unknown_and_cancelled_codes_are_refused(booking: Booking) -> None:
    appointment = await _book(booking)
    unknown = await booking.check_in("1234567890")
    assert unknown.status == 404
    assert (await unknown.json())["error"]["code"] == "appointment_not_found"
    cancelled = await booking.client.post(
        f"/api/v1/appointments/{appointment['id']}/cancel",
        json={"holder": appointment["holder_token"]},
    )
    assert cancelled.status == 200
    await booking.move(tuesday("10:00"))
    refused = await booking.check_in(appointment["code"])
    assert refused.status == 409
    assert (await refused.json())["error"]["code"] == "not_checkable"
    anonymous = await booking.client.post(
        "/api/v1/halls/h1/appointments/check-in", json={"code": appointment["code"]}
    )
    assert anonymous.status == 401


async def test_a_remote_tickets_six_digit_code_checks_in_through_the_same_box(
    booking: Booking,
) -> None:
    phone = "13912345678"
    code = await booking.code(phone)
    taken = await booking.client.post(
        "/api/v1/halls/h1/remote-tickets", json={"service_id": "s-b", "phone": phone, "code": code}
    )
    assert taken.status == 201, await taken.text()
    remote = (await taken.json())["ticket"]
    answer = await _checked_in(booking, remote["checkin_code"])
    assert answer["ticket"]["id"] == remote["id"]
    assert answer["ticket"]["status"] == "waiting"
    assert answer["ticket"]["track_token"] == remote["track_token"]
    assert (answer["arrival"], answer["slot_start"], answer["slot_end"]) == (None, None, None)
    other = "000000" if remote["checkin_code"] != "000000" else "111111"
    unknown = await booking.check_in(other)
    assert (await unknown.json())["error"]["code"] == "appointment_not_found"


async def _status(booking: Booking, appointment: dict[str, Any]) -> str:
    response = await booking.client.get(
        f"/api/v1/appointments/{appointment['id']}?holder={appointment['holder_token']}"
    )
    status: str = (await response.json())["appointment"]["status"]
    return status


async def _until_status(booking: Booking, appointment: dict[str, Any], status: str) -> None:
    for _ in range(100):
        if await _status(booking, appointment) == status:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never became {status}: {await _status(booking, appointment)}")


async def test_no_shows_are_swept_after_the_grace_and_two_block_booking(
    booking: Booking,
) -> None:
    first = await _book(booking)
    await booking.move(tuesday("11:15"))
    await asyncio.sleep(0.3)
    assert await _status(booking, first) == "booked", "still inside the late grace"
    await booking.move(tuesday("11:16"))
    await _until_status(booking, first, "no_show")
    await booking.move(tuesday("17:00"))
    await booking.booked("2026-11-26T02:00:00.000000Z", who=1)
    await booking.move(datetime(2026, 11, 26, 3, 16, tzinfo=UTC))
    listed = "/api/v1/halls/h1/appointments?date=2026-11-26"
    for _ in range(100):
        items = (await (await booking.hall.get("manager", listed)).json())["appointments"]
        if items[0]["status"] == "no_show":
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the second no-show was never swept")
    await booking.move(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))  # Thursday 17:00
    blocked = await booking.book("2026-11-30T02:00:00.000000Z", who=1)
    assert blocked.status == 409
    error = (await blocked.json())["error"]
    assert error["code"] == "booking_blocked"
    until = datetime.fromisoformat(error["until"])
    assert until == datetime(2026, 11, 26, 2, 0, tzinfo=UTC) + timedelta(days=90)
    other = await booking.book("2026-11-30T02:00:00.000000Z", who=2)
    assert other.status == 201, await other.text()
    assert person(1) not in await blocked.text()


async def test_a_late_visitor_after_the_sweep_is_still_checked_in_that_day(
    booking: Booking,
) -> None:
    appointment = await _book(booking)
    await booking.move(tuesday("11:30"))
    await _until_status(booking, appointment, "no_show")
    answer = await _checked_in(booking, appointment["code"])
    assert (answer["arrival"], answer["ticket"]["class"]) == ("late", "normal")
    assert await _status(booking, appointment) == "checked_in"
    await booking.move(booking.hall.clock.now + timedelta(days=1))
    again = await _checked_in(booking, appointment["code"])
    assert again["ticket"]["id"] == answer["ticket"]["id"]


async def test_a_night_slot_of_a_24_hour_hall_checks_in_on_its_business_day(
    make_hall: MakeHall,
) -> None:
    hall = await make_hall(test_site(), clock=FakeClock(MONDAY_10), extra={"remote": REMOTE})
    booking = Booking(hall)
    await booking.enable("s-a", capacity=1)
    night = "2026-11-24T17:00:00.000000Z"  # Wednesday 01:00, business day Tuesday
    appointment = (await booking.booked(night))["appointment"]
    await booking.move(datetime(2026, 11, 24, 17, 5, tzinfo=UTC))
    answer = await _checked_in(booking, appointment["code"])
    assert (answer["arrival"], answer["ticket"]["class"]) == ("on_time", "appointment")


async def test_a_no_show_of_an_earlier_day_cannot_check_in(booking: Booking) -> None:
    appointment = await _book(booking)
    await booking.move(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))  # Wednesday 10:00
    await _until_status(booking, appointment, "no_show")
    refused = await booking.check_in(appointment["code"])
    assert refused.status == 409
    assert (await refused.json())["error"]["code"] == "not_checkable"


async def test_check_in_emits_the_ticket_event_and_the_appointment_event(
    booking: Booking,
) -> None:
    appointment = await _book(booking)
    await booking.move(tuesday("10:00"))
    stream = await booking.client.get("/api/v1/halls/h1/events")
    answer = await _checked_in(booking, appointment["code"])
    seen: list[tuple[str, dict[str, Any]]] = []
    async with asyncio.timeout(10):
        async for message in messages(stream):
            seen.append((message.event, message.data))
            if message.event == "appointment.checked_in":
                break
    stream.close()
    assert [kind for kind, _ in seen] == ["ticket.issued", "appointment.checked_in"]
    assert seen[0][1]["ticket_id"] == answer["ticket"]["id"]
    assert seen[1][1]["appointment_id"] == appointment["id"]
    assert appointment["code"] not in json.dumps(seen)


async def test_a_kiosk_guessing_codes_is_stopped_and_screens_may_not_check_in(
    booking: Booking,
) -> None:
    appointment = await _book(booking)
    await booking.move(tuesday("09:55"))
    for n in range(10):
        miss = await booking.check_in(f"99999999{n:02d}")
        assert miss.status == 404
    blocked = await booking.check_in(appointment["code"])
    assert blocked.status == 429, "even a right code waits once the kiosk has guessed"
    body = await blocked.json()
    assert body["error"]["code"] == "too_many_misses" and body["error"]["retry_after"] > 0
    booking.hall.clock.advance(5.1)
    answer = await _checked_in(booking, appointment["code"])
    assert answer["arrival"] == "on_time"

    screen = await booking.hall.post("manager", "/api/v1/halls/h1/devices", {"role": "screen"})
    token = (await screen.json())["token"]
    refused = await booking.client.post(
        "/api/v1/halls/h1/appointments/check-in",
        json={"code": appointment["code"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status == 403


async def test_bookings_of_a_day_the_hall_closed_after_all_are_cancelled_not_no_shows(
    booking: Booking,
) -> None:
    appointment = await _book(booking)  # Tuesday 10:00
    closed = await booking.hall.client.put(
        "/api/v1/halls/h1/schedule",
        json={"weekly": {"tue": []}},
        headers={"Authorization": f"Bearer {await booking.hall.token('manager')}"},
    )
    assert closed.status == 200, await closed.text()
    await booking.move(tuesday("11:16"))
    await _until_status(booking, appointment, "cancelled")

"""Booking, reading and cancelling appointments over HTTP, with every refusal of the contract."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from tests.appointments.conftest import MONDAY_10, REMOTE, Booking, office_site, person
from tests.queue_server.conftest import FakeClock, MakeHall

TUE_10 = "2026-11-24T02:00:00.000000Z"
"""Tuesday 24 November, 10:00 in Shanghai: a slot bookable from Monday morning."""
TUE_11 = "2026-11-24T03:00:00.000000Z"
WED_10 = "2026-11-25T02:00:00.000000Z"
THU_10 = "2026-11-26T02:00:00.000000Z"


async def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status == status, await response.text()
    error: dict[str, Any] = (await response.json())["error"]
    return error


async def test_a_booking_gets_a_ten_digit_code_and_a_holder_token(booking: Booking) -> None:
    await booking.enable("s-a", capacity=5)
    slots = await booking.open_slots()
    assert slots[0]["date"] == "2026-11-24"
    assert slots[0]["start"] == "2026-11-24T01:00:00.000000Z"
    answer = await booking.booked(slots[0]["start"])
    appointment = answer["appointment"]
    assert len(appointment["code"]) == 10 and appointment["code"].isdigit()
    assert appointment["status"] == "booked"
    assert appointment["service_name"] == "不动产登记"
    assert appointment["phone_masked"] == "138****0001"
    assert appointment["id_masked"] == person(1)[:6] + "********" + person(1)[-4:]
    assert appointment["cancel_until"] == "2026-11-23T23:00:00.000000Z"
    mine = await booking.client.get(
        f"/api/v1/appointments/{appointment['id']}?holder={answer['holder_token']}"
    )
    assert mine.status == 200
    seen = (await mine.json())["appointment"]
    assert (seen["ticket_id"], seen["ticket_number"], seen["ticket_track_token"]) == (None,) * 3
    wrong = await booking.client.get(f"/api/v1/appointments/{appointment['id']}?holder=nope")
    assert wrong.status == 404
    left = await booking.open_slots()
    assert left[0]["left"] == 4


async def test_the_public_slots_carry_no_personal_data_and_are_cacheable(
    booking: Booking,
) -> None:
    await booking.enable("s-a", capacity=2)
    answer = await booking.booked(TUE_10, who=7)
    response = await booking.slots()
    text = await response.text()
    for secret in (person(7), "13800000007", "0007", answer["appointment"]["code"]):
        assert secret not in text
    tag = response.headers["ETag"]
    assert response.headers["Cache-Control"] == "public, max-age=5"
    again = await booking.client.get(
        "/api/v1/halls/h1/services/s-a/slots", headers={"If-None-Match": tag}
    )
    assert again.status == 304
    assert (await booking.client.get("/api/v1/halls/h1/services/nope/slots")).status == 404
    assert (await booking.client.get("/api/v1/halls/nope/services/s-a/slots")).status == 404


async def test_input_errors(booking: Booking) -> None:
    await booking.enable("s-a")
    code = await booking.code("13800000001")
    bad_id = await booking.client.post(
        "/api/v1/halls/h1/appointments",
        json={"service_id": "s-a", "slot_start": TUE_10, "phone": "13800000001",
              "code": code, "id_number": "110105199003071230"},
    )  # fmt: skip
    assert (await _error(bad_id, 422))["code"] == "invalid_id_number"
    bad_phone = await booking.book(TUE_10, phone="12345", code="000000")
    assert (await _error(bad_phone, 422))["code"] == "invalid_phone"
    wrong = "000000" if code != "000000" else "111111"
    bad_code = await booking.book(TUE_10, code=wrong)
    assert (await _error(bad_code, 422))["code"] == "bad_code"
    good = await booking.book(TUE_10, code=code)
    assert good.status == 201, await good.text()


async def test_refusals_of_slots_and_services(booking: Booking) -> None:
    disabled = await booking.book(TUE_10, service_id="s-b")
    assert (await _error(disabled, 409))["code"] == "appointments_disabled"
    assert (await _error(await booking.slots("s-b"), 409))["code"] == "appointments_disabled"
    await booking.enable("s-a", capacity=1)
    not_a_slot = await booking.book("2026-11-24T02:30:00.000000Z")
    assert (await _error(not_a_slot, 409))["code"] == "slot_not_open"
    lunch = await booking.book("2026-11-24T04:00:00.000000Z")
    assert (await _error(lunch, 409))["code"] == "slot_not_open"
    beyond = await booking.book("2026-12-01T02:00:00.000000Z")
    error = await _error(beyond, 409)
    assert (error["code"], error["next_release"]) == (
        "slot_not_open",
        "2026-11-23T08:40:00.000000Z",
    )
    today = await booking.book("2026-11-23T05:30:00.000000Z")
    assert (await _error(today, 409))["code"] == "slot_not_open"
    await booking.booked(TUE_10, who=1)
    full = await booking.book(TUE_10, who=2)
    assert (await _error(full, 409))["code"] == "slot_full"


async def test_one_booking_per_person_a_day_and_two_a_week(booking: Booking) -> None:
    await booking.enable("s-a", capacity=5)
    await booking.enable("s-b", capacity=5)
    await booking.booked(TUE_10, who=1)
    booking.hall.clock.advance(1.1)
    same_day = await booking.book(TUE_11, who=1, service_id="s-b")
    assert (await _error(same_day, 409))["code"] == "daily_limit"
    booking.hall.clock.advance(1.1)
    await booking.booked(WED_10, who=1)
    booking.hall.clock.advance(1.1)
    third = await booking.book(THU_10, who=1)
    assert (await _error(third, 409))["code"] == "weekly_limit"
    other = await booking.book(THU_10, who=2)
    assert other.status == 201


async def test_twenty_people_racing_for_five_places_get_exactly_five(booking: Booking) -> None:
    await booking.enable("s-a", capacity=5)
    codes = {who: await booking.code(f"139{who:08d}") for who in range(20)}
    answers = await asyncio.gather(
        *(booking.book(TUE_10, who=who, phone=f"139{who:08d}", code=codes[who]) for who in codes)
    )
    statuses = sorted(a.status for a in answers)
    assert statuses == [201] * 5 + [409] * 15
    refusals = {(await a.json())["error"]["code"] for a in answers if a.status == 409}
    assert refusals == {"slot_full"}
    slots = await booking.open_slots()
    assert next(s for s in slots if s["start"] == TUE_10)["left"] == 0
    listed = await booking.hall.get("manager", "/api/v1/halls/h1/appointments?date=2026-11-24")
    data = await listed.json()
    assert len(data["appointments"]) == 5
    assert next(s for s in data["slots"] if s["start"] == TUE_10)["booked"] == 5


async def test_too_many_phones_from_one_address_is_rate_limited(make_hall: MakeHall) -> None:
    limits = {**REMOTE, "phones_per_address_day": 2}
    hall = await make_hall(office_site(), clock=FakeClock(MONDAY_10), extra={"remote": limits})
    booking = Booking(hall)
    await booking.enable("s-a", capacity=10)
    await booking.booked(TUE_10, who=1)
    await booking.booked(TUE_10, who=2)
    third = await booking.book(TUE_10, who=3)
    assert (await _error(third, 429))["code"] == "too_many_phones"


async def test_cancel_before_the_cut_off_frees_the_place(booking: Booking) -> None:
    await booking.enable("s-a", capacity=1)
    answer = await booking.booked(TUE_10, who=1)
    appointment, holder = answer["appointment"], answer["holder_token"]
    path = f"/api/v1/appointments/{appointment['id']}/cancel"
    wrong = await booking.client.post(path, json={"holder": "not-the-token"})
    assert wrong.status == 404
    cancelled = await booking.client.post(path, json={"holder": holder})
    assert cancelled.status == 200, await cancelled.text()
    assert (await cancelled.json())["appointment"]["status"] == "cancelled"
    again = await booking.client.post(path, json={"holder": holder})
    assert (await _error(again, 409))["code"] == "not_cancellable"
    booking.hall.clock.advance(1.1)
    assert (await booking.book(TUE_10, who=2)).status == 201


async def test_cancel_after_the_cut_off_is_refused_but_staff_may(booking: Booking) -> None:
    await booking.enable("s-a", capacity=1)
    answer = await booking.booked(TUE_10, who=1)
    appointment, holder = answer["appointment"], answer["holder_token"]
    await booking.move(booking.hall.clock.now + timedelta(hours=22, minutes=1))  # Tue 08:01
    path = f"/api/v1/appointments/{appointment['id']}/cancel"
    late = await booking.client.post(path, json={"holder": holder})
    error = await _error(late, 409)
    assert (error["code"], error["cancel_until"]) == (
        "too_late_to_cancel",
        appointment["cancel_until"],
    )
    by_staff = await booking.hall.post("clerk1", path, {})
    assert by_staff.status == 200, await by_staff.text()
    assert (await by_staff.json())["appointment"]["status"] == "cancelled"


async def test_the_day_list_is_for_staff_of_the_hall_with_a_sensible_date(
    booking: Booking,
) -> None:
    for day in ("nope", "0001-01-01", "9999-12-31"):
        response = await booking.hall.get("manager", f"/api/v1/halls/h1/appointments?date={day}")
        assert response.status == 422, day
    anonymous = await booking.client.get("/api/v1/halls/h1/appointments?date=2026-11-24")
    assert anonymous.status == 401
    unknown = await booking.hall.get(
        "manager", "/api/v1/halls/h1/appointments?date=2026-11-24&service_id=nope"
    )
    assert unknown.status == 404


async def test_without_a_valid_code_nothing_about_a_person_is_revealed(booking: Booking) -> None:
    await booking.enable("s-a", capacity=5)
    await booking.enable("s-b", capacity=5)
    await booking.booked(TUE_10, who=1)
    booking.hall.clock.advance(1.1)
    # Someone who knows person 1's ID number but has no code for any phone of theirs.
    probe = await booking.book(TUE_11, who=1, phone="13900000000", service_id="s-b", code="000000")
    assert (await _error(probe, 422))["code"] == "bad_code", "not daily_limit: that would tell"


async def test_one_phone_books_for_a_few_people_a_day_not_a_crowd(booking: Booking) -> None:
    await booking.enable("s-a", capacity=10)
    phone = "13812340000"
    for who in (1, 2, 3):  # a family: the same phone books for three people
        await booking.booked(TUE_10, who=who, phone=phone)
        booking.hall.clock.advance(1.1)
    fourth = await booking.book(TUE_10, who=4, phone=phone)
    error = await _error(fourth, 409)
    assert error["code"] == "too_many_bookings"
    assert len([s for s in await booking.open_slots() if s["start"] == TUE_10]) == 1


async def test_bookings_on_old_slots_still_count_after_the_slot_length_changes(
    booking: Booking,
) -> None:
    await booking.enable("s-a", capacity=1, minutes=60)
    await booking.booked(TUE_10, who=1)  # 10:00-11:00
    await booking.enable("s-a", capacity=1, minutes=30)
    booking.hall.clock.advance(1.1)
    half_past = "2026-11-24T02:30:00.000000Z"  # 10:30-11:00, inside the old booking
    refused = await booking.book(half_past, who=2)
    assert (await _error(refused, 409))["code"] == "slot_full"

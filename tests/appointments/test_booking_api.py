"""Booking, reading and cancelling appointments over HTTP."""

from __future__ import annotations

from tests.appointments.conftest import Booking, person


async def test_a_booking_gets_a_ten_digit_code_and_a_holder_token(booking: Booking) -> None:
    await booking.enable("s-a", capacity=5)
    slots = await booking.open_slots()
    assert slots[0]["date"] == "2026-11-24"
    assert slots[0]["start"] == "2026-11-24T01:00:00.000000Z"
    answer = await booking.booked(slots[0]["start"])
    appointment = answer["appointment"]
    assert len(appointment["code"]) == 10 and appointment["code"].isdigit()
    assert appointment["status"] == "booked"
    assert appointment["phone_masked"] == "138****0001"
    assert appointment["id_masked"] == person(1)[:6] + "********" + person(1)[-4:]
    assert appointment["cancel_until"] == "2026-11-23T23:00:00.000000Z"
    mine = await booking.client.get(
        f"/api/v1/appointments/{appointment['id']}?holder={answer['holder_token']}"
    )
    assert mine.status == 200
    assert (await mine.json())["appointment"]["ticket_id"] is None
    left = await booking.open_slots()
    assert left[0]["left"] == 4

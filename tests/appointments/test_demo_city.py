"""The demo city offers appointments on two or three services of every hall."""

from __future__ import annotations

import random

from queue_server.demo.city import APPOINTMENTS, build_site
from queue_server.domain.appointments import ServiceBooking


def test_every_demo_hall_books_two_or_three_of_its_services() -> None:
    site, _ = build_site(random.Random(7))
    services = {hall["id"]: {s["id"] for s in hall["services"]} for hall in site["halls"]}
    assert set(APPOINTMENTS) == set(services)
    for hall_id, booked in APPOINTMENTS.items():
        assert 2 <= len(booked) <= 3
        assert set(booked) <= services[hall_id]
        for values in booked.values():
            assert ServiceBooking(True, **values).bookable

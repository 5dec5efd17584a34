"""The daily purge erases who booked, except the keyed ID hash of a no-show while the no-show
block may still count it."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

from tests.appointments.conftest import MONDAY_10, REMOTE, Booking, office_site
from tests.queue_server.conftest import FakeClock, MakeHall

PERSONAL = "SELECT status, id_hash IS NOT NULL, id_enc, id_masked, phone_hash, phone_masked"


def _rows(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"{PERSONAL} FROM appointments ORDER BY status").fetchall()


async def _until(db: Path, expected: list[tuple[object, ...]]) -> None:
    for _ in range(100):
        if _rows(db) == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(_rows(db))


async def test_bookings_are_erased_after_the_retention_period(
    make_hall: MakeHall, tmp_path: Path
) -> None:
    hall = await make_hall(
        office_site(),
        clock=FakeClock(MONDAY_10),
        extra={"remote": dict(REMOTE)},
        purge_interval_seconds=0.05,
    )
    booking = Booking(hall)
    await booking.enable("s-a", capacity=5)
    kept = await booking.booked("2026-11-24T02:00:00.000000Z", who=1)
    await booking.booked("2026-11-25T02:00:00.000000Z", who=2)
    await booking.client.post(
        f"/api/v1/appointments/{kept['appointment']['id']}/cancel",
        json={"holder": kept["holder_token"]},
    )
    db = tmp_path / "data" / "onevisit.sqlite3"
    await booking.move(hall.clock.now + timedelta(days=2, hours=6))
    for _ in range(100):
        if [row[0] for row in _rows(db)] == ["cancelled", "no_show"]:
            break
        await asyncio.sleep(0.05)
    for row in _rows(db):
        assert all(row), f"kept inside the retention period: {row}"
    await booking.move(hall.clock.now + timedelta(days=40))
    erased = (None, None, None, None)
    await _until(db, [("cancelled", 0, *erased), ("no_show", 1, *erased)])
    await booking.move(hall.clock.now + timedelta(days=181))
    await _until(db, [("cancelled", 0, *erased), ("no_show", 0, *erased)])

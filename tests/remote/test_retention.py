"""The daily purge also erases remote visitors' phones and evaluation comments."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

from tests.queue_server.conftest import MakeHall
from tests.remote.conftest import REMOTE, Remote

PHONE = "13812345678"
YOUNG = "110105199003071239"


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


async def _rated_ticket(remote: Remote, comment: str) -> None:
    hall = remote.hall
    ticket = await remote.ticket(PHONE, "s-b")
    typed = await hall.post("kiosk", "/api/v1/halls/h1/check-in", {"code": ticket["checkin_code"]})
    assert typed.status == 200, await typed.text()
    called = await hall.call_next("w1")
    assert called is not None and called["id"] == ticket["id"]
    assert (await hall.post("manager", "/api/v1/windows/w1/finish")).status == 200
    device = await hall.post("manager", "/api/v1/windows/w1/devices", {"role": "counter"})
    token = (await device.json())["token"]
    rated = await hall.client.post(
        f"/api/v1/tickets/{ticket['id']}/evaluation",
        json={"level": 2, "comment": comment},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert rated.status == 201, await rated.text()


async def test_phones_and_comments_are_erased_after_the_retention_period(
    make_hall: MakeHall, tmp_path: Path
) -> None:
    hall = await make_hall(extra={"remote": dict(REMOTE)}, purge_interval_seconds=0.05)
    remote = Remote(hall)
    await _rated_ticket(remote, "王先生态度不好")
    await hall.issue("s-a", id_number=YOUNG)
    db = tmp_path / "data" / "onevisit.sqlite3"
    phones = "SELECT phone_hash, phone_masked, address_hash != '' FROM remote_tickets"
    comments = "SELECT comment, level FROM evaluations"
    assert _rows(db, phones)[0][1] == "138****5678"
    assert _rows(db, comments) == [("王先生态度不好", 2)]

    hall.clock.now += timedelta(days=29)
    await asyncio.sleep(0.3)
    assert _rows(db, comments)[0][0] == "王先生态度不好", "kept inside the retention period"

    hall.clock.now += timedelta(days=2)
    for _ in range(100):
        await asyncio.sleep(0.05)
        if _rows(db, comments) == [("", 2)] and _rows(db, phones) == [("", "", 0)]:
            break
    assert _rows(db, phones) == [("", "", 0)], "phone and client address hashes go too"
    assert _rows(db, comments) == [("", 2)], "the level stays for the statistics"
    assert _rows(db, "SELECT id_hash, id_masked FROM tickets WHERE id_masked IS NOT NULL") == []

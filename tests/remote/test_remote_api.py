"""Remote tickets over HTTP: codes, scalping limits, check-in, lapse, cancel, reminders."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from tests.queue_server.conftest import MakeHall
from tests.remote.conftest import REMOTE, Remote

PHONE = "13812345678"


async def test_remote_ticket_waits_not_arrived_and_is_called_after_kiosk_check_in(
    remote: Remote,
) -> None:
    hall = remote.hall
    ticket = await remote.ticket(PHONE)
    assert ticket["status"] == "not_arrived"
    assert ticket["channel"] == "remote"
    assert ticket["phone_masked"] == "138****5678"
    assert re.fullmatch(r"\d{6}", ticket["checkin_code"])
    assert await hall.call_next() is None, "a ticket not yet arrived is never called"

    wrong = "000000" if ticket["checkin_code"] != "000000" else "111111"
    response = await hall.post("kiosk", f"/api/v1/tickets/{ticket['id']}/check-in", {"code": wrong})
    assert response.status == 422
    response = await hall.post(
        "kiosk", f"/api/v1/tickets/{ticket['id']}/check-in", {"code": ticket["checkin_code"]}
    )
    assert response.status == 200, await response.text()
    assert (await response.json())["ticket"]["status"] == "waiting"
    called = await hall.call_next("w2")
    assert called is not None and called["id"] == ticket["id"]
    tracked = await remote.track(ticket)
    assert tracked["status"] == "called" and tracked["window"]["number"] == 2


async def test_kiosk_types_the_code_and_a_phone_at_home_cannot_check_in(remote: Remote) -> None:
    hall = remote.hall
    await hall.issue("s-a", id_number="11010519491231002X")  # someone ahead: no lapse here
    ticket = await remote.ticket(PHONE)
    path = f"/api/v1/tickets/{ticket['id']}/check-in"
    # From home: the holder token alone, a made-up entrance code, or the track token fail.
    at_home = await hall.client.post(path, json={"holder_token": ticket["holder_token"]})
    assert at_home.status == 403
    assert (await at_home.json())["error"]["code"] == "not_at_hall"
    guessed = await hall.client.post(
        path, json={"holder_token": ticket["holder_token"], "entrance_code": "123456"}
    )
    assert guessed.status == 403
    track_only = await hall.client.post(path, json={"holder_token": ticket["track_token"]})
    assert track_only.status == 403
    # At the hall: the entrance screen shows a code that changes every few minutes.
    shown = await hall.get("manager", "/api/v1/halls/h1/entrance-code")
    assert shown.status == 200
    code = (await shown.json())["code"]
    assert (await hall.client.get("/api/v1/halls/h1/entrance-code")).status == 401
    hall.clock.advance(11)
    stale = await hall.client.post(
        path, json={"holder_token": ticket["holder_token"], "entrance_code": code}
    )
    assert stale.status == 403, "an entrance code photographed yesterday does not work"
    fresh = (await (await hall.get("manager", "/api/v1/halls/h1/entrance-code")).json())["code"]
    ok = await hall.client.post(
        path, json={"holder_token": ticket["holder_token"], "entrance_code": fresh}
    )
    assert ok.status == 200, await ok.text()
    # A second ticket checked in by typing its code at a kiosk.
    other = await remote.ticket("13900001111", "s-b")
    typed = await hall.post("kiosk", "/api/v1/halls/h1/check-in", {"code": other["checkin_code"]})
    assert typed.status == 200
    assert (await typed.json())["ticket"]["status"] == "waiting"
    again = await hall.post("kiosk", "/api/v1/halls/h1/check-in", {"code": other["checkin_code"]})
    assert again.status == 409


async def test_wrong_codes_are_refused_and_burn_the_code(remote: Remote) -> None:
    client = remote.client
    code = await remote.code(PHONE)
    body = {"service_id": "s-a", "phone": PHONE}
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        response = await client.post(
            "/api/v1/halls/h1/remote-tickets", json={**body, "code": wrong}
        )
        assert response.status == 422
        assert (await response.json())["error"]["code"] == "invalid_code"
    response = await client.post("/api/v1/halls/h1/remote-tickets", json={**body, "code": code})
    assert response.status == 422, "five wrong guesses burn the code"
    bad_phone = await client.post("/api/v1/remote/otp", json={"phone": "12345678901"})
    assert bad_phone.status == 422
    assert (await bad_phone.json())["error"]["code"] == "invalid_phone"


async def test_scalping_patterns_get_clear_errors(make_hall: MakeHall) -> None:
    limits = {"tickets_per_phone_day": 2, "phones_per_address_hour": 4, "phones_per_address_day": 2}
    remote = Remote(await make_hall(extra={"remote": {**REMOTE, **limits}}))
    client = remote.client
    await remote.ticket(PHONE, "s-a")
    # The same phone asks again at once: too soon.
    await client.post("/api/v1/remote/otp", json={"phone": "13700000000"})
    soon = await client.post("/api/v1/remote/otp", json={"phone": "13700000000"})
    assert soon.status == 429
    assert (await soon.json())["error"]["code"] == "code_too_soon"
    # One open remote ticket per phone per service per day.
    dup = await remote.take(PHONE, "s-a")
    assert dup.status == 409
    error = (await dup.json())["error"]
    assert error["code"] == "duplicate_ticket" and "A001" in error["message"]
    # Many tickets from one phone.
    await remote.ticket(PHONE, "s-b")
    # Many phones from one address: tickets for a second phone are fine, a third is not.
    await remote.ticket("13900000001", "s-a")
    third = await remote.take("13900000002", "s-a")
    assert third.status == 429
    assert (await third.json())["error"]["code"] == "too_many_phones"
    # Codes for many phones from one address within the hour.
    refused = None
    for n in range(3, 8):
        response = await client.post("/api/v1/remote/otp", json={"phone": f"1350000000{n}"})
        if response.status == 429:
            refused = await response.json()
            break
    assert refused is not None and refused["error"]["code"] == "too_many_phones"
    assert "too many different phones" in refused["error"]["message"]


async def test_too_many_tickets_from_one_phone(make_hall: MakeHall) -> None:
    remote = Remote(await make_hall(extra={"remote": {**REMOTE, "tickets_per_phone_day": 1}}))
    first = await remote.ticket(PHONE, "s-a")
    assert first["status"] == "not_arrived"
    second = await remote.take(PHONE, "s-b")
    assert second.status == 409
    error = (await second.json())["error"]
    assert error["code"] == "too_many_tickets" and error["limit"] == 1


async def test_lapse_after_grace_when_turn_comes_and_not_arrived(remote: Remote) -> None:
    hall = remote.hall
    walk_in = await hall.issue("s-a", id_number="11010519491231002X")
    ticket = await remote.ticket(PHONE, "s-a")
    hall.clock.advance(30)
    await asyncio.sleep(0.3)
    assert (await remote.track(ticket))["status"] == "not_arrived", "someone is still ahead"
    called = await hall.call_next()
    assert called is not None and called["id"] == walk_in["id"]
    await asyncio.sleep(0.3)
    hall.clock.advance(9)
    await asyncio.sleep(0.3)
    assert (await remote.track(ticket))["status"] == "not_arrived", "still inside the grace"
    hall.clock.advance(2)
    await remote.wait_status(ticket, "lapsed")
    late = await hall.post(
        "kiosk", f"/api/v1/tickets/{ticket['id']}/check-in", {"code": ticket["checkin_code"]}
    )
    assert late.status == 409


async def test_cancel_needs_a_fresh_code_of_the_same_phone(remote: Remote) -> None:
    hall = remote.hall
    ticket = await remote.ticket(PHONE)
    path = f"/api/v1/tickets/{ticket['id']}/cancel-remote"
    # The printed/track token is read-only: the staff cancel route refuses it.
    assert (await hall.client.post(f"/api/v1/tickets/{ticket['id']}/cancel", json={})).status == 401
    other_code = await remote.code("13911112222")
    other = await hall.client.post(path, json={"phone": "13911112222", "code": other_code})
    assert other.status == 403
    hall.clock.advance(1.1)
    stale = await hall.client.post(path, json={"phone": PHONE, "code": "999999"})
    assert stale.status in {403, 422}
    code = await remote.code(PHONE)
    done = await hall.client.post(path, json={"phone": PHONE, "code": code})
    assert done.status == 200, await done.text()
    assert (await done.json())["ticket"]["status"] == "cancelled"
    assert (await remote.track(ticket))["status"] == "cancelled"


async def test_reminder_sent_once_and_never_for_a_cancelled_ticket(remote: Remote) -> None:
    hall = remote.hall
    for _ in range(4):
        await hall.issue("s-b")
    ticket = await remote.ticket(PHONE, "s-b", remind_sms=True)
    doomed = await remote.ticket("13999998888", "s-b", remind_sms=True)
    cancel_code = await remote.code("13999998888")
    cancelled = await hall.client.post(
        f"/api/v1/tickets/{doomed['id']}/cancel-remote",
        json={"phone": "13999998888", "code": cancel_code},
    )
    assert cancelled.status == 200
    await hall.post(
        "kiosk", f"/api/v1/tickets/{ticket['id']}/check-in", {"code": ticket["checkin_code"]}
    )

    async def near() -> list[dict[str, Any]]:
        return [m for m in await remote.outbox() if m["template"] == "near"]

    await asyncio.sleep(0.3)
    assert await near() == [], "four are ahead: no reminder yet"
    await hall.call_next()
    for _ in range(60):
        if await near():
            break
        await asyncio.sleep(0.05)
    sent = await near()
    assert len(sent) == 1
    assert sent[0]["to"] == "138****5678" and sent[0]["params"]["ahead"] == "3"
    assert "B005" in sent[0]["text"] or sent[0]["params"]["number"] == ticket["number"]
    await hall.call_next()
    await hall.call_next()
    await asyncio.sleep(0.4)
    assert len(await near()) == 1, "exactly one reminder per ticket and threshold"


async def test_public_feed_pages_and_events_carry_no_personal_data(remote: Remote) -> None:
    hall = remote.hall
    ticket = await remote.ticket(PHONE, remind_sms=True)
    await hall.issue("s-a", id_number="11010519491231002X")
    bodies = []
    for path in (
        "/api/v1/halls",
        "/api/v1/halls/h1",
        "/api/v1/remote/halls",
        "/api/v1/halls/h1/crowd",
        f"/api/v1/tickets/{ticket['id']}?token={ticket['track_token']}",
        "/mobile",
    ):
        response = await hall.client.get(path)
        assert response.status == 200, path
        bodies.append(await response.text())
    events = await hall.client.get("/api/v1/halls/h1/events?last_event_id=0")
    chunk = await asyncio.wait_for(events.content.read(4000), 5)
    events.close()
    bodies.append(chunk.decode())
    text = "\n".join(bodies)
    for secret in (PHONE, '5678"', "11010519491231002X", "110105", "****"):
        assert secret not in text, secret
    assert "checkin_code" not in text and ticket["checkin_code"] not in json.dumps(bodies[:5])


async def test_halls_feed_is_cacheable(remote: Remote) -> None:
    client = remote.client
    for path in ("/api/v1/halls", "/api/v1/remote/halls"):
        first = await client.get(path)
        assert first.status == 200
        tag = first.headers["ETag"]
        assert first.headers["Cache-Control"] == "public, max-age=5"
        again = await client.get(path, headers={"If-None-Match": tag})
        assert again.status == 304 and again.headers["ETag"] == tag
    await remote.hall.issue("s-b")
    changed = await client.get("/api/v1/halls", headers={"If-None-Match": tag})
    assert changed.status == 200


async def test_crowd_curve_counts_tickets_by_local_hour(remote: Remote) -> None:
    hall = remote.hall
    await hall.issue("s-b")
    hall.clock.advance(-24 * 60)
    await hall.issue("s-b")
    await hall.issue("s-b")
    hall.clock.advance(24 * 60)
    data = await (await hall.client.get("/api/v1/halls/h1/crowd")).json()
    assert data["hour_now"] == 10  # 02:00 UTC is 10:00 in Shanghai
    assert data["today"][10] == 1 and sum(data["today"]) == 1
    assert data["typical"][10] == 2.0 and data["typical_days"] == 1


async def test_jssdk_signature_is_not_configured_by_default(remote: Remote) -> None:
    response = await remote.client.get("/api/v1/wechat/jssdk-signature?url=http://x/mobile")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_configured"
    assert (await remote.client.get("/api/v1/remote/push-key")).status == 404

"""Window actions over HTTP: calling, recalls, transfers, holds and window states."""

from __future__ import annotations

from tests.queue_server.conftest import Hall, MakeHall
from tests.queue_server.site import test_site


async def test_call_order_green_first_then_by_wait(hall: Hall) -> None:
    first = await hall.issue()
    hall.clock.advance(1)
    second = await hall.issue()
    hall.clock.advance(1)
    response = await hall.post(
        "manager", "/api/v1/halls/h1/tickets", {"service_id": "s-b", "class": "green"}
    )
    green = (await response.json())["ticket"]
    hall.clock.advance(1)
    called = [await hall.call_next("w1") for _ in range(3)]
    assert [t["id"] for t in called if t] == [green["id"], first["id"], second["id"]]
    assert called[0] is not None and called[0]["call_rule"] == "score"
    assert called[0]["call_score"] == 31.0
    assert await hall.call_next("w1") is None


async def test_queue_explains_the_order(hall: Hall) -> None:
    await hall.issue()
    hall.clock.advance(5)
    await hall.issue("s-a", id_number="110105199003071239")
    body = await (await hall.get("clerk1", "/api/v1/windows/w1/queue")).json()
    assert [(t["number"], t["rule"], t["score"]) for t in body["queue"]] == [
        ("B001", "score", 5.0),
        ("A001", "score", 0.0),
    ]
    assert body["queue"][1]["id_masked"] == "110105********1239"


async def test_recall_limit_and_lifecycle(hall: Hall) -> None:
    await hall.issue()
    ticket = await hall.call_next("w1")
    assert ticket is not None
    for count in (1, 2, 3):
        response = await hall.post("clerk1", "/api/v1/windows/w1/recall")
        assert (await response.json())["ticket"]["recall_count"] == count
    response = await hall.post("clerk1", "/api/v1/windows/w1/recall")
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "recall_limit_reached"
    response = await hall.post("clerk1", "/api/v1/windows/w1/start")
    assert (await response.json())["ticket"]["status"] == "serving"
    response = await hall.post("clerk1", "/api/v1/windows/w1/finish")
    assert (await response.json())["ticket"]["status"] == "done"
    response = await hall.post("clerk1", "/api/v1/windows/w1/finish")
    assert response.status == 409


async def test_clerk_acts_on_own_window_only(hall: Hall) -> None:
    await hall.issue()
    response = await hall.post("clerk2", "/api/v1/windows/w1/call-next")
    assert response.status == 403
    response = await hall.post("kiosk", "/api/v1/windows/w1/call-next")
    assert response.status == 403


async def test_no_show_cancels_by_default(hall: Hall) -> None:
    await hall.issue()
    await hall.call_next("w1")
    response = await hall.post("clerk1", "/api/v1/windows/w1/no-show")
    assert (await response.json())["ticket"]["status"] == "no_show"


async def test_no_show_requeues_behind_n(make_hall: MakeHall) -> None:
    site = test_site()
    site["halls"][0]["rules"] = {"policy": {"no_show": {"mode": "requeue", "requeue_behind": 2}}}
    hall = await make_hall(site)
    tickets = []
    for _ in range(5):
        tickets.append(await hall.issue())
        hall.clock.advance(1)
    await hall.call_next("w1")
    await hall.post("clerk1", "/api/v1/windows/w1/no-show")
    order = [(await hall.call_next("w1")) for _ in range(4)]
    assert [t["number"] for t in order if t] == ["B002", "B003", "B001", "B004"]


async def test_transfer_keeps_number_and_arrival(hall: Hall) -> None:
    ticket = await hall.issue()
    hall.clock.advance(10)
    later = await hall.issue("s-a", id_number="110105199003071239")
    await hall.call_next("w1")
    response = await hall.post("clerk1", "/api/v1/windows/w1/transfer", {"service_id": "s-a"})
    moved = (await response.json())["ticket"]
    assert moved["number"] == ticket["number"]
    assert moved["service_id"] == "s-a"
    assert moved["track_token"] == ticket["track_token"]
    next_one = await hall.call_next("w2")
    assert next_one is not None and next_one["id"] == ticket["id"]
    assert later["id"] != next_one["id"]


async def test_transfer_to_a_window_pins_it(hall: Hall) -> None:
    ticket = await hall.issue()
    await hall.issue()
    await hall.call_next("w1")
    await hall.post("clerk1", "/api/v1/windows/w1/transfer", {"window_id": "w3"})
    other = await hall.call_next("w2")
    assert other is not None and other["id"] != ticket["id"]
    pinned = await hall.call_next("w3")
    assert pinned is not None and pinned["id"] == ticket["id"]
    assert pinned["call_rule"] == "pinned"


async def test_hold_and_call_back(hall: Hall) -> None:
    ticket = await hall.issue()
    second = await hall.issue()
    await hall.call_next("w1")
    response = await hall.post("clerk1", "/api/v1/windows/w1/hold")
    assert (await response.json())["ticket"]["status"] == "held"
    served = await hall.call_next("w1")
    assert served is not None and served["id"] == second["id"]
    await hall.post("clerk1", "/api/v1/windows/w1/finish")
    response = await hall.post("clerk1", "/api/v1/windows/w1/unhold", {"ticket_id": ticket["id"]})
    back = (await response.json())["ticket"]
    assert back["status"] == "called"
    assert back["call_rule"] == "held"


async def test_pausing_the_last_window_asks_for_confirmation(make_hall: MakeHall) -> None:
    hall = await make_hall(test_site(windows=1))
    await hall.issue()
    response = await hall.post("clerk1", "/api/v1/windows/w1/pause")
    assert response.status == 409
    error = (await response.json())["error"]
    assert error["code"] == "confirmation_required"
    assert error["stranded"] == [{"service_id": "s-b", "waiting": ["B001"]}]
    response = await hall.post("clerk1", "/api/v1/windows/w1/pause", {"confirm": True})
    assert (await response.json())["window"]["state"] == "paused"
    response = await hall.post("clerk1", "/api/v1/windows/w1/call-next")
    assert (await response.json())["error"]["code"] == "window_not_open"
    response = await hall.post("clerk1", "/api/v1/windows/w1/resume")
    assert (await response.json())["window"]["state"] == "open"


async def test_profile_change_applies_to_the_next_call(hall: Hall) -> None:
    await hall.issue()
    hall.clock.advance(1)
    a_ticket = await hall.issue("s-a", id_number="110105199003071239")
    response = await hall.client.put(
        "/api/v1/windows/w1/profile",
        json={"services": {"s-a": 1}},
        headers={"Authorization": f"Bearer {await hall.token('manager')}"},
    )
    assert response.status == 200
    called = await hall.call_next("w1")
    assert called is not None and called["id"] == a_ticket["id"]


async def test_manager_ends_the_day(hall: Hall) -> None:
    await hall.issue()
    await hall.issue()
    response = await hall.post("clerk1", "/api/v1/halls/h1/end-day")
    assert response.status == 403
    response = await hall.post("manager", "/api/v1/halls/h1/end-day")
    assert await response.json() == {"cancelled": 2}
    assert await hall.call_next("w1") is None


async def test_windows_listing_for_staff(hall: Hall) -> None:
    body = await (await hall.get("clerk1", "/api/v1/halls/h1/windows")).json()
    assert [(w["number"], w["state"]) for w in body["windows"]] == [
        (1, "open"),
        (2, "open"),
        (3, "open"),
    ]
    response = await hall.client.get("/api/v1/halls/h1/windows")
    assert response.status == 401

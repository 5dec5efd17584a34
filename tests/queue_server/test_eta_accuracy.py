"""Today's realised accuracy of the wait estimates, and the drift alarm, over HTTP.

The live predictor is switched off here, so every ticket gets the closed form, whose
numbers a test can work out by hand: the test hall's service s-b takes 6 minutes and
three windows serve it, so a ticket issued with nobody ahead is told 0.5 x 6 / 3 = 1.0
minute, with the range [0, 1 + 1.645 x sqrt(0.5) x 2] = [0, 3.33].
"""

from __future__ import annotations

import math
from typing import Any

from tests.queue_server.conftest import Hall, MakeHall

CLOSED_FORM_ONLY = {"eta": {"enabled": False}}
TOLD = 1.0
TOLD_HIGH = 1.0 + 1.645 * math.sqrt(0.5) * 2.0


async def wait_and_call(hall: Hall, minutes: float) -> None:
    """Issue a ticket of s-b into an empty queue, let it wait, then call it at w1."""
    ticket = await hall.issue("s-b")
    assert ticket["people_ahead"] == 0
    assert ticket["eta"] == {"minutes": TOLD, "low": 0.0, "high": round(TOLD_HIGH, 1)}
    assert ticket["eta_method"] == "closed_form"
    hall.clock.advance(minutes)
    called = await hall.call_next("w1")
    assert called is not None and called["id"] == ticket["id"]


async def accuracy(hall: Hall, who: str = "manager", query: str = "") -> tuple[int, dict[str, Any]]:
    response = await hall.get(who, f"/api/v1/halls/h1/eta-accuracy{query}")
    return response.status, await response.json()


async def test_accuracy_of_a_constructed_day(make_hall: MakeHall) -> None:
    hall = await make_hall(extra=CLOSED_FORM_ONLY)
    waits = [0.5, 2.0, 3.0, 5.0, 10.0]
    for minutes in waits:
        await wait_and_call(hall, minutes)
    await hall.issue("s-b")  # still waiting: not counted

    status, body = await accuracy(hall)
    assert status == 200
    # |1 - 0.5| + |1 - 2| + |1 - 3| + |1 - 5| + |1 - 10| = 0.5 + 1 + 2 + 4 + 9 = 16.5
    # (1 - 0.5) + (1 - 2) + (1 - 3) + (1 - 5) + (1 - 10) = 0.5 - 1 - 2 - 4 - 9 = -15.5
    # inside [0, 3.33]: 0.5, 2 and 3 -> 3 of 5
    expected = {
        "count": 5,
        "mae_min": 3.3,
        "bias_min": -3.1,
        "coverage90": 0.6,
        "drifting": False,
        "reason": "ok",
    }
    assert body["overall"] == expected
    by_service = {s["service_id"]: s for s in body["services"]}
    assert {k: by_service["s-b"][k] for k in expected} == expected
    assert by_service["s-a"]["count"] == 0
    assert by_service["s-a"]["mae_min"] is None
    assert body["predictor"] == {"running": False}

    floor = await (await hall.get("manager", "/api/v1/halls/h1/floor")).json()
    assert not [a for a in floor["alarms"] if a["kind"] == "eta_drift"]


async def test_other_days_and_who_may_read(make_hall: MakeHall) -> None:
    hall = await make_hall(extra=CLOSED_FORM_ONLY)
    await wait_and_call(hall, 2.0)
    day = (await accuracy(hall))[1]["business_day"]
    status, body = await accuracy(hall, "clerk1", f"?date={day}")
    assert status == 200 and body["overall"]["count"] == 1
    status, body = await accuracy(hall, query="?date=2026-11-01")
    assert status == 200 and body["overall"]["count"] == 0
    for bad in ("?date=yesterday", "?date=2026-13-01", "?date=2026-11-011"):
        status, body = await accuracy(hall, query=bad)
        assert status == 422, bad
        assert body["error"]["code"] == "invalid_request"
    response = await hall.client.get(
        "/api/v1/halls/h1/eta-accuracy",
        headers={"Authorization": f"Bearer {await hall.kiosk_token()}"},
    )
    assert response.status == 403
    assert (await hall.client.get("/api/v1/halls/h1/eta-accuracy")).status == 401
    assert (await hall.get("manager", "/api/v1/halls/nowhere/eta-accuracy")).status == 404


async def test_drifting_estimates_raise_an_alarm(make_hall: MakeHall) -> None:
    hall = await make_hall(extra=CLOSED_FORM_ONLY)
    minutes = 10.0
    for _ in range(19):
        await wait_and_call(hall, minutes)
    floor = await (await hall.get("manager", "/api/v1/halls/h1/floor")).json()
    assert not [a for a in floor["alarms"] if a["kind"] == "eta_drift"]

    await wait_and_call(hall, minutes)
    status, body = await accuracy(hall)
    assert status == 200
    assert body["overall"]["count"] == 20
    assert body["overall"]["coverage90"] == 0.0
    assert body["overall"]["drifting"] is True
    assert body["overall"]["reason"] == "only 0% of waits inside the range"
    floor = await (await hall.get("manager", "/api/v1/halls/h1/floor")).json()
    drift = [a for a in floor["alarms"] if a["kind"] == "eta_drift"]
    assert len(drift) == 1
    assert drift[0]["service_id"] == "s-b"
    assert "等候预估失准" in drift[0]["text"]
    assert "20 张" in drift[0]["text"]

"""好差评 over HTTP: who may rate what, once, bad-review alerts and the CSV export."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.screens.conftest import Hall, MakeHall


async def counter_token(hall: Hall, window: str = "w1") -> str:
    response = await hall.post("manager", f"/api/v1/windows/{window}/devices", {"role": "counter"})
    assert response.status == 201, await response.text()
    token: str = (await response.json())["token"]
    return token


async def finished_ticket(hall: Hall, window: str = "w1") -> dict[str, Any]:
    await hall.issue()
    ticket = await hall.call_next(window)
    assert ticket is not None
    response = await hall.post("manager", f"/api/v1/windows/{window}/finish")
    assert response.status == 200
    return ticket


async def rate(hall: Hall, ticket_id: str, token: str | None, **body: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await hall.client.post(
        f"/api/v1/tickets/{ticket_id}/evaluation", json=body, headers=headers
    )


async def test_window_tablet_rates_the_ticket_it_just_finished_once(hall: Hall) -> None:
    token = await counter_token(hall)
    ticket = await finished_ticket(hall)
    prompt = await hall.client.get(
        "/api/v1/windows/w1/evaluation", headers={"Authorization": f"Bearer {token}"}
    )
    assert (await prompt.json())["ticket"]["number"] == ticket["number"]
    response = await rate(hall, ticket["id"], token, level=5, tags=["efficiency.fast"])
    assert response.status == 201, await response.text()
    body = await response.json()
    assert body["follow_up"] is False
    again = await rate(hall, ticket["id"], token, level=1)
    assert again.status == 409
    assert (await again.json())["error"]["code"] == "already_evaluated"
    prompt = await hall.client.get(
        "/api/v1/windows/w1/evaluation", headers={"Authorization": f"Bearer {token}"}
    )
    assert (await prompt.json())["ticket"] is None


async def test_only_a_finished_ticket_can_be_rated(hall: Hall) -> None:
    token = await counter_token(hall)
    await hall.issue()
    ticket = await hall.call_next("w1")
    assert ticket
    response = await rate(hall, ticket["id"], token, level=4)
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "not_finished"


async def test_a_tablet_cannot_rate_other_windows_or_older_tickets(hall: Hall) -> None:
    token = await counter_token(hall, "w1")
    other = await finished_ticket(hall, "w2")
    assert (await rate(hall, other["id"], token, level=5)).status == 403
    older = await finished_ticket(hall, "w1")
    await finished_ticket(hall, "w1")
    assert (await rate(hall, older["id"], token, level=5)).status == 403


async def test_the_time_to_rate_at_the_counter_is_limited(hall: Hall) -> None:
    token = await counter_token(hall)
    ticket = await finished_ticket(hall)
    hall.clock.advance(11)
    response = await rate(hall, ticket["id"], token, level=5)
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "evaluation_closed"


async def test_staff_anonymous_and_other_devices_cannot_rate(hall: Hall) -> None:
    ticket = await finished_ticket(hall)
    assert (await rate(hall, ticket["id"], None, level=5)).status == 401
    manager = await hall.token("clerk1")
    assert (await rate(hall, ticket["id"], manager, level=5)).status == 403
    kiosk = await hall.kiosk_token()
    assert (await rate(hall, ticket["id"], kiosk, level=5)).status == 403
    hall_counter = await hall.post("manager", "/api/v1/halls/h1/devices", {"role": "counter"})
    unbound = (await hall_counter.json())["token"]
    assert (await rate(hall, ticket["id"], unbound, level=5)).status == 403


async def test_the_track_token_rates_its_own_ticket(hall: Hall) -> None:
    ticket = await finished_ticket(hall)
    wrong = await rate(hall, ticket["id"], None, level=4, track_token="not-the-token")
    assert wrong.status == 404
    hall.clock.advance(60 * 24)
    response = await rate(hall, ticket["id"], None, level=4, track_token=ticket["track_token"])
    assert response.status == 201, await response.text()


async def test_a_bad_review_raises_an_alert_with_deadlines(make_hall: MakeHall) -> None:
    hall = await make_hall(extra={"evaluations": {"callback_days": 1, "rectify_days": 7}})
    token = await counter_token(hall)
    ticket = await finished_ticket(hall)
    response = await rate(
        hall, ticket["id"], token, level=2, tags=["attitude.poor"], comment="电话 13800138000"
    )
    assert response.status == 201
    assert (await response.json())["follow_up"] is True
    clerk_view = await hall.get("clerk1", "/api/v1/halls/h1/evaluation-alerts")
    assert clerk_view.status == 403
    alerts = (await (await hall.get("manager", "/api/v1/halls/h1/evaluation-alerts")).json())[
        "alerts"
    ]
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert["number"] == ticket["number"]
    assert alert["level_name"] == "不满意"
    assert alert["comment"] == "电话 ***********"
    assert alert["callback_due"] == "2026-11-24T02:00:00.000000Z"
    assert alert["rectify_due"] == "2026-11-30T02:00:00.000000Z"
    hall.clock.advance(60 * 24 * 8)
    hall.tokens.clear()
    alerts = (await (await hall.get("manager", "/api/v1/halls/h1/evaluation-alerts")).json())[
        "alerts"
    ]
    assert alerts[0]["overdue"] is True
    closed = await hall.post(
        "manager", f"/api/v1/evaluation-alerts/{alert['id']}/close", {"note": "已回访并整改"}
    )
    assert closed.status == 200
    again = await hall.post("manager", f"/api/v1/evaluation-alerts/{alert['id']}/close", {})
    assert again.status == 409
    still_open = await hall.get("manager", "/api/v1/halls/h1/evaluation-alerts?status=open")
    assert (await still_open.json())["alerts"] == []


async def test_good_levels_raise_no_alert_and_tags_must_fit_the_level(hall: Hall) -> None:
    token = await counter_token(hall)
    ticket = await finished_ticket(hall)
    mismatch = await rate(hall, ticket["id"], token, level=5, tags=["attitude.poor"])
    assert mismatch.status == 422
    assert (await rate(hall, ticket["id"], token, level=3)).status == 201
    alerts = await hall.get("manager", "/api/v1/halls/h1/evaluation-alerts")
    assert (await alerts.json())["alerts"] == []


async def test_csv_export_has_the_national_fields_and_no_personal_data(hall: Hall) -> None:
    token = await counter_token(hall)
    await hall.issue("s-a", id_number="11010519491231002X")
    ticket = await hall.call_next("w1")
    assert ticket
    await hall.post("manager", "/api/v1/windows/w1/finish")
    await rate(
        hall,
        ticket["id"],
        token,
        level=1,
        tags=["overall.not_done", "efficiency.slow"],
        comment="=cmd",
        source="keypad",
    )
    hall.clock.advance(1)
    qr = await finished_ticket(hall, "w2")
    await rate(hall, qr["id"], None, level=5, track_token=qr["track_token"])
    assert (await hall.get("clerk1", "/api/v1/halls/h1/evaluations.csv")).status == 403
    response = await hall.get("manager", "/api/v1/halls/h1/evaluations.csv")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    text = await response.text()
    assert "110105" not in text and "002X" not in text
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 2
    bad, good = rows
    assert bad["projectNo"] == ticket["id"]
    assert bad["ticketNumber"] == ticket["number"]
    assert bad["taskCode"] == "330100-001"
    assert bad["pf"] == "5"
    assert bad["satisfaction"] == "1"
    assert bad["satisfactionName"] == "非常不满意"
    assert bad["evalDetail"] == "overall.not_done|efficiency.slow"
    assert bad["writingEvaluation"] == "'=cmd"
    assert bad["windowNumber"] == "1"
    assert bad["assessNumber"] == "1"
    assert bad["isDefault"] == "0"
    assert bad["rectification"] == "open"
    assert good["pf"] == "3"
    assert good["windowNumber"] == "2"
    empty = await hall.get("manager", "/api/v1/halls/h1/evaluations.csv?from=2030-01-01")
    assert len((await empty.text()).strip().splitlines()) == 1
    bad_day = await hall.get("manager", "/api/v1/halls/h1/evaluations.csv?from=yesterday")
    assert bad_day.status == 422


async def test_vocabulary_lists_the_five_levels(hall: Hall) -> None:
    body = await (await hall.client.get("/api/v1/evaluations/vocabulary")).json()
    assert [lvl["name"] for lvl in body["levels"]] == [
        "非常满意",
        "满意",
        "基本满意",
        "不满意",
        "非常不满意",
    ]

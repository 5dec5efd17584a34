"""Manager endpoints over HTTP: each change applies to the next call; auth, errors, reports."""

from __future__ import annotations

import copy
import csv
import io
import json

from queue_server.service.stats import REPORT_COLUMNS
from tests.consoles.conftest import console_site
from tests.consoles.helpers import VALID_ID, error, ok, send
from tests.queue_server.conftest import Hall, MakeHall
from tests.queue_server.site import PASSWORD

H = "/api/v1/halls/h1"


async def call_next(hall: Hall, who: str = "clerk1", window: str = "w1") -> str:
    return str(
        (await ok(hall, who, "POST", f"/api/v1/windows/{window}/call-next"))["ticket"]["number"]
    )


async def test_a_profile_change_changes_which_ticket_the_window_gets(hall: Hall) -> None:
    await hall.issue("s-a")
    hall.clock.advance(2)
    await hall.issue("s-b")
    await ok(hall, "manager", "PUT", "/api/v1/windows/w1/profile", {"services": {"s-b": 1}})
    assert await call_next(hall) == "B001"
    await ok(hall, "manager", "PUT", "/api/v1/windows/w1/profile", {"services": {"s-a": 1}})
    assert await call_next(hall) == "A001"
    log = (await ok(hall, "manager", "GET", f"{H}/audit"))["audit"]
    assert [a["action"] for a in log].count("window.profile") == 2


async def test_a_policy_change_changes_the_order(hall: Hall) -> None:
    await hall.issue("s-a")
    hall.clock.advance(10)
    await ok(
        hall,
        "desk",
        "POST",
        f"{H}/help-desk/tickets",
        {"service_id": "s-b", "green": True, "green_reason": "elderly"},
    )
    queue = await ok(hall, "clerk1", "GET", "/api/v1/windows/w1/console")
    assert [t["number"] for t in queue["queue"]] == ["B001", "A001"]
    assert queue["queue"][0]["score"] == 30.0
    changed = await ok(hall, "manager", "PUT", f"{H}/rules", {"policy": {"green_bonus": 5}})
    assert changed["rules"]["policy"]["green_bonus"] == 5
    queue = await ok(hall, "clerk1", "GET", "/api/v1/windows/w1/console")
    assert [t["number"] for t in queue["queue"]] == ["A001", "B001"]
    assert await call_next(hall) == "A001"
    log = (await ok(hall, "manager", "GET", f"{H}/audit"))["audit"]
    rules = next(a for a in log if a["action"] == "hall.rules")
    assert rules["detail"]["before"]["policy"]["green_bonus"] == 30
    assert rules["detail"]["after"]["policy"]["green_bonus"] == 5


async def test_recall_limit_and_no_show_policy_apply_to_the_next_call(hall: Hall) -> None:
    for _ in range(3):
        await hall.issue("s-a")
        hall.clock.advance(1)
    await ok(
        hall,
        "manager",
        "PUT",
        f"{H}/rules",
        {"policy": {"recall_limit": 1, "no_show": {"mode": "requeue", "requeue_behind": 1}}},
    )
    assert await call_next(hall) == "A001"
    await ok(hall, "clerk1", "POST", "/api/v1/windows/w1/recall")
    code = await error(hall, "clerk1", "POST", "/api/v1/windows/w1/recall", {}, 409)
    assert code == "recall_limit_reached"
    assert (await ok(hall, "clerk1", "GET", "/api/v1/windows/w1/console"))["recall_limit"] == 1
    await ok(hall, "clerk1", "POST", "/api/v1/windows/w1/no-show")
    state = await ok(hall, "clerk1", "GET", "/api/v1/windows/w1/console")
    assert [t["number"] for t in state["queue"]] == ["A002", "A001", "A003"]


async def test_quotas_hours_and_alarm_thresholds(hall: Hall) -> None:
    await ok(
        hall,
        "manager",
        "PUT",
        "/api/v1/services/s-a/rules",
        {"daily_quota": 1, "long_wait_minutes": 5},
    )
    await hall.issue("s-a")
    response = await send(hall, "kiosk", "POST", f"{H}/tickets", {"service_id": "s-a"})
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "quota_reached"
    hall.clock.advance(6)
    floor = await ok(hall, "manager", "GET", f"{H}/floor")
    service_a = next(s for s in floor["services"] if s["id"] == "s-a")
    assert service_a["quota_left"] == 0
    assert service_a["long_wait_minutes"] == 5
    assert service_a["over_threshold"] == 1
    assert any(a["kind"] == "long_wait" and a["service_id"] == "s-a" for a in floor["alarms"])
    # Monday 10:06 in Shanghai: closing at 10:30 with a 45-minute cut-off stops issuing
    await ok(
        hall,
        "manager",
        "PUT",
        f"{H}/schedule",
        {"weekly": {"mon": [["08:00", "10:30"]]}, "issuing_cutoff_minutes": 45},
    )
    response = await send(hall, "kiosk", "POST", f"{H}/tickets", {"service_id": "s-b"})
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "outside_issuing_hours"
    settings = await ok(hall, "manager", "GET", f"{H}/settings")
    assert settings["schedule"]["weekly"]["mon"] == [["08:00", "10:30"]]
    assert settings["services"][0]["daily_quota"] == 1


async def test_clerks_and_devices_cannot_use_manager_endpoints(hall: Hall) -> None:
    calls = [
        ("GET", f"{H}/floor", None),
        ("GET", f"{H}/settings", None),
        ("PUT", f"{H}/rules", {"long_wait_minutes": 10}),
        ("PUT", f"{H}/schedule", {"issuing_cutoff_minutes": 5}),
        ("PUT", "/api/v1/services/s-a/rules", {"daily_quota": 5}),
        ("GET", f"{H}/staff", None),
        ("POST", f"{H}/staff", {"username": "x1", "password": "12345678"}),
        ("PUT", f"{H}/staff/clerk2", {"permissions": ["call_out_of_order"]}),
        ("POST", f"{H}/staff/clerk2/password", {"password": "12345678"}),
        ("GET", f"{H}/stats/today", None),
        ("GET", f"{H}/report.csv", None),
        ("GET", f"{H}/audit", None),
    ]
    for method, path, body in calls:
        assert await error(hall, "clerk1", method, path, body, 403) == "forbidden", path
        assert await error(hall, "kiosk", method, path, body, 403) == "forbidden", path
        assert (await send(hall, "token:bad", method, path, body)).status == 401


async def test_bad_input_gets_json_errors(hall: Hall) -> None:
    bad = [
        ("PUT", f"{H}/rules", {"policy": {"recall_limit": -1}}),
        ("PUT", f"{H}/rules", {"policy": {"no_show": {"mode": "maybe"}}}),
        ("PUT", f"{H}/rules", {"surprise": 1}),
        ("PUT", "/api/v1/services/s-a/rules", {"slot_quotas": [{"start": "25:00"}]}),
        (
            "PUT",
            "/api/v1/services/s-a/rules",
            {"slot_quotas": [{"start": "12:00", "end": "08:00", "limit": 3}]},
        ),
        ("PUT", f"{H}/schedule", {"weekly": {"mon": [["10:00", "09:00"]]}}),
        ("POST", f"{H}/staff", {"username": "a b", "password": "12345678"}),
        ("POST", f"{H}/staff", {"username": "newbie", "password": "short"}),
        ("PUT", f"{H}/staff/clerk2", {"permissions": ["fly"]}),
        ("POST", f"{H}/help-desk/lookup", {"id_number": VALID_ID, "number": "A001"}),
    ]
    for method, path, body in bad:
        assert await error(hall, "manager", method, path, body, 422) == "invalid_request", body
    assert await error(hall, "manager", "GET", f"{H}/audit?limit=0", None, 422)
    assert await error(hall, "manager", "GET", f"{H}/stats/today?day=yesterday", None, 422)
    assert await error(hall, "manager", "PUT", "/api/v1/services/nope/rules", {}, 404)
    response = await hall.client.put(
        f"{H}/rules",
        data=b"{not json",
        headers={"Authorization": f"Bearer {await hall.token('manager')}"},
    )
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "malformed_json"


async def test_staff_are_added_reset_and_never_show_hashes(hall: Hall) -> None:
    added = await ok(
        hall,
        "manager",
        "POST",
        f"{H}/staff",
        {"username": "clerk9", "password": "first-password", "display_name": "张三"},
    )
    assert added["staff"] == {
        "username": "clerk9",
        "display_name": "张三",
        "role": "clerk",
        "halls": ["h1"],
        "window_id": None,
        "active": True,
        "permissions": [],
    }
    code = await error(
        hall, "manager", "POST", f"{H}/staff", {"username": "clerk9", "password": "12345678"}, 409
    )
    assert code == "username_taken"
    await ok(hall, "manager", "PUT", f"{H}/staff/clerk9", {"window_id": "w3"})
    login = await hall.client.post(
        "/api/v1/auth/login", json={"username": "clerk9", "password": "first-password"}
    )
    old_token = (await login.json())["token"]
    assert (await login.json())["window_id"] == "w3"
    await ok(hall, "manager", "POST", f"{H}/staff/clerk9/password", {"password": "second-password"})
    assert (
        await send(hall, f"token:{old_token}", "GET", "/api/v1/windows/w3/console")
    ).status == 401
    login = await hall.client.post(
        "/api/v1/auth/login", json={"username": "clerk9", "password": "second-password"}
    )
    assert login.status == 200
    listed = await ok(hall, "manager", "GET", f"{H}/staff")
    assert "password_hash" not in json.dumps(listed)
    assert {m["username"] for m in listed["staff"]} >= {"manager", "clerk1", "clerk9"}
    assert await error(hall, "manager", "PUT", f"{H}/staff/manager", {"active": False}, 403)
    assert await error(hall, "manager", "PUT", f"{H}/staff/ghost", {"active": False}, 404)
    code = await error(hall, "manager", "PUT", f"{H}/staff/clerk9", {"window_id": "w99"}, 422)
    assert code == "invalid_request"
    actions = [a["action"] for a in (await ok(hall, "manager", "GET", f"{H}/audit"))["audit"]]
    assert {"staff.added", "staff.updated", "staff.password_reset"} <= set(actions)
    assert "second-password" not in json.dumps(actions)


async def test_today_figures_and_the_csv_day_report(hall: Hall) -> None:
    await hall.issue("s-a", id_number=VALID_ID)
    await hall.issue("s-b")
    await hall.issue("s-b")
    hall.clock.advance(7)
    assert await call_next(hall) == "A001"
    hall.clock.advance(1)
    await ok(hall, "clerk1", "POST", "/api/v1/windows/w1/start")
    hall.clock.advance(4)
    await ok(hall, "clerk1", "POST", "/api/v1/windows/w1/finish")
    assert await call_next(hall, "clerk2", "w2") == "B001"
    await ok(hall, "clerk2", "POST", "/api/v1/windows/w2/no-show")
    stats = await ok(hall, "manager", "GET", f"{H}/stats/today")
    assert stats["issued"] == 3
    assert stats["per_hour"] == [{"hour": "10", "by_service": {"s-a": 1, "s-b": 2}}]
    assert stats["no_show_rate"] == 0.5
    assert stats["service_time_per_window"] == [{"window": 1, "served": 1, "mean_minutes": 4.0}]
    assert sum(b["count"] for b in stats["wait_distribution"]) == 2
    assert stats["wait_distribution"][1] == {"label": "5-10", "count": 1}
    assert stats["wait_distribution"][2] == {"label": "10-15", "count": 1}

    response = await send(hall, "manager", "GET", f"{H}/report.csv")
    assert response.status == 200
    assert response.content_type == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = (await response.read()).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == REPORT_COLUMNS
    assert [r["number"] for r in rows] == ["A001", "B001", "B002"]
    first = rows[0]
    assert first["status"] == "done"
    assert first["window"] == "1"
    assert first["issued_at"] == "10:00:00"
    assert first["wait_minutes"] == "7.0"
    assert first["service_minutes"] == "4.0"
    assert first["service_code"] == "330100-001"
    assert rows[1]["status"] == "no_show"
    assert VALID_ID[:6] not in text and "*" not in text
    empty = await send(hall, "manager", "GET", f"{H}/report.csv?day=2020-01-01")
    assert (await empty.read()).decode("utf-8-sig").strip() == ",".join(REPORT_COLUMNS)


async def test_a_manager_steers_only_the_halls_they_manage(make_hall: MakeHall) -> None:
    site = console_site()
    second = copy.deepcopy(site["halls"][0])
    second["id"] = "h2"
    second["name"] = "第二大厅"
    for service in second["services"]:
        service["id"] = "h2-" + service["id"]
    for window in second["windows"]:
        window["id"] = "h2-" + window["id"]
        window["profile"] = {"h2-s-a": 1, "h2-s-b": 1}
    site["halls"].append(second)
    site["staff"].append(
        {"username": "boss", "password": PASSWORD, "role": "manager", "halls": ["h1", "h2"]}
    )
    hall = await make_hall(site)
    for hall_id in ("h1", "h2"):
        floor = await ok(hall, "boss", "GET", f"/api/v1/halls/{hall_id}/floor")
        assert floor["hall"]["id"] == hall_id
    assert await error(hall, "manager", "GET", "/api/v1/halls/h2/floor", None, 403)
    assert await error(hall, "manager", "PUT", "/api/v1/services/h2-s-a/rules", {}, 403)
    assert await error(
        hall, "manager", "PUT", "/api/v1/windows/h2-w1/profile", {"services": {}}, 403
    )
    await ok(hall, "boss", "PUT", "/api/v1/halls/h2/rules", {"policy": {"recall_limit": 5}})
    h1 = await ok(hall, "boss", "GET", "/api/v1/halls/h1/settings")
    assert h1["rules"]["policy"]["recall_limit"] == 3

"""The console endpoints over HTTP: counter state, help desk, help requests, heartbeats."""

from __future__ import annotations

import json

from tests.consoles.helpers import VALID_ID, error, ok, send
from tests.queue_server.conftest import Hall

W1 = "/api/v1/windows/w1"


async def test_counter_console_shows_current_ticket_materials_and_order(hall: Hall) -> None:
    first = await hall.issue("s-a", id_number=VALID_ID)
    hall.clock.advance(5)
    await hall.issue("s-b")
    state = await ok(hall, "clerk1", "GET", f"{W1}/console")
    assert state["window"]["number"] == 1
    assert {s["id"] for s in state["services"]} == {"s-a", "s-b"}
    assert [t["number"] for t in state["queue"]] == ["A001", "B001"]
    assert all(t["rule"] == "score" and t["score"] is not None for t in state["queue"])
    assert state["recall_limit"] == 3
    assert state["can_call_out_of_order"] is False
    await ok(hall, "clerk1", "POST", f"{W1}/call-next")
    state = await ok(hall, "clerk1", "GET", f"{W1}/console")
    current = state["current"]
    assert current["id"] == first["id"]
    assert current["service_name"] == "不动产登记"
    assert current["id_masked"].startswith("110105") and "*" in current["id_masked"]
    assert VALID_ID not in json.dumps(state)
    assert current["waited_minutes"] == 5.0
    assert [m["zh"] for m in current["materials"]] == ["身份证原件", "不动产权证书"]
    assert [t["number"] for t in state["queue"]] == ["B001"]


async def test_console_is_only_for_the_clerks_own_window(hall: Hall) -> None:
    assert await error(hall, "clerk2", "GET", f"{W1}/console", None, 403) == "forbidden"
    assert await error(hall, "kiosk", "GET", f"{W1}/console", None, 403) == "forbidden"
    assert (await send(hall, "token:nope", "GET", f"{W1}/console")).status == 401
    await ok(hall, "manager", "GET", f"{W1}/console")


async def test_out_of_order_calls_need_a_granted_permission(hall: Hall) -> None:
    await hall.issue("s-a")
    hall.clock.advance(1)
    second = await hall.issue("s-b")
    body = {"ticket_id": second["id"]}
    assert await error(hall, "clerk1", "POST", f"{W1}/call", body, 403) == "forbidden"
    granted = await ok(
        hall,
        "manager",
        "PUT",
        "/api/v1/halls/h1/staff/clerk1",
        {"permissions": ["call_out_of_order"]},
    )
    assert granted["staff"]["permissions"] == ["call_out_of_order"]
    state = await ok(hall, "clerk1", "GET", f"{W1}/console")
    assert state["can_call_out_of_order"] is True
    called = await ok(hall, "clerk1", "POST", f"{W1}/call", body)
    assert called["ticket"]["number"] == "B001"
    assert called["ticket"]["call_rule"] == "manual"
    log = (await ok(hall, "manager", "GET", "/api/v1/halls/h1/audit"))["audit"]
    actions = [(a["action"], a["actor"]) for a in log]
    assert ("ticket.call_specific", "clerk1") in actions
    assert ("staff.updated", "manager") in actions
    # the other clerk still may not
    third = await hall.issue("s-a")
    err = await error(
        hall, "clerk2", "POST", "/api/v1/windows/w2/call", {"ticket_id": third["id"]}, 403
    )
    assert err == "forbidden"


async def test_help_desk_issues_without_id_for_a_proxy_and_green(hall: Hall) -> None:
    plain = await ok(
        hall, "clerk3", "POST", "/api/v1/halls/h1/help-desk/tickets", {"service_id": "s-a"}
    )
    assert plain["ticket"]["channel"] == "help_desk"
    assert plain["ticket"]["class"] == "normal"
    proxy = await ok(
        hall,
        "clerk3",
        "POST",
        "/api/v1/halls/h1/help-desk/tickets",
        {"service_id": "s-a", "proxy": True, "id_number": VALID_ID},
    )
    assert "proxy" in proxy["ticket"]["flags"]
    code = await error(
        hall,
        "clerk3",
        "POST",
        "/api/v1/halls/h1/help-desk/tickets",
        {"service_id": "s-b", "green": True},
        422,
    )
    assert code == "green_reason_required"
    green = await ok(
        hall,
        "clerk3",
        "POST",
        "/api/v1/halls/h1/help-desk/tickets",
        {"service_id": "s-b", "green": True, "green_reason": "disabled"},
    )
    assert green["ticket"]["class"] == "green"
    log = (await ok(hall, "manager", "GET", "/api/v1/halls/h1/audit"))["audit"]
    issued = [a["detail"] for a in log if a["action"] == "help_desk.issued"]
    assert {d["green_reason"] for d in issued} == {None, "disabled"}
    assert VALID_ID not in json.dumps(log)
    # a kiosk cannot use the help desk
    code = await error(
        hall, "kiosk", "POST", "/api/v1/halls/h1/help-desk/tickets", {"service_id": "s-a"}, 403
    )
    assert code == "forbidden"
    code = await error(
        hall, "clerk3", "POST", "/api/v1/halls/h1/help-desk/tickets", {"service_id": "x"}, 422
    )
    assert code == "invalid_request"


async def test_lost_ticket_is_found_and_reprinted(hall: Hall) -> None:
    issued = await hall.issue("s-a", id_number=VALID_ID)
    again = await send(
        hall,
        "clerk3",
        "POST",
        "/api/v1/halls/h1/help-desk/tickets",
        {"service_id": "s-a", "id_number": VALID_ID},
    )
    assert again.status == 409
    assert (await again.json())["error"]["ticket"]["number"] == issued["number"]
    by_id = await ok(
        hall, "clerk3", "POST", "/api/v1/halls/h1/help-desk/lookup", {"id_number": VALID_ID}
    )
    assert [t["number"] for t in by_id["tickets"]] == ["A001"]
    by_number = await ok(
        hall, "clerk3", "POST", "/api/v1/halls/h1/help-desk/lookup", {"number": "a001"}
    )
    assert [t["id"] for t in by_number["tickets"]] == [issued["id"]]
    slip = await ok(hall, "clerk3", "POST", f"/api/v1/tickets/{issued['id']}/reprint")
    assert slip["ticket"]["number"] == "A001"
    assert slip["ticket"]["people_ahead"] == 0
    assert "id_masked" not in slip["ticket"]
    code = await error(
        hall, "clerk3", "POST", "/api/v1/halls/h1/help-desk/lookup", {"id_number": "123"}, 422
    )
    assert code == "invalid_id_number"
    code = await error(hall, "clerk3", "POST", "/api/v1/halls/h1/help-desk/lookup", {}, 422)
    assert code == "invalid_request"


async def test_kiosk_help_requests_flow(hall: Hall) -> None:
    created = await ok(
        hall, "kiosk", "POST", "/api/v1/halls/h1/help-requests", {"kind": "no_id_card"}
    )
    request = created["help_request"]
    assert request["status"] == "open"
    again = await ok(hall, "kiosk", "POST", "/api/v1/halls/h1/help-requests", {})
    assert again["help_request"]["id"] == request["id"]
    code = await error(hall, "clerk1", "POST", "/api/v1/halls/h1/help-requests", {}, 403)
    assert code == "forbidden"
    listed = await ok(hall, "clerk3", "GET", "/api/v1/halls/h1/help-requests")
    assert [r["id"] for r in listed["help_requests"]] == [request["id"]]
    floor = await ok(hall, "manager", "GET", "/api/v1/halls/h1/floor")
    assert any(a["kind"] == "help_request" for a in floor["alarms"])
    path = f"/api/v1/help-requests/{request['id']}"
    acked = await ok(hall, "clerk3", "POST", f"{path}/acknowledge")
    assert acked["help_request"]["acknowledged_by"] == "clerk3"
    assert await error(hall, "clerk3", "POST", f"{path}/acknowledge", {}, 409)
    done = await ok(hall, "manager", "POST", f"{path}/resolve")
    assert done["help_request"]["status"] == "resolved"
    assert await error(hall, "clerk3", "POST", f"{path}/resolve", {}, 409) == "already_resolved"
    listed = await ok(hall, "clerk3", "GET", "/api/v1/halls/h1/help-requests")
    assert listed["help_requests"] == []
    everything = await ok(hall, "clerk3", "GET", "/api/v1/halls/h1/help-requests?all=1")
    assert len(everything["help_requests"]) == 1
    code = await error(hall, "kiosk", "POST", "/api/v1/halls/h1/help-requests", {"kind": 1}, 422)
    assert code == "invalid_request"
    assert await error(hall, "clerk3", "POST", "/api/v1/help-requests/zz/resolve", {}, 404)


async def test_heartbeats_store_health_and_emit_changes_only(hall: Hall) -> None:
    kiosk = await hall.kiosk_token()
    beat = {
        "devices": [{"kind": "printer", "status": "ok"}, {"kind": "card_reader", "status": "ok"}]
    }
    first = await ok(hall, f"token:{kiosk}", "POST", "/api/v1/devices/heartbeat", beat)
    assert first["changed"] == 2
    same = await ok(hall, f"token:{kiosk}", "POST", "/api/v1/devices/heartbeat", beat)
    assert same["changed"] == 0
    fault = {"devices": [{"kind": "printer", "status": "fault", "detail": "paper_out"}]}
    changed = await ok(hall, f"token:{kiosk}", "POST", "/api/v1/devices/heartbeat", fault)
    assert changed["changed"] == 1
    floor = await ok(hall, "manager", "GET", "/api/v1/halls/h1/floor")
    device = next(d for d in floor["devices"] if d["role"] == "kiosk")
    assert device["health"] == "fault"
    assert device["last_heartbeat_at"] is not None
    assert any(a["kind"] == "device" and "paper_out" in a["text"] for a in floor["alarms"])
    listed = await ok(hall, "manager", "GET", "/api/v1/halls/h1/devices")
    assert listed["devices"][0]["last_seen_at"] is not None
    hall.clock.advance(10)
    floor = await ok(hall, "manager", "GET", "/api/v1/halls/h1/floor")
    assert next(d for d in floor["devices"] if d["role"] == "kiosk")["health"] == "offline"
    code = await error(hall, "manager", "POST", "/api/v1/devices/heartbeat", beat, 403)
    assert code == "forbidden"
    bad = {"devices": [{"kind": "printer", "status": "on fire"}]}
    code = await error(hall, f"token:{kiosk}", "POST", "/api/v1/devices/heartbeat", bad, 422)
    assert code == "invalid_request"
    # the health events carry no personal data and name the part
    response = await hall.client.get(
        "/api/v1/halls/h1/events", headers={"Last-Event-ID": "0"}, timeout=None
    )
    text = ""
    async for chunk in response.content.iter_any():
        text += chunk.decode()
        if text.count("event: device.health") >= 3:
            break
    response.close()
    assert text.count("event: device.health") == 3
    assert "paper_out" in text


async def test_transfer_to_a_window_shows_as_pinned_there(hall: Hall) -> None:
    await hall.issue("s-a")
    hall.clock.advance(3)
    await hall.issue("s-b")
    called = await ok(hall, "clerk1", "POST", f"{W1}/call-next")
    assert called["ticket"]["number"] == "A001"
    targets = (await ok(hall, "clerk1", "GET", f"{W1}/console"))["transfer_targets"]
    assert [w["id"] for w in targets["windows"]] == ["w2", "w3"]
    await ok(hall, "clerk1", "POST", f"{W1}/transfer", {"window_id": "w3"})
    three = await ok(hall, "clerk3", "GET", "/api/v1/windows/w3/console")
    assert [(t["number"], t["rule"]) for t in three["queue"]] == [
        ("A001", "pinned"),
        ("B001", "score"),
    ]
    assert three["queue"][0]["waited_minutes"] == 3.0
    two = await ok(hall, "clerk2", "GET", "/api/v1/windows/w2/console")
    assert [t["number"] for t in two["queue"]] == ["B001"]


async def test_no_personal_data_leaves_the_staff_views(hall: Hall) -> None:
    issued = await ok(
        hall,
        "desk",
        "POST",
        "/api/v1/halls/h1/help-desk/tickets",
        {"service_id": "s-a", "id_number": VALID_ID, "green": True, "green_reason": "ill"},
    )
    assert VALID_ID not in json.dumps(issued)
    await ok(hall, "kiosk", "POST", "/api/v1/halls/h1/help-requests", {"message": "轮椅"})
    await ok(hall, "manager", "PUT", "/api/v1/halls/h1/rules", {"long_wait_minutes": 20})
    # the public event stream: numbers and windows, never the ID or the green-channel reason
    response = await hall.client.get(
        "/api/v1/halls/h1/events", headers={"Last-Event-ID": "0"}, timeout=None
    )
    text = ""
    async for chunk in response.content.iter_any():
        text += chunk.decode()
        if "settings.changed" in text:
            break
    response.close()
    assert "ticket.issued" in text and "help.requested" in text
    assert VALID_ID not in text and VALID_ID[:6] not in text
    assert '"ill"' not in text
    floor = await ok(hall, "manager", "GET", "/api/v1/halls/h1/floor")
    assert VALID_ID[:6] not in json.dumps(floor)
    # the kiosk may not read staff views
    assert await error(hall, "kiosk", "GET", "/api/v1/halls/h1/help-requests", None, 403)
    assert await error(
        hall, "kiosk", "POST", "/api/v1/halls/h1/help-desk/lookup", {"number": "A001"}, 403
    )

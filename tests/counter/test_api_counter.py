"""The counter agent's server side: a window-bound counter token acts for the signed-in clerk."""

from __future__ import annotations

from typing import Any

from tests.counter.conftest import Hall

W1 = "/api/v1/windows/w1"


async def counter_token(hall: Hall, window: str = "w1") -> str:
    response = await hall.post(
        "manager", f"/api/v1/windows/{window}/devices", {"role": "counter", "label": "caller 1"}
    )
    assert response.status == 201, await response.text()
    token: str = (await response.json())["token"]
    return token


async def press(hall: Hall, token: str, action: str, window: str = "w1", **extra: Any) -> Any:
    return await hall.client.post(
        f"/api/v1/windows/{window}/counter/actions",
        json={"action": action, **extra},
        headers={"Authorization": f"Bearer {token}"},
    )


async def state(hall: Hall, token: str, window: str = "w1") -> dict[str, Any]:
    response = await hall.client.get(
        f"/api/v1/windows/{window}/counter", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def sign_in(hall: Hall, clerk: str = "clerk1", window: str = "w1") -> None:
    """A clerk signs in at a window by opening it from the console."""
    for move in ("close", "open"):
        response = await hall.post(clerk, f"/api/v1/windows/{window}/{move}", {"confirm": True})
        assert response.status == 200, await response.text()


async def test_keys_are_refused_until_a_clerk_signs_in(hall: Hall) -> None:
    token = await counter_token(hall)
    before = await state(hall, token)
    assert before["clerk"] is None
    refused = await press(hall, token, "call_next")
    assert refused.status == 409
    assert (await refused.json())["error"]["code"] == "no_clerk"

    await sign_in(hall)
    await hall.issue()
    await hall.issue()
    after = await state(hall, token)
    assert after["clerk"] == {"staff_number": "clerk1", "can_call_out_of_order": False}
    assert after["waiting"] == 2

    called = await press(hall, token, "call_next")
    assert called.status == 200, await called.text()
    body = await called.json()
    assert body["ticket"]["number"] == "B001"
    assert body["counter"]["waiting"] == 1
    assert body["counter"]["led"]["text"] == "请B001号到1号窗口办理"


async def test_actions_follow_the_clerks_rules_and_are_audited_with_the_device(hall: Hall) -> None:
    token = await counter_token(hall)
    await sign_in(hall)
    await hall.issue()
    await press(hall, token, "call_next")
    for action, status in (("recall", "called"), ("start", "serving"), ("finish", "done")):
        response = await press(hall, token, action)
        assert response.status == 200, await response.text()
        assert (await response.json())["ticket"]["status"] == status
    twice = await press(hall, token, "finish")
    assert twice.status == 409

    paused = await press(hall, token, "pause")
    assert (await paused.json())["counter"]["window"]["state"] == "paused"
    assert (await state(hall, token))["led"]["lines"][1] == "暂停服务"
    resumed = await press(hall, token, "resume")
    assert (await resumed.json())["counter"]["window"]["state"] == "open"

    audit = await (await hall.get("manager", "/api/v1/halls/h1/audit")).json()
    finish = next(a for a in audit["audit"] if a["action"] == "counter.finish")
    assert finish["actor"] == "clerk1"
    assert finish["detail"]["device"] == "caller 1"
    assert len(finish["detail"]["device_id"]) == 16


async def test_calling_a_number_needs_the_permission_the_server_grants(hall: Hall) -> None:
    token = await counter_token(hall)
    await sign_in(hall)
    await hall.issue()
    second = await hall.issue()
    refused = await press(hall, token, "call_number", number="2")
    assert refused.status == 403

    grant = await hall.client.put(
        "/api/v1/halls/h1/staff/clerk1",
        json={"permissions": ["call_out_of_order"]},
        headers={"Authorization": f"Bearer {await hall.token('manager')}"},
    )
    assert grant.status == 200, await grant.text()
    called = await press(hall, token, "call_number", number="002")
    assert called.status == 200, await called.text()
    assert (await called.json())["ticket"]["id"] == second["id"]
    missing = await press(hall, token, "call_number", number="77")
    assert missing.status == 404


async def test_only_the_windows_own_counter_device_may_act(hall: Hall) -> None:
    other = await counter_token(hall, "w2")
    await sign_in(hall)
    assert (await press(hall, other, "call_next")).status == 403
    kiosk = await hall.kiosk_token()
    assert (await press(hall, kiosk, "call_next")).status == 403
    unbound = await hall.post("manager", "/api/v1/halls/h1/devices", {"role": "counter"})
    refused = await press(hall, (await unbound.json())["token"], "call_next")
    assert refused.status == 403
    assert "not bound to a window" in (await refused.json())["error"]["message"]
    anonymous = await hall.client.post(f"{W1}/counter/actions", json={"action": "call_next"})
    assert anonymous.status == 401
    clerk = await hall.post("clerk1", f"{W1}/counter/actions", {"action": "call_next"})
    assert clerk.status == 403
    bad = await press(hall, other, "dance", window="w2")
    assert bad.status == 422


async def test_a_held_ticket_is_called_back_by_key(hall: Hall) -> None:
    token = await counter_token(hall)
    await sign_in(hall)
    ticket = await hall.issue()
    await press(hall, token, "call_next")
    held = await press(hall, token, "hold")
    assert (await held.json())["counter"]["held"] == 1
    back = await press(hall, token, "call_back")
    assert (await back.json())["ticket"]["id"] == ticket["id"]
    nothing = await press(hall, token, "call_back")
    assert (await nothing.json())["error"]["code"] in ("nothing_held", "window_busy")

"""The board and window-screen API: public content only, current calls, pairing."""

from __future__ import annotations

import json
from typing import Any

from tests.screens.conftest import Hall

PERSONAL = ("id_number", "id_masked", "id_hash", "id_enc", "track_token", "phone", "name_of")


def assert_public(body: Any) -> None:
    text = json.dumps(body, ensure_ascii=False)
    for key in PERSONAL:
        assert f'"{key}"' not in text, key


async def test_board_shows_latest_calls_waits_windows_and_notices(hall: Hall) -> None:
    for _ in range(4):
        await hall.issue()
    await hall.issue("s-a", id_number="11010519491231002X")
    first = await hall.call_next("w1")
    second = await hall.call_next("w2")
    assert first and second
    await hall.post("manager", "/api/v1/windows/w2/recall")
    await hall.post("manager", "/api/v1/windows/w3/pause", {"confirm": True})
    await hall.post("manager", "/api/v1/halls/h1/notices", {"text": "午间不休", "text_en": "Open"})
    response = await hall.client.get("/api/v1/halls/h1/board")
    assert response.status == 200
    board = await response.json()
    assert_public(board)
    assert board["hall"]["name"] == "测试大厅"
    assert [c["number"] for c in board["calls"]] == [second["number"], first["number"]]
    assert board["calls"][0]["kind"] == "recalled"
    assert board["calls"][0]["window_number"] == 2
    waits = {s["id"]: s["waiting"] for s in board["services"]}
    assert sum(waits.values()) == 3
    windows = {w["id"]: w for w in board["windows"]}
    assert windows["w3"]["state"] == "paused"
    assert windows["w2"]["ticket"]["number"] == second["number"]
    assert windows["w2"]["ticket"]["call_event_id"] == board["calls"][0]["event_id"]
    assert board["notices"][0]["text"] == "午间不休"
    assert board["last_event_id"] >= board["calls"][0]["event_id"]


async def test_board_of_unknown_hall_is_404(hall: Hall) -> None:
    response = await hall.client.get("/api/v1/halls/nope/board")
    assert response.status == 404


async def test_window_screen_states_and_led_lines(hall: Hall) -> None:
    await hall.issue()
    ticket = await hall.call_next("w1")
    assert ticket
    body = await (await hall.client.get("/api/v1/windows/w1/screen")).json()
    assert_public(body)
    assert body["window"]["number"] == 1
    assert body["ticket"]["number"] == ticket["number"]
    assert body["ticket"]["status"] == "called"
    assert body["led"]["text"] == f"请{ticket['number']}号到1号窗口办理"
    assert body["led"]["colour"] == "green"
    await hall.post("manager", "/api/v1/windows/w1/start")
    body = await (await hall.client.get("/api/v1/windows/w1/screen")).json()
    assert body["ticket"]["status"] == "serving"
    await hall.post("manager", "/api/v1/windows/w1/finish")
    await hall.post("manager", "/api/v1/windows/w1/pause", {"confirm": True})
    body = await (await hall.client.get("/api/v1/windows/w1/screen")).json()
    assert body["window"]["state"] == "paused"
    assert body["led"]["colour"] == "yellow"
    assert body["ticket"] is None
    await hall.post("manager", "/api/v1/windows/w1/close", {"confirm": True})
    body = await (await hall.client.get("/api/v1/windows/w1/screen")).json()
    assert body["led"]["lines"] == ["1号窗口", "暂停办理"]
    assert body["clerk"] is None


async def test_window_screen_shows_staff_number_not_name_by_default(hall: Hall) -> None:
    await hall.post("manager", "/api/v1/windows/w1/close", {"confirm": True})
    await hall.post("clerk1", "/api/v1/windows/w1/open", {})
    body = await (await hall.client.get("/api/v1/windows/w1/screen")).json()
    assert body["clerk"] == {"staff_number": "clerk1"}


async def test_pairing_code_gives_a_window_bound_token_once(hall: Hall) -> None:
    response = await hall.post("manager", "/api/v1/windows/w2/pairing-codes", {"role": "counter"})
    assert response.status == 201
    code = (await response.json())["code"]
    assert len(code) == 8
    paired = await hall.client.post("/api/v1/screens/pair", json={"code": code})
    assert paired.status == 201
    body = await paired.json()
    assert body["window_id"] == "w2"
    assert body["role"] == "counter"
    again = await hall.client.post("/api/v1/screens/pair", json={"code": code})
    assert again.status == 404
    prompt = await hall.client.get(
        "/api/v1/windows/w2/evaluation", headers={"Authorization": f"Bearer {body['token']}"}
    )
    assert prompt.status == 200
    other = await hall.client.get(
        "/api/v1/windows/w1/evaluation", headers={"Authorization": f"Bearer {body['token']}"}
    )
    assert other.status == 403


async def test_pairing_code_expires(hall: Hall) -> None:
    response = await hall.post("manager", "/api/v1/windows/w1/pairing-codes", {"role": "screen"})
    code = (await response.json())["code"]
    hall.clock.advance(11)
    paired = await hall.client.post("/api/v1/screens/pair", json={"code": code})
    assert paired.status == 404


async def test_only_managers_bind_devices(hall: Hall) -> None:
    response = await hall.post("clerk1", "/api/v1/windows/w1/devices", {"role": "counter"})
    assert response.status == 403
    response = await hall.client.post("/api/v1/windows/w1/devices", json={"role": "counter"})
    assert response.status == 401

"""The device-offline threshold is a hall setting the manager edits."""

from __future__ import annotations

from typing import Any

from tests.counter.conftest import Hall


async def device_health(hall: Hall) -> str:
    floor = await (await hall.get("manager", "/api/v1/halls/h1/floor")).json()
    device = next(d for d in floor["devices"] if d["role"] == "kiosk")
    health: str = device["health"]
    return health


async def put_rules(hall: Hall, change: dict[str, Any]) -> Any:
    return await hall.client.put(
        "/api/v1/halls/h1/rules",
        json=change,
        headers={"Authorization": f"Bearer {await hall.token('manager')}"},
    )


async def test_a_silent_device_goes_offline_at_the_threshold_the_manager_set(hall: Hall) -> None:
    settings = await (await hall.get("manager", "/api/v1/halls/h1/settings")).json()
    assert settings["rules"]["device_offline_minutes"] == 3.0
    beat = await hall.post("kiosk", "/api/v1/devices/heartbeat", {"devices": []})
    assert beat.status == 200

    hall.clock.advance(2)
    assert await device_health(hall) == "ok"
    saved = await put_rules(hall, {"device_offline_minutes": 1.5})
    assert saved.status == 200, await saved.text()
    assert (await saved.json())["rules"]["device_offline_minutes"] == 1.5
    assert await device_health(hall) == "offline"

    await put_rules(hall, {"device_offline_minutes": 10})
    assert await device_health(hall) == "ok"
    hall.clock.advance(8.5)
    assert await device_health(hall) == "offline"


async def test_a_threshold_out_of_range_is_refused(hall: Hall) -> None:
    for value in (0, 2000, "soon"):
        response = await put_rules(hall, {"device_offline_minutes": value})
        assert response.status == 422
        assert (await response.json())["error"]["code"] == "invalid_request"

"""Small HTTP helpers the console tests share."""

from __future__ import annotations

from typing import Any

from tests.queue_server.conftest import Hall

VALID_ID = "110105199003071239"


async def send(hall: Hall, who: str, method: str, path: str, body: Any = None) -> Any:
    """One request as ``who`` (a username, ``kiosk``, or a raw ``token:...``)."""
    if who.startswith("token:"):
        token = who[6:]
    elif who == "kiosk":
        token = await hall.kiosk_token()
    else:
        token = await hall.token(who)
    headers = {"Authorization": f"Bearer {token}"}
    if body is None:
        return await hall.client.request(method, path, headers=headers)
    return await hall.client.request(method, path, json=body, headers=headers)


async def ok(hall: Hall, who: str, method: str, path: str, body: Any = None) -> Any:
    """A request that must succeed; its JSON."""
    response = await send(hall, who, method, path, body)
    assert response.status in (200, 201), await response.text()
    return await response.json()


async def error(hall: Hall, who: str, method: str, path: str, body: Any, status: int) -> str:
    """A request that must fail with ``status`` and a JSON error; its code."""
    response = await send(hall, who, method, path, body)
    assert response.status == status, await response.text()
    data = await response.json()
    assert set(data) == {"error"}
    return str(data["error"]["code"])

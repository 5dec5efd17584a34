"""Eight windows calling while four kiosks issue: nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from typing import Any

from tests.queue_server.conftest import Hall, MakeHall
from tests.queue_server.site import test_site
from tests.queue_server.sse_client import Message, messages
from tests.queue_server.test_api_tickets import valid_id

TICKETS = 500
KIOSKS = 4
WINDOWS = 8


async def kiosk(
    hall: Hall, token: str, first: int, count: int, issued: list[dict[str, Any]]
) -> None:
    for n in range(first, first + count):
        body: dict[str, Any] = {"service_id": "s-b"}
        if n % 3 == 0:
            body = {"service_id": "s-a", "id_number": valid_id(n)}
        response = await hall.client.post(
            "/api/v1/halls/h1/tickets", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status == 201, await response.text()
        issued.append((await response.json())["ticket"])


async def window(
    hall: Hall, window_id: str, done: asyncio.Event, called: list[tuple[str, str]]
) -> None:
    token = await hall.token("manager")
    while True:
        response = await hall.client.post(
            f"/api/v1/windows/{window_id}/call-next", headers={"Authorization": f"Bearer {token}"}
        )
        if response.status == 204:
            if done.is_set():
                return
            await asyncio.sleep(0.01)
            continue
        assert response.status == 200, await response.text()
        called.append((window_id, (await response.json())["ticket"]["id"]))


async def sse_reader(
    hall: Hall, stop_after: int | None, last_id: int | None, out: list[Message]
) -> None:
    headers = {"Last-Event-ID": str(last_id)} if last_id is not None else {}
    response = await hall.client.get("/api/v1/halls/h1/events", headers=headers)
    async for message in messages(response):
        out.append(message)
        if stop_after is not None and len(out) >= stop_after:
            break
    response.close()


async def test_concurrent_issue_and_call(make_hall: MakeHall) -> None:
    hall = await make_hall(test_site(windows=WINDOWS))
    tokens = []
    for n in range(KIOSKS):
        response = await hall.post(
            "manager", "/api/v1/halls/h1/devices", {"role": "kiosk", "label": f"k{n}"}
        )
        tokens.append((await response.json())["token"])
    first_part: list[Message] = []
    reader = asyncio.create_task(sse_reader(hall, 150, None, first_part))
    await asyncio.sleep(0.2)
    issued: list[dict[str, Any]] = []
    called: list[tuple[str, str]] = []
    done = asyncio.Event()
    windows = [
        asyncio.create_task(window(hall, f"w{n}", done, called)) for n in range(1, WINDOWS + 1)
    ]
    share = TICKETS // KIOSKS
    await asyncio.gather(*(kiosk(hall, t, n * share, share, issued) for n, t in enumerate(tokens)))
    done.set()
    await asyncio.gather(*windows)
    await asyncio.wait_for(reader, 10)

    assert len(issued) == TICKETS
    ids = [t["id"] for t in issued]
    assert len(set(ids)) == TICKETS
    called_ids = [ticket_id for _, ticket_id in called]
    assert sorted(called_ids) == sorted(ids), "every ticket called exactly once"
    by_prefix: dict[str, list[int]] = defaultdict(list)
    for t in issued:
        by_prefix[t["number"][0]].append(int(t["number"][1:]))
    for numbers in by_prefix.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), "unique and gap-free"

    full = await replay_all(hall)
    ids_in_log = [m.id for m in full]
    assert ids_in_log == sorted(set(ids_in_log)), "event ids strictly increasing"
    assert sum(m.event == "ticket.issued" for m in full) == TICKETS
    assert sum(m.event == "ticket.called" for m in full) == TICKETS

    last_seen = first_part[-1].id
    missed = [m for m in full if m.id is not None and last_seen is not None and m.id > last_seen]
    resumed: list[Message] = []
    await asyncio.wait_for(sse_reader(hall, len(missed), last_seen, resumed), 10)
    assert [m.id for m in resumed] == [m.id for m in missed], (
        "the replay returns every missed event"
    )
    assert [m.id for m in first_part + resumed] == [m.id for m in full]


async def replay_all(hall: Hall) -> list[Message]:
    """Every event of the hall so far, by replaying from id 0 until a quiet second."""
    out: list[Message] = []
    response = await hall.client.get("/api/v1/halls/h1/events", headers={"Last-Event-ID": "0"})

    async def read() -> None:
        async for message in messages(response):
            out.append(message)

    task = asyncio.create_task(read())
    size = -1
    while size != len(out):
        size = len(out)
        await asyncio.sleep(0.5)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    response.close()
    return out

"""Acknowledged tickets survive a SIGKILL of the hall server (default ``synchronous=FULL``).

A real ``onevisit serve`` process takes a burst of concurrent ticket issues and is killed
with SIGKILL in the middle of it. After a restart on the same data dir, every ticket that was
acknowledged with 201 must be there exactly once, and the numbers of each service must be
unique and gap-free (1..max), whatever was in flight when the process died.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from queue_server.bench.load_servers import (
    ServerProcess,
    free_port,
    id_number,
    serve_command,
    start_server,
    write_server_config,
)
from tests.queue_server.site import PASSWORD, test_site

ISSUES = 300
PARALLEL = 16
KILL_AFTER = 100
WINDOWS = ("w1", "w2", "w3")
PREFIX = {"s-a": "A", "s-b": "B"}
TIMEOUT = aiohttp.ClientTimeout(total=10)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _login(session: aiohttp.ClientSession, base: str) -> str:
    body = {"username": "manager", "password": PASSWORD}
    async with session.post(f"{base}/api/v1/auth/login", json=body) as response:
        assert response.status == 200, await response.text()
        return str((await response.json())["token"])


async def _kiosk_token(session: aiohttp.ClientSession, base: str, manager: str) -> str:
    async with session.post(
        f"{base}/api/v1/halls/h1/devices", json={"role": "kiosk"}, headers=_auth(manager)
    ) as response:
        assert response.status == 201, await response.text()
        return str((await response.json())["token"])


class Burst:
    """Concurrent issues; SIGKILL the server once ``KILL_AFTER`` of them are acknowledged."""

    def __init__(self, server: ServerProcess, kiosk: str) -> None:
        self.server = server
        self.kiosk = kiosk
        self.acknowledged: list[dict[str, Any]] = []
        self.refused: Counter[int] = Counter()
        self.lost = 0
        self.sent = 0
        self.killed = False

    def body(self, i: int) -> dict[str, Any]:
        if i % 3 == 0:
            return {"service_id": "s-b"}
        return {"service_id": "s-a", "id_number": id_number(i)}

    async def issue(self, session: aiohttp.ClientSession, gate: asyncio.Semaphore, i: int) -> None:
        async with gate:
            if self.killed:
                return
            self.sent += 1
            url = f"{self.server.base_url}/api/v1/halls/h1/tickets"
            try:
                async with session.post(url, json=self.body(i), headers=_auth(self.kiosk)) as r:
                    status = r.status
                    payload = await r.json()
            except (aiohttp.ClientError, TimeoutError):
                self.lost += 1  # outcome unknown: may or may not have been committed
                return
            if status != 201:
                self.refused[status] += 1
                return
            self.acknowledged.append(payload["ticket"])
            if len(self.acknowledged) == KILL_AFTER:
                self.server.kill()
                self.killed = True

    async def run(self, session: aiohttp.ClientSession) -> None:
        gate = asyncio.Semaphore(PARALLEL)
        await asyncio.gather(*(self.issue(session, gate, i) for i in range(ISSUES)))


async def _drain(
    session: aiohttp.ClientSession, base: str, manager: str, window: str
) -> list[dict[str, Any]]:
    """Call-next on ``window`` until nothing waits; every ticket it called."""
    called: list[dict[str, Any]] = []
    url = f"{base}/api/v1/windows/{window}/call-next"
    for _ in range(ISSUES + 1):
        async with session.post(url, json={}, headers=_auth(manager)) as response:
            if response.status == 204:
                return called
            assert response.status == 200, await response.text()
            called.append((await response.json())["ticket"])
    raise AssertionError(f"{window} kept calling tickets: more than were ever issued")


async def _present_tickets(
    session: aiohttp.ClientSession, base: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The waiting list as a read shows it, then every ticket as the windows call it."""
    manager = await _login(session, base)
    async with session.get(f"{base}/api/v1/windows/w1/queue", headers=_auth(manager)) as r:
        assert r.status == 200, await r.text()
        listed: list[dict[str, Any]] = (await r.json())["queue"]
    drained = await asyncio.gather(*(_drain(session, base, manager, w) for w in WINDOWS))
    called = [ticket for window in drained for ticket in window]
    async with session.post(
        f"{base}/api/v1/windows/w1/call-next", json={}, headers=_auth(manager)
    ) as r:
        assert r.status == 204
    return listed, called


def _check_numbers(present: list[dict[str, Any]]) -> None:
    by_service: dict[str, list[int]] = defaultdict(list)
    for ticket in present:
        prefix = PREFIX[ticket["service_id"]]
        assert ticket["number"].startswith(prefix), ticket
        by_service[ticket["service_id"]].append(int(ticket["number"][len(prefix) :]))
    for service, numbers in by_service.items():
        assert len(numbers) == len(set(numbers)), f"{service}: a number was given twice"
        assert set(numbers) == set(range(1, max(numbers) + 1)), (
            f"{service}: numbers are not 1..{max(numbers)}: "
            f"missing {sorted(set(range(1, max(numbers) + 1)) - set(numbers))}"
        )


@pytest.mark.slow
@pytest.mark.parametrize("attempt", [1, 2])
async def test_acknowledged_tickets_survive_sigkill(tmp_path: Path, attempt: int) -> None:
    port = free_port()
    config = write_server_config(tmp_path / "server", test_site(windows=len(WINDOWS)), port)
    log = tmp_path / "server.log"
    servers: list[ServerProcess] = []
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
            first = await start_server("hall server", serve_command(config, port), port, log)
            servers.append(first)
            manager = await _login(session, first.base_url)
            burst = Burst(first, await _kiosk_token(session, first.base_url, manager))
            await burst.run(session)
            assert await first.stop() == -signal.SIGKILL
            assert burst.killed, f"never reached {KILL_AFTER} acknowledgements"
            assert not burst.refused, f"refused before the kill: {dict(burst.refused)}"
            acked = burst.acknowledged
            assert KILL_AFTER <= len(acked) <= burst.sent < ISSUES

            port = free_port()
            second = await start_server("hall server", serve_command(config, port), port, log)
            servers.append(second)
            listed, called = await _present_tickets(session, second.base_url)
    finally:
        for server in servers:
            await server.stop()

    called_ids = [t["id"] for t in called]
    assert len(called_ids) == len(set(called_ids)), "a ticket was called twice"
    assert sorted(t["id"] for t in listed) == sorted(called_ids)
    present = {t["id"]: t for t in called}
    for ticket in acked:
        assert ticket["id"] in present, f"acknowledged ticket {ticket['number']} was lost"
        assert present[ticket["id"]]["number"] == ticket["number"]
        assert present[ticket["id"]]["service_id"] == ticket["service_id"]
    assert len(present) <= len(acked) + burst.lost
    _check_numbers(list(present.values()))
    acked_numbers = [t["number"] for t in acked]
    assert len(acked_numbers) == len(set(acked_numbers)), "two 201s carried the same number"

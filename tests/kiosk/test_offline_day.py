"""The hall server goes away mid-day; two kiosks keep issuing 100 tickets from their leases;
the server comes back; every ticket arrives once, with the number it was printed with, in
the order it was issued."""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from kiosk.agent import Agent
from kiosk.samples import PEOPLE
from queue_server.app import create_app
from queue_server.config import Settings
from tests.kiosk import harness
from tests.queue_server.site import PASSWORD


async def _serve(data: Path, site_file: Path, port: int | None = None) -> TestServer:
    app = create_app(Settings(data_dir=data, site_file=site_file))
    server = TestServer(app, port=port) if port else TestServer(app)
    await server.start_server()
    return server


async def _until(check: Any, what: str, seconds: float = 20.0) -> None:
    for _ in range(int(seconds / 0.1)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def _issue(agent: Agent, request: dict[str, Any]) -> dict[str, Any]:
    assert agent.issuer is not None
    ticket = await agent.issuer.issue(request)
    shown = agent._screen_ticket(ticket)
    status = await agent.print_ticket(shown)
    assert status == "printed", status
    return ticket


async def test_two_kiosks_issue_100_tickets_offline_and_sync_each_once_in_order(
    tmp_path: Path,
) -> None:
    site_file = tmp_path / "site.json"
    site_file.write_text(json.dumps(harness.kiosk_site(), ensure_ascii=False), encoding="utf-8")
    server = await _serve(tmp_path / "server", site_file)
    port = server.port
    url = str(server.make_url("")).rstrip("/")
    agents: list[Agent] = []
    try:
        for name in ("k1", "k2"):
            token = await harness.kiosk_token(server)
            cfg = harness.config(url, token, tmp_path / name, lease_size=60, heartbeat_seconds=0.3)
            agents.append(await harness.start_agent(cfg))

        async def leased() -> bool:
            for agent in agents:
                assert agent.store is not None
                if len(await agent.store.run(agent.store.store.leases)) < 2:
                    return False
            return True

        await _until(leased, "leases")

        async def clocks_measured() -> bool:
            errors = [a.issuer.clock_error for a in agents if a.issuer is not None]
            return all(e is not None and e < 0.01 for e in errors)

        await _until(clocks_measured, "clock offsets within 10 ms")
        online = [await _issue(agents[i % 2], {"service_id": "s-b"}) for i in range(6)]
        assert all(not t["offline"] for t in online)

        await server.close()  # mid-day: the hall server is gone
        for agent in agents:
            agent.wake()

        async def offline() -> bool:
            return all(a.issuer is not None and a.issuer.online is False for a in agents)

        await _until(offline, "kiosks to notice")
        person = PEOPLE["adult"]["id_number"]
        issued: list[tuple[int, dict[str, Any]]] = []
        for i in range(100):
            request: dict[str, Any] = {"service_id": "s-b"}
            if i in (10, 11):  # the same person at both kiosks: accepted, then flagged
                request = {"service_id": "s-a", "id_number": person}
            ticket = await _issue(agents[i % 2], request)
            assert ticket["offline"] is True
            issued.append((i % 2, ticket))
            await asyncio.sleep(0.04)  # two kiosks, two offset measurements: a few ms apart
        numbers = [t["number"] for _, t in issued]
        assert len(set(numbers)) == 100
        for agent in agents:
            assert agent.issuer is not None
            assert await agent.issuer.pending() == 50
            raw = (agent.config.data_dir / "offline.sqlite").read_bytes()
            wal = agent.config.data_dir / "offline.sqlite-wal"
            raw += wal.read_bytes() if wal.exists() else b""
            assert person.encode() not in raw  # sealed at rest

        server = await _serve(tmp_path / "server", site_file, port=port)  # back again
        for agent in agents:
            agent.wake()

        async def synced() -> bool:
            counts = [await a.issuer.pending() for a in agents if a.issuer is not None]
            return counts == [0, 0]

        await _until(synced, "the sync")

        async with aiohttp.ClientSession() as http:
            login = await http.post(
                server.make_url("/api/v1/auth/login"),
                json={"username": "manager", "password": PASSWORD},
            )
            auth = {"Authorization": f"Bearer {(await login.json())['token']}"}
            queue = await (
                await http.get(server.make_url("/api/v1/windows/w1/queue"), headers=auth)
            ).json()
            flags = await (
                await http.get(server.make_url("/api/v1/halls/h1/kiosk/flags"), headers=auth)
            ).json()

        waiting = queue["queue"]
        by_id = {t["id"]: t for t in waiting}
        assert len(by_id) == len(waiting) == 106  # each ticket once
        for _, ticket in issued:
            stored = by_id[ticket["id"]]
            assert stored["number"] == ticket["number"]
            assert stored["arrived_at"] == ticket["issued_at"]
            assert "offline" in stored["flags"]
        offline_order = [t["id"] for t in waiting if t["id"] in {x["id"] for _, x in issued}]
        expected = [t["id"] for _, t in issued]
        assert offline_order == expected, [
            (by_id[i]["number"], by_id[i]["arrived_at"]) for i in offline_order[:4]
        ]  # called in issue order
        first_online = [t["id"] for t in waiting[:6]]
        assert first_online == [t["id"] for t in online]
        duplicates = [f for f in flags["flagged"] if "duplicate_id" in f["flags"]]
        assert len(duplicates) == 1
        # Blocks never overlap: every number of every lease is unique per prefix.
        spans = sorted(
            (lease["prefix"], lease["first_seq"], lease["last_seq"]) for lease in flags["leases"]
        )
        for (p1, _, last), (p2, first, _) in itertools.pairwise(spans):
            assert p1 != p2 or first > last
    finally:
        for agent in agents:
            await agent.stop()
        await server.close()

"""``onevisit demo`` as a newcomer runs it: credentials before health, URLs, moving numbers."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path

import aiohttp


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def count_calls(session: aiohttp.ClientSession, url: str) -> int:
    """Replay the hall's log for a moment and count the calls in it."""
    calls = 0
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=1)) as response:
            async for line in response.content:
                calls += line.startswith(b"event: ticket.called")
    except TimeoutError:
        pass
    return calls


async def test_demo_serves_the_city_and_traffic_moves(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "demo"
    data.mkdir()
    (data / "unrelated.txt").write_text("kept")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "onevisit",
        "demo",
        "--data",
        str(data),
        "--port",
        str(port),
        "--speed",
        "30",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert proc.stdout is not None
        lines = [(await asyncio.wait_for(proc.stdout.readline(), 30)).decode() for _ in range(2)]
        assert "demo city" in lines[0]
        assert lines[1].strip() == f"{base}/"
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/healthz") as response:
                assert response.status == 200
            credentials = json.loads((data / "credentials.json").read_text())
            assert set(credentials) == {"manager", "clerks", "kiosk_tokens"}
            assert len(credentials["kiosk_tokens"]) >= 3
            assert all(
                set(c) == {"username", "password", "window_id"} for c in credentials["clerks"]
            )
            async with session.get(f"{base}/api/v1/halls") as response:
                halls = (await response.json())["halls"]
            assert len(halls) >= 3
            assert sum(len(h["services"]) for h in halls) >= 10
            assert any(h["issuing_now"] for h in halls), "one hall issues around the clock"
            calls = 0
            for _ in range(60):
                calls = await count_calls(
                    session, f"{base}/api/v1/halls/civic-center/events?last_event_id=0"
                )
                if calls:
                    break
            assert calls, "simulated clerks call tickets"
            async with session.post(
                f"{base}/api/v1/auth/login", json=credentials["manager"]
            ) as response:
                token = (await response.json())["token"]
            async with session.get(
                f"{base}/api/v1/halls/civic-center/windows",
                headers={"Authorization": f"Bearer {token}"},
            ) as response:
                windows = (await response.json())["windows"]
            assert sum(bool(w["state"] == "open" and w["clerk"]) for w in windows) >= 8
        assert (data / "unrelated.txt").read_text() == "kept"
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 20)

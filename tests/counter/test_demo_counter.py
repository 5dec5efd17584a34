"""``onevisit demo`` starts a simulated counter agent whose keypad works the 24-hour hall."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp

from tests.counter.harness import settle

ADULT_ID = "110105198807150018"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def read_counter_url(stdout: asyncio.StreamReader) -> str:
    while True:
        line = (await asyncio.wait_for(stdout.readline(), 60)).decode()
        assert line, "the demo ended before printing the counter agent"
        if "counter agent" in line:
            return line.split()[3].removesuffix("/sim")


async def test_the_demo_counter_calls_from_its_simulated_keypad(tmp_path: Path) -> None:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "onevisit", "demo", "--data", str(tmp_path), "--port", str(port),
        "--no-traffic", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        counter = await read_counter_url(proc.stdout)
        credentials = json.loads((tmp_path / "credentials.json").read_text())
        async with aiohttp.ClientSession() as http:

            async def sim() -> dict[str, Any]:
                async with http.get(f"{counter}/sim/state") as response:
                    state: dict[str, Any] = await response.json()
                    return state

            async with http.get(f"{counter}/healthz") as response:
                health = await response.json()
            assert health["signed_in"], "the demo's windows are staffed"
            base = f"http://127.0.0.1:{port}/api/v1"
            async with http.post(f"{base}/auth/login", json=credentials["manager"]) as response:
                manager = {"Authorization": f"Bearer {(await response.json())['token']}"}
            async with http.get(f"{base}/halls/civic-center/windows", headers=manager) as response:
                windows = (await response.json())["windows"]
            window = next(w for w in windows if w["id"] == health["window_id"])
            service = next(s for s, weight in window["services"].items() if weight > 0)
            token = credentials["kiosk_tokens"]["civic-center"]
            async with http.post(
                f"{base}/halls/civic-center/tickets",
                json={"service_id": service, "id_number": ADULT_ID},
                headers={"Authorization": f"Bearer {token}"},
            ) as response:
                assert response.status == 201, await response.text()
                number = (await response.json())["ticket"]["number"]
            async with http.post(f"{counter}/sim/press", json={"key": "call"}) as response:
                assert response.status == 200
            wanted = f"请{number}号到{window['number']}号窗口办理"

            async def led_calls() -> bool:
                return bool((await sim())["led"]["text"] == wanted)

            await settle(led_calls, f"the demo LED shows {wanted}", seconds=20)
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 20)

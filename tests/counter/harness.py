"""A real hall server, the real counter agent, and byte-level keypad/LED simulators on ptys."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from devices.bus import KeypadSimConfig, KeypadSimulator, LedSimConfig, LedSimulator
from devices.sim import PtyHost
from kiosk.counter import CounterAgent
from kiosk.counter_config import CounterConfig, Link
from queue_server.app import create_app
from queue_server.config import Settings
from tests.queue_server.site import PASSWORD, test_site

KEYPAD, EVALUATOR = 1, 2


async def settle(check: Callable[[], Any], what: str, seconds: float = 10.0) -> Any:
    """Wait until ``check()`` (sync or async) is truthy and return it; fail after ``seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.02)


class Counter:
    """The server, an HTTP session to it, the simulators and the agent of window w1."""

    def __init__(self, server: TestServer, http: aiohttp.ClientSession) -> None:
        self.server = server
        self.http = http
        self.tokens: dict[str, str] = {}
        self.keypad = KeypadSimulator(KeypadSimConfig([KEYPAD], {EVALUATOR: "five"}))
        self.led = LedSimulator(LedSimConfig(address=1))
        self.keypad_host = PtyHost(self.keypad)
        self.led_host = PtyHost(self.led)
        self.agent: CounterAgent | None = None

    async def call(self, who: str, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {await self.token(who)}"}
        url = self.server.make_url(path)
        async with self.http.request(method, url, json=body, headers=headers) as response:
            text = await response.text()
            return response.status, (json.loads(text) if text.startswith(("{", "[")) else text)

    async def token(self, who: str) -> str:
        if who not in self.tokens:
            if who == "kiosk":
                _, body = await self.call(
                    "manager", "POST", "/api/v1/halls/h1/devices", {"role": "kiosk"}
                )
            else:
                login = {"username": who, "password": PASSWORD}
                async with self.http.post(
                    self.server.make_url("/api/v1/auth/login"), json=login
                ) as r:
                    body = await r.json()
            self.tokens[who] = body["token"]
        return self.tokens[who]

    async def start_agent(self, server_url: str | None = None) -> CounterAgent:
        """Start the agent of w1, talking to the server (or to ``server_url``, e.g. a proxy)."""
        status, body = await self.call(
            "manager",
            "POST",
            "/api/v1/windows/w1/devices",
            {"role": "counter", "label": "窗口1呼叫器"},
        )
        assert status == 201, body
        config = CounterConfig(
            server_url=server_url or str(self.server.make_url("")).rstrip("/"),
            token=body["token"],
            window_id="w1",
            port=0,
            heartbeat_seconds=0.3,
            request_timeout=2.0,
            keypad=Link("serial", self.keypad_host.url),
            keypad_address=KEYPAD,
            evaluator_address=EVALUATOR,
            led=Link("serial", self.led_host.url),
        )
        self.agent = CounterAgent(config)
        await self.agent.start()
        return self.agent

    async def stop(self) -> None:
        if self.agent is not None:
            await self.agent.stop()
        self.keypad_host.stop()
        self.led_host.stop()

    def led_text(self) -> str:
        with self.led.lock:
            return str(self.led.areas.get(0, {}).get("text", ""))

    def lcd(self) -> str:
        with self.keypad.lock:
            return self.keypad.lcd_text(KEYPAD)

    def beeps(self) -> int:
        with self.keypad.lock:
            return self.keypad.beeps.get(KEYPAD, 0)

    def evaluating(self) -> bool:
        with self.keypad.lock:
            return self.keypad.evaluating.get(EVALUATOR, False)

    async def sign_in(self, clerk: str = "clerk1") -> None:
        for move in ("close", "open"):
            status, body = await self.call(
                clerk, "POST", f"/api/v1/windows/w1/{move}", {"confirm": True}
            )
            assert status == 200, body

    async def issue(self) -> dict[str, Any]:
        status, body = await self.call(
            "kiosk", "POST", "/api/v1/halls/h1/tickets", {"service_id": "s-b"}
        )
        assert status == 201, body
        ticket: dict[str, Any] = body["ticket"]
        return ticket

    async def current(self) -> dict[str, Any] | None:
        _, body = await self.call("manager", "GET", "/api/v1/windows/w1/console")
        current: dict[str, Any] | None = body["current"]
        return current

    async def counter_device(self) -> dict[str, Any]:
        _, floor = await self.call("manager", "GET", "/api/v1/halls/h1/floor")
        device: dict[str, Any] = next(d for d in floor["devices"] if d["role"] == "counter")
        return device


async def start_server(tmp: Path, aiohttp_server: Any) -> TestServer:
    site_file = tmp / "site.json"
    site_file.write_text(json.dumps(test_site(), ensure_ascii=False), encoding="utf-8")
    app: web.Application = create_app(Settings(data_dir=tmp / "server", site_file=site_file))
    server: TestServer = await aiohttp_server(app)
    return server

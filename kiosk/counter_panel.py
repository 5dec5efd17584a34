"""The counter agent's small web server: ``/healthz``, and with simulated parts the panel.

``/sim`` is a page to press the simulated keypad's keys, rate on the simulated evaluator,
pull a part's cable and watch what the LED and the keypad's LCD show. Every press goes in
as bus bytes through the simulator, exactly like a real keypad's.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp import web

from devices import Grade, KeypadSimulator, LedSimulator, simulator_of
from kiosk.counter import CounterAgent

UI_DIR = Path(__file__).resolve().parent / "ui"
agent_key = web.AppKey("counter_agent", CounterAgent)


def _agent(request: web.Request) -> CounterAgent:
    return request.app[agent_key]


def _sim(device: Any) -> Any:
    return simulator_of(device) if device is not None else None


async def healthz(request: web.Request) -> web.Response:
    agent = _agent(request)
    state = agent.state or {}
    return web.json_response(
        {
            "status": "ok",
            "window_id": agent.config.window_id,
            "window_state": state.get("window", {}).get("state"),
            "signed_in": state.get("clerk") is not None,
            "parts": {k: {"status": s, "detail": d} for k, (s, d) in agent.health.items()},
        }
    )


async def sim_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(UI_DIR / "counter-sim.html", headers={"Cache-Control": "no-store"})


def panel_state(agent: CounterAgent) -> dict[str, Any]:
    """What the simulated parts show now."""
    cfg = agent.config
    led, keypad = _sim(agent.led), _sim(agent.keypad_bus)
    evaluator = _sim(agent.evaluator_bus)
    out: dict[str, Any] = {
        "last_refusal": agent.last_refusal,
        "pending_rating": bool(agent.pending_rating),
    }
    if isinstance(led, LedSimulator):
        area = led.control({"cmd": "state"})["areas"].get("0", {})
        out["led"] = {"text": area.get("text", ""), "colour": area.get("colour", "red")}
    if isinstance(keypad, KeypadSimulator):
        with keypad.lock:
            out["lcd"] = keypad.lcd_text(cfg.keypad_address)
            out["beeps"] = keypad.beeps.get(cfg.keypad_address, 0)
    if isinstance(evaluator, KeypadSimulator) and cfg.evaluator_address is not None:
        with evaluator.lock:
            out["evaluating"] = evaluator.evaluating.get(cfg.evaluator_address, False)
    out["health"] = {k: {"status": s, "detail": d} for k, (s, d) in agent.health.items()}
    return out


async def sim_state(request: web.Request) -> web.Response:
    return web.json_response(await asyncio.to_thread(panel_state, _agent(request)))


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="a JSON body") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="a JSON object")
    return body


async def sim_press(request: web.Request) -> web.Response:
    body = await _body(request)
    agent = _agent(request)
    keypad = _sim(agent.keypad_bus)
    if not isinstance(keypad, KeypadSimulator):
        raise web.HTTPNotFound(text="no simulated keypad")
    digits = str(body.get("digits", ""))
    if not digits.isdigit() and digits:
        raise web.HTTPBadRequest(text="digits are 0-9")
    try:
        await asyncio.to_thread(
            keypad.press, agent.config.keypad_address, str(body.get("key")), digits
        )
    except (KeyError, ValueError):
        raise web.HTTPBadRequest(text="unknown key") from None
    return web.json_response({"ok": True})


async def sim_rate(request: web.Request) -> web.Response:
    body = await _body(request)
    agent = _agent(request)
    evaluator = _sim(agent.evaluator_bus)
    address = agent.config.evaluator_address
    if not isinstance(evaluator, KeypadSimulator) or address is None:
        raise web.HTTPNotFound(text="no simulated evaluator")
    try:
        grade = Grade(int(body.get("grade", -1)))
    except (TypeError, ValueError):
        raise web.HTTPBadRequest(text="grade is 0 (非常满意) to 4 (非常不满意)") from None
    await asyncio.to_thread(evaluator.rate, address, grade)
    return web.json_response({"ok": True})


async def sim_plug(request: web.Request) -> web.Response:
    """Pull (``plugged: false``) or push back a simulated part's cable."""
    body = await _body(request)
    agent = _agent(request)
    parts = {"keypad": agent.keypad_bus, "evaluator": agent.evaluator_bus, "led": agent.led}
    device = parts.get(str(body.get("part")))
    link = getattr(device, "transport", None)
    if _sim(device) is None or link is None:
        raise web.HTTPNotFound(text="no such simulated part")
    await asyncio.to_thread(link.replug if body.get("plugged") else link.unplug)
    agent.wake()
    return web.json_response({"ok": True})


def panel_app(agent: CounterAgent) -> web.Application:
    app = web.Application()
    app[agent_key] = agent
    app.router.add_get("/healthz", healthz)
    if agent.config.sim_panel or agent.config.simulated:
        app.router.add_get("/sim", sim_page)
        app.router.add_get("/sim/state", sim_state)
        app.router.add_post("/sim/press", sim_press)
        app.router.add_post("/sim/rate", sim_rate)
        app.router.add_post("/sim/plug", sim_plug)
    return app


async def serve(agent: CounterAgent) -> tuple[web.AppRunner, str]:
    """Serve the panel on the configured host and port (0: any free port); its URL."""
    runner = web.AppRunner(panel_app(agent), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, agent.config.host, agent.config.port)
    await site.start()
    server = getattr(site, "_server", None)
    port = server.sockets[0].getsockname()[1] if server and server.sockets else agent.config.port
    return runner, f"http://{agent.config.host}:{port}"

"""The kiosk agent's own web server: the touch page, its WebSocket, and the simulator panel.

The page is served by the agent itself (``/``), so it works while the hall server is
unreachable; the page sends taps over ``/ws`` and the agent sends the screen to draw. With
simulated devices, ``/sim`` shows the kiosk beside a panel to place a card, lift it, run the
printer out of paper or show an appointment QR to the camera.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

import segno
from aiohttp import WSMsgType, web

from devices import CardData, QrCamera, build_device, simulator_of
from kiosk.flows import Event
from kiosk.samples import PEOPLE

if TYPE_CHECKING:
    from kiosk.agent import Agent

UI_DIR = Path(__file__).resolve().parent / "ui"


class AgentSite:
    """The routes of one agent's local server."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    def app(self) -> web.Application:
        """The application the agent runs on its port."""
        app = web.Application()
        app.router.add_get("/", self._page("kiosk.html"))
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/ws", self._ws)
        app.router.add_get("/qr.svg", self._qr)
        voice = self.agent.config.voice_dir or UI_DIR / "voice"
        if voice.is_dir():
            app.router.add_static("/static/voice/", voice)
        app.router.add_static("/static/", UI_DIR)
        if self.agent.config.sim_panel or self.agent.config.simulated:
            app.router.add_get("/sim", self._page("sim.html"))
            app.router.add_post("/sim/card", self._sim_card)
            app.router.add_post("/sim/lift", self._sim_lift)
            app.router.add_post("/sim/printer", self._sim_printer)
            app.router.add_post("/sim/qr", self._sim_qr)
            app.router.add_get("/sim/receipts", self._sim_receipts)
        return app

    def _page(self, name: str) -> Callable[[web.Request], Coroutine[Any, Any, web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            return web.FileResponse(UI_DIR / name, headers={"Cache-Control": "no-store"})

        return handler

    async def _healthz(self, request: web.Request) -> web.Response:
        assert self.agent.issuer is not None
        return web.json_response(
            {
                "status": "ok",
                "online": self.agent.issuer.online,
                "pending": await self.agent.issuer.pending(),
                "offset": self.agent.issuer.offset,
                "screen": self.agent.flow.screen,
            }
        )

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=20)
        await ws.prepare(request)
        self.agent.sockets.add(ws)
        try:
            view = self.agent.flow.view()
            await ws.send_str(
                json.dumps({"type": "view", "view": view}, ensure_ascii=False, default=str)
            )
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    continue
                if isinstance(data, dict) and data.get("type") == "tap":
                    tap = {"action": str(data.get("action", "")), "value": data.get("value")}
                    await self.agent.dispatch(Event("tap", tap))
        finally:
            self.agent.sockets.discard(ws)
        return ws

    async def _qr(self, request: web.Request) -> web.Response:
        text = request.query.get("text", "")[:512]
        buffer = io.BytesIO()
        segno.make(text, error="m").save(buffer, kind="svg", scale=6, border=2)
        return web.Response(body=buffer.getvalue(), content_type="image/svg+xml")

    def _sim(self, kind: str) -> Any:
        device = self.agent.devices.get(kind)
        sim = simulator_of(device) if device is not None else None
        if sim is None:
            raise web.HTTPNotFound(text=f"no simulated {kind}")
        return sim

    async def _sim_card(self, request: web.Request) -> web.Response:
        body = await request.json()
        card = body.get("card") or PEOPLE.get(str(body.get("person", "adult")))
        if card is None:
            raise web.HTTPBadRequest(text="unknown person")
        sim = self._sim("card_reader")
        self.agent.mark("card_placed")
        await asyncio.to_thread(sim.place, CardData.from_json(card))
        return web.json_response({"ok": True})

    async def _sim_lift(self, request: web.Request) -> web.Response:
        await asyncio.to_thread(self._sim("card_reader").remove)
        return web.json_response({"ok": True})

    async def _sim_printer(self, request: web.Request) -> web.Response:
        body = await request.json()
        sim = self._sim("printer")
        knobs = {k: body[k] for k in ("paper", "offline", "cover_open") if k in body}
        await asyncio.to_thread(sim.set_knobs, knobs)
        if body.get("paper") == "ok" and not body.get("offline"):
            self.agent.health["printer"] = ("ok", "")
        self.agent.wake()
        return web.json_response({"ok": True})

    async def _sim_qr(self, request: web.Request) -> web.Response:
        """Show a code to a simulated camera: it is drawn, decoded by OpenCV, then handled."""
        body = await request.json()
        text = str(body.get("code", ""))
        camera = build_device({"kind": "camera", "backend": "sim", "sim": {"codes": [text]}})
        assert isinstance(camera, QrCamera)
        async with camera:
            code = await camera.scan()
        if code is None:
            return web.json_response({"ok": False})
        payload = code.text.split(":", 1)[1] if ":" in code.text else code.text
        await self.agent.dispatch(Event("qr", {"code": payload.strip()}))
        return web.json_response({"ok": True, "kind": code.kind})

    async def _sim_receipts(self, request: web.Request) -> web.Response:
        sim = self._sim("printer")
        return web.json_response(await asyncio.to_thread(sim.control, {"cmd": "receipts"}))

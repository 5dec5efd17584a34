"""The kiosk agent: devices, the hall-server client, the flow, and the touch page's server.

The agent serves the kiosk page itself (``kiosk.agent_web``), so the page works while the
hall server is unreachable, and talks to it over one WebSocket: the page sends taps, the
agent sends the screen to draw (:meth:`kiosk.flows.Flow.view`).

Nothing here blocks the event loop: devices run in their own worker threads, the offline
store in its own, and the hall server is reached with aiohttp. Nothing personal is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from devices import (
    CardData,
    CardReaderError,
    CoverOpen,
    DeviceError,
    PaperOut,
    PrinterOffline,
    PrinterStatus,
    TicketDoc,
    build_device,
    simulator_of,
)
from kiosk.agent_web import AgentSite
from kiosk.client import ApiError, Backoff, HallClient, Unreachable, parse_time
from kiosk.config import KioskConfig
from kiosk.flows import REFUSALS, Event, Flow
from kiosk.issuer import Issuer, OfflineUnavailable
from kiosk.store import AsyncStore

_LOG = logging.getLogger(__name__)
NO_SHOW_RULE = "过号请重新取号"


class Agent:
    """One kiosk. ``start()`` opens everything and serves the page; ``stop()`` closes."""

    def __init__(
        self,
        config: KioskConfig,
        *,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.monotonic = monotonic
        self.flow = Flow()
        self.client = HallClient(
            config.server_url,
            config.token,
            config.hall_id,
            timeout=config.request_timeout,
            wall_clock=wall_clock,
        )
        self.store: AsyncStore | None = None
        self.issuer: Issuer | None = None
        self.devices: dict[str, Any] = {}
        self.health: dict[str, tuple[str, str]] = {}
        self.sockets: set[web.WebSocketResponse] = set()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.url = ""
        self.marks: list[tuple[str, float]] = []
        self._runner: web.AppRunner | None = None
        self._wake = asyncio.Event()
        self._last_view = ""
        self._catalog_at = -1e9
        self._card_present = False

    # -- life cycle -----------------------------------------------------------------------

    async def start(self) -> str:
        """Open the store and devices, start the loops and the page server; return its URL."""
        cfg = self.config
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = await asyncio.to_thread(AsyncStore.open, cfg.data_dir)
        self.issuer = Issuer(
            self.client,
            self.store,
            lease_size=cfg.lease_size,
            max_offset=cfg.max_clock_offset,
            public_url=cfg.public_url,
            wall_clock=self.client.wall_clock,
        )
        await self.issuer.cached_catalog()
        self._push_catalog()
        for kind, spec in cfg.devices.items():
            self.devices[kind] = build_device(spec)
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, cfg.host, cfg.port)
        await site.start()
        server = getattr(site, "_server", None)
        port = server.sockets[0].getsockname()[1] if server and server.sockets else cfg.port
        self.url = f"http://{cfg.host}:{port}"
        self._spawn(self._tick_loop())
        self._spawn(self._network_loop())
        if "card_reader" in self.devices:
            self._spawn(self._card_loop())
            if simulator_of(self.devices["card_reader"]) is not None:
                self._spawn(self._lift_loop())
        if "printer" in self.devices:
            self._spawn(self._open_printer())
        return self.url

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for ws in list(self.sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
        for device in self.devices.values():
            with contextlib.suppress(Exception):
                await device.close()
        await self.client.close()
        if self.store is not None:
            await self.store.close()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _LOG.error("kiosk task failed: %r", type(task.exception()).__name__)

    def mark(self, label: str) -> None:
        """A timing mark for the benchmark."""
        self.marks.append((label, self.monotonic()))

    # -- the flow -------------------------------------------------------------------------

    async def dispatch(self, event: Event) -> None:
        """Feed one event to the flow, redraw, and carry out its effects."""
        effects = self.flow.handle(event, self.monotonic())
        await self.broadcast()
        for effect in effects:
            runner = getattr(self, f"_do_{effect.kind}")
            self._spawn(runner(effect.data))

    async def broadcast(self, force: bool = False) -> None:
        view = self.flow.view()
        text = json.dumps({k: v for k, v in view.items() if k != "seq"}, ensure_ascii=False)
        if text == self._last_view and not force:
            return
        self._last_view = text
        message = json.dumps({"type": "view", "view": view}, ensure_ascii=False, default=str)
        for ws in list(self.sockets):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_str(message)

    def _push_catalog(self) -> None:
        assert self.issuer is not None
        catalog = self.issuer.catalog
        if not catalog:
            return
        self.flow.handle(Event("catalog", {**catalog, "today": self._today()}), self.monotonic())

    def _today(self) -> Any:
        assert self.issuer is not None
        zone = ZoneInfo(self.issuer.catalog.get("hall", {}).get("timezone") or "Asia/Shanghai")
        return self.issuer.server_now().astimezone(zone).date()

    def _local(self, text: str | None) -> str | None:
        if not text or self.issuer is None:
            return None
        zone = ZoneInfo(self.issuer.catalog.get("hall", {}).get("timezone") or "Asia/Shanghai")
        return parse_time(text).astimezone(zone).strftime("%Y-%m-%d %H:%M")

    # -- effects --------------------------------------------------------------------------

    def _service(self, service_id: str | None) -> dict[str, Any]:
        return self.flow.catalog.service(service_id) or {}

    def _screen_ticket(self, ticket: dict[str, Any]) -> dict[str, Any]:
        service = self._service(ticket.get("service_id"))
        eta = ticket.get("eta") or {}
        return {
            "id": ticket["id"],
            "number": ticket["number"],
            "service_id": ticket.get("service_id"),
            "service_name": service.get("name", ""),
            "service_name_en": service.get("name_en", ""),
            "class": ticket.get("class", "normal"),
            "people_ahead": ticket.get("people_ahead"),
            "eta_low": _minutes(eta.get("low")),
            "eta_high": _minutes(eta.get("high")),
            "issued_at": self._local(ticket.get("issued_at")),
            "track_url": ticket.get("track_url"),
            "offline": bool(ticket.get("offline")),
            "reprint": bool(ticket.get("reprint")),
            "arrival": ticket.get("arrival"),
            "slot": ticket.get("slot"),
        }

    async def _do_issue(self, request: dict[str, Any]) -> None:
        assert self.issuer is not None
        self.mark("issue_start")
        try:
            ticket = await self.issuer.issue(request)
        except ApiError as err:
            await self._refused(err.code, err.details, request.get("service_id"))
            return
        except OfflineUnavailable as err:
            await self.dispatch(Event("refused", {"code": f"offline_{err.reason}"}))
            return
        finally:
            self.mark("issue_end")
        await self.dispatch(Event("issued", {"ticket": self._screen_ticket(ticket)}))

    async def _refused(self, code: str, details: dict[str, Any], service_id: str | None) -> None:
        data: dict[str, Any] = {"code": code, **details}
        if code in REFUSALS:
            data["next_local"] = self._local(details.get("next_issuing_at"))
            data["alternatives"] = await self._alternatives(service_id)
        await self.dispatch(Event("refused", data))

    async def _alternatives(self, service_id: str | None) -> list[dict[str, Any]]:
        """Other halls issuing now, shortest wait first, preferring the same service."""
        try:
            halls = await self.client.halls()
        except (Unreachable, ApiError):
            return []
        wanted = self._service(service_id)
        found = []
        for hall in halls:
            if hall["id"] == self.config.hall_id or not hall.get("issuing_now"):
                continue
            same = [
                s
                for s in hall.get("services", [])
                if wanted and (s.get("code") == wanted.get("code") or s["name"] == wanted["name"])
            ]
            pool = same or hall.get("services", [])
            waits = [s.get("eta_minutes") for s in pool if s.get("eta_minutes") is not None]
            found.append(
                {
                    "name": hall["name"],
                    "name_en": hall.get("name_en") or hall["name"],
                    "address": hall.get("address", ""),
                    "same_service": bool(same),
                    "eta_minutes": round(min(waits)) if waits else None,
                }
            )
        found.sort(key=lambda h: (not h["same_service"], h["eta_minutes"] or 0))
        return found[:2]

    async def _do_reprint(self, data: dict[str, Any]) -> None:
        assert self.issuer is not None
        ticket = await self.issuer.progress(data["ticket"])
        ticket["reprint"] = True
        await self.dispatch(Event("issued", {"ticket": self._screen_ticket(ticket)}))

    async def _do_checkin(self, data: dict[str, Any]) -> None:
        assert self.issuer is not None
        try:
            answer = await self.client.check_in(data["code"])
        except Unreachable:
            await self.dispatch(Event("refused", {"code": "offline_checkin"}))
            return
        except ApiError as err:
            code = "appointment_not_found" if err.status == 404 else err.code
            await self.dispatch(Event("refused", {"code": code}))
            return
        ticket = dict(answer["ticket"])
        ticket["track_url"] = self.issuer.track_url(ticket["id"], ticket["track_token"])
        ticket["arrival"] = answer.get("arrival")
        start, end = self._local(answer.get("slot_start")), self._local(answer.get("slot_end"))
        ticket["slot"] = f"{start[-5:]}–{end[-5:]}" if start and end else None
        await self.dispatch(Event("issued", {"ticket": self._screen_ticket(ticket)}))

    async def _do_help(self, data: dict[str, Any]) -> None:
        try:
            await self.client.help_request(data.get("kind", "help"))
        except (Unreachable, ApiError):
            await self.dispatch(Event("help_sent", {"ok": False}))
            return
        await self.dispatch(Event("help_sent", {"ok": True}))

    async def _do_print(self, data: dict[str, Any]) -> None:
        ticket = data["ticket"]
        status = await self.print_ticket(ticket)
        await self.dispatch(Event("printed", {"ticket_id": ticket["id"], "status": status}))

    async def print_ticket(self, ticket: dict[str, Any]) -> str:
        """Print; returns ``printed``, ``near_end``, or why it could not (then the screen
        shows the ticket with its QR and the manager sees the alarm)."""
        printer = self.devices.get("printer")
        if printer is None:
            return "no_printer"
        doc = TicketDoc(
            hall_name=str(self.flow.catalog.hall.get("name", "")),
            service_name=ticket.get("service_name", ""),
            number=ticket["number"],
            people_ahead=ticket["people_ahead"],
            eta_low=ticket.get("eta_low"),
            eta_high=ticket.get("eta_high"),
            issued_at=ticket.get("issued_at") or "",
            no_show_rule=NO_SHOW_RULE,
            track_url=ticket.get("track_url") or "",
        )
        self.mark("print_start")
        try:
            status = await printer.print_ticket(doc)
        except PaperOut:
            return self._printer_fault("paper_out")
        except CoverOpen:
            return self._printer_fault("cover_open")
        except PrinterOffline:
            return self._printer_fault("printer_offline")
        except DeviceError:
            return self._printer_fault("printer_unavailable", status="offline")
        finally:
            self.mark("print_end")
        if status.paper == "near_end":
            self.health["printer"] = ("warning", "paper_near_end")
            self._wake.set()
            return "near_end"
        self.health["printer"] = ("ok", "")
        return "printed"

    def _printer_fault(self, detail: str, status: str = "fault") -> str:
        self.health["printer"] = (status, detail)
        self._wake.set()  # the manager sees it at once, not at the next heartbeat
        return detail

    # -- loops ----------------------------------------------------------------------------

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            await self.dispatch(Event("tick"))

    async def _open_printer(self) -> None:
        printer = self.devices["printer"]
        try:
            await printer.open()
            self.health["printer"] = ("ok", "")
        except DeviceError as err:
            self.health["printer"] = ("offline", err.code)

    async def _card_loop(self) -> None:
        reader = self.devices["card_reader"]
        async for item in reader.read_loop():
            if isinstance(item, CardData):
                self.mark("card_read")
                self._card_present = True
                self.health["card_reader"] = ("ok", "")
                await self.dispatch(
                    Event(
                        "card",
                        {"name": item.name, "id_number": item.id_number, "birth": item.birth},
                    )
                )
            elif isinstance(item, CardReaderError):
                await self.dispatch(Event("card_error", {"code": item.code}))
            else:
                self.health["card_reader"] = ("offline", item.code)

    async def _lift_loop(self) -> None:
        """Simulated readers tell when the card is lifted (a real reader cannot)."""
        sim = simulator_of(self.devices["card_reader"])
        assert sim is not None
        while True:
            state = await asyncio.to_thread(sim.control, {"cmd": "state"})
            if self._card_present and not state["card_present"]:
                self._card_present = False
                await self.dispatch(Event("card_lifted"))
            await asyncio.sleep(0.2)

    async def _health_parts(self) -> list[dict[str, Any]]:
        assert self.issuer is not None
        printer = self.devices.get("printer")
        if printer is not None:
            try:
                status = await printer.status()
            except DeviceError as err:
                self.health["printer"] = ("offline", err.code)
            else:
                self.health["printer"] = _printer_health(status)
        parts = [{"kind": k, "status": s, "detail": d} for k, (s, d) in sorted(self.health.items())]
        offset = self.issuer.offset
        if offset is not None:
            status = "ok" if abs(offset) <= self.issuer.max_offset else "warning"
            parts.append(
                {"kind": "clock", "status": status, "detail": f"offset_ms={offset * 1000:.0f}"}
            )
        pending = await self.issuer.pending()
        parts.append(
            {
                "kind": "offline_queue",
                "status": "ok" if not self.issuer.rejected else "warning",
                "detail": f"pending={pending} rejected={self.issuer.rejected}",
            }
        )
        return parts

    async def _network_loop(self) -> None:
        assert self.issuer is not None
        backoff = Backoff(base=0.5, cap=self.config.heartbeat_seconds)
        attempt = 0
        while True:
            self._wake.clear()
            ok = await self.issuer.heartbeat(await self._health_parts())
            if ok:
                attempt = 0
                await self._while_online()
                delay = self.config.heartbeat_seconds
            else:
                delay = backoff.delay(attempt)
                attempt += 1
            if self.flow.online != bool(self.issuer.online):
                await self.dispatch(Event("network", {"online": bool(self.issuer.online)}))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()

    async def _while_online(self) -> None:
        assert self.issuer is not None
        try:
            if self.monotonic() - self._catalog_at >= self.config.catalog_seconds:
                await self.issuer.refresh_catalog()
                self._catalog_at = self.monotonic()
                self._push_catalog()
                await self.broadcast()
            await self.issuer.sync()
            await self.issuer.maintain_leases()
        except Unreachable:
            self.issuer.mark(False)
        except ApiError as err:
            _LOG.warning("hall server refused a kiosk call: %s", err.code)

    def wake(self) -> None:
        """Run the network loop now (after a fault, or in tests)."""
        self._wake.set()

    def app(self) -> web.Application:
        """The touch page's server (and the simulator panel's)."""
        return AgentSite(self).app()


def _printer_health(status: PrinterStatus) -> tuple[str, str]:
    if status.paper == "out":
        return ("fault", "paper_out")
    if status.cover_open:
        return ("fault", "cover_open")
    if status.online is False:
        return ("fault", "printer_offline")
    if status.paper == "near_end":
        return ("warning", "paper_near_end")
    if status.online is None:
        return ("warning", "no_status")
    return ("ok", "")


def _minutes(value: Any) -> int | None:
    return None if value is None else round(float(value))


async def run(config: KioskConfig, ready: Callable[[str], None] | None = None) -> None:
    """Run an agent until cancelled."""
    agent = Agent(config)
    url = await agent.start()
    if ready is not None:
        ready(url)
    try:
        await asyncio.Event().wait()
    finally:
        await agent.stop()

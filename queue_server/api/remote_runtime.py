"""The remote visitors' runtime: limits, notification channels, the outbox, the HTTP session,
and the worker started with the app. After every ticket event of a hall (and on a timer) the
worker lapses remote tickets past their grace, marks appointments not checked in by the end of
their grace as no-shows and sends the reminders that became due, through
the configured :class:`~queue_server.service.notify.Notifier` channels."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from queue_server.events.bus import ALL_HALLS
from queue_server.service import appointments, reminders, remote, remote_sweep
from queue_server.service.notify import Message, Notifier, Outbox, Outcome
from queue_server.service.notify.sms import HttpSms
from queue_server.service.notify.webpush import WebPush, load_vapid_key
from queue_server.service.notify.wechat import WeChatSubscribe

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """The remote worker's state: limits, channels, the outbox and the HTTP session."""

    limits: remote.Limits
    config: dict[str, Any]
    outbox: Outbox = field(default_factory=lambda: Outbox("outbox"))
    channels: dict[str, Notifier] = field(default_factory=dict)
    push_key: str | None = None
    http: aiohttp.ClientSession | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)


runtime_key = web.AppKey("remote_runtime", Runtime)


def runtime(request: web.Request) -> Runtime:
    """The remote runtime of the app serving ``request``."""
    return request.app[runtime_key]


def _channels(
    config: dict[str, Any], session: aiohttp.ClientSession
) -> tuple[dict[str, Notifier], str | None]:
    channels: dict[str, Notifier] = {}
    push_key = None
    sms = config.get("sms") or {}
    if sms.get("url"):
        channels["sms"] = HttpSms(
            session, sms["url"], sms.get("api_key", ""), sms.get("sign_name", "一次办")
        )
    push = config.get("webpush") or {}
    if push.get("private_key"):
        adapter = WebPush(
            session,
            load_vapid_key(push["private_key"]),
            push.get("subject", "mailto:ops@example.org"),
        )
        channels["webpush"] = adapter
        push_key = adapter.public_key
    wechat = config.get("wechat") or {}
    if wechat.get("appid") and wechat.get("secret") and wechat.get("template_id"):
        channels["wechat"] = WeChatSubscribe(
            session,
            wechat["appid"],
            wechat["secret"],
            wechat["template_id"],
            wechat.get("api_base", "https://api.weixin.qq.com"),
            wechat.get("kind", "official_account"),
            wechat.get("page", ""),
        )
    return channels, push_key


async def remote_context(app: web.Application) -> AsyncIterator[None]:
    """Start the remote worker with the app (after storage) and stop it on shutdown."""
    from queue_server.api.http import state_key

    st = app[state_key]
    config = dict(st.settings.extra.get("remote", {}))
    rt = Runtime(remote.Limits.from_settings(config), config)
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
    rt.channels, rt.push_key = _channels(config, session)
    rt.http = session
    app[runtime_key] = rt
    task = asyncio.create_task(_worker(app, rt))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await session.close()


async def deliver(rt: Runtime, message: Message) -> Outcome:
    """Send through the configured channel, or the outbox when it is not configured."""
    notifier = rt.channels.get(message.channel, rt.outbox)
    try:
        return await notifier.send(message)
    except Exception:
        log.exception("sending a %s message failed", message.channel)
        return Outcome.RETRYABLE


async def _worker(app: web.Application, rt: Runtime) -> None:
    """Coalesce the hall events of ``round_gap_seconds`` into one round; a timer round every
    ``sweep_seconds``; after falling behind the bus, resubscribe and do a round of all halls."""
    from queue_server.api.http import state_key

    st = app[state_key]
    interval = float(rt.config.get("sweep_seconds", 30.0))
    gap = float(rt.config.get("round_gap_seconds", 0.2))
    subscription = st.bus.subscribe(ALL_HALLS, maxsize=10_000)
    try:
        while True:
            pending: set[str] = set()
            try:
                async with asyncio.timeout(interval):
                    event = await subscription.next()
            except TimeoutError:
                event = None
            else:
                await asyncio.sleep(gap)
            while event is not None:
                if event.type.startswith(("ticket.", "window.")):
                    pending.add(event.hall_id)
                try:
                    async with asyncio.timeout(0.005):
                        event = await subscription.next()
                except TimeoutError:
                    event = None
            if subscription.overflowed:
                subscription.close()
                subscription = st.bus.subscribe(ALL_HALLS, maxsize=10_000)
                pending.clear()
            try:
                await _round(st, rt, pending)
            except Exception:
                log.exception("remote sweep failed")
    finally:
        subscription.close()


async def _round(st: Any, rt: Runtime, halls: set[str]) -> None:
    """Lapse remote tickets, mark appointment no-shows and send due reminders; one failing
    step does not skip the others."""
    now = st.clock()
    lapsed: list[dict[str, Any]] = []
    try:
        lapsed = await st.db.write(lambda tx: remote_sweep.sweep(tx, now))
    except Exception:
        log.exception("lapsing remote tickets failed")
    try:
        await st.db.write(lambda tx: appointments.sweep_no_shows(tx, now))
    except Exception:
        log.exception("marking appointment no-shows failed")
    touched = set(halls) | {t.get("hall_id", "") for t in lapsed}
    if not halls:
        rows = await st.db.read(lambda tx: tx.all("SELECT id FROM halls"))
        touched = {r["id"] for r in rows}
    for hall_id in sorted(h for h in touched if h):
        due = await st.db.write(
            lambda tx, h=hall_id: reminders.due_reminders(tx, st.cipher, h, now)
        )
        for item in due:
            message = Message(
                item.channel,
                item.target,
                "near",
                item.params,
                f"{item.ticket_id}:{item.threshold}:{item.channel}",
                item.masked,
            )
            outcome = await deliver(rt, message)
            await st.db.write(
                lambda tx, i=item, o=outcome: reminders.record_outcome(
                    tx, i.ticket_id, i.threshold, o.value
                )
            )


# -- handlers ---------------------------------------------------------------------------------

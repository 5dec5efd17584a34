"""``onevisit bench fanout``: many SSE subscribers on one hall, delay from commit to arrival.

The hall server runs in its own process (``onevisit serve``); this process opens
``--subscribers`` event streams on hall ``h1`` over loopback, then calls ``--calls`` tickets
at ``--interval`` seconds. For every subscriber and call it measures the delay from the
call's commit to the event's arrival: from the event's ``at`` (taken inside the write, just
before commit, so slightly pessimistic) and from the moment the ``200`` of call-next came
back. It also reads the server's memory (VmRSS / VmHWM in ``/proc/<pid>/status``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from queue_server.bench.load_servers import (
    free_port,
    load_site,
    serve_command,
    start_server,
    write_server_config,
)

PASSWORD = "fanout-bench-password"
TARGET_P99_MS = 250.0


@dataclass
class Subscriber:
    """One event stream and what arrived on it: ticket id -> arrival (epoch seconds)."""

    arrivals: dict[str, float] = field(default_factory=dict)
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    failed: str | None = None


def _utc_epoch(at: str) -> float:
    return datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


async def _subscribe(session: aiohttp.ClientSession, url: str, sub: Subscriber) -> None:
    """Read one stream cheaply: split frames on blank lines, parse only ``ticket.called``."""
    try:
        async with session.get(url) as response:
            if response.status != 200:
                sub.failed = f"status {response.status}"
                sub.connected.set()
                return
            sub.connected.set()
            buffer = b""
            async for chunk in response.content.iter_any():
                now = time.time()
                buffer += chunk
                *frames, buffer = buffer.split(b"\n\n")
                for frame in frames:
                    if b"event: ticket.called\n" not in frame:
                        continue
                    data = frame[frame.index(b"data: ") + 6 :]
                    sub.arrivals.setdefault(json.loads(data)["ticket_id"], now)
    except (aiohttp.ClientError, ConnectionError) as err:
        sub.failed = repr(err)
        sub.connected.set()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def _rss_kb(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p90": None, "p99": None, "max": None}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"p50": pick(0.50), "p90": pick(0.90), "p99": pick(0.99), "max": round(ordered[-1], 2)}


def _raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


async def run(
    subscribers: int, calls: int, interval: float, windows: int, synchronous: str
) -> dict[str, Any]:
    """Start a server, subscribe, call, measure; always stop the server."""
    _raise_fd_limit(subscribers * 2 + 256)
    with tempfile.TemporaryDirectory(prefix="onevisit-fanout-") as folder:
        port = free_port()
        config = write_server_config(Path(folder), load_site(windows, PASSWORD), port, synchronous)
        server = await start_server(
            "hall server", serve_command(config, port), port, Path(folder) / "server.log"
        )
        try:
            return await _measure(
                server.base_url,
                server.process.pid,
                subscribers,
                calls,
                interval,
                windows,
                synchronous,
            )
        finally:
            await server.stop()


async def _measure(
    base: str,
    pid: int,
    subscribers: int,
    calls: int,
    interval: float,
    windows: int,
    synchronous: str,
) -> dict[str, Any]:
    started = time.monotonic()
    idle = _rss_kb(pid)
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        async with session.post(
            f"{base}/api/v1/auth/login", json={"username": "manager", "password": PASSWORD}
        ) as response:
            token = (await response.json())["token"]
        auth = {"Authorization": f"Bearer {token}"}
        for _ in range(calls):
            async with session.post(
                f"{base}/api/v1/halls/h1/tickets",
                json={"service_id": "s-b"},
                headers=auth,
            ) as response:
                assert response.status == 201, await response.text()
        subs = [Subscriber() for _ in range(subscribers)]
        url = f"{base}/api/v1/halls/h1/events"
        tasks = [asyncio.create_task(_subscribe(session, url, s)) for s in subs]
        connect_started = time.monotonic()
        await asyncio.wait_for(asyncio.gather(*(s.connected.wait() for s in subs)), 120)
        connect_seconds = time.monotonic() - connect_started
        await asyncio.sleep(0.5)
        subscribed = _rss_kb(pid)
        server_cpu = _cpu_seconds(pid)
        client_cpu = _cpu_seconds(os.getpid())
        calls_started = time.monotonic()
        committed: dict[str, float] = {}
        acked: dict[str, float] = {}
        for n in range(calls):
            async with session.post(
                f"{base}/api/v1/windows/w{n % windows + 1}/call-next", headers=auth
            ) as response:
                body = await response.json()
            acked[body["ticket"]["id"]] = time.time()
            await asyncio.sleep(interval)
        deadline = time.monotonic() + 10
        live = [s for s in subs if s.failed is None]
        while time.monotonic() < deadline:
            if all(len(s.arrivals) >= calls for s in live):
                break
            await asyncio.sleep(0.1)
        peak = _rss_kb(pid)
        call_phase = time.monotonic() - calls_started
        server_cpu = _cpu_seconds(pid) - server_cpu
        client_cpu = _cpu_seconds(os.getpid()) - client_cpu
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        async with session.get(f"{base}/api/v1/halls/h1/events?last_event_id=0") as response:
            kind = ""
            async for raw in response.content:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind == "ticket.called":
                    data = json.loads(line[6:])
                    committed[data["ticket_id"]] = _utc_epoch(data["at"])
                    if len(committed) >= calls:
                        break
    from_commit = [
        (arrival - committed[t]) * 1000
        for s in live
        for t, arrival in s.arrivals.items()
        if t in committed
    ]
    from_ack = [
        (arrival - acked[t]) * 1000 for s in live for t, arrival in s.arrivals.items() if t in acked
    ]
    delay = _percentiles(from_commit)
    p99 = delay["p99"]
    return {
        "benchmark": "fanout",
        "subscribers": subscribers,
        "connected": len(live),
        "failed": subscribers - len(live),
        "calls": calls,
        "interval_s": interval,
        "deliveries": len(from_commit),
        "expected_deliveries": subscribers * calls,
        "delay_ms": delay,
        "delay_after_ack_ms": _percentiles(from_ack),
        "connect_seconds": round(connect_seconds, 2),
        "server_rss_kb": {
            "before_subscribers": idle.get("VmRSS"),
            "subscribed": subscribed.get("VmRSS"),
            "peak": peak.get("VmHWM"),
        },
        "cpu_seconds_while_calling": {
            "wall": round(call_phase, 2),
            "server": round(server_cpu, 2),
            "subscribers": round(client_cpu, 2),
        },
        "cpus": os.cpu_count(),
        "target_p99_ms": TARGET_P99_MS,
        "meets_target": p99 is not None and p99 < TARGET_P99_MS,
        "synchronous": synchronous,
        "seconds": round(time.monotonic() - started, 2),
    }


def render(report: dict[str, Any]) -> str:
    """A short human-readable summary."""
    d = report["delay_ms"]
    a = report["delay_after_ack_ms"]
    rss = report["server_rss_kb"]
    return "\n".join(
        [
            f"fanout: {report['connected']}/{report['subscribers']} subscribers, "
            f"{report['calls']} calls, {report['deliveries']}/{report['expected_deliveries']} "
            f"deliveries (synchronous={report['synchronous']})",
            f"commit -> arrival ms: p50 {d['p50']}  p90 {d['p90']}  p99 {d['p99']}  "
            f"max {d['max']}  (target p99 < {report['target_p99_ms']:.0f})",
            f"200 of call-next -> arrival ms: p50 {a['p50']}  p99 {a['p99']}",
            f"server RSS kB: {rss['before_subscribers']} idle, {rss['subscribed']} subscribed, "
            f"{rss['peak']} peak",
            f"CPU s while calling: server {report['cpu_seconds_while_calling']['server']}, "
            f"subscribers {report['cpu_seconds_while_calling']['subscribers']}, wall "
            f"{report['cpu_seconds_while_calling']['wall']} ({report['cpus']} CPUs)",
        ]
    )


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def main(argv: Sequence[str]) -> int:
    """``onevisit bench fanout [--subscribers N] [--calls K] [--interval S] [--json]``."""
    parser = argparse.ArgumentParser(
        prog="onevisit bench fanout",
        description="SSE fan-out: delay from a call's commit to its arrival at N subscribers",
    )
    parser.add_argument("--subscribers", type=_positive_int, default=1000, help="(1000)")
    parser.add_argument("--calls", type=_positive_int, default=30, help="(30)")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between calls (0.2)")
    parser.add_argument("--windows", type=_positive_int, default=8, help="(8)")
    parser.add_argument("--synchronous", choices=("FULL", "NORMAL"), default="FULL")
    parser.add_argument("--json", action="store_true", help="one line of JSON on stdout")
    args = parser.parse_args(list(argv))
    report = asyncio.run(
        run(args.subscribers, args.calls, args.interval, args.windows, args.synchronous)
    )
    if args.json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False, separators=(",", ":")) + "\n")
    else:
        sys.stdout.write(render(report) + "\n")
    return 0 if report["connected"] == args.subscribers else 1

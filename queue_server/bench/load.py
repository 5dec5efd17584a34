"""``onevisit bench load``: throughput and latency of the hall server over loopback.

Two servers run in their own processes, on free ports and temporary data dirs:

* the real hall server (``onevisit serve --config FILE``) with a 24-hour test hall of
  8 open windows, one clerk each, and a registered kiosk device;
* a bare baseline (:mod:`queue_server.bench.load_baseline`): aiohttp plus one sqlite-utils
  insert per request from a single writer thread, with the same ``synchronous`` setting -
  the practical limit of an aiohttp process writing to SQLite on this machine.

This process is the load generator (aiohttp client). Each endpoint is measured twice:

* closed loop: ``--concurrency`` clients, each sending its next request as soon as the last
  one is answered, for ``--duration`` seconds -> requests/s, p50 and p99 latency;
* open loop: ``--rate`` requests per second launched on schedule whatever the answers do,
  for ``--duration`` seconds -> p50 and p99 latency counted from the scheduled send time
  (so a stalled server is not hidden), and the errors.

Endpoints, in this order: ``baseline`` (the bare insert), ``call-next`` (clerk tokens spread
over the 8 windows, on tickets issued beforehand), ``issue`` (kiosk device token; half
``s-b`` without ID, half ``s-a`` with distinct valid ID numbers) and ``feed``
(``GET /api/v1/halls``, public, listing the 10 halls of the site with their services' waits;
loopback is a trusted network, so it is not rate-limited).
Throughput is reported as a ratio to the baseline measured in the same run.

Every loop ends by itself (requests time out after 10 s); both servers are stopped at the
end, also on errors, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import secrets
import signal
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from queue_server.bench.load_servers import (
    ServerFailed,
    ServerProcess,
    baseline_command,
    free_port,
    id_number,
    load_site,
    serve_command,
    start_server,
    write_server_config,
)

T = TypeVar("T")
WINDOWS = 8
HALLS = 10
"""Halls on the site, so the public feed is as long as a small city's."""
REQUEST_TIMEOUT = 10.0
ENDPOINTS = ("baseline", "issue", "call-next", "feed", "baseline-end")
"""The table's rows. The baseline is measured first and again last (``baseline-end``), and
each throughput is taken against the mean of the two, so a machine that gets busier (or
quieter) during the run moves the ratios less."""


@dataclass(frozen=True)
class Call:
    """One HTTP request to make."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass(frozen=True)
class Target:
    """An endpoint under load: how to build request ``i`` and which statuses are success."""

    name: str
    make: Callable[[int], Call]
    ok: frozenset[int]
    empty: frozenset[int] = frozenset()
    """Answers meaning "nothing to do" (call-next's 204): neither success nor error; a
    closed-loop client that gets one stops."""


@dataclass
class Tally:
    """What one measurement saw."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0

    def summary(self, target: Target) -> dict[str, Any]:
        """Counts, rate of successful answers and latency percentiles (milliseconds)."""
        requests = len(self.latencies)
        succeeded = sum(n for status, n in self.statuses.items() if status in target.ok)
        empty = sum(n for status, n in self.statuses.items() if status in target.empty)
        ordered = sorted(self.latencies)
        return {
            "requests": requests,
            "ok": succeeded,
            "empty": empty,
            "errors": requests - succeeded - empty,
            "server_errors": sum(n for status, n in self.statuses.items() if status >= 500),
            "statuses": {str(status): n for status, n in sorted(self.statuses.items())},
            "failures": dict(sorted(self.failures.items())),
            "seconds": round(self.elapsed, 3),
            "rps": round(succeeded / self.elapsed, 1) if self.elapsed > 0 else 0.0,
            "p50_ms": _percentile_ms(ordered, 0.50),
            "p99_ms": _percentile_ms(ordered, 0.99),
        }


def _percentile_ms(ordered: list[float], q: float) -> float | None:
    """Nearest-rank percentile of sorted seconds, in milliseconds."""
    if not ordered:
        return None
    rank = max(1, -(-len(ordered) * q // 1))
    return round(ordered[int(rank) - 1] * 1000.0, 2)


async def _send(
    session: aiohttp.ClientSession, call: Call, tally: Tally, started: float
) -> int | None:
    """Make one request; record its latency from ``started`` (loop time) and its outcome."""
    loop = asyncio.get_running_loop()
    status: int | None = None
    try:
        async with session.request(
            call.method, call.url, headers=call.headers, json=call.body
        ) as response:
            await response.read()
            status = response.status
            tally.statuses[status] += 1
    except (aiohttp.ClientError, TimeoutError) as exc:
        tally.failures[type(exc).__name__] += 1
    tally.latencies.append(loop.time() - started)
    return status


async def closed_loop(
    session: aiohttp.ClientSession, target: Target, concurrency: int, duration: float
) -> Tally:
    """``concurrency`` clients back to back for ``duration`` seconds."""
    loop = asyncio.get_running_loop()
    tally = Tally()
    numbers = itertools.count()
    start = loop.time()
    deadline = start + duration

    async def client() -> None:
        while loop.time() < deadline:
            status = await _send(session, target.make(next(numbers)), tally, loop.time())
            if status in target.empty:
                return

    await asyncio.gather(*(client() for _ in range(concurrency)))
    tally.elapsed = loop.time() - start
    return tally


async def open_loop(
    session: aiohttp.ClientSession, target: Target, rate: float, duration: float
) -> Tally:
    """``rate`` requests per second on a fixed schedule for ``duration`` seconds."""
    loop = asyncio.get_running_loop()
    tally = Tally()
    total = max(1, int(rate * duration))
    start = loop.time()
    tasks: list[asyncio.Task[int | None]] = []
    try:
        for i in range(total):
            when = start + i / rate
            delay = when - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(_send(session, target.make(i), tally, when)))
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    tally.elapsed = loop.time() - start
    return tally


class HallClient:
    """Log-ins and request builders for the hall server under test."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, password: str) -> None:
        self.session = session
        self.base = base_url
        self.password = password
        self.kiosk_token = ""
        self.manager_token = ""
        self.clerk_tokens: list[str] = []
        self._ids = itertools.count()

    async def _json(self, method: str, path: str, token: str = "", body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.request(
            method, self.base + path, headers=headers, json=body
        ) as response:
            if response.status >= 300:
                text = await response.text()
                raise RuntimeError(f"{method} {path}: {response.status} {text[:300]}")
            return await response.json()

    async def login(self, username: str) -> str:
        """A staff token."""
        body = {"username": username, "password": self.password}
        answer = await self._json("POST", "/api/v1/auth/login", body=body)
        return str(answer["token"])

    async def prepare(self) -> None:
        """Log the manager and every clerk in; register a kiosk device."""
        self.manager_token = await self.login("manager")
        device = await self._json(
            "POST", "/api/v1/halls/h1/devices", self.manager_token, {"role": "kiosk"}
        )
        self.kiosk_token = str(device["token"])
        self.clerk_tokens = [await self.login(f"clerk{n}") for n in range(1, WINDOWS + 1)]

    async def listed_halls(self) -> int:
        """How many halls the public feed lists (the report says what was measured)."""
        answer = await self._json("GET", "/api/v1/halls")
        return len(answer["halls"])

    async def waiting(self) -> int:
        """Tickets waiting in hall ``h1``, from the public feed."""
        answer = await self._json("GET", "/api/v1/halls")
        hall = next(h for h in answer["halls"] if h["id"] == "h1")
        return sum(int(s["waiting"]) for s in hall["services"])

    def issue(self, i: int) -> Call:
        """Even requests: ``s-b`` without ID; odd ones: ``s-a`` with a fresh ID number."""
        body: dict[str, Any] = {"service_id": "s-b"}
        if i % 2:
            body = {"service_id": "s-a", "id_number": id_number(next(self._ids))}
        headers = {"Authorization": f"Bearer {self.kiosk_token}"}
        return Call("POST", f"{self.base}/api/v1/halls/h1/tickets", headers, body)

    def call_next(self, i: int) -> Call:
        """Window ``i mod 8`` calls its next ticket, with its clerk's token."""
        n = i % WINDOWS
        headers = {"Authorization": f"Bearer {self.clerk_tokens[n]}"}
        return Call("POST", f"{self.base}/api/v1/windows/w{n + 1}/call-next", headers, {})

    def feed(self, i: int) -> Call:
        """The public feed of every hall with live waits."""
        return Call("GET", f"{self.base}/api/v1/halls")


def _baseline_target(base_url: str) -> Target:
    def make(i: int) -> Call:
        return Call("POST", f"{base_url}/insert", {}, {"n": i, "payload": "x" * 64})

    return Target("baseline", make, frozenset({201}))


@dataclass(frozen=True)
class Options:
    """The command line."""

    duration: float
    concurrency: int
    rate: float
    synchronous: str
    json: bool
    predictor: bool = True


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


async def _closed(session: aiohttp.ClientSession, target: Target, opts: Options) -> Tally:
    _say(f"  {target.name}: closed loop, {opts.concurrency} clients, {opts.duration:g} s")
    return await closed_loop(session, target, opts.concurrency, opts.duration)


async def _open(session: aiohttp.ClientSession, target: Target, opts: Options) -> Tally:
    _say(f"  {target.name}: open loop, {opts.rate:g} req/s, {opts.duration:g} s")
    return await open_loop(session, target, opts.rate, opts.duration)


async def _measure(session: aiohttp.ClientSession, target: Target, opts: Options) -> dict[str, Any]:
    closed = await _closed(session, target, opts)
    opened = await _open(session, target, opts)
    return {"closed": closed.summary(target), "open": opened.summary(target)}


async def _measure_calls(
    hall: HallClient, session: aiohttp.ClientSession, opts: Options
) -> dict[str, Any]:
    """call-next on pre-filled tickets, enough that neither loop runs dry.

    Calling costs more the more tickets wait, so the queue is kept only as long as the
    measurement needs: an unmeasured probe (one second at most) gives the closed-loop rate,
    the queue is topped up to 1.5 x what the closed loop will call, then to exactly what the
    open loop will call. A closed-loop client that gets 204 (nothing waits) stops, and
    ``empty`` counts those answers.
    """
    target = Target("call-next", hall.call_next, frozenset({200}), frozenset({204}))
    floor = int(opts.rate * opts.duration) + opts.concurrency
    await _prefill(hall, session, floor + 8 * opts.concurrency, opts)
    probe_seconds = min(1.0, opts.duration / 5)
    _say(f"  call-next: probe, {opts.concurrency} clients, {probe_seconds:g} s")
    probe = await closed_loop(session, target, opts.concurrency, probe_seconds)
    rate = float(probe.summary(target)["rps"])
    depth_closed = await _prefill(
        hall, session, max(floor, int(1.5 * rate * opts.duration) + opts.concurrency), opts
    )
    closed = await _closed(session, target, opts)
    depth_open = await _prefill(hall, session, floor, opts)
    opened = await _open(session, target, opts)
    return {
        "closed": {**closed.summary(target), "queue_at_start": depth_closed},
        "open": {**opened.summary(target), "queue_at_start": depth_open},
    }


async def _prefill(
    hall: HallClient, session: aiohttp.ClientSession, wanted: int, opts: Options
) -> int:
    """Issue tickets (unmeasured) until at least ``wanted`` wait; return how many wait."""
    waiting = await hall.waiting()
    missing = wanted - waiting
    if missing <= 0:
        return waiting
    _say(f"  pre-filling {missing} tickets for call-next ({waiting} waiting)")
    numbers = itertools.count()
    tally = Tally()

    loop = asyncio.get_running_loop()

    async def client() -> None:
        while (n := next(numbers)) < missing:
            await _send(session, hall.issue(n), tally, loop.time())

    await asyncio.gather(*(client() for _ in range(max(1, opts.concurrency))))
    bad = {s: n for s, n in tally.statuses.items() if s != 201}
    if bad or tally.failures:
        _say(f"  pre-fill problems: statuses {bad}, failures {dict(tally.failures)}")
    return await hall.waiting()


async def run(opts: Options, workdir: Path) -> dict[str, Any]:
    """Start both servers, measure every endpoint, stop both servers."""
    password = secrets.token_urlsafe(12)
    servers: list[ServerProcess] = []
    results: dict[str, dict[str, Any]] = {}
    listed = 0
    try:
        hall_port, base_port = free_port(), free_port()
        config = write_server_config(
            workdir / "hall",
            load_site(WINDOWS, password, HALLS),
            hall_port,
            opts.synchronous,
            predictor=opts.predictor,
        )
        _say(f"starting the hall server on 127.0.0.1:{hall_port} (synchronous={opts.synchronous})")
        servers.append(
            await start_server(
                "hall server", serve_command(config, hall_port), hall_port, workdir / "hall.log"
            )
        )
        _say(f"starting the baseline on 127.0.0.1:{base_port} (synchronous={opts.synchronous})")
        servers.append(
            await start_server(
                "baseline",
                baseline_command(base_port, workdir / "baseline.sqlite3", opts.synchronous),
                base_port,
                workdir / "baseline.log",
            )
        )
        hall_url, base_url = servers[0].base_url, servers[1].base_url
        connector = aiohttp.TCPConnector(limit=max(256, opts.concurrency * 2))
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            hall = HallClient(session, hall_url, password)
            await hall.prepare()
            listed = await hall.listed_halls()
            results["baseline"] = await _measure(session, _baseline_target(base_url), opts)
            results["call-next"] = await _measure_calls(hall, session, opts)
            results["issue"] = await _measure(
                session, Target("issue", hall.issue, frozenset({201})), opts
            )
            results["feed"] = await _measure(
                session, Target("feed", hall.feed, frozenset({200})), opts
            )
            results["baseline-end"] = await _measure(session, _baseline_target(base_url), opts)
        for server in servers:
            if server.process.returncode is not None:
                raise ServerFailed(f"{server.name} died during the run:\n{server.log_tail()}")
    finally:
        for server in reversed(servers):
            await server.stop()
    base_rps = (
        float(results["baseline"]["closed"]["rps"])
        + float(results["baseline-end"]["closed"]["rps"])
    ) / 2
    for result in results.values():
        rps = float(result["closed"]["rps"])
        result["ratio_to_baseline"] = round(rps / base_rps, 3) if base_rps > 0 else None
    return {
        "benchmark": "load",
        "synchronous": opts.synchronous,
        "predictor": opts.predictor,
        "duration_s": opts.duration,
        "concurrency": opts.concurrency,
        "rate": opts.rate,
        "windows": WINDOWS,
        "halls": listed,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
        },
        "endpoints": {name: results[name] for name in ENDPOINTS},
    }


async def _stoppable(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work``; SIGTERM cancels it like Ctrl-C does, so servers are stopped on the way."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await work
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


def _cell(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def render(report: dict[str, Any]) -> str:
    """The readable table."""
    lines = [
        f"onevisit bench load - synchronous={report['synchronous']}, "
        f"live wait predictor {'on' if report['predictor'] else 'off'}, "
        f"{report['duration_s']:g} s per measurement, loopback, "
        f"{report['machine']['cpus']} CPUs, Python {report['machine']['python']}",
        f"closed loop: {report['concurrency']} concurrent clients; "
        f"open loop: {report['rate']:g} requests/s on schedule",
        "",
        f"{'endpoint':<10} {'req/s':>8} {'x base':>7} {'p50 ms':>8} {'p99 ms':>8} {'err':>5}"
        f"   {'@rate p50':>9} {'p99 ms':>8} {'err':>5}",
    ]
    for name, result in report["endpoints"].items():
        closed, opened = result["closed"], result["open"]
        lines.append(
            f"{name:<10} {_cell(closed['rps']):>8} {_cell(result['ratio_to_baseline'], 2):>7}"
            f" {_cell(closed['p50_ms']):>8} {_cell(closed['p99_ms']):>8}"
            f" {closed['errors']:>5}"
            f"   {_cell(opened['p50_ms']):>9} {_cell(opened['p99_ms']):>8} {opened['errors']:>5}"
        )
    calls = report["endpoints"]["call-next"]
    depth = (calls["closed"]["queue_at_start"], calls["open"]["queue_at_start"])
    lines += [
        "",
        "x base: closed-loop throughput / mean of the baseline's first and last measurement"
        " (bare aiohttp + one sqlite-utils insert and commit per request, single writer thread,"
        " same synchronous setting).",
        f"call-next: {report['windows']} windows; {depth[0]} tickets waiting when the closed "
        f"loop started, {depth[1]} when the open loop started.",
        f"feed: GET /api/v1/halls with {report['halls']} halls (public, cacheable JSON).",
        "err: answers other than 200/201 (and 204 for call-next) and failed connections.",
    ]
    return "\n".join(lines)


def _positive(kind: type[float] | type[int]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, not {text}")
        return value

    return parse


def main(argv: Sequence[str]) -> int:
    """``onevisit bench load [--duration S] [--concurrency C] [--rate R] ...``."""
    parser = argparse.ArgumentParser(
        prog="onevisit bench load",
        description="Hall-server throughput and latency against a bare SQLite-insert baseline.",
    )
    parser.add_argument("--duration", type=_positive(float), default=5.0, help="seconds (5)")
    parser.add_argument("--concurrency", type=_positive(int), default=32, help="clients (32)")
    parser.add_argument("--rate", type=_positive(float), default=100.0, help="req/s (100)")
    parser.add_argument("--synchronous", choices=("FULL", "NORMAL"), default="FULL")
    parser.add_argument("--json", action="store_true", help="one line of JSON on stdout")
    parser.add_argument(
        "--no-predictor",
        action="store_true",
        help="run the hall server with the live wait predictor off ([server.extra.eta])",
    )
    args = parser.parse_args(list(argv))
    opts = Options(
        args.duration,
        args.concurrency,
        args.rate,
        args.synchronous,
        args.json,
        predictor=not args.no_predictor,
    )
    _say(f"onevisit bench load: synchronous={opts.synchronous}")
    try:
        with tempfile.TemporaryDirectory(prefix="onevisit-load-") as folder:
            report = asyncio.run(_stoppable(run(opts, Path(folder))))
    except (KeyboardInterrupt, asyncio.CancelledError):
        _say("interrupted; servers stopped")
        return 130
    except (ServerFailed, RuntimeError, OSError, aiohttp.ClientError) as err:
        _say(f"onevisit bench load: {err}")
        return 1
    if opts.json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False, separators=(",", ":")) + "\n")
    else:
        sys.stdout.write(render(report) + "\n")
    sys.stdout.flush()
    return 0

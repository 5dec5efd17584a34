"""``onevisit bench kiosk``: from card placed to ticket printed, device time vs our overhead.

A real hall server (``onevisit demo --no-traffic --no-kiosks`` in a subprocess, unless
``--server`` names one) and a real kiosk agent on simulated devices. The card reader
simulator answers at the speeds of reference/devices.md §1.6 (find and select ~50 ms each, the
RF read of the text and photo block 800 ms, the reader polled every 300 ms). Each round
places a new card, taps the first service and "take ticket" at once (no human think time),
and waits until the printer has cut the ticket.

- device time = card placed → card data in the agent, plus the printer driver's call
  (status queries and the job's bytes; the simulator has no mechanical print-time knob);
- overhead = everything else: the flow, the issue request to the hall server and its answer,
  the ticket layout handed to the printer, the screen update.

The target is an overhead under 300 ms at p95; the exit status is 1 when it is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from devices import CardData, simulator_of
from kiosk.agent import Agent
from kiosk.config import KioskConfig
from kiosk.flows import Event
from kiosk.samples import card

READER_SPEED = {"find_latency": 0.05, "select_latency": 0.05, "read_latency": 0.8}
TARGET_P95_MS = 300.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start_demo(data: Path) -> tuple[subprocess.Popen[bytes], str, str, str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "onevisit", "demo", "--no-traffic", "--no-kiosks",
         "--port", str(port), "--data", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(base + "/healthz", timeout=1) as answer,
        ):
            if answer.status == 200:
                creds = json.loads((data / "credentials.json").read_text(encoding="utf-8"))
                hall = "civic-center"
                return proc, base, creds["kiosk_tokens"][hall], hall
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("onevisit bench kiosk: the demo server did not start")


async def _wait(predicate: Any, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.001)


async def _round(agent: Agent, index: int) -> dict[str, float]:
    sim: Any = simulator_of(agent.devices["card_reader"])
    assert sim is not None
    agent.marks.clear()
    person = card("张三", date(1960 + index % 40, 1 + index % 12, 1 + index % 28), 1 + index % 998)
    placed = time.monotonic()
    await asyncio.to_thread(sim.place, CardData.from_json(person))
    await _wait(lambda: agent.flow.screen == "services")
    card_read = dict(agent.marks)["card_read"]
    service = next(s for s in agent.flow.catalog.services if not s.get("daily_quota"))
    await agent.dispatch(Event("tap", {"action": "choose", "value": service["id"]}))
    await agent.dispatch(Event("tap", {"action": "confirm"}))
    await _wait(
        lambda: agent.flow.ticket is not None and agent.flow.ticket["printed"] != "printing"
    )
    done = time.monotonic()
    assert agent.flow.ticket is not None
    if agent.flow.ticket["printed"] not in ("printed", "near_end"):
        raise RuntimeError(f"round {index}: {agent.flow.ticket['printed']}")
    marks = dict(agent.marks)
    printer = marks["print_end"] - marks["print_start"]
    await asyncio.to_thread(sim.remove)
    await agent.dispatch(Event("tap", {"action": "home"}))
    await asyncio.sleep(0.7)  # the next citizen: the reader sees the card gone (not timed)
    reader = card_read - placed
    total = done - placed
    return {
        "card reader": reader * 1000,
        "printer": printer * 1000,
        "device total": (reader + printer) * 1000,
        "issue request": (marks["issue_end"] - marks["issue_start"]) * 1000,
        "overhead": (total - reader - printer) * 1000,
        "card to printed": total * 1000,
    }


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _bench(args: argparse.Namespace, base: str, token: str, hall: str, data: Path) -> int:
    config = KioskConfig(
        server_url=base,
        token=token,
        hall_id=hall,
        data_dir=data / "kiosk",
        port=0,
        heartbeat_seconds=5.0,
        devices={
            "card_reader": {"kind": "card_reader", "backend": "sim", "sim": READER_SPEED},
            "printer": {"kind": "printer", "backend": "sim"},
        },
    )
    agent = Agent(config)
    await agent.start()
    try:
        await _wait(lambda: bool(agent.flow.catalog.services), 30)
        await _wait(lambda: agent.issuer is not None and agent.issuer.online is True, 30)
        await asyncio.sleep(1.0)  # let the reader open and reset before the first card
        for index in range(args.warmup):
            await _round(agent, 900 + index)
        rows = [await _round(agent, index) for index in range(args.rounds)]
    finally:
        await agent.stop()
    keys = list(rows[0])
    print(f"onevisit bench kiosk: {args.rounds} rounds, card placed -> ticket printed (ms)")
    print(f"{'part':<16}{'p50':>9}{'p95':>9}{'max':>9}")
    for key in keys:
        values = [r[key] for r in rows]
        print(
            f"{key:<16}{statistics.median(values):9.1f}{_pct(values, 0.95):9.1f}{max(values):9.1f}"
        )
    p95 = _pct([r["overhead"] for r in rows], 0.95)
    verdict = "met" if p95 < TARGET_P95_MS else "MISSED"
    print(f"overhead p95 {p95:.1f} ms, target < {TARGET_P95_MS:.0f} ms: {verdict}")
    if args.json:
        summary = {k: {"p50": statistics.median([r[k] for r in rows]),
                       "p95": _pct([r[k] for r in rows], 0.95)} for k in keys}  # fmt: skip
        sys.stderr.write(json.dumps(summary) + "\n")
    return 0 if p95 < TARGET_P95_MS else 1


def main(argv: Sequence[str]) -> int:
    """Run the benchmark; see the module docstring."""
    parser = argparse.ArgumentParser(prog="onevisit bench kiosk", description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--server", help="a running hall server (else a demo is started)")
    parser.add_argument("--token", help="kiosk device token for --server")
    parser.add_argument("--hall", default="civic-center")
    parser.add_argument("--json", action="store_true", help="also a JSON summary on stderr")
    args = parser.parse_args(list(argv))
    with tempfile.TemporaryDirectory(prefix="onevisit-bench-kiosk-") as tmp:
        data = Path(tmp)
        proc = None
        if args.server:
            if not args.token:
                parser.error("--server needs --token")
            base, token, hall = args.server.rstrip("/"), args.token, args.hall
        else:
            proc, base, token, hall = _start_demo(data / "demo")
        try:
            return asyncio.run(_bench(args, base, token, hall, data))
        finally:
            if proc is not None:
                proc.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(10)
                if proc.poll() is None:
                    os.kill(proc.pid, 9)

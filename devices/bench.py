"""Kiosk read-loop benchmark: many card placements through the real driver.

A simulated citizen places a card, keeps it on the reader for two more polls
after the reader has served the read, lifts it, waits until the loop has seen
the empty antenna, and places the next one. The kiosk side is the ordinary
:meth:`CardReader.read_loop` over a pty (or TCP) to the simulator. The
result counts missed and doubled cards and the overhead of each read beyond
the simulated device time (the find, select and read latencies the simulator
applies; a pty has no wire time).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from devices import jsonout
from devices.card_reader import samples
from devices.card_reader.model import CardData
from devices.card_reader.reader import CardReader
from devices.card_reader.simulator import CardReaderSimConfig, CardReaderSimulator
from devices.sim.hosts import PtyHost, SimLink, TcpHost
from devices.transport import SerialTransport, Transport

BENCH_CONFIG = CardReaderSimConfig(
    find_latency=0.001, select_latency=0.001, read_latency=0.005, other_latency=0.0005
)


def _wait(
    sim: CardReaderSimulator, what: str, target: int, stop: threading.Event, timeout: float = 2.0
) -> None:
    with sim.changed:
        sim.changed.wait_for(lambda: stop.is_set() or getattr(sim, what) >= target, timeout)


def _citizen(sim: CardReaderSimulator, cards: list[CardData], stop: threading.Event) -> None:
    """Place, hold, lift each card in turn, paced by what the reader is asked."""
    for card in cards:
        if stop.is_set():
            return
        reads = sim.reads_served
        sim.place(card)
        _wait(sim, "reads_served", reads + 1, stop)
        _wait(sim, "finds", sim.finds + 2, stop)
        sim.remove()
        _wait(sim, "finds", sim.finds + 1, stop)


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    return {
        "mean": round(statistics.fmean(ordered) * 1000, 3),
        "p50": round(ordered[len(ordered) // 2] * 1000, 3),
        "p95": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 3),
        "max": round(ordered[-1] * 1000, 3),
    }


async def _consume(
    reader: CardReader, n: int, seen: list[tuple[str, float]], errors: list[str]
) -> None:
    async with contextlib.aclosing(reader.read_loop()) as loop:
        async for item in loop:
            if isinstance(item, CardData):
                seen.append((item.id_number, time.monotonic()))
                if len(seen) >= n:
                    return
            else:
                errors.append(f"{item.code}: {item}")


def _host(sim: CardReaderSimulator, transport: str) -> tuple[Transport, Any]:
    if transport == "inprocess":
        link = SimLink(sim)
        return link, link
    host = PtyHost(sim) if transport == "pty" else TcpHost(sim)
    return SerialTransport(host.url), host


async def _run(n: int, transport: str, poll_interval: float, rearm: bool) -> dict[str, Any]:
    config = CardReaderSimConfig(**{**vars(BENCH_CONFIG), "rearm_requires_lift": rearm})
    sim = CardReaderSimulator(config)
    port, host = _host(sim, transport)
    cards = [samples.resident(i) for i in range(n)]
    seen: list[tuple[str, float]] = []
    errors: list[str] = []
    stop = threading.Event()
    started = time.monotonic()
    reader = CardReader(port, poll_interval=poll_interval)
    try:
        await reader.open()
        citizen = threading.Thread(target=_citizen, args=(sim, cards, stop), daemon=True)
        citizen.start()
        consumer = asyncio.create_task(_consume(reader, n, seen, errors))
        finished = asyncio.create_task(asyncio.to_thread(citizen.join))
        await asyncio.wait({consumer, finished}, return_when=asyncio.FIRST_COMPLETED)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(consumer, 1.0)
    finally:
        stop.set()
        with sim.changed:
            sim.changed.notify_all()
        await reader.close()
        host.stop()
    return _report(n, cards, seen, errors, sim, time.monotonic() - started) | {
        "transport": transport,
        "poll_interval_ms": poll_interval * 1000,
        "rearm_requires_lift": rearm,
    }


def _report(
    n: int,
    cards: list[CardData],
    seen: list[tuple[str, float]],
    errors: list[str],
    sim: CardReaderSimulator,
    elapsed: float,
) -> dict[str, Any]:
    counts = Counter(number for number, _ in seen)
    placed = {card.id_number for card in cards}
    found_at = dict(sim.read_log)
    device_time = sim.config.find_latency + sim.config.select_latency + sim.config.read_latency
    overheads = [t - found_at[num] - device_time for num, t in seen if num in found_at]
    return {
        "placements": n,
        "cards_reported": len(seen),
        "missed": len(placed - set(counts)),
        "doubled": sum(c - 1 for c in counts.values() if c > 1),
        "unexpected": len(set(counts) - placed),
        "errors": len(errors),
        "device_time_ms": round(device_time * 1000, 3),
        "overhead_ms": _summary(overheads),
        "elapsed_s": round(elapsed, 2),
    }


def run_read_loop_bench(
    n: int = 1000,
    *,
    transport: str = "pty",
    poll_interval: float = 0.002,
    rearm_requires_lift: bool = True,
) -> dict[str, Any]:
    """Run the benchmark; ``transport`` is "pty", "tcp" or "inprocess"."""
    if transport not in ("pty", "tcp", "inprocess"):
        raise ValueError("transport must be 'pty', 'tcp' or 'inprocess'")
    return asyncio.run(_run(n, transport, poll_interval, rearm_requires_lift))


def bench_main(argv: Sequence[str] | None = None) -> int:
    """``python -m devices.bench [N] [--transport pty|tcp|inprocess]``: one JSON line."""
    parser = argparse.ArgumentParser(prog="devices.bench", description=__doc__)
    parser.add_argument("placements", type=int, nargs="?", default=1000)
    parser.add_argument("--transport", choices=["pty", "tcp", "inprocess"], default="pty")
    parser.add_argument("--poll-interval", type=float, default=0.002, help="seconds")
    parser.add_argument(
        "--keep-finding", action="store_true", help="the reader keeps finding a card left on it"
    )
    args = parser.parse_args(argv)
    result = run_read_loop_bench(
        args.placements,
        transport=args.transport,
        poll_interval=args.poll_interval,
        rearm_requires_lift=not args.keep_finding,
    )
    jsonout.emit(result)
    return 0 if result["missed"] == result["doubled"] == 0 else 1


if __name__ == "__main__":
    sys.exit(bench_main())

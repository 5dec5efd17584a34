"""``onevisit kiosk --config FILE``: a kiosk agent, or a counter agent (``role = "counter"``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.config import ConfigError, KioskConfig, parse, read_toml

if TYPE_CHECKING:
    from kiosk.counter_config import CounterConfig


def main(argv: Sequence[str]) -> int:
    """Run the agent until SIGINT/SIGTERM; print ``{"url": …}`` once the page is served."""
    parser = argparse.ArgumentParser(prog="onevisit kiosk", description=__doc__)
    parser.add_argument("--config", type=Path, required=True, help="the agent's TOML file")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(list(argv))
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    try:
        data = read_toml(args.config)
        base = args.config.resolve().parent
        if data.get("role") == "counter":
            from kiosk.counter_config import parse as parse_counter

            return asyncio.run(_serve_counter(parse_counter(data, base)))
        config = parse(data, base)
    except ConfigError as err:
        sys.stderr.write(f"onevisit kiosk: {err}\n")
        return 2
    return asyncio.run(_serve(config))


def _print_ready(url: str) -> None:
    sys.stdout.write(json.dumps({"url": url, "sim": f"{url}/sim"}, separators=(",", ":")) + "\n")
    sys.stdout.flush()


async def _until_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    await stop.wait()


async def _serve(config: KioskConfig) -> int:
    from kiosk.agent import Agent

    agent = Agent(config)
    url = await agent.start()
    _print_ready(url)
    try:
        await _until_signal()
    finally:
        await agent.stop()
    return 0


async def _serve_counter(config: CounterConfig) -> int:
    from kiosk.counter import CounterAgent
    from kiosk.counter_panel import serve

    agent = CounterAgent(config)
    try:
        await agent.start()
        runner, url = await serve(agent)
        try:
            _print_ready(url)
            await _until_signal()
        finally:
            await runner.cleanup()
    finally:
        await agent.stop()
    return 0

"""``onevisit kiosk --config FILE``: run a kiosk agent."""

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

from kiosk.config import ConfigError, load


def main(argv: Sequence[str]) -> int:
    """Run the agent until SIGINT/SIGTERM; print ``{"url": …}`` once the page is served."""
    parser = argparse.ArgumentParser(prog="onevisit kiosk", description=__doc__)
    parser.add_argument("--config", type=Path, required=True, help="the kiosk's TOML file")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(list(argv))
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    try:
        config = load(args.config)
    except ConfigError as err:
        sys.stderr.write(f"onevisit kiosk: {err}\n")
        return 2
    return asyncio.run(_serve(config))


async def _serve(config: object) -> int:
    from kiosk.agent import Agent
    from kiosk.config import KioskConfig

    assert isinstance(config, KioskConfig)
    agent = Agent(config)
    url = await agent.start()
    sys.stdout.write(json.dumps({"url": url, "sim": f"{url}/sim"}, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await agent.stop()
    return 0

"""``onevisit serve --config FILE``: the production hall server."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from queue_server.app import create_app
from queue_server.config import Settings


def serve_main(argv: Sequence[str]) -> int:
    """Run the hall server until interrupted."""
    parser = argparse.ArgumentParser(prog="onevisit serve", description=__doc__)
    parser.add_argument("--config", type=Path, required=True, help="TOML settings file")
    parser.add_argument("--host", help="override the listening address")
    parser.add_argument("--port", type=int, help="override the port")
    args = parser.parse_args(list(argv))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = Settings.from_toml(args.config)
    except (OSError, ValueError, TypeError) as err:
        parser.error(str(err))
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    web.run_app(create_app(settings), host=host, port=port, print=None, access_log=None)
    return 0

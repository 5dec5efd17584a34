"""``onevisit sim <device>``: run one simulator as a process.

The first stdout line is ``{"port": URL}`` once the simulator listens. Then
each stdin line is a JSON control command, answered by one JSON line:
``{"cmd": "unplug"}``, ``{"cmd": "replug"}`` and the device's own commands
(see docs/devices.md). At stdin EOF the simulator keeps serving until it
receives SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from devices import jsonout
from devices.errors import ConfigError
from devices.sim.base import SimDevice
from devices.sim.hosts import SimHost, open_host


def _parser(kinds: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="onevisit sim", description="Run a device simulator.")
    parser.add_argument("device", choices=list(kinds))
    parser.add_argument("--port", default="pty", help="pty, or tcp://HOST:PORT (port 0: any)")
    parser.add_argument("--link", help="with --port pty: keep a symlink to the pty at this path")
    parser.add_argument("--card", type=Path, help="card-reader: place this card (read-card JSON)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KNOB=VALUE",
        help="set a fault knob at start (VALUE is JSON, e.g. read_latency=0.5)",
    )
    return parser


def parse_knobs(pairs: Sequence[str]) -> dict[str, Any]:
    """``["a=1", "b=true", "c=ok"]`` → ``{"a": 1, "b": True, "c": "ok"}``."""
    knobs: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise ConfigError(f"--set expects KNOB=VALUE, got {pair!r}")
        try:
            knobs[key] = json.loads(raw)
        except json.JSONDecodeError:
            knobs[key] = raw
    return knobs


def handle(host: SimHost, command: dict[str, Any]) -> dict[str, Any]:
    """Apply one control command to the host or its device."""
    action = command.get("cmd")
    if action == "unplug":
        host.unplug()
        return {"ok": True}
    if action == "replug":
        host.replug()
        return {"ok": True, "port": host.url}
    return host.device.control(command)


def _control_loop(host: SimHost) -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = handle(host, json.loads(line))
        except (ValueError, KeyError, TypeError) as err:
            reply = {"ok": False, "error": str(err)}
        jsonout.emit(reply)


def run(
    argv: Sequence[str], factories: dict[str, Callable[[argparse.Namespace], SimDevice]]
) -> int:
    """Build the simulator, serve it, print its URL, obey stdin until a signal."""
    args = _parser(list(factories)).parse_args(list(argv))
    try:
        device = factories[args.device](args)
        host = open_host(device, args.port, args.link)
    except (ConfigError, ValueError, OSError) as err:
        sys.stderr.write(f"onevisit sim: {err}\n")
        return 2
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    jsonout.emit({"port": host.url})
    threading.Thread(target=_control_loop, args=(host,), daemon=True).start()
    try:
        while not done.is_set():
            done.wait(0.5)
    finally:
        host.stop()
    return 0

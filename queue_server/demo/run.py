"""``onevisit demo``: a seeded demo city, its hall server, and simulated citizens and clerks."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import signal
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web

import display
from queue_server.api.http import state_key
from queue_server.app import create_app
from queue_server.config import Settings
from queue_server.demo.city import APPOINTMENTS, build_site
from queue_server.demo.traffic import run_traffic
from queue_server.domain.models import Role
from queue_server.service import appointment_rules
from queue_server.service.actors import Actor
from queue_server.service.auth import issue_device_token
from queue_server.service.screens import register_window_device

log = logging.getLogger(__name__)
CREDENTIALS = "credentials.json"
SITE = "demo-site.json"


def write_atomically(path: Path, data: dict[str, Any]) -> None:
    """Write JSON so that a reader sees the old file or the whole new one, never half."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    temp.chmod(0o600)
    os.replace(temp, path)


def _site_and_credentials(data_dir: Path) -> tuple[Path, dict[str, Any], bool]:
    """Reuse a previous demo in ``data_dir`` if there is one, else seed a new city."""
    site_path = data_dir / SITE
    creds_path = data_dir / CREDENTIALS
    database = Settings(data_dir=data_dir).database_path
    if site_path.is_file() and creds_path.is_file() and database.is_file():
        return site_path, json.loads(creds_path.read_text(encoding="utf-8")), False
    for stale in (database, database.with_name(database.name + "-wal")):
        stale.unlink(missing_ok=True)
    site, credentials = build_site(random.Random())
    write_atomically(site_path, site)
    return site_path, credentials, True


async def _enable_appointments(app: web.Application) -> None:
    """Open appointments on a few services of each hall (kept if a manager changed them)."""
    st = app[state_key]
    for hall_id, services in APPOINTMENTS.items():
        await st.db.write(
            partial(appointment_rules.enable_services, hall_id=hall_id, settings=services)
        )


async def _register_kiosks(
    app: web.Application, hall_ids: list[str], credentials: dict[str, Any]
) -> None:
    """One kiosk device token per hall (kept across restarts of the same demo)."""
    st = app[state_key]
    now = st.clock()
    tokens = dict(credentials.get("kiosk_tokens", {}))
    for hall_id in hall_ids:
        if hall_id not in tokens:
            tokens[hall_id] = await st.db.write(
                partial(
                    issue_device_token, hall_id=hall_id, role="kiosk", label="demo kiosk", now=now
                )
            )
    credentials["kiosk_tokens"] = tokens


async def _start_kiosks(
    base: str, data_dir: Path, hall_ids: list[str], tokens: dict[str, str]
) -> list[tuple[str, str, asyncio.subprocess.Process]]:
    """One kiosk agent per hall, on simulated devices, each in its own process on a free port.

    The server never imports the kiosk: agents are started as ``onevisit kiosk`` processes,
    which print ``{"url": …}`` once their page is served.
    """
    started = []
    for hall_id in hall_ids:
        config = data_dir / f"kiosk-{hall_id}.toml"
        config.write_text(
            f'server_url = "{base}"\ntoken = "{tokens[hall_id]}"\nhall_id = "{hall_id}"\n'
            f'port = 0\ndata_dir = "kiosk-{hall_id}"\nsim_panel = true\n\n'
            '[devices.card_reader]\nbackend = "sim"\n\n[devices.printer]\nbackend = "sim"\n',
            encoding="utf-8",
        )
        config.chmod(0o600)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "onevisit", "kiosk", "--config", str(config),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert proc.stdout is not None
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            started.append((hall_id, json.loads(line)["url"], proc))
        except (TimeoutError, ValueError, KeyError):
            log.warning("the kiosk of %s did not start", hall_id)
            proc.terminate()
    return started


COUNTER_HALL = "civic-center"
"""The around-the-clock hall: its first staffed window gets a simulated counter agent."""


def counter_window(site_path: Path, credentials: dict[str, Any]) -> str | None:
    """The window the demo's counter agent drives (the 24-hour hall's first staffed one)."""
    site = json.loads(site_path.read_text(encoding="utf-8"))
    hall = next((h for h in site["halls"] if h["id"] == COUNTER_HALL), None)
    windows = {w["id"] for w in hall["windows"]} if hall else set()
    staffed = sorted(c["window_id"] for c in credentials["clerks"] if c["window_id"] in windows)
    return staffed[0] if staffed else None


async def _register_counter(
    app: web.Application, data_dir: Path, window_id: str, fresh: bool
) -> Path:
    """A counter token bound to the window, in a file beside the agent's TOML (kept across
    restarts of the same demo; credentials.json keeps its documented shape)."""
    token_file = data_dir / f"counter-{window_id}.token"
    if token_file.is_file() and not fresh:
        return token_file
    st = app[state_key]
    now = st.clock()
    manager = Actor("staff", "demo", Role.MANAGER, ("*",))
    result = await st.db.write(
        lambda tx: register_window_device(tx, manager, window_id, "counter", "demo counter", now)
    )
    temp = token_file.with_name(f".{token_file.name}.tmp")
    temp.write_text(result["token"], encoding="utf-8")
    temp.chmod(0o600)
    os.replace(temp, token_file)
    return token_file


async def _start_counter(
    base: str, data_dir: Path, window_id: str, token_file: Path
) -> tuple[str, asyncio.subprocess.Process] | None:
    """The counter agent of one window (``onevisit kiosk`` with ``role = "counter"``) on a
    simulated caller keypad, evaluator and window LED; returns its URL."""
    config = data_dir / f"counter-{window_id}.toml"
    config.write_text(
        f'role = "counter"\nserver_url = "{base}"\ntoken_file = "{token_file.name}"\n'
        f'window_id = "{window_id}"\nport = 0\n\n'
        '[devices.keypad]\nbackend = "sim"\naddress = 1\n\n'
        "[devices.evaluator]\naddress = 2\n\n"
        '[devices.led]\nbackend = "sim"\n',
        encoding="utf-8",
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "onevisit", "kiosk", "--config", str(config),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        return json.loads(line)["url"], proc
    except (TimeoutError, ValueError, KeyError):
        log.warning("the counter agent of %s did not start", window_id)
        proc.terminate()
        return None


WINDOW_PAGES = {"window", "evaluator"}
HALL_PAGES = {"signage", "mobile"}


def page_urls(base: str, hall_ids: list[str], first_window: str | None = None) -> list[str]:
    """Every page the server serves, linked per hall (or to a window) where a page needs one."""
    urls = [f"{base}/"]
    for page in sorted(p.stem for p in display.PAGES_DIR.glob("*.html") if p.stem != "index"):
        if page in HALL_PAGES:
            urls.extend(f"{base}/{page}?hall={hall_id}" for hall_id in hall_ids)
        elif page in WINDOW_PAGES and first_window is not None:
            urls.append(f"{base}/{page}?window={first_window}")
        else:
            urls.append(f"{base}/{page}")
    urls.append(f"{base}/api/v1/halls")
    urls.append(f"{base}/api/v1/openapi.json")
    return urls


async def run_demo(
    args: argparse.Namespace,
    site_path: Path,
    hall_ids: list[str],
    credentials: dict[str, Any],
    fresh: bool,
) -> int:
    """Start everything, print the URLs, run until interrupted."""
    data_dir: Path = args.data
    settings = Settings(
        data_dir=data_dir,
        host=args.host,
        port=args.port,
        site_file=site_path,
        extra={"remote": {"outbox_public": True}},
    )
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await _enable_appointments(app)
    await _register_kiosks(app, hall_ids, credentials)
    write_atomically(data_dir / CREDENTIALS, credentials)
    site = web.TCPSite(runner, args.host, args.port)
    await site.start()
    base = f"http://{args.host}:{args.port}"
    print("OneVisit demo city " + ("seeded" if fresh else "resumed"), flush=True)
    first_window = next((c["window_id"] for c in credentials["clerks"]), None)
    for url in page_urls(base, hall_ids, first_window):
        print(f"  {url}", flush=True)
    kiosks: list[tuple[str, str, asyncio.subprocess.Process]] = []
    counter: tuple[str, asyncio.subprocess.Process] | None = None
    window_id = counter_window(site_path, credentials)
    if not args.no_kiosks:
        counter_start = None
        if window_id is not None:  # started beside the kiosks, so the demo is not slower
            token_file = await _register_counter(app, data_dir, window_id, fresh)
            counter_start = asyncio.create_task(
                _start_counter(base, data_dir, window_id, token_file)
            )
        kiosks = await _start_kiosks(base, data_dir, hall_ids, credentials["kiosk_tokens"])
        counter = await counter_start if counter_start is not None else None
        for hall_id, url, _ in kiosks:
            print(f"  kiosk {hall_id}: {url}/  (with device simulator: {url}/sim)", flush=True)
        if counter is not None:
            print(
                f"  counter agent {window_id}: {counter[0]}/sim"
                "  (caller keypad, window LED and evaluator, simulated)",
                flush=True,
            )
    print(f"  credentials: {data_dir / CREDENTIALS}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    traffic = None
    if not args.no_traffic:
        traffic = asyncio.create_task(
            run_traffic(base, credentials, credentials["kiosk_tokens"], stop, speed=args.speed)
        )
    await stop.wait()
    if traffic is not None:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(traffic, 5)
    agents = [proc for _, _, proc in kiosks] + ([counter[1]] if counter is not None else [])
    for proc in agents:
        if proc.returncode is None:
            proc.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 5)
    await runner.cleanup()
    return 0


def demo_main(argv: Sequence[str]) -> int:
    """Parse the arguments of ``onevisit demo`` and run it."""
    parser = argparse.ArgumentParser(prog="onevisit demo", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--data", type=Path, default=Path("demo-data"))
    parser.add_argument("--no-traffic", action="store_true", help="no simulated citizens/clerks")
    parser.add_argument(
        "--no-kiosks", action="store_true", help="no simulated kiosk and counter agents"
    )
    parser.add_argument("--speed", type=float, default=1.0, help="traffic speed-up factor")
    args = parser.parse_args(list(argv))
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    args.data.mkdir(parents=True, exist_ok=True)
    site_path, credentials, fresh = _site_and_credentials(args.data)
    hall_ids = [h["id"] for h in json.loads(site_path.read_text(encoding="utf-8"))["halls"]]
    return asyncio.run(run_demo(args, site_path, hall_ids, credentials, fresh))

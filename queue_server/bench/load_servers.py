"""Servers in their own processes for ``onevisit bench load``: start, wait, stop.

Also the site the load benchmark runs against and distinct valid ID numbers to issue with.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

import aiohttp

from queue_server.domain.ids import check_digit

HOST = "127.0.0.1"
ALL_DAY = [["00:00", "24:00"]]
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FIRST_BIRTH = date(1975, 1, 1)


def id_number(index: int) -> str:
    """A valid GB 11643 resident ID number, distinct for every ``index`` below 10,000,000.

    Birth dates run from 1975 on (nobody reaches the green-channel age), 1,000 sequence
    numbers per day.
    """
    birth = _FIRST_BIRTH + timedelta(days=index // 1000)
    first17 = f"330102{birth:%Y%m%d}{index % 1000:03d}"
    return first17 + check_digit(first17)


def _hall(hall_id: str, name: str, windows: int) -> dict[str, Any]:
    """One all-day hall; ids are global, so halls other than ``h1`` prefix theirs."""
    a, b = ("s-a", "s-b") if hall_id == "h1" else (f"{hall_id}-a", f"{hall_id}-b")
    return {
        "id": hall_id,
        "name": name,
        "name_en": f"Load-test hall {hall_id}",
        "address": f"压测路 {hall_id[1:]} 号",
        "lat": 30.25,
        "lon": 120.16,
        "schedule": {"timezone": "Asia/Shanghai", "weekly": dict.fromkeys(WEEK, ALL_DAY)},
        "rules": {},
        "services": [
            {
                "id": a,
                "code": "330100-001",
                "prefix": "A",
                "name": "不动产登记",
                "name_en": "Real estate",
                "rules": {"typical_minutes": 10},
            },
            {
                "id": b,
                "code": "330100-002",
                "prefix": "B",
                "name": "公积金提取",
                "name_en": "Provident fund",
                "rules": {"typical_minutes": 6, "id_required": False},
            },
        ],
        "windows": [
            {
                "id": f"w{n}" if hall_id == "h1" else f"{hall_id}-w{n}",
                "number": n,
                "state": "open",
                "profile": {a: 1, b: 1},
            }
            for n in range(1, windows + 1)
        ],
    }


def load_site(windows: int, password: str, halls: int = 10) -> dict[str, Any]:
    """Hall ``h1``: open around the clock, ``windows`` open windows, one clerk each; and
    ``halls - 1`` more halls of 4 windows each, so the public feed lists a city's worth."""
    return {
        "halls": [
            _hall("h1", "压测大厅", windows),
            *[_hall(f"h{n}", f"压测分厅 {n}", 4) for n in range(2, halls + 1)],
        ],
        "staff": [
            {"username": "manager", "password": password, "role": "manager", "halls": ["h1"]},
            *[
                {
                    "username": f"clerk{n}",
                    "password": password,
                    "role": "clerk",
                    "halls": ["h1"],
                    "window_id": f"w{n}",
                }
                for n in range(1, windows + 1)
            ],
        ],
    }


def free_port() -> int:
    """A TCP port on the loopback address that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_server_config(
    folder: Path,
    site: dict[str, Any],
    port: int,
    synchronous: str = "FULL",
    *,
    predictor: bool = True,
) -> Path:
    """Write ``site.json`` and ``server.toml`` into ``folder``; return the TOML path.

    The data dir is ``folder/data``, so a second start with the same file reopens the data.
    ``predictor=False`` switches the live wait predictor off.
    """
    folder.mkdir(parents=True, exist_ok=True)
    site_file = folder / "site.json"
    site_file.write_text(json.dumps(site, ensure_ascii=False), encoding="utf-8")
    config = folder / "server.toml"
    config.write_text(
        "[server]\n"
        f"data_dir = {_toml_string(str(folder / 'data'))}\n"
        f"site_file = {_toml_string(str(site_file))}\n"
        f"host = {_toml_string(HOST)}\n"
        f"port = {port}\n"
        f"synchronous = {_toml_string(synchronous)}\n"
        + ("" if predictor else "\n[server.extra.eta]\nenabled = false\n"),
        encoding="utf-8",
    )
    return config


def serve_command(config: Path, port: int) -> list[str]:
    """``onevisit serve --config FILE`` run by this interpreter."""
    return [sys.executable, "-m", "onevisit", "serve", "--config", str(config), "--port", str(port)]


def baseline_command(port: int, db: Path, synchronous: str) -> list[str]:
    """The bare baseline server."""
    return [
        sys.executable,
        "-m",
        "queue_server.bench.load_baseline",
        "--port",
        str(port),
        "--db",
        str(db),
        "--synchronous",
        synchronous,
    ]


class ServerFailed(RuntimeError):
    """A server process did not come up; the message carries the end of its log."""


@dataclass
class ServerProcess:
    """A server running in a child process, its output going to a log file."""

    name: str
    process: asyncio.subprocess.Process
    port: int
    log_path: Path
    _log: IO[bytes]
    killed: bool = False

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{HOST}:{self.port}"

    def log_tail(self, lines: int = 20) -> str:
        """The last lines the server wrote."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _signal(self, signum: int) -> None:
        # os.kill, not Popen.send_signal: the latter polls (waitpid) first and may reap the
        # child under asyncio's child watcher, which then reports exit status 255.
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signum)

    def kill(self) -> None:
        """SIGKILL, at once (no clean shutdown)."""
        self.killed = True
        self._signal(signal.SIGKILL)

    async def stop(self, grace: float = 10.0) -> int | None:
        """Ask politely (SIGTERM), then SIGKILL after ``grace`` seconds; always reap."""
        try:
            if self.process.returncode is None and not self.killed:
                self._signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(self.process.wait(), grace)
                except TimeoutError:
                    self.kill()
            await self.process.wait()
        finally:
            self._log.close()
        return self.process.returncode

    async def wait_healthy(self, startup_seconds: float = 30.0) -> None:
        """Poll ``/healthz`` until it answers 200; raise :class:`ServerFailed` otherwise."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + startup_seconds
        probe = aiohttp.ClientTimeout(total=2.0)
        async with aiohttp.ClientSession(timeout=probe) as session:
            while True:
                if self.process.returncode is not None:
                    raise ServerFailed(
                        f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}"
                    )
                try:
                    async with session.get(f"{self.base_url}/healthz") as response:
                        if response.status == 200:
                            return
                except (aiohttp.ClientError, TimeoutError):
                    pass
                if loop.time() > deadline:
                    raise ServerFailed(
                        f"{self.name} not healthy after {startup_seconds:.0f} s:\n{self.log_tail()}"
                    )
                await asyncio.sleep(0.1)


async def start_server(
    name: str, command: list[str], port: int, log_path: Path, startup_seconds: float = 30.0
) -> ServerProcess:
    """Start ``command`` (which must listen on ``port``) and wait until it is healthy.

    On failure the process is stopped and reaped before :class:`ServerFailed` is raised.
    """
    log = log_path.open("ab")
    try:
        process = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log
        )
    except BaseException:
        log.close()
        raise
    server = ServerProcess(name, process, port, log_path, log)
    try:
        await server.wait_healthy(startup_seconds)
    except BaseException:
        await server.stop(grace=5.0)
        raise
    return server

"""Fuzz every route from the server's own OpenAPI document: nothing answers 5xx."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from queue_server.api import openapi_document
from queue_server.app import create_app
from queue_server.config import Settings
from tests.queue_server.site import PASSWORD, test_site


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerThread:
    """The real app on a real port, in a thread with its own loop (schemathesis is sync)."""

    def __init__(self, data_dir: Path) -> None:
        site_file = data_dir / "site.json"
        site_file.write_text(json.dumps(test_site(), ensure_ascii=False), encoding="utf-8")
        self.settings = Settings(data_dir=data_dir / "data", site_file=site_file)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.runner: web.AppRunner | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.runner = web.AppRunner(create_app(self.settings))
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", self.port)
        self.loop.run_until_complete(site.start())
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.runner.cleanup())
        self.loop.close()

    def __enter__(self) -> str:
        self.thread.start()
        assert self.ready.wait(20)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(20)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with ServerThread(tmp_path_factory.mktemp("fuzz")) as url:
        yield url


@pytest.fixture(scope="module")
def manager_token(base_url: str) -> str:
    response = requests.post(
        f"{base_url}/api/v1/auth/login",
        json={"username": "manager", "password": PASSWORD},
        timeout=10,
    )
    token: str = response.json()["token"]
    return token


def _without_streams(doc: dict[str, Any]) -> dict[str, Any]:
    """Streams never end by themselves, so they are fuzzed by their own tests instead."""
    paths = {p: ops for p, ops in doc["paths"].items() if not p.endswith(("/events", "/ws"))}
    return {**doc, "paths": paths}


schema = schemathesis.openapi.from_dict(_without_streams(openapi_document()))


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_route_answers_5xx(case: Any, base_url: str, manager_token: str) -> None:
    case.call_and_validate(
        base_url=base_url,
        headers={"Authorization": f"Bearer {manager_token}"},
        checks=[not_a_server_error],
        timeout=10,
    )


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_route_answers_5xx_anonymously(case: Any, base_url: str) -> None:
    case.call_and_validate(base_url=base_url, checks=[not_a_server_error], timeout=10)

"""Fixtures of the counter tests: the server fixtures of tests/queue_server, reused, and a
real hall server with the counter rig around it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.counter.harness import Counter, start_server
from tests.queue_server.conftest import FakeClock, Hall, MakeHall, hall, make_hall

__all__ = ["FakeClock", "Hall", "MakeHall", "hall", "make_hall"]


@pytest.fixture
async def counter(tmp_path: Path, aiohttp_server: Any) -> AsyncIterator[Counter]:
    """A hall server on a real port, with helpers for the counter agent and its devices."""
    server = await start_server(tmp_path, aiohttp_server)
    async with aiohttp.ClientSession() as http:
        rig = Counter(server, http)
        try:
            yield rig
        finally:
            await rig.stop()

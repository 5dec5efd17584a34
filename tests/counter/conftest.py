"""Fixtures of the counter tests: the server fixtures of tests/queue_server, reused."""

from __future__ import annotations

from tests.queue_server.conftest import FakeClock, Hall, MakeHall, hall, make_hall

__all__ = ["FakeClock", "Hall", "MakeHall", "hall", "make_hall"]

"""Fixtures for the screen and evaluation tests: the server test hall, plus helpers."""

from __future__ import annotations

from tests.browser import browser
from tests.queue_server.conftest import FakeClock, Hall, MakeHall, hall, make_hall

__all__ = ["FakeClock", "Hall", "MakeHall", "browser", "hall", "make_hall"]

"""Fixtures of the console tests: the queue-server test hall, with materials checklists."""

from __future__ import annotations

from typing import Any

import pytest

from tests.queue_server.conftest import Hall, MakeHall, make_hall  # noqa: F401 - fixture
from tests.queue_server.site import PASSWORD, test_site

MATERIALS = [{"zh": "身份证原件", "en": "ID card"}, {"zh": "不动产权证书", "en": "Title deed"}]


def console_site(windows: int = 3) -> dict[str, Any]:
    """The test site; service A lists its materials and, like B, takes tickets without ID;
    ``desk`` works at the help desk (no window)."""
    site = test_site(windows)
    service_a = site["halls"][0]["services"][0]
    service_a["info"] = {"materials": MATERIALS}
    service_a["rules"]["id_required"] = False
    site["staff"].append(
        {"username": "desk", "password": PASSWORD, "role": "clerk", "halls": ["h1"]}
    )
    return site


@pytest.fixture
async def hall(make_hall: MakeHall) -> Hall:  # noqa: F811
    """The console test hall."""
    return await make_hall(console_site())

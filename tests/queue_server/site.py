"""A small hall for tests: open around the clock, three windows, two services."""

from __future__ import annotations

from typing import Any

PASSWORD = "correct-horse-battery"
ALL_DAY = [["00:00", "24:00"]]


def test_site(windows: int = 3, state: str = "open") -> dict[str, Any]:
    """A site definition with one 24-hour hall (``h1``)."""
    weekly = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), ALL_DAY)
    return {
        "halls": [
            {
                "id": "h1",
                "name": "测试大厅",
                "name_en": "Test hall",
                "address": "测试路 1 号",
                "lat": 30.25,
                "lon": 120.16,
                "schedule": {"timezone": "Asia/Shanghai", "weekly": weekly},
                "rules": {},
                "services": [
                    {
                        "id": "s-a",
                        "code": "330100-001",
                        "prefix": "A",
                        "name": "不动产登记",
                        "name_en": "Real estate",
                        "rules": {"typical_minutes": 10},
                    },
                    {
                        "id": "s-b",
                        "code": "330100-002",
                        "prefix": "B",
                        "name": "公积金提取",
                        "name_en": "Provident fund",
                        "rules": {"typical_minutes": 6, "id_required": False},
                    },
                ],
                "windows": [
                    {
                        "id": f"w{n}",
                        "number": n,
                        "state": state,
                        "profile": {"s-a": 1, "s-b": 1},
                    }
                    for n in range(1, windows + 1)
                ],
            }
        ],
        "staff": [
            {"username": "manager", "password": PASSWORD, "role": "manager", "halls": ["h1"]},
            *[
                {
                    "username": f"clerk{n}",
                    "password": PASSWORD,
                    "role": "clerk",
                    "halls": ["h1"],
                    "window_id": f"w{n}",
                }
                for n in range(1, windows + 1)
            ],
        ],
    }


test_site.__test__ = False  # type: ignore[attr-defined]

"""A real hall server and real kiosk agents on simulated devices, in one test's event loop."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from kiosk.agent import Agent
from kiosk.config import KioskConfig
from queue_server.app import create_app
from queue_server.config import Settings
from tests.queue_server.site import PASSWORD, test_site

FAST_READER = {"find_latency": 0.005, "select_latency": 0.005, "read_latency": 0.02}


def kiosk_site(quota: int | None = None) -> dict[str, Any]:
    """The test site with materials, departments, an online service and a second hall."""
    site = test_site()
    hall = site["halls"][0]
    a, b = hall["services"]
    a["department"] = "市规划和自然资源局"
    a["info"] = {
        "materials": [
            {"zh": "居民身份证原件", "en": "Original ID card"},
            {"zh": "不动产权证书", "en": "Real estate certificate"},
        ]
    }
    b["department"] = "住房公积金管理中心"
    b["info"] = {
        "materials": [{"zh": "居民身份证原件", "en": "Original ID card"}],
        "online_url": "https://www.zjzwfw.gov.cn/",
        "online_note_zh": "可通过浙里办APP在线办理。",
        "online_note_en": "Also available in the Zheliban app.",
    }
    if quota is not None:
        b["rules"]["daily_quota"] = quota
    other = json.loads(json.dumps(hall))
    other.update(id="h2", name="城西分中心", name_en="West branch", address="文一西路 2 号")
    for service in other["services"]:
        service["id"] = "h2-" + service["id"]
    for window in other["windows"]:
        window["id"] = "h2-" + window["id"]
    site["halls"].append(other)
    return site


async def start_server(tmp: Path, site: dict[str, Any], aiohttp_server: Any) -> TestServer:
    site_file = tmp / "site.json"
    site_file.write_text(json.dumps(site, ensure_ascii=False), encoding="utf-8")
    app: web.Application = create_app(Settings(data_dir=tmp / "server", site_file=site_file))
    server: TestServer = await aiohttp_server(app)
    return server


async def kiosk_token(server: TestServer, hall_id: str = "h1") -> str:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        login = await http.post(
            server.make_url("/api/v1/auth/login"),
            json={"username": "manager", "password": PASSWORD},
        )
        token = (await login.json())["token"]
        device = await http.post(
            server.make_url(f"/api/v1/halls/{hall_id}/devices"),
            json={"role": "kiosk", "label": "test kiosk"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert device.status == 201, await device.text()
        value: str = (await device.json())["token"]
        return value


def config(
    server_url: str,
    token: str,
    data_dir: Path,
    *,
    printer: dict[str, Any] | None = None,
    **extra: Any,
) -> KioskConfig:
    devices = {
        "card_reader": {
            "kind": "card_reader",
            "backend": "sim",
            "sim": FAST_READER,
            "options": {"poll_interval": 0.05},
        },
        "printer": {"kind": "printer", "backend": "sim", "sim": printer or {}},
    }
    values: dict[str, Any] = {
        "server_url": server_url,
        "token": token,
        "hall_id": "h1",
        "data_dir": data_dir,
        "port": 0,
        "heartbeat_seconds": 0.5,
        "catalog_seconds": 0.5,
        "request_timeout": 2.0,
        "devices": devices,
        **extra,
    }
    return KioskConfig(**values)


async def start_agent(cfg: KioskConfig) -> Agent:
    agent = Agent(cfg)
    await agent.start()
    return agent

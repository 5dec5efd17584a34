"""Real-browser fixtures: Debian's Chromium driven by Playwright, headless."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def chromium_available() -> bool:
    """Whether Debian's Chromium is installed (CI installs it; see scripts/system-deps.sh)."""
    return shutil.which(CHROMIUM) is not None


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """A headless Chromium; skipped on a developer machine without it, never in CI."""
    if not chromium_available():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: scripts/system-deps.sh should install it")
        pytest.skip("Debian's chromium is not installed (make system-deps)")
    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=ARGS
        )
        try:
            yield instance
        finally:
            await instance.close()

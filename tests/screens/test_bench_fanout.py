"""``onevisit bench fanout`` with a few subscribers: the JSON report's shape."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_fanout_reports_delays_and_memory() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "onevisit",
            "bench",
            "fanout",
            "--subscribers",
            "50",
            "--calls",
            "5",
            "--interval",
            "0.05",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    report = json.loads(lines[0])
    assert report["benchmark"] == "fanout"
    assert report["connected"] == 50
    assert report["deliveries"] == report["expected_deliveries"] == 250
    for key in ("p50", "p90", "p99", "max"):
        assert report["delay_ms"][key] >= 0
    assert report["delay_ms"]["p50"] <= report["delay_ms"]["p99"] <= report["delay_ms"]["max"]
    rss = report["server_rss_kb"]
    assert rss["subscribed"] > 0 and rss["peak"] >= rss["subscribed"]
    assert report["target_p99_ms"] == 250
    assert isinstance(report["meets_target"], bool)

"""``onevisit bench load --json``: shape of the report, and every measured request succeeded."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from queue_server.bench.load_servers import write_server_config
from queue_server.config import Settings
from queue_server.service.live_eta import LiveEtaConfig

ENDPOINTS = {"baseline", "issue", "call-next", "feed", "baseline-end"}
LOOP_KEYS = {
    "requests",
    "ok",
    "empty",
    "errors",
    "server_errors",
    "statuses",
    "failures",
    "seconds",
    "rps",
    "p50_ms",
    "p99_ms",
}


@pytest.mark.slow
async def test_bench_load_json_report() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "onevisit",
        "bench",
        "load",
        "--duration",
        "1",
        "--concurrency",
        "4",
        "--rate",
        "20",
        "--json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), 100)
    finally:
        if process.returncode is None:
            process.terminate()  # the benchmark stops its servers on SIGTERM
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
    diagnostics = err.decode("utf-8", "replace")
    assert process.returncode == 0, diagnostics
    lines = out.decode("utf-8").splitlines()
    assert len(lines) == 1, out
    report = json.loads(lines[0])
    assert "synchronous=FULL" in diagnostics
    assert report["benchmark"] == "load"
    assert report["synchronous"] == "FULL"
    assert (report["duration_s"], report["concurrency"], report["rate"]) == (1, 4, 20)
    assert set(report["endpoints"]) == ENDPOINTS
    for name, result in report["endpoints"].items():
        assert isinstance(result["ratio_to_baseline"], float | int), name
        for loop in ("closed", "open"):
            measured = result[loop]
            assert set(measured) >= LOOP_KEYS, (name, loop)
            assert measured["requests"] > 0, (name, loop)
            assert measured["ok"] == measured["requests"], (name, loop, measured)
            assert measured["errors"] == 0, (name, loop, measured)
            assert measured["server_errors"] == 0, (name, loop, measured)
            assert not measured["failures"], (name, loop, measured)
            assert all(int(status) < 300 for status in measured["statuses"]), (name, loop)
            assert measured["rps"] > 0
            assert measured["p50_ms"] is not None
            assert measured["p99_ms"] >= measured["p50_ms"]
        assert result["open"]["requests"] == 20, name
    ends = [report["endpoints"][name]["ratio_to_baseline"] for name in ("baseline", "baseline-end")]
    assert sum(ends) == pytest.approx(2.0, abs=0.002), "ratios are to the mean of both baselines"
    assert report["predictor"] is True
    assert report["halls"] == 10, "the feed is measured with a city's worth of halls"
    calls = report["endpoints"]["call-next"]
    assert calls["closed"]["queue_at_start"] > 0
    assert calls["open"]["queue_at_start"] >= 20


@pytest.mark.parametrize("predictor", [True, False])
def test_the_benchmark_server_runs_with_or_without_the_live_predictor(
    tmp_path: Path, predictor: bool
) -> None:
    config = write_server_config(tmp_path, {"halls": []}, 8080, predictor=predictor)
    settings = Settings.from_toml(config)
    assert LiveEtaConfig.from_settings(settings.extra).enabled is predictor

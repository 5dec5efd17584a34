"""The ``onevisit`` command line: help, unknown commands, bad configuration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onevisit", *args], capture_output=True, text=True, timeout=60
    )


def test_help_lists_every_command() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("serve", "demo", "kiosk", "sim", "device", "bench"):
        assert command in result.stdout


def test_unknown_command_is_an_error() -> None:
    result = run("fly")
    assert result.returncode == 2
    assert "unknown command" in result.stderr


def test_serve_refuses_unknown_settings(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text("[server]\nport = 8080\nprot = 1\n")
    result = run("serve", "--config", str(config))
    assert result.returncode == 2
    assert "unknown settings" in result.stderr
    assert "Traceback" not in result.stderr


def test_bench_lists_benchmarks() -> None:
    result = run("bench", "--help")
    assert result.returncode == 0
    assert "eta" in result.stdout
    assert "load" in result.stdout

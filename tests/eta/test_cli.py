"""The command-line contract of ``onevisit bench eta``."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from queue_server.bench.eta import main
from queue_server.bench.eta_baselines import PREDICTORS

ONEVISIT = Path(sys.executable).with_name("onevisit")
METRICS = {"mae_min", "rmse_min", "bias_min", "coverage90", "width90_min"}


def test_json_line_has_exactly_the_contract_keys(tmp_path: Path) -> None:
    dump = tmp_path / "tickets.csv"
    done = subprocess.run(
        [
            str(ONEVISIT),
            "bench",
            "eta",
            "--scenario",
            "S0",
            "--days",
            "2",
            "--json",
            "--dump",
            str(dump),
        ],
        capture_output=True,
        text=True,
        timeout=100,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert set(out) == {"scenario", "tickets", "mean_wait_min", "predictors", "floor_rmse_min"}
    assert out["scenario"] == "S0"
    assert isinstance(out["tickets"], int)
    assert out["tickets"] > 200
    assert set(out["predictors"]) == set(PREDICTORS)
    for metrics in out["predictors"].values():
        assert set(metrics) == METRICS
    assert out["floor_rmse_min"] > 0
    with dump.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == out["tickets"]
    expected = ["service", "class", "issued_min", "actual_wait_min", "left"]
    for name in PREDICTORS:
        expected += [name, f"{name}_lo", f"{name}_hi"]
    assert list(rows[0]) == expected


def test_bad_scenario_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "open": "09:00", "close": "08:00"}', encoding="utf-8")
    assert main(["--scenario", str(bad)]) == 2
    assert "close: must be after" in capsys.readouterr().err

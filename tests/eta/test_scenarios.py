"""The scenario format: every built-in parses, and mistakes are reported clearly."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from queue_server.bench.eta_scenarios import (
    BUILTIN,
    ScenarioError,
    load_scenario,
    parse_scenario,
)

MINIMAL: dict[str, Any] = {
    "name": "tiny",
    "open": "09:00",
    "close": "10:30",
    "services": [
        {
            "id": "A",
            "arrivals_per_hour": [10, 5],
            "service_minutes": {"dist": "lognormal", "mean": 5, "cv": 0.5},
        }
    ],
    "windows": [{"id": "W1", "services": {"A": 1}}],
}


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_builtins_parse(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.name == name
    assert scenario.windows


def test_defaults() -> None:
    scenario = parse_scenario(MINIMAL)
    assert (scenario.days, scenario.seed) == (30, 1)
    service = scenario.services[0]
    assert (service.green_share, service.no_show_share, service.patience) == (0.0, 0.0, None)
    window = scenario.windows[0]
    assert window.hours == ((540, 630),)
    assert window.speed == 1.0


def test_floor_only_where_the_model_is_exact() -> None:
    assert load_scenario("S0").markovian()
    assert not load_scenario("S5").markovian()


def _broken(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(MINIMAL)
    target: Any = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is KeyError:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("name", KeyError, "scenario.name"),
        ("open", "9am", "scenario.open: expected a time"),
        ("close", "08:00", "close: must be after"),
        ("services.0.arrivals_per_hour", [1, 2, 3], "expected a list of 2 rates"),
        ("services.0.service_minutes", {"dist": "gamma", "mean": 3}, "expected one of"),
        ("services.0.service_minutes", {"dist": "exponential", "mean": -1}, "must not be negative"),
        ("services.0.green_share", 1.5, "between 0 and 1"),
        ("services.0.service_minutes", KeyError, "missing key 'service_minutes'"),
        ("windows.0.services", {"Z": 1}, "unknown service 'Z'"),
        ("windows.0.hours", [["10:00", "09:00"]], "ends before it starts"),
        ("windows.0.speed", 0, "speed: must be positive"),
        ("windows", [], "expected a non-empty list"),
    ],
)
def test_errors_say_where(path: str, value: Any, message: str) -> None:
    with pytest.raises(ScenarioError, match=message.replace("(", r"\(")):
        parse_scenario(_broken(path, value))


def test_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not JSON"):
        load_scenario(str(bad))
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(str(tmp_path / "missing.json"))
    good = tmp_path / "good.json"
    good.write_text(json.dumps(MINIMAL), encoding="utf-8")
    assert load_scenario(str(good)).name == "tiny"

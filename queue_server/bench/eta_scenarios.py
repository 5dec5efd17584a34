"""Benchmark scenarios: the JSON format, its parser and the built-in scenarios S0-S8.

Format (times are local "HH:MM"; one arrival rate per opening hour, the last one may
cover a partial hour)::

    {"name": str, "days": int, "seed": int, "open": "HH:MM", "close": "HH:MM",
     "services": [{"id": str, "arrivals_per_hour": [float, ...],
                   "service_minutes": {"dist": "exponential"|"lognormal"|"deterministic",
                                       "mean": float, "cv": float},
                   "green_share": float, "patience_minutes": null | {dist},
                   "no_show_share": float}],
     "windows": [{"id": str, "services": {service_id: weight}, "hours": [["HH:MM", "HH:MM"]],
                  "speed": float}]}

Optional keys and their defaults: ``days`` 30, ``seed`` 1, ``green_share`` 0,
``patience_minutes`` null, ``no_show_share`` 0, ``cv`` 1, window ``hours`` open-close,
``speed`` 1. Extensions (optional, ignored by older readers): service
``appointment_share`` (share of the service's arrivals that come as booked
appointments), service ``transfer`` ``{"to": service_id, "share": float}`` (a second
service after this one) and top-level ``fatigue_per_hour`` (service times grow by that
fraction per hour since opening).
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DISTRIBUTIONS = ("exponential", "lognormal", "deterministic")


class ScenarioError(ValueError):
    """A scenario file that does not follow the format; the message says where."""


@dataclass(frozen=True)
class Dist:
    """A positive random duration in minutes."""

    dist: str
    mean: float
    cv: float = 1.0

    def sample(self, rnd: random.Random) -> float:
        """One draw, in minutes."""
        if self.dist == "deterministic" or self.mean <= 0:
            return self.mean
        if self.dist == "exponential":
            return rnd.expovariate(1.0 / self.mean)
        sigma2 = math.log(1.0 + self.cv**2)
        return rnd.lognormvariate(math.log(self.mean) - sigma2 / 2.0, math.sqrt(sigma2))


@dataclass(frozen=True)
class ServiceSpec:
    id: str
    arrivals_per_hour: tuple[float, ...]
    service: Dist
    green_share: float = 0.0
    patience: Dist | None = None
    no_show_share: float = 0.0
    appointment_share: float = 0.0
    transfer_to: str | None = None
    transfer_share: float = 0.0


@dataclass(frozen=True)
class WindowSpec:
    id: str
    services: Mapping[str, float]
    hours: tuple[tuple[int, int], ...]
    speed: float = 1.0


@dataclass(frozen=True)
class Scenario:
    name: str
    days: int
    seed: int
    open: int
    close: int
    services: tuple[ServiceSpec, ...]
    windows: tuple[WindowSpec, ...]
    fatigue_per_hour: float = 0.0

    def markovian(self) -> bool:
        """One service, exponential times, identical all-day windows: QL_m is exact."""
        if len(self.services) != 1 or self.fatigue_per_hour:
            return False
        s = self.services[0]
        if s.service.dist != "exponential" or s.green_share or s.no_show_share:
            return False
        if s.appointment_share or s.transfer_share:
            return False
        if s.patience is not None and s.patience.dist != "exponential":
            return False
        full = ((self.open, self.close),)
        return all(w.hours == full and w.speed == 1.0 for w in self.windows)


def _clock(value: Any, where: str) -> int:
    if not isinstance(value, str):
        raise ScenarioError(f'{where}: expected a time "HH:MM", got {value!r}')
    parts = value.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ScenarioError(f'{where}: expected a time "HH:MM", got {value!r}')
    hours, minutes = int(parts[0]), int(parts[1])
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise ScenarioError(f"{where}: {value!r} is not a time of day")
    return hours * 60 + minutes


def _number(data: Mapping[str, Any], key: str, where: str, default: float | None = None) -> float:
    if key not in data:
        if default is None:
            raise ScenarioError(f"{where}: missing key {key!r}")
        return default
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(f"{where}.{key}: expected a number, got {value!r}")
    if value < 0:
        raise ScenarioError(f"{where}.{key}: must not be negative, got {value!r}")
    return float(value)


def _share(data: Mapping[str, Any], key: str, where: str) -> float:
    value = _number(data, key, where, 0.0)
    if value > 1:
        raise ScenarioError(f"{where}.{key}: a share must be between 0 and 1, got {value!r}")
    return value


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ScenarioError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _dist(value: Any, where: str) -> Dist:
    data = _object(value, where)
    kind = data.get("dist")
    if kind not in DISTRIBUTIONS:
        raise ScenarioError(
            f"{where}.dist: expected one of {', '.join(DISTRIBUTIONS)}, got {kind!r}"
        )
    mean = _number(data, "mean", where)
    if mean <= 0:
        raise ScenarioError(f"{where}.mean: must be positive, got {mean!r}")
    return Dist(kind, mean, _number(data, "cv", where, 1.0))


def parse_scenario(value: Any) -> Scenario:
    """Check a decoded scenario and turn it into a :class:`Scenario`."""
    data = _object(value, "scenario")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ScenarioError("scenario.name: expected a non-empty string")
    opens = _clock(data.get("open"), "scenario.open")
    closes = _clock(data.get("close"), "scenario.close")
    if closes <= opens:
        raise ScenarioError("scenario.close: must be after scenario.open")
    n_hours = math.ceil((closes - opens) / 60)
    days = int(_number(data, "days", "scenario", 30))
    seed = int(_number(data, "seed", "scenario", 1))
    if days < 1:
        raise ScenarioError("scenario.days: must be at least 1")
    raw_services = data.get("services")
    if not isinstance(raw_services, list) or not raw_services:
        raise ScenarioError("scenario.services: expected a non-empty list")
    services: list[ServiceSpec] = []
    for i, raw in enumerate(raw_services):
        where = f"services[{i}]"
        s = _object(raw, where)
        sid = s.get("id")
        if not isinstance(sid, str) or not sid:
            raise ScenarioError(f"{where}.id: expected a non-empty string")
        if any(x.id == sid for x in services):
            raise ScenarioError(f"{where}.id: duplicate service id {sid!r}")
        rates = s.get("arrivals_per_hour")
        if not isinstance(rates, list) or len(rates) != n_hours:
            raise ScenarioError(
                f"{where}.arrivals_per_hour: expected a list of {n_hours} rates "
                f"(one per opening hour {data['open']}-{data['close']})"
            )
        parsed_rates = tuple(
            _number({"rate": r}, "rate", f"{where}.arrivals_per_hour[{j}]")
            for j, r in enumerate(rates)
        )
        if "service_minutes" not in s:
            raise ScenarioError(f"{where}: missing key 'service_minutes'")
        patience_raw = s.get("patience_minutes")
        transfer = s.get("transfer")
        transfer_to: str | None = None
        transfer_share = 0.0
        if transfer is not None:
            t = _object(transfer, f"{where}.transfer")
            target = t.get("to")
            if not isinstance(target, str):
                raise ScenarioError(f"{where}.transfer.to: expected a service id")
            transfer_to = target
            transfer_share = _share(t, "share", f"{where}.transfer")
        services.append(
            ServiceSpec(
                id=sid,
                arrivals_per_hour=parsed_rates,
                service=_dist(s["service_minutes"], f"{where}.service_minutes"),
                green_share=_share(s, "green_share", where),
                patience=(
                    None
                    if patience_raw is None
                    else _dist(patience_raw, f"{where}.patience_minutes")
                ),
                no_show_share=_share(s, "no_show_share", where),
                appointment_share=_share(s, "appointment_share", where),
                transfer_to=transfer_to,
                transfer_share=transfer_share,
            )
        )
    ids = {s.id for s in services}
    for i, spec in enumerate(services):
        if spec.transfer_to is not None and spec.transfer_to not in ids:
            raise ScenarioError(f"services[{i}].transfer.to: unknown service {spec.transfer_to!r}")
    raw_windows = data.get("windows")
    if not isinstance(raw_windows, list) or not raw_windows:
        raise ScenarioError("scenario.windows: expected a non-empty list")
    windows: list[WindowSpec] = []
    for i, raw in enumerate(raw_windows):
        where = f"windows[{i}]"
        w = _object(raw, where)
        wid = w.get("id")
        if not isinstance(wid, str) or not wid:
            raise ScenarioError(f"{where}.id: expected a non-empty string")
        if any(x.id == wid for x in windows):
            raise ScenarioError(f"{where}.id: duplicate window id {wid!r}")
        profile = _object(w.get("services"), f"{where}.services")
        weights: dict[str, float] = {}
        for sid in profile:
            if sid not in ids:
                raise ScenarioError(f"{where}.services: unknown service {sid!r}")
            weights[sid] = _number(profile, sid, f"{where}.services")
        hours_raw = w.get("hours", [[data["open"], data["close"]]])
        if not isinstance(hours_raw, list):
            raise ScenarioError(f'{where}.hours: expected a list of ["HH:MM", "HH:MM"] pairs')
        hours: list[tuple[int, int]] = []
        for j, pair in enumerate(hours_raw):
            if not isinstance(pair, list) or len(pair) != 2:
                raise ScenarioError(f'{where}.hours[{j}]: expected ["HH:MM", "HH:MM"]')
            a = _clock(pair[0], f"{where}.hours[{j}][0]")
            b = _clock(pair[1], f"{where}.hours[{j}][1]")
            if b <= a:
                raise ScenarioError(f"{where}.hours[{j}]: ends before it starts")
            hours.append((a, b))
        speed = _number(w, "speed", where, 1.0)
        if speed <= 0:
            raise ScenarioError(f"{where}.speed: must be positive")
        windows.append(WindowSpec(wid, weights, tuple(sorted(hours)), speed))
    return Scenario(
        name=name,
        days=days,
        seed=seed,
        open=opens,
        close=closes,
        services=tuple(services),
        windows=tuple(windows),
        fatigue_per_hour=_number(data, "fatigue_per_hour", "scenario", 0.0),
    )


def _service(
    sid: str, rates: list[float], dist: str, mean: float, cv: float = 1.0, **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": sid,
        "arrivals_per_hour": rates,
        "service_minutes": {"dist": dist, "mean": mean, "cv": cv},
        "green_share": 0.0,
        "patience_minutes": None,
        "no_show_share": 0.0,
    }
    out.update(extra)
    return out


def _windows(profiles: list[dict[str, float]], **extra: Any) -> list[dict[str, Any]]:
    return [{"id": f"W{i + 1}", "services": p, **extra} for i, p in enumerate(profiles)]


def _hall(
    name: str, services: list[dict[str, Any]], windows: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "name": name,
        "days": 30,
        "seed": 1,
        "open": "09:00",
        "close": "17:00",
        "services": services,
        "windows": windows,
    }


def _builtins() -> dict[str, dict[str, Any]]:
    lunch = [["09:00", "12:00"], ["13:30", "17:00"]]
    s4_windows = _windows([{"A": 1.0}] * 6)
    for w in s4_windows[:3]:
        w["hours"] = lunch
    for w in s4_windows[4:]:
        w["hours"] = [["10:00", "17:00"]]
    s8_windows = _windows([{"A": 1.0, "B": 1.0}] * 5)
    s8_windows[4]["speed"] = 0.6
    s8 = _hall(
        "S8",
        [
            _service("A", [20.0] * 8, "lognormal", 7.0, 0.6),
            _service("B", [10.0] * 8, "lognormal", 10.0, 0.8),
        ],
        s8_windows,
    )
    s8["fatigue_per_hour"] = 0.03
    return {
        "S0": _hall(
            "S0", [_service("A", [27.0] * 8, "exponential", 6.0)], _windows([{"A": 1.0}] * 3)
        ),
        "S1": _hall(
            "S1",
            [
                _service(
                    "A",
                    [44.0] * 8,
                    "exponential",
                    6.0,
                    patience_minutes={"dist": "exponential", "mean": 20.0, "cv": 1.0},
                )
            ],
            _windows([{"A": 1.0}] * 4),
        ),
        "S2": _hall(
            "S2",
            [
                _service("A", [22.0] * 8, "lognormal", 4.0, 0.5),
                _service("B", [11.0] * 8, "lognormal", 8.0, 1.0),
                _service("C", [7.5] * 8, "lognormal", 12.0, 1.5),
            ],
            _windows([{"A": 1.0, "B": 1.0, "C": 1.0}] * 5),
        ),
        "S3": _hall(
            "S3",
            [_service("A", [20.0, 40.0, 55.0, 35.0, 20.0, 30.0, 52.0, 25.0], "exponential", 8.0)],
            _windows([{"A": 1.0}] * 6),
        ),
        "S4": _hall(
            "S4",
            [
                _service(
                    "A", [28.0, 32.0, 32.0, 30.0, 28.0, 30.0, 32.0, 26.0], "lognormal", 8.0, 0.8
                )
            ],
            s4_windows,
        ),
        "S5": _hall(
            "S5",
            [
                _service("A", [16.0] * 8, "lognormal", 5.0, 0.7),
                _service("B", [10.0] * 8, "lognormal", 8.0, 0.7),
                _service("C", [7.0] * 8, "lognormal", 10.0, 0.7),
                _service("D", [6.0] * 8, "lognormal", 12.0, 0.7),
            ],
            _windows(
                [
                    {"A": 2.0, "B": 1.0},
                    {"A": 2.0, "B": 1.0},
                    {"B": 2.0, "C": 1.0},
                    {"C": 2.0, "D": 1.0},
                    {"D": 2.0, "A": 1.0},
                    {"A": 1.0, "B": 1.0, "C": 1.0, "D": 1.0},
                ]
            ),
        ),
        "S6": _hall(
            "S6",
            [
                _service(
                    "A", [22.0] * 8, "lognormal", 7.0, 0.6, green_share=0.15, appointment_share=0.15
                ),
                _service(
                    "B",
                    [12.0] * 8,
                    "lognormal",
                    10.0,
                    0.6,
                    green_share=0.15,
                    appointment_share=0.15,
                ),
            ],
            _windows([{"A": 1.0, "B": 1.0}] * 3 + [{"A": 1.0}, {"B": 1.0}]),
        ),
        "S7": _hall(
            "S7",
            [
                _service(
                    "A",
                    [28.0] * 8,
                    "lognormal",
                    6.0,
                    0.7,
                    no_show_share=0.1,
                    transfer={"to": "B", "share": 0.2},
                ),
                _service("B", [8.0] * 8, "lognormal", 8.0, 0.7, no_show_share=0.05),
            ],
            _windows([{"A": 1.0, "B": 1.0}] * 3 + [{"A": 1.0}, {"B": 1.0}]),
        ),
        "S8": s8,
    }


BUILTIN: dict[str, dict[str, Any]] = _builtins()
"""The built-in scenarios of the benchmark protocol (reference §8.1), by name."""


def load_scenario(name_or_path: str) -> Scenario:
    """A built-in scenario by name (S0-S8), or a scenario JSON file."""
    if name_or_path in BUILTIN:
        return parse_scenario(BUILTIN[name_or_path])
    path = Path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario {name_or_path!r}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path.name}: not JSON ({exc.msg} at line {exc.lineno})") from None
    return parse_scenario(data)

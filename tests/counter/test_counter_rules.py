"""The counter agent's pure parts: key table, grade mapping, event-stream parsing, its TOML."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.config import ConfigError
from kiosk.counter_client import SseParser, StreamEvent
from kiosk.counter_config import Link, parse
from kiosk.counter_keys import KeyAction, key_action, level_of


@pytest.mark.parametrize(
    ("key", "digits", "state", "expected"),
    [
        ("call", "", "open", KeyAction("call_next")),
        ("call", "23", "open", KeyAction("call_number", "23")),
        ("recall", "", "open", KeyAction("recall")),
        ("confirm", "", "open", KeyAction("start")),
        ("evaluate", "", "open", KeyAction("finish")),
        ("give_up", "6", "open", KeyAction("no_show")),
        ("hold", "0", "open", KeyAction("hold")),
        ("call_back", "3", "open", KeyAction("call_back")),
        ("pause", "", "open", KeyAction("pause")),
        ("pause", "", "paused", KeyAction("resume")),
        ("transfer", "", "open", None),
        ("cancel", "", "open", None),
        ("key_7f", "", "open", None),
    ],
)
def test_keys(key: str, digits: str, state: str, expected: KeyAction | None) -> None:
    assert key_action(key, digits, state) == expected


@given(st.integers(0, 4))
def test_grades_map_onto_the_five_levels_best_first(grade: int) -> None:
    level = level_of(grade)
    assert 1 <= level <= 5
    assert level_of(0) == 5
    assert level + grade == 5


def test_a_grade_outside_the_scale_is_refused() -> None:
    with pytest.raises(ValueError, match=r"not 0\.\.4"):
        level_of(5)


def test_the_event_stream_is_parsed_as_the_server_writes_it() -> None:
    parser = SseParser()
    lines = [
        "retry: 2000", "", ": ping", "",
        "id: 41", "event: ticket.called", 'data: {"ticket_id":"t1","window_id":"w1"}', "",
        "event: reset", 'data: {"last_event_id": 90}', "",
        "data: not json", "",
    ]  # fmt: skip
    events = [e for line in lines if (e := parser.feed(line)) is not None]
    assert events == [
        StreamEvent(41, "ticket.called", {"ticket_id": "t1", "window_id": "w1"}),
        StreamEvent(None, "reset", {"last_event_id": 90}),
    ]


BASE: dict[str, Any] = {
    "role": "counter",
    "server_url": "http://hall:8080",
    "token": "t",
    "window_id": "w1",
}


def test_a_shared_bus_and_its_own_led(tmp_path: Path) -> None:
    config = parse(
        {
            **BASE,
            "devices": {
                "keypad": {"backend": "serial", "port": "/dev/ttyUSB0", "address": 3},
                "evaluator": {"address": 4, "profile": "four"},
                "led": {"backend": "sim"},
            },
        },
        tmp_path,
    )
    assert config.keypad == Link("serial", "/dev/ttyUSB0", 9600)
    assert (config.keypad_address, config.evaluator, config.evaluator_address) == (3, None, 4)
    assert config.evaluator_profile == "four"
    assert config.simulated


@pytest.mark.parametrize(
    ("devices", "message"),
    [
        ({"printer": {"backend": "sim"}}, "a counter has"),
        ({"keypad": {"backend": "serial"}}, "needs a 'port'"),
        ({"keypad": {"backend": "usb", "port": "x"}}, "'serial' or 'sim'"),
        ({"evaluator": {"address": 2}}, "configure the keypad's bus"),
        ({"keypad": {"backend": "sim"}, "evaluator": {"address": 1}}, "different addresses"),
        ({"keypad": {"backend": "sim", "address": 300}}, "1..255"),
        ({"keypad": {"backend": "sim"}, "evaluator": {"address": 2, "profile": "x"}}, "profile"),
        ({"led": {"port": "/dev/ttyUSB1"}}, "needs a backend"),
        ({"led": {"backend": "sim", "colour": "red"}}, "unknown keys"),
    ],
)
def test_bad_device_tables_are_refused_at_start(
    tmp_path: Path, devices: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        parse({**BASE, "devices": devices}, tmp_path)


def test_the_token_can_live_in_a_file(tmp_path: Path) -> None:
    (tmp_path / "counter.token").write_text("secret\n", encoding="utf-8")
    data = {k: v for k, v in BASE.items() if k != "token"}
    config = parse({**data, "token_file": "counter.token"}, tmp_path)
    assert config.token == "secret"
    with pytest.raises(ConfigError, match="token"):
        parse({**data, "token_file": "missing.token"}, tmp_path)
    with pytest.raises(ConfigError, match="role"):
        parse({**BASE, "role": "kiosk"}, tmp_path)


def test_the_command_refuses_a_bad_counter_file(tmp_path: Path) -> None:
    config = tmp_path / "counter.toml"
    config.write_text('role = "counter"\nserver_url = "http://hall:8080"\ntoken = "t"\n')
    done = subprocess.run(
        [sys.executable, "-m", "onevisit", "kiosk", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "window_id is required" in done.stderr
    assert done.stdout == ""

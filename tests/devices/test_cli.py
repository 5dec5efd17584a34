"""``onevisit sim`` and ``onevisit device`` run as the processes users run."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from devices.card_reader import samples
from devices.printer import SAMPLE_TICKET

ONEVISIT = str(Path(sys.executable).parent / "onevisit")


class SimProcess:
    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        assert proc.stdout is not None
        self.port = json.loads(proc.stdout.readline())["port"]

    def control(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        reply: dict[str, Any] = json.loads(self.proc.stdout.readline())
        return reply


@contextmanager
def sim(*args: str) -> Iterator[SimProcess]:
    proc = subprocess.Popen(
        [ONEVISIT, "sim", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        yield SimProcess(proc)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()


def device(*args: str, timeout: float = 30) -> tuple[int, str]:
    done = subprocess.run(
        [ONEVISIT, "device", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )
    return done.returncode, done.stdout


def _one_json_line(stdout: str) -> dict[str, Any]:
    lines = stdout.splitlines()
    assert len(lines) == 1
    assert ": " not in lines[0] or '": "' not in lines[0]
    parsed: dict[str, Any] = json.loads(lines[0])
    return parsed


@pytest.mark.parametrize("port", ["pty", "tcp://127.0.0.1:0"])
def test_read_card_prints_what_the_simulator_was_given(tmp_path: Path, port: str) -> None:
    card = samples.foreign_2023()
    path = tmp_path / "card.json"
    path.write_text(json.dumps(card.to_json(), ensure_ascii=False), encoding="utf-8")
    with sim("card-reader", "--port", port, "--card", str(path)) as reader:
        code, out = device("read-card", "--port", reader.port, "--json")
    assert code == 0
    assert _one_json_line(out) == card.to_json()


def test_read_card_round_trips_its_own_output(tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    path.write_text(json.dumps(samples.resident(3).to_json(), ensure_ascii=False), encoding="utf-8")
    with sim("card-reader", "--port", "pty", "--card", str(path)) as reader:
        _, first = device("read-card", "--port", reader.port, "--json")
    path.write_text(first, encoding="utf-8")
    with sim("card-reader", "--port", "pty", "--card", str(path)) as reader:
        _, second = device("read-card", "--port", reader.port, "--json")
    assert first == second


def test_read_card_waits_for_a_placement_and_times_out() -> None:
    with sim("card-reader", "--port", "pty") as reader:
        code, out = device("read-card", "--port", reader.port, "--json", "--timeout", "0.5")
        assert code != 0
        assert _one_json_line(out)["error"]["code"] == "timeout"
        proc = subprocess.Popen(
            [ONEVISIT, "device", "read-card", "--port", reader.port, "--json"],
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        time.sleep(0.5)
        assert reader.control({"cmd": "place", "card": samples.resident(9).to_json()})["ok"]
        out, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert _one_json_line(out)["id_number"] == samples.resident(9).id_number


def test_unplugged_reader_is_an_error() -> None:
    with sim("card-reader", "--port", "tcp://127.0.0.1:0") as reader:
        reader.control({"cmd": "unplug"})
        code, out = device("read-card", "--port", reader.port, "--json", "--timeout", "1")
        assert code != 0
        assert _one_json_line(out)["error"]["code"] == "unavailable"
        reader.control({"cmd": "replug"})
        reader.control({"cmd": "place", "card": samples.resident(2).to_json()})
        code, _ = device("read-card", "--port", reader.port, "--json")
        assert code == 0


@pytest.mark.parametrize("port", ["pty", "tcp://127.0.0.1:0"])
def test_printer_status_print_test_and_knobs(port: str) -> None:
    with sim("printer", "--port", port) as printer:
        code, out = device("printer-status", "--port", printer.port, "--json")
        assert (code, _one_json_line(out)) == (
            0,
            {"online": True, "paper": "ok", "cover_open": False},
        )
        code, out = device("print-test", "--port", printer.port, "--json")
        assert code == 0
        receipts = printer.control({"cmd": "receipts"})["receipts"]
        assert receipts[0]["qr"] == [SAMPLE_TICKET.track_url]
        assert SAMPLE_TICKET.number in receipts[0]["lines"]
        printer.control({"cmd": "set", "paper": "near_end"})
        _, out = device("printer-status", "--port", printer.port, "--json")
        assert _one_json_line(out)["paper"] == "near_end"


def test_silent_printer_is_unknown_within_five_seconds() -> None:
    with sim("printer", "--port", "pty", "--set", "silent=true") as printer:
        started = time.monotonic()
        code, out = device("printer-status", "--port", printer.port, "--json")
        elapsed = time.monotonic() - started
    assert code == 0
    assert _one_json_line(out) == {"online": None, "paper": "unknown", "cover_open": None}
    assert elapsed < 5


def test_printer_status_without_a_port_exits_2() -> None:
    code, out = device("printer-status", "--port", "/dev/onevisit-no-such-port", "--json")
    assert code == 2
    assert "error" in _one_json_line(out)


def test_led_and_keypad_simulators() -> None:
    with sim("led", "--port", "pty") as led:
        code, _ = device("led-show", "--port", led.port, "--json", "请A023号到3号窗口")
        assert code == 0
        assert led.control({"cmd": "state"})["areas"]["0"]["text"] == "请A023号到3号窗口"
    with sim("keypad", "--port", "pty", "--set", 'evaluators={"9": "five"}') as keypad:
        assert keypad.control({"cmd": "press", "address": 1, "key": "call"})["unacked"] == 1
        assert keypad.control({"cmd": "rate", "address": 9, "grade": 0})["ok"]
        assert keypad.control({"cmd": "bogus"})["ok"] is False


def test_sim_rejects_a_bad_port() -> None:
    done = subprocess.run([ONEVISIT, "sim", "printer", "--port", "serial:9"], capture_output=True)
    assert done.returncode == 2

"""Factory, transports, recording/replay, worker threads and simulator hosts."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import pytest

import devices
from devices import ConfigError, build_device, simulator_of
from devices.card_reader import samples
from devices.card_reader.codec import Command, encode_command
from devices.errors import DeviceTimeout, DeviceUnavailable
from devices.recording import RecordingTransport, ReplayMismatch, ReplayTransport
from devices.sim.base import Outbox
from devices.sim.hosts import PtyHost, SimLink, TcpHost, open_host
from devices.sim.runner import parse_knobs
from devices.transport import SerialTransport, read_exact
from devices.worker import DeviceWorker


async def test_build_sim_devices_and_use_them() -> None:
    reader = build_device(
        {"kind": "card_reader", "backend": "sim", "sim": {"card": samples.resident(1).to_json()},
         "options": {"poll_interval": 0.005}}
    )  # fmt: skip
    assert isinstance(reader, devices.CardReader)
    async with reader:
        assert (await reader.read_card(2.0)).name == samples.resident(1).name
    printer = build_device({"kind": "printer", "backend": "sim", "sim": {"paper": "near_end"}})
    assert isinstance(printer, devices.ReceiptPrinter)
    async with printer:
        await printer.print_ticket(devices.SAMPLE_TICKET)
    sim = simulator_of(printer)
    assert isinstance(sim, devices.PrinterSimulator)
    assert len(sim.receipts) == 1
    camera = build_device({"kind": "camera", "backend": "sim", "sim": {"codes": ["APPT:7"]}})
    assert isinstance(camera, devices.QrCamera)
    async with camera:
        code = await camera.scan()
    assert code is not None
    assert code.kind == "appointment"


def test_build_serial_devices_without_opening() -> None:
    for kind in ("card_reader", "printer", "led", "caller_bus"):
        device = build_device({"kind": kind, "backend": "serial", "port": "/dev/ttyUSB9"})
        assert simulator_of(device) is None
    assert isinstance(
        build_device({"kind": "camera", "backend": "opencv", "source": 0}), devices.QrCamera
    )


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "toaster", "backend": "sim"},
        {"kind": "printer", "backend": "usb"},
        {"kind": "printer", "backend": "serial"},
        {"kind": "printer", "backend": "sim", "colour": "red"},
        {"kind": "printer", "backend": "sim", "sim": {"paper": "soggy"}},
        {"kind": "card_reader", "backend": "sim", "options": {"speed": 3}},
        {"kind": "caller_bus", "backend": "sim", "options": {"evaluators": {9: "seven"}}},
        {"kind": "camera", "backend": "v4l"},
    ],
)
def test_bad_specs_fail_at_build_time(spec: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        build_device(spec)


def test_serial_transport_errors_are_typed() -> None:
    transport = SerialTransport("/dev/onevisit-missing")
    with pytest.raises(DeviceUnavailable):
        transport.open()
    with pytest.raises(DeviceUnavailable):
        transport.write(b"x")


@pytest.mark.parametrize("host_kind", ["pty", "tcp"])
def test_hosts_carry_bytes_and_unplug(host_kind: str) -> None:
    sim = devices.CardReaderSimulator()
    host = open_host(sim, "pty" if host_kind == "pty" else "tcp://127.0.0.1:0")
    transport = SerialTransport(host.url)
    try:
        transport.open()
        transport.write(encode_command(Command.SAM_STATUS))
        assert read_exact(transport, 11, deadline=_soon(2)).hex() == "aaaaaa96690004000090" + "94"
        host.unplug()
        with pytest.raises(DeviceUnavailable):
            _status_answer(transport)
    finally:
        transport.close()
        host.stop()


def _soon(seconds: float) -> float:
    return time.monotonic() + seconds


def _status_answer(transport: SerialTransport) -> bytes:
    transport.write(encode_command(Command.SAM_STATUS))
    return read_exact(transport, 11, deadline=_soon(1))


def test_read_exact_times_out() -> None:
    link = SimLink(devices.CardReaderSimulator())
    link.open()
    with pytest.raises(DeviceTimeout):
        read_exact(link, 1, _soon(0.05))


def test_outbox_keeps_order_and_delays() -> None:
    outbox = Outbox()
    outbox.put(b"ab", 0.02)
    outbox.put(b"c", 0.0)
    assert outbox.take(10, 0.0) == b""
    got = b""
    while len(got) < 3:
        got += outbox.take(10, 0.1)
    assert got == b"abc"


def test_recording_then_replay(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    sim = devices.CardReaderSimulator()
    recorder = RecordingTransport(SimLink(sim), path)
    recorder.open()
    recorder.write(encode_command(Command.FIND))
    answer = read_exact(recorder, 11, _soon(1))
    recorder.close()
    assert json.loads(path.read_text().splitlines()[0])["dir"] == "w"
    replay = ReplayTransport(path)
    replay.open()
    replay.write(encode_command(Command.FIND)[:3])
    replay.write(encode_command(Command.FIND)[3:])
    assert replay.read(64, 0.1) == answer
    assert replay.finished
    replay2 = ReplayTransport(path)
    replay2.open()
    with pytest.raises(ReplayMismatch):
        replay2.write(encode_command(Command.SELECT))


async def test_worker_runs_off_the_loop_in_one_thread() -> None:
    worker = DeviceWorker("test")
    loop_thread = threading.get_ident()
    names = await asyncio.gather(
        *(worker.run(lambda: threading.current_thread().name) for _ in range(5))
    )
    assert len(set(names)) == 1
    assert names[0].startswith("dev-test")
    assert await worker.run(threading.get_ident) != loop_thread
    with pytest.raises(ZeroDivisionError):
        await worker.run(lambda: 1 / 0)
    worker.shutdown()


def test_parse_knobs() -> None:
    assert parse_knobs(["a=1", "b=true", "c=ok", 'd={"9": "five"}']) == {
        "a": 1, "b": True, "c": "ok", "d": {"9": "five"}
    }  # fmt: skip
    with pytest.raises(ConfigError):
        parse_knobs(["nothing"])
    with pytest.raises(ConfigError):
        open_host(devices.CardReaderSimulator(), "serial:9")


def test_pty_link_follows_replug(tmp_path: Path) -> None:
    link = tmp_path / "reader"
    host = PtyHost(devices.CardReaderSimulator(), link=str(link))
    first = link.resolve()
    host.unplug()
    assert not link.exists()
    host.replug()
    assert link.exists()
    assert host.url == str(link)
    host.stop()
    assert first.name.isdigit()


def test_tcp_replug_keeps_the_port() -> None:
    host = TcpHost(devices.CardReaderSimulator())
    url = host.url
    host.unplug()
    host.replug()
    assert host.url == url
    host.stop()

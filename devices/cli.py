"""``onevisit sim …`` and ``onevisit device …``: simulators and device tools.

Every ``--json`` output is one line of compact UTF-8 JSON on stdout;
diagnostics go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from devices import jsonout
from devices.card_reader import CardData, CardReader, CardReaderSimulator
from devices.errors import DeviceError, DeviceUnavailable
from devices.sim.base import SimDevice
from devices.sim.runner import parse_knobs, run
from devices.transport import SerialTransport

EXIT_FAILED = 1
EXIT_NO_PORT = 2
# A printer answers DLE EOT within milliseconds; three silent queries stay well under 5 s.
STATUS_TIMEOUT = 0.5


def _card_reader(args: argparse.Namespace) -> SimDevice:
    device = CardReaderSimulator()
    device.set_knobs(parse_knobs(args.set))
    if args.card is not None:
        device.place(CardData.from_json(json.loads(args.card.read_text(encoding="utf-8"))))
    return device


def _printer(args: argparse.Namespace) -> SimDevice:
    from devices.printer.simulator import PrinterSimulator

    device = PrinterSimulator()
    device.set_knobs(parse_knobs(args.set))
    return device


def _led(args: argparse.Namespace) -> SimDevice:
    from devices.bus.led import LedSimulator

    device = LedSimulator()
    device.control({"cmd": "set", **parse_knobs(args.set)})
    return device


def _keypad(args: argparse.Namespace) -> SimDevice:
    from devices.bus.callerbus import KeypadSimConfig, KeypadSimulator

    knobs = parse_knobs(args.set)
    evaluators = {int(k): v for k, v in knobs.get("evaluators", {}).items()}
    return KeypadSimulator(KeypadSimConfig(knobs.get("keypads", [1]), evaluators))


SIMULATORS: dict[str, Callable[[argparse.Namespace], SimDevice]] = {
    "card-reader": _card_reader,
    "printer": _printer,
    "led": _led,
    "keypad": _keypad,
}


def sim_main(argv: Sequence[str]) -> int:
    """``onevisit sim card-reader|printer|led|keypad --port pty|tcp://HOST:PORT``."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    return run(argv, SIMULATORS)


def _fail(as_json: bool, code: str, message: str, status: int) -> int:
    if as_json:
        jsonout.emit(jsonout.error(code, message))
    sys.stderr.write(f"onevisit device: {message}\n")
    return status


def _print_human(obj: dict[str, Any]) -> None:
    for key, value in obj.items():
        sys.stdout.write(f"{key}: {value}\n")
    sys.stdout.flush()


async def _read_card(args: argparse.Namespace) -> int:
    reader = CardReader(SerialTransport(args.port, baudrate=args.baudrate), poll_interval=0.2)
    try:
        await reader.open()
    except DeviceError as err:
        await reader.close()
        return _fail(args.json, err.code, str(err), EXIT_NO_PORT)
    try:
        card = await reader.read_card(args.timeout, new_address=True)
    except TimeoutError:
        return _fail(args.json, "timeout", f"no card within {args.timeout:g} s", EXIT_FAILED)
    except DeviceError as err:
        return _fail(args.json, err.code, str(err), EXIT_FAILED)
    finally:
        await reader.close()
    (jsonout.emit if args.json else _print_human)(card.to_json())
    return 0


async def _printer_status(args: argparse.Namespace) -> int:
    from devices.printer import ReceiptPrinter
    from devices.printer.status import UNKNOWN

    transport = SerialTransport(args.port, baudrate=args.baudrate)
    printer = ReceiptPrinter(transport, status_timeout=STATUS_TIMEOUT)
    try:
        await printer.open()
    except DeviceUnavailable as err:
        await printer.close()
        return _fail(args.json, err.code, str(err), EXIT_NO_PORT)
    try:
        status = await asyncio.wait_for(printer.status(), 4.5)
    except (DeviceError, TimeoutError) as err:
        sys.stderr.write(f"onevisit device: status unknown: {err}\n")
        status = UNKNOWN
    finally:
        await printer.close()
    (jsonout.emit if args.json else _print_human)(status.to_json())
    return 0


async def _print_test(args: argparse.Namespace) -> int:
    from devices.printer import SAMPLE_TICKET, ReceiptPrinter

    transport = SerialTransport(args.port, baudrate=args.baudrate)
    printer = ReceiptPrinter(transport, status_timeout=STATUS_TIMEOUT)
    try:
        await printer.open()
    except DeviceUnavailable as err:
        await printer.close()
        return _fail(args.json, err.code, str(err), EXIT_NO_PORT)
    try:
        status = await printer.print_ticket(SAMPLE_TICKET)
    except DeviceError as err:
        return _fail(args.json, err.code, str(err), EXIT_FAILED)
    finally:
        await printer.close()
    (jsonout.emit if args.json else _print_human)({"printed": True, **status.to_json()})
    return 0


async def _led_show(args: argparse.Namespace) -> int:
    from devices.bus.led import OnbonDisplay

    display = OnbonDisplay(SerialTransport(args.port, baudrate=args.baudrate), address=args.address)
    try:
        async with display:
            await display.show(args.text, args.colour)
    except DeviceError as err:
        status = EXIT_NO_PORT if isinstance(err, DeviceUnavailable) else EXIT_FAILED
        return _fail(args.json, err.code, str(err), status)
    (jsonout.emit if args.json else _print_human)({"shown": True})
    return 0


def _device_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="onevisit device", description="Talk to a device.")
    sub = parser.add_subparsers(dest="command", required=True)
    commands = {
        "read-card": ("read the ID card on the reader (or the next one placed)", 115200),
        "printer-status": ("ask the receipt printer for its status (DLE EOT)", 9600),
        "print-test": ("print the sample ticket and cut", 9600),
        "led-show": ("show text on an Onbon window LED screen", 9600),
    }
    for name, (help_text, baudrate) in commands.items():
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("--port", required=True, help="pyserial URL, e.g. /dev/ttyUSB0")
        cmd.add_argument("--baudrate", type=int, default=baudrate)
        cmd.add_argument("--json", action="store_true", help="one line of JSON on stdout")
        if name == "read-card":
            cmd.add_argument("--timeout", type=float, default=10.0, help="seconds to wait")
        if name == "led-show":
            cmd.add_argument("--address", type=int, default=1)
            cmd.add_argument("--colour", choices=["red", "green", "yellow"], default="red")
            cmd.add_argument("text")
    return parser


_HANDLERS = {
    "read-card": _read_card,
    "printer-status": _printer_status,
    "print-test": _print_test,
    "led-show": _led_show,
}


def device_main(argv: Sequence[str]) -> int:
    """``onevisit device read-card|printer-status|print-test|led-show --port URL``."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    args = _device_parser().parse_args(list(argv))
    return asyncio.run(_HANDLERS[args.command](args))

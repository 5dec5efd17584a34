"""The ``onevisit`` command: one entry point for every part of the product.

This module is the composition root. It only routes a sub-command to the
package that owns it, so the packages themselves keep their boundaries
(the server never imports the kiosk, the kiosk never imports the server).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

USAGE = """usage: onevisit <command> [options]

commands:
  serve    run a hall server            (onevisit serve --config FILE)
  demo     run a demo city on this machine
  kiosk    run a kiosk or counter agent (onevisit kiosk --config FILE)
  sim      run a device simulator       (onevisit sim <device> --port pty|tcp://HOST:PORT)
  device   talk to a real or simulated device
  bench    run a benchmark              (onevisit bench eta|load|fanout|kiosk|read-loop ...)

Run 'onevisit <command> --help' for the options of one command.
"""


def _serve(argv: Sequence[str]) -> int:
    from queue_server.cli import serve_main

    return serve_main(argv)


def _demo(argv: Sequence[str]) -> int:
    from queue_server.demo.run import demo_main

    return demo_main(argv)


def _kiosk(argv: Sequence[str]) -> int:
    from kiosk.cli import main as kiosk_main

    return kiosk_main(argv)


def _sim(argv: Sequence[str]) -> int:
    from devices.cli import sim_main

    return sim_main(argv)


def _device(argv: Sequence[str]) -> int:
    from devices.cli import device_main

    return device_main(argv)


def _bench(argv: Sequence[str]) -> int:
    """Server benchmarks live in queue_server; device and kiosk ones in their packages."""
    if argv and argv[0] == "read-loop":
        from devices.bench import bench_main as devices_bench

        return devices_bench(argv[1:])
    if argv and argv[0] == "kiosk":
        from kiosk.bench import main as kiosk_bench

        return kiosk_bench(argv[1:])
    from queue_server.bench import bench_main

    return bench_main(argv)


COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "serve": _serve,
    "demo": _demo,
    "kiosk": _kiosk,
    "sim": _sim,
    "device": _device,
    "bench": _bench,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch ``onevisit <command> ...`` and return its exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        sys.stdout.write(USAGE)
        return 0
    command = COMMANDS.get(args[0])
    if command is None:
        sys.stderr.write(f"onevisit: unknown command {args[0]!r}\n\n{USAGE}")
        return 2
    return command(args[1:])


if __name__ == "__main__":
    sys.exit(main())

"""Benchmarks: ``onevisit bench <name>``. Each prints a table (or one JSON line)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

BENCHMARKS = {
    "eta": ("queue_server.bench.eta", "waiting-time predictors against baselines"),
    "load": ("queue_server.bench.load", "issue/call/feed throughput and latency"),
    "fanout": ("queue_server.bench.fanout", "SSE fan-out delay and memory, 1,000 subscribers"),
}


def bench_main(argv: Sequence[str]) -> int:
    """Run the benchmark named by ``argv[0]`` with the remaining arguments."""
    if not argv or argv[0] in {"-h", "--help"}:
        lines = [f"  {name:6} {about}" for name, (_, about) in BENCHMARKS.items()]
        sys.stdout.write("usage: onevisit bench <name> ...\n\n" + "\n".join(lines) + "\n")
        return 0
    entry = BENCHMARKS.get(argv[0])
    if entry is None:
        sys.stderr.write(f"onevisit bench: unknown benchmark {argv[0]!r}\n")
        return 2
    module = importlib.import_module(entry[0])
    status: int = module.main(list(argv[1:]))
    return status

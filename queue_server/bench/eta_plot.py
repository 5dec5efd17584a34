"""PNG plots of a benchmark run: RMSE against people ahead and against time of day."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from queue_server.bench.eta_sim import TicketResult

SHOWN = ("onevisit", "naive", "les", "last10", "ql_abandon", "ql_schedule")
AHEAD_BINS = ((0, 0, "0"), (1, 4, "1-4"), (5, 9, "5-9"), (10, 19, "10-19"), (20, 10**9, "20+"))


def _rmse(results: Sequence[TicketResult], name: str) -> float:
    errors = [
        r.predictions[name][0] - r.actual_wait_min
        for r in results
        if r.actual_wait_min is not None and math.isfinite(r.predictions[name][0])
    ]
    return math.sqrt(sum(e * e for e in errors) / len(errors)) if errors else math.nan


def plot_errors(path: Path, title: str, results: Sequence[TicketResult]) -> None:
    """Two panels: RMSE by people ahead at issue, and by hour since opening."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    names = [n for n in SHOWN if results and n in results[0].predictions]
    labels = [label for _, _, label in AHEAD_BINS]
    for name in names:
        values = [
            _rmse([r for r in results if lo <= r.people_ahead <= hi], name)
            for lo, hi, _ in AHEAD_BINS
        ]
        left.plot(labels, values, marker="o", label=name)
    left.set_xlabel("people ahead at issue (same service)")
    left.set_ylabel("RMSE (min)")
    left.grid(alpha=0.3)
    hours = sorted({int(r.issued_min // 60) for r in results})
    for name in names:
        values = [_rmse([r for r in results if int(r.issued_min // 60) == h], name) for h in hours]
        right.plot(hours, values, marker=".", label=name)
    right.set_xlabel("hours since opening")
    right.set_ylabel("RMSE (min)")
    right.grid(alpha=0.3)
    right.legend(fontsize=8)
    fig.suptitle(f"waiting-time error, scenario {title}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)

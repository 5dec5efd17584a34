"""``onevisit bench eta``: score waiting-time predictors on simulated halls and a real log.

    onevisit bench eta --scenario S0|...|S8|all|FILE.json [--days N] [--seed S] [--json]
                       [--dump FILE.csv] [--plot DIR]
    onevisit bench eta --bank anonymous_bank_1999_02.tsv [--json] [--dump FILE.csv]
    onevisit bench eta --speed [--json]

Errors are measured at ticket issue against the actual wait (for people who left, the
potential wait). See docs/eta.md for the protocol and the output format.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from queue_server.bench.eta_baselines import BASELINES, PREDICTORS
from queue_server.bench.eta_scenarios import BUILTIN, ScenarioError, load_scenario
from queue_server.bench.eta_sim import HallSimulation, TicketResult


def score(results: Sequence[TicketResult], name: str) -> dict[str, float]:
    """MAE, RMSE, bias (estimate - actual), 90% coverage and mean width, in minutes."""
    errors: list[float] = []
    inside = 0
    width = 0.0
    for r in results:
        if r.actual_wait_min is None:
            continue
        point, low, high = r.predictions[name]
        if not math.isfinite(point):
            point, low, high = r.predictions["const_mean"]
        errors.append(point - r.actual_wait_min)
        inside += low <= r.actual_wait_min <= high
        width += high - low
    n = len(errors)
    if n == 0:
        nan = math.nan
        return {
            "mae_min": nan,
            "rmse_min": nan,
            "bias_min": nan,
            "coverage90": nan,
            "width90_min": nan,
        }
    return {
        "mae_min": round(sum(abs(e) for e in errors) / n, 4),
        "rmse_min": round(math.sqrt(sum(e * e for e in errors) / n), 4),
        "bias_min": round(sum(errors) / n, 4),
        "coverage90": round(inside / n, 4),
        "width90_min": round(width / n, 4),
    }


def summary(label: str, results: Sequence[TicketResult], names: Sequence[str]) -> dict[str, Any]:
    """The JSON object of one run (the benchmark's output contract)."""
    done = [r for r in results if r.actual_wait_min is not None]
    mean_wait = sum(r.actual_wait_min or 0.0 for r in done) / len(done) if done else math.nan
    floors = [r.floor_var for r in done]
    floor = None
    if done and all(f is not None for f in floors):
        floor = round(math.sqrt(sum(f or 0.0 for f in floors) / len(floors)), 4)
    return {
        "scenario": label,
        "tickets": len(results),
        "mean_wait_min": round(mean_wait, 4),
        "predictors": {name: score(results, name) for name in names},
        "floor_rmse_min": floor,
    }


def print_table(out: dict[str, Any], seconds: float) -> None:
    mean = out["mean_wait_min"]
    floor = out["floor_rmse_min"]
    print(
        f"\n{out['scenario']}: {out['tickets']} tickets, mean wait {mean:.2f} min, "
        f"floor RMSE {'n/a' if floor is None else f'{floor:.3f}'} min ({seconds:.0f} s)"
    )
    print(
        f"{'predictor':12} {'MAE':>7} {'RMSE':>7} {'relRMSE':>7} {'bias':>7} {'cov90':>6} "
        f"{'width':>7} {'/floor':>6}"
    )
    for name, m in out["predictors"].items():
        rel = m["rmse_min"] / mean if mean else math.nan
        ratio = f"{m['rmse_min'] / floor:6.2f}" if floor else "     -"
        print(
            f"{name:12} {m['mae_min']:7.3f} {m['rmse_min']:7.3f} {rel:7.3f} {m['bias_min']:7.3f} "
            f"{m['coverage90']:6.3f} {m['width90_min']:7.2f} {ratio}"
        )


def write_dump(path: Path, results: Sequence[TicketResult], names: Sequence[str]) -> None:
    """One row per ticket; ``issued_min`` counts from the first day's opening."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        header = ["service", "class", "issued_min", "actual_wait_min", "left"]
        for name in names:
            header += [name, f"{name}_lo", f"{name}_hi"]
        writer.writerow(header)
        for r in results:
            row: list[object] = [
                r.service,
                r.ticket_class,
                round(r.day * 1440 + r.issued_min, 3),
                "" if r.actual_wait_min is None else round(r.actual_wait_min, 4),
                int(r.left),
            ]
            for name in names:
                row += [round(x, 4) for x in r.predictions[name]]
            writer.writerow(row)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="onevisit bench eta", description=__doc__.split("\n")[0])
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--scenario", help="S0-S8, 'all', or a scenario JSON file")
    source.add_argument("--bank", type=Path, help="the Anonymous Bank call log (TSV)")
    source.add_argument("--speed", action="store_true", help="time the predictor on a big hall")
    p.add_argument("--days", type=int, help="simulated days (default: the scenario's)")
    p.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    p.add_argument("--json", action="store_true", help="print one JSON line per run")
    p.add_argument("--dump", type=Path, help="write one CSV row per ticket")
    p.add_argument("--plot", type=Path, help="write PNG plots into this directory")
    return p


def _run_scenario(args: argparse.Namespace, name: str) -> int:
    scenario = load_scenario(name)
    days = args.days or scenario.days
    seed = scenario.seed if args.seed is None else args.seed
    predictors = {n: BASELINES[n] for n in PREDICTORS}
    started = time.perf_counter()
    results = HallSimulation(scenario, predictors, seed).run(days)
    out = summary(scenario.name, results, list(predictors))
    if args.json:
        sys.stdout.write(json.dumps(out, separators=(",", ":")) + "\n")
        sys.stdout.flush()
    else:
        print_table(out, time.perf_counter() - started)
    if args.dump:
        write_dump(args.dump, results, list(predictors))
    if args.plot:
        from queue_server.bench.eta_plot import plot_errors

        args.plot.mkdir(parents=True, exist_ok=True)
        plot_errors(args.plot / f"eta_{scenario.name}.png", scenario.name, results)
    return 0


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.days is not None and args.days < 1:
        sys.stderr.write("onevisit bench eta: --days must be at least 1\n")
        return 2
    try:
        if args.speed:
            from queue_server.bench.eta_speed import run_speed

            return run_speed(as_json=args.json)
        if args.bank is not None:
            from queue_server.bench.eta_bank import run_bank

            return run_bank(args.bank, as_json=args.json, dump=args.dump)
        names = list(BUILTIN) if args.scenario == "all" else [args.scenario]
        for name in names:
            status = _run_scenario(args, name)
            if status:
                return status
        return 0
    except ScenarioError as exc:
        sys.stderr.write(f"onevisit bench eta: {exc}\n")
        return 2
    except OSError as exc:
        sys.stderr.write(f"onevisit bench eta: {exc}\n")
        return 2

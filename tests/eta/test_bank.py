"""The real-log replay never looks ahead: changing the future cannot change a prediction."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from queue_server.bench.eta_bank import read_calls, run_bank

HEADER = (
    "vru+line\tcall_id\tcustomer_id\tpriority\ttype\tdate\tvru_entry\tvru_exit\tvru_time\t"
    "q_start\tq_exit\tq_time\toutcome\tser_start\tser_exit\tser_time\tserver"
)


def _clock(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _calls(seed: int) -> list[dict[str, int | str]]:
    """A small two-agent FIFO call centre, 09:00-13:00 on 21 Feb 1999."""
    rnd = random.Random(seed)
    free = {"ANNA": 9 * 3600, "BORIS": 9 * 3600}
    t = 9 * 3600
    calls = []
    for call_id in range(1, 400):
        t += int(rnd.expovariate(1 / 110)) + 1
        if t > 13 * 3600:
            break
        agent = min(free, key=lambda a: free[a])
        start = max(t, free[agent])
        patience = rnd.expovariate(1 / 240)
        priority = 2 if rnd.random() < 0.4 else 0
        row: dict[str, int | str] = {
            "id": call_id,
            "arrive": t,
            "priority": priority,
            "type": rnd.choice(["PS", "PS", "NW"]),
        }
        if start - t > patience:
            row.update(outcome="HANG", q_exit=t + int(patience) + 1, start=0, end=0, agent="")
        else:
            end = start + int(rnd.expovariate(1 / 150)) + 5
            free[agent] = end
            row.update(outcome="AGENT", q_exit=start, start=start, end=end, agent=agent)
        calls.append(row)
    return calls


def _write(path: Path, calls: list[dict[str, int | str]], shift_after: int, shift: int) -> None:
    def moved(seconds: int) -> int:
        return seconds + shift if seconds >= shift_after else seconds

    lines = [HEADER]
    for c in calls:
        arrive = moved(int(c["arrive"]))
        q_exit = moved(int(c["q_exit"]))
        queued = q_exit > arrive
        start = moved(int(c["start"])) if c["outcome"] == "AGENT" else 0
        end = moved(int(c["end"])) if c["outcome"] == "AGENT" else 0
        lines.append(
            "\t".join(
                [
                    "AA0101",
                    str(c["id"]),
                    "0",
                    str(c["priority"]),
                    str(c["type"]),
                    "990221",
                    _clock(arrive - 10),
                    _clock(arrive),
                    "10",
                    _clock(arrive) if queued else "0:00:00",
                    _clock(q_exit) if queued else "0:00:00",
                    str(q_exit - arrive if queued else 0),
                    str(c["outcome"]),
                    _clock(start),
                    _clock(end),
                    str(end - start),
                    str(c["agent"]) or "NO_SERVER",
                ]
            )
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _cutoff(calls: list[dict[str, int | str]]) -> int:
    """Just after a served call entered the queue, while it still waits."""
    for c in calls:
        arrive, q_exit = int(c["arrive"]), int(c["q_exit"])
        if c["outcome"] == "AGENT" and arrive > 10 * 3600 + 1800 and q_exit - arrive > 30:
            return arrive + 1
    raise AssertionError("no call waited")


def _predictions(
    tmp_path: Path, name: str, shift: int, capsys: pytest.CaptureFixture[str]
) -> list[dict[str, str]]:
    log = tmp_path / f"{name}.tsv"
    dump = tmp_path / f"{name}.csv"
    calls = _calls(3)
    _write(log, calls, _cutoff(calls), shift)
    assert run_bank(log, as_json=True, dump=dump) == 0
    capsys.readouterr()
    with dump.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_predictions_ignore_everything_after_the_queue_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    same = _predictions(tmp_path, "same", 0, capsys)
    changed = _predictions(tmp_path, "changed", 420, capsys)
    cutoff_min = 20 * 1440 + _cutoff(_calls(3)) / 60
    before = [r for r in same if float(r["issued_min"]) < cutoff_min]
    assert len(before) > 10
    columns = [k for k in before[0] if k not in {"actual_wait_min"}]
    for a, b in zip(before, changed, strict=False):
        assert {k: a[k] for k in columns} == {k: b[k] for k in columns}
    # The future did change: some of those calls now waited longer.
    assert any(
        a["actual_wait_min"] != b["actual_wait_min"] for a, b in zip(before, changed, strict=False)
    )


def test_reader_rejects_other_files(tmp_path: Path) -> None:
    other = tmp_path / "other.tsv"
    other.write_text("a\tb\n1\t2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not the Anonymous Bank log"):
        read_calls(other)


def test_times_past_midnight_belong_to_the_next_day(tmp_path: Path) -> None:
    row = (
        "AA0101 7 0 2 PS 990210 23:59:50 23:59:56 6 0:00:02 0:00:29 27 AGENT "
        "0:00:29 0:00:58 29 DANA"
    ).replace(" ", "\t")
    # The log's clocks disagree by a second here and there: that is no day change.
    early = (
        "AA0101 8 0 2 PS 990210 9:47:18 9:47:17 0 9:47:17 9:50:11 174 AGENT 9:50:11 9:51:28 77 DANA"
    ).replace(" ", "\t")
    log = tmp_path / "midnight.tsv"
    log.write_text("\n".join([HEADER, row, early]) + "\n", encoding="utf-8")
    late, noisy = read_calls(log)
    assert late.arrived.day == 10
    assert late.q_start is not None and late.q_start.day == 11
    assert late.ser_exit is not None and late.ser_exit.day == 11
    assert noisy.q_start is not None and noisy.q_start.day == 10
    assert (noisy.arrived.hour, noisy.arrived.minute, noisy.arrived.second) == (9, 47, 17)

"""The predictor's side of a refresh (``service/eta_worker.py``), driven by hand against a
real hall database: a history read afresh equals one fed event by event, bad stored rows
and failed refreshes never stop a hall, and nothing is created where no hall database is."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from queue_server.api.http import state_key
from queue_server.domain.events import EventRecord
from queue_server.eta import HallState, History, Predictions, predict
from queue_server.service import eta_worker
from queue_server.service.eta_worker import PredictorHost, RefreshRequest
from tests.queue_server.conftest import Hall, MakeHall
from tests.queue_server.site import test_site
from tests.remote.conftest import REMOTE as REMOTE_TEST
from tests.remote.conftest import Remote

OFF = {"eta": {"enabled": False}}
"""The server's own estimator is off: these tests play its part."""


class Worker:
    """A predictor host on the hall's database, and the events it has been sent."""

    def __init__(self, hall: Hall) -> None:
        self.hall = hall
        self.path = str(hall.client.app[state_key].db.path)
        self.host = PredictorHost(self.path, "NORMAL", "test")
        self.sent = 0

    def new_events(self) -> list[EventRecord]:
        with sqlite3.connect(self.path) as conn:
            rows = conn.execute(
                "SELECT id, hall_id, type, data FROM events WHERE hall_id = 'h1' AND id > ?"
                " ORDER BY id",
                (self.sent,),
            ).fetchall()
        events = [EventRecord(i, h, t, json.loads(d)) for i, h, t, d in rows]
        self.sent = events[-1].id if events else self.sent
        return events

    def refresh(self, predictor: Any = predict) -> Any:
        request = RefreshRequest(
            db_path=self.path,
            synchronous="NORMAL",
            owner="test",
            generation=1,
            hall_id="h1",
            events=tuple(self.new_events()),
            now=self.hall.clock(),
            history_days=28,
            min_samples=3,
            simulated_queue=2000,
        )
        return self.host.refresh(request, predictor)

    def history(self) -> History:
        feed = self.host._feeds["h1"].feed
        return feed.builder.snapshot(self.hall.clock())


async def served(hall: Hall, count: int = 4) -> None:
    for _ in range(count):
        await hall.issue("s-b")
        hall.clock.advance(1)
        assert await hall.call_next("w1") is not None
        hall.clock.advance(4)
        assert (await hall.post("manager", "/api/v1/windows/w1/finish")).status == 200


def read_again(fed: Worker) -> Worker:
    """Feed ``fed`` the latest events; a second worker reads the hall afresh now (as a new
    business day or a restarted process would, while a ticket waits again)."""
    fed.refresh()
    afresh = Worker(fed.hall)
    afresh.sent = fed.sent
    afresh.refresh()
    return afresh


async def serve_again(hall: Hall, ticket_id: str, window: str, waited: float, took: float) -> None:
    """The waiting ticket is called at ``window`` after ``waited`` minutes, served in ``took``."""
    hall.clock.advance(waited)
    assert (await hall.call_next(window))["id"] == ticket_id
    hall.clock.advance(took)
    assert (await hall.post("manager", f"/api/v1/windows/{window}/finish")).status == 200


def service_times(history: History, service_id: str) -> tuple[float, ...]:
    return history.services[service_id].samples


async def test_a_requeued_ticket_read_afresh_gives_the_same_service_times(
    make_hall: MakeHall,
) -> None:
    site = test_site()
    site["halls"][0]["rules"] = {"policy": {"no_show": {"mode": "requeue", "requeue_behind": 0}}}
    hall = await make_hall(site=site, extra=OFF)
    await served(hall)
    fed = Worker(hall)
    fed.refresh()
    ticket = await hall.issue("s-b")
    hall.clock.advance(1)
    assert (await hall.call_next("w1"))["id"] == ticket["id"]
    hall.clock.advance(1)
    assert (await hall.post("manager", "/api/v1/windows/w1/no-show")).status == 200
    afresh = read_again(fed)
    await serve_again(hall, ticket["id"], "w1", waited=60, took=4)
    fed.refresh()
    afresh.refresh()
    assert service_times(afresh.history(), "s-b") == service_times(fed.history(), "s-b")
    assert max(service_times(fed.history(), "s-b")) == 240.0


async def test_a_transferred_ticket_read_afresh_gives_the_same_service_times(
    make_hall: MakeHall,
) -> None:
    hall = await make_hall(extra=OFF)
    await served(hall)
    fed = Worker(hall)
    fed.refresh()
    ticket = await hall.issue("s-b")
    hall.clock.advance(1)
    assert (await hall.call_next("w1"))["id"] == ticket["id"]
    hall.clock.advance(2)
    moved = await hall.post("manager", "/api/v1/windows/w1/transfer", {"service_id": "s-a"})
    assert moved.status == 200, await moved.text()
    afresh = read_again(fed)
    await serve_again(hall, ticket["id"], "w2", waited=30, took=5)
    fed.refresh()
    afresh.refresh()
    assert service_times(afresh.history(), "s-a") == service_times(fed.history(), "s-a") == (300.0,)


@pytest.mark.parametrize(
    "stored",
    [
        '[5,1,9,"2026-11-23T02:00:00",[]]',
        '[5,1,9,"2026-11-23",[]]',
        "[5,1,9," + "9" * 400 + ',"2026-11-23T02:00:00.000000Z",[]]',
        '[NaN,1,9,"2026-11-23T02:00:00.000000Z",[]]',
        '[5,1,9,"2026-11-23T02:00:00.000000Z",' + json.dumps([1.0] * 500) + "]",
        '{"minutes": 5}',
        "not json",
    ],
)
async def test_a_stored_estimate_we_did_not_write_is_skipped(
    make_hall: MakeHall, stored: str
) -> None:
    hall = await make_hall(extra=OFF)
    await served(hall)
    ticket = await hall.issue("s-b")
    hall.clock.advance(1)
    assert await hall.call_next("w1") is not None
    worker = Worker(hall)
    with sqlite3.connect(worker.path) as conn:
        conn.execute("UPDATE tickets SET eta_model = ? WHERE id = ?", (stored, ticket["id"]))
    done = worker.refresh()
    assert done is not None and done.outcomes == 0


async def test_what_is_stored_is_strict_json_and_unscorable_estimates_are_not_kept(
    make_hall: MakeHall,
) -> None:
    hall = await make_hall(extra=OFF)
    await served(hall)
    waiting = [await hall.issue("s-b") for _ in range(2)]

    def half_blind(
        state: HallState,
        history: History,
        now: datetime,
        rng_seed: int | None = None,
        *,
        only: Collection[str] | None = None,
    ) -> Predictions:
        found = predict(state, history, now, rng_seed, only=only)
        blind = dict(found.model)
        blind[waiting[1]["id"]] = replace(blind[waiting[1]["id"]], minutes=float("nan"))
        return replace(found, model=blind)

    done = Worker(hall).refresh(half_blind)
    assert set(done.kept) == {waiting[0]["id"]}
    minutes, low, high, at, features = json.loads(
        done.kept[waiting[0]["id"]], parse_constant=lambda c: pytest.fail(f"not JSON: {c}")
    )
    assert low <= minutes <= high and at.endswith("Z") and len(features) > 0


async def test_a_failed_refresh_makes_the_next_one_read_the_hall_afresh(
    make_hall: MakeHall, monkeypatch: pytest.MonkeyPatch
) -> None:
    hall = await make_hall(extra=OFF)
    await served(hall, 3)
    worker = Worker(hall)
    worker.refresh()
    await served(hall, 1)
    real, failures = eta_worker.read_hall, [RuntimeError("disk I/O error")]

    def flaky(*args: Any, **kwargs: Any) -> Any:
        if failures:
            raise failures.pop()
        return real(*args, **kwargs)

    monkeypatch.setattr(eta_worker, "read_hall", flaky)
    with pytest.raises(RuntimeError):
        worker.refresh()  # the fourth ticket's events were sent with this one
    worker.refresh()
    assert len(service_times(worker.history(), "s-b")) == 4


def test_no_database_is_created_where_there_is_none(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "hall.sqlite3"
    with pytest.raises(FileNotFoundError):
        PredictorHost(str(missing), "NORMAL", "test")
    assert not missing.parent.exists()


async def test_remote_tickets_come_with_the_share_the_hall_has_seen(make_hall: MakeHall) -> None:
    """Three remote tickets checked in and two lapsed: 3 came of 5, shrunk towards 0.85 as
    if 20 more had been seen - (3 + 17) / 25 = 0.8; read afresh from the store, the same."""
    hall = await make_hall(extra={**OFF, "remote": REMOTE_TEST})
    remote = Remote(hall)
    worker = Worker(hall)
    assert worker.refresh().show_share == pytest.approx(0.85)
    for n in range(3):
        ticket = await remote.ticket(f"1390000000{n}", "s-b")
        path = f"/api/v1/tickets/{ticket['id']}/check-in"
        checked = await hall.post("kiosk", path, {"code": ticket["checkin_code"]})
        assert checked.status == 200, await checked.text()
    lapsing = [await remote.ticket(f"1391000000{n}", "s-a") for n in range(2)]
    await asyncio.sleep(0.3)  # the remote sweep sees their turn come (nobody ahead)
    hall.clock.advance(11)  # past the 10 minutes' grace
    for ticket in lapsing:
        await remote.wait_status(ticket, "lapsed")
    assert worker.refresh().show_share == pytest.approx(0.8)
    assert Worker(hall).refresh().show_share == pytest.approx(0.8)

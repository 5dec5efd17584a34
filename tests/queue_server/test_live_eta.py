"""The live wait predictor in the server, over HTTP: closed form first, simulation once the
hall has history, refreshed after events without ever holding up a request."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
from collections.abc import Awaitable, Callable, Collection
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from queue_server.api.http import state_key
from queue_server.api.live import predictor_key
from queue_server.app import create_app
from queue_server.config import Settings
from queue_server.domain.events import EventRecord
from queue_server.eta import HallState, History, Predictions, predict
from queue_server.service import live_eta
from tests.queue_server.conftest import FakeClock, Hall, MakeHall
from tests.queue_server.site import test_site

FAST = {"eta": {"min_samples": 3, "settle_seconds": 0}}
CATCH_UP_ROUNDS = 2000


async def newest_event_id(hall: Hall) -> int:
    board = await (await hall.client.get("/api/v1/halls/h1/board")).json()
    return int(board["last_event_id"])


async def predictor_status(hall: Hall) -> dict[str, Any]:
    response = await hall.get("manager", "/api/v1/halls/h1/eta-accuracy")
    assert response.status == 200, await response.text()
    status: dict[str, Any] = (await response.json())["predictor"]
    return status


async def caught_up(hall: Hall) -> dict[str, Any]:
    """Let the estimator reach the hall's newest event (it works beside the requests)."""
    newest = await newest_event_id(hall)
    status: dict[str, Any] = {}
    for _ in range(CATCH_UP_ROUNDS):
        status = await predictor_status(hall)
        if status["event_id"] is not None and status["event_id"] >= newest:
            return status
        await asyncio.sleep(0.01)
    raise AssertionError(f"the estimator never reached event {newest}: {status}")


async def serve(hall: Hall, count: int, minutes: float = 4.0) -> None:
    """Issue and serve ``count`` tickets of s-b one after the other at window w1."""
    for _ in range(count):
        await hall.issue("s-b")
        hall.clock.advance(1)
        assert await hall.call_next("w1") is not None
        hall.clock.advance(minutes)
        response = await hall.post("manager", "/api/v1/windows/w1/finish")
        assert response.status == 200, await response.text()


async def service_wait(hall: Hall, service_id: str = "s-b") -> dict[str, Any]:
    feed = await (await hall.client.get("/api/v1/halls/h1")).json()
    found: dict[str, Any] = {s["id"]: s for s in feed["services"]}[service_id]
    return found


async def test_closed_form_until_the_hall_has_history_then_the_simulation(
    make_hall: MakeHall,
) -> None:
    hall = await make_hall(extra=FAST)
    await caught_up(hall)
    first = await hall.issue("s-b")
    assert first["eta_method"] == "closed_form"
    assert set(first["eta"]) == {"minutes", "low", "high"}
    feed = await (await hall.client.get("/api/v1/halls/h1")).json()
    waits = {s["id"]: s["eta"] for s in feed["services"]}
    assert waits["s-b"]["method"] == "closed_form"

    await serve(hall, 4)
    status = await caught_up(hall)
    assert "s-b" in status["services_ready"]
    assert "s-a" not in status["services_ready"]
    feed = await (await hall.client.get("/api/v1/halls/h1")).json()
    waits = {s["id"]: s["eta"] for s in feed["services"]}
    assert waits["s-b"]["method"] == "simulation"
    assert waits["s-a"]["method"] == "closed_form"

    floor = await (await hall.get("manager", "/api/v1/halls/h1/floor")).json()
    on_floor = {s["id"]: s["eta_minutes"] for s in floor["services"]}
    assert on_floor["s-b"] == waits["s-b"]["minutes"], "the manager sees the same estimate"

    ticket = await hall.issue("s-b")
    assert ticket["eta_method"] == "simulation"
    assert ticket["eta"]["minutes"] == waits["s-b"]["minutes"]
    elder = await hall.issue("s-a", id_number="11010519491231002X")
    assert elder["eta_method"] == "closed_form"


async def test_a_waiting_ticket_is_tracked_with_its_own_simulated_estimate(
    make_hall: MakeHall,
) -> None:
    hall = await make_hall(extra=FAST)
    await serve(hall, 4)
    tickets = [await hall.issue("s-b") for _ in range(6)]
    await caught_up(hall)
    etas = []
    for t in tickets:
        response = await hall.client.get(f"/api/v1/tickets/{t['id']}?token={t['track_token']}")
        body = await response.json()
        assert body["eta"]["method"] == "simulation"
        etas.append(body["eta"]["minutes"])
    assert etas == sorted(etas)
    assert etas[-1] > etas[0]


async def test_the_estimator_refreshes_after_events(make_hall: MakeHall) -> None:
    hall = await make_hall(extra=FAST)
    await serve(hall, 3)
    before = await caught_up(hall)
    feed = await (await hall.client.get("/api/v1/halls/h1")).json()
    short = {s["id"]: s["eta"] for s in feed["services"]}["s-b"]
    for _ in range(12):
        await hall.issue("s-b")
    after = await caught_up(hall)
    assert after["refreshes"] > before["refreshes"]
    assert after["event_id"] > before["event_id"]
    feed = await (await hall.client.get("/api/v1/halls/h1")).json()
    long = {s["id"]: s["eta"] for s in feed["services"]}["s-b"]
    assert long["method"] == short["method"] == "simulation"
    assert long["minutes"] > short["minutes"]


async def test_the_same_state_gives_the_same_numbers(make_hall: MakeHall) -> None:
    hall = await make_hall(extra=FAST)
    await serve(hall, 3)
    for _ in range(5):
        await hall.issue("s-b")
    await caught_up(hall)
    first = await (await hall.client.get("/api/v1/halls/h1")).json()
    response = await hall.get("manager", "/api/v1/halls/h1/eta-accuracy")
    assert response.status == 200
    second = await (await hall.client.get("/api/v1/halls/h1")).json()
    assert first["services"] == second["services"]


class GatedPredictor:
    """The real predictor behind a gate the test opens; counts its runs."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.started = threading.Event()
        self.runs = 0

    def __call__(
        self,
        state: HallState,
        history: History,
        now: datetime,
        rng_seed: int | None = None,
        *,
        only: Collection[str] | None = None,
    ) -> Predictions:
        self.started.set()
        self.gate.wait()
        self.runs += 1
        return predict(state, history, now, rng_seed, only=only)


async def gated_hall(
    tmp_path: Path,
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
    gated: GatedPredictor,
) -> Hall:
    """The test hall whose estimator runs ``gated`` (in its worker thread)."""
    site_file = tmp_path / "site.json"
    site_file.write_text(json.dumps(test_site(), ensure_ascii=False), encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", site_file=site_file, extra=FAST)
    clock = FakeClock()
    app = create_app(settings, clock=clock)
    app[predictor_key] = gated
    return Hall(await aiohttp_client(app), clock)


async def test_requests_never_wait_for_a_running_prediction(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]]
) -> None:
    gated = GatedPredictor()
    hall = await gated_hall(tmp_path, aiohttp_client, gated)
    try:
        await asyncio.to_thread(gated.started.wait)
        issued = [await hall.issue("s-b") for _ in range(10)]
        assert all(t["eta_method"] == "closed_form" for t in issued)
        feed = await hall.client.get("/api/v1/halls")
        assert feed.status == 200
        assert gated.runs == 0
    finally:
        gated.gate.set()
    status = await caught_up(hall)
    assert status["fresh"]
    assert 1 <= gated.runs <= 3
    assert status["refreshes"] == gated.runs


async def test_a_quiet_hall_is_refreshed_on_time_while_another_hall_is_busy(
    make_hall: MakeHall,
) -> None:
    hall = await make_hall(
        extra={"eta": {"min_samples": 3, "settle_seconds": 0, "refresh_seconds": 0.3}}
    )
    await serve(hall, 3)
    await caught_up(hall)
    bus = hall.client.app[state_key].bus
    before = (await predictor_status(hall))["refreshes"]
    for i in range(15):  # another hall's events every 0.1 s, for 1.5 s
        bus.publish([EventRecord(10**9 + i, "other-hall", "device.health", {})])
        await asyncio.sleep(0.1)
    after = (await predictor_status(hall))["refreshes"]
    assert after - before >= 2, "the refresh timer is a deadline, not re-armed by each event"


async def test_called_tickets_teach_the_correction_with_the_state_they_were_issued_in(
    make_hall: MakeHall,
) -> None:
    hall = await make_hall(extra=FAST)
    await serve(hall, 4)
    await caught_up(hall)
    before = await predictor_status(hall)
    tickets = [await hall.issue("s-b") for _ in range(3)]
    await caught_up(hall)  # the estimator has seen them waiting, with the queue around them
    for _ in tickets:
        assert await hall.call_next("w1") is not None
        hall.clock.advance(2)
        await hall.post("manager", "/api/v1/windows/w1/finish")
    after = await caught_up(hall)
    assert after["outcomes_with_state"] - before["outcomes_with_state"] == 3


async def test_a_queue_longer_than_the_simulated_one_keeps_the_closed_form(
    make_hall: MakeHall,
) -> None:
    hall = await make_hall(extra={"eta": {**FAST["eta"], "simulated_queue": 3}})
    await serve(hall, 4)
    for _ in range(2):
        await hall.issue("s-b")
    await caught_up(hall)
    assert (await service_wait(hall))["eta"]["method"] == "simulation"
    for _ in range(3):
        await hall.issue("s-b")
    status = await caught_up(hall)
    assert "s-b" not in status["services_ready"], "five waiting, three simulated"
    assert (await service_wait(hall))["eta"]["method"] == "closed_form"


async def test_a_killed_predictor_process_is_replaced_and_reads_the_same_history(
    make_hall: MakeHall,
) -> None:
    """The predictor process keeps each hall's history; a new one reads it from the store.
    Read afresh or fed event by event, it is the same history: the same state gives the
    same numbers after the restart."""
    hall = await make_hall(extra={"eta": {**FAST["eta"], "refresh_seconds": 0.2}})
    await serve(hall, 5)
    for _ in range(4):
        await hall.issue("s-b")
    await caught_up(hall)
    before = await (await hall.client.get("/api/v1/halls/h1")).json()
    for process in list(live_eta._POOL[0]._processes.values()):
        os.kill(process.pid, signal.SIGKILL)
    refreshes = (await predictor_status(hall))["refreshes"]
    for _ in range(CATCH_UP_ROUNDS):
        if (await predictor_status(hall))["refreshes"] >= refreshes + 2:
            break
        await asyncio.sleep(0.01)
    status = await predictor_status(hall)
    assert status["refreshes"] >= refreshes + 2, status
    assert status["fresh"] and "s-b" in status["services_ready"]
    after = await (await hall.client.get("/api/v1/halls/h1")).json()
    assert after["services"] == before["services"]


async def test_the_predictor_keeps_what_it_learned_across_a_restart(make_hall: MakeHall) -> None:
    """Each ticket's first model estimate is stored with it: after a restart the outcomes
    already scored are known again, and tickets still waiting are scored when called."""
    hall = await make_hall(extra=FAST)
    await serve(hall, 4)
    await hall.issue("s-b")
    await hall.issue("s-b")
    await caught_up(hall)
    assert await hall.call_next("w1") is not None
    hall.clock.advance(2)
    await hall.post("manager", "/api/v1/windows/w1/finish")
    before = await caught_up(hall)
    assert before["outcomes_with_state"] >= 1
    await hall.client.close()

    again = await make_hall(extra=FAST, clock=hall.clock)
    after = await caught_up(again)
    assert after["outcomes_with_state"] == before["outcomes_with_state"]
    assert await again.call_next("w1") is not None
    final = await caught_up(again)
    assert final["outcomes_with_state"] == before["outcomes_with_state"] + 1


async def test_a_hall_history_covers_history_days_however_long_the_server_runs(
    make_hall: MakeHall,
) -> None:
    hall = await make_hall(extra={"eta": {**FAST["eta"], "history_days": 1}})
    await serve(hall, 4)
    status = await caught_up(hall)
    assert "s-b" in status["services_ready"]
    hall.clock.advance(2 * 24 * 60)
    hall.tokens.clear()  # staff tokens have expired meanwhile
    await hall.issue("s-b")
    status = await caught_up(hall)
    assert "s-b" not in status["services_ready"], "the service times are two days old"


async def test_people_who_came_since_the_last_refresh_lengthen_a_new_arrival_s_wait(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]]
) -> None:
    """Between two refreshes each newcomer's wait grows by the service's minutes per
    person (mean recorded service time over the open windows that serve it)."""
    gated = GatedPredictor()
    gated.gate.set()
    hall = await gated_hall(tmp_path, aiohttp_client, gated)
    await serve(hall, 4)  # four services of 4 minutes; three open windows serve s-b
    await hall.issue("s-b")
    await caught_up(hall)
    before = await service_wait(hall)
    assert before["eta"]["method"] == "simulation"
    gated.gate.clear()  # the refreshes after this wait
    try:
        issued = [await hall.issue("s-b") for _ in range(3)]
        after = await service_wait(hall)
    finally:
        gated.gate.set()
    assert after["waiting"] == before["waiting"] + 3
    assert after["eta"]["method"] == "simulation"
    added = after["eta"]["minutes"] - before["eta"]["minutes"]
    assert abs(added - 3 * 4 / 3) <= 0.11, (before, after)
    steps = [t["eta"]["minutes"] for t in issued]
    assert steps == sorted(steps) and steps[0] < steps[-1]

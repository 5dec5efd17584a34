"""The kiosk's state machine, path by path (no I/O, no clock)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kiosk.flows import Catalog, Event, Flow
from kiosk.idcheck import check_partial
from kiosk.samples import PEOPLE, id_number

SERVICES = [
    {"id": "a", "name": "不动产登记", "department": "规划局", "id_required": True,
     "issued_today": 1},
    {"id": "b", "name": "公积金提取", "department": "公积金中心", "id_required": False,
     "issued_today": 9, "online_url": "https://example.cn"},
]  # fmt: skip


def flow() -> Flow:
    catalog = Catalog(hall={"id": "h1", "name": "测试大厅", "green_age": 70}, services=SERVICES)
    return Flow(catalog=catalog, today=date(2026, 11, 23))


def tap(action: str, value: Any = None) -> Event:
    return Event("tap", {"action": action, "value": value})


def run(f: Flow, steps: list[tuple[float, Event]]) -> list[Any]:
    effects = []
    for now, event in steps:
        effects += f.handle(event, now)
    return effects


@pytest.mark.parametrize(
    ("person", "expected"),
    [("adult", {"service_id": "a", "id_number": PEOPLE["adult"]["id_number"]}),
     ("elder", {"service_id": "a", "id_number": PEOPLE["elder"]["id_number"], "class": "green"})],
)  # fmt: skip
def test_card_path_issues_with_the_age_rule(person: str, expected: dict[str, Any]) -> None:
    f = flow()
    effects = run(f, [(0, Event("card", PEOPLE[person])), (1, tap("choose", "a")),
                      (2, tap("confirm"))])  # fmt: skip
    assert [(e.kind, e.data) for e in effects] == [("issue", expected)]
    assert f.screen == "issuing"
    ticket = {"id": "t1", "number": "A001", "service_id": "a"}
    effects = f.handle(Event("issued", {"ticket": ticket}), 3)
    assert [e.kind for e in effects] == ["print"]
    assert f.person is None
    assert f.screen == "ticket"


def test_services_grouped_most_used_first_and_walk_in_needs_no_id() -> None:
    f = flow()
    f.handle(tap("walk_in"), 0)
    groups = f.view()["groups"]
    assert [g["department"] for g in groups] == ["公积金中心", "规划局"]
    assert groups[1]["services"][0]["enabled"] is False
    f.handle(tap("choose", "a"), 1)
    assert f.screen == "services"
    f.handle(tap("search", "公积"), 2)
    assert [g["department"] for g in f.view()["groups"]] == ["公积金中心"]


@pytest.mark.parametrize(
    ("text", "state"),
    [("", "typing"), ("0", "region"), ("33010619881", "typing"),
     ("33010619881399", "birth_date"), (id_number(date(1988, 5, 17), 11), "ok"),
     (id_number(date(1988, 5, 17), 11)[:17] + "0", "check_digit"), ("3301A", "characters")],
)  # fmt: skip
def test_typed_id_is_checked_as_typed(text: str, state: str) -> None:
    if id_number(date(1988, 5, 17), 11).endswith("0") and state == "check_digit":
        text = text[:17] + "1"
    assert check_partial(text) == state


def test_keypad_submits_only_a_valid_number() -> None:
    f = flow()
    f.handle(tap("typed"), 0)
    number = id_number(date(1950, 1, 2), 5)
    for ch in number[:17] + ("0" if number[17] != "0" else "1"):
        f.handle(tap("key", ch), 1)
    f.handle(tap("submit"), 2)
    assert f.screen == "keypad"
    f.handle(tap("backspace"), 3)
    f.handle(tap("key", number[17]), 4)
    f.handle(tap("submit"), 5)
    assert f.screen == "services"
    assert f.green()  # 76 years old on the business day


@pytest.mark.parametrize(
    ("refusal", "screen"),
    [({"code": "duplicate_ticket", "ticket": {"id": "t", "number": "A023"}}, "duplicate"),
     ({"code": "quota_reached"}, "refused"), ({"code": "hall_closed"}, "refused"),
     ({"code": "outside_issuing_hours", "next_issuing_at": "x"}, "refused"),
     ({"code": "offline_no_numbers"}, "failed"), ({"code": "invalid_id_number"}, "failed")],
)  # fmt: skip
def test_refusals(refusal: dict[str, Any], screen: str) -> None:
    f = flow()
    run(f, [(0, Event("card", PEOPLE["adult"])), (1, tap("choose", "a")), (2, tap("confirm"))])
    f.handle(Event("refused", refusal), 3)
    assert f.screen == screen
    if screen == "duplicate":
        effects = f.handle(tap("reprint"), 4)
        assert [(e.kind, e.data["ticket"]["number"]) for e in effects] == [("reprint", "A023")]


def test_idle_asks_then_clears_and_an_answer_keeps_the_input() -> None:
    f = flow()
    run(f, [(0, Event("card", PEOPLE["adult"])), (59, Event("tick"))])
    assert f.screen == "services"
    f.handle(Event("tick"), 60)
    assert (f.screen, f.ask_reason) == ("ask", "idle")
    f.handle(tap("continue"), 70)
    assert f.screen == "services"
    assert f.person is not None
    run(f, [(130, Event("tick")), (159, Event("tick"))])
    assert f.screen == "ask"
    f.handle(Event("tick"), 160)
    assert (f.screen, f.person) == ("idle", None)


def test_lifting_the_card_asks_at_once_but_not_after_issuing() -> None:
    f = flow()
    run(f, [(0, Event("card", PEOPLE["adult"])), (1, Event("card_lifted"))])
    assert f.screen == "ask"
    f = flow()
    run(f, [(0, Event("card", PEOPLE["adult"])), (1, tap("choose", "a")), (2, tap("confirm")),
            (3, Event("issued", {"ticket": {"id": "t", "number": "A1", "service_id": "a"}})),
            (4, Event("card_lifted"))])  # fmt: skip
    assert f.screen == "ticket"
    f.handle(Event("tick"), 40)
    assert f.screen == "idle"


def test_view_never_carries_the_id_number() -> None:
    f = flow()
    f.handle(Event("card", PEOPLE["adult"]), 0)
    assert PEOPLE["adult"]["id_number"] not in str(f.view())
    assert f.view()["greeting"] == "张*"


def test_help_is_asked_once_until_answered() -> None:
    f = flow()
    assert [e.kind for e in f.handle(tap("help"), 0)] == ["help"]
    assert f.handle(tap("help"), 1) == []
    f.handle(Event("help_sent", {"ok": True}), 2)
    assert f.notice == "help_sent"

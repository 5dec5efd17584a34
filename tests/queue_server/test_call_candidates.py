"""The reduced candidate set for a call picks exactly what the full waiting list picks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.domain.call_order import CallPolicy, choose_next
from queue_server.service.calling import call_candidates, candidates
from queue_server.service.rows import iso, window_from_row
from queue_server.service.setup import import_site
from queue_server.store.db import WriteTx, connect
from queue_server.store.schema import migrate
from tests.queue_server.site import test_site

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

tickets = st.lists(
    st.tuples(
        st.sampled_from(["s-a", "s-b"]),
        st.sampled_from(["normal", "green", "appointment"]),
        st.integers(0, 180),
        st.sampled_from([None, None, None, "w1", "w2"]),
        st.one_of(st.none(), st.integers(-60, 60)),
    ),
    max_size=40,
)


def _tx(tmp: Path) -> WriteTx:
    db = connect(tmp / "db.sqlite3", "OFF")
    migrate(db)
    tx = WriteTx(db)
    import_site(tx, test_site())
    return tx


@settings(max_examples=60, deadline=None)
@given(
    tickets,
    st.floats(0, 5),
    st.floats(0, 5),
    st.floats(0, 60),
    st.floats(0, 60),
    st.booleans(),
)
def test_reduced_set_picks_the_same(
    tmp_path_factory,
    rows,
    weight_a,
    weight_b,
    bonus,
    cap,
    b_outside,  # type: ignore[no-untyped-def]
) -> None:
    tx = _tx(tmp_path_factory.mktemp("calls"))
    # s-b may lie outside the window's profile: only its tickets pinned to w1 may be called.
    profile = {"s-a": weight_a} if b_outside else {"s-a": weight_a, "s-b": weight_b}
    tx.execute("UPDATE windows SET profile = ? WHERE id = 'w1'", (json.dumps(profile),))
    for n, (service, cls, waited, pinned, slot) in enumerate(rows, start=1):
        arrived = NOW - timedelta(minutes=waited)
        slot_start = NOW + timedelta(minutes=slot) if slot is not None else None
        tx.execute(
            "INSERT INTO tickets (id, hall_id, service_id, prefix, seq, number, business_day,"
            " status, class, channel, track_token, issued_at, arrived_at, pinned_window_id,"
            " slot_start, slot_end) VALUES (?, 'h1', ?, 'X', ?, ?, '2026-11-23', 'waiting', ?,"
            " 'kiosk', ?, ?, ?, ?, ?, ?)",
            (
                f"t{n}",
                service,
                n,
                f"X{n:03d}",
                cls,
                f"tok{n}",
                iso(arrived),
                iso(arrived),
                pinned,
                iso(slot_start) if slot_start else None,
                iso(slot_start + timedelta(minutes=30)) if slot_start else None,
            ),
        )
    row = tx.one("SELECT * FROM windows WHERE id = 'w1'")
    assert row is not None
    window = window_from_row(row)
    policy = CallPolicy(green_bonus=bonus, starvation_cap=cap)
    full = choose_next(window.id, window.profile, candidates(tx, "h1", window), NOW, policy)
    reduced = choose_next(window.id, window.profile, call_candidates(tx, "h1", window), NOW, policy)
    assert reduced == full
    tx.conn.close()

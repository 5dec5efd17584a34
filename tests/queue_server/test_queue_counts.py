"""The queue counts kept by triggers always equal a count of the tickets themselves."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.service.setup import import_site
from queue_server.store.db import WriteTx, connect
from queue_server.store.schema import migrate
from tests.queue_server.site import test_site

SERVICES = st.sampled_from(["s-a", "s-b"])
STATUSES = ["waiting", "not_arrived", "called", "serving", "held", "done", "no_show", "cancelled"]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("issue"), SERVICES, st.sampled_from(["normal", "green"])),
        st.tuples(st.just("status"), st.integers(0, 30), st.sampled_from(STATUSES)),
        st.tuples(st.just("transfer"), st.integers(0, 30), SERVICES),
        st.tuples(st.just("delete"), st.integers(0, 30), st.just("")),
    ),
    max_size=60,
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(steps)
def test_counts_follow_every_change(tmp_path_factory, ops) -> None:  # type: ignore[no-untyped-def]
    db = connect(Path(tmp_path_factory.mktemp("counts")) / "db.sqlite3", "OFF")
    migrate(db)
    tx = WriteTx(db)
    import_site(tx, test_site())
    issued = 0
    for op, target, value in ops:
        if op == "issue":
            issued += 1
            tx.execute(
                "INSERT INTO tickets (id, hall_id, service_id, prefix, seq, number, business_day,"
                " status, class, channel, track_token, issued_at, arrived_at) VALUES"
                " (?, 'h1', ?, 'X', ?, ?, '2026-12-04', 'waiting', ?, 'kiosk', ?, 't', 't')",
                (f"t{issued}", target, issued, f"X{issued}", value, f"k{issued}"),
            )
        elif op == "status":
            tx.execute("UPDATE tickets SET status = ? WHERE n = ?", (value, target))
        elif op == "transfer":
            tx.execute("UPDATE tickets SET service_id = ? WHERE n = ?", (value, target))
        else:
            tx.execute("DELETE FROM tickets WHERE n = ?", (target,))
    counted = {
        (r["service_id"], r["class"], r["status"]): r["n"]
        for r in tx.all(
            "SELECT service_id, class, status, COUNT(*) AS n FROM tickets"
            " GROUP BY service_id, class, status"
        )
    }
    kept = {
        (r["service_id"], r["class"], r["status"]): r["n"]
        for r in tx.all("SELECT service_id, class, status, n FROM queue_counts WHERE n != 0")
    }
    assert kept == counted

"""The daily purge of personal data past each hall's retention period."""

from __future__ import annotations

from datetime import datetime, timedelta

from queue_server.service.rows import hall_from_row
from queue_server.store.db import WriteTx


def purge_personal_data(tx: WriteTx, now: datetime) -> int:
    """Erase ID hashes, ciphertexts and masks older than the retention period; count rows."""
    erased = 0
    for row in tx.all("SELECT * FROM halls"):
        hall = hall_from_row(row)
        cutoff = hall.schedule.business_day(now) - timedelta(days=hall.rules.retention_days)
        for table in ("tickets", "appointments"):
            day_column = "business_day" if table == "tickets" else "substr(slot_start, 1, 10)"
            cur = tx.execute(
                f"UPDATE {table} SET id_hash = NULL, id_enc = NULL, id_masked = NULL"  # noqa: S608
                f" WHERE hall_id = ? AND {day_column} < ?"
                " AND (id_hash IS NOT NULL OR id_enc IS NOT NULL OR id_masked IS NOT NULL)",
                (hall.id, cutoff.isoformat()),
            )
            erased += cur.rowcount
    return erased

"""The daily purge of personal data past each hall's retention period.

What counts as personal here: ID hashes, ciphertexts and masks (tickets, appointments), the
phone of an appointment or a remote ticket (a remote ticket's phone hash is kept only for the
one-ticket-per-phone rule of its day) and the free-text comment of an evaluation (people type
names and numbers into it even though digit runs are masked on the way in).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from queue_server.service.appointment_rules import hall_rules
from queue_server.service.rows import hall_from_row, iso
from queue_server.store.db import WriteTx

ERASED = ""
"""What a purged NOT NULL text column holds afterwards."""

_ID_COLUMNS = {"tickets": "business_day"}


def purge_personal_data(tx: WriteTx, now: datetime) -> int:
    """Erase personal data older than each hall's retention period; count the rows touched."""
    erased = 0
    for row in tx.all("SELECT * FROM halls"):
        hall = hall_from_row(row)
        cutoff = hall.schedule.business_day(now) - timedelta(days=hall.rules.retention_days)
        day = cutoff.isoformat()
        erased += _erase_id_numbers(tx, hall.id, day)
        erased += _erase_appointments(tx, hall.id, day, hall.schedule.business_day(now))
        erased += _erase_remote_phones(tx, hall.id, day)
        erased += _erase_comments(tx, hall.id, hall.schedule.day_start_utc(cutoff))
    return erased + _drop_expired_sessions(tx, now)


def _erase_id_numbers(tx: WriteTx, hall_id: str, day: str) -> int:
    erased = 0
    for table, day_column in _ID_COLUMNS.items():
        cur = tx.execute(
            f"UPDATE {table} SET id_hash = NULL, id_enc = NULL, id_masked = NULL"  # noqa: S608
            f" WHERE hall_id = ? AND {day_column} < ?"
            " AND (id_hash IS NOT NULL OR id_enc IS NOT NULL OR id_masked IS NOT NULL)",
            (hall_id, day),
        )
        erased += cur.rowcount
    return erased


def _erase_appointments(tx: WriteTx, hall_id: str, day: str, today: date) -> int:
    """ID copies, masks and phones of old appointments go. The ID's keyed hash of a no-show
    stays while the no-show block can still count it (window + block days), then goes too."""
    rules = hall_rules(tx, hall_id)
    keep_from = (today - timedelta(days=rules.no_show_window_days + rules.block_days)).isoformat()
    cur = tx.execute(
        "UPDATE appointments SET id_enc = NULL, id_masked = NULL, phone_hash = NULL,"
        " phone_masked = NULL, address_hash = NULL,"
        " id_hash = CASE WHEN status = 'no_show' AND slot_day >= ? THEN id_hash END"
        " WHERE hall_id = ? AND slot_day < ? AND (id_enc IS NOT NULL OR id_masked IS NOT NULL"
        " OR phone_hash IS NOT NULL OR phone_masked IS NOT NULL OR address_hash IS NOT NULL"
        " OR (id_hash IS NOT NULL AND NOT (status = 'no_show' AND slot_day >= ?)))",
        (keep_from, hall_id, day, keep_from),
    )
    return cur.rowcount


def _erase_remote_phones(tx: WriteTx, hall_id: str, day: str) -> int:
    """The holder's phone (or WeChat) hash, its mask and the client address's hash."""
    cur = tx.execute(
        "UPDATE remote_tickets SET phone_hash = ?, phone_masked = ?, address_hash = ?"
        " WHERE hall_id = ? AND business_day < ?"
        " AND (phone_hash != ? OR phone_masked != ? OR address_hash != ?)",
        (ERASED, ERASED, ERASED, hall_id, day, ERASED, ERASED, ERASED),
    )
    return cur.rowcount


def _drop_expired_sessions(tx: WriteTx, now: datetime) -> int:
    """WeChat login sessions hold an encrypted openid: gone as soon as they expire."""
    return tx.execute("DELETE FROM wechat_sessions WHERE expires_at < ?", (iso(now),)).rowcount


def _erase_comments(tx: WriteTx, hall_id: str, cutoff: datetime) -> int:
    """Comments go; the level, tags and times stay for the statistics and the export."""
    cur = tx.execute(
        "UPDATE evaluations SET comment = ? WHERE hall_id = ? AND finished_at < ? AND comment != ?",
        (ERASED, hall_id, iso(cutoff), ERASED),
    )
    return cur.rowcount

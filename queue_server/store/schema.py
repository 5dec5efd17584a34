"""Schema migrations, applied in order at start-up; ``PRAGMA user_version`` says how far."""

from __future__ import annotations

import sqlite3

import sqlite_utils

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE halls (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        name_en TEXT NOT NULL DEFAULT '',
        address TEXT NOT NULL DEFAULT '',
        lat REAL,
        lon REAL,
        schedule TEXT NOT NULL,
        rules TEXT NOT NULL,
        position INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE TABLE services (
        id TEXT PRIMARY KEY,
        hall_id TEXT NOT NULL REFERENCES halls(id),
        code TEXT NOT NULL,
        prefix TEXT NOT NULL,
        name TEXT NOT NULL,
        name_en TEXT NOT NULL DEFAULT '',
        department TEXT NOT NULL DEFAULT '',
        rules TEXT NOT NULL,
        info TEXT NOT NULL DEFAULT '{}',
        position INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX services_hall ON services(hall_id);
    CREATE TABLE windows (
        id TEXT PRIMARY KEY,
        hall_id TEXT NOT NULL REFERENCES halls(id),
        number INTEGER NOT NULL,
        state TEXT NOT NULL,
        profile TEXT NOT NULL,
        clerk TEXT,
        current_ticket_id TEXT,
        UNIQUE (hall_id, number)
    ) STRICT;
    CREATE TABLE staff (
        username TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL,
        halls TEXT NOT NULL,
        window_id TEXT,
        display_name TEXT NOT NULL DEFAULT '',
        active INTEGER NOT NULL DEFAULT 1
    ) STRICT;
    CREATE TABLE tokens (
        digest TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        role TEXT NOT NULL,
        hall_id TEXT,
        label TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        expires_at TEXT,
        revoked_at TEXT,
        last_seen_at TEXT
    ) STRICT;
    CREATE TABLE counters (
        hall_id TEXT NOT NULL,
        prefix TEXT NOT NULL,
        business_day TEXT NOT NULL,
        last_seq INTEGER NOT NULL,
        PRIMARY KEY (hall_id, prefix, business_day)
    ) STRICT;
    CREATE TABLE tickets (
        n INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        hall_id TEXT NOT NULL REFERENCES halls(id),
        service_id TEXT NOT NULL REFERENCES services(id),
        prefix TEXT NOT NULL,
        seq INTEGER NOT NULL,
        number TEXT NOT NULL,
        business_day TEXT NOT NULL,
        status TEXT NOT NULL,
        class TEXT NOT NULL,
        channel TEXT NOT NULL,
        track_token TEXT NOT NULL UNIQUE,
        issued_at TEXT NOT NULL,
        arrived_at TEXT NOT NULL,
        called_at TEXT,
        started_at TEXT,
        ended_at TEXT,
        window_id TEXT,
        pinned_window_id TEXT,
        recall_count INTEGER NOT NULL DEFAULT 0,
        call_rule TEXT,
        call_score REAL,
        id_hash TEXT,
        id_enc TEXT,
        id_masked TEXT,
        eta_minutes REAL,
        eta_low REAL,
        eta_high REAL,
        actual_wait_min REAL,
        slot_start TEXT,
        slot_end TEXT,
        flags TEXT NOT NULL DEFAULT '[]',
        UNIQUE (hall_id, prefix, business_day, seq)
    ) STRICT;
    CREATE INDEX tickets_queue ON tickets(hall_id, status, service_id);
    CREATE INDEX tickets_day ON tickets(hall_id, business_day, service_id);
    CREATE UNIQUE INDEX tickets_one_open_per_holder
        ON tickets(hall_id, service_id, business_day, id_hash)
        WHERE id_hash IS NOT NULL
          AND status IN ('waiting', 'not_arrived', 'called', 'serving', 'held');
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        hall_id TEXT NOT NULL,
        type TEXT NOT NULL,
        at TEXT NOT NULL,
        data TEXT NOT NULL
    ) STRICT;
    CREATE INDEX events_hall ON events(hall_id, id);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        hall_id TEXT,
        action TEXT NOT NULL,
        detail TEXT NOT NULL
    ) STRICT;
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;
    CREATE TABLE appointments (
        id TEXT PRIMARY KEY,
        hall_id TEXT NOT NULL REFERENCES halls(id),
        service_id TEXT NOT NULL REFERENCES services(id),
        code TEXT NOT NULL UNIQUE,
        slot_start TEXT NOT NULL,
        slot_end TEXT NOT NULL,
        id_hash TEXT,
        id_enc TEXT,
        id_masked TEXT,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        ticket_id TEXT
    ) STRICT;
    """,
    # Consoles: staff permissions, kiosk help requests, device heartbeats and health.
    """
    ALTER TABLE staff ADD COLUMN permissions TEXT NOT NULL DEFAULT '[]';
    CREATE TABLE IF NOT EXISTS help_requests (
        id TEXT PRIMARY KEY,
        hall_id TEXT NOT NULL REFERENCES halls(id),
        device_id TEXT NOT NULL,
        device_label TEXT NOT NULL DEFAULT '',
        kind TEXT NOT NULL,
        message TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        acknowledged_at TEXT,
        acknowledged_by TEXT,
        resolved_at TEXT,
        resolved_by TEXT
    ) STRICT;
    CREATE INDEX IF NOT EXISTS help_requests_hall ON help_requests(hall_id, status);
    CREATE TABLE IF NOT EXISTS device_health (
        device_id TEXT NOT NULL,
        hall_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        changed_at TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        PRIMARY KEY (device_id, kind)
    ) STRICT;
    """,
    # Screens and evaluations: window-bound devices, pairing codes, 好差评 and bad-review alerts.
    """
    CREATE TABLE IF NOT EXISTS window_devices (
        digest TEXT PRIMARY KEY,
        hall_id TEXT NOT NULL REFERENCES halls(id),
        window_id TEXT NOT NULL REFERENCES windows(id),
        role TEXT NOT NULL,
        created_at TEXT NOT NULL
    ) STRICT;
    CREATE TABLE IF NOT EXISTS pairing_codes (
        digest TEXT PRIMARY KEY,
        hall_id TEXT NOT NULL REFERENCES halls(id),
        window_id TEXT NOT NULL REFERENCES windows(id),
        role TEXT NOT NULL,
        created_by TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
    ) STRICT;
    CREATE TABLE IF NOT EXISTS evaluations (
        id TEXT PRIMARY KEY,
        ticket_id TEXT NOT NULL UNIQUE REFERENCES tickets(id),
        hall_id TEXT NOT NULL REFERENCES halls(id),
        service_id TEXT NOT NULL,
        window_id TEXT,
        window_number INTEGER,
        clerk TEXT,
        level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
        tags TEXT NOT NULL DEFAULT '[]',
        comment TEXT NOT NULL DEFAULT '',
        pf INTEGER NOT NULL,
        source TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS evaluations_hall ON evaluations(hall_id, created_at);
    CREATE TABLE IF NOT EXISTS evaluation_alerts (
        id TEXT PRIMARY KEY,
        evaluation_id TEXT NOT NULL UNIQUE REFERENCES evaluations(id),
        hall_id TEXT NOT NULL REFERENCES halls(id),
        level INTEGER NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        callback_due TEXT NOT NULL,
        rectify_due TEXT NOT NULL,
        called_back_at TEXT,
        closed_at TEXT,
        closed_by TEXT,
        note TEXT NOT NULL DEFAULT ''
    ) STRICT;
    CREATE INDEX IF NOT EXISTS evaluation_alerts_hall ON evaluation_alerts(hall_id, status);
    """,
    # Offline-first kiosks: leased blocks of ticket numbers and the tickets synced from them.
    """
    CREATE TABLE IF NOT EXISTS kiosk_leases (
        id TEXT PRIMARY KEY,
        hall_id TEXT NOT NULL REFERENCES halls(id),
        service_id TEXT NOT NULL REFERENCES services(id),
        prefix TEXT NOT NULL,
        business_day TEXT NOT NULL,
        device_id TEXT NOT NULL,
        first_seq INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        valid_until TEXT NOT NULL,
        issuing_until TEXT NOT NULL,
        released_at TEXT
    ) STRICT;
    CREATE INDEX IF NOT EXISTS kiosk_leases_hall ON kiosk_leases(hall_id, business_day);
    CREATE TABLE IF NOT EXISTS kiosk_synced (
        ticket_id TEXT PRIMARY KEY,
        lease_id TEXT NOT NULL REFERENCES kiosk_leases(id),
        seq INTEGER NOT NULL,
        hall_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        flags TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        synced_at TEXT NOT NULL,
        UNIQUE (lease_id, seq)
    ) STRICT;
    CREATE INDEX IF NOT EXISTS kiosk_synced_hall ON kiosk_synced(hall_id, synced_at);
    """,
    # Remote visitors: one-time codes, remote tickets held by a phone, reminder subscriptions
    # and the reminders sent (one per ticket and threshold).
    """
    CREATE TABLE IF NOT EXISTS remote_codes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        phone_hash TEXT NOT NULL,
        address_hash TEXT NOT NULL,
        code_digest TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        used_at TEXT
    ) STRICT;
    CREATE INDEX IF NOT EXISTS remote_codes_phone ON remote_codes(phone_hash, created_at);
    CREATE INDEX IF NOT EXISTS remote_codes_address ON remote_codes(address_hash, created_at);
    CREATE TABLE IF NOT EXISTS remote_tickets (
        ticket_id TEXT PRIMARY KEY REFERENCES tickets(id),
        hall_id TEXT NOT NULL REFERENCES halls(id),
        service_id TEXT NOT NULL,
        business_day TEXT NOT NULL,
        phone_hash TEXT NOT NULL,
        phone_masked TEXT NOT NULL,
        address_hash TEXT NOT NULL,
        holder_digest TEXT NOT NULL,
        checkin_code TEXT NOT NULL,
        due_at TEXT,
        created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS remote_tickets_phone ON remote_tickets(phone_hash, business_day);
    CREATE INDEX IF NOT EXISTS remote_tickets_address
        ON remote_tickets(address_hash, business_day);
    CREATE INDEX IF NOT EXISTS remote_tickets_code ON remote_tickets(hall_id, checkin_code);
    CREATE TABLE IF NOT EXISTS remote_subscriptions (
        ticket_id TEXT NOT NULL REFERENCES tickets(id),
        channel TEXT NOT NULL,
        target_enc TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (ticket_id, channel)
    ) STRICT;
    CREATE TABLE IF NOT EXISTS remote_reminders (
        ticket_id TEXT NOT NULL REFERENCES tickets(id),
        threshold INTEGER NOT NULL,
        hall_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        outcome TEXT NOT NULL DEFAULT 'pending',
        PRIMARY KEY (ticket_id, threshold)
    ) STRICT;
    """,
    # WeChat web login: short sessions of a visitor's openid (hashed for the one-ticket rule,
    # encrypted for the reminder).
    """
    CREATE TABLE IF NOT EXISTS wechat_sessions (
        token_digest TEXT PRIMARY KEY,
        openid_hash TEXT NOT NULL,
        openid_enc TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    ) STRICT;
    """,
    # The head of each (service, class) queue is one index seek, and a window's pinned
    # tickets another, however deep the queue.
    """
    CREATE INDEX IF NOT EXISTS tickets_heads
        ON tickets(hall_id, status, service_id, class, arrived_at, n);
    CREATE INDEX IF NOT EXISTS tickets_pinned
        ON tickets(pinned_window_id, status) WHERE pinned_window_id IS NOT NULL;
    """,
    # Appointments: who booked (keyed hashes and masks only), the holder token's digest,
    # cancellation and check-in times; booking rules per hall and per service.
    """
    ALTER TABLE appointments ADD COLUMN slot_day TEXT NOT NULL DEFAULT '';
    ALTER TABLE appointments ADD COLUMN phone_hash TEXT;
    ALTER TABLE appointments ADD COLUMN phone_masked TEXT;
    ALTER TABLE appointments ADD COLUMN address_hash TEXT;
    ALTER TABLE appointments ADD COLUMN holder_digest TEXT;
    ALTER TABLE appointments ADD COLUMN cancelled_at TEXT;
    ALTER TABLE appointments ADD COLUMN checked_in_at TEXT;
    ALTER TABLE appointments ADD COLUMN arrival TEXT;
    CREATE INDEX IF NOT EXISTS appointments_slot ON appointments(service_id, slot_start, status);
    CREATE INDEX IF NOT EXISTS appointments_day ON appointments(hall_id, slot_day);
    CREATE INDEX IF NOT EXISTS appointments_person ON appointments(id_hash, slot_day)
        WHERE id_hash IS NOT NULL;
    CREATE INDEX IF NOT EXISTS appointments_due ON appointments(status, slot_end);
    CREATE TABLE IF NOT EXISTS appointment_rules (
        hall_id TEXT PRIMARY KEY REFERENCES halls(id),
        rules TEXT NOT NULL
    ) STRICT;
    CREATE TABLE IF NOT EXISTS appointment_services (
        service_id TEXT PRIMARY KEY REFERENCES services(id),
        hall_id TEXT NOT NULL REFERENCES halls(id),
        enabled INTEGER NOT NULL DEFAULT 0,
        slot_minutes INTEGER NOT NULL DEFAULT 60,
        capacity_per_slot INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    """,
    # Queue heads seek on "unpinned" too (no row-by-row check), the old (hall, status,
    # service) index is a prefix of it; a counter's held tickets are found by window.
    """
    DROP INDEX IF EXISTS tickets_heads;
    DROP INDEX IF EXISTS tickets_queue;
    CREATE INDEX IF NOT EXISTS tickets_heads
        ON tickets(hall_id, status, service_id, class, pinned_window_id, arrived_at, n);
    CREATE INDEX IF NOT EXISTS tickets_held ON tickets(window_id, n) WHERE status = 'held';
    """,
    # How many tickets each service has in each class and status, kept by triggers in the
    # same transaction as the ticket's change: "people ahead" and the feeds' waiting counts
    # are one lookup however long the queue.
    """
    CREATE TABLE IF NOT EXISTS queue_counts (
        hall_id TEXT NOT NULL,
        service_id TEXT NOT NULL,
        class TEXT NOT NULL,
        status TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (hall_id, service_id, class, status)
    ) STRICT;
    INSERT INTO queue_counts (hall_id, service_id, class, status, n)
        SELECT hall_id, service_id, class, status, COUNT(*) FROM tickets
        GROUP BY hall_id, service_id, class, status;
    CREATE TRIGGER IF NOT EXISTS tickets_counted_in AFTER INSERT ON tickets BEGIN
        INSERT INTO queue_counts (hall_id, service_id, class, status, n)
            VALUES (NEW.hall_id, NEW.service_id, NEW.class, NEW.status, 1)
            ON CONFLICT (hall_id, service_id, class, status) DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER IF NOT EXISTS tickets_counted_change AFTER UPDATE OF status, service_id, class
        ON tickets
        WHEN OLD.status IS NOT NEW.status OR OLD.service_id IS NOT NEW.service_id
            OR OLD.class IS NOT NEW.class
    BEGIN
        UPDATE queue_counts SET n = n - 1 WHERE hall_id = OLD.hall_id
            AND service_id = OLD.service_id AND class = OLD.class AND status = OLD.status;
        INSERT INTO queue_counts (hall_id, service_id, class, status, n)
            VALUES (NEW.hall_id, NEW.service_id, NEW.class, NEW.status, 1)
            ON CONFLICT (hall_id, service_id, class, status) DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER IF NOT EXISTS tickets_counted_out AFTER DELETE ON tickets BEGIN
        UPDATE queue_counts SET n = n - 1 WHERE hall_id = OLD.hall_id
            AND service_id = OLD.service_id AND class = OLD.class AND status = OLD.status;
    END;
    """,
    # The wait predictor's own first estimate of a ticket and the queue state it was made
    # in (JSON numbers only), so its recalibration and point correction survive a restart.
    """
    ALTER TABLE tickets ADD COLUMN eta_model TEXT;
    """,
)


def migrate(db: sqlite_utils.Database) -> int:
    """Apply every migration newer than the file's ``user_version``; return the version."""
    conn = db.conn
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)


def _statements(script: str) -> list[str]:
    """The script's statements; a trigger's ``BEGIN … END`` holds semicolons of its own."""
    statements: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                statements.append(pending.strip().removesuffix(";"))
            pending = ""
    if pending.strip(" \n;"):
        statements.append(pending.strip().removesuffix(";"))
    return statements

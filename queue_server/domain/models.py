"""Halls, services, windows and their settings, as the rules see them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from queue_server.domain.call_order import CallPolicy
from queue_server.domain.tickets import NoShowPolicy


class WindowState(StrEnum):
    """A counter is closed, open (calling) or paused (open but not calling)."""

    CLOSED = "closed"
    OPEN = "open"
    PAUSED = "paused"


class Role(StrEnum):
    """Staff roles; a manager acts on every window of their halls."""

    CLERK = "clerk"
    MANAGER = "manager"
    ADMIN = "admin"


@dataclass(frozen=True)
class SlotQuota:
    """At most ``limit`` tickets of a service issued between ``start`` and ``end`` (HH:MM)."""

    start: str
    end: str
    limit: int


@dataclass(frozen=True)
class ServiceRules:
    """A service's anti-hoarding and identity rules."""

    daily_quota: int | None = None
    slot_quotas: tuple[SlotQuota, ...] = ()
    id_required: bool = True
    typical_minutes: float = 10.0
    long_wait_minutes: float | None = None
    """Alarm threshold for this service (None: the hall's ``long_wait_minutes``)."""


@dataclass(frozen=True)
class HallRules:
    """A hall's configurable rules (DESIGN.md §2)."""

    policy: CallPolicy = field(default_factory=CallPolicy)
    green_age: int | None = 70
    capacity_policy: str = "warn"
    retention_days: int = 30
    id_mask_head: int = 6
    id_mask_tail: int = 4
    long_wait_minutes: float = 45.0
    remote_grace_minutes: float = 10.0
    """How long a remote ticket whose turn has come may stay not arrived before it lapses."""
    remind_ahead: int = 3
    """"Your turn is near" goes out when this many tickets (or fewer) are ahead."""
    device_offline_minutes: float = 3.0
    """A kiosk, screen or counter agent silent for longer shows as offline."""

    def __post_init__(self) -> None:
        if self.capacity_policy not in {"warn", "refuse"}:
            raise ValueError("capacity_policy must be 'warn' or 'refuse'")
        if not 0.5 <= self.device_offline_minutes <= 1440:
            raise ValueError("device_offline_minutes must be within 0.5..1440")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HallRules:
        """Build from the JSON stored with a hall; missing keys take defaults."""
        policy = dict(data.get("policy", {}))
        no_show = NoShowPolicy(**policy.pop("no_show", {}))
        return cls(
            policy=CallPolicy(no_show=no_show, **policy),
            **{k: v for k, v in data.items() if k != "policy"},
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form :meth:`from_dict` reads."""
        p = self.policy
        return {
            "policy": {
                "green_bonus": p.green_bonus,
                "appointment_bonus": p.appointment_bonus,
                "starvation_cap": p.starvation_cap,
                "recall_limit": p.recall_limit,
                "appointment_early_minutes": p.appointment_early_minutes,
                "keep_arrival_on_transfer": p.keep_arrival_on_transfer,
                "no_show": {
                    "mode": p.no_show.mode,
                    "requeue_behind": p.no_show.requeue_behind,
                },
            },
            "green_age": self.green_age,
            "capacity_policy": self.capacity_policy,
            "retention_days": self.retention_days,
            "id_mask_head": self.id_mask_head,
            "id_mask_tail": self.id_mask_tail,
            "long_wait_minutes": self.long_wait_minutes,
            "remote_grace_minutes": self.remote_grace_minutes,
            "remind_ahead": self.remind_ahead,
            "device_offline_minutes": self.device_offline_minutes,
        }


def quota_slot(rules: ServiceRules, local_hhmm: str) -> SlotQuota | None:
    """The per-slot quota covering a local time ("HH:MM"), if any."""
    for slot in rules.slot_quotas:
        if slot.start <= local_hhmm < slot.end:
            return slot
    return None


def business_minutes(start: datetime, end: datetime) -> float:
    """Minutes between two instants (negative when ``end`` is earlier)."""
    return (end - start).total_seconds() / 60.0

"""Which waiting ticket a window calls next, and why.

The order, for one window at one instant:

1. ``pinned``: tickets sent to this very window (a transfer to the window), oldest first.
2. ``appointment``: checked-in appointment tickets whose slot is open now (from
   ``appointment_early_minutes`` before the slot start to the slot end), earliest slot
   first.
3. ``starvation``: when green-channel tickets wait, a normal ticket that has waited
   ``starvation_cap`` minutes longer than the oldest green one goes first.
4. ``score``: the highest ``weight(window, service) x minutes waited + class bonus``,
   ties by arrival, then issue order.
5. ``fallback``: services of weight 0 are served only when nothing else waits, by the
   same score with weight 1.

Every decision carries its rule and score, so a manager can answer "why was he
called before me".
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from queue_server.domain.tickets import NoShowPolicy, TicketClass


@dataclass(frozen=True)
class CallPolicy:
    """A hall's calling rules; every number is configurable per hall."""

    green_bonus: float = 30.0
    appointment_bonus: float = 15.0
    starvation_cap: float = 30.0
    recall_limit: int = 3
    appointment_early_minutes: float = 10.0
    keep_arrival_on_transfer: bool = True
    no_show: NoShowPolicy = field(default_factory=NoShowPolicy)

    def bonus(self, ticket_class: TicketClass) -> float:
        """The score bonus of a class, in minutes of waiting."""
        if ticket_class is TicketClass.GREEN:
            return self.green_bonus
        if ticket_class is TicketClass.APPOINTMENT:
            return self.appointment_bonus
        return 0.0


@dataclass(frozen=True)
class Candidate:
    """A waiting (checked-in) ticket as the call order sees it."""

    ticket_id: str
    service_id: str
    ticket_class: TicketClass
    arrived_at: datetime
    issued_seq: int
    pinned_window_id: str | None = None
    slot_start: datetime | None = None
    slot_end: datetime | None = None


@dataclass(frozen=True)
class CallDecision:
    """The ticket chosen, the rule that chose it and its score (None for rules 1-3)."""

    ticket_id: str
    rule: str
    score: float | None


def minutes_waited(candidate: Candidate, now: datetime) -> float:
    """Minutes since the ticket's (effective) arrival, never negative."""
    return max(0.0, (now - candidate.arrived_at).total_seconds() / 60.0)


def in_slot(candidate: Candidate, now: datetime, policy: CallPolicy) -> bool:
    """Whether an appointment ticket's slot window is open at ``now``."""
    if candidate.ticket_class is not TicketClass.APPOINTMENT:
        return False
    if candidate.slot_start is None or candidate.slot_end is None:
        return False
    opens = candidate.slot_start - timedelta(minutes=policy.appointment_early_minutes)
    return opens <= now <= candidate.slot_end


def _weight(profile: Mapping[str, float], candidate: Candidate) -> float | None:
    return profile.get(candidate.service_id)


def eligible(
    window_id: str, profile: Mapping[str, float], candidates: Iterable[Candidate]
) -> list[Candidate]:
    """Tickets this window may call: pinned to it, or unpinned of a profile service."""
    return [
        c
        for c in candidates
        if c.pinned_window_id == window_id
        or (c.pinned_window_id is None and c.service_id in profile)
    ]


def _score(weight: float, candidate: Candidate, now: datetime, policy: CallPolicy) -> float:
    return weight * minutes_waited(candidate, now) + policy.bonus(candidate.ticket_class)


def _arrival_key(c: Candidate) -> tuple[datetime, int]:
    return (c.arrived_at, c.issued_seq)


def _score_key(
    weight: float, c: Candidate, now: datetime, policy: CallPolicy
) -> tuple[float, datetime, int]:
    return (-_score(weight, c, now, policy), c.arrived_at, c.issued_seq)


@dataclass
class _Groups:
    pinned: list[Candidate]
    slot: list[Candidate]
    weighted: list[Candidate]
    fallback: list[Candidate]


def _group(
    window_id: str,
    profile: Mapping[str, float],
    candidates: Iterable[Candidate],
    now: datetime,
    policy: CallPolicy,
) -> _Groups:
    groups = _Groups([], [], [], [])
    for c in eligible(window_id, profile, candidates):
        weight = _weight(profile, c)
        if c.pinned_window_id == window_id:
            groups.pinned.append(c)
        elif weight is None or weight <= 0:
            groups.fallback.append(c)
        elif in_slot(c, now, policy):
            groups.slot.append(c)
        else:
            groups.weighted.append(c)
    return groups


def _starving(
    oldest_normal: Candidate | None,
    oldest_green: Candidate | None,
    policy: CallPolicy,
) -> bool:
    if oldest_normal is None or oldest_green is None:
        return False
    lead = oldest_green.arrived_at - oldest_normal.arrived_at
    return lead >= timedelta(minutes=policy.starvation_cap)


def choose_next(
    window_id: str,
    profile: Mapping[str, float],
    candidates: Iterable[Candidate],
    now: datetime,
    policy: CallPolicy,
) -> CallDecision | None:
    """The ticket ``window_id`` calls at ``now``, or None when nothing it serves waits."""
    groups = _group(window_id, profile, candidates, now, policy)
    if groups.pinned:
        return CallDecision(min(groups.pinned, key=_arrival_key).ticket_id, "pinned", None)
    if groups.slot:
        first = min(groups.slot, key=lambda c: (c.slot_start, c.arrived_at, c.issued_seq))
        return CallDecision(first.ticket_id, "appointment", None)
    if groups.weighted:
        return _choose_weighted(profile, groups.weighted, now, policy)
    if groups.fallback:
        best = min(groups.fallback, key=lambda c: _score_key(1.0, c, now, policy))
        return CallDecision(best.ticket_id, "fallback", round(_score(1.0, best, now, policy), 3))
    return None


def _choose_weighted(
    profile: Mapping[str, float],
    weighted: Sequence[Candidate],
    now: datetime,
    policy: CallPolicy,
) -> CallDecision:
    normals = [c for c in weighted if c.ticket_class is TicketClass.NORMAL]
    greens = [c for c in weighted if c.ticket_class is TicketClass.GREEN]
    oldest_normal = min(normals, key=_arrival_key) if normals else None
    oldest_green = min(greens, key=_arrival_key) if greens else None
    if oldest_normal is not None and _starving(oldest_normal, oldest_green, policy):
        return CallDecision(oldest_normal.ticket_id, "starvation", None)
    best = min(weighted, key=lambda c: _score_key(profile[c.service_id], c, now, policy))
    score = _score(profile[best.service_id], best, now, policy)
    return CallDecision(best.ticket_id, "score", round(score, 3))


def rank(
    window_id: str,
    profile: Mapping[str, float],
    candidates: Iterable[Candidate],
    now: datetime,
    policy: CallPolicy,
) -> list[CallDecision]:
    """Every ticket the window may call, in the order it would call them from ``now``.

    Equivalent to calling :func:`choose_next` repeatedly and removing the chosen
    ticket, in O(n log n).
    """
    groups = _group(window_id, profile, candidates, now, policy)
    order = [
        CallDecision(c.ticket_id, "pinned", None) for c in sorted(groups.pinned, key=_arrival_key)
    ]
    order += [
        CallDecision(c.ticket_id, "appointment", None)
        for c in sorted(groups.slot, key=lambda c: (c.slot_start, c.arrived_at, c.issued_seq))
    ]
    order += _rank_weighted(profile, groups.weighted, now, policy)
    order += [
        CallDecision(c.ticket_id, "fallback", round(_score(1.0, c, now, policy), 3))
        for c in sorted(groups.fallback, key=lambda c: _score_key(1.0, c, now, policy))
    ]
    return order


class _OldestFirst:
    """Candidates of one class by arrival, skipping those already taken."""

    def __init__(self, items: Iterable[Candidate], taken: set[str]) -> None:
        self._heap = [(_arrival_key(c), c.ticket_id, c) for c in items]
        heapq.heapify(self._heap)
        self._taken = taken

    def peek(self) -> Candidate | None:
        while self._heap and self._heap[0][1] in self._taken:
            heapq.heappop(self._heap)
        return self._heap[0][2] if self._heap else None


def _rank_weighted(
    profile: Mapping[str, float],
    weighted: Sequence[Candidate],
    now: datetime,
    policy: CallPolicy,
) -> list[CallDecision]:
    taken: set[str] = set()
    normals = _OldestFirst((c for c in weighted if c.ticket_class is TicketClass.NORMAL), taken)
    greens = _OldestFirst((c for c in weighted if c.ticket_class is TicketClass.GREEN), taken)
    by_score = sorted(weighted, key=lambda c: _score_key(profile[c.service_id], c, now, policy))
    order: list[CallDecision] = []
    position = 0
    while len(order) < len(weighted):
        oldest_normal = normals.peek()
        if oldest_normal is not None and _starving(oldest_normal, greens.peek(), policy):
            taken.add(oldest_normal.ticket_id)
            order.append(CallDecision(oldest_normal.ticket_id, "starvation", None))
            continue
        while by_score[position].ticket_id in taken:
            position += 1
        best = by_score[position]
        taken.add(best.ticket_id)
        score = _score(profile[best.service_id], best, now, policy)
        order.append(CallDecision(best.ticket_id, "score", round(score, 3)))
    return order

"""A fast, incremental twin of :func:`queue_server.domain.call_order.choose_next`.

The simulation asks "what does window w call now?" thousands of times per estimate,
so scanning every waiting ticket each time is too slow. Within one (service, class)
queue of unpinned tickets the weight and bonus are the same, so the best ticket is the
oldest; the window only has to compare the heads of its queues. Times are plain
seconds on any common origin. ``tests/eta/test_chooser.py`` checks with hypothesis
that this picks exactly what the domain's ``choose_next`` picks.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence

from queue_server.domain.call_order import CallPolicy
from queue_server.domain.tickets import TicketClass

NORMAL, GREEN, APPOINTMENT = 0, 1, 2
CLASS_CODE = {TicketClass.NORMAL: NORMAL, TicketClass.GREEN: GREEN, TicketClass.APPOINTMENT: 2}
NO_SLOT = math.nan

_Entry = tuple[float, int, int]


class CallQueues:
    """Waiting tickets, indexed by small integers, and the call order over them."""

    def __init__(
        self,
        policy: CallPolicy,
        profiles: Sequence[Mapping[int, float]],
        n_services: int,
    ) -> None:
        self.bonus = (
            policy.bonus(TicketClass.NORMAL),
            policy.bonus(TicketClass.GREEN),
            policy.bonus(TicketClass.APPOINTMENT),
        )
        self.cap_seconds = policy.starvation_cap * 60.0
        self.early_seconds = policy.appointment_early_minutes * 60.0
        self.positive = [[(s, w) for s, w in p.items() if w > 0] for p in profiles]
        self.fallback = [[s for s, w in p.items() if not w > 0] for p in profiles]
        self.queues: list[tuple[list[_Entry], list[_Entry]]] = [([], []) for _ in range(n_services)]
        self.appointments: list[list[int]] = [[] for _ in range(n_services)]
        self.pinned: list[list[_Entry]] = [[] for _ in profiles]
        self.service: list[int] = []
        self.klass: list[int] = []
        self.arrived: list[float] = []
        self.seq: list[int] = []
        self.slot_start: list[float] = []
        self.slot_end: list[float] = []
        self.deadline: list[float] = []
        self.gone: list[bool] = []
        self.left: list[int] = []
        """Tickets found to have left (deadline passed) since the caller last cleared it."""

    def add(
        self,
        service: int,
        klass: int,
        arrived: float,
        seq: int,
        *,
        pinned: int = -1,
        slot_start: float = NO_SLOT,
        slot_end: float = NO_SLOT,
        deadline: float = math.inf,
    ) -> int:
        """Register a waiting ticket; returns its index."""
        index = len(self.service)
        self.service.append(service)
        self.klass.append(klass)
        self.arrived.append(arrived)
        self.seq.append(seq)
        self.slot_start.append(slot_start)
        self.slot_end.append(slot_end)
        self.deadline.append(deadline)
        self.gone.append(False)
        entry = (arrived, seq, index)
        if pinned >= 0:
            heapq.heappush(self.pinned[pinned], entry)
        elif klass == APPOINTMENT:
            self.appointments[service].append(index)
        else:
            heapq.heappush(self.queues[service][klass], entry)
        return index

    def copy(self) -> CallQueues:
        """An independent copy (the heaps and per-ticket lists are copied)."""
        other = CallQueues.__new__(CallQueues)
        other.__dict__.update(self.__dict__)
        other.queues = [(list(a), list(b)) for a, b in self.queues]
        other.appointments = [list(a) for a in self.appointments]
        other.pinned = [list(p) for p in self.pinned]
        for name in ("service", "klass", "arrived", "seq", "slot_start", "slot_end"):
            setattr(other, name, list(getattr(self, name)))
        other.deadline = list(self.deadline)
        other.gone = list(self.gone)
        other.left = []
        return other

    def take(self, index: int) -> None:
        """The ticket was called (or otherwise left the queue)."""
        self.gone[index] = True

    def _alive(self, index: int, now: float) -> bool:
        if self.gone[index]:
            return False
        if self.deadline[index] <= now:
            self.gone[index] = True
            self.left.append(index)
            return False
        return True

    def _head(self, heap: list[_Entry], now: float) -> _Entry | None:
        gone = self.gone
        deadline = self.deadline
        while heap:
            head = heap[0]
            index = head[2]
            if not gone[index]:
                if deadline[index] > now:
                    return head
                gone[index] = True
                self.left.append(index)
            heapq.heappop(heap)
        return None

    def _appointments(self, service: int, now: float) -> list[int]:
        items = self.appointments[service]
        if not items:
            return items
        alive = [i for i in items if self._alive(i, now)]
        if len(alive) != len(items):
            self.appointments[service] = alive
        return alive

    def _in_slot(self, index: int, now: float) -> bool:
        start = self.slot_start[index]
        end = self.slot_end[index]
        if math.isnan(start) or math.isnan(end):
            return False
        return start - self.early_seconds <= now <= end

    def choose(self, window: int, now: float) -> tuple[int, str]:
        """The ticket ``window`` calls at ``now`` and the rule, or ``(-1, "")``."""
        pinned = self.pinned[window]
        if pinned:
            head = self._head(pinned, now)
            if head is not None:
                return head[2], "pinned"
        positive = self.positive[window]
        best_slot: tuple[float, float, int, int] | None = None
        for service, _ in positive:
            if not self.appointments[service]:
                continue
            for i in self._appointments(service, now):
                if self._in_slot(i, now):
                    key = (self.slot_start[i], self.arrived[i], self.seq[i], i)
                    if best_slot is None or key < best_slot:
                        best_slot = key
        if best_slot is not None:
            return best_slot[3], "appointment"
        found = self._best_scored(positive, now, True)
        if found[0] >= 0:
            return found
        if not self.fallback[window]:
            return -1, ""
        fallback = [(s, 1.0) for s in self.fallback[window]]
        index, _ = self._best_scored(fallback, now, False)
        return (index, "fallback") if index >= 0 else (-1, "")

    def _best_scored(
        self, services: Sequence[tuple[int, float]], now: float, weighted: bool
    ) -> tuple[int, str]:
        bonus_normal, bonus_green, bonus_appointment = self.bonus
        queues = self.queues
        head_of = self._head
        gone = self.gone
        deadline = self.deadline
        oldest_normal: _Entry | None = None
        oldest_green: _Entry | None = None
        best: tuple[float, float, int, int] | None = None
        head: _Entry | None
        for service, weight in services:
            normals, greens = queues[service]
            if normals:
                head = normals[0]
                if gone[head[2]] or deadline[head[2]] <= now:
                    head = head_of(normals, now)
                if head is not None:
                    if oldest_normal is None or head < oldest_normal:
                        oldest_normal = head
                    waited = now - head[0]
                    score = weight * (waited / 60.0 if waited > 0 else 0.0) + bonus_normal
                    key = (-score, head[0], head[1], head[2])
                    if best is None or key < best:
                        best = key
            if greens:
                head = greens[0]
                if gone[head[2]] or deadline[head[2]] <= now:
                    head = head_of(greens, now)
                if head is not None:
                    if oldest_green is None or head < oldest_green:
                        oldest_green = head
                    waited = now - head[0]
                    score = weight * (waited / 60.0 if waited > 0 else 0.0) + bonus_green
                    key = (-score, head[0], head[1], head[2])
                    if best is None or key < best:
                        best = key
            if self.appointments[service]:
                for i in self._appointments(service, now):
                    if weighted and self._in_slot(i, now):
                        continue
                    arrived = self.arrived[i]
                    waited = now - arrived
                    score = weight * (waited / 60.0 if waited > 0 else 0.0) + bonus_appointment
                    key = (-score, arrived, self.seq[i], i)
                    if best is None or key < best:
                        best = key
        if best is None:
            return -1, ""
        if (
            weighted
            and oldest_normal is not None
            and oldest_green is not None
            and oldest_green[0] - oldest_normal[0] >= self.cap_seconds
        ):
            return oldest_normal[2], "starvation"
        return best[3], "score"

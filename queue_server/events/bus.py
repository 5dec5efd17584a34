"""In-memory fan-out of committed events, per hall, with bounded subscriber queues.

The store's writer thread hands over each commit's events in commit order; they are
put on every subscriber's queue on the event loop. A subscriber that falls behind is
marked ``overflowed`` and must reconnect (and replay from the log by event id), so a
slow screen never holds the server's memory hostage.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from queue_server.domain.events import EventRecord

ALL_HALLS = "*"


class Subscription:
    """One subscriber's queue of events for one hall (or every hall)."""

    def __init__(self, bus: EventBus, hall_id: str, maxsize: int) -> None:
        self.hall_id = hall_id
        self.maxsize = maxsize
        self.overflowed = False
        self._queue: asyncio.Queue[EventRecord | None] = asyncio.Queue()
        self._bus = bus

    def offer(self, event: EventRecord) -> None:
        """Queue an event, or end the subscription once it has fallen ``maxsize`` behind."""
        if self.overflowed:
            return
        if self._queue.qsize() >= self.maxsize:
            self.end()
            return
        self._queue.put_nowait(event)

    def end(self) -> None:
        """Mark the subscriber as fallen behind (or shut down): :meth:`next` returns None."""
        if not self.overflowed:
            self.overflowed = True
            self._queue.put_nowait(None)

    async def next(self) -> EventRecord | None:
        """The next event, or None once the subscription has ended."""
        if self.overflowed and self._queue.empty():
            return None
        return await self._queue.get()

    def close(self) -> None:
        """Stop receiving events."""
        self._bus.unsubscribe(self)


class EventBus:
    """Subscribers by hall; publishing is safe from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._subscribers: dict[str, set[Subscription]] = {}
        self.last_event_id: dict[str, int] = {}
        self.frames: dict[int, bytes] = {}
        """Encoded SSE frames by event id, shared by every stream of this server."""
        self.closed = False
        """Set at shutdown: subscribers whose subscription ended should not subscribe again."""

    def subscribe(self, hall_id: str, maxsize: int = 1000) -> Subscription:
        """Start receiving the hall's events (``"*"``: every hall's)."""
        subscription = Subscription(self, hall_id, maxsize)
        self._subscribers.setdefault(hall_id, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget a subscriber; idempotent."""
        subscribers = self._subscribers.get(subscription.hall_id)
        if subscribers is not None:
            subscribers.discard(subscription)

    def drop_all(self) -> None:
        """End every subscription (shutdown): their streams close and clients reconnect."""
        self.closed = True
        for subscribers in self._subscribers.values():
            for subscription in subscribers:
                subscription.end()

    def subscriber_count(self) -> int:
        """How many subscriptions are live."""
        return sum(len(s) for s in self._subscribers.values())

    def publish_threadsafe(self, events: Sequence[EventRecord]) -> None:
        """Hand committed events over from the writer thread, keeping their order."""
        try:
            self._loop.call_soon_threadsafe(self.publish, list(events))
        except RuntimeError:
            return

    def publish(self, events: Sequence[EventRecord]) -> None:
        """Deliver events to the hall's subscribers and the all-halls subscribers."""
        for event in events:
            self.last_event_id[event.hall_id] = event.id
            for key in (event.hall_id, ALL_HALLS):
                for subscription in tuple(self._subscribers.get(key, ())):
                    subscription.offer(event)

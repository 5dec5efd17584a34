"""Live fan-out of committed events to screens and consoles."""

from queue_server.events.bus import EventBus, Subscription

__all__ = ["EventBus", "Subscription"]

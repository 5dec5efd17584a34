"""The counter agent's HTTP client: its window's state, keypad actions, ratings, the event
stream. Same failure split as the kiosk's client (:class:`Unreachable` vs :class:`ApiError`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from kiosk.client import ApiError, HallClient, Unreachable

STREAM_READ_TIMEOUT = 60.0
"""The server pings every 15 s by default; this much silence means the stream is dead."""


@dataclass(frozen=True)
class StreamEvent:
    """One server-sent event: ``id`` is None for ``reset`` (and other id-less messages)."""

    id: int | None
    type: str
    data: dict[str, Any]


class SseParser:
    """Turns the lines of a ``text/event-stream`` into events (comments and retry skipped)."""

    def __init__(self) -> None:
        self._id: int | None = None
        self._type = "message"
        self._data: list[str] = []

    def feed(self, line: str) -> StreamEvent | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "id" and value.isdigit():
            self._id = int(value)
        elif name == "event":
            self._type = value
        elif name == "data":
            self._data.append(value)
        return None

    def _dispatch(self) -> StreamEvent | None:
        event_id, kind, lines = self._id, self._type, self._data
        self._id, self._type, self._data = None, "message", []
        if not lines:
            return None
        try:
            data = json.loads("\n".join(lines))
        except ValueError:
            return None
        return StreamEvent(event_id, kind, data if isinstance(data, dict) else {})


class CounterClient(HallClient):
    """Calls of one counter agent (a counter token bound to ``window_id``)."""

    def __init__(self, base_url: str, token: str, window_id: str, *, timeout: float = 4.0) -> None:
        super().__init__(base_url, token, "", timeout=timeout)
        self.window_id = window_id

    async def state(self) -> dict[str, Any]:
        """What the LED and keypad show, and who is signed in (retried)."""
        data: dict[str, Any] = await self._retrying(
            lambda: self._call("GET", f"/api/v1/windows/{self.window_id}/counter")
        )
        return data

    async def act(self, action: str, number: str | None = None) -> dict[str, Any]:
        """One keypad action for the clerk signed in; not retried (it may have been applied)."""
        body: dict[str, Any] = {"action": action}
        if number is not None:
            body["number"] = number
        data: dict[str, Any] = await self._call(
            "POST", f"/api/v1/windows/{self.window_id}/counter/actions", body
        )
        return data

    async def rate(self, ticket_id: str, level: int) -> dict[str, Any]:
        """The citizen's 好差评 level (1–5) from the evaluator; the server takes one per ticket."""
        data: dict[str, Any] = await self._call(
            "POST",
            f"/api/v1/tickets/{ticket_id}/evaluation",
            {"level": level, "source": "keypad"},
        )
        return data

    async def events(self, hall_id: str, last_event_id: int) -> AsyncIterator[StreamEvent]:
        """The hall's events after ``last_event_id``, until the stream drops (Unreachable)."""
        url = f"{self.base_url}/api/v1/halls/{hall_id}/events"
        timeout = aiohttp.ClientTimeout(
            total=None, connect=self.timeout, sock_read=STREAM_READ_TIMEOUT
        )
        headers = {"Last-Event-ID": str(last_event_id), "Accept": "text/event-stream"}
        parser = SseParser()
        try:
            async with self._client().get(url, headers=headers, timeout=timeout) as response:
                if response.status != 200:
                    raise Unreachable(f"event stream: HTTP {response.status}")
                async for raw in response.content:
                    event = parser.feed(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
                    if event is not None:
                        yield event
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            raise Unreachable(f"event stream: {type(err).__name__}") from err
        raise Unreachable("event stream ended")


__all__ = ["ApiError", "CounterClient", "SseParser", "StreamEvent", "Unreachable"]

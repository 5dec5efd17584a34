"""A small SSE reader for tests: yields (id, event, data) from a streaming response."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientResponse


@dataclass
class Message:
    """One SSE message."""

    id: int | None
    event: str
    data: dict[str, Any]


async def messages(response: ClientResponse) -> AsyncIterator[Message]:
    """Parse messages as they arrive (comments and the retry line are skipped)."""
    fields: dict[str, str] = {}
    async for raw in response.content:
        line = raw.decode("utf-8").rstrip("\n").rstrip("\r")
        if line == "":
            if "data" in fields:
                yield Message(
                    int(fields["id"]) if "id" in fields else None,
                    fields.get("event", "message"),
                    json.loads(fields["data"]),
                )
            fields = {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        fields[name] = value[1:] if value.startswith(" ") else value

"""Reminders and one-time codes to remote visitors, through one interface and three channels.

``Notifier.send`` takes a :class:`Message` and answers an :class:`Outcome`; it never raises
for a refusal of the far side. Adapters: Web Push (VAPID, RFC 8291/8292), WeChat
subscription messages, SMS through a generic HTTP provider; :class:`Outbox` stands in for any
channel that is not configured and keeps what it "sent" for the demo's outbox page.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class Outcome(StrEnum):
    """What became of one message."""

    SENT = "sent"
    NO_SUBSCRIPTION = "no_subscription"
    RATE_LIMITED = "rate_limited"
    INVALID = "invalid"
    RETRYABLE = "retryable"


@dataclass(frozen=True)
class Message:
    """One message: ``template`` is ``otp`` or ``near``; params are plain strings."""

    channel: str
    recipient: str
    template: str
    params: dict[str, str]
    key: str
    masked: str = ""


class Notifier(Protocol):
    """One delivery channel."""

    channel: str

    async def send(self, message: Message) -> Outcome:
        """Deliver ``message``; refusals are outcomes, not exceptions."""
        ...


TEXTS = {
    "otp": "【一次办】验证码 {code}，{minutes} 分钟内有效。请勿告诉他人。",
    "near": "【一次办】{hall} {number} 号前面还有 {ahead} 人，请尽快到 {hall} 等候叫号。",
}


def render(message: Message) -> str:
    """The human text of a message (SMS body, push body, outbox line)."""
    try:
        return TEXTS[message.template].format(**message.params)
    except KeyError:
        return f"{message.template}: {message.params}"


@dataclass
class Outbox:
    """A simulated channel: keeps the last messages with the recipient masked."""

    channel: str
    entries: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=200))

    async def send(self, message: Message) -> Outcome:
        """Record the message; always sent."""
        self.entries.append(
            {
                "at": time.time(),
                "channel": message.channel,
                "to": message.masked or "***",
                "template": message.template,
                "text": render(message),
                "params": dict(message.params),
            }
        )
        return Outcome.SENT

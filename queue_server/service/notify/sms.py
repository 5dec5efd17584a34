"""SMS through a generic HTTP provider (a gateway in front of Aliyun, Tencent Cloud, …).

The provider interface, documented in docs/remote.md: ``POST {url}`` with
``Authorization: Bearer {api_key}`` and JSON ``{"phone", "template", "params", "sign_name",
"idempotency_key"}``. 2xx ``{"status": "sent"}`` is sent; 429 is rate limited; other 4xx
(or ``{"status": "rejected"}``) invalid; 5xx and transport errors retryable.
"""

from __future__ import annotations

import aiohttp

from queue_server.service.notify import Message, Outcome


class HttpSms:
    """The generic HTTP SMS adapter."""

    channel = "sms"

    def __init__(
        self, session: aiohttp.ClientSession, url: str, api_key: str, sign_name: str = "一次办"
    ) -> None:
        self._session = session
        self._url = url
        self._api_key = api_key
        self._sign_name = sign_name

    async def send(self, message: Message) -> Outcome:
        """Hand one SMS to the provider."""
        body = {
            "phone": message.recipient,
            "template": message.template,
            "params": message.params,
            "sign_name": self._sign_name,
            "idempotency_key": message.key,
        }
        headers = {"Authorization": f"Bearer {self._api_key}"}
        try:
            async with self._session.post(self._url, json=body, headers=headers) as response:
                if response.status == 429:
                    return Outcome.RATE_LIMITED
                if response.status >= 500:
                    return Outcome.RETRYABLE
                if response.status >= 400:
                    return Outcome.INVALID
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return Outcome.RETRYABLE
        status = data.get("status") if isinstance(data, dict) else None
        if status == "sent":
            return Outcome.SENT
        if status == "rate_limited":
            return Outcome.RATE_LIMITED
        return Outcome.INVALID

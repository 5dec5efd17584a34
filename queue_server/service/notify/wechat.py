"""WeChat subscription messages, and the JS-SDK signature ``wx.config`` needs.

Access tokens come from ``POST /cgi-bin/stable_token`` (one central holder per appid, cached
until five minutes before expiry). A reminder is ``POST /cgi-bin/message/subscribe/bizsend``
(service-account H5, the default) or ``/cgi-bin/message/subscribe/send`` (mini program,
``subscribeMessage.send``), body ``{touser, template_id, page, data: {key: {value}}}``.
``errcode`` 43101 means the visitor has no subscription left; 40001/42001 a stale token
(refreshed once); 47003 a bad parameter.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import aiohttp

from queue_server.service.notify import Message, Outcome

PATHS = {
    "official_account": "/cgi-bin/message/subscribe/bizsend",
    "mini_program": "/cgi-bin/message/subscribe/send",
}
STALE_TOKEN = {40001, 42001, 40014}


def jssdk_signature(ticket: str, noncestr: str, timestamp: int, url: str) -> str:
    """SHA-1 of ``jsapi_ticket=…&noncestr=…&timestamp=…&url=…`` (URL without ``#…``)."""
    page = url.split("#", 1)[0]
    text = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={page}"
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def clip(value: str, limit: int) -> str:
    """WeChat refuses over-long ``thing`` values (47003); cut them instead."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


class WeChatSubscribe:
    """Sends the "your turn is near" subscription message."""

    channel = "wechat"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        appid: str,
        secret: str,
        template_id: str,
        api_base: str = "https://api.weixin.qq.com",
        kind: str = "official_account",
        page: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if kind not in PATHS:
            raise ValueError(f"wechat kind must be one of {sorted(PATHS)}")
        self._session = session
        self._appid = appid
        self._secret = secret
        self._template_id = template_id
        self._base = api_base.rstrip("/")
        self._path = PATHS[kind]
        self._page = page
        self._clock = clock
        self._token: tuple[str, float] | None = None

    async def _access_token(self, force: bool = False) -> str | None:
        if self._token is not None and not force and self._clock() < self._token[1]:
            return self._token[0]
        body = {
            "grant_type": "client_credential",
            "appid": self._appid,
            "secret": self._secret,
            "force_refresh": force,
        }
        async with self._session.post(f"{self._base}/cgi-bin/stable_token", json=body) as r:
            data = await r.json(content_type=None)
        token = data.get("access_token") if isinstance(data, dict) else None
        if not token:
            return None
        ttl = float(data.get("expires_in", 7200))
        self._token = (str(token), self._clock() + max(60.0, ttl - 300.0))
        return str(token)

    def _body(self, message: Message) -> dict[str, object]:
        p = message.params
        data = {
            "character_string1": {"value": clip(p.get("number", ""), 32)},
            "thing2": {"value": clip(p.get("hall", ""), 20)},
            "number3": {"value": p.get("ahead", "0")},
            "thing4": {"value": clip(p.get("hint", "请尽快到大厅等候叫号"), 20)},
        }
        body: dict[str, object] = {
            "touser": message.recipient,
            "template_id": self._template_id,
            "data": data,
        }
        if self._page:
            body["page"] = self._page
        return body

    async def send(self, message: Message) -> Outcome:
        """Send once; a stale access token is refreshed and the send retried once."""
        try:
            for attempt in range(2):
                token = await self._access_token(force=attempt > 0)
                if token is None:
                    return Outcome.RETRYABLE
                url = f"{self._base}{self._path}"
                async with self._session.post(
                    url, params={"access_token": token}, json=self._body(message)
                ) as response:
                    if response.status >= 500:
                        return Outcome.RETRYABLE
                    data = await response.json(content_type=None)
                code = int(data.get("errcode", 0)) if isinstance(data, dict) else -1
                if code == 0:
                    return Outcome.SENT
                if code in STALE_TOKEN:
                    continue
                if code == 43101:
                    return Outcome.NO_SUBSCRIPTION
                if code in (47003, 40003, 40037, 41030):
                    return Outcome.INVALID
                if code == 45009:
                    return Outcome.RATE_LIMITED
                return Outcome.RETRYABLE
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return Outcome.RETRYABLE
        return Outcome.RETRYABLE

"""WeChat web login (网页授权, silent ``snsapi_base``) for the mobile page opened inside WeChat.

The flow is the standard OAuth 2.0 code flow of the official account:

1. the page sends the visitor to ``GET /api/v1/remote/wechat/login?next=/mobile#…``, which
   sets a short-lived nonce cookie and answers 302 to ``https://open.weixin.qq.com/connect/
   oauth2/authorize?appid=…&redirect_uri=…&response_type=code&scope=snsapi_base&state=…
   #wechat_redirect``;
2. WeChat sends the visitor back to ``…/api/v1/remote/wechat/callback?code=…&state=…``;
3. the server checks the state (signed, unexpired, and carrying the nonce of *this* browser's
   cookie, so nobody can log a victim into their own WeChat account with a forwarded link),
   exchanges the code at ``GET /sns/oauth2/access_token?appid=…&secret=…&code=…
   &grant_type=authorization_code`` for ``{"openid", "access_token", …}`` (or ``{"errcode":
   40029}`` for a wrong, expired or reused code, 40163 for a reused one), opens a short session
   held in an HttpOnly, SameSite=Lax cookie (never in the address bar, so sharing the page
   shares nothing) and sends the visitor back to ``next``.

The openid then stands in for the phone: one open remote ticket per openid per service per
day, held as "微信用户", cancellable with the same session. It is stored only as a keyed hash
(for that rule) and encrypted in the session (for the subscription reminder); it is never shown
or logged.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp

from queue_server.security import PersonalDataCipher, token_digest
from queue_server.service.errors import ServiceError, invalid
from queue_server.service.remote import RemoteHolder
from queue_server.service.rows import iso, parse_iso
from queue_server.store.db import WriteTx

CALLBACK_PATH = "/api/v1/remote/wechat/callback"
NEXT = re.compile(r"/mobile(?:#[A-Za-z0-9/_.~=&%-]*)?")
"""Where a login may return: the mobile page and a route of its own (no query, no escape)."""
STATE_MINUTES = 10
SHOWN_AS = "微信用户"
INVALID_CODE = {40029, 40163}


@dataclass(frozen=True)
class LoginConfig:
    """``[remote.wechat]``: the official account, and where its two endpoints live."""

    appid: str
    secret: str
    api_base: str = "https://api.weixin.qq.com"
    oauth_base: str = "https://open.weixin.qq.com"
    session_minutes: float = 120.0

    @classmethod
    def from_settings(cls, wechat: dict[str, Any]) -> LoginConfig | None:
        """None unless an appid and a secret are configured and login is not switched off."""
        if not wechat.get("appid") or not wechat.get("secret") or not wechat.get("login", True):
            return None
        return cls(
            str(wechat["appid"]),
            str(wechat["secret"]),
            str(wechat.get("api_base", cls.api_base)).rstrip("/"),
            str(wechat.get("oauth_base", cls.oauth_base)).rstrip("/"),
            float(wechat.get("session_minutes", cls.session_minutes)),
        )


def _keyed(cipher: PersonalDataCipher, kind: str, text: str) -> str:
    """A keyed hash of exact text (hex first: the cipher's matching hash folds case)."""
    return cipher.match_hash(f"{kind}{text.encode().hex()}")


def safe_next(path: str) -> str:
    """Only this site's mobile page may be returned to (no open redirect, no smuggled query)."""
    if not NEXT.fullmatch(path) or ".." in path:
        raise invalid("invalid_request", "next must be the mobile page, optionally with #route")
    return path


def sign_state(cipher: PersonalDataCipher, next_path: str, nonce: str, now: datetime) -> str:
    """An expiring, signed ``state`` carrying where to return and the browser's nonce."""
    expires = int((now + timedelta(minutes=STATE_MINUTES)).timestamp())
    payload = json.dumps({"n": next_path, "e": expires, "r": nonce})
    body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return f"{body}.{_keyed(cipher, 'WXSTATE', body)[:32]}"


def read_state(cipher: PersonalDataCipher, state: str, nonce: str, now: datetime) -> str:
    """The ``next`` path of a state this server signed for this browser, not yet expired."""
    body, _, signature = state.partition(".")
    expected = _keyed(cipher, "WXSTATE", body)[:32]
    if not secrets.compare_digest(signature.encode(), expected.encode()):
        raise invalid("bad_state", "the login did not start here; try again")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    if not secrets.compare_digest(str(payload["r"]).encode(), nonce.encode()):
        raise invalid("bad_state", "the login started in another browser; try again")
    if int(payload["e"]) < now.timestamp():
        raise invalid("bad_state", "the login took too long; try again")
    return safe_next(str(payload["n"]))


def authorize_url(config: LoginConfig, site_base: str, state: str) -> str:
    """Where WeChat asks nothing (``snsapi_base``) and sends the visitor back with a code."""
    query = urlencode(
        {
            "appid": config.appid,
            "redirect_uri": site_base.rstrip("/") + CALLBACK_PATH,
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
        },
        quote_via=quote,
    )
    return f"{config.oauth_base}/connect/oauth2/authorize?{query}#wechat_redirect"


async def exchange_code(session: aiohttp.ClientSession, config: LoginConfig, code: str) -> str:
    """The visitor's openid for a one-time ``code``; ServiceError when WeChat says no."""
    params = {
        "appid": config.appid,
        "secret": config.secret,
        "code": code,
        "grant_type": "authorization_code",
    }
    try:
        async with session.get(f"{config.api_base}/sns/oauth2/access_token", params=params) as r:
            text = await r.text()  # WeChat answers JSON as text/plain
    except (aiohttp.ClientError, TimeoutError) as err:
        raise ServiceError("wechat_unreachable", "WeChat could not be reached", 502) from err
    try:
        answer = json.loads(text)
        errcode = int(answer.get("errcode") or 0)
    except (ValueError, AttributeError, TypeError) as err:
        raise ServiceError("wechat_unreachable", "WeChat answered nonsense", 502) from err
    if errcode in INVALID_CODE:
        raise invalid("invalid_code", "the WeChat login code is wrong, used or expired")
    if errcode or not answer.get("openid"):
        raise ServiceError("wechat_refused", f"WeChat refused the login ({errcode})", 502)
    return str(answer["openid"])


def start_session(
    tx: WriteTx, cipher: PersonalDataCipher, openid: str, minutes: float, now: datetime
) -> str:
    """A session token for the logged-in openid (expired sessions are dropped here)."""
    tx.execute("DELETE FROM wechat_sessions WHERE expires_at < ?", (iso(now),))
    token = secrets.token_urlsafe(24)
    tx.execute(
        "INSERT INTO wechat_sessions (token_digest, openid_hash, openid_enc, created_at,"
        " expires_at) VALUES (?, ?, ?, ?, ?)",
        (
            token_digest(token),
            _keyed(cipher, "WECHAT", openid),
            cipher.encrypt(openid),
            iso(now),
            iso(now + timedelta(minutes=minutes)),
        ),
    )
    return token


@dataclass(frozen=True)
class WeChatVisitor:
    """A logged-in visitor: the holder for remote tickets and the openid for reminders."""

    holder: RemoteHolder
    openid: str
    expires_at: str


def visitor(tx: WriteTx, cipher: PersonalDataCipher, token: str, now: datetime) -> WeChatVisitor:
    """The visitor of a live session; 401 ``wechat_session_expired`` otherwise."""
    row = tx.one("SELECT * FROM wechat_sessions WHERE token_digest = ?", (token_digest(token),))
    if row is None or parse_iso(row["expires_at"]) < now:
        raise ServiceError("wechat_session_expired", "log in with WeChat again", 401)
    holder = RemoteHolder(row["openid_hash"], SHOWN_AS, "remote:wechat")
    return WeChatVisitor(holder, cipher.decrypt(row["openid_enc"]), row["expires_at"])

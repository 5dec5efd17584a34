"""Each Notifier adapter against a local fake of its service, plus known-answer vectors.

The fakes check what the real services check (VAPID JWT signature and audience, access
tokens, bearer keys) and decrypt/parse the way the documented protocol says, with code of
their own (HKDF from ``cryptography`` rather than the adapter's HMAC steps).
"""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import time
from typing import Any

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from queue_server.service.notify import Message, Outcome
from queue_server.service.notify.sms import HttpSms
from queue_server.service.notify.webpush import WebPush, b64url, encrypt, public_bytes, unb64url
from queue_server.service.notify.wechat import WeChatSubscribe, jssdk_signature
from tests.queue_server.conftest import MakeHall
from tests.remote.conftest import REMOTE

NEAR = {"number": "B005", "hall": "测试大厅", "ahead": "3"}


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(hashes.SHA256(), length, salt, info).derive(ikm)


def decrypt_aes128gcm(body: bytes, ua_private: ec.EllipticCurvePrivateKey, auth: bytes) -> bytes:
    """What a browser does with a push message (RFC 8291 §3.4, RFC 8188 §2)."""
    salt, (rs, idlen) = body[:16], struct.unpack("!IB", body[16:21])
    as_public = body[21 : 21 + idlen]
    assert rs >= 18 and idlen == 65
    ua_public = public_bytes(ua_private.public_key())
    sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_public)
    secret = ua_private.exchange(ec.ECDH(), sender)
    ikm = _hkdf(auth, secret, b"WebPush: info\x00" + ua_public + as_public, 32)
    cek = _hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = _hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
    padded = AESGCM(cek).decrypt(nonce, body[21 + idlen :], None)
    text = padded.rstrip(b"\x00")
    assert text.endswith(b"\x02"), "one final record ends with the 0x02 delimiter"
    return text[:-1]


def test_rfc8291_appendix_a_vector() -> None:
    as_private = ec.derive_private_key(
        int.from_bytes(_b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"), "big"),
        ec.SECP256R1(),
    )
    body = encrypt(
        b"When I grow up, I want to be a watermelon",
        _b64(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
        ),
        _b64("BTBZMqHH6r4Tts7J_aSIgg"),
        as_private,
        _b64("DGv6ra1nlYgDCS1FRnbzlw"),
    )
    assert b64url(body) == (
        "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInm"
        "YWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQ"
        "exSgSxsj_Qulcy4a-fN"
    )


def test_jssdk_signature_known_answers() -> None:
    ticket = (
        "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
    )
    nonce, stamp = "Wm3WZYTPz0wzccnW", 1414587457
    assert (
        jssdk_signature(ticket, nonce, stamp, "http://mp.weixin.qq.com#frag")
        == "f4d90daf4b3bca3078ab155816175ba34c443a7b"
    )
    assert (
        jssdk_signature(ticket, nonce, stamp, "http://mp.weixin.qq.com?params=value")
        == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
    )


class FakePushService:
    """A push service: checks the VAPID JWT, decrypts like a browser, keeps the payloads."""

    def __init__(self) -> None:
        self.ua_private = ec.generate_private_key(ec.SECP256R1())
        self.auth = b"0123456789abcdef"
        self.received: list[dict[str, Any]] = []
        self.origin = ""

    def subscription(self, path: str = "/push/sub-1") -> dict[str, Any]:
        return {
            "endpoint": f"{self.origin}{path}",
            "keys": {
                "p256dh": b64url(public_bytes(self.ua_private.public_key())),
                "auth": b64url(self.auth),
            },
        }

    async def push(self, request: web.Request) -> web.Response:
        if request.match_info["sub"] == "gone":
            return web.Response(status=410)
        auth = request.headers["Authorization"]
        assert auth.startswith("vapid ")
        fields = dict(part.strip().split("=", 1) for part in auth[6:].split(","))
        token, key = fields["t"], fields["k"]
        head, claims, signature = token.split(".")
        raw = _b64(signature)
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _b64(key))
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        body_claims = json.loads(_b64(claims))
        assert json.loads(_b64(head)) == {"typ": "JWT", "alg": "ES256"}
        assert body_claims["aud"] == self.origin
        assert time.time() < body_claims["exp"] <= time.time() + 24 * 3600
        assert body_claims["sub"].startswith("mailto:")
        assert request.headers["Content-Encoding"] == "aes128gcm"
        assert int(request.headers["TTL"]) > 0
        plain = decrypt_aes128gcm(await request.read(), self.ua_private, self.auth)
        self.received.append(json.loads(plain))
        return web.Response(status=201)


async def start(aiohttp_server: Any, routes: list[web.RouteDef]) -> Any:
    app = web.Application()
    app.add_routes(routes)
    return await aiohttp_server(app)


async def test_web_push_against_a_fake_push_service(aiohttp_server: Any) -> None:
    fake = FakePushService()
    server = await start(aiohttp_server, [web.post("/push/{sub}", fake.push)])
    fake.origin = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as session:
        adapter = WebPush(session, ec.generate_private_key(ec.SECP256R1()), "mailto:ops@x.cn")
        message = Message("webpush", json.dumps(fake.subscription()), "near", NEAR, "t1:3")
        assert await adapter.send(message) is Outcome.SENT
        gone = Message("webpush", json.dumps(fake.subscription("/push/gone")), "near", NEAR, "k")
        assert await adapter.send(gone) is Outcome.NO_SUBSCRIPTION
        broken = Message("webpush", '{"endpoint": "x"}', "near", NEAR, "k")
        assert await adapter.send(broken) is Outcome.INVALID
    assert len(fake.received) == 1
    assert "B005" in fake.received[0]["body"] and "3" in fake.received[0]["body"]


async def test_wechat_subscription_message_against_a_fake_api(aiohttp_server: Any) -> None:
    tokens = iter(["TOKEN-1", "TOKEN-2"])
    sent: list[dict[str, Any]] = []

    async def stable_token(request: web.Request) -> web.Response:
        body = await request.json()
        assert body["grant_type"] == "client_credential"
        assert (body["appid"], body["secret"]) == ("wxAPPID", "SECRET")
        return web.json_response({"access_token": next(tokens), "expires_in": 7200})

    async def bizsend(request: web.Request) -> web.Response:
        token = request.query["access_token"]
        if token == "TOKEN-1":
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        body = await request.json()
        if body["touser"] == "o-refused":
            return web.json_response({"errcode": 43101, "errmsg": "user refuse to accept"})
        for value in body["data"].values():
            assert set(value) == {"value"}
        assert len(body["data"]["thing2"]["value"]) <= 20
        sent.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    server = await start(
        aiohttp_server,
        [
            web.post("/cgi-bin/stable_token", stable_token),
            web.post("/cgi-bin/message/subscribe/bizsend", bizsend),
        ],
    )
    async with aiohttp.ClientSession() as session:
        adapter = WeChatSubscribe(
            session, "wxAPPID", "SECRET", "TPL-1", str(server.make_url("")), page="/mobile"
        )
        long_hall = {**NEAR, "hall": "杭州市西湖区行政服务中心不动产登记分中心二楼东侧"}
        assert await adapter.send(Message("wechat", "o-user", "near", long_hall, "k")) is (
            Outcome.SENT
        )
        refused = Message("wechat", "o-refused", "near", NEAR, "k2")
        assert await adapter.send(refused) is Outcome.NO_SUBSCRIPTION
    assert len(sent) == 1
    body = sent[0]
    assert body["touser"] == "o-user" and body["template_id"] == "TPL-1"
    assert body["page"] == "/mobile"
    assert body["data"]["character_string1"] == {"value": "B005"}
    assert body["data"]["number3"] == {"value": "3"}


async def test_sms_against_a_fake_http_provider(aiohttp_server: Any) -> None:
    got: list[dict[str, Any]] = []

    async def send(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer KEY":
            return web.json_response({"status": "rejected"}, status=401)
        body = await request.json()
        if body["phone"] == "13900000000":
            return web.json_response({"status": "rate_limited"}, status=429)
        got.append(body)
        return web.json_response({"status": "sent", "id": "m1"})

    server = await start(aiohttp_server, [web.post("/sms", send)])
    async with aiohttp.ClientSession() as session:
        sms = HttpSms(session, str(server.make_url("/sms")), "KEY")
        ok = await sms.send(Message("sms", "13812345678", "near", NEAR, "t1:3"))
        limited = await sms.send(Message("sms", "13900000000", "near", NEAR, "t2:3"))
        wrong_key = HttpSms(session, str(server.make_url("/sms")), "BAD")
        refused = await wrong_key.send(Message("sms", "13812345678", "otp", {}, "x"))
    assert (ok, limited, refused) == (Outcome.SENT, Outcome.RATE_LIMITED, Outcome.INVALID)
    assert got == [
        {
            "phone": "13812345678",
            "template": "near",
            "params": NEAR,
            "sign_name": "一次办",
            "idempotency_key": "t1:3",
        }
    ]


async def test_server_sends_one_web_push_reminder_per_threshold(
    make_hall: MakeHall, aiohttp_server: Any
) -> None:
    fake = FakePushService()
    server = await start(aiohttp_server, [web.post("/push/{sub}", fake.push)])
    fake.origin = str(server.make_url("")).rstrip("/")
    vapid = ec.generate_private_key(ec.SECP256R1())
    scalar = b64url(vapid.private_numbers().private_value.to_bytes(32, "big"))
    config = {**REMOTE, "webpush": {"private_key": scalar, "subject": "mailto:ops@x.cn"}}
    hall = await make_hall(extra={"remote": config})
    key = await (await hall.client.get("/api/v1/remote/push-key")).json()
    assert unb64url(key["public_key"]) == public_bytes(vapid.public_key())
    tickets = [await hall.issue("s-b") for _ in range(7)]
    mine, cancelled = tickets[6], tickets[5]
    for ticket in (mine, cancelled):
        response = await hall.client.post(
            f"/api/v1/tickets/{ticket['id']}/subscribe",
            json={
                "token": ticket["track_token"],
                "channel": "webpush",
                "subscription": fake.subscription(),
            },
        )
        assert response.status == 201, await response.text()
    bad = await hall.client.post(
        f"/api/v1/tickets/{mine['id']}/subscribe",
        json={"token": "wrong", "channel": "webpush", "subscription": fake.subscription()},
    )
    assert bad.status == 404
    gone = await hall.post("manager", f"/api/v1/tickets/{cancelled['id']}/cancel")
    assert gone.status == 200
    await hall.call_next()  # B007: 6 ahead, one cancelled, one called: 4 ahead: nothing yet
    await asyncio.sleep(0.3)
    assert fake.received == []
    await hall.call_next("w2")  # 3 ahead: the reminder
    for _ in range(60):
        if fake.received:
            break
        await asyncio.sleep(0.05)
    await hall.call_next("w3")
    await hall.call_next("w1")
    await asyncio.sleep(0.4)
    assert len(fake.received) == 1, fake.received
    assert "B007" in fake.received[0]["body"] and "还有 3 人" in fake.received[0]["body"]

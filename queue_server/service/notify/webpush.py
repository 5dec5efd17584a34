"""Web Push: VAPID (RFC 8292) authorisation and aes128gcm payload encryption (RFC 8291).

A browser's ``PushSubscription`` gives an ``endpoint`` and two keys: ``p256dh`` (the user
agent's P-256 public key) and ``auth`` (a 16-byte secret). Each message is encrypted for
that key with a fresh ephemeral key pair and salt, then POSTed to the endpoint with
``Content-Encoding: aes128gcm`` and ``Authorization: vapid t=<JWT>, k=<our public key>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import struct
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from queue_server.service.notify import Message, Outcome, render

RECORD_SIZE = 4096


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    """Base64url with or without padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def public_bytes(key: ec.EllipticCurvePublicKey) -> bytes:
    """The 65-byte uncompressed point."""
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def encrypt(
    plaintext: bytes,
    ua_public: bytes,
    auth_secret: bytes,
    as_private: ec.EllipticCurvePrivateKey | None = None,
    salt: bytes | None = None,
) -> bytes:
    """The aes128gcm body (header + one record) of RFC 8291 §3–4 for one subscription."""
    as_private = as_private or ec.generate_private_key(ec.SECP256R1())
    salt = salt if salt is not None else os.urandom(16)
    as_public = public_bytes(as_private.public_key())
    ua_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), ua_public)
    ecdh_secret = as_private.exchange(ec.ECDH(), ua_key)
    key_info = b"WebPush: info\x00" + ua_public + as_public
    ikm = _hmac(_hmac(auth_secret, ecdh_secret), key_info + b"\x01")
    prk = _hmac(salt, ikm)
    cek = _hmac(prk, b"Content-Encoding: aes128gcm\x00\x01")[:16]
    nonce = _hmac(prk, b"Content-Encoding: nonce\x00\x01")[:12]
    if len(plaintext) + 17 > RECORD_SIZE:
        raise ValueError("a push message must fit one record")
    record = AESGCM(cek).encrypt(nonce, plaintext + b"\x02", None)
    header = salt + struct.pack("!IB", RECORD_SIZE, len(as_public)) + as_public
    return header + record


def vapid_jwt(
    private_key: ec.EllipticCurvePrivateKey, endpoint: str, subject: str, now: float
) -> str:
    """An ES256 JWT for the push service's origin, valid 12 hours (RFC 8292 §2)."""
    parts = urlsplit(endpoint)
    claims = {
        "aud": f"{parts.scheme}://{parts.netloc}",
        "exp": int(now) + 12 * 3600,
        "sub": subject,
    }
    header = {"typ": "JWT", "alg": "ES256"}
    signing_input = ".".join(
        b64url(json.dumps(x, separators=(",", ":")).encode()) for x in (header, claims)
    )
    der = private_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def load_vapid_key(text: str) -> ec.EllipticCurvePrivateKey:
    """A VAPID private key from PEM text or the base64url 32-byte scalar."""
    if "BEGIN" in text:
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("the VAPID key must be an EC P-256 key")
        return key
    return ec.derive_private_key(int.from_bytes(unb64url(text), "big"), ec.SECP256R1())


def parse_subscription(data: Any) -> dict[str, Any]:
    """Check a browser ``PushSubscription.toJSON()``: https endpoint, 65-byte key, 16-byte auth."""
    if not isinstance(data, dict):
        raise ValueError("a push subscription is an object")
    endpoint = data.get("endpoint")
    keys = data.get("keys") or {}
    if not isinstance(endpoint, str) or urlsplit(endpoint).scheme not in ("https", "http"):
        raise ValueError("the push endpoint must be a URL")
    try:
        p256dh = unb64url(str(keys.get("p256dh", "")))
        auth = unb64url(str(keys.get("auth", "")))
    except ValueError:
        raise ValueError("the push keys are not base64url") from None
    if len(p256dh) != 65 or p256dh[0] != 4 or len(auth) != 16:
        raise ValueError("the push keys have the wrong length")
    return {"endpoint": endpoint, "keys": {"p256dh": b64url(p256dh), "auth": b64url(auth)}}


class WebPush:
    """Sends one encrypted push message per reminder."""

    channel = "webpush"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        private_key: ec.EllipticCurvePrivateKey,
        subject: str,
        ttl_seconds: int = 600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._session = session
        self._key = private_key
        self._subject = subject
        self._ttl = ttl_seconds
        self._clock = clock
        self.public_key = b64url(public_bytes(private_key.public_key()))

    async def send(self, message: Message) -> Outcome:
        """Encrypt for the subscription in ``message.recipient`` (JSON) and POST it."""
        try:
            sub = parse_subscription(json.loads(message.recipient))
        except ValueError:
            return Outcome.INVALID
        payload = json.dumps(
            {"title": "一次办", "body": render(message), "tag": message.key},
            ensure_ascii=False,
        ).encode()
        keys = sub["keys"]
        body = encrypt(payload, unb64url(keys["p256dh"]), unb64url(keys["auth"]))
        jwt = vapid_jwt(self._key, sub["endpoint"], self._subject, self._clock())
        headers = {
            "Authorization": f"vapid t={jwt}, k={self.public_key}",
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(self._ttl),
            "Urgency": "high",
        }
        try:
            async with self._session.post(sub["endpoint"], data=body, headers=headers) as r:
                status = r.status
        except (aiohttp.ClientError, TimeoutError):
            return Outcome.RETRYABLE
        if status in (200, 201, 202):
            return Outcome.SENT
        if status in (404, 410):
            return Outcome.NO_SUBSCRIPTION
        if status == 429:
            return Outcome.RATE_LIMITED
        if status >= 500:
            return Outcome.RETRYABLE
        return Outcome.INVALID

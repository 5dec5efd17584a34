"""Passwords, tokens and the protection of personal data at rest.

* Staff passwords are stored as scrypt hashes: ``scrypt$n$r$p$salt_b64$hash_b64``.
* Session and device tokens are random; only their SHA-256 digest is stored, so a copy of
  the database does not let anyone act as a clerk or a kiosk.
* ID numbers are stored twice: a keyed hash (HMAC-SHA256) to find "one open ticket per ID"
  without keeping the number, and an AES-256-GCM copy for staff who need to read it. The two
  keys live in a key file next to the database, never in it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from queue_server.domain.ids import normalise_id_number

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
_SALT_BYTES = 16
_HASH_BYTES = 32
# Stored parameters above these (256 MiB) are refused rather than run: a tampered row must
# not be able to make one login burn gigabytes of memory.
_MAX_N, _MAX_R, _MAX_P = 2**17, 16, 4

KEY_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16
_ASSOCIATED_DATA = b"onevisit-pd-v1"


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` in the self-describing stored form."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, _HASH_BYTES)
    return "$".join(
        ("scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest))
    )


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches; a malformed stored value never matches."""
    parsed = _parse_stored(stored)
    if parsed is None:
        return False
    n, r, p, salt, expected = parsed
    actual = _scrypt(password, salt, n, r, p, len(expected))
    return hmac.compare_digest(actual, expected)


def new_token() -> str:
    """A fresh bearer token (256 bits of randomness, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored for a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    # OpenSSL's default memory cap (32 MiB) is too small for some allowed parameters.
    maxmem = 2 * 128 * r * (n + p) + 2**20
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=length)


def _parse_stored(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, expected = _unb64(parts[4]), _unb64(parts[5])
    except ValueError:
        return None
    power_of_two = n > 1 and n & (n - 1) == 0
    if not (power_of_two and n <= _MAX_N and 0 < r <= _MAX_R and 0 < p <= _MAX_P):
        return None
    if not salt or len(expected) < 16:
        return None
    return n, r, p, salt, expected


class PersonalDataCipher:
    """Keyed matching hash and authenticated encryption for personal data."""

    __slots__ = ("_aead", "_hmac_key")

    def __init__(self, hmac_key: bytes, enc_key: bytes) -> None:
        if len(hmac_key) != KEY_BYTES or len(enc_key) != KEY_BYTES:
            raise ValueError(f"both keys must be {KEY_BYTES} bytes")
        if hmac.compare_digest(hmac_key, enc_key):
            raise ValueError("the matching key and the encryption key must differ")
        self._hmac_key = hmac_key
        self._aead = AESGCM(enc_key)

    def __repr__(self) -> str:
        return "PersonalDataCipher(<keys hidden>)"

    def match_hash(self, id_number: str) -> str:
        """HMAC-SHA256 (hex) of the normalised number: equal numbers, equal hashes.

        ``11010519491231002x`` and ``110105 19491231 002X`` match.
        """
        normalised = normalise_id_number(id_number).encode()
        return hmac.new(self._hmac_key, normalised, hashlib.sha256).hexdigest()

    def encrypt(self, text: str) -> str:
        """AES-256-GCM with a random nonce; base64 of nonce + ciphertext + tag."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, text.encode(), _ASSOCIATED_DATA)
        return _b64(nonce + sealed)

    def decrypt(self, blob: str) -> str:
        """The text back; ``ValueError`` if the blob was altered or made with another key."""
        raw = _unb64(blob)
        if len(raw) < _NONCE_BYTES + _TAG_BYTES:
            raise ValueError("the encrypted value is too short")
        try:
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _ASSOCIATED_DATA)
        except InvalidTag:
            raise ValueError("the encrypted value was altered or uses another key") from None
        return plain.decode()

    @classmethod
    def from_key_file(cls, path: Path, create: bool) -> PersonalDataCipher:
        """Load the keys from ``path`` (JSON ``{"hmac_key": b64, "enc_key": b64}``).

        A missing file is generated when ``create`` is true, readable by the owner only.
        An existing file readable by group or others is refused, as ssh refuses keys.
        """
        if not path.exists():
            if not create:
                raise FileNotFoundError(f"personal-data key file {path} does not exist")
            _create_key_file(path)
        return cls._load(path)

    @classmethod
    def _load(cls, path: Path) -> PersonalDataCipher:
        if path.stat().st_mode & 0o077:
            raise PermissionError(f"{path} must be readable by its owner only (chmod 600)")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(_unb64(data["hmac_key"]), _unb64(data["enc_key"]))
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path} is not a personal-data key file") from exc


def _create_key_file(path: Path) -> None:
    """Write new keys without ever exposing a partial or world-readable file.

    The keys are written to a private temporary file, flushed, and then linked into place.
    Linking fails if the file appeared meanwhile, so two processes starting together both
    end up with the keys that won, instead of one of them silently replacing keys the other
    may already have used.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    keys = {
        "hmac_key": _b64(secrets.token_bytes(KEY_BYTES)),
        "enc_key": _b64(secrets.token_bytes(KEY_BYTES)),
    }
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(keys, handle)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
        _fsync_dir(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    """Strict base64; ``binascii.Error`` is a ``ValueError``."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError("not valid base64") from exc

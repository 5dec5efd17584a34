"""Password hashes, tokens and the personal-data cipher."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.security import (
    PersonalDataCipher,
    hash_password,
    new_token,
    token_digest,
    verify_password,
)

HMAC_KEY = bytes(range(32))
ENC_KEY = bytes(range(32, 64))
_URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.fixture
def cipher() -> PersonalDataCipher:
    return PersonalDataCipher(HMAC_KEY, ENC_KEY)


# -- passwords ------------------------------------------------------------------------------


def test_password_round_trip() -> None:
    stored = hash_password("正确的马电池订书钉")
    assert verify_password("正确的马电池订书钉", stored)
    assert not verify_password("正确的马电池订书针", stored)
    assert not verify_password("", stored)


def test_hash_format() -> None:
    stored = hash_password("window-7")
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert len(base64.b64decode(salt)) == 16
    assert len(base64.b64decode(digest)) == 32


def test_hash_is_plain_scrypt() -> None:
    """Another implementation can check our hashes: nothing but scrypt with these parameters."""
    stored = hash_password("window-7")
    _, _, _, _, salt, digest = stored.split("$")
    expected = hashlib.scrypt(b"window-7", salt=base64.b64decode(salt), n=2**14, r=8, p=1, dklen=32)
    assert base64.b64decode(digest) == expected


def test_same_password_gets_a_new_salt_each_time() -> None:
    assert hash_password("window-7") != hash_password("window-7")


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain-text-password",
        "bcrypt$16384$8$1$AAAA$AAAA",
        "scrypt$16384$8$1$AAAA",
        "scrypt$abc$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$16385$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$1073741824$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$16384$8$1$not base64!$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",
    ],
)
def test_malformed_stored_hashes_never_match(stored: str) -> None:
    assert not verify_password("anything", stored)


def test_tampered_hash_does_not_match() -> None:
    stored = hash_password("window-7")
    head, digest = stored.rsplit("$", 1)
    raw = bytearray(base64.b64decode(digest))
    raw[0] ^= 1
    assert not verify_password("window-7", f"{head}${base64.b64encode(raw).decode()}")


# -- tokens ---------------------------------------------------------------------------------


def test_tokens_are_random_and_url_safe() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(t) == 43 and set(t) <= set(_URL_SAFE) for t in tokens)


def test_token_digest_is_sha256_hex() -> None:
    assert token_digest("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    token = new_token()
    assert token_digest(token) == token_digest(token)
    assert token not in token_digest(token)


# -- personal data --------------------------------------------------------------------------


def test_match_hash_is_stable_and_normalised(cipher: PersonalDataCipher) -> None:
    first = cipher.match_hash("11010519491231002X")
    assert len(first) == 64
    assert cipher.match_hash("11010519491231002x") == first
    assert cipher.match_hash(" 110105 19491231 002X ") == first
    assert PersonalDataCipher(HMAC_KEY, ENC_KEY).match_hash("11010519491231002X") == first
    assert cipher.match_hash("110101200001010010") != first


def test_match_hash_is_keyed(cipher: PersonalDataCipher) -> None:
    other = PersonalDataCipher(bytes(32), ENC_KEY)
    number = "11010519491231002X"
    assert other.match_hash(number) != cipher.match_hash(number)
    assert cipher.match_hash(number) != hashlib.sha256(number.encode()).hexdigest()


@given(st.text())
@settings(max_examples=50)
def test_encrypt_decrypt_round_trip(text: str) -> None:
    cipher = PersonalDataCipher(HMAC_KEY, ENC_KEY)
    blob = cipher.encrypt(text)
    assert cipher.decrypt(blob) == text


def test_ciphertext_does_not_show_the_number(cipher: PersonalDataCipher) -> None:
    blob = cipher.encrypt("11010519491231002X")
    assert "1101051949" not in blob
    assert b"1101051949" not in base64.b64decode(blob)


def test_encryption_is_randomised(cipher: PersonalDataCipher) -> None:
    assert cipher.encrypt("张三") != cipher.encrypt("张三")


@given(st.data())
@settings(max_examples=50)
def test_any_flipped_bit_is_detected(data: st.DataObject) -> None:
    cipher = PersonalDataCipher(HMAC_KEY, ENC_KEY)
    raw = bytearray(base64.b64decode(cipher.encrypt("11010519491231002X")))
    position = data.draw(st.integers(0, len(raw) - 1))
    raw[position] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(ValueError, match="altered"):
        cipher.decrypt(base64.b64encode(raw).decode())


@pytest.mark.parametrize("blob", ["", "AAAA", "not base64 at all", "é"])
def test_garbage_is_refused(cipher: PersonalDataCipher, blob: str) -> None:
    with pytest.raises(ValueError, match=r"base64|too short"):
        cipher.decrypt(blob)


def test_another_key_cannot_decrypt(cipher: PersonalDataCipher) -> None:
    blob = cipher.encrypt("张三")
    with pytest.raises(ValueError, match="another key"):
        PersonalDataCipher(HMAC_KEY, bytes(32)).decrypt(blob)


@pytest.mark.parametrize(
    ("hmac_key", "enc_key", "message"),
    [
        (bytes(31), ENC_KEY, "32 bytes"),
        (HMAC_KEY, bytes(33), "32 bytes"),
        (HMAC_KEY, HMAC_KEY, "must differ"),
    ],
)
def test_key_checks(hmac_key: bytes, enc_key: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PersonalDataCipher(hmac_key, enc_key)


def test_repr_hides_the_keys(cipher: PersonalDataCipher) -> None:
    assert HMAC_KEY.hex() not in repr(cipher)
    assert "hidden" in repr(cipher)


# -- the key file ---------------------------------------------------------------------------


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "personal-data.json"
    first = PersonalDataCipher.from_key_file(path, create=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["personal-data.json"]
    keys = json.loads(path.read_text())
    assert sorted(keys) == ["enc_key", "hmac_key"]
    assert all(len(base64.b64decode(v)) == 32 for v in keys.values())

    second = PersonalDataCipher.from_key_file(path, create=True)
    assert second.match_hash("11010519491231002X") == first.match_hash("11010519491231002X")
    assert second.decrypt(first.encrypt("张三")) == "张三"
    assert json.loads(path.read_text()) == keys


def test_missing_key_file_without_create(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        PersonalDataCipher.from_key_file(tmp_path / "absent.json", create=False)
    assert not (tmp_path / "absent.json").exists()


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "personal-data.json"
    PersonalDataCipher.from_key_file(path, create=True)
    path.chmod(0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        PersonalDataCipher.from_key_file(path, create=True)


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", '{"hmac_key": "AAAA"}', '{"hmac_key": 1, "enc_key": 2}'],
)
def test_broken_key_file_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "personal-data.json"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(ValueError, match=r"not a personal-data key file|32 bytes"):
        PersonalDataCipher.from_key_file(path, create=True)

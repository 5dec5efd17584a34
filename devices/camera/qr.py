"""QR decoding with OpenCV and a first sorting of what the code carries."""

from __future__ import annotations

import re
from dataclasses import dataclass

import cv2

from devices.camera.frames import Frame

# Payment codes shown by WeChat Pay (18 digits, 10–15…) and Alipay (16–24 digits, 25–30…).
_PAYMENT = re.compile(r"^(1[0-5]\d{16}|(2[5-9]|30)\d{14,22})$")


@dataclass(frozen=True)
class QrCode:
    """A decoded code: ``kind`` is "payment", "ticket", "appointment" or "other"."""

    kind: str
    text: str


@dataclass(frozen=True)
class QrRules:
    """How to tell ticket and appointment codes apart (configured per deployment)."""

    ticket_prefixes: tuple[str, ...] = ()
    appointment_prefixes: tuple[str, ...] = ("预约码:", "APPT:")


def classify(text: str, rules: QrRules | None = None) -> QrCode:
    rules = rules or QrRules()
    if _PAYMENT.match(text):
        return QrCode("payment", text)
    if any(text.startswith(p) for p in rules.ticket_prefixes):
        return QrCode("ticket", text)
    if any(text.startswith(p) for p in rules.appointment_prefixes):
        return QrCode("appointment", text)
    return QrCode("other", text)


class QrDecoder:
    """OpenCV's ArUco-based QR detector, then the classic one for what it missed.

    Neither detector finds every code (each misses some the other reads), so
    both run on frames where the first found nothing. Not thread-safe: one per
    worker. Micro-QR is not supported.
    """

    def __init__(self) -> None:
        self._detectors = (cv2.QRCodeDetectorAruco(), cv2.QRCodeDetector())

    def decode(self, frame: Frame) -> list[str]:
        """Every non-empty payload found in ``frame``."""
        for detector in self._detectors:
            try:
                ok, texts, _, _ = detector.detectAndDecodeMulti(frame)
            except cv2.error:
                continue
            found = [text for text in texts if text] if ok else []
            if found:
                return found
        return []

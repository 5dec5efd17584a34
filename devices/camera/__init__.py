"""Camera: QR codes (appointments, payments, tickets) from OpenCV frame sources."""

from devices.camera.frames import ArraySource, CaptureSource, FolderSource, open_source
from devices.camera.qr import QrCode, QrRules, classify
from devices.camera.reader import QrCamera

__all__ = [
    "ArraySource",
    "CaptureSource",
    "FolderSource",
    "QrCamera",
    "QrCode",
    "QrRules",
    "classify",
    "open_source",
]

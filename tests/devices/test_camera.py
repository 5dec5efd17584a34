"""The QR camera against generated frames, a video file, recorded frames and (opt-in) a camera."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from devices.camera import ArraySource, FolderSource, QrCamera, QrRules, classify, open_source
from devices.camera.frames import FrameSource
from devices.camera.synthetic import qr_frame, write_folder, write_video
from devices.errors import DeviceUnavailable

RECORDED = Path(__file__).parent / "fixtures" / "camera"
CODES = [
    "预约码:市民中心-社保-A012",
    None,
    "134567890123456789",
    "https://hall.example.cn/t/8f3k2m9q",
]
EXPECTED = [
    ("appointment", "预约码:市民中心-社保-A012"),
    ("payment", "134567890123456789"),
    ("ticket", "https://hall.example.cn/t/8f3k2m9q"),
]
RULES = QrRules(ticket_prefixes=("https://hall.example.cn/t/",))


def _source(kind: str, tmp_path: Path) -> Callable[[], FrameSource]:
    if kind == "frames":
        return lambda: ArraySource([qr_frame(text) for text in CODES])
    if kind == "folder":
        write_folder(tmp_path / "frames", CODES)
        return lambda: FolderSource(tmp_path / "frames")
    if kind == "video":
        path = write_video(tmp_path / "codes.avi", CODES)
        return lambda: open_source(str(path))
    if kind == "recorded":
        return lambda: open_source(RECORDED)
    index = os.environ.get("ONEVISIT_HW_CAMERA")
    if not index:
        pytest.skip("set ONEVISIT_HW_CAMERA to a device index")
    return lambda: open_source(index)


@pytest.mark.parametrize(
    "kind",
    ["frames", "folder", "video", "recorded", pytest.param("hardware", marks=pytest.mark.hardware)],
)
async def test_codes_are_reported_once_per_showing(kind: str, tmp_path: Path) -> None:
    source = _source(kind, tmp_path)
    async with QrCamera(source, interval=0, forget_after=1, rules=RULES) as camera:
        got = [(code.kind, code.text) async for code in camera.codes()]
    if kind != "hardware":
        assert got == EXPECTED


async def test_a_held_code_is_reported_once() -> None:
    frames = [qr_frame("APPT:42")] * 4 + [qr_frame(None)] * 2 + [qr_frame("APPT:42")]
    async with QrCamera(lambda: ArraySource(frames), interval=0, forget_after=2) as camera:
        got = [code.text async for code in camera.codes()]
    assert got == ["APPT:42", "APPT:42"]


async def test_scan_returns_first_code_or_none() -> None:
    async with QrCamera(lambda: ArraySource([qr_frame(None), qr_frame("x1")]), interval=0) as cam:
        assert (await cam.scan()) is not None
    async with QrCamera(lambda: ArraySource([qr_frame(None)]), interval=0) as cam:
        assert await cam.scan() is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("134567890123456789", "payment"),
        ("281234567890123456", "payment"),
        ("991234567890123456", "other"),
        ("APPT:1", "appointment"),
        ("hello", "other"),
    ],
)
def test_classify(text: str, kind: str) -> None:
    assert classify(text).kind == kind


def test_missing_sources_are_typed(tmp_path: Path) -> None:
    with pytest.raises(DeviceUnavailable):
        open_source(tmp_path / "nothing.avi")
    with pytest.raises(DeviceUnavailable):
        open_source(tmp_path)

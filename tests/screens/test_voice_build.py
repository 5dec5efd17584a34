"""The clip generator writes every clip name the pages ask for."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from display.voice.build import build

VOICE_JS = Path(__file__).resolve().parents[2] / "display" / "static" / "screens" / "voice.js"


def test_manifest_covers_every_piece_of_a_call(tmp_path: Path) -> None:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        pytest.skip("espeak-ng is not installed")
    clips = build(tmp_path, ["zh"], espeak)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["clips"] == clips
    needed = {"chime", "zh/qing", "zh/hao", "zh/dao", "zh/window", "zh/recall", "zh/10"}
    needed |= {f"zh/{d}" for d in range(10)} | {f"zh/{c}" for c in "ABCDEFXYZ"}
    assert needed <= set(clips)
    for name in needed:
        assert (tmp_path / clips[name]).stat().st_size > 1000, name
    # the names the page builds are the names the generator writes
    script = VOICE_JS.read_text(encoding="utf-8")
    for literal in re.findall(r'"(zh/[a-z]+)"', script):
        assert literal in clips, literal

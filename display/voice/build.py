"""Render the calling clips with espeak-ng: ``python -m display.voice.build --out DIR``.

Writes one WAV per phrase piece (digits, letters, "请", "号", "到", "号窗口办理", "重呼", the
numerals 十 and 百, and the English pieces), a two-tone chime, and ``manifest.json`` mapping
each clip name the pages use (``zh/qing``, ``en/7``, ``chime``…) to its file. The pages fall
back to the browser's Web Speech when the manifest or a clip is missing.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import string
import struct
import subprocess
import sys
import wave
from collections.abc import Sequence
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "static" / "voice"
RATE = 22050
CN_DIGITS = "零一二三四五六七八九"

ZH_PIECES: dict[str, str] = {
    "qing": "请",
    "hao": "号",
    "dao": "到",
    "window": "号窗口办理",
    "recall": "重呼",
    "10": "十",
    "100": "百",
    **{str(d): CN_DIGITS[d] for d in range(10)},
    **{letter: letter for letter in string.ascii_uppercase},
}
EN_PIECES: dict[str, str] = {
    "number": "Number",
    "please_go_to_window": "please go to window",
    **{
        str(d): word
        for d, word in enumerate(
            ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
        )
    },
    **{letter: letter for letter in string.ascii_uppercase},
}
VOICES = {"zh": "cmn", "en": "en-us"}


def chime(path: Path, rate: int = RATE) -> None:
    """A soft two-tone "ding-dong" (E6 then C6), 0.9 s, 16-bit mono."""
    frames = bytearray()
    for freq, length in ((1318.5, 0.45), (1046.5, 0.45)):
        count = int(length * rate)
        for i in range(count):
            t = i / rate
            envelope = math.exp(-4.0 * t) * min(1.0, i / (0.01 * rate))
            sample = 0.45 * envelope * math.sin(2 * math.pi * freq * t)
            frames += struct.pack("<h", int(sample * 32767))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))


def speak(text: str, voice: str, path: Path, espeak: str) -> None:
    """Render ``text`` with espeak-ng into ``path`` (WAV)."""
    subprocess.run(  # noqa: S603 - a fixed program with our own phrase texts
        [espeak, "-v", voice, "-s", "150", "-w", str(path), text],
        check=True,
        capture_output=True,
    )


def build(out: Path, languages: Sequence[str], espeak: str | None) -> dict[str, str]:
    """Write every clip and the manifest; return the manifest's clip map."""
    out.mkdir(parents=True, exist_ok=True)
    clips: dict[str, str] = {}
    chime(out / "chime.wav")
    clips["chime"] = "chime.wav"
    if espeak is None:
        sys.stderr.write("espeak-ng not found: only the chime; pages will use Web Speech\n")
    else:
        for language in languages:
            pieces = ZH_PIECES if language == "zh" else EN_PIECES
            folder = out / language
            folder.mkdir(exist_ok=True)
            for name, text in pieces.items():
                speak(text, VOICES[language], folder / f"{name}.wav", espeak)
                clips[f"{language}/{name}"] = f"{language}/{name}.wav"
    manifest = {"version": 1, "languages": list(languages), "clips": clips}
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return clips


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m display.voice.build", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"({DEFAULT_OUT})")
    parser.add_argument("--languages", default="zh,en", help="comma-separated (zh,en)")
    args = parser.parse_args(argv)
    languages = [x for x in args.languages.split(",") if x in VOICES]
    clips = build(args.out, languages, shutil.which("espeak-ng"))
    sys.stdout.write(json.dumps({"out": str(args.out), "clips": len(clips)}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

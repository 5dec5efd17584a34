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
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

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


def render(
    out: Path, texts: Mapping[str, Mapping[str, str]], espeak: str, clips: dict[str, str]
) -> dict[str, str]:
    """Speak ``texts`` (``{language: {name: text}}``) into ``out/<language>/<name>.wav``;
    add each to ``clips`` and return ``{clip name: the text it was rendered from}``."""
    rendered: dict[str, str] = {}
    for language, pieces in texts.items():
        folder = out / language
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in pieces.items():
            speak(text, VOICES[language], folder / f"{name}.wav", espeak)
            clips[f"{language}/{name}"] = f"{language}/{name}.wav"
            rendered[f"{language}/{name}"] = text
    return rendered


def write_manifest(
    out: Path, languages: Sequence[str], clips: dict[str, str], **extra: Any
) -> None:
    """``manifest.json``: the clip files by name, for the pages."""
    manifest = {"version": 1, "languages": list(languages), "clips": clips, **extra}
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )


def build(out: Path, languages: Sequence[str], espeak: str | None) -> dict[str, str]:
    """Write every clip and the manifest; return the manifest's clip map."""
    out.mkdir(parents=True, exist_ok=True)
    clips: dict[str, str] = {"chime": "chime.wav"}
    chime(out / "chime.wav")
    if espeak is None:
        sys.stderr.write("espeak-ng not found: only the chime; pages will use Web Speech\n")
    else:
        pieces = {lang: ZH_PIECES if lang == "zh" else EN_PIECES for lang in languages}
        render(out, pieces, espeak, clips)
    write_manifest(out, languages, clips)
    return clips


def cli(
    argv: Sequence[str] | None,
    prog: str,
    description: str | None,
    default_out: Path,
    make: Callable[[Path, Sequence[str], str | None], dict[str, str]],
) -> int:
    """``--out DIR --languages zh,en``: run ``make`` and say how many clips it wrote."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--out", type=Path, default=default_out, help=f"({default_out})")
    parser.add_argument("--languages", default="zh,en", help="comma-separated (zh,en)")
    args = parser.parse_args(argv)
    languages = [x for x in args.languages.split(",") if x in VOICES]
    clips = make(args.out, languages, shutil.which("espeak-ng"))
    sys.stdout.write(json.dumps({"out": str(args.out), "clips": len(clips)}) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    return cli(argv, "python -m display.voice.build", __doc__, DEFAULT_OUT, build)


if __name__ == "__main__":
    raise SystemExit(main())

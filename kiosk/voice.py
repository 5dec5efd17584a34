"""Render the kiosk's spoken prompts with espeak-ng: ``python -m kiosk.voice [--out DIR]``.

The page speaks one prompt per step (the ``p_…``, ``r_…`` and ``f_…`` texts of
``ui/strings.js``). Every prompt without a ``{placeholder}`` gets a pre-rendered clip per
language, named by its key; ``manifest.json`` lists the clips and the text each was rendered
from. The page plays a clip only when that text is exactly what it shows now (so a reworded
prompt never plays its old clip) and falls back to the browser's Web Speech otherwise (prompts
with a number in them, or a machine without the clips).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from display.voice.build import VOICES, speak

UI_DIR = Path(__file__).resolve().parent / "ui"
DEFAULT_OUT = UI_DIR / "voice"
SPOKEN = re.compile(r"^[prf]_\w+$")
_ENTRY = re.compile(r'(\w+): "((?:[^"\\]|\\.)*)"')
_SECTION = re.compile(r"^  (\w+): \{$", re.MULTILINE)


def spoken_prompts(strings_js: str) -> dict[str, dict[str, str]]:
    """``{lang: {key: text}}`` of the prompts a clip can say as they are (no placeholders)."""
    sections = list(_SECTION.finditer(strings_js))
    out: dict[str, dict[str, str]] = {}
    for i, section in enumerate(sections):
        end = sections[i + 1].start() if i + 1 < len(sections) else len(strings_js)
        body = strings_js[section.end() : end]
        out[section.group(1)] = {
            key: json.loads(f'"{text}"')
            for key, text in _ENTRY.findall(body)
            if SPOKEN.match(key) and "{" not in text
        }
    return out


def build(out: Path, languages: Sequence[str], espeak: str | None) -> dict[str, str]:
    """Write a clip per spoken prompt and the manifest; return the manifest's clip map."""
    prompts = spoken_prompts((UI_DIR / "strings.js").read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    clips: dict[str, str] = {}
    texts: dict[str, str] = {}
    if espeak is None:
        sys.stderr.write("espeak-ng not found: no clips; the kiosk will use Web Speech\n")
    else:
        for language in languages:
            folder = out / language
            folder.mkdir(exist_ok=True)
            for key, text in sorted(prompts.get(language, {}).items()):
                speak(text, VOICES[language], folder / f"{key}.wav", espeak)
                clips[f"{language}/{key}"] = f"{language}/{key}.wav"
                texts[f"{language}/{key}"] = text
    manifest = {"version": 1, "languages": list(languages), "clips": clips, "texts": texts}
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return clips


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m kiosk.voice", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"({DEFAULT_OUT})")
    parser.add_argument("--languages", default="zh,en", help="comma-separated (zh,en)")
    args = parser.parse_args(argv)
    languages = [x for x in args.languages.split(",") if x in VOICES]
    clips = build(args.out, languages, shutil.which("espeak-ng"))
    sys.stdout.write(json.dumps({"out": str(args.out), "clips": len(clips)}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

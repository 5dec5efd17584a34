"""Render the kiosk's spoken prompts with espeak-ng: ``python -m kiosk.voice [--out DIR]``.

The page speaks one prompt per step (the ``p_…``, ``r_…`` and ``f_…`` texts of
``ui/strings.js``). Every prompt without a ``{placeholder}`` gets a pre-rendered clip per
language, named by its key; ``manifest.json`` lists the clips and the text each was rendered
from. The page plays a clip only when that text is exactly what it shows now (so a reworded
prompt never plays its old clip) and falls back to the browser's Web Speech otherwise (prompts
with a number in them, or a machine without the clips).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from display.voice.build import cli, render, write_manifest

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
        wanted = {lang: dict(sorted(prompts.get(lang, {}).items())) for lang in languages}
        texts = render(out, wanted, espeak, clips)
    write_manifest(out, languages, clips, texts=texts)
    return clips


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    return cli(argv, "python -m kiosk.voice", __doc__, DEFAULT_OUT, build)


if __name__ == "__main__":
    raise SystemExit(main())

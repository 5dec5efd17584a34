"""Pages, scripts, styles and voice clips for screens. Holds no logic of its own."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent
PAGES_DIR = ROOT / "pages"
STATIC_DIR = ROOT / "static"

"""Lines the printer's font cannot print are sent as raster images.

Receipt printers carry a GB2312/GBK font; characters GB18030 encodes in four
bytes (rare name characters such as 𠀋, CJK extensions B and later) are drawn
with a CJK font from the host instead.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

_LOG = logging.getLogger(__name__)

# (path, face index): Noto CJK collections hold JP, KR, SC, TC, HK faces; 2 is SC.
FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)
MAX_WIDTH = 576


def printer_can_print(text: str) -> bool:
    """Whether every character has a two-byte (or ASCII) GB18030 encoding."""
    try:
        return all(len(ch.encode("gb18030")) <= 2 for ch in text)
    except UnicodeEncodeError:
        return False


@functools.lru_cache(maxsize=8)
def load_font(size: int, path: str | None = None) -> ImageFont.FreeTypeFont | None:
    """The first CJK font found (or ``path``), at ``size`` pixels; None if none."""
    candidates = ((path, 2),) if path else FONT_CANDIDATES
    for candidate, index in candidates:
        if candidate and Path(candidate).exists():
            try:
                return ImageFont.truetype(candidate, size=size, index=index)
            except OSError:
                continue
    _LOG.warning("no CJK font found; rare characters will be sent as GB18030 text")
    return None


def render_line(text: str, font: ImageFont.FreeTypeFont) -> Image.Image:
    """A one-bit image of ``text``, at most :data:`MAX_WIDTH` pixels wide."""
    left, top, right, bottom = (int(v) for v in font.getbbox(text))
    width = min(max(right - left, 8), MAX_WIDTH)
    width += -width % 8
    height = max(bottom - top, 1) + 4
    image = Image.new("1", (min(width, MAX_WIDTH), height), 1)
    ImageDraw.Draw(image).text((-left, 2 - top), text, font=font, fill=0)
    return image

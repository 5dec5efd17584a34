"""The ``--json`` convention: one line of compact UTF-8 JSON on stdout."""

from __future__ import annotations

import json
import sys
from typing import Any


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def emit(obj: Any) -> None:
    """Write ``obj`` as one line to stdout and flush it."""
    sys.stdout.buffer.write((dumps(obj) + "\n").encode("utf-8"))
    sys.stdout.buffer.flush()


def error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}

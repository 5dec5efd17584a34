"""What a caller keypad's key asks the server to do: a pure table, no I/O.

The deployed RS-485 keypads (reference: docs/devices.md, "Counter agent") have 呼叫 call,
重呼 recall, 评价 evaluate, 暂停 pause, 转移 transfer, 取消 cancel, a digit pad and OK; a digit
then OK is a shortcut (6 弃号 give up, 0 挂起 hold, 3 回呼 call back).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KeyAction:
    """One server action (``POST …/counter/actions``) and its ticket digits, if any."""

    action: str
    number: str | None = None


KEYMAP = {
    "recall": "recall",
    "confirm": "start",
    "evaluate": "finish",
    "give_up": "no_show",
    "hold": "hold",
    "call_back": "call_back",
}
"""Keys with one meaning; ``call`` and ``pause`` depend on digits and the window's state."""


def key_action(key: str, digits: str, window_state: str | None) -> KeyAction | None:
    """The action of ``key`` (typed ``digits`` before it); None for keys the counter ignores
    (transfer needs a target, so it is left to the console; cancel only clears the digits)."""
    if key == "call":
        return KeyAction("call_number", digits) if digits else KeyAction("call_next")
    if key == "pause":
        return KeyAction("resume" if window_state == "paused" else "pause")
    action = KEYMAP.get(key)
    return KeyAction(action) if action is not None else None


def level_of(grade: int) -> int:
    """The server's 1–5 level (5 = 非常满意) of an evaluator grade (0 = 非常满意 … 4)."""
    if not 0 <= grade <= 4:
        raise ValueError(f"grade {grade} is not 0..4")
    return 5 - grade

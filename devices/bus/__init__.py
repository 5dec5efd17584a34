"""RS-485 counter devices: window LED screens, caller keypads and evaluators."""

from devices.bus.caller import Grade, KeyEvent, RatingEvent
from devices.bus.callerbus import CallerBus, KeypadSimConfig, KeypadSimulator
from devices.bus.led import LedSimConfig, LedSimulator, OnbonDisplay, WindowDisplay

__all__ = [
    "CallerBus",
    "Grade",
    "KeyEvent",
    "KeypadSimConfig",
    "KeypadSimulator",
    "LedSimConfig",
    "LedSimulator",
    "OnbonDisplay",
    "RatingEvent",
    "WindowDisplay",
]

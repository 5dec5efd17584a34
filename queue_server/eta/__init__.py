"""Waiting-time prediction: run the hall forward from now with the real call order.

Public interface (see docs/eta.md): :func:`predict` (simulation, the default),
:func:`predict_closed_form` (cheap fall-back), :func:`build_history` /
:class:`HistoryBuilder` (statistics from past tickets, strictly before ``now``) and
:func:`accuracy` (realised accuracy and drift for the manager console).
"""

from queue_server.eta.accuracy import Accuracy, Outcome, accuracy
from queue_server.eta.closed_form import predict_closed_form
from queue_server.eta.history import History, HistoryBuilder, TicketRecord, build_history
from queue_server.eta.model import (
    Estimate,
    HallState,
    Predictions,
    WaitingTicket,
    WindowMode,
    WindowState,
)
from queue_server.eta.predict import predict

__all__ = [
    "Accuracy",
    "Estimate",
    "HallState",
    "History",
    "HistoryBuilder",
    "Outcome",
    "Predictions",
    "TicketRecord",
    "WaitingTicket",
    "WindowMode",
    "WindowState",
    "accuracy",
    "build_history",
    "predict",
    "predict_closed_form",
]

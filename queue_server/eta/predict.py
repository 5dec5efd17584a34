"""The one call the server makes: estimates for every waiting ticket and every service."""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import datetime

from queue_server.eta.calibrate import range_quantiles, recalibrate
from queue_server.eta.closed_form import predict_closed_form
from queue_server.eta.history import History
from queue_server.eta.model import Estimate, HallState, Predictions
from queue_server.eta.simulate import simulate


def predict(
    state: HallState,
    history: History,
    now: datetime,
    rng_seed: int | None = None,
    *,
    only: Collection[str] | None = None,
) -> Predictions:
    """Minutes until each waiting ticket is called and the wait of a new arrival per service.

    Runs the hall forward from ``now`` (:func:`simulate`); estimates it cannot give (a
    ticket no window will call within the horizon) come from the closed form
    (:func:`predict_closed_form`), and stay NaN when neither can tell. With a seed the
    result is deterministic. ``only`` limits the work to some ticket ids.

    The ranges are recalibrated on ``history.outcomes`` (see :mod:`.calibrate`);
    ``Predictions.model`` keeps the uncalibrated estimates, which are what the server
    should store at issue and feed back with :meth:`HistoryBuilder.outcome`.
    """
    result = simulate(state, history, now, rng_seed, only=only)
    tickets = dict(result.tickets)
    services = dict(result.services)
    missing = [k for k, e in tickets.items() if not math.isfinite(e.minutes)]
    missing_services = [k for k, e in services.items() if not math.isfinite(e.minutes)]
    if missing or missing_services:
        fallback = predict_closed_form(state, history, now)
        nan = Estimate(math.nan, math.nan, math.nan)
        for k in missing:
            tickets[k] = fallback.tickets.get(k, nan)
        for k in missing_services:
            services[k] = fallback.services.get(k, nan)
    quantiles = range_quantiles(history.outcomes)
    return Predictions(
        tickets={k: recalibrate(e, quantiles) for k, e in tickets.items()},
        services={k: recalibrate(e, quantiles) for k, e in services.items()},
        method=result.method,
        model=tickets,
    )
